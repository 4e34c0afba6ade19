"""RMI Additional Minerals Reporting Template (AMRT) declarations -> facilities and links.

The AMRT is the Responsible Minerals Initiative's free Excel template in which a supplier
declares, per mineral, the smelters and processors in its supply chain; "Rare Earth
Elements" is in its mineral list since **version 1.3 (released 17 October 2025)**, the
version assumed here. Public descriptions of the layout: RMI's AMRT page
(https://www.responsiblemineralsinitiative.org/reporting-templates/amrt) and the field-by-field
specification in github.com/cirscn/cm-reporting (``docs/prd/amrt.md``,
``app/src/lib/core/registry/templates/amrt/``). The sheets read:

**Declaration** -- company information: labels in column B, answers in column D (the
answer of "Select Minerals/Metals in Scope" spans D..I). Labels are found by text, not by
fixed row, so small row shifts between template revisions do not matter. Required by the
template's Checker: Company Name, Declaration Scope or Class, at least one mineral in scope,
Contact Name / Email / Phone, Authorized Company Representative Name / Email, Effective Date;
Description of Scope when the scope is "C. User defined"; e-mail addresses contain "@"
(the contact may write "not available"); an answer (Yes, No, Unknown, Not declaring) to
question 1 for every declared mineral (the minerals are listed in column B under the
question, answers in column D), and, for a mineral answered Yes, at least one Smelter List row.

**Smelter List** -- one row per declared smelter/processor, under a header row (row 4 in
the template; found by its ``Metal (*)`` cell) with the columns ``Smelter Identification
Number Input Column, Metal (*), Smelter Look-up (*), Smelter Name (1), Smelter Country (*),
Smelter Identification, Source of Smelter Identification Number, Smelter Street, Smelter City,
Smelter Facility Location: State / Province, ...``. Required per row: ``Metal (*)`` (one of the
declared minerals) and ``Smelter Look-up (*)``; when the look-up is "Smelter not listed",
``Smelter Name (1)`` and ``Smelter Country (*)`` are required. "Smelter not yet identified"
rows carry no facility and are noted.

Output
------
* one facility per declared rare-earth processor (rows whose metal is "Rare Earth Elements" or
  a rare-earth element; other minerals are noted and skipped): ``id`` = the RMI smelter id
  (``Smelter Identification``, e.g. ``CID003456``) when given, else ``amrt-<name>-<country>``;
  ``stage`` = ``processor_stage`` (the AMRT does not say which stage a processor is; default
  ``separator``); ``basis = declared``; ``rmi_id``;
* the declaring company as a facility (``stage`` = ``company_stage``, default ``magnet``;
  country from the last part of the Address, or ``company_country``);
* a link from every processor to the company, material "Rare Earth Elements". **The AMRT
  declares who supplies whom, not how much**: links carry ``volume = 0`` with
  ``volume_known = False``; they add structure, and :mod:`ingest.merge` never lets them reduce
  a volume.

Errors read ``file[sheet]:row:column: message`` (column = the cell column letter on the
Declaration sheet, the header name on the Smelter List).

Formulas and merged cells
-------------------------
The template fills cells by formula (look-ups of the smelter list) and merges answer cells,
so neither is refused outright; both are read explicitly (:class:`SheetCells`):

* a **formula** cell is read as the value the file saved with it, the result the spreadsheet
  program last calculated; tiern never evaluates a formula. A formula cell without a saved
  value (a file written by a program that does not calculate) is a problem, never read as
  empty. Each sheet whose read cells hold formulas gets one ``info`` note listing them.
* a **merged** range keeps its value in its top-left cell; reading that cell reads the range.
  Reading any other cell of a range that holds a value is a problem (it would read as empty:
  say a metal merged down rows 5..7 of the Smelter List), except where one field spans the
  range (the Declaration's "Select Minerals/Metals in Scope" answer, D..I, which the template
  merges). Labels found by text (column B, the Smelter List header) are looked up, not read
  as data, and are exempt.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from pathlib import Path

from openpyxl.utils import get_column_letter

from graphmodel.errors import Problem, ValidationError
from graphmodel.io.excel import load_workbook
from graphmodel.io.normalize import normalize_country
from graphmodel.schema import ALL_STAGES

from .fragment import Ingested, build_network, note, notes_frame

#: Formula cells listed by name in a sheet's note (the rest are counted).
NOTE_CELLS = 5


class SheetCells:
    """The data cells of one AMRT sheet, read exactly (see "Formulas and merged cells" above).

    ``values`` is the sheet as saved (openpyxl ``data_only=True``), ``formulas`` the same
    sheet with its formulas (``data_only=False``); ``label`` names it in problems and notes.
    """

    def __init__(self, values, formulas, label: str):
        self.values, self.formulas, self.label = values, formulas, label
        self.covered: dict[tuple[int, int], tuple[str, tuple[int, int]]] = {}
        for cell_range in values.merged_cells.ranges:
            anchor = (cell_range.min_row, cell_range.min_col)
            for cell in cell_range.cells:
                if cell != anchor:
                    self.covered[cell] = (cell_range.coord, anchor)
        self.formula_cells: list[str] = []

    def text(self, row: int, column: int, name: str, problems: list, span: range = range(0)) -> str:
        """The cell's text ('' when empty); ``name`` is the column as problems name it.

        ``span`` = the columns of this row the field reads as one (a covered cell whose
        range's top-left lies in it is read by that cell, so it is not a problem).
        """
        if (row, column) in self.covered:
            coord, (anchor_row, anchor_column) = self.covered[(row, column)]
            anchor_value = self.values.cell(anchor_row, anchor_column).value
            spanned = anchor_row == row and anchor_column in span
            if anchor_value not in (None, "") and not spanned:
                problems.append(Problem(self.label, row, name, f"cell {_coordinate(row, column)} is "
                                        f"part of the merged range {coord}, whose value is only in "
                                        f"{_coordinate(anchor_row, anchor_column)}: unmerge the range "
                                        "and fill every cell (a merged cell reads as empty)"))
            return ""
        value = self.values.cell(row, column).value
        if self.formulas.cell(row, column).data_type == "f":
            formula = self.formulas.cell(row, column).value
            formula = formula if isinstance(formula, str) else getattr(formula, "text", "")
            if value is None:
                problems.append(Problem(self.label, row, name, f"formula {formula} has no saved value "
                                        "(the program that wrote the file did not calculate it): "
                                        "open and save it in a spreadsheet program, or paste values"))
                return ""
            self.formula_cells.append(_coordinate(row, column))
        return _cell_text(value)

    def note(self) -> dict | None:
        """One ``info`` note listing the formula cells read (None when there were none)."""
        cells = list(dict.fromkeys(self.formula_cells))
        if not cells:
            return None
        shown = ", ".join(cells[:NOTE_CELLS]) + (f" and {len(cells) - NOTE_CELLS} more"
                                                  if len(cells) > NOTE_CELLS else "")
        row = int(re.sub(r"\D", "", cells[0]))
        return note("info", self.label, row, "-", f"{len(cells)} formula cell{'s' if len(cells) > 1 else ''} "
                    f"read as the value saved in the file (tiern never evaluates formulas): {shown}")


def _coordinate(row: int, column: int) -> str:
    return f"{get_column_letter(column)}{row}"

TEMPLATE_VERSION = "1.3"
DECLARATION = "Declaration"
SMELTER_LIST = "Smelter List"
RARE_EARTHS = "Rare Earth Elements"
RARE_EARTH_NAMES = {
    "rare earth elements", "rare earths", "ree", "scandium", "yttrium", "lanthanum", "cerium",
    "praseodymium", "neodymium", "promethium", "samarium", "europium", "gadolinium", "terbium",
    "dysprosium", "holmium", "erbium", "thulium", "ytterbium", "lutetium",
}

#: Declaration fields: key -> (label as printed in column B, required by the Checker)
DECLARATION_FIELDS: dict[str, tuple[str, bool]] = {
    "company": ("Company Name", True),
    "scope": ("Declaration Scope or Class", True),
    "scope_description": ("Description of Scope", False),
    "minerals": ("Select Minerals/Metals in Scope", True),
    "company_id": ("Company Unique Identifier", False),
    "address": ("Address", False),
    "contact_name": ("Contact Name", True),
    "contact_email": ("Email – Contact", True),
    "contact_phone": ("Phone – Contact", True),
    "representative": ("Authorized Company Representative Name", True),
    "representative_email": ("Email – Representative", True),
    "effective_date": ("Effective Date", True),
}
LABEL_COLUMN, ANSWER_COLUMN, LAST_MINERAL_COLUMN = 2, 4, 9  # B, D, I

SMELTER_COLUMNS = {
    "metal": "Metal (*)", "lookup": "Smelter Look-up (*)", "name": "Smelter Name (1)",
    "country": "Smelter Country (*)", "rmi_id": "Smelter Identification",
    "id_input": "Smelter Identification Number Input Column", "city": "Smelter City",
}
REQUIRED_SMELTER_COLUMNS = ("metal", "lookup", "name", "country")
NOT_LISTED = "smelter not listed"
NOT_IDENTIFIED = "smelter not yet identified"


def read_amrt(path: str | Path, *, processor_stage: str = "separator", company_stage: str = "magnet",
              company_country: str | None = None) -> Ingested:
    """Facilities and links from one AMRT declaration workbook (see the module docstring).

    Raises :class:`graphmodel.errors.ValidationError` listing every missing required field as
    ``file[sheet]:row:column: message``.
    """
    for stage in (processor_stage, company_stage):
        if stage not in ALL_STAGES:
            raise ValueError(f"unknown stage '{stage}' (expected one of {', '.join(ALL_STAGES)})")
    path = Path(path)
    workbook = _open(path)
    problems: list[Problem] = []
    declaration = _read_declaration(workbook[DECLARATION], path.name, problems)
    smelters, notes = _read_smelters(workbook[SMELTER_LIST], path.name, declaration, problems)
    notes = [n for n in (workbook[DECLARATION].note(), workbook[SMELTER_LIST].note()) if n] + notes
    _check_smelters_for_yes(declaration, smelters, path.name, problems)
    country = _company_country(declaration, company_country, path.name, problems)
    if problems:
        raise ValidationError(problems)
    facilities, links = _records(declaration, smelters, country, processor_stage, company_stage)
    name = f"amrt-{_slug(declaration['company'][0])}"
    return Ingested(build_network(facilities, links, name=name), notes_frame(notes))


def _open(path: Path) -> dict[str, SheetCells]:
    """The Declaration and Smelter List sheets, values and formulas (size/bomb/DTD checked)."""
    workbook, problems = load_workbook(path, data_only=True, read_only=False)
    if workbook is None:
        raise ValidationError(problems)
    missing = [s for s in (DECLARATION, SMELTER_LIST) if s not in workbook.sheetnames]
    if missing:
        raise ValidationError([Problem(path.name, 0, "-", f"missing sheet '{s}' (sheets: "
                                       f"{', '.join(workbook.sheetnames)}); is this an AMRT?")
                               for s in missing])
    formulas, problems = load_workbook(path, data_only=False, read_only=False)
    if formulas is None:
        raise ValidationError(problems)
    return {sheet: SheetCells(workbook[sheet], formulas[sheet], f"{path.name}[{sheet}]")
            for sheet in (DECLARATION, SMELTER_LIST)}


# --- Declaration -------------------------------------------------------------------------------

def _label_key(text) -> str:
    text = unicodedata.normalize("NFKC", str(text or "")).replace("—", "–").replace(" - ", " – ")
    text = re.sub(r"\(\*\)|\(up to 10\)|:", "", text)
    return " ".join(text.split()).casefold()


def _read_declaration(cells: SheetCells, filename: str, problems: list) -> dict:
    """Field key -> (value, row); value is '' (or [] for minerals) when empty."""
    sheet = cells.values
    label = cells.label
    rows = {}
    wanted = {_label_key(text): key for key, (text, _) in DECLARATION_FIELDS.items()}
    for row in range(1, sheet.max_row + 1):
        key = wanted.get(_label_key(sheet.cell(row, LABEL_COLUMN).value))
        if key and key not in rows:
            rows[key] = row
    found = {}
    for key, (text, required) in DECLARATION_FIELDS.items():
        if key not in rows:
            if required:
                problems.append(Problem(label, 0, "B", f"label '{text}' not found in column B"))
            found[key] = ([] if key == "minerals" else "", 0)
            continue
        row = rows[key]
        if key == "minerals":
            span = range(ANSWER_COLUMN, LAST_MINERAL_COLUMN + 1)
            value = [answer for column in span
                     if (answer := cells.text(row, column, get_column_letter(column), problems, span))]
        else:
            value = cells.text(row, ANSWER_COLUMN, "D", problems)
        found[key] = (value, row)
        if required and not value:
            problems.append(Problem(label, row, "D", f"missing required field '{text}'"))
    _check_declaration(found, label, problems)
    found["q1"] = (_question_one(cells, found["minerals"][0], label, problems), 0)
    return found


Q1_LABEL = "1) is any of the following minerals or metals intentionally added or used"
Q1_ANSWERS = ("Yes", "No", "Unknown", "Not declaring")


def _question_one(cells: SheetCells, minerals: list[str], label: str, problems: list) -> dict[str, tuple]:
    """Answers to question 1 per declared mineral: {mineral casefolded: (mineral, answer, row)}.

    The template lists the declared minerals in column B under the question's label (row
    after row, until question 2), with the answer in column D; the Checker requires an answer
    for every declared mineral.
    """
    sheet = cells.values
    start = next((row for row in range(1, sheet.max_row + 1)
                  if _label_key(sheet.cell(row, LABEL_COLUMN).value).startswith(Q1_LABEL)), None)
    if start is None:
        if minerals:
            problems.append(Problem(label, 0, "B", "question 1 ('1) Is any of the following minerals "
                                    "or metals intentionally added ...') not found in column B"))
        return {}
    answers = {}
    for row in range(start + 1, min(start + 1 + 2 * max(len(minerals), 1), sheet.max_row) + 1):
        name = _cell_text(sheet.cell(row, LABEL_COLUMN).value)
        if name.casefold() in {m.casefold() for m in minerals}:
            answers[name.casefold()] = (name, cells.text(row, ANSWER_COLUMN, "D", problems), row)
    for mineral in minerals:
        _, answer, row = answers.get(mineral.casefold(), (mineral, "", start))
        if not answer:
            problems.append(Problem(label, row, "D", f"missing answer to question 1 for '{mineral}'"))
        elif answer not in Q1_ANSWERS:
            problems.append(Problem(label, row, "D", f"answer to question 1 for '{mineral}' must be one "
                                    f"of {', '.join(Q1_ANSWERS)}, got '{answer}'"))
    return answers


def _cell_text(value) -> str:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime("%d-%b-%Y")
    return "" if value is None else str(value).strip()


def _check_declaration(found: dict, label: str, problems: list) -> None:
    scope, scope_row = found["scope"]
    if scope.upper().startswith("C") and not found["scope_description"][0]:
        problems.append(Problem(label, found["scope_description"][1] or scope_row, "D",
                                "missing 'Description of Scope' (required when the scope is "
                                "C. User defined)"))
    for key in ("contact_email", "representative_email"):
        value, row = found[key]
        if value and "@" not in value and not (key == "contact_email" and value.lower() == "not available"):
            problems.append(Problem(label, row, "D", f"'{DECLARATION_FIELDS[key][0]}' is not an "
                                    f"e-mail address: '{value}'"))
    date, row = found["effective_date"]
    if date and _parse_date(date) is None:
        problems.append(Problem(label, row, "D", f"'Effective Date' must be DD-MMM-YYYY "
                                f"(e.g. 15-Nov-2025), got '{date}'"))


def _parse_date(text: str) -> dt.date | None:
    for pattern in ("%d-%b-%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _company_country(declaration: dict, override: str | None, filename: str, problems: list) -> str | None:
    if override:
        code = normalize_country(override)
        if code is None:
            raise ValueError(f"unknown country '{override}'")
        return code
    address, row = declaration["address"]
    last = address.replace("\n", ",").split(",")[-1].strip() if address else ""
    code = normalize_country(re.sub(r"\d", "", last).strip()) if last else None
    if code is None:
        problems.append(Problem(f"{filename}[{DECLARATION}]", row, "D",
                                f"cannot tell the company's country from Address '{address}' (end it "
                                "with the country name, or give the country explicitly)"))
    return code


# --- Smelter List ------------------------------------------------------------------------------

def _read_smelters(sheet_cells: SheetCells, filename: str, declaration: dict, problems: list):
    sheet = sheet_cells.values
    label = sheet_cells.label
    header_row, columns = _find_header(sheet)
    if header_row is None:
        problems.append(Problem(label, 0, "-", "header row with 'Metal (*)' not found in the first "
                                "10 rows"))
        return [], []
    missing = [SMELTER_COLUMNS[k] for k in REQUIRED_SMELTER_COLUMNS if SMELTER_COLUMNS[k] not in columns]
    for name in missing:
        problems.append(Problem(label, header_row, name, f"missing required column '{name}'"))
    if missing:
        return [], []
    declared = {m.casefold() for m in declaration["minerals"][0]}
    smelters, notes = [], []
    declaration["_metals_listed"] = set()  # metals of every row, skipped ones included
    for row in range(header_row + 1, sheet.max_row + 1):
        cells = {key: sheet_cells.text(row, columns[header], header, problems)
                 for key, header in SMELTER_COLUMNS.items() if header in columns}
        if not any(cells.values()):
            continue
        declaration["_metals_listed"].add(cells["metal"].casefold())
        smelter = _smelter_row(cells, row, label, declared, problems, notes)
        if smelter:
            smelters.append(smelter)
    return smelters, notes


def _check_smelters_for_yes(declaration, smelters, filename, problems) -> None:
    """Checker rule: a mineral answered Yes in question 1 needs at least one Smelter List row."""
    if "_metals_listed" not in declaration:  # the Smelter List could not be read: reported already
        return
    listed = declaration["_metals_listed"]
    for key, (mineral, answer, row) in declaration["q1"][0].items():
        if answer == "Yes" and key not in listed:
            problems.append(Problem(f"{filename}[{SMELTER_LIST}]", 0, "Metal (*)",
                                    f"question 1 is 'Yes' for '{mineral}' (Declaration row {row}) but the "
                                    "Smelter List has no row for it"))


def _find_header(sheet):
    for row in range(1, min(sheet.max_row, 10) + 1):
        values = {_cell_text(c.value): c.column for c in sheet[row] if c.value not in (None, "")}
        if SMELTER_COLUMNS["metal"] in values:
            return row, values
    return None, {}


def _smelter_row(cells, row, label, declared, problems, notes):
    metal, lookup = cells["metal"], cells["lookup"]
    for key in ("metal", "lookup"):
        if not cells[key]:
            problems.append(Problem(label, row, SMELTER_COLUMNS[key],
                                    f"missing required field '{SMELTER_COLUMNS[key]}'"))
    if metal and declared and metal.casefold() not in declared:
        problems.append(Problem(label, row, SMELTER_COLUMNS["metal"], f"metal '{metal}' is not among the "
                                f"declared minerals ({', '.join(sorted(declared))})"))
    if lookup.casefold() == NOT_IDENTIFIED:
        notes.append(note("info", label, row, SMELTER_COLUMNS["lookup"],
                          "smelter not yet identified: no facility"))
        return None
    name = cells["name"] if lookup.casefold() == NOT_LISTED else (cells["name"] or lookup)
    if lookup.casefold() == NOT_LISTED:
        for key in ("name", "country"):
            if not cells[key]:
                problems.append(Problem(label, row, SMELTER_COLUMNS[key], f"missing required field "
                                        f"'{SMELTER_COLUMNS[key]}' (required when the look-up is "
                                        "'Smelter not listed')"))
    country = normalize_country(cells["country"]) if cells["country"] else None
    if cells["country"] and country is None:
        problems.append(Problem(label, row, SMELTER_COLUMNS["country"],
                                f"unknown country '{cells['country']}'"))
    elif lookup and not cells["country"] and lookup.casefold() != NOT_LISTED:
        problems.append(Problem(label, row, SMELTER_COLUMNS["country"],
                                f"missing required field '{SMELTER_COLUMNS['country']}'"))
    if metal and metal.casefold() not in RARE_EARTH_NAMES:
        notes.append(note("info", label, row, SMELTER_COLUMNS["metal"],
                          f"metal '{metal}' is not a rare earth; row skipped"))
        return None
    if not (metal and name and country):
        return None
    rmi_id = cells.get("rmi_id") or cells.get("id_input") or ""
    return {"metal": metal, "name": name, "country": country, "rmi_id": rmi_id, "row": row,
            "label": label}


# --- records ---------------------------------------------------------------------------------

def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _records(declaration, smelters, country, processor_stage, company_stage):
    company = declaration["company"][0]
    date = _parse_date(declaration["effective_date"][0])
    source = f"RMI AMRT {TEMPLATE_VERSION} declaration by {company}, {declaration['effective_date'][0]}"
    company_id = f"amrt-{_slug(company)}"
    facilities = [{"id": company_id, "name": company, "stage": company_stage, "country": country,
                   "source": source, "year": date.year, "basis": "declared"}]
    links, seen = [], set()
    for smelter in smelters:
        facility_id = smelter["rmi_id"] or f"amrt-{_slug(smelter['name'])}-{smelter['country'].lower()}"
        if facility_id not in seen:
            seen.add(facility_id)
            facilities.append({
                "id": facility_id, "name": smelter["name"], "stage": processor_stage,
                "country": smelter["country"], "source": source, "year": date.year,
                "basis": "declared", "rmi_id": smelter["rmi_id"],
                "_source": (smelter.get("label", ""), smelter["row"])})
            links.append({"supplier": facility_id, "customer": company_id, "material": RARE_EARTHS,
                          "volume": 0, "status": "qualified", "source": source, "year": date.year,
                          "basis": "declared", "volume_known": False})
    return facilities, links
