"""Values the command line offers (output formats, capacity and exposure bases, the store's
batch size), kept free of heavy imports so that ``tiern --help`` does not load pandas.

The modules that implement them import their constants from here: one definition each."""
from __future__ import annotations

#: Output formats of table commands (``--format``).
FORMATS = ("table", "csv", "json", "xlsx", "md")
#: Capacity bases of concentration (:mod:`graphmodel.concentration`).
CAPACITY_BASES = ("nameplate", "qualified")
#: Country bases of exposure (:mod:`graphmodel.exposure`): where a plant is, or who controls it.
EXPOSURE_BASES = ("location", "control")
#: Rows per write transaction of the Neo4j store (:mod:`graphmodel.store.neo4j`).
DEFAULT_STORE_BATCH = 1000
