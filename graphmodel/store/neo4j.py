"""A Neo4j store on the official ``neo4j`` driver: push, pull and Tier-N queries over Bolt.

Graph model (every node and relationship carries ``dataset``, the tag of the load it
belongs to; readers only ever look at the dataset the pointer names)::

    (:Facility:<Stage> {dataset, id, name, stage, country, ..., _row})
    (:Facility)-[:SUPPLIES {dataset, _row, material, volume, status, ...}]->(:Facility)
    (:Facility)-[:LOCATED_IN]->(:Country {dataset, code})
    (:Facility)-[:OWNED_BY]->(:Owner {dataset, name})
    (:Owner)-[:HELD_BY {dataset, _row, parent, stake, country, ...}]->(:Owner)   (owners.csv)
    (:Owner)-[:BASED_IN]->(:Country)
    (:Demand {dataset, _row, demand, ...})-[:DEMAND_OF]->(:Facility)             (demand.csv)
    (:TiernDataset {tag, name, hash, complete, columns_<kind>, keys_<kind>, ...})
    (:TiernPointer {key: 'current', tag})                                        the visible dataset

``<Stage>`` is one of ``Mine Concentrator MREC Separator Metal Alloy Magnet Motor OEM
Recycler`` (from a fixed table: labels cannot be query parameters, so they never come
from data). FalkorDB keeps only 6 decimals of a float *parameter* (``1e-7`` arrives as
``0.0``), so floats travel as an exact integer pair ``[m, e]`` (``x = m * 2^e``, from
``math.frexp``) and the query stores ``m * 2.0 ^ e``: an exact double on both servers, so
pulled tables and in-database arithmetic match the in-memory network bit for bit. Column
names that are not plain identifiers are stored under a sanitised key (the dataset node
maps keys back to columns).

Atomic replace: ``push(replace=True)`` loads under a fresh tag, marks that dataset
``complete`` and only then moves the single pointer, so an interrupted load (client or
server killed) leaves the previous dataset visible and intact. This does not rely on
transaction rollback, which FalkorDB does not have. Old datasets are deleted afterwards.

Atomic upsert: ``push()`` without ``replace`` is staged and switched the same way. The
dataset's current rows are read back, every row of the new network replaces the row with
the same key (:data:`UPSERT_KEYS`: facilities by id, links by supplier, customer and
material, ...; a cell emptied in the new row is cleared) or is added; the result is
validated and loaded under a fresh storage tag; then one write points the dataset node
(``storage``) and the pointer at it. Readers resolve a dataset to its storage tag, so a
failure part-way leaves the previous rows visible; the previous storage is deleted after.

Every query takes its data as parameters. FalkorDB's Bolt layer splices string parameters
into the query text between single quotes without escaping them, so in the ``falkordb``
dialect every string parameter is escaped (``\\`` and ``'``) before it is sent; the
database then stores the original text.

Settings come from arguments or ``NEO4J_URI``, ``NEO4J_USER``, ``NEO4J_PASSWORD``,
``NEO4J_DATABASE`` and ``TIERN_NEO4J_DIALECT`` (``neo4j`` or ``falkordb``). The password is
never printed, logged or put in an error message.
"""
from __future__ import annotations

import datetime as dt
import logging
import math
import os
import re
import secrets
import socket
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence
from urllib.parse import urlsplit

import pandas as pd

from graphmodel.errors import ConvergenceError, NodeNotFound, TiernError, scrub_credentials
from graphmodel.io import read_tables, write_tables
from graphmodel.io.raw import RawTable
from graphmodel.io.validate import validate_tables
from graphmodel.network import Network
from graphmodel.progress import StepProgress
from graphmodel.schema import ALL_STAGES, KINDS
from graphmodel.choices import DEFAULT_STORE_BATCH as DEFAULT_BATCH_SIZE

DIALECTS = ("neo4j", "falkordb")
DEFAULT_URI = "bolt://localhost:7687"
#: URI schemes of the Bolt protocol (``+s``: TLS with verified certificates, ``+ssc``: TLS
#: accepting self-signed ones); ``neo4j://`` routes in a cluster or Aura.
BOLT_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")
CONVERGED = 1e-12  # exposure: the last propagation step may move no share by more
PAGE_SIZE = 500  # rows per page when reading back (FalkorDB hangs on records over 64 KiB)

#: Node label per stage; fixed here because labels cannot be parameters.
STAGE_LABELS: dict[str, str] = {
    "mine": "Mine", "concentrator": "Concentrator", "mrec": "MREC", "separator": "Separator",
    "metal": "Metal", "alloy": "Alloy", "magnet": "Magnet", "motor": "Motor", "oem": "OEM",
    "recycler": "Recycler",
}
assert set(STAGE_LABELS) == set(ALL_STAGES)

#: Property names the store uses itself; a data column with one of these names is renamed.
RESERVED = {"dataset", "_row", "id", "code", "name", "key", "tag"}

#: Indexes: (label, properties). Created if missing on every push.
INDEXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Facility", ("dataset", "id")),
    ("Country", ("dataset", "code")),
    ("Owner", ("dataset", "name")),
    # not (dataset, _row): FalkorDB 4.18 loses the numeric part of an index when it reloads
    # an RDB snapshot, and range lookups through it then find nothing
    ("Demand", ("dataset",)),
    ("TiernDataset", ("tag",)),
    ("TiernPointer", ("key",)),
)
DATA_LABELS = ("Facility", "Country", "Owner", "Demand", "Recipe", "Material", "Capacity",
               "Capability", "Requirement", "Certification")


# ----------------------------------------------------------------------------- errors
class StoreError(TiernError):
    """A problem talking to the graph database."""


class StoreUnavailable(StoreError):
    """The server cannot be reached (or the connection was lost)."""


class StoreAuthError(StoreError):
    """The server rejected the credentials."""


class StoreQueryError(StoreError):
    """The server failed to run a query."""


class NoDataset(StoreError):
    """The database holds no (complete) tiern dataset to read."""


# ----------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class Settings:
    """Where and how to connect. The password never appears in ``repr`` or messages.

    ``dialect`` names the server kind (``neo4j`` or ``falkordb``); it cannot be detected
    reliably (FalkorDB announces itself as Neo4j 5.13), so it is configuration.
    """

    uri: str = DEFAULT_URI
    user: str = "neo4j"
    password: str = field(default="", repr=False)
    database: str | None = None
    dialect: str = "neo4j"
    #: seconds to open a connection (FalkorDB: short, see :meth:`Neo4jStore.connect`)
    connection_timeout: float | None = None
    #: seconds the driver keeps retrying a transaction on transient errors
    #: (``TIERN_NEO4J_RETRY_SECONDS``)
    max_retry_time: float = 30.0

    def __post_init__(self):
        if self.dialect not in DIALECTS:
            raise StoreError(f"unknown dialect '{self.dialect}' (expected one of "
                             f"{', '.join(DIALECTS)}; set TIERN_NEO4J_DIALECT or --dialect)")
        if not self.uri:
            raise StoreError("no server URI: pass --uri or set NEO4J_URI")
        try:
            scheme = urlsplit(self.uri).scheme
            urlsplit(self.uri).port  # raises on a port that is not a number in 0..65535
        except ValueError as error:
            raise StoreError(f"invalid server URI '{_strip_userinfo(self.uri)}': {error}") from None
        if scheme not in BOLT_SCHEMES:
            raise StoreError(f"invalid server URI '{_strip_userinfo(self.uri)}': expected "
                             f"{', '.join(s + '://' for s in BOLT_SCHEMES)}host:port")

    @classmethod
    def from_env(cls, uri: str | None = None, user: str | None = None,
                 password: str | None = None, database: str | None = None,
                 dialect: str | None = None, environ: Mapping[str, str] | None = None,
                 **extra) -> "Settings":
        """Settings from explicit values, falling back to the ``NEO4J_*`` environment."""
        env = os.environ if environ is None else environ
        if env.get("TIERN_NEO4J_RETRY_SECONDS") and "max_retry_time" not in extra:
            text = env["TIERN_NEO4J_RETRY_SECONDS"]
            try:
                extra["max_retry_time"] = float(text)
            except ValueError:
                extra["max_retry_time"] = float("nan")
            if not 0 <= extra["max_retry_time"] <= 3600:
                raise StoreError(f"TIERN_NEO4J_RETRY_SECONDS={text!r}: expected seconds "
                                 "between 0 and 3600")
        return cls(
            uri=uri or env.get("NEO4J_URI") or DEFAULT_URI,
            user=user if user is not None else env.get("NEO4J_USER", "neo4j"),
            password=password if password is not None else env.get("NEO4J_PASSWORD", ""),
            database=database or env.get("NEO4J_DATABASE") or None,
            dialect=(dialect or env.get("TIERN_NEO4J_DIALECT") or "neo4j").lower(),
            **extra,
        )

    @property
    def where(self) -> str:
        """``user@uri`` for messages (any credentials embedded in the URI are dropped)."""
        parts = urlsplit(self.uri)
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        shown = f"{parts.scheme}://{netloc}" if parts.scheme else self.uri.split("@")[-1]
        db = f" database '{self.database}'" if self.database else ""
        return f"{shown}{db} as user '{self.user}'"


@dataclass
class TierFilter:
    """Per-tier filter of an upstream trace; ``None`` or empty means no filter.

    ``countries`` and ``stages`` apply to the supplier at that tier, ``materials`` to the
    link from that supplier downstream.
    """

    countries: Sequence[str] | None = None
    stages: Sequence[str] | None = None
    materials: Sequence[str] | None = None

    def as_param(self) -> dict:
        return {"countries": list(self.countries or []), "stages": list(self.stages or []),
                "materials": list(self.materials or [])}


@dataclass
class PushResult:
    tag: str
    counts: dict[str, int]
    deleted: list[str]


# ----------------------------------------------------------------------------- store
class Neo4jStore:
    """A connection to one Bolt server, with tiern's push, pull and queries.

    Use as a context manager, or call :meth:`close`. ``driver`` may be given for tests.

    Examples
    --------
    >>> with Neo4jStore(Settings.from_env()) as store:          # doctest: +SKIP
    ...     store.push(load_network(), replace=True)
    ...     store.exposure(country="CN", stage="mine")
    """

    def __init__(self, settings: Settings | None = None, *, driver=None):
        self.settings = settings or Settings.from_env()
        self._driver = driver
        self._connected = driver is not None
        self._bookmarks = None

    # --- connection -----------------------------------------------------------------------
    def __enter__(self) -> "Neo4jStore":
        self.connect()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._driver is not None:
            try:
                self._driver.close()
            finally:
                self._driver = None
                self._connected = False

    @property
    def falkordb(self) -> bool:
        return self.settings.dialect == "falkordb"

    def connect(self) -> "Neo4jStore":
        """Open the driver and check the server answers and accepts the credentials."""
        if self._connected:
            return self
        import neo4j
        from neo4j import exceptions as ne

        _quiet_driver_logs()
        s = self.settings
        config: dict[str, Any] = {"max_transaction_retry_time": s.max_retry_time,
                                  "user_agent": "tiern"}
        if self.falkordb:
            # FalkorDB leaves the first handshake after a client that ran queries
            # disconnects unanswered until that socket closes: keep the wait short
            # (retries reconnect) and clear a pending stall before connecting.
            config["connection_acquisition_timeout"] = s.connection_timeout or 5.0
            config["connection_timeout"] = s.connection_timeout or 5.0
            _clear_falkordb_stall(s.uri)
        elif s.connection_timeout:
            config["connection_acquisition_timeout"] = s.connection_timeout
            config["connection_timeout"] = s.connection_timeout
        try:
            self._driver = neo4j.GraphDatabase.driver(s.uri, auth=(s.user, s.password), **config)
        except (ne.ConfigurationError, ValueError) as error:
            raise StoreError(f"invalid server URI '{_strip_userinfo(s.uri)}': "
                             f"{scrub_credentials(str(error), [s.password])}. "
                             "Use bolt://, bolt+s://, neo4j:// or neo4j+s://host:port") from None
        attempts = 3 if self.falkordb else 2
        for attempt in range(attempts):
            try:
                self._driver.verify_connectivity(**self._db())
                break
            except ne.AuthError:
                self.close()
                raise StoreAuthError(
                    f"the server at {s.where} rejected the credentials "
                    "(check --user/--password or NEO4J_USER/NEO4J_PASSWORD)") from None
            except ne.ServiceUnavailable as error:
                if attempt + 1 < attempts:
                    time.sleep(0.2)
                    continue
                self.close()
                raise StoreUnavailable(
                    f"cannot reach a Bolt server at {s.where}: {_first_line(error)}. "
                    "Is it running, and are the host and port right? (scripts/graphdb start "
                    "runs a local one)") from None
            except ne.Neo4jError as error:
                self.close()
                if self.falkordb or error.code in (None, "Neo.DatabaseError.General.UnknownError"):
                    # FalkorDB reports a refused login as a generic UnknownError
                    raise StoreAuthError(
                        f"the server at {s.where} refused the connection, most likely wrong "
                        "credentials (check --user/--password or NEO4J_USER/NEO4J_PASSWORD); "
                        f"server said: {error.message or error.code}") from None
                raise StoreQueryError(f"the server at {s.where} failed the connection check: "
                                      f"{error.message or error.code}") from None
            except ne.DriverError as error:
                self.close()
                raise StoreUnavailable(f"cannot connect to {s.where}: {_first_line(error)}") from None
        self._bookmarks = neo4j.GraphDatabase.bookmark_manager()
        self._connected = True
        return self

    def _db(self) -> dict:
        return {"database": self.settings.database} if self.settings.database else {}

    # --- running queries ------------------------------------------------------------------
    def run(self, query: str, params: Mapping[str, Any] | None = None, *, write: bool = False,
            what: str = "query") -> list[dict]:
        """Run one parameterised query in a managed transaction (retried on transient
        errors by the driver); return the records as dicts.

        Writes must be idempotent (they are retried, and FalkorDB cannot roll back).
        """
        from neo4j import exceptions as ne

        self.connect()
        params = self._encode(dict(params or {}))

        def work(tx):
            return [record.data() for record in tx.run(query, params)]

        try:
            # one bookmark manager for all sessions: in a cluster, a read after a write
            # (pull after push) sees that write (causal consistency)
            with self._driver.session(bookmark_manager=self._bookmarks, **self._db()) as session:
                return session.execute_write(work) if write else session.execute_read(work)
        except ne.AuthError:
            raise StoreAuthError(f"the server at {self.settings.where} rejected the credentials") from None
        except (ne.ServiceUnavailable, ne.SessionExpired) as error:
            raise StoreUnavailable(f"lost the connection to {self.settings.where} during {what}: "
                                   f"{_first_line(error)}") from None
        except ne.Neo4jError as error:
            hint = (" (FalkorDB reports every server error as UnknownError)"
                    if self.falkordb else "")
            raise StoreQueryError(f"{what} failed on the server: "
                                  f"{error.message or error.code}{hint}") from None
        except ne.DriverError as error:
            raise StoreUnavailable(f"{what}: {_first_line(error)}") from None

    def _encode(self, value):
        """Parameters as the server must receive them (see the module docstring)."""
        if not self.falkordb:
            return value
        if isinstance(value, str):
            return value.replace("\\", "\\\\").replace("'", "\\'")
        if isinstance(value, Mapping):
            return {k: self._encode(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self._encode(v) for v in value]
        return value

    # --- pointer and datasets -------------------------------------------------------------
    def current_tag(self) -> str | None:
        """The tag of the visible dataset, or None if nothing was pushed yet."""
        rows = self.run("MATCH (p:TiernPointer {key: 'current'}) RETURN p.tag AS tag",
                        what="reading the dataset pointer")
        return rows[0]["tag"] if rows else None

    def datasets(self) -> pd.DataFrame:
        """Every dataset in the database: tag, name, hash, complete, pushed_at, current."""
        current = self.current_tag()
        rows = self.run(
            "MATCH (d:TiernDataset) WHERE d.of IS NULL "
            "RETURN d.tag AS tag, d.name AS name, d.hash AS hash, "
            "d.complete AS complete, d.pushed_at AS pushed_at, d.facilities AS facilities, "
            "d.links AS links ORDER BY d.pushed_at", what="listing datasets")
        frame = pd.DataFrame(rows, columns=["tag", "name", "hash", "complete", "pushed_at",
                                            "facilities", "links"])
        frame["current"] = frame["tag"] == current
        return frame

    def _resolve(self, dataset: str | None) -> str:
        tag = dataset or self.current_tag()
        if tag is None:
            raise NoDataset(f"no tiern dataset in {self.settings.where}; push one first "
                            "(tiern neo4j push)")
        rows = self.run("MATCH (d:TiernDataset {tag: $tag}) RETURN d.complete AS complete, "
                        "coalesce(d.storage, d.tag) AS storage",
                        {"tag": tag}, what="reading the dataset")
        if not rows:
            raise NoDataset(f"no dataset '{tag}' in {self.settings.where}")
        if not rows[0]["complete"]:
            raise NoDataset(f"dataset '{tag}' is incomplete (its load was interrupted)")
        return rows[0]["storage"]

    # --- push -------------------------------------------------------------------------------
    def ensure_indexes(self) -> None:
        """Create tiern's indexes where missing (both dialects; re-running is harmless)."""
        if self.falkordb:
            # no IF NOT EXISTS, and repeating CREATE INDEX is an error: look first
            existing = {(r["label"], tuple(r["properties"])) for r in
                        self.run("CALL db.indexes() YIELD label, properties "
                                 "RETURN label, properties", what="listing indexes")}
            for label, props in INDEXES:
                if not set(props) <= {p for lab, ps in existing if lab == label for p in ps}:
                    self.run(f"CREATE INDEX FOR (n:{label}) ON ({', '.join('n.' + p for p in props)})",
                             write=True, what=f"creating the {label} index")
        else:
            for label, props in INDEXES:
                name = f"tiern_{label.lower()}_{'_'.join(p.strip('_') for p in props)}"
                self.run(f"CREATE INDEX {name} IF NOT EXISTS FOR (n:{label}) "
                         f"ON ({', '.join('n.' + p for p in props)})",
                         write=True, what=f"creating the {label} index")

    def push(self, net: Network, *, replace: bool = False, dataset: str | None = None,
             batch_size: int = DEFAULT_BATCH_SIZE, keep_old: bool = False,
             progress: StepProgress | None = None) -> PushResult:
        """Write a network; return its dataset tag and counts.

        Without ``replace``: idempotent upsert (MERGE by key) into ``dataset`` (default:
        the current dataset, else the network's name), which then becomes current. Rows
        removed from the network are not deleted; use ``replace`` for that.
        With ``replace``: load under a new tag, then switch the pointer in one write
        (see the module docstring); other datasets are then deleted unless ``keep_old``.
        """
        if batch_size < 1:
            raise StoreError("batch size must be at least 1")
        self.connect()
        self.ensure_indexes()
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        logical, old_storage = None, None
        if replace:
            prefix = dataset or net.name
            tag = f"{prefix}@{stamp}-{secrets.token_hex(3)}"
        else:  # staged: load the merged rows under a fresh storage tag, then switch
            logical = dataset or self.current_tag() or net.name
            old_storage = self._storage(logical)
            if old_storage is not None:
                net = upsert_network(self.pull(logical), net)
            tag = f"{logical}@{stamp}-{secrets.token_hex(3)}"
        plan = _plan(net)
        total = sum(len(rows) for _, rows in plan.steps)
        done = 0
        if progress:
            progress("starting", 0, total)
        self.run(
            "MERGE (d:TiernDataset {tag: $tag}) SET d += $props",
            {"tag": tag, "props": {**plan.dataset_props, "name": net.name, "hash": net.hash,
                                   "pushed_at": _now(), "complete": False,
                                   **({"of": logical} if logical else {})}},
            write=True, what="registering the dataset")
        for step, rows in plan.steps:
            for start in range(0, len(rows), batch_size):
                batch = rows[start:start + batch_size]
                self.run(step.query, {"tag": tag, "rows": batch}, write=True,
                         what=f"writing {step.what}")
                done += len(batch)
                if progress:
                    progress(step.what, done, total)
        # the material-aware tables are counted when a network has them
        counts = {k: len(v) for k, v in plan.tables.items()
                  if k in ("facilities", "links", "owners", "demand") or len(v)}
        self.run("MATCH (d:TiernDataset {tag: $tag}) SET d.complete = true, d.facilities = $nf, "
                 "d.links = $nl, d.completed_at = $at",
                 {"tag": tag, "nf": counts["facilities"], "nl": counts["links"], "at": _now()},
                 write=True, what="completing the dataset")
        if logical is None:
            # the switch: one property of one node; readers follow it
            self.run("MERGE (p:TiernPointer {key: 'current'}) SET p.tag = $tag, p.switched_at = $at",
                     {"tag": tag, "at": _now()}, write=True, what="switching the dataset pointer")
            deleted = [] if keep_old else self.delete_other_datasets(tag, batch_size)
        else:
            # the switch of an upsert: one write points the dataset at its new storage and
            # the pointer at the dataset
            self.run("MATCH (s:TiernDataset {tag: $storage}) "
                     "MERGE (d:TiernDataset {tag: $tag}) "
                     "SET d.storage = $storage, d.complete = true, d.name = s.name, "
                     "d.hash = s.hash, d.pushed_at = s.pushed_at, d.facilities = s.facilities, "
                     "d.links = s.links "
                     "MERGE (p:TiernPointer {key: 'current'}) SET p.tag = $tag, p.switched_at = $at",
                     {"tag": logical, "storage": tag, "at": _now()}, write=True,
                     what="switching the dataset to its new rows")
            if old_storage is not None:
                self._delete_storage(old_storage, keep_node=(old_storage == logical),
                                     batch_size=batch_size)
            # staged loads of this dataset that never switched (earlier failed upserts)
            for row in self.run("MATCH (s:TiernDataset {of: $of}) WHERE s.tag <> $storage "
                                "RETURN s.tag AS tag", {"of": logical, "storage": tag},
                                what="listing unfinished loads"):
                self._delete_storage(row["tag"], keep_node=False, batch_size=batch_size)
            tag, deleted = logical, []
        if progress:
            progress("done", total, total)
        return PushResult(tag=tag, counts=counts, deleted=deleted)

    def delete_other_datasets(self, keep: str, batch_size: int = 10_000) -> list[str]:
        """Delete every dataset except ``keep`` (incomplete leftovers of failed loads too)."""
        tags = [r["tag"] for r in self.run("MATCH (d:TiernDataset) WHERE d.tag <> $keep "
                                           "AND d.of IS NULL RETURN d.tag AS tag", {"keep": keep},
                                           what="listing old datasets")]
        # staged loads whose switch never came (leftovers of failed upserts)
        rows = self.run("MATCH (s:TiernDataset) RETURN s.tag AS tag, s.of AS of, "
                        "s.storage AS storage", what="listing unfinished loads")
        used = {r["storage"] for r in rows if r["storage"]}
        for row in rows:
            if row["of"] is not None and row["tag"] not in used:
                self._delete_storage(row["tag"], keep_node=False, batch_size=batch_size)
                tags.append(row["tag"])
        for tag in tags:
            self.delete_dataset(tag, batch_size)
        return tags

    def _storage(self, tag: str) -> str | None:
        """The tag the rows of dataset ``tag`` are stored under (None: no such dataset)."""
        rows = self.run("MATCH (d:TiernDataset {tag: $tag}) RETURN coalesce(d.storage, d.tag) AS s",
                        {"tag": tag}, what="reading the dataset")
        return rows[0]["s"] if rows else None

    def delete_dataset(self, tag: str, batch_size: int = 10_000) -> None:
        """Delete one dataset's nodes and relationships, in batches."""
        if tag == self.current_tag():
            raise StoreError(f"dataset '{tag}' is the current one; push another first")
        storage = self._storage(tag)
        if storage and storage != tag:
            self._delete_storage(storage, keep_node=False, batch_size=batch_size)
        self._delete_storage(tag, keep_node=False, batch_size=batch_size)

    def _delete_storage(self, tag: str, *, keep_node: bool, batch_size: int = 10_000) -> None:
        """Delete the nodes stored under ``tag`` (and its dataset node unless ``keep_node``)."""
        for label in DATA_LABELS:
            while True:
                rows = self.run(f"MATCH (n:{label} {{dataset: $tag}}) WITH n LIMIT $n "
                                "DETACH DELETE n RETURN count(*) AS deleted",
                                {"tag": tag, "n": batch_size}, write=True,
                                what=f"deleting dataset {tag}")
                if not rows or rows[0]["deleted"] < batch_size:
                    break
        if not keep_node:
            self.run("MATCH (d:TiernDataset {tag: $tag}) DELETE d", {"tag": tag}, write=True,
                     what=f"deleting dataset {tag}")

    # --- pull -------------------------------------------------------------------------------
    def pull(self, dataset: str | None = None, *, page_size: int = PAGE_SIZE) -> Network:
        """Read a dataset (default: the current one) back into a validated :class:`Network`.

        Values are read from the graph (endpoints of relationships give ``supplier``,
        ``customer``, ``owner`` and ``facility``).
        """
        tag = self._resolve(dataset)
        meta = self.run("MATCH (d:TiernDataset {tag: $tag}) RETURN d.name AS name, "
                        + ", ".join(f"d.columns_{k} AS columns_{k}, d.keys_{k} AS keys_{k}, "
                                    f"d.floats_{k} AS floats_{k}" for k in KINDS),
                        {"tag": tag}, what="reading the dataset")[0]
        raw = {}
        for kind in KINDS:
            columns, keys = meta[f"columns_{kind}"], meta[f"keys_{kind}"]
            if columns is None:
                continue
            floats = set(meta[f"floats_{kind}"] or [])
            records = self._read_records(kind, tag, page_size)
            if not records and kind not in ("facilities", "links"):
                continue  # an empty optional table: validation supplies the standard one
            text = [[_to_text(rec, col, key, col in floats) for col, key in zip(columns, keys)]
                    for rec in records]
            frame = pd.DataFrame(text, columns=columns, dtype=object)
            if not len(frame):
                frame = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
            raw[kind] = RawTable(kind, f"neo4j:{tag}/{kind}.csv", list(columns),
                                 frame.astype(str) if len(frame) else frame)
        tables = validate_tables(raw)
        return Network(**tables, name=meta["name"] or tag)

    _READ = {
        "facilities": ("MATCH (n:Facility {dataset: $tag}) WHERE n._row >= $lo AND n._row < $hi "
                       "RETURN n._row AS row, properties(n) AS p, {id: n.id} AS ends"),
        "links": ("MATCH (s:Facility {dataset: $tag})-[r:SUPPLIES]->(c:Facility) "
                  "WHERE r._row >= $lo AND r._row < $hi "
                  "RETURN r._row AS row, properties(r) AS p, {supplier: s.id, customer: c.id} AS ends"),
        "owners": ("MATCH (o:Owner {dataset: $tag})-[r:HELD_BY]->(:Owner) "
                   "WHERE r._row >= $lo AND r._row < $hi "
                   "RETURN r._row AS row, properties(r) AS p, {owner: o.name} AS ends"),
        "demand": ("MATCH (n:Demand {dataset: $tag})-[:DEMAND_OF]->(f:Facility) "
                   "WHERE n._row >= $lo AND n._row < $hi "
                   "RETURN n._row AS row, properties(n) AS p, {facility: f.id} AS ends"),
        # the material-aware tables are plain rows: a recipe names a stage or a facility, a
        # material is a vocabulary entry, a capacity row points at its facility
        "recipes": ("MATCH (n:Recipe {dataset: $tag}) WHERE n._row >= $lo AND n._row < $hi "
                    "RETURN n._row AS row, properties(n) AS p, {} AS ends"),
        "materials": ("MATCH (n:Material {dataset: $tag}) WHERE n._row >= $lo AND n._row < $hi "
                      "RETURN n._row AS row, properties(n) AS p, {} AS ends"),
        "capacities": ("MATCH (n:Capacity {dataset: $tag})-[:CAPACITY_OF]->(f:Facility) "
                       "WHERE n._row >= $lo AND n._row < $hi "
                       "RETURN n._row AS row, properties(n) AS p, {facility: f.id} AS ends"),
        # specifications: a capability or a certification points at its facility; a
        # requirement names a facility or a sector, so it is a plain row
        "capabilities": ("MATCH (n:Capability {dataset: $tag})-[:CAPABILITY_OF]->(f:Facility) "
                         "WHERE n._row >= $lo AND n._row < $hi "
                         "RETURN n._row AS row, properties(n) AS p, {facility: f.id} AS ends"),
        "requirements": ("MATCH (n:Requirement {dataset: $tag}) WHERE n._row >= $lo AND n._row < $hi "
                         "RETURN n._row AS row, properties(n) AS p, {} AS ends"),
        "certifications": ("MATCH (n:Certification {dataset: $tag})-[:CERTIFICATION_OF]->(f:Facility) "
                           "WHERE n._row >= $lo AND n._row < $hi "
                           "RETURN n._row AS row, properties(n) AS p, {facility: f.id} AS ends"),
    }

    def _read_records(self, kind: str, tag: str, page_size: int) -> list[dict]:
        count_query = {
            "facilities": "MATCH (n:Facility {dataset: $tag}) RETURN max(n._row) AS m",
            "links": "MATCH (:Facility {dataset: $tag})-[r:SUPPLIES]->() RETURN max(r._row) AS m",
            "owners": "MATCH (:Owner {dataset: $tag})-[r:HELD_BY]->() RETURN max(r._row) AS m",
            "demand": "MATCH (n:Demand {dataset: $tag}) RETURN max(n._row) AS m",
            "recipes": "MATCH (n:Recipe {dataset: $tag}) RETURN max(n._row) AS m",
            "materials": "MATCH (n:Material {dataset: $tag}) RETURN max(n._row) AS m",
            "capacities": "MATCH (n:Capacity {dataset: $tag}) RETURN max(n._row) AS m",
            "capabilities": "MATCH (n:Capability {dataset: $tag}) RETURN max(n._row) AS m",
            "requirements": "MATCH (n:Requirement {dataset: $tag}) RETURN max(n._row) AS m",
            "certifications": "MATCH (n:Certification {dataset: $tag}) RETURN max(n._row) AS m",
        }[kind]
        top = self.run(count_query, {"tag": tag}, what=f"reading {kind}")[0]["m"]
        if top is None:
            return []
        records: list[tuple[int, dict]] = []
        for lo in range(0, int(top) + 1, page_size):
            page = self.run(self._READ[kind], {"tag": tag, "lo": lo, "hi": lo + page_size},
                            what=f"reading {kind}")
            records += [(int(r["row"]), {**r["p"], **r["ends"]}) for r in page]
        # rows in file order; upserting a different network into a dataset can leave two
        # records with one row number: both are kept (an upsert never deletes)
        records.sort(key=lambda pair: (pair[0], str(sorted(pair[1].items()))))
        return [rec for _, rec in records]

    # --- Tier-N queries ---------------------------------------------------------------------
    def trace(self, facility: str, depth: int = 3,
              filters: TierFilter | Mapping[int, TierFilter] | Sequence[TierFilter] | None = None,
              *, dataset: str | None = None) -> pd.DataFrame:
        """Upstream suppliers of ``facility`` up to ``depth`` tiers, computed in the database.

        Paths are simple (no facility appears twice on one path, so a recycling loop is
        followed once around). A path upstream is kept only if every tier on it passes its
        filter; a tier's filter constrains only paths that reach that tier (a single
        :class:`TierFilter` applies to every tier; a mapping or list gives one per tier,
        tier 1 = direct suppliers). Returns one row per link on a kept path: ``tier``,
        ``supplier``, ``supplier_name``, ``supplier_stage``, ``supplier_country``,
        ``customer``, ``material``, ``volume``, ``status``, ``link_row`` (the link's row in
        links.csv, 0-based), sorted by tier and link row.
        """
        depth = int(depth)
        if not 1 <= depth <= 50:
            raise StoreError("depth must be between 1 and 50")
        tag = self._resolve(dataset)
        per_tier = _tier_filters(filters, depth)
        found = self.run("MATCH (t:Facility {dataset: $tag, id: $id}) RETURN count(t) AS n",
                         {"tag": tag, "id": facility}, what="finding the facility")
        if not found or found[0]["n"] == 0:
            raise NodeNotFound(f"unknown facility id '{facility}' in dataset '{tag}'")
        # depth is a validated int: the only value put into the query text
        query = (
            f"MATCH p = (:Facility)-[:SUPPLIES*1..{depth}]->(t:Facility {{dataset: $tag, id: $id}}) "
            "WITH p, length(p) AS n "
            # simple paths only (no facility twice), stated explicitly: servers differ
            "WHERE all(i IN range(0, n - 1) WHERE NOT nodes(p)[i] IN nodes(p)[i + 1..]) "
            "AND all(k IN range(1, n) WHERE "
            "  (size($f[k-1].countries) = 0 OR nodes(p)[n-k].country IN $f[k-1].countries) AND "
            "  (size($f[k-1].stages) = 0 OR nodes(p)[n-k].stage IN $f[k-1].stages) AND "
            "  (size($f[k-1].materials) = 0 OR relationships(p)[n-k].material IN $f[k-1].materials)) "
            "UNWIND range(1, n) AS k "
            "WITH k, nodes(p)[n-k] AS s, nodes(p)[n-k+1] AS c, relationships(p)[n-k] AS r "
            "RETURN DISTINCT k AS tier, s.id AS supplier, s.name AS supplier_name, "
            "s.stage AS supplier_stage, s.country AS supplier_country, c.id AS customer, "
            "r.material AS material, r.volume AS volume, "
            "r.status AS status, r._row AS link_row")
        rows = self.run(query, {"tag": tag, "id": facility, "f": per_tier},
                        what=f"tracing {facility}")
        columns = ["tier", "supplier", "supplier_name", "supplier_stage", "supplier_country",
                   "customer", "material", "volume", "status", "link_row"]
        frame = pd.DataFrame(rows, columns=columns)
        if len(frame):
            frame = frame.sort_values(["tier", "link_row"], kind="stable").reset_index(drop=True)
        return frame

    def exposure(self, country: str = "CN", stage: str = "separator", *,
                 dataset: str | None = None, iterations: int | None = None) -> pd.DataFrame:
        """Tier-N exposure of every facility to ``stage`` facilities in ``country``, in Cypher.

        ``share``: e(v) = sum_u s(v,u) e(u) with s(v,u) = volume(u->v) / inbound volume of
        v (links with volume > 0, all materials), and e fixed at the origin stage: 1 for a
        ``stage`` facility located in ``country``, 0 for other ``stage`` facilities (the
        definition of :func:`graphmodel.exposure.exposure`, basis ``location``).
        ``unknown``: 1 - the share that traces to any ``stage`` facility. Solved in one
        query by ``iterations`` Jacobi steps (default: facility count + 50; exact on acyclic
        networks once the count exceeds the longest path, and converging geometrically
        through recycling loops, which always leak); if the last step still moved a share
        by more than 1e-12, :class:`~graphmodel.errors.ConvergenceError` asks for more.
        Returns ``id``, ``name``, ``stage``, ``country``, ``share``, ``unknown`` in
        facility row order. Meant for networks up to a few thousand facilities (one query
        holds the whole share structure in lists; 1,000 facilities take about 20 s here).
        """
        if stage not in ALL_STAGES:
            raise StoreError(f"unknown stage '{stage}' (expected one of {', '.join(ALL_STAGES)})")
        tag = self._resolve(dataset)
        if iterations is None:
            n = self.run("MATCH (f:Facility {dataset: $tag}) RETURN count(f) AS n", {"tag": tag},
                         what="counting facilities")[0]["n"]
            iterations = int(n) + 50
        # No pattern comprehension inside a list comprehension: FalkorDB 4.18 ignores the
        # comprehension variable there and returns every match for every element.
        query = """
MATCH (f:Facility {dataset: $tag})
WITH collect(f.id) AS ids, collect(f._row) AS rowno, collect(f.stage = $stage) AS origin,
     collect(CASE WHEN f.stage = $stage AND f.country = $country THEN 1.0 ELSE 0.0 END) AS hit,
     collect(CASE WHEN f.stage = $stage THEN 1.0 ELSE 0.0 END) AS base
OPTIONAL MATCH (u:Facility {dataset: $tag})-[r:SUPPLIES]->(v:Facility)
WHERE r.volume > 0
WITH ids, rowno, origin, hit, base, collect(CASE WHEN r IS NULL THEN NULL ELSE [u.id, v.id, r.volume] END) AS edges
WITH ids, rowno, origin, hit, base, edges, size(ids) AS n
WITH ids, rowno, origin, hit, base, n,
     [i IN range(0, n - 1) | [e IN edges WHERE e[1] = ids[i] |
        [head([j IN range(0, n - 1) WHERE ids[j] = e[0]]), e[2]]]] AS inl
WITH ids, rowno, origin, hit, base, n, inl,
     [l IN inl | reduce(t = 0.0, e IN l | t + e[1])] AS inb
WITH ids, rowno, n, origin, hit, base, inl, inb,
     reduce(x = hit, it IN range(1, $iterations - 1) | [i IN range(0, n - 1) |
        CASE WHEN origin[i] THEN hit[i] WHEN inb[i] = 0 THEN 0.0
             ELSE reduce(s = 0.0, e IN inl[i] | s + e[1] * x[e[0]]) / inb[i] END]) AS share0,
     reduce(x = base, it IN range(1, $iterations - 1) | [i IN range(0, n - 1) |
        CASE WHEN origin[i] THEN base[i] WHEN inb[i] = 0 THEN 0.0
             ELSE reduce(s = 0.0, e IN inl[i] | s + e[1] * x[e[0]]) / inb[i] END]) AS traced0
WITH ids, rowno, n, share0, traced0,
     [i IN range(0, n - 1) | CASE WHEN origin[i] THEN hit[i] WHEN inb[i] = 0 THEN 0.0
        ELSE reduce(s = 0.0, e IN inl[i] | s + e[1] * share0[e[0]]) / inb[i] END] AS share,
     [i IN range(0, n - 1) | CASE WHEN origin[i] THEN base[i] WHEN inb[i] = 0 THEN 0.0
        ELSE reduce(s = 0.0, e IN inl[i] | s + e[1] * traced0[e[0]]) / inb[i] END] AS traced
WITH ids, rowno, n, share, traced,
     reduce(m = 0.0, i IN range(0, n - 1) | CASE
        WHEN abs(share[i] - share0[i]) > m THEN abs(share[i] - share0[i]) ELSE m END) AS ds,
     reduce(m = 0.0, i IN range(0, n - 1) | CASE
        WHEN abs(traced[i] - traced0[i]) > m THEN abs(traced[i] - traced0[i]) ELSE m END) AS dt
UNWIND range(0, n - 1) AS i
RETURN ids[i] AS id, rowno[i] AS row, share[i] AS share, 1.0 - traced[i] AS unknown,
       CASE WHEN ds > dt THEN ds ELSE dt END AS last_change
"""
        rows = self.run(query, {"tag": tag, "stage": stage, "country": country,
                                "iterations": max(2, int(iterations))},
                        what="computing exposure")
        if rows and rows[0]["last_change"] > CONVERGED:
            raise ConvergenceError(
                f"exposure had not converged after {iterations} steps in the database (last "
                f"step changed a share by {rows[0]['last_change']:.2g}); raise --iterations")
        names = {r["id"]: r for r in self._facility_labels(tag)}
        frame = pd.DataFrame([{k: r[k] for k in ("id", "row", "share", "unknown")} for r in rows],
                             columns=["id", "row", "share", "unknown"])
        frame = frame.sort_values("row", kind="stable").drop(columns="row")
        for col in ("name", "stage", "country"):
            frame.insert(len(frame.columns) - 2, col, frame["id"].map(lambda i: names[i][col]))
        return frame.reset_index(drop=True)

    def _facility_labels(self, tag: str) -> list[dict]:
        out = []
        top = self.run("MATCH (n:Facility {dataset: $tag}) RETURN max(n._row) AS m", {"tag": tag},
                       what="reading facilities")[0]["m"]
        for lo in range(0, int(top or -1) + 1, PAGE_SIZE):
            out += self.run("MATCH (n:Facility {dataset: $tag}) WHERE n._row >= $lo AND n._row < $hi "
                            "RETURN n.id AS id, n.name AS name, n.stage AS stage, "
                            "n.country AS country", {"tag": tag, "lo": lo, "hi": lo + PAGE_SIZE},
                            what="reading facilities")
        return out

    def status(self) -> dict:
        """Server, current dataset and node counts (for ``tiern neo4j status``)."""
        self.connect()
        info = self._driver.get_server_info()
        datasets = self.datasets()
        return {"server": self.settings.where, "agent": info.agent,
                "protocol": ".".join(map(str, info.protocol_version)),
                "dialect": self.settings.dialect, "current": self.current_tag(),
                "datasets": datasets}


# ------------------------------------------------------------------------------------ upsert
#: The key of each record kind: a row of the new network replaces the stored row with the
#: same key (an empty key cell matches an empty one).
UPSERT_KEYS = {
    "facilities": ["id"], "links": ["supplier", "customer", "material"],
    "owners": ["owner", "parent"], "demand": ["facility"],
    "recipes": ["stage", "facility", "output", "input", "group"], "materials": ["material"],
    "capacities": ["facility", "material"],
}


def upsert_network(base: Network, new: Network) -> Network:
    """``base`` with each row of ``new`` replacing the row with the same key, or added.

    A replaced row takes the new row's cells for every column the new network has, so a
    cell emptied in the new row is cleared; columns only ``base`` has keep their values;
    rows only ``base`` has are kept (an upsert never deletes). Rows are matched by key
    (:data:`UPSERT_KEYS`), never by position. The result is validated like a file.
    """
    old_frames, new_frames = base.to_frames(), new.to_frames()
    merged = {}
    for kind in KINDS:
        old, fresh = old_frames.get(kind), new_frames.get(kind)
        if fresh is None or not len(fresh):
            merged[kind] = old
            continue
        if old is None or not len(old):
            merged[kind] = fresh
            continue
        key = UPSERT_KEYS[kind]
        old_keys, new_keys = _key_index(old, key), _key_index(fresh, key)
        columns = list(dict.fromkeys([*old.columns, *fresh.columns]))
        out = old.reindex(columns=columns).astype(object)
        known = new_keys.isin(old_keys)
        where = old_keys.get_indexer(new_keys[known])
        out.iloc[where, [columns.index(c) for c in fresh.columns]] = \
            fresh[known].astype(object).to_numpy()
        merged[kind] = pd.concat([out, fresh[~known].reindex(columns=columns).astype(object)],
                                 ignore_index=True)
    frames = {k: v for k, v in merged.items()
              if v is not None and (k in ("facilities", "links") or len(v))}
    with tempfile.TemporaryDirectory(prefix="tiern-upsert-") as tmp:
        write_tables(frames, Path(tmp) / "net")
        tables = read_tables(Path(tmp) / "net")
    return Network(**tables, name=new.name)


def _key_index(frame: pd.DataFrame, key: list[str]) -> pd.MultiIndex:
    values = frame.reindex(columns=key).astype(object)
    return pd.MultiIndex.from_frame(values.where(values.notna(), "").astype(str))


# ----------------------------------------------------------------------------- the load plan
@dataclass
class _Step:
    what: str
    query: str


@dataclass
class _Plan:
    tables: dict[str, pd.DataFrame]
    dataset_props: dict
    steps: list[tuple[_Step, list[dict]]]


def _plan(net: Network) -> _Plan:
    """Every write of a push: (query, rows) in dependency order, plus dataset metadata."""
    tables = net.to_frames()
    dataset_props: dict[str, Any] = {}
    keymaps: dict[str, dict[str, str]] = {}
    floats: dict[str, set[str]] = {}
    for kind, frame in tables.items():
        keys = _property_keys(frame.columns)
        keymaps[kind] = dict(zip(frame.columns, keys))
        floats[kind] = {c for c in frame.columns if pd.api.types.is_float_dtype(frame[c].dtype)}
        dataset_props[f"columns_{kind}"] = [str(c) for c in frame.columns]
        dataset_props[f"keys_{kind}"] = keys
        dataset_props[f"floats_{kind}"] = sorted(floats[kind])

    def props(kind: str, record: dict, skip: Iterable[str]) -> dict:
        """``{"props": {...}, "f": {key: [m, e]}}``: plain values, and floats as exact pairs."""
        out, exact = {}, {}
        for col, value in record.items():
            if col in skip:
                continue
            value = _plain(value)
            key = keymaps[kind][col]
            if col in floats[kind]:
                exact[key] = None if value is None else _float_pair(float(value))
            elif value is not None:
                out[key] = value
        return {"props": out, "f": exact}

    def float_sets(kind: str, var: str) -> str:
        # keys are sanitised identifiers (see _property_keys), never raw data
        return "".join(f" SET {var}.`{keymaps[kind][c]}` = r.f.`{keymaps[kind][c]}`[0] * "
                       f"2.0 ^ r.f.`{keymaps[kind][c]}`[1]" for c in sorted(floats[kind])
                       if c in keymaps[kind])

    steps: list[tuple[_Step, list[dict]]] = []
    fac = tables["facilities"]
    fac_records = fac.to_dict("records")
    for stage, label in STAGE_LABELS.items():
        rows = [{"id": rec["id"], **_with_row(props("facilities", rec, ("id",)), i)}
                for i, rec in enumerate(fac_records) if rec["stage"] == stage]
        if rows:
            others = ":".join(v for k, v in STAGE_LABELS.items() if k != stage)
            steps.append((_Step(f"{label} facilities",
                                "UNWIND $rows AS r MERGE (f:Facility {dataset: $tag, id: r.id}) "
                                "SET f += r.props" + float_sets("facilities", "f")
                                + f" SET f:{label} REMOVE f:{others}"), rows))
    countries = sorted({c for c in fac["country"].dropna()}
                       | {c for c in tables["owners"].get("country", pd.Series(dtype=object)).dropna()})
    steps.append((_Step("countries", "UNWIND $rows AS r MERGE (:Country {dataset: $tag, code: r.code})"),
                  [{"code": c} for c in countries]))
    steps.append((_Step("facility locations",
                        "UNWIND $rows AS r MATCH (f:Facility {dataset: $tag, id: r.id}) "
                        "MATCH (c:Country {dataset: $tag, code: r.country}) "
                        "MERGE (f)-[:LOCATED_IN {dataset: $tag}]->(c)"),
                  [{"id": rec["id"], "country": rec["country"]} for rec in fac_records]))
    owners = tables["owners"]
    owner_records = owners.to_dict("records")
    names = sorted({o for o in fac["owner"].dropna()}
                   | {o for o in owners.get("owner", pd.Series(dtype=object)).dropna()}
                   | {p for p in owners.get("parent", pd.Series(dtype=object)).dropna() if p})
    steps.append((_Step("owners", "UNWIND $rows AS r MERGE (:Owner {dataset: $tag, name: r.name})"),
                  [{"name": n} for n in names]))
    steps.append((_Step("facility owners",
                        "UNWIND $rows AS r MATCH (f:Facility {dataset: $tag, id: r.id}) "
                        "MATCH (o:Owner {dataset: $tag, name: r.owner}) "
                        "MERGE (f)-[:OWNED_BY {dataset: $tag}]->(o)"),
                  [{"id": rec["id"], "owner": rec["owner"]} for rec in fac_records
                   if _plain(rec.get("owner")) is not None]))
    held = []
    for i, rec in enumerate(owner_records):
        parent = _plain(rec.get("parent")) or rec["owner"]
        held.append({"owner": rec["owner"], "parent": parent, "country": _plain(rec.get("country")),
                     **_with_row(props("owners", rec, ("owner",)), i)})
    steps.append((_Step("ownership stakes",
                        "UNWIND $rows AS r MATCH (o:Owner {dataset: $tag, name: r.owner}) "
                        "MATCH (p:Owner {dataset: $tag, name: r.parent}) "
                        "MERGE (o)-[h:HELD_BY {dataset: $tag, _row: r.props._row}]->(p) "
                        "SET h += r.props" + float_sets("owners", "h") + " "
                        "WITH p, r MATCH (c:Country {dataset: $tag, code: r.country}) "
                        "MERGE (p)-[:BASED_IN {dataset: $tag}]->(c)"), held))
    steps.append((_Step("demand",
                        "UNWIND $rows AS r MATCH (f:Facility {dataset: $tag, id: r.facility}) "
                        "MERGE (d:Demand {dataset: $tag, _row: r.props._row}) SET d += r.props"
                        + float_sets("demand", "d") + " MERGE (d)-[:DEMAND_OF {dataset: $tag}]->(f)"),
                  [{"facility": rec["facility"], **_with_row(props("demand", rec, ("facility",)), i)}
                   for i, rec in enumerate(tables["demand"].to_dict("records"))]))
    steps.append((_Step("links",
                        "UNWIND $rows AS r MATCH (s:Facility {dataset: $tag, id: r.supplier}) "
                        "MATCH (c:Facility {dataset: $tag, id: r.customer}) "
                        "MERGE (s)-[l:SUPPLIES {dataset: $tag, _row: r.props._row}]->(c) "
                        "SET l += r.props" + float_sets("links", "l")),
                  [{"supplier": rec["supplier"], "customer": rec["customer"],
                    **_with_row(props("links", rec, ("supplier", "customer")), i)}
                   for i, rec in enumerate(tables["links"].to_dict("records"))]))
    for kind, label in (("recipes", "Recipe"), ("materials", "Material"),
                        ("requirements", "Requirement")):
        steps.append((_Step(kind, f"UNWIND $rows AS r MERGE (n:{label} {{dataset: $tag, _row: r.props._row}}) "
                                  "SET n += r.props" + float_sets(kind, "n")),
                      [_with_row(props(kind, rec, ()), i)
                       for i, rec in enumerate(tables[kind].to_dict("records"))]))
    steps.append((_Step("capacities",
                        "UNWIND $rows AS r MATCH (f:Facility {dataset: $tag, id: r.facility}) "
                        "MERGE (n:Capacity {dataset: $tag, _row: r.props._row}) SET n += r.props"
                        + float_sets("capacities", "n")
                        + " MERGE (n)-[:CAPACITY_OF {dataset: $tag}]->(f)"),
                  [{"facility": rec["facility"], **_with_row(props("capacities", rec, ("facility",)), i)}
                   for i, rec in enumerate(tables["capacities"].to_dict("records"))]))
    for kind, label, rel in (("capabilities", "Capability", "CAPABILITY_OF"),
                             ("certifications", "Certification", "CERTIFICATION_OF")):
        steps.append((_Step(kind,
                            "UNWIND $rows AS r MATCH (f:Facility {dataset: $tag, id: r.facility}) "
                            f"MERGE (n:{label} {{dataset: $tag, _row: r.props._row}}) SET n += r.props"
                            + float_sets(kind, "n") + f" MERGE (n)-[:{rel} {{dataset: $tag}}]->(f)"),
                      [{"facility": rec["facility"], **_with_row(props(kind, rec, ("facility",)), i)}
                       for i, rec in enumerate(tables[kind].to_dict("records"))]))
    steps = [(s, rows) for s, rows in steps if rows]
    return _Plan(tables=tables, dataset_props=dataset_props, steps=steps)


_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _property_keys(columns: Iterable) -> list[str]:
    """A property key per column: the name itself if it is a plain identifier (and not
    one of the store's own names), else a sanitised unique one."""
    keys, used = [], set()
    for col in map(str, columns):
        key = col
        if not _IDENT.match(key) or (key in RESERVED and key not in ("id", "name")):
            key = "x_" + re.sub(r"[^A-Za-z0-9_]", "_", col).strip("_")
        base, n = key, 2
        while key in used:
            key, n = f"{base}_{n}", n + 1
        used.add(key)
        keys.append(key)
    return keys


def _plain(value):
    """A driver-friendly Python value: None for missing, numpy scalars unwrapped."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and math.isinf(value):
        return value
    return value


def _float_pair(value: float) -> list[int]:
    """``[m, e]`` with ``value == m * 2**e`` exactly (integers survive any Bolt server)."""
    mantissa, exponent = math.frexp(value)
    m, e = int(mantissa * 2 ** 53), exponent - 53
    if m:  # drop trailing zero bits, so 2^e stays representable for subnormal values
        zeros = (m & -m).bit_length() - 1
        m, e = m >> zeros, e + zeros
    return [m, e]


def _with_row(parts: dict, row: int) -> dict:
    return {"props": {**parts["props"], "_row": row}, "f": parts["f"]}


def _to_text(record: dict, column: str, key: str, is_float: bool) -> str:
    """A stored value as interchange-format text."""
    value = record.get(key)
    if is_float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return ";".join(map(str, value))
    return str(value)


def _tier_filters(filters, depth: int) -> list[dict]:
    if filters is None:
        per = [TierFilter()] * depth
    elif isinstance(filters, TierFilter):
        per = [filters] * depth
    elif isinstance(filters, Mapping):
        bad = [k for k in filters if not 1 <= int(k) <= depth]
        if bad:
            raise StoreError(f"filter for tier {bad[0]} is beyond depth {depth}")
        per = [filters.get(k, TierFilter()) for k in range(1, depth + 1)]
    else:
        per = list(filters) + [TierFilter()] * (depth - len(filters))
    return [f.as_param() for f in per[:depth]]


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def _first_line(error: BaseException) -> str:
    """The first line of a driver error, with any credentials in it scrubbed."""
    text = scrub_credentials(str(error)).strip().splitlines()
    return text[0] if text else type(error).__name__


def _strip_userinfo(uri: str) -> str:
    return scrub_credentials(uri).replace("***@", "")


def _quiet_driver_logs() -> None:
    """Keep the driver's own log lines (e.g. on a dropped connection) off stderr: the
    errors reach the user once, as tiern's message."""
    logger = logging.getLogger("neo4j")
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())


def _clear_falkordb_stall(uri: str, timeout: float = 0.5) -> None:
    """Open and close one raw Bolt handshake, releasing a handshake FalkorDB left pending.

    FalkorDB 4.18 leaves the next handshake unanswered after a client that ran queries
    disconnects; closing that unanswered socket releases the listener. Harmless otherwise.
    """
    parts = urlsplit(uri)
    host, port = parts.hostname or "localhost", parts.port or 7687
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(b"\x60\x60\xb0\x17" + bytes([0, 8, 8, 5]) + bytes(12))
            sock.recv(4)
    except OSError:
        pass
