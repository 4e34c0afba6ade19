"""NdFeB magnet grades: the grade classes as data and the grade notation.

``graphmodel/compliance/data/magnet_grades.csv`` holds one row per family (N, M, H, SH, UH,
EH, AH, after the IEC 60404-8-1 / GB/T 13560 suffix classes) with the maximum operating
temperature (deg C), minimum intrinsic coercivity HcJ (kOe) and typical Dy/Tb content (wt%).
A grade is written ``[N]<energy><family>``: ``N52`` (family N, BHmax 52 MGOe), ``42SH`` or
``N42SH`` (family SH), or a bare family ``SH``. This module sits below the interchange format
(its validation reads grades); :mod:`graphmodel.specs` builds the requirement logic on it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from graphmodel.errors import TiernError
from graphmodel.schema import GRADE_FAMILIES

__all__ = ["DATA_DIR", "GRADE_FAMILIES", "Grade", "SpecError", "contains_heavy", "grade_meets",
           "grade_table", "grades_meet", "parse_grade", "parse_grades"]

DATA_DIR = Path(__file__).with_name("compliance") / "data"
_GRADE = re.compile(r"^\s*N?\s*(\d+(?:\.\d+)?)?\s*(AH|EH|UH|SH|M|H|N)?\s*$", re.IGNORECASE)


class SpecError(TiernError):
    """A grade or purity that cannot be read."""


@dataclass(frozen=True)
class Grade:
    family: str
    energy: float | None = None  # BHmax in MGOe

    def __str__(self) -> str:
        energy = f"{self.energy:g}" if self.energy is not None else ""
        return f"N{energy}" if self.family == "N" else f"{energy}{self.family}"

    @property
    def max_temp_c(self) -> float:
        return float(grade_table().at[self.family, "max_operating_temp_c"])

    @property
    def min_hcj_koe(self) -> float:
        return float(grade_table().at[self.family, "min_hcj_koe"])

    @property
    def dy_tb_wt_pct(self) -> tuple[float, float]:
        row = grade_table().loc[self.family]
        return float(row["dy_tb_wt_pct_min"]), float(row["dy_tb_wt_pct_max"])


@cache
def grade_table() -> pd.DataFrame:
    """``magnet_grades.csv`` indexed by family."""
    return pd.read_csv(DATA_DIR / "magnet_grades.csv").set_index("family")


def parse_grade(text: str) -> Grade:
    """``'N52'`` -> Grade('N', 52); ``'42SH'`` -> Grade('SH', 42); ``'UH'`` -> Grade('UH')."""
    match = _GRADE.match(str(text))
    if not match or not str(text).strip():
        raise SpecError(f"cannot read magnet grade '{text}' (expected e.g. N52, 42SH, UH)")
    energy, family = match.groups()
    family = (family or "N").upper()
    return Grade(family, float(energy) if energy else None)


def parse_grades(text) -> list[Grade]:
    """A ``;``-separated grade list; empty or missing text gives []."""
    if not isinstance(text, str) or not text.strip():
        return []
    return [parse_grade(part) for part in text.split(";") if part.strip()]


def grade_meets(capability: Grade, required: Grade) -> bool:
    if capability.max_temp_c < required.max_temp_c:
        return False
    if required.energy is None or capability.energy is None:
        return True
    return capability.energy >= required.energy


def grades_meet(capabilities: list[Grade], required: Grade | None) -> bool | None:
    """Whether any capability meets ``required``; None when either side is unknown."""
    if required is None:
        return True
    if not capabilities:
        return None
    return any(grade_meets(c, required) for c in capabilities)


def contains_heavy(grade: Grade | None) -> bool | None:
    """Whether a grade typically contains Dy/Tb (its family's maximum content > 0)."""
    if grade is None:
        return None
    return grade.dy_tb_wt_pct[1] > 0
