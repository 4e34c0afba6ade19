"""Criticality where the recycling loops are too large for the whole first-passage diagonal:
exact for the top-ranked facilities and every facility off a loop, an upper bound elsewhere
(``Trace.first_passage_ranked``). The networks here are small, so the exact diagonal is at
hand to check against; the bounded route is forced by marking it expensive."""
from __future__ import annotations

import numpy as np
import pytest

from graphmodel import chokepoints as ch
from graphmodel.generate import generate_network


@pytest.fixture(scope="module", params=[(4, 0.2), (7, 0.3)], ids=["20% looped", "30% looped"])
def make(request):
    """A factory of the same generated network, each call with a fresh trace."""
    seed, share = request.param
    return lambda: generate_network(2000, seed=seed, loop_share=share)


def _bounded(net):
    """Make the network's trace take the bounded route (as on a million facilities)."""
    net.trace.__dict__["diagonal_is_cheap"] = False
    return net


def test_the_loop_diagonal_lies_between_its_first_laps_and_itself(make):
    trace = make().trace
    everyone = np.arange(trace.n)
    exact, lower, traced = trace.diagonal, trace.diagonal_lower(everyone), trace.traced
    assert np.all(lower[traced] >= 1.0)
    assert np.all(lower[traced] <= exact[traced] * (1 + 1e-12))
    off_loop = traced.copy()
    off_loop[trace.looped] = False
    assert np.array_equal(lower[off_loop], exact[off_loop])  # 1, exactly
    assert np.any(lower[trace.looped] > 1.0)  # the laps count: a bound, not just 1
    some = trace.looped[:: max(1, trace.looped.size // 17)]
    np.testing.assert_allclose(trace.diagonal_at(some), exact[some], rtol=1e-12)
    np.testing.assert_array_equal(trace.diagonal_at(some[::-1]), trace.diagonal_at(some)[::-1])
    # the lap bound of a few rows is the bound of the whole block at those rows
    np.testing.assert_array_equal(trace.diagonal_lower(some), lower[some])


@pytest.mark.parametrize("top", [1, 5, 20])
def test_bounded_criticality_is_exact_at_the_top_and_an_upper_bound_below(make, top):
    want = ch.criticality(make()).to_numpy()
    bounded = _bounded(make())
    series = ch.demand_criticality(bounded, ch.selected_demand(bounded), exact_top=top)
    exact, got = series.attrs["exact"], series.to_numpy()
    finite = np.isfinite(want)
    assert np.array_equal(np.isfinite(got), finite)
    np.testing.assert_allclose(got[exact], want[exact], rtol=1e-12, atol=1e-15)
    assert np.all(got[finite] >= want[finite] - 1e-12)  # an upper bound everywhere
    ranked = np.argsort(-np.where(finite, got, -1.0), kind="stable")
    assert exact[ranked[:top]].all()
    assert np.all(got[finite & ~exact] <= got[ranked[top - 1]])  # none could enter the top
    np.testing.assert_allclose(np.sort(got[ranked[:top]]), np.sort(want[finite])[-top:],
                               rtol=1e-12)
    assert not exact[bounded.trace.looped].all()  # the bound spared solves


def test_the_chokepoints_table_names_the_bounded_rows(make):
    head = ch.chokepoints(_bounded(make()), top=10)
    assert set(head["criticality_basis"]) == {"linear"}  # the rows asked for are exact
    want = ch.chokepoints(make(), top=10)
    assert head["id"].tolist() == want["id"].tolist()
    np.testing.assert_allclose(head["criticality"], want["criticality"], rtol=1e-12)
    table = ch.chokepoints(_bounded(make()))
    assert ch.UPPER_BOUND in set(table["criticality_basis"])
    assert set(table["criticality_basis"]) <= {"linear", ch.UPPER_BOUND}
