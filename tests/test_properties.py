"""Property tests on random valid networks (hypothesis)."""
from __future__ import annotations

import numpy as np
import pandas.testing as pdt
from hypothesis import HealthCheck, given, settings

from graphmodel import load_network
from graphmodel.solve import Plan
from graphmodel.build import network_from_records

from .strategies import network_records

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                           HealthCheck.function_scoped_fixture])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(network_records())
def test_random_networks_validate_and_round_trip(tmp_path_factory, records):
    net = network_from_records(**records)
    folder = tmp_path_factory.mktemp("net")
    net.write(folder)
    again = load_network(net.write(folder / "net.xlsx"))
    for kind, frame in net.to_frames().items():
        pdt.assert_frame_equal(frame, again.to_frames()[kind], check_dtype=False)


@SETTINGS
@given(network_records())
def test_share_rows_are_distributions(records):
    net = network_from_records(**records)
    S = net.share_matrix
    assert (S.data >= 0).all()
    rows = np.asarray(S.sum(axis=1)).ravel()
    inbound = net.inbound_volume.to_numpy() > 0
    assert np.allclose(rows[inbound], 1) and (rows[~inbound] == 0).all()


@SETTINGS
@given(network_records())
def test_neumann_solve_matches_dense_solve_when_leaky(records):
    net = network_from_records(**records)
    n = len(net.facilities)
    A = net.share_matrix.toarray() * 0.9  # strictly leaky: I - A is invertible
    b = np.linspace(0, 1, n)
    assert np.allclose(Plan.of(A).solve(b), np.linalg.solve(np.eye(n) - A, b), atol=1e-9)
