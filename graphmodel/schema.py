"""The interchange format as data.

Each record kind (facilities, links, owners, demand, recipes, materials, capacities,
capabilities, requirements, certifications) is described by a table in
``graphmodel/_schema/<kind>.csv`` with the columns ``field, dtype, required, default,
allowed, min, max, unit, description`` (``unit`` may be absent from a table: no field of
it has a unit). That table drives validation, defaults and the
format documentation (``tiern format``), so the three can never disagree.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

SCHEMA_DIR = Path(__file__).with_name("_schema")

#: Stages in supply order. Links must not run backwards in this order except into
#: or out of a ``recycler``, which sits outside the order.
STAGES: tuple[str, ...] = (
    "mine", "concentrator", "mrec", "separator", "metal", "alloy", "magnet", "motor", "oem",
)
RECYCLER = "recycler"
ALL_STAGES: tuple[str, ...] = STAGES + (RECYCLER,)
STAGE_RANK: dict[str, int] = {stage: rank for rank, stage in enumerate(STAGES)}


def stages_in(values) -> list[str]:
    """The stages among ``values`` (a column of stage names, any length), in the order of
    :data:`ALL_STAGES`; each distinct value is looked at once."""
    present = set(values.unique() if hasattr(values, "unique") else values)
    return [stage for stage in ALL_STAGES if stage in present]


FACILITY_STATUS = ("operating", "construction", "planned", "idle")
LINK_STATUS = ("qualified", "in_qualification", "candidate")
SECTORS = ("automotive", "wind", "defense", "industrial", "consumer")
#: NdFeB grade families in order of maximum operating temperature (IEC 60404-8-1 / GB/T 13560
#: suffixes; ``N`` is the unsuffixed family): see ``compliance/data/magnet_grades.csv``.
GRADE_FAMILIES = ("N", "M", "H", "SH", "UH", "EH", "AH")
#: IEC 60034-1 thermal classes of a motor's winding insulation (after IEC 60085): see
#: ``compliance/data/iec60034_thermal_classes.csv`` for the magnet temperature each implies.
THERMAL_CLASSES = ("B", "F", "H")
#: The 27 member states of the European Union (ISO 3166-1 alpha-2): the home of the CRMA
#: check (``tiern crma``) and the ``EU27`` group of the compliance rule files.
EU27: tuple[str, ...] = (
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
    "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
)

ALLOWED_VALUES: dict[str, tuple[str, ...]] = {
    "stages": ALL_STAGES,
    "facility_status": FACILITY_STATUS,
    "link_status": LINK_STATUS,
    "sectors": SECTORS,
    "grade_families": GRADE_FAMILIES,
    "thermal_classes": THERMAL_CLASSES,
}

#: Record kinds in the order they are read and reported.
KINDS: tuple[str, ...] = ("facilities", "links", "owners", "demand", "recipes", "materials",
                          "capacities", "capabilities", "requirements", "certifications")
REQUIRED_KINDS: tuple[str, ...] = ("facilities", "links")
#: Element columns of ``materials.csv``: mass fraction of the element per tonne of material.
ELEMENTS: tuple[str, ...] = ("Nd", "Pr", "Dy", "Tb", "Sm", "Co", "Fe", "B", "La", "Ce", "Gd", "Ho",
                             "Y", "Lu", "Sc")


@cache
def field_table(kind: str) -> pd.DataFrame:
    """The schema table of one record kind, indexed by field name."""
    import pandas as pd   # noqa: PLC0415 (the constants above stay light for the CLI)

    table = pd.read_csv(SCHEMA_DIR / f"{kind}.csv", dtype=str, keep_default_na=False)
    table["required"] = table["required"] == "True"
    if "unit" not in table:
        table.insert(table.columns.get_loc("description"), "unit", "")
    return table.set_index("field")


def columns(kind: str) -> list[str]:
    """Standard columns of a record kind, in documented order."""
    return list(field_table(kind).index)


def required_columns(kind: str) -> list[str]:
    table = field_table(kind)
    return list(table.index[table["required"]])


def format_reference_markdown() -> str:
    """The interchange format as Markdown tables, generated from the schema."""
    parts = []
    for kind in KINDS:
        table = field_table(kind).reset_index()
        need = "required" if kind in REQUIRED_KINDS else "optional"
        parts.append(f"### `{kind}.csv` ({need})\n")
        parts.append("| column | type | unit | required | default | description |")
        parts.append("|---|---|---|---|---|---|")
        for row in table.itertuples():
            parts.append(
                f"| `{row.field}` | {row.dtype} | {row.unit} | {'yes' if row.required else 'no'} "
                f"| {row.default} | {row.description} |"
            )
        parts.append("")
    return "\n".join(parts)
