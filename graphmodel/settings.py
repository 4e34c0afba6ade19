"""Settings, each overridable by an environment variable, and where the bundled data lives.

* ``TIERN_DATA``: the network used when a command is given no PATH (default: the bundled
  dataset).
* ``TIERN_MAX_BATCH_BYTES``: memory budget of one Monte Carlo batch (default 2 GB; a plain
  number of bytes or with a K, M or G suffix). The monthly engine keeps months x links x
  runs arrays, so a batch of 64 rerouting runs at 100k facilities peaked at 5.7 GB; batches
  are lowered to fit (:func:`graphmodel.scenarios.montecarlo.capped_batch_size`).
* ``TIERN_SCHEDULER_TIMEOUT``: seconds to wait for a Dask scheduler to answer before a
  Monte Carlo run with ``--scheduler`` gives up (default 10).
* ``TIERN_CACHE``: ``0`` (or ``false``, ``no``, ``off``) stops the command line from caching
  validated networks (:mod:`graphmodel.netcache`); on by default.
* ``TIERN_CACHE_DIR``: where that cache lives (default ``$XDG_CACHE_HOME/tiern``, else
  ``~/.cache/tiern``).

The bundled dataset and the scenario presets are the repository's top-level ``data/``
folder, installed as the package ``graphmodel.data`` (see ``pyproject.toml``); they are
found through :mod:`importlib.resources`, so a source checkout, an editable install and a
normal ``pip install`` all read the same files.
"""
from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

from graphmodel.errors import SettingError

# A wheel is always installed unpacked, so the package's resources are plain files.
BUNDLED_DATA = Path(str(files("graphmodel.data")))

#: Scenario presets shipped with the bundled dataset (``data/scenarios/*.yaml``).
PRESET_DIR = BUNDLED_DATA / "scenarios"

#: Observed series that backtests compare presets with (``data/observed/*.csv``).
OBSERVED_DIR = BUNDLED_DATA / "observed"


#: Default of ``TIERN_MAX_BATCH_BYTES``: 2 GB, half the memory of a small laptop or CI runner.
DEFAULT_MAX_BATCH_BYTES = 2 * 1024 ** 3
_SUFFIX = {"K": 1024, "M": 1024 ** 2, "G": 1024 ** 3}


def max_batch_bytes() -> int:
    """Memory budget of one Monte Carlo batch in bytes (``$TIERN_MAX_BATCH_BYTES``)."""
    text = os.environ.get("TIERN_MAX_BATCH_BYTES", "").strip().upper().removesuffix("B")
    if not text:
        return DEFAULT_MAX_BATCH_BYTES
    scale = _SUFFIX.get(text[-1], 1)
    try:
        value = float(text[:-1] if text[-1] in _SUFFIX else text) * scale
    except ValueError:
        raise SettingError(f"TIERN_MAX_BATCH_BYTES={os.environ['TIERN_MAX_BATCH_BYTES']!r} is not "
                         "a number of bytes (e.g. 2000000000, 512M, 2G)") from None
    if not 0 < value < float("inf"):  # also refuses nan and inf
        raise SettingError("TIERN_MAX_BATCH_BYTES must be a positive, finite number of bytes")
    return int(value)


#: Default of ``TIERN_SCHEDULER_TIMEOUT``, in seconds.
DEFAULT_SCHEDULER_TIMEOUT = 10.0


def scheduler_timeout() -> float:
    """Seconds to wait for a Dask scheduler to answer (``$TIERN_SCHEDULER_TIMEOUT``)."""
    text = os.environ.get("TIERN_SCHEDULER_TIMEOUT", "").strip()
    if not text:
        return DEFAULT_SCHEDULER_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        raise SettingError(f"TIERN_SCHEDULER_TIMEOUT={text!r} is not a number of seconds") from None
    if not 0 < value < float("inf"):
        raise SettingError("TIERN_SCHEDULER_TIMEOUT must be a positive, finite number of seconds")
    return value


def bundled_data_path(default: bool = False) -> Path:
    """The default network: ``$TIERN_DATA`` or the bundled dataset (always the bundled
    dataset with ``default=True``: where tiern's default tables live)."""
    if default:
        return BUNDLED_DATA
    return Path(os.environ.get("TIERN_DATA") or BUNDLED_DATA)


def cache_enabled() -> bool:
    """Whether the command line caches validated networks (``$TIERN_CACHE``, default on)."""
    return os.environ.get("TIERN_CACHE", "").strip().lower() not in ("0", "false", "no", "off")


def cache_dir() -> Path:
    """The validated-network cache: ``$TIERN_CACHE_DIR``, else ``$XDG_CACHE_HOME/tiern``
    (an absolute XDG path only, as the XDG spec says), else ``~/.cache/tiern``."""
    if os.environ.get("TIERN_CACHE_DIR"):
        return Path(os.environ["TIERN_CACHE_DIR"]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "tiern"
