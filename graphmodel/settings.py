"""Settings, each overridable by an environment variable, and where the bundled data lives.

* ``TIERN_DATA``: the network used when a command is given no PATH (default: the bundled
  dataset).

The bundled dataset and the scenario presets are the repository's top-level ``data/``
folder, installed as the package ``graphmodel.data`` (see ``pyproject.toml``); they are
found through :mod:`importlib.resources`, so a source checkout, an editable install and a
normal ``pip install`` all read the same files.
"""
from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

# A wheel is always installed unpacked, so the package's resources are plain files.
BUNDLED_DATA = Path(str(files("graphmodel.data")))

#: Scenario presets shipped with the bundled dataset (``data/scenarios/*.yaml``).
PRESET_DIR = BUNDLED_DATA / "scenarios"

#: Observed series that backtests compare presets with (``data/observed/*.csv``).
OBSERVED_DIR = BUNDLED_DATA / "observed"


def bundled_data_path(default: bool = False) -> Path:
    """The default network: ``$TIERN_DATA`` or the bundled dataset (always the bundled
    dataset with ``default=True``: where tiern's default tables live)."""
    if default:
        return BUNDLED_DATA
    return Path(os.environ.get("TIERN_DATA") or BUNDLED_DATA)
