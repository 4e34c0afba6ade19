"""Specifications as data: magnet grades, oxide purities and qualification lead times.

Tables (shipped with sources in ``graphmodel/compliance/data/``):

* ``magnet_grades.csv``: NdFeB grade families N, M, H, SH, UH, EH, AH with maximum
  operating temperature (deg C), minimum intrinsic coercivity HcJ (kOe) and typical Dy/Tb
  content (wt%).
* ``oxide_purity.csv``: the market purity of each oxide or metal (e.g. Tb oxide 99.99%).
* ``qualification_lead_times.csv``: months to qualify a new supplier and to requalify a
  downstream product, per customer sector (automotive PPAP, defense first article, ...).

Specs on the network (optional extra columns):

* facilities ``grades``: what a magnet maker can make, ``;``-separated grades or families
  (``N52;42SH;UH``); ``purity``: what a separator or metal plant delivers, a percentage
  (``99.99``) or per material (``Tb oxide: 99.99; Dy oxide: 99.5``).
* links ``required_grade`` and ``required_purity``: what the customer requires.

A grade is written ``[N]<energy><family>``: ``N52`` (family N, BHmax 52 MGOe), ``42SH``
or ``N42SH`` (family SH), or a bare family ``SH``. A capability meets a requirement when
its family's maximum operating temperature is at least the required family's and its
energy (if both are given) at least the required energy: a higher-temperature family
substitutes for a lower one. Unknown capability gives ``None`` (unknown), never False.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from graphmodel.errors import TiernError
from graphmodel.schema import GRADE_FAMILIES

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


@cache
def purity_table() -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / "oxide_purity.csv").set_index("material")


@cache
def lead_time_table() -> pd.DataFrame:
    """``qualification_lead_times.csv`` indexed by sector (plus ``default``)."""
    return pd.read_csv(DATA_DIR / "qualification_lead_times.csv").set_index("sector")


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


def parse_purity(text, material: str | None = None) -> float | None:
    """Purity in percent from ``'99.99'`` or ``'Tb oxide: 99.99; Dy oxide: 99.5'`` (the entry
    for ``material``; a bare number applies to every material). None if not given."""
    if text is None or (isinstance(text, float) and text != text):
        return None
    text = str(text).strip()
    if not text:
        return None
    entries = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        name, _, value = part.rpartition(":")
        try:
            entries[name.strip().lower()] = float(value.strip().rstrip("%"))
        except ValueError:
            raise SpecError(f"cannot read purity '{part.strip()}' (expected e.g. 99.99 or "
                            f"'Tb oxide: 99.99')") from None
    if "" in entries:
        return entries[""]
    if material is not None:
        return entries.get(material.strip().lower())
    return None


def market_purity(material: str) -> float | None:
    """The market (price-basis) purity of a material from ``oxide_purity.csv``, if listed."""
    table = purity_table()
    return float(table.at[material, "min_purity_pct"]) if material in table.index else None


def lead_time(sector, kind: str = "new_supplier_months") -> float:
    """Default months for ``kind`` (new_supplier_months | requalification_months) in a sector."""
    table = lead_time_table()
    key = sector if isinstance(sector, str) and sector in table.index else "default"
    return float(table.at[key, kind])
