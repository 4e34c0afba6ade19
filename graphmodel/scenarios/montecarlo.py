"""Monte Carlo runs of a scenario: random shocks, correlated by country, run in batches.

Randomness
----------
Run ``i`` of a study with seed ``S`` draws from its own generator,
``numpy.random.default_rng(numpy.random.SeedSequence(S, spawn_key=(i,)))`` — the same
stream ``SeedSequence(S).spawn(N)[i]`` gives for any ``N``. A run's draws therefore depend
only on ``(S, i)``, never on batch size, batch order or which worker ran it, so runs can be
sharded over any executor with identical results.

Correlation model (Gaussian copula with one factor per group)
-------------------------------------------------------------
Shocks belong to a *correlation group*: ``correlation_group`` if given, else the
countries their ``select`` names (so every shock on CN facilities shares a group), else
their own. For each run and group two standard normal factors are drawn, ``X`` (occurrence)
and ``Y`` (severity); for each shock two idiosyncratic normals ``e``, ``h``. With
``rho = monte_carlo.correlation``::

    u_occ = Phi(sqrt(rho) X + sqrt(1 - rho) e)      shock occurs when u_occ < probability
    u_sev = Phi(sqrt(rho) Y + sqrt(1 - rho) h)      quantile for capacity_loss and duration

so within a group occurrences are correlated (rho is the latent correlation) and a severe
draw is both deeper and longer. ``start_month`` distributions use an independent uniform.
Shocks in different groups are independent.

Outputs
-------
Per run and sink: ``shortfall`` = ``1 - min_supply``, ``lost_volume``, ``tts_months``,
``ttr_months`` (definitions in :mod:`graphmodel.scenarios.run`); summarised per sink
as mean, P50 and P95 of the shortfall, expected (mean) and P95 lost volume, and the
probability of any shortfall.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Iterable, Optional, Sequence

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from ..network import Network
from ..progress import RunProgress
from .core import Draws, Topology
from .model import Distribution, Scenario
from .run import run_columns, select_sink_columns, time_to_recover, time_to_survive



def run_generator(seed: int, run: int) -> np.random.Generator:
    """The random generator of run ``run`` (independent of how runs are batched)."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(run,)))


def _quantile(value, u: float, low: float, high: float) -> float:
    if not isinstance(value, Distribution):
        return float(value)
    u = min(max(u, 1e-12), 1 - 1e-12)
    if value.dist == "lognormal":
        x = value.median * np.exp(value.sigma * ndtri(u))
    elif value.dist == "uniform":
        x = value.low + u * (value.high - value.low)
    elif value.dist == "normal":
        x = value.mean + value.sd * ndtri(u)
    else:  # triangular: inverse CDF
        a, c, b = value.low, value.mode, value.high
        cut = (c - a) / (b - a) if b > a else 0.5
        x = a + np.sqrt(u * (b - a) * (c - a)) if u < cut else b - np.sqrt((1 - u) * (b - a) * (b - c))
    return float(min(max(x, low), high))


def draw_runs(scenario: Scenario, runs: Iterable[int], seed: int) -> Draws:
    """Shock parameters for the given run indices (rows in the order given)."""
    shocks = scenario.shocks
    groups = sorted({s.group(i) for i, s in enumerate(shocks)})
    group_of = [groups.index(s.group(i)) for i, s in enumerate(shocks)]
    rho = scenario.monte_carlo.correlation
    rows = []
    for run in runs:
        rng = run_generator(seed, run)
        common = rng.standard_normal((2, len(groups)))           # X, Y per group
        own = rng.standard_normal((2, len(shocks)))               # e, h per shock
        start_u = rng.random(len(shocks))
        u_occ = ndtr(np.sqrt(rho) * common[0, group_of] + np.sqrt(1 - rho) * own[0])
        u_sev = ndtr(np.sqrt(rho) * common[1, group_of] + np.sqrt(1 - rho) * own[1])
        rows.append((
            [u_occ[i] < s.probability for i, s in enumerate(shocks)],
            [_quantile(s.capacity_loss, u_sev[i], 0.0, 1.0) for i, s in enumerate(shocks)],
            [_quantile(s.start_month, start_u[i], 0.0, np.inf) for i, s in enumerate(shocks)],
            [np.inf if s.duration_months is None else
             _quantile(s.duration_months, u_sev[i], 0.0, np.inf) for i, s in enumerate(shocks)],
        ))
    occurs, loss, start, duration = (np.array([r[j] for r in rows]).reshape(len(rows), len(shocks))
                                     for j in range(4))
    return Draws(occurs=occurs.astype(bool), loss=loss.astype(float), start=start.astype(float),
                 duration=duration.astype(float))


def run_batch(net: Network, scenario: Scenario, runs: Sequence[int], seed: int, *,
              reroute: bool | None = None, inventory: bool | None = None) -> pd.DataFrame:
    """Simulate the given run indices at once (as columns); one row per (run, sink).

    This is the unit of work to shard: results depend only on (seed, run index).
    """
    runs = list(runs)
    topo = Topology.of(net)
    draws = draw_runs(scenario, runs, seed)
    supply, _, compiled, _, _ = run_columns(net, topo, scenario, draws, reroute=reroute,
                                         inventory=inventory)
    sink_supply = select_sink_columns(net, compiled, supply)          # (T, sinks, R)
    demand = net.sink_demand.reindex(net.sinks).to_numpy(dtype=float)
    lost = (1.0 - sink_supply).sum(axis=0) * demand[:, None] / 12.0   # (sinks, R)
    sinks = net.sinks.astype(str)
    return pd.DataFrame({
        "run": np.tile(np.array(runs, dtype=int), len(sinks)),
        "id": np.repeat(np.asarray(sinks), len(runs)),
        "shortfall": (1.0 - sink_supply.min(axis=0)).ravel(),
        "lost_volume": lost.ravel(),
        "tts_months": time_to_survive(sink_supply).ravel(),
        "ttr_months": time_to_recover(sink_supply).ravel(),
    })


def bytes_per_column(months: int, n: int, links: int, groups: int, slots: int) -> int:
    """Estimated peak bytes one Monte Carlo run (one column of a batch) costs the monthly engine.

    Float64 arrays with one column per run (:func:`graphmodel.scenarios.simulate.simulate`
    and :func:`graphmodel.scenarios.core.compile_factors`): over the horizon, the facility
    and link factors ``f`` (T, n) and ``g`` (T, E), the outputs supply and stock (T, n)
    and rerouted volume (T, E); within a month, production fractions, lowest output
    fraction and volume taken per facility (3 n), flows, extras and the reroute LP's
    per-link work arrays (4 E), slot fractions this and last month (2 P), stocks, targets
    and group temporaries (3 G). At 100k facilities (12 months, 306k links) this is about
    105 MB per run, which matches the 5.7 GB measured for a batch of 64 rerouting runs.
    """
    per_month = 3 * n + 2 * links
    return 8 * (months * per_month + 3 * n + 4 * links + 2 * slots + 3 * groups)


def capped_batch_size(batch_size: int, column_bytes: int, budget: int) -> int:
    """The largest batch (at least one run) whose columns fit in ``budget`` bytes, at most
    ``batch_size``."""
    return max(1, min(int(batch_size), int(budget // max(column_bytes, 1))))


def batch_size_for(net: Network, scenario: Scenario, batch_size: int,
                   budget: int | None = None) -> tuple[int, str | None]:
    """``batch_size`` capped by the memory budget (``TIERN_MAX_BATCH_BYTES``), and a message
    saying so when it had to be lowered (None otherwise)."""
    from ..settings import max_batch_bytes

    budget = max_batch_bytes() if budget is None else budget
    prod = net.production
    column = bytes_per_column(scenario.horizon_months, len(net.facilities), len(net.links),
                              prod.n_groups, prod.n_slots)
    size = capped_batch_size(batch_size, column, budget)
    if size >= batch_size:
        return batch_size, None
    return size, (f"batch size lowered from {batch_size} to {size} runs: each run needs about "
                  f"{column / 1024 ** 2:,.0f} MB ({scenario.horizon_months} months, "
                  f"{len(net.facilities):,} facilities, {len(net.links):,} links) and a batch may "
                  f"use {budget / 1024 ** 3:.2f} GB (set TIERN_MAX_BATCH_BYTES to change it)")


@dataclass
class MonteCarloResult:
    """Per-run rows (``runs``: run, id, shortfall, lost_volume, tts/ttr) and the per-sink
    summary; ``batch_size`` is the batch size used and ``note`` says why it was lowered."""

    scenario: Scenario
    seed: int
    runs: pd.DataFrame
    summary: pd.DataFrame
    batch_size: int | None = None
    note: str | None = None


def run_monte_carlo(net: Network, scenario: Scenario, runs: int | None = None,
                    seed: int | None = None, *, batch_size: int = 50,
                    reroute: bool | None = None, inventory: bool | None = None,
                    progress: Optional[RunProgress] = None,
                    executor=None, max_batch_bytes: int | None = None,
                    scheduler: str | None = None) -> MonteCarloResult:
    """Run ``runs`` random draws of the scenario in batches of ``batch_size`` columns.

    ``batch_size`` is lowered to fit ``max_batch_bytes`` (default ``TIERN_MAX_BATCH_BYTES``,
    see :func:`batch_size_for`); results do not depend on it (see Randomness above), only
    the peak memory does. The result's ``note`` says when it was lowered.

    ``executor``: anything with ``map(fn, iterable)`` (``concurrent.futures`` executors;
    a dask ``Client`` via ``client.get_executor()``; :class:`graphmodel.executors.DaskExecutor`);
    default runs in this process. ``scheduler`` instead names a Dask cluster to run the
    batches on, as ``tiern scenario --scheduler`` does: ``tcp://host:port``, ``local`` or
    ``local:N`` (:func:`graphmodel.executors.scheduler_executor`); the cluster started or
    the connection opened is closed on return. Per-run rows are identical for the same
    seed whatever the executor and batch size.
    ``progress(done, total)`` is called as batches finish.
    """
    if scheduler is not None:
        if executor is not None:
            raise ValueError("give executor or scheduler, not both")
        from ..executors import scheduler_executor

        with scheduler_executor(scheduler) as cluster:
            return run_monte_carlo(net, scenario, runs, seed, batch_size=batch_size,
                                   reroute=reroute, inventory=inventory, progress=progress,
                                   executor=cluster, max_batch_bytes=max_batch_bytes)
    runs = scenario.monte_carlo.runs if runs is None else runs
    seed = scenario.monte_carlo.seed if seed is None else seed
    batch_size, note = batch_size_for(net, scenario, batch_size, max_batch_bytes)
    batches = [range(start, min(start + batch_size, runs)) for start in range(0, runs, batch_size)]

    work = partial(run_batch, net, scenario, seed=seed, reroute=reroute, inventory=inventory)
    mapper = executor.map if executor is not None else map
    frames, done = [], 0
    for frame in mapper(work, batches):
        frames.append(frame)
        done += frame["run"].nunique()
        if progress is not None:
            progress(done, runs)
    per_run = combine(frames)
    return MonteCarloResult(scenario=scenario, seed=seed, runs=per_run,
                            summary=summarise(net, per_run), batch_size=batch_size, note=note)


def combine(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate batch results in (id, run) order, whatever order the batches came in."""
    frames = list(frames)
    if not frames:
        return pd.DataFrame(columns=["run", "id", "shortfall", "lost_volume", "tts_months",
                                     "ttr_months"])
    return pd.concat(frames).sort_values(["id", "run"]).reset_index(drop=True)


def summarise(net: Network, per_run: pd.DataFrame) -> pd.DataFrame:
    """Per sink: runs, P(shortfall), shortfall mean/P50/P95, lost volume mean (expected)/P95,
    mean tts over the runs that fall short."""
    grouped = per_run.groupby("id", sort=True)
    # a boolean column averaged per group (not a Python lambda per sink: 100k sinks)
    falls_short = (per_run["shortfall"] > 1e-9).astype(float).groupby(per_run["id"], sort=True)
    summary = pd.DataFrame({
        "runs": grouped["run"].count(),
        "p_shortfall": falls_short.mean(),
        "shortfall_mean": grouped["shortfall"].mean(),
        "shortfall_p50": grouped["shortfall"].quantile(0.5),
        "shortfall_p95": grouped["shortfall"].quantile(0.95),
        "lost_volume_mean": grouped["lost_volume"].mean(),
        "lost_volume_p95": grouped["lost_volume"].quantile(0.95),
        "tts_months_mean": grouped["tts_months"].mean(),
    })
    names = net.facilities["name"]
    summary.insert(0, "name", summary.index.map(names))
    summary = summary.reset_index().rename(columns={"index": "id"})
    return summary.sort_values(["lost_volume_mean", "id"], ascending=[False, True]) \
        .reset_index(drop=True)
