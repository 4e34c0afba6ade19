"""Scenario presets shipped in ``data/scenarios/*.yaml``."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..settings import PRESET_DIR
from .model import ScenarioFileError, load_scenario


def preset_paths() -> list[Path]:
    """Every preset file, sorted by name."""
    return sorted(PRESET_DIR.glob("*.yaml"))


def resolve(name_or_path: str | Path) -> Path:
    """A scenario file path: an existing file, else a preset by file stem (``bayan-obo-outage``)."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    preset = PRESET_DIR / f"{path.stem}.yaml"
    if preset.is_file() and path.parent == Path("."):
        return preset
    known = ", ".join(p.stem for p in preset_paths()) or "none"
    raise ScenarioFileError(str(name_or_path), [("", f"no such scenario file or preset (presets: {known})")])


def _one_line(text) -> object:
    return " ".join(text.split()) if isinstance(text, str) else text


def preset_table() -> pd.DataFrame:
    """Presets as a table: preset (file stem), name, horizon, shocks, description, source.

    Description and source are YAML folded text; their line breaks and runs of spaces are
    written as single spaces (a literal line break in a table cell helps no reader)."""
    rows = []
    for path in preset_paths():
        scenario = load_scenario(path)
        rows.append({"preset": path.stem, "name": scenario.name,
                     "horizon_months": scenario.horizon_months, "shocks": len(scenario.shocks),
                     "description": _one_line(scenario.description),
                     "source": _one_line(scenario.source)})
    return pd.DataFrame(rows, columns=["preset", "name", "horizon_months", "shocks",
                                       "description", "source"])
