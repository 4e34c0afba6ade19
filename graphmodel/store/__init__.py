"""Graph database stores for a :class:`~graphmodel.network.Network`.

:mod:`graphmodel.store.neo4j` pushes a network to a Bolt server (Neo4j 5, or FalkorDB),
pulls it back, and runs Tier-N queries in the database. ``tiern neo4j ...`` is its CLI
(:mod:`graphmodel.commands.neo4j`).
"""
from __future__ import annotations

from .neo4j import (
    DIALECTS,
    Neo4jStore,
    Settings,
    StoreAuthError,
    StoreError,
    StoreQueryError,
    StoreUnavailable,
    TierFilter,
)

__all__ = [
    "DIALECTS", "Neo4jStore", "Settings", "StoreAuthError", "StoreError", "StoreQueryError",
    "StoreUnavailable", "TierFilter",
]
