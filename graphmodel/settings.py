"""Settings, each overridable by an environment variable.

* ``TIERN_DATA``: the network used when a command is given no PATH (default: the bundled
  dataset in the repository's ``data/`` folder).
"""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def bundled_data_path(default: bool = False) -> Path:
    """The default network: ``$TIERN_DATA`` or the bundled ``data/`` folder (always the
    bundled folder with ``default=True``: where tiern's default tables live)."""
    if default:
        return REPO_ROOT / "data"
    return Path(os.environ.get("TIERN_DATA") or REPO_ROOT / "data")
