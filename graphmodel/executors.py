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

import re
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from functools import partial
from typing import Callable, Iterable, Iterator, Optional, Protocol, Sequence

import numpy as np
from threadpoolctl import threadpool_limits

from .errors import TiernError
from .progress import RunProgress
from .scenarios.outage import OutageModel, outage_batch
from .solve.plan import blas_threads_per_worker


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
        # The workers share the cores: BLAS's own threads on top of them oversubscribe
        # the machine (a 2-thread pool on 2 cores ran slower than no pool). The solver's
        # dense products round the same on any number of BLAS threads
        # (graphmodel.solve.plan.fixed_order_product), so a run's result does not change.
        blas_threads = blas_threads_per_worker(self.workers)
        if self.kind == "thread":
            with threadpool_limits(blas_threads, user_api="blas"), \
                    ThreadPoolExecutor(max_workers=self.workers) as executor:
                yield from executor.map(fn, items)
            return
        with ProcessPoolExecutor(max_workers=self.workers, initializer=_limit_blas_threads,
                                 initargs=(blas_threads,)) as executor:
            yield from executor.map(fn, items)

    def __repr__(self) -> str:
        return f"LocalExecutor(workers={self.workers}, kind={self.kind!r})"


def _limit_blas_threads(count: int) -> None:
    """A process pool's initializer: ``count`` BLAS threads in each worker process."""
    threadpool_limits(count, user_api="blas")


#: What to install for :class:`DaskExecutor` (the ``distributed`` extra of tiern).
DISTRIBUTED_INSTALL = "pip install 'tiern[distributed]'"


def _distributed():
    """``dask.distributed``'s Client and LocalCluster, or a clear error naming the extra."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as error:
        missing = getattr(error, "name", None) or "dask.distributed"
        raise ExecutorError(f"running Monte Carlo on a Dask cluster needs dask.distributed "
                            f"({missing} is not installed): {DISTRIBUTED_INSTALL}") from None
    return Client, LocalCluster


def _apply(fn: Callable, item):
    return fn(item)


class DaskExecutor:
    """Runs shards on a ``dask.distributed`` cluster.

    Give a ``client``, or an ``address`` of a running scheduler (``tcp://host:8786``), or
    neither to start a :class:`~dask.distributed.LocalCluster` (``cluster_kwargs`` passed
    on, e.g. ``n_workers=2, processes=False``). ``connect_timeout`` (seconds) bounds the
    wait for a scheduler at ``address``. Close it (or use it as a context manager) to shut
    down what it started.

    The shard function (which holds the network) is sent to every worker once, not with
    each shard; workers need the same tiern version installed to unpickle it.
    """

    def __init__(self, client=None, address: Optional[str] = None, *,
                 connect_timeout: Optional[float] = None, **cluster_kwargs):
        Client, LocalCluster = _distributed()

        self._owned = []
        if client is None:
            timeout = {} if connect_timeout is None else {"timeout": connect_timeout}
            if address is None:
                try:
                    cluster = LocalCluster(**cluster_kwargs)
                except (OSError, TimeoutError) as error:
                    raise ExecutorError(f"cannot start a local Dask cluster: {error}") from None
                self._owned.append(cluster)
                address = cluster
            try:
                client = Client(address, **timeout)
            except ValueError as error:   # distributed's word for a malformed address
                raise ExecutorError(f"'{address}' is not a Dask scheduler address (expected "
                                    f"tcp://host:port, or local / local:N): {error}") from None
            except (OSError, TimeoutError) as error:
                for resource in self._owned:
                    resource.close()
                wait = f" within {connect_timeout:g} s" if connect_timeout is not None else ""
                raise ExecutorError(f"cannot reach a Dask scheduler at {address}{wait} (is it "
                                    f"running, and is the address right?): {error}") from None
            self._owned.insert(0, client)
        self.client = client

    def map(self, fn: Callable, items: Iterable) -> Iterator:
        items = list(items)
        if not items:
            return
        [remote_fn] = self.client.scatter([fn], broadcast=True, hash=False)
        futures = self.client.map(_apply, [remote_fn] * len(items), items, pure=False)
        try:
            for future in futures:
                yield future.result()
        finally:  # an interrupted study leaves no work queued on a shared cluster
            self.client.cancel(futures + [remote_fn])

    @property
    def workers(self) -> int:
        """Workers the scheduler knows now."""
        return len(self.client.scheduler_info().get("workers", {}))

    def close(self) -> None:
        for resource in self._owned:
            resource.close()
        self._owned = []

    def __enter__(self) -> "DaskExecutor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"DaskExecutor({self.client.scheduler.address})"


def scheduler_executor(scheduler: str, *, connect_timeout: Optional[float] = None) -> DaskExecutor:
    """The executor the ``--scheduler`` option names.

    ``local`` starts a :class:`~dask.distributed.LocalCluster` on this machine with one
    single-threaded worker process per core, ``local:N`` with ``N`` workers; anything else
    is the address of a running scheduler (``tcp://host:8786``), reached within
    ``connect_timeout`` seconds (default ``TIERN_SCHEDULER_TIMEOUT``, 10 s).
    """
    from .settings import scheduler_timeout

    text = (scheduler or "").strip()
    if not text:
        raise ExecutorError("empty scheduler address (expected tcp://host:port, local or local:N)")
    if text == "local" or text.startswith("local:"):
        count = text.partition(":")[2]
        if count and not (count.isdigit() and int(count) >= 1):
            raise ExecutorError(f"scheduler '{text}': expected local or local:N with N a "
                                "number of workers of at least 1")
        workers = int(count) if count else None
        # the dashboard on a free port: dask.distributed reads dashboard_address=None as its
        # default :8787, which a second cluster on the machine then fails to bind
        return DaskExecutor(n_workers=workers, threads_per_worker=1, processes=True,
                            dashboard_address=":0")
    if not _SCHEDULER_ADDRESS.fullmatch(text):
        # refused before any Client starts: a Client given a malformed address can hang in
        # its loop start-up instead of raising
        raise ExecutorError(f"'{text}' is not a Dask scheduler address (expected "
                            "tcp://host:port, tls://host:port, or local / local:N)")
    timeout = scheduler_timeout() if connect_timeout is None else connect_timeout
    return DaskExecutor(address=text, connect_timeout=timeout)


#: ``protocol://host:port`` as dask.distributed's comm layer reads it (IPv6 hosts in brackets).
_SCHEDULER_ADDRESS = re.compile(r"(tcp|tls|ucx|ws|wss)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)"
                                r":\d{1,5}")


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
    # the plan (its inverse Schur complements, and the loops' low-rank structure every
    # shard reads) is built here, once, with this process's BLAS settings, not by the
    # first shard on a pool's thread
    net.trace.forward.keep_update_structure()
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
