"""Executors for independent Monte Carlo shards: in-process (default) or on a Dask cluster.

Monte Carlo runs are independent: run ``i`` of a study with seed ``S`` draws from its own
generator ``SeedSequence(S, spawn_key=(i,))`` (:func:`graphmodel.scenarios.outage.run_rng`, the same
convention as :func:`graphmodel.scenarios.montecarlo.run_generator`), so a run's result
depends only on ``(S, i)``. A study is cut into *shards* (ranges of run indices); an
executor maps a shard function over them and returns the results in shard order. Any
sharding and any executor therefore give identical results for the same seed.

Every executor has ``map(fn, items)`` returning results in the order of ``items`` (the
interface of :class:`concurrent.futures.Executor`), so it can be passed wherever a
``concurrent.futures`` executor is accepted (e.g. ``run_monte_carlo(..., executor=...)``).
"""
from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from functools import partial
from typing import Callable, Iterable, Iterator, Optional, Protocol, Sequence

import numpy as np

from .errors import TiernError
from .progress import RunProgress
from .scenarios.outage import OutageModel, outage_batch


class ExecutorError(TiernError):
    """An executor that cannot start (e.g. no Dask scheduler at the given address)."""


class Executor(Protocol):
    def map(self, fn: Callable, items: Iterable) -> Iterator:  # results in the order of items
        ...


class LocalExecutor:
    """Runs shards in this process (``workers=None``, the default), or concurrently on a
    ``concurrent.futures`` thread or process pool of ``workers`` workers."""

    def __init__(self, workers: Optional[int] = None, kind: str = "thread"):
        if kind not in ("thread", "process"):
            raise ExecutorError(f"unknown executor kind '{kind}' (expected thread or process)")
        self.workers, self.kind = workers, kind

    def map(self, fn: Callable, items: Iterable) -> Iterator:
        if not self.workers or self.workers <= 1:
            yield from map(fn, items)
            return
        pool = ThreadPoolExecutor if self.kind == "thread" else ProcessPoolExecutor
        with pool(max_workers=self.workers) as executor:
            yield from executor.map(fn, items)

    def __repr__(self) -> str:
        return f"LocalExecutor(workers={self.workers}, kind={self.kind!r})"


class DaskExecutor:
    """Runs shards on a ``dask.distributed`` cluster.

    Give a ``client``, or an ``address`` of a running scheduler (``tcp://host:8786``), or
    neither to start a :class:`~dask.distributed.LocalCluster` (``cluster_kwargs`` passed
    on, e.g. ``n_workers=2, processes=False``). Close it (or use it as a context manager)
    to shut down what it started.
    """

    def __init__(self, client=None, address: Optional[str] = None, **cluster_kwargs):
        from dask.distributed import Client, LocalCluster

        self._owned = []
        if client is None:
            try:
                if address is None:
                    cluster = LocalCluster(**cluster_kwargs)
                    self._owned.append(cluster)
                    address = cluster
                client = Client(address)
            except (OSError, TimeoutError) as error:
                raise ExecutorError(f"cannot reach a Dask scheduler at {address}: {error}") from None
            self._owned.insert(0, client)
        self.client = client

    def map(self, fn: Callable, items: Iterable) -> Iterator:
        futures = self.client.map(fn, list(items), pure=False)
        for future in futures:
            yield future.result()

    def close(self) -> None:
        for resource in self._owned:
            resource.close()
        self._owned = []

    def __enter__(self) -> "DaskExecutor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def shards(runs: int, shard_size: int) -> list[range]:
    """Run indices ``0 .. runs-1`` cut into consecutive ranges of ``shard_size``."""
    if shard_size < 1:
        raise ValueError("shard_size must be at least 1")
    return [range(start, min(start + shard_size, runs)) for start in range(0, runs, shard_size)]


def run_outage_study(net, runs: int, seed: int = 0, *, shard_size: int = 100,
                     executor: Optional[Executor] = None, model=None,
                     progress: Optional[RunProgress] = None) -> dict:
    """Pure-propagation Monte Carlo of random outages (:func:`graphmodel.scenarios.outage.outage_batch`),
    sharded over ``executor`` (default: :class:`LocalExecutor`, in-process).

    Returns the per-run arrays (``runs``, ``shortfall``, ``worst``) in run order and the
    per-sink ``short_counts`` summed over shards; identical for the same seed whatever
    ``shard_size`` and executor.
    """
    executor = executor or LocalExecutor()
    work = partial(outage_batch, net, seed=seed, model=model or OutageModel())
    parts, done = [], 0
    for part in executor.map(work, shards(runs, shard_size)):
        parts.append(part)
        done += len(part["runs"])
        if progress is not None:
            progress(done, runs)
    return combine(parts)


def combine(parts: Sequence[dict]) -> dict:
    """Concatenate per-run arrays in run order and add the per-sink counts."""
    if not parts:
        return {"runs": np.empty(0, int), "shortfall": np.empty(0), "worst": np.empty(0),
                "short_counts": np.empty(0, int)}
    runs = np.concatenate([p["runs"] for p in parts])
    order = np.argsort(runs, kind="stable")
    return {
        "runs": runs[order],
        "shortfall": np.concatenate([p["shortfall"] for p in parts])[order],
        "worst": np.concatenate([p["worst"] for p in parts])[order],
        "short_counts": np.sum([p["short_counts"] for p in parts], axis=0),
    }
