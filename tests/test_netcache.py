"""The cache of validated networks (graphmodel.netcache): a cached load equals a fresh one in
every table, in its name, hash and warnings; any change of an input misses; a broken entry
falls back to a full load; the command line prints the same with and without the cache."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

from graphmodel import netcache
from graphmodel.errors import ValidationError
from graphmodel.generate import GeneratorSettings, generate_tables, looped_share
from graphmodel.io import write_tables
from graphmodel.network import Network
from graphmodel.schema import KINDS
from graphmodel.settings import bundled_data_path


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """An empty cache directory, enabled."""
    root = tmp_path / "cache"
    monkeypatch.setenv("TIERN_CACHE_DIR", str(root))
    monkeypatch.delenv("TIERN_CACHE", raising=False)
    return root


@pytest.fixture
def loads(monkeypatch) -> list[Path]:
    """The paths validated in full (a cached load validates nothing)."""
    seen: list[Path] = []
    real = netcache.read_tables

    def counting(path, contents=None):
        seen.append(Path(path))
        return real(path, contents=contents)

    monkeypatch.setattr(netcache, "read_tables", counting)
    return seen


@pytest.fixture(scope="module")
def looped(tmp_path_factory) -> Path:
    """A generated network with a fifth of its facilities in recycling loops."""
    folder = tmp_path_factory.mktemp("looped") / "net"
    tables = generate_tables(GeneratorSettings(n_facilities=1500, seed=3, loop_share=0.2))
    assert looped_share(tables) > 0.1   # the loops the test is about are there
    write_tables(tables, folder)
    return folder


def assert_same_network(cached: Network, fresh: Network) -> None:
    """Every table equal in values, missing cells, dtypes and index; same name, path, hash."""
    for kind in KINDS:
        mine, theirs = getattr(cached, kind), getattr(fresh, kind)
        pd.testing.assert_frame_equal(mine, theirs, check_exact=True, check_index_type=True,
                                      check_column_type=True, check_flags=True)
        assert type(mine.index) is type(theirs.index), kind
        assert list(mine.dtypes.astype(str)) == list(theirs.dtypes.astype(str)), kind
    assert (cached.name, cached.path) == (fresh.name, fresh.path)
    assert cached.hash == fresh.hash


def entries(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if not p.name.startswith(".")) if root.exists() else []


# --- equality ---------------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["bundled", "looped"])
def test_cached_load_equals_the_fresh_one(which, looped, cache, loads):
    path = bundled_data_path(default=True) if which == "bundled" else looped
    first = netcache.load_network_cached(path)      # validates and stores
    second = netcache.load_network_cached(path)     # from the cache
    assert loads == [path]
    assert len(entries(cache)) == 1
    fresh = Network.from_path(path)
    assert_same_network(first, fresh)
    assert_same_network(second, fresh)


def test_namibia_and_missing_cells_survive_the_cache(golden_dir, cache, loads):
    facilities = golden_dir / "facilities.csv"
    lines = facilities.read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("country")] = "NA"      # Namibia, never "missing"
    cells[header.index("year")] = ""           # Int64 <NA>
    cells[header.index("capacity")] = ""       # float NaN
    cells[header.index("owner")] = ""          # missing text
    rows = [lines[0] + ",extra", ",".join(cells) + ",NA", *(line + "," for line in lines[2:])]
    facilities.write_text("\n".join(rows) + "\n")     # an extra column, kept as text
    netcache.load_network_cached(golden_dir)
    cached = netcache.load_network_cached(golden_dir)
    assert len(loads) == 1
    row = cached.facilities.iloc[0]
    assert row["country"] == "NA" and row["extra"] == "NA"
    assert pd.isna(row["year"]) and pd.isna(row["capacity"]) and pd.isna(row["owner"])
    assert cached.facilities["extra"].iloc[1] == ""
    assert_same_network(cached, Network.from_path(golden_dir))


def test_workbook_is_cached_too(golden, tmp_path, cache, loads):
    book = golden.write(tmp_path / "golden.xlsx")
    netcache.load_network_cached(book)
    cached = netcache.load_network_cached(book)
    assert loads == [book]
    assert_same_network(cached, Network.from_path(book))


# --- the key --------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["facilities", "links", "owners", "demand"])
def test_changing_one_byte_of_any_file_misses(kind, golden_dir, cache, loads):
    netcache.load_network_cached(golden_dir)
    file = golden_dir / f"{kind}.csv"
    data = bytearray(file.read_bytes())
    position = data.rindex(b"2025")       # every golden file has figures from 2025
    data[position + 3] = ord("4")         # ... one of them now from 2024
    file.write_bytes(bytes(data))
    changed = netcache.load_network_cached(golden_dir)
    assert len(loads) == 2
    assert len(entries(cache)) == 2
    assert_same_network(changed, Network.from_path(golden_dir))
    assert (getattr(changed, kind)["year"] == 2024).any()


def test_an_optional_file_appearing_or_going_misses(golden_dir, cache, loads):
    netcache.load_network_cached(golden_dir)
    demand = golden_dir / "demand.csv"
    kept = demand.read_bytes()
    demand.unlink()
    without = netcache.load_network_cached(golden_dir)
    assert len(without.demand) == 0 and len(loads) == 2
    demand.write_bytes(kept)
    again = netcache.load_network_cached(golden_dir)
    assert len(again.demand) > 0 and len(loads) == 2   # the first entry again
    (golden_dir / "recipes.csv").write_text("stage,output,input,per_unit,group\n"
                                            "magnet,magnet,alloy,1.0,a\n")
    netcache.load_network_cached(golden_dir)
    assert len(loads) == 3


def test_key_covers_the_version_and_the_loader_code(golden_dir, monkeypatch):
    key = netcache.input_key(golden_dir)
    monkeypatch.setattr(netcache, "_FINGERPRINT", None)
    monkeypatch.setattr(netcache, "__version__", "99.0")
    assert netcache.input_key(golden_dir) != key
    monkeypatch.setattr(netcache, "_FINGERPRINT", None)
    monkeypatch.setattr(netcache, "__version__", netcache.__version__)
    monkeypatch.setattr(netcache, "LOADER_SOURCES", netcache.LOADER_SOURCES[:-1])
    assert netcache.input_key(golden_dir) != key


def test_same_bytes_elsewhere_share_an_entry_but_keep_their_own_name(golden_dir, tmp_path,
                                                                      cache, loads):
    other = tmp_path / "copy"
    shutil.copytree(golden_dir, other)
    netcache.load_network_cached(golden_dir)
    cached = netcache.load_network_cached(other)
    assert len(loads) == 1
    assert (cached.name, cached.path) == ("copy", other)


# --- safety -------------------------------------------------------------------------------------

def _corrupt(entry: Path, how: str) -> None:
    links = entry / "links.arrow"
    meta = entry / "meta.json"
    if how == "truncated table":
        links.write_bytes(links.read_bytes()[: links.stat().st_size // 2])
    elif how == "flipped byte":
        data = bytearray(links.read_bytes())
        data[len(data) // 2] ^= 0x01
        links.write_bytes(bytes(data))
    elif how == "swapped table":
        shutil.copy(entry / "owners.arrow", links)
    elif how == "missing table":
        links.unlink()
    elif how == "garbage metadata":
        meta.write_bytes(b"\x00not json")
    elif how == "altered hash":
        record = json.loads(meta.read_text())
        record["hash"] = "0" * 16
        meta.write_text(json.dumps(record))
    elif how == "forged warning":   # a consistent check, but a record that cannot be replayed
        record = json.loads(meta.read_text())
        record.pop("check")
        record["warnings"] = [{"category": "UserWarning", "message": "x", "lineno": "one"}]
        record["check"] = netcache._check(record)
        meta.write_text(json.dumps(record))
    elif how == "metadata of another version":
        record = json.loads(meta.read_text())
        record["format"] += 1
        meta.write_text(json.dumps(record))


@pytest.mark.parametrize("how", ["truncated table", "flipped byte", "swapped table",
                                 "missing table", "garbage metadata", "altered hash",
                                 "forged warning", "metadata of another version"])
def test_a_broken_entry_falls_back_to_a_full_load_and_is_replaced(how, golden_dir, cache, loads):
    netcache.load_network_cached(golden_dir)
    [entry] = entries(cache)
    _corrupt(entry, how)
    net = netcache.load_network_cached(golden_dir)
    assert len(loads) == 2                       # read in full, no error
    assert_same_network(net, Network.from_path(golden_dir))
    netcache.load_network_cached(golden_dir)
    assert len(loads) == 2                       # the entry was written anew


def test_failed_validation_is_never_cached(golden_dir, cache):
    links = golden_dir / "links.csv"
    links.write_text(links.read_text().replace("mine_cn", "nowhere", 1))
    for _ in range(2):
        with pytest.raises(ValidationError, match="nowhere"):
            netcache.load_network_cached(golden_dir)
    assert entries(cache) == []


def test_an_unusable_cache_directory_is_no_error(golden_dir, tmp_path, monkeypatch, loads):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("TIERN_CACHE_DIR", str(blocker / "cache"))
    for _ in range(2):
        assert_same_network(netcache.load_network_cached(golden_dir),
                            Network.from_path(golden_dir))
    assert len(loads) == 2


def test_off_switch(golden_dir, cache, monkeypatch, loads):
    monkeypatch.setenv("TIERN_CACHE", "0")
    netcache.load_network_cached(golden_dir)
    netcache.load_network_cached(golden_dir)
    assert not cache.exists()


def test_eviction_keeps_the_most_recently_used(golden_dir, tmp_path, cache, loads, monkeypatch):
    monkeypatch.setattr(netcache, "MAX_ENTRIES", 2)
    copies = []
    for year in ("2021", "2022", "2023"):
        copy = tmp_path / f"net{year}"
        shutil.copytree(golden_dir, copy)
        owners = copy / "owners.csv"
        owners.write_text(owners.read_text().replace("2025", year))
        copies.append(copy)
    netcache.load_network_cached(copies[0])
    netcache.load_network_cached(copies[1])
    os.utime(entries(cache)[0], (1, 1))          # make the order unambiguous
    os.utime(entries(cache)[1], (1, 1))
    netcache.load_network_cached(copies[0])      # a hit: now the most recently used
    netcache.load_network_cached(copies[2])      # evicts copies[1]
    assert len(entries(cache)) == 2
    assert len(loads) == 3
    netcache.load_network_cached(copies[0])
    netcache.load_network_cached(copies[2])
    assert len(loads) == 3
    assert not [p for p in cache.iterdir() if p.name.startswith(".tmp-")]


# --- warnings -------------------------------------------------------------------------------------

def test_validation_warnings_are_shown_on_a_cached_load(golden_dir, cache, monkeypatch):
    real = netcache.read_tables
    calls = []

    def warning_loader(path, contents=None):
        calls.append(path)
        warnings.warn("links.csv:7:volume: an estimate of 1890 t", UserWarning, stacklevel=1)
        return real(path, contents=contents)

    monkeypatch.setattr(netcache, "read_tables", warning_loader)
    shown = []
    for _ in range(2):
        with pytest.warns(UserWarning, match=r"links.csv:7:volume: an estimate of 1890 t") as got:
            netcache.load_network_cached(golden_dir)
        shown.append([(w.category, str(w.message), w.filename, w.lineno) for w in got])
    assert len(calls) == 1                       # the second load came from the cache
    assert shown[0] == shown[1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning):         # the filters in force still apply
            netcache.load_network_cached(golden_dir)
    with warnings.catch_warnings(record=True) as quiet:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", module=re.escape(__name__))   # ... by module too
        netcache.load_network_cached(golden_dir)
    assert quiet == []


def test_a_failed_load_shows_its_warnings_then_its_error(golden_dir, cache, monkeypatch):
    real = netcache.read_tables

    def warning_loader(path, contents=None):
        warnings.warn("an estimate", UserWarning, stacklevel=1)
        return real(path, contents=contents)

    monkeypatch.setattr(netcache, "read_tables", warning_loader)
    (golden_dir / "links.csv").write_text("supplier,customer\n")
    with pytest.warns(UserWarning, match="an estimate"), pytest.raises(ValidationError):
        netcache.load_network_cached(golden_dir)


# --- the command line ---------------------------------------------------------------------------

def _tiern(env: dict, *args) -> tuple[int, str, str]:
    result = subprocess.run([sys.executable, "-m", "graphmodel.cli", *map(str, args)],
                            capture_output=True, text=True, env={**os.environ, **env})
    return result.returncode, result.stdout, result.stderr


@pytest.mark.parametrize("args", [
    ("validate",),
    ("exposure", "--country", "CN", "--stage", "separator"),
    ("chokepoints", "--top", "20"),
    ("summary", "-f", "csv"),
])
def test_command_output_is_identical_with_and_without_the_cache(args, looped, tmp_path):
    words = [args[0], looped, *args[1:]]
    plain = _tiern({"TIERN_CACHE": "0"}, *words)
    cached = {"TIERN_CACHE": "1", "TIERN_CACHE_DIR": str(tmp_path / "cache")}
    storing = _tiern(cached, *words)
    reading = _tiern(cached, *words)
    assert len(entries(tmp_path / "cache")) == 1
    assert plain[0] == 0, plain[2]
    assert storing == plain
    assert reading == plain


_MODULES = """
import sys
from graphmodel.cli import main
sys.argv = ["tiern", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
sys.stderr.write("\\nMODULES " + " ".join(sorted({m.split(".")[0] for m in sys.modules})))
"""


def test_a_cached_command_imports_only_what_it_runs(looped, tmp_path):
    env = {**os.environ, "TIERN_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("TIERN_CACHE", None)
    env.pop("FORCE_COLOR", None)
    env.pop("TTY_COMPATIBLE", None)
    words = ["exposure", str(looped), "--country", "CN", "--stage", "separator", "-f", "csv"]
    for _ in range(2):   # the second run reads the cache
        result = subprocess.run([sys.executable, "-c", _MODULES, *words], env=env,
                                capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    modules = set(result.stderr.rsplit("MODULES ", 1)[1].split())
    assert "pandas" in modules and "scipy" in modules          # what the analytics need
    unneeded = {"rich", "networkx", "pandera", "openpyxl", "plotly", "streamlit", "matplotlib"}
    assert modules & unneeded == set()
