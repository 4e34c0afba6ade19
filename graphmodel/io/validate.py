"""Validation of raw tables into typed record tables.

Every check runs and every problem is gathered before anything is raised, so a user
fixes a file in one pass. Problems read ``file:row:column: message``. Nothing is
silently dropped or coerced: a value that cannot be read as its type is a problem, not
a missing value; documented defaults (``status``, ``unit``, ``stake``) fill only empty
cells; countries are normalised to ISO 3166-1 alpha-2.

Per-column rules (types, ranges, allowed values, required, unique) come from the schema
tables in ``graphmodel/_schema`` and are checked with pandera (a table that passes a
vectorised test of the same rules skips it); rules that span rows or files (links to
unknown facilities, self-links, backward links, ownership cycles) are checked here.
"""
from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graphmodel.lookup import codes, positions
from graphmodel.errors import Problem, ValidationError
from graphmodel.grades import SpecError, parse_grade
from graphmodel.schema import (ALLOWED_VALUES, ELEMENTS, KINDS, REQUIRED_KINDS, STAGE_RANK,
                               field_table)

from .normalize import normalize_country
from .numeric import parse_numbers
from .raw import RawTable

if TYPE_CHECKING:
    import pandera.pandas as pandera


def validate_tables(
    raw: dict[str, RawTable], read_problems: list[Problem] | None = None
) -> dict[str, pd.DataFrame]:
    """Turn raw tables into typed record tables, or raise :class:`ValidationError`.

    Returns a dict with a DataFrame for every record kind (optional kinds absent from
    the input are empty tables with the standard columns). Facilities are indexed by
    ``id``; the other tables keep a RangeIndex in file order.
    """
    problems = list(read_problems or [])
    typed: dict[str, pd.DataFrame] = {}
    for kind in KINDS:
        if kind in raw:
            frame, found = _validate_columns(raw[kind])
            problems += found
            if frame is not None:
                typed[kind] = frame
        elif kind not in REQUIRED_KINDS:
            typed[kind] = _empty(kind)
    problems += _check_cross_table({k: raw[k] for k in typed if k in raw}, typed)
    if problems:
        raise ValidationError(problems)
    typed["facilities"] = typed["facilities"].set_index("id", drop=True)
    return typed


def _empty(kind: str) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=_PANDAS_DTYPE[d]) for c, d in
                          field_table(kind)["dtype"].items()})
    return frame


_PANDAS_DTYPE = {"str": "str", "country": "str", "float": "float64", "int": "Int64", "bool": "bool"}
_TRUE = {"true", "1", "yes", "y", "t"}
#: Text columns whose values are prose, not keys: leading/trailing whitespace is allowed there.
FREE_TEXT = frozenset({"name", "source", "notes", "description", "certifications"})
_PADDED = r"^[\s\u200b\ufeff]|[\s\u200b\ufeff]$"
_PADDED_RE = re.compile(_PADDED)
_FALSE = {"false", "0", "no", "n", "f"}


# --- per-table checks -------------------------------------------------------------------

def _validate_columns(table: RawTable) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Type and check one table; the frame is None when its structure is too broken to use."""
    fields = field_table(table.kind)
    problems = _check_header(table, fields)
    if problems:
        return None, problems
    if table.frame.empty and table.kind in ("facilities", "links"):
        # an ingested census without flows is read by ingest's load_fragment, not here
        return None, [Problem(table.label, 2, "-", "file has a header but no rows")]
    blank = (table.frame == "").all(axis=1)
    problems += [Problem(table.label, table.row_number(i), "-", "blank row (delete it)")
                 for i in blank[blank].index]
    frame = table.frame[~blank].copy()  # reported above; the load fails, nothing is lost
    for column, spec in fields.iterrows():
        if column not in frame:
            frame[column] = spec["default"] if spec["default"] else ""
        problems += _convert_column(table, frame, column, spec)
    problems += _run_pandera(table, frame, fields)
    return frame, problems


def _check_header(table: RawTable, fields: pd.DataFrame) -> list[Problem]:
    problems = []
    seen = set()
    for name in table.header:
        if name in seen:
            problems.append(Problem(table.label, 1, name, f"duplicate column '{name}'"))
        seen.add(name)
        if name == "":
            problems.append(Problem(table.label, 1, "-", "a header cell is empty"))
    for column in fields.index[fields["required"]]:
        if column not in seen:
            problems.append(Problem(
                table.label, 1, column, f"missing required column '{column}' (header has: "
                f"{', '.join(table.header) or 'nothing'})"))
    return problems


def _convert_column(table: RawTable, frame: pd.DataFrame, column: str, spec) -> list[Problem]:
    """Type one column in place, reporting cells that cannot be read as the type."""
    text = frame[column].astype(str)
    empty = text == ""
    if spec["default"]:
        text = text.mask(empty, spec["default"])
        empty = text == ""
    dtype = spec["dtype"]
    problems = []
    if dtype == "str":
        if column not in FREE_TEXT:
            padded = ~empty & _padded(text)
            for i in text.index[padded]:
                problems.append(Problem(table.label, table.row_number(i), column,
                                        f"{text[i]!r} has leading or trailing whitespace; remove it "
                                        f"({column} values must match exactly)"))
        frame[column] = text.mask(empty)
    elif dtype == "country":
        numeric = ~empty & text.str.strip().str.fullmatch(r"\d+")
        lookup = {v: normalize_country(v) for v in text[~empty & ~numeric].unique()}
        codes = text.map(lookup)
        for i in text.index[numeric]:
            problems.append(Problem(table.label, table.row_number(i), column,
                                    f"numeric country code '{text[i]}' is not accepted (a number "
                                    f"is easily a typo); use ISO 3166-1 alpha-2, e.g. CN"))
        for i in text.index[~empty & ~numeric & codes.isna()]:
            problems.append(Problem(table.label, table.row_number(i), column,
                                    f"unknown country '{text[i]}' (use ISO 3166-1 alpha-2, e.g. CN)"))
        frame[column] = codes.astype("str")
    elif dtype == "bool":
        lowered = text.str.strip().str.lower()
        bad = ~empty & ~lowered.isin(_TRUE | _FALSE)
        for i in text.index[bad]:
            problems.append(Problem(table.label, table.row_number(i), column,
                                    f"expected true or false, got '{text[i]}'"))
        frame[column] = lowered.isin(_TRUE).astype(bool)
    else:
        numbers, messages = parse_numbers(text, empty, _to_numbers(text, empty))
        for i in text.index[~empty & numbers.isna()]:
            problems.append(Problem(table.label, table.row_number(i), column,
                                    messages[i] or f"expected a number, got '{text[i]}'"))
        if dtype == "int":
            fractional = numbers.notna() & (numbers != np.floor(numbers))
            for i in numbers.index[fractional]:
                problems.append(Problem(table.label, table.row_number(i), column,
                                        f"expected a whole number, got '{text[i]}'"))
            numbers = numbers.where(~fractional).round().astype("Int64")
        else:
            numbers = numbers.astype("float64")
        frame[column] = numbers
    return problems


def _padded(text: pd.Series) -> pd.Series:
    """Cells matching :data:`_PADDED`: the first or last character is whitespace (as
    Python's ``\\s``) or a zero-width space or byte-order mark.

    pandas runs the regex cell by cell (RE2's ``\\s`` is ASCII only, so it cannot hand it
    to pyarrow); instead pyarrow cuts each cell's first and last character and only the
    distinct ones (a few dozen) are tested against the pattern, with the same result.
    """
    try:
        cells = pa.array(text, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeEncodeError):  # e.g. a lone surrogate
        return text.str.contains(_PADDED, regex=True).fillna(False).astype(bool)
    if isinstance(cells, pa.ChunkedArray):  # a column concatenated from several chunks
        cells = cells.combine_chunks()
    first = pc.utf8_slice_codeunits(cells, 0, 1)
    last = pc.utf8_slice_codeunits(cells, -1)
    ends = pc.unique(pa.concat_arrays([first, last])).to_pylist()
    bad = pa.array([c for c in ends if c and _PADDED_RE.search(c)], type=pa.string())
    hit = pc.or_(pc.is_in(first, value_set=bad), pc.is_in(last, value_set=bad))
    return pd.Series(pc.fill_null(hit, False).to_numpy(zero_copy_only=False), index=text.index)


def _to_numbers(text: pd.Series, empty: pd.Series) -> pd.Series:
    """Parse numbers; unreadable cells become NaN (and are reported by the caller).

    Large columns are cast by pyarrow in one vectorised pass; if any cell fails that strict
    cast (or reads as NaN), pandas' cell-by-cell parse runs instead to find which.
    """
    if len(text) > 100_000:
        try:
            values = pc.if_else(pc.equal(pa.array(text), ""), None, pa.array(text))
            numbers = pd.Series(pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False),
                                index=text.index)
            if not (numbers.isna() & ~empty).any():
                return numbers
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            pass
    return pd.to_numeric(text.where(~empty), errors="coerce")


def _schema_for(kind: str, fields: pd.DataFrame) -> pandera.DataFrameSchema:
    import pandera.pandas as pandera  # noqa: PLC0415 (see _surely_valid)

    columns = {}
    for column, spec in fields.iterrows():
        checks = []
        if spec["min"]:
            checks.append(pandera.Check.ge(float(spec["min"])))
        if spec["max"]:
            checks.append(pandera.Check.le(float(spec["max"])))
        if spec["allowed"]:
            checks.append(pandera.Check.isin(list(ALLOWED_VALUES[spec["allowed"]])))
        columns[column] = pandera.Column(
            checks=checks, nullable=not spec["required"], required=True,
            unique=(kind == "facilities" and column == "id"), coerce=False,
        )
    return pandera.DataFrameSchema(columns, strict=False)


def _surely_valid(kind: str, frame: pd.DataFrame, fields: pd.DataFrame) -> bool:
    """True when no cell can fail the schema of :func:`_schema_for`.

    The same rules (required, >= min, <= max, allowed values, unique facility ids) in a few
    vectorised passes. It errs one way only: any doubt returns False, and the table then
    goes through pandera, whose failure cases word the messages. A valid table so skips
    pandera, its import and its per-check overhead (about a third of a second at 100k
    facilities).
    """
    for column, spec in fields.iterrows():
        values = frame[column]
        missing = values.isna().to_numpy()
        if missing.any() and (spec["required"] or (kind == "facilities" and column == "id")):
            return False
        present = values[~missing]
        if spec["min"] or spec["max"]:
            if not (pd.api.types.is_numeric_dtype(present.dtype)
                    and not pd.api.types.is_bool_dtype(present.dtype)):
                return False
            numbers = present.to_numpy(dtype="float64")
            if spec["min"] and not (numbers >= float(spec["min"])).all():
                return False
            if spec["max"] and not (numbers <= float(spec["max"])).all():
                return False
        if spec["allowed"] and not present.isin(list(ALLOWED_VALUES[spec["allowed"]])).all():
            return False
        if kind == "facilities" and column == "id" and values.duplicated().any():
            return False
    return True


def _run_pandera(table: RawTable, frame: pd.DataFrame, fields: pd.DataFrame) -> list[Problem]:
    if _surely_valid(table.kind, frame, fields):
        return []
    import pandera.pandas as pandera  # noqa: PLC0415 (only a table with a failure needs it)

    try:
        _schema_for(table.kind, fields).validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as error:
        return _problems_from_failures(table, frame, fields, error.failure_cases)
    return []


def _problems_from_failures(table, frame, fields, failures: pd.DataFrame) -> list[Problem]:
    problems = []
    for failure in failures.itertuples():
        column, check, value, index = failure.column, str(failure.check), failure.failure_case, failure.index
        if index is None or pd.isna(index) or column not in fields.index:
            continue
        row = table.row_number(index)
        raw_value = table.frame.at[index, column] if column in table.frame else ""
        spec = fields.loc[column]
        if check == "not_nullable":
            if raw_value == "" or spec["dtype"] == "str":  # unreadable values are reported already
                problems.append(Problem(table.label, row, column, "missing value (required)"))
        elif check.startswith("greater_than_or_equal_to"):
            problems.append(Problem(table.label, row, column,
                                    f"must be >= {_num(spec['min'])}, got {raw_value}"))
        elif check.startswith("less_than_or_equal_to"):
            problems.append(Problem(table.label, row, column,
                                    f"must be <= {_num(spec['max'])}, got {raw_value}"))
        elif check.startswith("isin"):
            allowed = ", ".join(ALLOWED_VALUES[spec["allowed"]])
            problems.append(Problem(table.label, row, column,
                                    f"unknown {column} '{value}' (expected one of: {allowed})"))
        elif check == "field_uniqueness":
            first = frame.index[frame[column] == value][0]
            if first != index:
                problems.append(Problem(table.label, row, column,
                                        f"duplicate {column} '{value}' (first at row "
                                        f"{table.row_number(first)})"))
        else:
            problems.append(Problem(table.label, row, column, f"failed check {check}: {value}"))
    return problems


def _num(text: str) -> str:
    number = float(text)
    return str(int(number)) if number.is_integer() else text


# --- checks that span rows or files ------------------------------------------------------

def _check_cross_table(raw: dict[str, RawTable], typed: dict[str, pd.DataFrame]) -> list[Problem]:
    problems = []
    facilities = typed.get("facilities")
    if facilities is None:
        return problems
    stage_of = pd.Series(facilities["stage"].to_numpy(), index=pd.Index(facilities["id"]))
    stage_of = stage_of[stage_of.index.notna() & ~stage_of.index.duplicated()]  # both reported
    if "links" in typed and "links" in raw and "supplier" in typed["links"]:
        problems += _check_links(raw["links"], typed["links"], stage_of)
    if "demand" in raw and "facility" in typed["demand"]:
        problems += _check_demand(raw["demand"], typed["demand"], stage_of)
    if "owners" in raw and "owner" in typed["owners"]:
        problems += _check_owners(raw["owners"], typed["owners"])
    if "recipes" in raw and "input" in typed["recipes"]:
        problems += _check_recipes(raw["recipes"], typed["recipes"], stage_of)
    if "materials" in raw and "material" in typed["materials"]:
        problems += _check_materials(raw["materials"], typed["materials"])
    if "capacities" in raw and "facility" in typed["capacities"]:
        problems += _check_capacities(raw["capacities"], typed["capacities"], stage_of)
    if "capabilities" in raw and "facility" in typed["capabilities"]:
        problems += _check_capabilities(raw["capabilities"], typed["capabilities"], stage_of)
    if "requirements" in raw and "material" in typed["requirements"]:
        problems += _check_requirements(raw["requirements"], typed["requirements"], stage_of)
    if "certifications" in raw and "facility" in typed["certifications"]:
        problems += _check_certifications(raw["certifications"], typed["certifications"], stage_of)
    return problems


#: Element fractions of one material may exceed 1 by this much (rounded published figures).
CONTENT_TOLERANCE = 1e-6


def _check_materials(table: RawTable, materials: pd.DataFrame) -> list[Problem]:
    """One row per material; element fractions of a material sum to at most 1."""
    problems = []
    for i in materials.index[materials["material"].duplicated()]:
        problems.append(Problem(table.label, table.row_number(i), "material",
                                f"duplicate material '{materials.at[i, 'material']}'"))
    total = materials[list(ELEMENTS)].fillna(0).sum(axis=1)
    for i in materials.index[total > 1 + CONTENT_TOLERANCE]:
        problems.append(Problem(table.label, table.row_number(i), "-",
                                f"element fractions of '{materials.at[i, 'material']}' sum to "
                                f"{total[i]:.6g} (> 1)"))
    return problems


def _duplicate_keys(table: RawTable, keys: pd.DataFrame, column: str, describe) -> list[Problem]:
    """A problem at ``column`` for every row whose ``keys`` repeat an earlier row's;
    ``describe(row)`` words it."""
    return [Problem(table.label, table.row_number(i), column, describe(keys.loc[i]))
            for i in keys.index[keys.duplicated()]]


def _check_capacities(table: RawTable, capacities: pd.DataFrame, stage_of: pd.Series) -> list[Problem]:
    """Known facilities; one row per (facility, material)."""
    problems = _unknown_facilities(table, capacities["facility"], stage_of)
    return problems + _duplicate_keys(
        table, capacities[["facility", "material"]], "material",
        lambda row: f"duplicate capacity for {row['facility']} ({row['material']})")


def _check_capabilities(table: RawTable, capabilities: pd.DataFrame, stage_of: pd.Series
                        ) -> list[Problem]:
    """Known facilities; readable grades; one row per (facility, material, grade)."""
    problems = _unknown_facilities(table, capabilities["facility"], stage_of)
    for i, grade in capabilities["grade"].items():
        if isinstance(grade, str):
            try:
                parse_grade(grade)
            except SpecError as error:
                problems.append(Problem(table.label, table.row_number(i), "grade", str(error)))
    return problems + _duplicate_keys(
        table, capabilities[["facility", "material", "grade"]].fillna(""), "grade",
        lambda row: f"duplicate capability for {row['facility']} "
                    f"({row['material']} {row['grade']})".rstrip())


def _check_requirements(table: RawTable, requirements: pd.DataFrame, stage_of: pd.Series
                        ) -> list[Problem]:
    """Each row names exactly one of facility or sector (a known facility); one row per
    (scope, material)."""
    problems = []
    facility = requirements["facility"].fillna("").astype(str)
    sector = requirements["sector"].fillna("").astype(str)
    for i in requirements.index[(facility == "") == (sector == "")]:
        problems.append(Problem(table.label, table.row_number(i), "facility",
                                "give exactly one of facility or sector"))
    problems += _unknown_facilities(table, requirements["facility"], stage_of)
    scope = sector.where(facility == "", "facility " + facility)
    return problems + _duplicate_keys(
        table, pd.DataFrame({"scope": scope, "material": requirements["material"]}), "material",
        lambda row: f"duplicate requirement for {row['scope']} ({row['material']})")


def _check_certifications(table: RawTable, certifications: pd.DataFrame, stage_of: pd.Series
                          ) -> list[Problem]:
    """Known facilities; one row per (facility, standard)."""
    problems = _unknown_facilities(table, certifications["facility"], stage_of)
    problems += _duplicate_keys(
        table, certifications[["facility", "standard"]], "standard",
        lambda row: f"duplicate certification {row['standard']} for {row['facility']}")
    return problems


def _check_recipes(table: RawTable, recipes: pd.DataFrame, stage_of: pd.Series) -> list[Problem]:
    """Each row names exactly one of stage or facility (a known one); per_unit > 0; one row
    per (scope, output, input, group). An input may sit in several groups (it then counts in each)."""
    problems = []
    label = table.label
    stage = recipes["stage"].fillna("").astype(str)
    facility = recipes["facility"].fillna("").astype(str)
    for i in recipes.index[(stage == "") == (facility == "")]:
        problems.append(Problem(label, table.row_number(i), "facility",
                                "give exactly one of stage or facility"))
    problems += _unknown_facilities(table, recipes["facility"], stage_of)
    for i in recipes.index[recipes["per_unit"].notna() & (recipes["per_unit"] <= 0)]:
        problems.append(Problem(label, table.row_number(i), "per_unit",
                                f"must be > 0 (tonnes of input per tonne of output), "
                                f"got {recipes.at[i, 'per_unit']:g}"))
    scope = stage.where(facility == "", "facility " + facility)
    keyed = pd.DataFrame({"scope": scope, "output": recipes["output"], "input": recipes["input"],
                          "group": recipes["group"]})
    for i in keyed.index[keyed.duplicated(["scope", "output", "input", "group"])]:
        problems.append(Problem(label, table.row_number(i), "input",
                                f"duplicate recipe row for {keyed.at[i, 'scope']}: "
                                f"{keyed.at[i, 'input']} -> {keyed.at[i, 'output']} "
                                f"in group {keyed.at[i, 'group']}"))
    return problems


def _check_links(table: RawTable, links: pd.DataFrame, stage_of: pd.Series) -> list[Problem]:
    problems = []
    label = table.label
    ids = stage_of.index
    rank = stage_of.map(STAGE_RANK).to_numpy(dtype=float)  # NaN for recyclers
    position = {}
    for column in ("supplier", "customer"):
        position[column] = positions(ids, links[column])
        unknown = links[column].notna().to_numpy() & (position[column] < 0)
        for i in links.index[unknown]:
            problems.append(Problem(label, table.row_number(i), column,
                                    f"unknown facility id '{links.at[i, column]}'"))
    self_link = (links["supplier"].notna() & (links["supplier"] == links["customer"])).to_numpy()
    for i in links.index[self_link]:
        problems.append(Problem(label, table.row_number(i), "customer",
                                f"self-link: supplier and customer are both '{links.at[i, 'supplier']}'"))
    known = (position["supplier"] >= 0) & (position["customer"] >= 0)
    rank_from = np.where(known, rank[position["supplier"]], np.nan)
    rank_to = np.where(known, rank[position["customer"]], np.nan)
    backwards = ~self_link & (rank_to < rank_from)  # NaN (recycler, unknown) never compares
    for i in links.index[backwards]:
        supplier, customer = links.at[i, "supplier"], links.at[i, "customer"]
        problems.append(Problem(
            label, table.row_number(i), "customer",
            f"link runs backwards from {stage_of[supplier]} '{supplier}' to "
            f"{stage_of[customer]} '{customer}' (only links into or out of a recycler may)"))
    loaded_candidate = (links["status"] == "candidate") & (links["volume"] > 0)
    for i in links.index[loaded_candidate]:
        problems.append(Problem(label, table.row_number(i), "volume",
                                f"a candidate link carries no volume today, got {links.at[i, 'volume']:g}"))
    keys = ["supplier", "customer", "material"]
    duplicated = _duplicate_rows([
        # a facility's position is its code when every id names one (the usual case)
        position[k] if not (links[k].notna().to_numpy() & (position[k] < 0)).any()
        else codes(links[k]) for k in ("supplier", "customer")] + [codes(links["material"])])
    for key, group in links[duplicated].groupby(keys, sort=False):
        for i in group.index[1:]:
            problems.append(Problem(label, table.row_number(i), "material",
                                    f"duplicate link {key[0]} -> {key[1]} ({key[2]}); first at row "
                                    f"{table.row_number(group.index[0])}"))
    return problems


def _duplicate_rows(key_codes: list[np.ndarray]) -> np.ndarray:
    """Bool per row: its key (one integer code per column, -1 for a missing value) is
    complete and another row's too. The codes are packed into one integer per row where
    they fit in 63 bits (one hash pass instead of a frame's per-column factorisation)."""
    known = np.logical_and.reduce([c >= 0 for c in key_codes])
    duplicated = np.zeros(known.size, dtype=bool)
    sizes = [int(c.max(initial=-1)) + 1 for c in key_codes]
    if math.prod(sizes) < 2 ** 63:
        packed = np.zeros(int(known.sum()), dtype=np.int64)
        for column, size in zip(key_codes, sizes):
            packed = packed * size + column[known]
        duplicated[known] = pd.Series(packed).duplicated(keep=False).to_numpy()
    else:
        frame = pd.DataFrame({i: c[known] for i, c in enumerate(key_codes)})
        duplicated[known] = frame.duplicated(keep=False).to_numpy()
    return duplicated


def _unknown_facilities(table: RawTable, ids: pd.Series, stage_of: pd.Series) -> list[Problem]:
    """A problem for every given id (column ``facility``) that names no facility."""
    return [Problem(table.label, table.row_number(i), "facility", f"unknown facility id '{fid}'")
            for i, fid in ids.items() if isinstance(fid, str) and fid not in stage_of.index]


def _check_demand(table: RawTable, demand: pd.DataFrame, stage_of: pd.Series) -> list[Problem]:
    problems = _unknown_facilities(table, demand["facility"], stage_of)
    for i in demand.index[demand["facility"].duplicated()]:
        problems.append(Problem(table.label, table.row_number(i), "facility",
                                f"duplicate demand for '{demand.at[i, 'facility']}'"))
    return problems


def _check_owners(table: RawTable, owners: pd.DataFrame) -> list[Problem]:
    problems = []
    pairs = owners[["owner", "parent"]].fillna({"parent": ""})
    for i in pairs.index[pairs.duplicated()]:
        problems.append(Problem(table.label, table.row_number(i), "parent",
                                f"duplicate ownership row {owners.at[i, 'owner']} <- "
                                f"{owners.at[i, 'parent'] or '(root)'}"))
    real = owners[owners["parent"].notna() & (owners["parent"] != owners["owner"])]
    in_range = real["stake"].between(0, 1).groupby(real["owner"]).transform("all").astype(bool)
    totals = real.loc[in_range].groupby("owner", sort=False)["stake"].sum()  # else reported per row
    for owner, total in totals[totals > 1 + 1e-9].items():
        i = real.index[real["owner"] == owner][-1]
        problems.append(Problem(table.label, table.row_number(i), "stake",
                                f"stakes in '{owner}' sum to {total:g} (> 1)"))
    problems += _ownership_cycles(table, real)
    return problems


def _has_cycle(child: pd.Series, parent: pd.Series) -> bool:
    """Whether the edges ``child -> parent`` close a cycle (self-edges must be removed
    first): Kahn's topological sort on integer codes, linear in the edges (a cycle leaves
    nodes that never reach in-degree 0). No SciPy: loading a network does not import it."""
    m = len(child)
    if m == 0:
        return False
    node = codes(pd.concat([child, parent], ignore_index=True))
    tail, head = node[:m], node[m:]
    keep = (tail >= 0) & (head >= 0)          # missing ends close nothing
    tail, head = tail[keep], head[keep]
    n = int(node.max()) + 1
    indptr = np.concatenate([[0], np.cumsum(np.bincount(tail, minlength=n))]).tolist()
    heads = head[np.argsort(tail, kind="stable")].tolist()
    waiting = np.bincount(head, minlength=n).tolist()      # in-degree
    ready = [i for i, d in enumerate(waiting) if d == 0]
    done = 0
    while ready:
        i = ready.pop()
        done += 1
        for j in heads[indptr[i]:indptr[i + 1]]:
            waiting[j] -= 1
            if waiting[j] == 0:
                ready.append(j)
    return done < n


def _ownership_cycles(table: RawTable, real: pd.DataFrame) -> list[Problem]:
    """One problem per ownership cycle (found as strongly connected components)."""
    if not _has_cycle(real["owner"], real["parent"]):
        return []  # the usual case, settled without importing scipy
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    names, inverse = np.unique(np.concatenate([real["owner"].to_numpy(dtype=object),
                                               real["parent"].to_numpy(dtype=object)]),
                               return_inverse=True)
    n, m = len(names), len(real)
    if m == 0:
        return []
    graph = csr_matrix((np.ones(m), (inverse[:m], inverse[m:])), shape=(n, n))
    _, component = connected_components(graph, directed=True, connection="strong")
    sizes = np.bincount(component)
    problems = []
    for label in np.flatnonzero(sizes > 1):
        import networkx as nx  # noqa: PLC0415 (only a found cycle needs it, to spell it out)

        members = set(names[component == label])
        cyclic = real[real["owner"].isin(members) & real["parent"].isin(members)]
        cycle = [edge[0] for edge in nx.find_cycle(nx.DiGraph(list(zip(cyclic["owner"], cyclic["parent"]))))]
        i = real.index[real["owner"] == cycle[0]][0]
        problems.append(Problem(table.label, table.row_number(i), "parent",
                                "ownership cycle: " + " -> ".join(cycle + [cycle[0]])))
    return problems
