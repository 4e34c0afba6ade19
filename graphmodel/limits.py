"""Bounds on options and scenario fields, in one place (README "What tiern refuses").

Each bound keeps a run finite in time and memory or refuses a value that has no meaning;
the command line states them in ``--help`` and the scenario model checks the same numbers.
"""
from __future__ import annotations

__all__ = ["MAX_RUNS", "MAX_MC_BATCH", "MAX_BOOTSTRAP", "MAX_SEED", "MAX_HORIZON_MONTHS",
           "MAX_STORE_BATCH", "MAX_GENERATED_FACILITIES", "MAX_EVENT_FILE_BYTES", "MAX_EVENTS",
           "MAX_EVENT_CELL_CHARS", "MAX_CSV_LINE_BYTES"]

#: Monte Carlo runs of one scenario (``--runs``, ``monte_carlo.runs``): at least 1.
MAX_RUNS = 100_000
#: Monte Carlo runs per batch (``--batch-size``); batches are also capped by memory.
MAX_MC_BATCH = 10_000
#: Bootstrap replicates of a calibration (``--bootstrap``).
MAX_BOOTSTRAP = 10_000
#: Random seeds (``--seed``, ``monte_carlo.seed``) are whole numbers in 0 .. MAX_SEED.
MAX_SEED = 2 ** 63 - 1
#: Months a scenario may span (``horizon_months``): at least 1.
MAX_HORIZON_MONTHS = 600
#: Rows per write transaction of ``tiern neo4j push --batch-size``.
MAX_STORE_BATCH = 100_000
#: Facilities ``tiern generate`` draws (memory grows with them; 100,000 is the benchmark size).
MAX_GENERATED_FACILITIES = 2_000_000
#: Largest event file ``tiern watch`` and ``tiern ingest events`` read (a day of a GDELT
#: export is about 20 MB; a feed is a few hundred kilobytes).
MAX_EVENT_FILE_BYTES = 50 * 1024 ** 2
#: Events one file may hold.
MAX_EVENTS = 100_000
#: Characters in one event field (title, text, url, ...); an article body is far shorter.
MAX_EVENT_CELL_CHARS = 100_000
#: Bytes in one line of an interchange CSV file: a name, a note or a source runs to a few
#: hundred characters; a line of megabytes is not a record (a 200 MiB cell would take more
#: than 2 GB to parse).
MAX_CSV_LINE_BYTES = 4 * 1024 ** 2
