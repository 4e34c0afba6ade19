"""scripts/graphdb gives a Bolt server the official driver can use."""
from __future__ import annotations

import subprocess

from .conftest import GRAPHDB


def test_driver_connects(bolt_server):
    import neo4j

    from graphmodel.store.neo4j import Neo4jStore, Settings

    with Neo4jStore(Settings(uri=bolt_server.uri, user=bolt_server.user,
                             password=bolt_server.password, database=bolt_server.database,
                             dialect=bolt_server.dialect)) as store:
        assert store.run("RETURN 1 AS x") == [{"x": 1}]
    assert neo4j.__version__


def test_graphdb_start_is_idempotent_and_uri_matches(bolt_server):
    if not bolt_server.managed:
        return
    state = ["--state-dir", str(bolt_server.state_dir)]
    again = subprocess.run([str(GRAPHDB), *state, "start"], capture_output=True, text=True)
    uri = subprocess.run([str(GRAPHDB), *state, "uri"], capture_output=True, text=True)
    status = subprocess.run([str(GRAPHDB), *state, "status"], capture_output=True, text=True)
    assert again.returncode == 0 and again.stdout.strip() == bolt_server.uri
    assert uri.stdout.strip() == bolt_server.uri
    assert status.returncode == 0 and "running" in status.stdout


def test_graphdb_uri_without_server_says_so(tmp_path):
    proc = subprocess.run([str(GRAPHDB), "--state-dir", str(tmp_path), "uri"],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert "no server running" in proc.stderr
