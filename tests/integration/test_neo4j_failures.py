"""Failures: a server killed mid-load, an unreachable server, wrong credentials; and the CLI."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time

import pandas as pd
import pytest

from graphmodel.build import network_from_records
from graphmodel.examples import example_path, load_golden
from graphmodel.network import load_network
from graphmodel.store.neo4j import NoDataset, Neo4jStore, StoreAuthError, StoreUnavailable

from .conftest import BoltServer, external, graphdb, run_tiern, settings_for, start_server
from .test_neo4j_roundtrip import assert_same_tables

SECRET = "s3cret-Pa55word"


def big_network(n: int):
    """n mines in CN each supplying one of n separators in MY: many rows, quick to build."""
    facilities = [{"id": f"m{i}", "name": f"Mine {i}", "stage": "mine", "country": "CN",
                   "capacity": 1.5 + i, "owner": f"o{i % 50}"} for i in range(n)]
    facilities += [{"id": f"s{i}", "name": f"Sep {i}", "stage": "separator", "country": "MY"}
                   for i in range(n)]
    links = [{"supplier": f"m{i}", "customer": f"s{i}", "material": "RE concentrate",
              "volume": 1.0 + i / 7} for i in range(n)]
    return network_from_records(facilities, links, name="big")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- killed mid-load ------------------------------------------------------------------------
def test_server_killed_during_replace_leaves_old_dataset_visible(own_server, tmp_path):
    golden = load_golden()
    with Neo4jStore(settings_for(own_server)) as store:
        old_tag = store.push(golden, replace=True).tag
    big_dir = big_network(6000).write(tmp_path / "big")

    push = subprocess.Popen(
        [os.sys.executable, "-m", "graphmodel.cli", "neo4j", "push", str(big_dir), "--replace",
         "--batch-size", "50", "--quiet"],
        env=dict(own_server.env(), TIERN_NEO4J_RETRY_SECONDS="3"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        with Neo4jStore(settings_for(own_server)) as watcher:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:  # wait until the new dataset is half-written
                rows = watcher.run("MATCH (f:Facility) WHERE f.dataset <> $old "
                                   "RETURN count(f) AS c", {"old": old_tag})
                if rows[0]["c"] >= 2000:
                    break
                assert push.poll() is None, "the push finished before the server was killed"
                time.sleep(0.05)
            else:
                pytest.fail("the new dataset never started loading")
            # snapshot the half-written state to disk, then kill the server hard
            graphdb(own_server.state_dir, "save")
            os.kill(own_server.pid, signal.SIGKILL)
        _, err = push.communicate(timeout=120)
    finally:
        if push.poll() is None:
            push.kill()
    assert push.returncode == 1
    assert err.startswith("error: lost the connection to bolt://127.0.0.1:"), err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1

    restarted = start_server(own_server.state_dir, persist=True)  # reloads the snapshot
    with Neo4jStore(settings_for(restarted)) as store:
        datasets = store.datasets().set_index("tag")
        partial = [t for t in datasets.index if t != old_tag]
        assert len(partial) == 1, "the half-written dataset is in the snapshot"
        assert not datasets.at[partial[0], "complete"]
        half = store.run("MATCH (f:Facility {dataset: $t}) RETURN count(f) AS c",
                         {"t": partial[0]})[0]["c"]
        assert 2000 <= half < 12000
        assert store.current_tag() == old_tag  # the pointer never moved
        with pytest.raises(NoDataset, match="is incomplete"):
            store.pull(partial[0])
        assert_same_tables(golden, store.pull())
        assert store.trace("oem_def", 1)["supplier"].tolist() == ["magnet_cn", "magnet_jp"]
        # the next replace cleans the leftovers up
        again = store.push(golden, replace=True)
        assert sorted(again.deleted) == sorted([old_tag, partial[0]])
        assert store.run("MATCH (f:Facility) RETURN count(f) AS c") == [{"c": 14}]


# --- connection errors ----------------------------------------------------------------------
def test_unreachable_server_gives_a_clear_message(bolt_server):
    port = free_port()
    down = BoltServer(uri=f"bolt://127.0.0.1:{port}", user="neo4j", password=SECRET,
                      database=None, dialect=bolt_server.dialect)
    with pytest.raises(StoreUnavailable, match=rf"cannot reach a Bolt server at bolt://127.0.0.1:{port}"):
        Neo4jStore(settings_for(down, connection_timeout=2)).connect()
    proc = run_tiern(down, "neo4j", "status")
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"error: cannot reach a Bolt server at bolt://127.0.0.1:{port} as user 'neo4j'")
    assert "Traceback" not in proc.stderr
    assert SECRET not in proc.stdout + proc.stderr


@pytest.fixture
def password_server(tmp_path):
    """A FalkorDB that requires a password (its Bolt login then checks credentials)."""
    if external():
        pytest.skip("starts its own FalkorDB with a password")
    state_dir = tmp_path / "graphdb-auth"
    state_dir.mkdir()
    env = dict(os.environ, TIERN_TEST_GRAPHDB_PASSWORD=SECRET)
    from .conftest import GRAPHDB

    proc = subprocess.run([str(GRAPHDB), "--state-dir", str(state_dir), "start",
                           "--password-env", "TIERN_TEST_GRAPHDB_PASSWORD"],
                          capture_output=True, text=True, env=env, timeout=900)
    assert proc.returncode == 0, proc.stderr
    yield BoltServer(uri=proc.stdout.strip(), user="falkordb", password=SECRET, database=None,
                     dialect="falkordb", state_dir=state_dir)
    subprocess.run([str(GRAPHDB), "--state-dir", str(state_dir), "stop"], capture_output=True)


def test_wrong_credentials_give_a_clear_message(password_server):
    with Neo4jStore(settings_for(password_server)) as store:  # the right password works
        assert store.run("RETURN 1 AS x") == [{"x": 1}]
    wrong = "not-the-" + SECRET
    with pytest.raises(StoreAuthError, match="refused the connection, most likely wrong credentials"):
        Neo4jStore(settings_for(password_server, password=wrong)).connect()
    env = dict(password_server.env(), NEO4J_PASSWORD=wrong)
    proc = run_tiern(password_server, "neo4j", "status", env=env)
    assert proc.returncode == 1
    assert "most likely wrong credentials" in proc.stderr and "Traceback" not in proc.stderr
    assert wrong not in proc.stdout + proc.stderr  # the password is never printed


# --- the CLI end to end ----------------------------------------------------------------------
def test_cli_push_pull_trace_exposure(bolt_server, store, tmp_path):
    golden_dir = example_path("golden")
    proc = run_tiern(bolt_server, "neo4j", "push", str(golden_dir), "--replace", "--batch-size", "4")
    assert proc.returncode == 0, proc.stderr
    assert "pushed golden (14 facilities, 18 links, 9 owners, 1 demand) as dataset 'golden@" in proc.stderr
    assert (bolt_server.password or "\0") not in proc.stderr

    proc = run_tiern(bolt_server, "neo4j", "pull", "-o", str(tmp_path / "back"))
    assert proc.returncode == 0, proc.stderr
    assert_same_tables(load_golden(), load_network(tmp_path / "back"))

    proc = run_tiern(bolt_server, "neo4j", "trace", "oem_def", "--depth", "4",
                     "--tier", "4:country=CN", "--tier", "3:stage=separator", "-f", "json")
    assert proc.returncode == 0, proc.stderr
    rows = pd.read_json(__import__("io").StringIO(proc.stdout))
    assert set(rows.loc[rows["tier"] == 4, "supplier"]) == {"mine_cn"}
    assert set(rows.loc[rows["tier"] == 3, "supplier_stage"]) == {"separator"}

    proc = run_tiern(bolt_server, "neo4j", "exposure", "--country", "CN", "-f", "csv")
    assert proc.returncode == 0, proc.stderr
    table = pd.read_csv(__import__("io").StringIO(proc.stdout))
    assert table["id"].tolist() == ["oem_auto", "oem_def"]
    assert table["share"].between(0, 1).all()

    proc = run_tiern(bolt_server, "neo4j", "status")
    assert proc.returncode == 0 and "current:  golden@" in proc.stdout


def test_cli_pull_from_an_empty_database_says_so(bolt_server, store, tmp_path):
    proc = run_tiern(bolt_server, "neo4j", "pull", "-o", str(tmp_path / "x"))
    assert proc.returncode == 1
    assert "no tiern dataset" in proc.stderr and "push one first" in proc.stderr
