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
