"""``tiern neo4j ...``: the Neo4j store's sub-commands (see :mod:`graphmodel.store.cli`)."""
from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    from graphmodel.store.cli import app as neo4j_app

    app.add_typer(neo4j_app, name="neo4j")
