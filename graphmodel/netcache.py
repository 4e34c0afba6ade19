"""A content-addressed cache of validated networks, so that repeat command lines skip reading
and validating the CSV files (about 0.9 s of CPU at 100,000 facilities, against 0.15 s to hash
the files and read the cached tables back).

Key
    ``SHA-256(loader fingerprint, every input file's name and bytes, or that it is absent)``:
    for a folder, each ``<kind>.csv`` the loader reads (:data:`~graphmodel.schema.KINDS`,
    optional files included, absence included); for a workbook, its bytes. The loader
    fingerprint is the cache format, tiern's version, the versions of Python, numpy, pandas,
    pyarrow, pandera and pycountry, and the bytes of the modules and schema tables that decide
    what a validated table is (:data:`LOADER_SOURCES`). Any edit to any input, any upgrade or
    any change of the validation code therefore misses the cache. Hashing 34 MB of CSV costs
    about 0.06 s of CPU; reading and validating it about 0.9 s.

Entry
    A directory ``<key>/`` in the cache directory (:func:`graphmodel.settings.cache_dir`)
    holding one Arrow IPC file per record table (``<kind>.arrow``, zstd-compressed, with
    pandas' metadata, so dtypes, the ``id`` index and missing values come back as they were:
    ``str`` cells stay text, ``NA`` stays Namibia, ``Int64`` keeps ``<NA>``) and
    ``meta.json``: the key, the SHA-256 of each Arrow file, each column's dtype, the content
    hash ``tiern validate`` prints, and the warnings the validation raised (replayed on every
    cached load, so a cached load shows what a fresh one shows). No pickle: a cache
    directory is not trusted to run code, and nothing in an entry is executed.

Safety
    * A folder's tables are validated from the very bytes that were hashed (the loader reads
      them from memory), so an entry always holds what its key names; a workbook is hashed
      again after it is read and stored only if unchanged.
    * An entry is written to a temporary directory, read back and compared with the fresh
      tables (values, dtypes, index), then renamed into place (``os.replace``): readers never
      see half an entry, and a table that would not come back equal is never cached.
    * A missing, unreadable, truncated or altered entry (checksum, key, table set or dtype
      mismatch) is ignored and the network is read in full: never an error, never wrong data.
    * A network that fails validation is never cached (the error is raised as before).
    * The cache directory is made private to the user (mode 0700): the checksums detect a
      damaged entry, not one forged by someone who can write there and read the inputs.
    * The cache is bounded: at most :data:`MAX_ENTRIES` entries and :data:`MAX_BYTES` bytes,
      least recently used evicted first (a hit touches its entry).

``TIERN_CACHE=0`` turns the cache off; ``TIERN_CACHE_DIR`` moves it (see
:mod:`graphmodel.settings`). The library's :func:`graphmodel.load_network` never uses it;
the command line does (:func:`load_network_cached`).
"""
from __future__ import annotations

import builtins
import hashlib
import importlib.util
import json
import os
import re
import secrets
import shutil
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.ipc as ipc

from . import __version__
from .io import read_tables
from .network import Network
from .schema import KINDS
from .settings import bundled_data_path, cache_dir, cache_enabled

__all__ = ["load_network_cached", "input_key", "LOADER_SOURCES", "MAX_ENTRIES", "MAX_BYTES"]

#: Version of the entry layout below; bump it when the layout changes.
FORMAT = 1
#: Most entries kept (the least recently used beyond it are evicted).
MAX_ENTRIES = 8
#: Most bytes kept over all entries (the newest entry is kept even if larger).
MAX_BYTES = 1024 ** 3
#: Temporary directories older than this (seconds) are left-overs of a killed writer.
_STALE_SECONDS = 3600

_PACKAGE = Path(__file__).resolve().parent
#: Files, relative to the package, whose bytes decide what a validated table is.
LOADER_SOURCES = ("io/*.py", "_schema/*.csv", "schema.py", "grades.py", "lookup.py", "limits.py",
                  "output.py", "errors.py", "network.py", "netcache.py")
_LIBRARIES = ("pandera", "pycountry")   # used by validation but not imported on a cached load


def load_network_cached(path: str | Path | None = None) -> Network:
    """:func:`graphmodel.load_network`, through the cache when it is enabled.

    Equal to a fresh load in every table (values, dtypes, index), in ``name``, ``path`` and
    ``hash``, and in the warnings shown; raises what a fresh load raises.
    """
    path = Path(path) if path is not None else bundled_data_path()
    if not cache_enabled():
        return Network.from_path(path)
    inputs = _read_inputs(path)
    if inputs is None:  # not a network tiern can cache (or unreadable): the loader says why
        return Network.from_path(path)
    key, contents = inputs
    root = cache_dir()
    cached = _read_entry(root / key, key)
    if cached is not None:
        frames, meta = cached
        _replay(meta["warnings"])
        net = Network.from_tables(frames, path)
        # cached_property keeps its value in the instance dict: the hash stored with (and
        # computed from) these very tables, which `tiern validate` prints
        net.__dict__["hash"] = meta["hash"]
        return net
    if (root / key).exists():
        shutil.rmtree(root / key, ignore_errors=True)   # broken: replaced below
    net, recorded = _load_recording_warnings(path, contents)
    if contents is not None or _same_inputs(path, key):
        _write_entry(root, key, net, recorded)
    _replay(recorded)
    return net


def _load_recording_warnings(path: Path, contents: dict | None) -> tuple[Network, list[dict]]:
    """A full load, and the warnings it raised as JSON records (not yet shown: the caller
    replays them, so that a fresh and a cached load show them the same way)."""
    recorded: list[dict] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")   # record every warning; the replay filters them
            try:
                tables = read_tables(path, contents=contents)
            finally:
                recorded = [_warning_record(w) for w in caught]
    except BaseException:
        _replay(recorded)   # a failed load shows its warnings too, then its error
        raise
    return Network.from_tables(tables, path), recorded


# --- the key --------------------------------------------------------------------------------

def input_key(path: Path) -> str | None:
    """The cache key of the network at ``path`` (None when it cannot be cached)."""
    inputs = _read_inputs(path)
    return inputs[0] if inputs is not None else None


def _read_inputs(path: Path) -> tuple[str, dict[str, bytes | None] | None] | None:
    """(key, the folder's file contents by kind, or None for a workbook), or None when the
    path is neither a folder nor a workbook, or a file cannot be read."""
    digest = hashlib.sha256(_fingerprint())
    try:
        if path.is_dir():
            contents: dict[str, bytes | None] = {}
            for kind in KINDS:
                file = path / f"{kind}.csv"
                contents[kind] = file.read_bytes() if file.exists() else None
            for kind, data in contents.items():
                _update(digest, f"{kind}.csv", data)
            return digest.hexdigest(), contents
        if path.is_file() and path.suffix.lower() in (".xlsx", ".xlsm"):
            _update(digest, "workbook", path.read_bytes())
            return digest.hexdigest(), None
    except OSError:
        return None
    return None


def _update(digest, label: str, data: bytes | None) -> None:
    """Feed one file into the key: its label, then absent or its length and bytes (the length
    keeps file boundaries unambiguous)."""
    digest.update(label.encode() + b"\0")
    digest.update(b"absent\0" if data is None else f"{len(data)}\0".encode() + data)


def _same_inputs(path: Path, key: str) -> bool:
    """The workbook still hashes to ``key`` after it was read (it did not change meanwhile)."""
    inputs = _read_inputs(path)
    return inputs is not None and inputs[0] == key


_FINGERPRINT: bytes | None = None


def _fingerprint() -> bytes:
    """What besides the inputs decides the validated tables: format, versions, loader code."""
    global _FINGERPRINT
    if _FINGERPRINT is None:
        digest = hashlib.sha256()
        versions = [f"format {FORMAT}", f"tiern {__version__}", f"python {sys.version}",
                    f"numpy {np.__version__}", f"pandas {pd.__version__}",
                    f"pyarrow {pa.__version__}", *map(_distribution, _LIBRARIES)]
        digest.update("\n".join(versions).encode())
        for pattern in LOADER_SOURCES:
            for file in sorted(_PACKAGE.glob(pattern)):
                _update(digest, file.relative_to(_PACKAGE).as_posix(), file.read_bytes())
        _FINGERPRINT = digest.digest()
    return _FINGERPRINT


def _distribution(name: str) -> str:
    """``name``'s installed version, read from its ``dist-info`` folder name without
    importing it (``importlib.metadata.version`` scans every installed package: ~20 ms)."""
    spec = importlib.util.find_spec(name)
    if spec is not None and spec.origin:
        site = Path(spec.origin).parent.parent
        found = sorted(p.name for p in site.glob(f"{name}-*.dist-info"))
        if found:
            return " ".join(found)
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415 (rare path)

    try:
        return f"{name} {version(name)}"
    except PackageNotFoundError:
        return f"{name} absent"


# --- reading an entry -------------------------------------------------------------------------

def _read_entry(entry: Path, key: str) -> tuple[dict[str, pd.DataFrame], dict] | None:
    """The tables and metadata of an entry, or None if there is none or it does not check out.

    Every failure means "no usable entry": the directory is not trusted, so a truncated file,
    a checksum or dtype mismatch or malformed JSON all fall back to a full load.
    """
    try:
        meta = json.loads((entry / "meta.json").read_text(encoding="utf-8"))
        if meta.pop("check", None) != _check(meta) or meta["format"] != FORMAT \
                or meta["key"] != key or set(meta["tables"]) != set(KINDS):
            return None
        frames = {}
        for kind in KINDS:
            info = meta["tables"][kind]
            data = (entry / f"{kind}.arrow").read_bytes()
            if hashlib.sha256(data).hexdigest() != info["sha256"]:
                return None
            frame = _from_arrow(data)
            if _dtypes(frame) != info["dtypes"]:
                return None
            frames[kind] = frame
        if not _HASH.fullmatch(meta["hash"]) or not all(map(_is_warning, meta["warnings"])):
            return None
    except Exception:  # noqa: BLE001 (an untrusted entry: any failure means "not cached")
        return None
    try:
        os.utime(entry)   # most recently used (eviction keeps it longest)
    except OSError:
        pass
    return frames, meta


_HASH = re.compile(r"[0-9a-f]{16}")   # the form of Network.hash


def _is_warning(record) -> bool:
    """A warning record as :func:`_warning_record` writes it (so replaying it cannot fail)."""
    if not isinstance(record, dict):
        return False
    texts = [record.get(field) for field in ("category", "message", "filename")]
    return (all(isinstance(text, str) for text in texts) and type(record.get("lineno")) is int
            and (record.get("module") is None or isinstance(record["module"], str)))


def _check(meta: dict) -> str:
    """SHA-256 of the metadata itself (the content hash and warnings it carries are shown
    as they are, so an altered ``meta.json`` must not pass)."""
    return hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest()


def _from_arrow(data: bytes) -> pd.DataFrame:
    return ipc.open_file(pa.py_buffer(data)).read_all().to_pandas()


def _dtypes(frame: pd.DataFrame) -> dict:
    """Each column's dtype, the index's kind, name and dtype, and the column labels' dtype,
    as text, in order."""
    return {"index": [type(frame.index).__name__, str(frame.index.name), str(frame.index.dtype)],
            "labels": str(frame.columns.dtype),
            "columns": [[str(c), str(t)] for c, t in frame.dtypes.items()]}


# --- writing an entry -------------------------------------------------------------------------

def _write_entry(root: Path, key: str, net: Network, recorded: list[dict]) -> None:
    """Store ``net``'s tables under ``key``; silently gives up on any file-system error."""
    tables = {kind: getattr(net, kind) for kind in KINDS}   # the record tables, as validated
    temporary = root / f".tmp-{key[:16]}-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        root.mkdir(mode=0o700, parents=True, exist_ok=True)   # the user's data: theirs alone
        temporary.mkdir()
        meta = {"format": FORMAT, "key": key, "tiern": __version__, "hash": net.hash,
                "warnings": recorded, "tables": {}}
        for kind, frame in tables.items():
            data = _to_arrow(frame)
            back = _from_arrow(data)
            if not _equal(frame, back):
                return   # would not come back equal: never cache it
            (temporary / f"{kind}.arrow").write_bytes(data)
            meta["tables"][kind] = {"sha256": hashlib.sha256(data).hexdigest(),
                                    "dtypes": _dtypes(frame), "rows": len(frame)}
        meta["check"] = _check(meta)
        (temporary / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
        try:
            os.replace(temporary, root / key)
        except OSError:
            return   # another process stored the same key first (its entry is equal)
        _evict(root, keep=key)
    except (OSError, pa.ArrowException, ValueError, TypeError):
        return   # a full disk or a read-only cache never fails the command
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def _to_arrow(frame: pd.DataFrame) -> bytes:
    table = pa.Table.from_pandas(frame)   # a RangeIndex as metadata, any other as a column
    sink = pa.BufferOutputStream()
    options = ipc.IpcWriteOptions(compression="zstd")
    with ipc.new_file(sink, table.schema, options=options) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _equal(frame: pd.DataFrame, back: pd.DataFrame) -> bool:
    """The same columns, dtypes, index (values, dtype, name) and values (missing where
    missing)."""
    return (_dtypes(frame) == _dtypes(back) and list(frame.columns) == list(back.columns)
            and frame.index.equals(back.index) and frame.equals(back)
            and frame.attrs == back.attrs)


def _evict(root: Path, keep: str) -> None:
    """Remove the least recently used entries beyond :data:`MAX_ENTRIES` or :data:`MAX_BYTES`
    (never ``keep``), and temporary directories left by a killed writer."""
    now = time.time()
    entries = []
    for child in root.iterdir():
        try:
            stat = child.stat()
            if child.name.startswith(".tmp-"):
                if now - stat.st_mtime > _STALE_SECONDS:
                    shutil.rmtree(child, ignore_errors=True)
                continue
            if not child.is_dir() or not (child / "meta.json").exists():
                continue   # not ours: leave it alone
            size = sum(f.stat().st_size for f in child.iterdir())
        except OSError:
            continue
        entries.append((child.name == keep, stat.st_mtime, size, child))
    entries.sort(key=lambda e: (e[0], e[1]), reverse=True)   # the new entry, then newest first
    total = 0
    for position, (_, _, size, child) in enumerate(entries):
        total += size
        if position > 0 and (position >= MAX_ENTRIES or total > MAX_BYTES):
            shutil.rmtree(child, ignore_errors=True)


# --- warnings -----------------------------------------------------------------------------------

def _warning_record(caught: warnings.WarningMessage) -> dict:
    """A warning as JSON: its class's name, text, and where it was issued (file, line and the
    module's name, which filters such as ``ignore::FutureWarning:pandas`` match)."""
    module = next((name for name, loaded in list(sys.modules.items())
                   if getattr(loaded, "__file__", None) == caught.filename), None)
    return {"category": caught.category.__name__, "message": str(caught.message),
            "filename": caught.filename, "lineno": caught.lineno, "module": module}


def _replay(recorded: list[dict]) -> None:
    """Issue recorded warnings again, through the warning filters in force (so a cached load
    shows exactly what a fresh one shows, and ``-W error`` still raises)."""
    registry: dict = {}   # one load's registry: each load shows its warnings, as a fresh one does
    for record in recorded:
        module = record.get("module")
        warnings.warn_explicit(str(record["message"]), _category(str(record["category"])),
                               str(record["filename"]), int(record["lineno"]),
                               module=str(module) if module else None, registry=registry)


def _category(name: str) -> type[Warning]:
    """A built-in or pandas warning class by name (an entry names, never defines, its class);
    ``UserWarning`` for any other name."""
    for namespace in (builtins, pd.errors):
        found = getattr(namespace, name, None)
        if isinstance(found, type) and issubclass(found, Warning):
            return found
    return UserWarning
