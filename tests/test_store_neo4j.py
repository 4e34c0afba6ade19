"""The Neo4j store's settings, parameter encoding and error mapping (no server needed;
the integration tests in tests/integration run against a real Bolt server)."""
from __future__ import annotations

import math

import pytest
from neo4j import exceptions as ne

from graphmodel.build import network_from_records
from graphmodel.commands.neo4j import parse_tier
from graphmodel.store.neo4j import (
    Neo4jStore,
    Settings,
    StoreAuthError,
    StoreError,
    StoreQueryError,
    StoreUnavailable,
    TierFilter,
    _float_pair,
    _plan,
    _property_keys,
)

SECRET = "hunter2-secret"


def test_settings_from_environment():
    env = {"NEO4J_URI": "neo4j+s://abc.databases.neo4j.io", "NEO4J_USER": "alice",
           "NEO4J_PASSWORD": SECRET, "NEO4J_DATABASE": "supply",
           "TIERN_NEO4J_DIALECT": "FalkorDB", "TIERN_NEO4J_RETRY_SECONDS": "4"}
    s = Settings.from_env(environ=env)
    assert (s.uri, s.user, s.password, s.database, s.dialect, s.max_retry_time) == (
        "neo4j+s://abc.databases.neo4j.io", "alice", SECRET, "supply", "falkordb", 4.0)
    assert Settings.from_env(uri="bolt://x:1", user="bob", environ=env).user == "bob"
    assert Settings.from_env(environ={}).uri == "bolt://localhost:7687"


def test_password_never_in_repr_or_messages():
    s = Settings(uri="bolt://bob:pw@host:7687", user="bob", password=SECRET)
    assert SECRET not in repr(s)
    assert s.where == "bolt://host:7687 as user 'bob'"


def test_unknown_dialect_is_refused():
    with pytest.raises(StoreError, match="unknown dialect 'mysql'"):
        Settings(dialect="mysql")


def test_invalid_uri_scheme_is_reported():
    with pytest.raises(StoreError, match="invalid server URI 'http://host:7474'"):
        Neo4jStore(Settings(uri="http://host:7474")).connect()


class FakeDriver:
    """Stands in for neo4j.Driver; raises what a real server would."""

    def __init__(self, error):
        self.error = error

    def verify_connectivity(self, **kwargs):
        raise self.error

    def session(self, **kwargs):
        raise self.error

    def close(self):
        pass


def connect_with(monkeypatch, error, dialect="neo4j"):
    import neo4j

    monkeypatch.setattr(neo4j.GraphDatabase, "driver", lambda *a, **k: FakeDriver(error))
    store = Neo4jStore(Settings(uri="neo4j+s://db.example:7687", user="alice", password=SECRET,
                                dialect=dialect))
    monkeypatch.setattr("graphmodel.store.neo4j._clear_falkordb_stall", lambda uri: None)
    return store.connect()


def test_neo4j_auth_error_becomes_a_clear_message(monkeypatch):
    with pytest.raises(StoreAuthError) as info:
        connect_with(monkeypatch, ne.AuthError("The client is unauthorized due to authentication failure."))
    assert str(info.value) == ("the server at neo4j+s://db.example:7687 as user 'alice' rejected "
                               "the credentials (check --user/--password or NEO4J_USER/NEO4J_PASSWORD)")
    assert SECRET not in str(info.value)


def test_unreachable_becomes_a_clear_message(monkeypatch):
    with pytest.raises(StoreUnavailable, match="cannot reach a Bolt server at neo4j\\+s://db.example:7687"):
        connect_with(monkeypatch, ne.ServiceUnavailable("Couldn't connect"))


def test_falkordb_refused_login_is_reported_as_credentials(monkeypatch):
    error = ne.DatabaseError._hydrate_neo4j(code="Neo.DatabaseError.General.UnknownError",
                                            message="An unknown error occurred")
    with pytest.raises(StoreAuthError, match="most likely wrong credentials"):
        connect_with(monkeypatch, error, dialect="falkordb")


def test_query_errors_are_mapped(monkeypatch):
    store = Neo4jStore(Settings(), driver=FakeDriver(ne.ClientError._hydrate_neo4j(
        code="Neo.ClientError.Statement.SyntaxError", message="Invalid input")))
    with pytest.raises(StoreQueryError, match="reading things failed on the server: Invalid input"):
        store.run("RETURN", what="reading things")


def test_falkordb_strings_are_escaped_for_its_bolt_layer():
    store = Neo4jStore(Settings(dialect="falkordb"), driver=FakeDriver(None))
    params = {"a": "x'}) DETACH DELETE n //", "b": ["c\\d", {"e": "it's"}], "n": 1.5}
    assert store._encode(params) == {"a": "x\\'}) DETACH DELETE n //",
                                     "b": ["c\\\\d", {"e": "it\\'s"}], "n": 1.5}
    neo = Neo4jStore(Settings(dialect="neo4j"), driver=FakeDriver(None))
    assert neo._encode(params) == params


@pytest.mark.parametrize("value", [0.0, 1e-7, 0.1234567891, -2 / 3, 1e300, 5e-324, 123456.789012])
def test_float_pairs_are_exact(value):
    m, e = _float_pair(value)
    assert isinstance(m, int) and isinstance(e, int)
    assert m * 2.0 ** e == value
    assert math.ldexp(m, e) == value


def test_property_keys_are_identifiers():
    keys = _property_keys(["id", "name", "capacity", "lead time (days)", "dataset", "x'}) //",
                           "lead_time_days"])
    assert keys == ["id", "name", "capacity", "x_lead_time__days", "x_dataset", "x_x", "lead_time_days"]
    assert len(set(_property_keys(["a b", "a-b"]))) == 2


def test_plan_uses_stage_labels_and_parameters_only():
    net = network_from_records(
        [{"id": "x'}) DETACH DELETE n //", "name": "Mine", "stage": "mine", "country": "CN"},
         {"id": "s", "name": "Sep", "stage": "separator", "country": "MY"}],
        [{"supplier": "x'}) DETACH DELETE n //", "customer": "s", "material": "conc", "volume": 0.1}])
    plan = _plan(net)
    for step, rows in plan.steps:
        assert "DETACH" not in step.query  # data never reaches the query text
    facility_steps = [s.query for s, _ in plan.steps if s.what.endswith("facilities")]
    assert any("SET f:Mine" in q for q in facility_steps)
    links = [rows for s, rows in plan.steps if s.what == "links"][0]
    assert links[0]["f"]["volume"] == _float_pair(0.1)


def test_parse_tier():
    k, f = parse_tier("2:country=CN|MY, stage=separator,material=NdPr oxide")
    assert k == 2 and f == TierFilter(countries=["CN", "MY"], stages=["separator"],
                                      materials=["NdPr oxide"])
    import typer

    with pytest.raises(typer.BadParameter, match="expected TIER:key=value"):
        parse_tier("two:country=CN")
    with pytest.raises(typer.BadParameter, match="expected country=, stage= or material="):
        parse_tier("2:owner=X")
