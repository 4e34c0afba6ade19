"""Progress callbacks: how long computations tell their caller how far they are.

A callback is optional everywhere and is called synchronously from the computation; the
command line draws a rich progress bar with it, the app a Streamlit one. Three shapes are
in use, each named once here:

* :data:`Progress`, ``progress(done, total, label)``: a computation of named steps
  (chokepoint analytics, the report);
* :data:`RunProgress`, ``progress(done, total)``: a count of runs (Monte Carlo runs,
  shards of a study);
* :data:`StepProgress`, ``progress(what, done, total)``: a database push, step by step.
"""
from __future__ import annotations

from typing import Callable

Progress = Callable[[int, int, str], None]
RunProgress = Callable[[int, int], None]
StepProgress = Callable[[str, int, int], None]

__all__ = ["Progress", "RunProgress", "StepProgress"]
