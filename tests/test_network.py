"""The network object on the golden example, with answers computed by hand."""
from __future__ import annotations

import numpy as np
import pytest

from graphmodel import NodeNotFound
from graphmodel.solve import Plan


def test_inbound_shares(golden):
    shares = golden.inbound_shares().set_index(["supplier", "customer"])["share"]
    # metal_jp receives 20 NdPr oxide from sep_my and 5 Dy oxide from sep_cn
    assert shares[("sep_my", "metal_jp")] == pytest.approx(20 / 25)
    assert shares[("sep_cn", "metal_jp")] == pytest.approx(5 / 25)
    # magnet_jp: 24 metal + 6 recycled
    assert shares[("rec_jp", "magnet_jp")] == pytest.approx(6 / 30)


def test_candidate_links_carry_nothing(golden):
    assert ("magnet_jp", "oem_auto") not in set(golden.inbound_shares()[["supplier", "customer"]].itertuples(index=False, name=None))
    assert golden.graph.edges["magnet_jp", "oem_auto"]["statuses"] == ["candidate"]


def test_sinks_origins_and_demand(golden):
    assert sorted(golden.sinks) == ["oem_auto", "oem_def"]
    assert sorted(golden.origins) == ["mine_au", "mine_cn", "mine_us", "sep_us"]
    # oem_auto: inbound volume (40 motors); oem_def: demand.csv (20)
    assert golden.sink_demand.to_dict() == {"oem_auto": 40.0, "oem_def": 20.0}


def test_ultimate_owner_follows_majority_only(golden):
    assert golden.ultimate_owner("magnet_jp") == "CN Mining"   # JP Metals 60% CN Mining
    assert golden.ultimate_owner("magnet_cn") == "CN Magnets"  # 40% is not control
    assert golden.ownership.at["sep_my", "control_country"] == "AU"
    with pytest.raises(NodeNotFound, match="unknown facility id 'nope'"):
        golden.ultimate_owner("nope")


def test_facilities_by(golden):
    assert sorted(golden.facilities_by(stage="separator", status="operating").index) == ["sep_cn", "sep_my"]
    assert sorted(golden.facilities_by(country=["JP", "DE"], stage="magnet").index) == ["magnet_jp"]


def test_share_matrix_rows_sum_to_one_or_zero(golden):
    rows = np.asarray(golden.share_matrix.sum(axis=1)).ravel()
    has_inbound = golden.inbound_volume.to_numpy() > 0
    assert np.allclose(rows[has_inbound], 1.0) and np.all(rows[~has_inbound] == 0)


def test_cache_cleared_when_table_replaced(golden):
    before = golden.share_matrix
    golden.links = golden.links[golden.links["supplier"] != "rec_jp"]
    assert golden.share_matrix is not before
    assert golden.inbound_volume["magnet_jp"] == 24


def test_neumann_solve_with_recycling_loop(golden):
    # Share of each facility's supply passing through mine_cn, solved through the loop
    # magnet_jp -> motor_de -> oem_auto -> rec_jp -> magnet_jp.
    S = golden.share_matrix
    idx = golden.facilities.index
    b = (idx == "mine_cn").astype(float)
    A = S.tolil()
    A[idx.get_loc("mine_cn"), :] = 0
    x = dict(zip(idx, Plan.of(A.tocsr()).solve(b)))
    # by hand: sep_cn = 1; metal_cn = 45/60; magnet_cn = 0.75; metal_jp = 5/25 = 0.2
    assert x["metal_cn"] == pytest.approx(0.75, abs=1e-12)
    assert x["metal_jp"] == pytest.approx(0.2, abs=1e-12)
    # loop: mj = 0.8*0.2 + 0.2*r ; md = 0.75*0.75 + 0.25*mj ; r = oa = md
    # => mj = 0.16 + 0.2*(0.5625 + 0.25 mj) = 0.2725 + 0.05 mj => mj = 0.2725/0.95
    mj = 0.2725 / 0.95
    assert x["magnet_jp"] == pytest.approx(mj, abs=1e-12)
    assert x["oem_auto"] == pytest.approx(0.5625 + 0.25 * mj, abs=1e-12)


def test_leontief_column_sums_is_demand_through_each_facility(golden):
    idx = golden.facilities.index
    w = golden.sink_demand.reindex(idx, fill_value=0).to_numpy()
    c = dict(zip(idx, golden.trace.backward.solve(w)))  # c = S^T c + w
    assert c["oem_def"] == pytest.approx(20)
    # motor_de feeds all of oem_auto (40) and, through the recycling loop, 0.5*0.2 of
    # oem_def (2); L sums every path, so the loop (gain 0.25*0.2 = 0.05) counts repeatedly:
    # c = (40 + 2) / (1 - 0.05). The loss if motor_de fails is c / L[u,u] = 42.
    assert c["motor_de"] == pytest.approx(42 / 0.95, abs=1e-9)
    assert c["mine_cn"] + c["mine_au"] + c["mine_us"] == pytest.approx(60)  # everything traces to a mine
