"""Run the ``tiern`` command line as a user runs it (a subprocess), for CLI tests."""
from __future__ import annotations

import subprocess
import sys


def tiern(*args, check=True) -> subprocess.CompletedProcess:
    """Run ``tiern ARGS``; with ``check``, a non-zero exit fails the test with its stderr."""
    words = [str(a) for a in args]
    result = subprocess.run([sys.executable, "-m", "graphmodel.cli", *words],
                            capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"tiern {' '.join(words)} failed:\n{result.stderr}")
    return result
