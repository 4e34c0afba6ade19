"""The report's tables built with array code equal the former row-by-row construction,
kept here as the reference (exact, with the same column types)."""
from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings

from graphmodel import report as rp
from graphmodel.build import network_from_records
from graphmodel.errors import TiernError
from graphmodel.exposure import exposure

from .strategies import network_records


def _china_exposure_rows(net, buyers, notes):
    """The former :func:`graphmodel.report.china_exposure`: one dict per (stage, buyer)."""
    present = set(net.facilities["stage"])
    rows = []
    for stage in [s for s in rp.EXPOSURE_STAGES if s in present]:
        try:
            location = exposure(net, rp.FOCUS_COUNTRY, stage, basis="location").set_index("id")
            control = exposure(net, rp.FOCUS_COUNTRY, stage, basis="control").set_index("id")
        except TiernError as error:
            notes.append(f"China exposure at stage {stage} not computed: {error}")
            continue
        for buyer in buyers:
            rows.append({
                "id": buyer, "name": net.facilities.at[buyer, "name"],
                "sector": net.facilities.at[buyer, "sector"],
                "country": net.facilities.at[buyer, "country"], "stage_traced": stage,
                "location": float(location.at[buyer, "share"]),
                "control": float(control.at[buyer, "share"]),
                "unknown": float(location.at[buyer, "unknown"]),
            })
    return pd.DataFrame(rows, columns=["id", "name", "sector", "country", "stage_traced",
                                       "location", "control", "unknown"])


def _check_exposure(net):
    buyers = net.sink_demand.index
    expected_notes, notes = [], []
    expected = _china_exposure_rows(net, buyers, expected_notes)
    got = rp.china_exposure(net, buyers, notes)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert notes == expected_notes


def test_china_exposure_matches_rows_on_golden_and_bundled(golden):
    from graphmodel.network import load_network  # noqa: PLC0415

    _check_exposure(golden)
    _check_exposure(load_network())


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(network_records())
def test_china_exposure_matches_rows_on_random_networks(records):
    _check_exposure(network_from_records(**records))


# --- group rollups ---------------------------------------------------------------------------
def _group_rollups_one_by_one(net, by):
    """The former :func:`graphmodel.chokepoints.chokepoints_by_group`: one availability
    propagation and one set of lookups per group."""
    import numpy as np  # noqa: PLC0415

    from graphmodel import chokepoints as ch  # noqa: PLC0415
    from graphmodel.schema import ALL_STAGES  # noqa: PLC0415

    demand = ch.selected_demand(net, None)
    total = float(demand.sum())
    members = net.facilities["country"].dropna() if by == "country" else net.company.dropna()
    base_at_sinks = ch.availability(net).reindex(demand.index).to_numpy()
    rows = []
    for group in sorted(members.unique()):
        ids = list(members.index[members == group])
        after = ch.availability(net, failed=ids).reindex(demand.index).to_numpy()
        lost = demand.to_numpy() * np.clip(base_at_sinks - after, 0.0, None)
        cut_off = (after <= 1e-12) & (base_at_sinks > 1e-12) & ~demand.index.isin(ids)
        countries = net.ownership.loc[net.ownership["ultimate_owner"] == group,
                                      "control_country"].dropna()
        rows.append({
            "group": group, "by": by, "name": ch._group_name(net, by, group),
            "control_country": (countries.iloc[0] if len(countries) else None)
            if by == "company" else group,
            "facilities": len(ids),
            "stages": sorted(set(net.facilities.loc[ids, "stage"]), key=ALL_STAGES.index),
            "criticality": float(lost.sum() / total) if total > 0 else 0.0,
            "demand_at_risk": float(lost.sum()),
            "external_demand_at_risk": float(lost[~demand.index.isin(ids)].sum()),
            "demand_unit": ch._demand_unit(net, demand),
            "single_point_for": sorted(demand.index[cut_off]),
            "sinks_affected": int((lost > 1e-12 * max(total, 1.0)).sum()),
            "facility_ids": sorted(ids),
        })
    table = pd.DataFrame(rows, columns=ch._GROUP_COLUMNS[1:])
    table = ch._rank(table, ["criticality", "facilities", "name"], [False, True, True])
    return table[ch._GROUP_COLUMNS]


def _check_groups(net, monkeypatch, block):
    from graphmodel import chokepoints as ch  # noqa: PLC0415

    monkeypatch.setattr(ch, "_GROUP_BLOCK", block)
    for by in ("country", "company"):
        pd.testing.assert_frame_equal(ch.chokepoints_by_group(net, by=by),
                                      _group_rollups_one_by_one(net, by), check_exact=True)


def test_group_rollups_match_one_by_one_on_golden_and_bundled(golden, monkeypatch):
    from graphmodel.network import load_network  # noqa: PLC0415

    for block in (1, 3, 32):
        _check_groups(golden, monkeypatch, block)
    _check_groups(load_network(), monkeypatch, 32)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(records=network_records())
def test_group_rollups_match_one_by_one_on_random_networks(records, monkeypatch):
    _check_groups(network_from_records(**records), monkeypatch, 2)


def test_report_progress_names_the_long_steps(golden):
    # The steps that take minutes on large networks report their own progress.
    seen = []
    rp.build_report(golden, progress=lambda done, total, label: seen.append((done, total, label)))
    labels = {label for _, _, label in seen}
    assert {"sink dependencies", "minimum cuts", "country rollups", "company rollups"} <= labels
    assert all(0 <= done <= total for done, total, _ in seen)
