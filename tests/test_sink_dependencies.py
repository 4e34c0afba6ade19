"""Per-sink dependencies in blocks (chokepoints.sink_dependencies) against the full
sinks x facilities shares (chokepoints.first_passage_shares), the reference it replaced:
identical values, whatever the block size."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

from graphmodel import chokepoints as ch
from graphmodel.build import network_from_records
from graphmodel.generate import generate_network

from .strategies import network_records


def _reference(net, sinks, columns):
    """The former computation: one DataFrame of every sink's shares, ``idxmax`` per row."""
    shares = ch.first_passage_shares(net, sinks)
    rows = {}
    for sink in sinks:
        others = shares.loc[sink].drop(sink).dropna()
        top = others.idxmax() if len(others) and others.max() > 0 else None
        rows[sink] = (top, float(others[top]) if top else 0.0)
    return rows, shares[list(columns)]


def _check(net, block, monkeypatch):
    monkeypatch.setattr(ch, "_BLOCK_ENTRIES", block * len(net.facilities))
    sinks = net.sink_demand.index
    columns = list(net.facilities.index[::2])
    rows, shares = _reference(net, sinks, columns)
    got = ch.sink_dependencies(net, sinks, columns=columns)
    for sink, (top, share) in rows.items():
        assert got.largest.at[sink, "largest_dependency"] == top
        assert got.largest.at[sink, "largest_dependency_share"] == share  # exact, not approx
    pd.testing.assert_frame_equal(got.shares, shares, check_exact=True, check_names=False)


@pytest.mark.parametrize("block", [1, 2, 1000])
def test_golden_dependencies_match_the_full_shares(golden, block, monkeypatch):
    _check(golden, block, monkeypatch)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(records=network_records())
def test_random_networks_match_the_full_shares(records, monkeypatch):
    _check(network_from_records(**records), 2, monkeypatch)


def test_ties_pick_the_first_facility(golden):
    # Two suppliers each carrying the whole of a sink's supply in turn (a chain m -> p -> o):
    # F(o, m) = F(o, p) = 1; the first in facility order is named, as idxmax does.
    from .test_chokepoints import _fac, _link  # noqa: PLC0415

    net = network_from_records([_fac("m", "mine"), _fac("p", "separator"), _fac("o", "oem")],
                               [_link("m", "p", 1), _link("p", "o", 1)])
    got = ch.sink_dependencies(net, net.sink_demand.index).largest
    assert got.at["o", "largest_dependency"] == "m"
    assert got.at["o", "largest_dependency_share"] == 1.0


@pytest.mark.parametrize("share", [0.0, 0.2])
def test_facility_shares_are_the_first_passage_shares_of_those_facilities(share):
    """``F(k, u)`` for a few facilities by forward solves equals the per-sink backward
    columns of :func:`first_passage_shares`, loops included."""
    from graphmodel.chokepoints import facility_shares, first_passage_shares
    from graphmodel.generate import generate_network

    net = generate_network(1500, seed=3, loop_share=share)
    sinks = net.sinks[:40]
    picked = list(net.facilities.index[::97]) + list(net.facilities.index[net.trace.looped[:5]])
    want = first_passage_shares(net, sinks)[picked]
    got = facility_shares(net, sinks, picked)
    assert list(got.columns) == picked and got.index.equals(sinks)
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("workers", [1, 3])
def test_blocks_come_in_order_on_any_number_of_threads_and_may_be_left_early(
        monkeypatch, workers):
    """``first_passage_blocks`` hands every block, in order, to the reducer with the shares of
    one solve over all sinks, however many threads solve them; a caller that stops after
    the first block leaves no thread waiting (the next call runs, and returns)."""
    net = generate_network(300, seed=1, loop_share=0.2)
    monkeypatch.setattr(ch, "_BLOCK_ENTRIES", len(net.facilities))  # one sink per block
    sinks = net.sink_demand.index
    whole = ch.first_passage_shares(net, sinks)

    def column(first, last, shares, rows):
        assert last == first + 1
        got = shares[rows][:, 0].copy()
        shares.fill(np.nan)  # the reducer may overwrite its block: no other block sees it
        return got

    seen = []
    for first, last, got in ch.first_passage_blocks(net, sinks, column, workers=workers):
        seen.append(first)
        np.testing.assert_array_equal(got, whole.loc[sinks[first]].to_numpy(dtype=float))
    assert seen == list(range(len(sinks))) and len(sinks) > 2 * workers + 1
    for _ in range(3):
        blocks = ch.first_passage_blocks(net, sinks, column, workers=workers)
        next(blocks)
        blocks.close()



def test_first_maximum_names_the_first_facility_among_ties_across_chunks(monkeypatch):
    """Column maxima tied on rows in different chunks of the comparison: the facility first
    in facility order wins whatever the row order, as ``idxmax`` on facility-ordered rows."""
    monkeypatch.setattr(ch, "_TIE_CHUNK", 3)
    rng = np.random.default_rng(0)
    shares = rng.integers(0, 4, size=(20, 9)).astype(float) / 4  # many ties
    shares[:, 0] = 0.0                                          # no positive value
    shares[:, 1] = -np.inf
    facility_of_row = rng.permutation(20)
    best, value = ch._first_maximum(shares, facility_of_row)
    by_facility = pd.DataFrame(shares[np.argsort(facility_of_row)])
    assert best[:2].tolist() == [-1, -1] and value[:2].tolist() == [0.0, 0.0]
    assert best[2:].tolist() == by_facility.idxmax().tolist()[2:]
    np.testing.assert_array_equal(value[2:], by_facility.max().to_numpy()[2:])


@pytest.mark.parametrize("gap", [0, 1, 3, 10 ** 9])
def test_first_passage_of_units_divides_every_loop_row_whatever_the_runs(monkeypatch, gap):
    """The per-sink shares divide exactly the rows whose ``L[u, u]`` is not 1 (a traced loop,
    and untraced loops reached from no origin: NaN), however the rows are grouped into runs
    (``DIVIDE_GAP``): bit for bit the dense :meth:`Trace.first_passage` of unit weights."""
    from graphmodel.solve import trace as trace_module
    from graphmodel.solve.plan import unit_columns

    from .test_chokepoints import _fac, _link  # noqa: PLC0415

    chain = ["mine", "separator", "metal", "alloy", "magnet", "oem"]
    facilities = [_fac(f"c{i}", stage, capacity=100) for i, stage in enumerate(chain)]
    facilities.append(_fac("r", "recycler"))
    links = [_link(f"c{i}", f"c{i + 1}", 10) for i in range(len(chain) - 1)]
    links += [_link("c5", "r", 3), _link("r", "c2", 3)]    # a traced loop through c2..c5
    for i in range(6):  # untraced loops (no origin reaches them), each feeding an OEM
        facilities += [_fac(f"u{i}", "alloy"), _fac(f"v{i}", "recycler"),
                       _fac(f"w{i}", "oem")]
        links += [_link(f"u{i}", f"v{i}", 2), _link(f"v{i}", f"u{i}", 2),
                  _link(f"u{i}", f"w{i}", 1)]
    net = network_from_records(facilities, links)
    trace = net.trace
    assert np.isnan(trace.diagonal).sum() == 18  # the untraced loops and the OEMs they feed
    monkeypatch.setattr(trace_module, "DIVIDE_GAP", gap)
    trace.__dict__.pop("_backward_divisors", None)
    positions = net.facilities.index.get_indexer(net.sinks)
    got = trace.first_passage_of_units(positions)
    want = trace.first_passage(unit_columns(trace.n, positions))[trace.backward.order]
    np.testing.assert_array_equal(got, want)
    runs = trace._backward_divisors
    assert all(first < last for first, last, _ in runs)
    assert len(runs) > 1 if gap <= 1 else len(runs) >= 1  # the traced loop, the rest apart
