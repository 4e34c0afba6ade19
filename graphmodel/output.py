"""Rendering result tables in the formats every table command offers.

``table`` (aligned text for a terminal, numbers formatted for people by
:mod:`graphmodel.terminal`: shares as percentages, thousands separators), ``csv``, ``json`` (a list of row objects),
``xlsx`` (one sheet, styled header) and ``md`` (a Markdown table). Cells holding lists
become JSON arrays in ``json`` and ``;``-joined text elsewhere.

Every spreadsheet and CSV that tiern writes goes through :func:`safe_frame`, so no value can
act as code when the file is opened in a spreadsheet program: a text cell that starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return (and is not a plain number such as
``-5``) is written with a leading single quote (``'=1+1``); a cell holding a NUL character
(or, in XLSX, any other control character XML cannot carry) or more than
:data:`XLSX_CELL_LIMIT` characters is refused with :class:`graphmodel.errors.OutputError`
rather than truncated or dropped. tiern's own readers undo the quote (:func:`restore`), so
``tiern convert`` round trips exactly. Markdown cells are escaped (:func:`markdown_text`):
``|``, ``<``, ``>`` and ``&`` cannot break a table or inject HTML.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from graphmodel.errors import OutputError
from .choices import FORMATS

_EXTENSIONS = {".csv": "csv", ".json": "json", ".xlsx": "xlsx", ".md": "md", ".txt": "table"}


def infer_format(fmt: str | None, output: Path | None) -> str:
    """The explicit ``fmt``, else the one ``output``'s extension implies, else ``table``."""
    if fmt:
        return fmt
    if output is not None and output.suffix.lower() in _EXTENSIONS:
        return _EXTENSIONS[output.suffix.lower()]
    return "table"


#: Characters that make a spreadsheet program read a text cell as a formula (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: Most characters one XLSX cell holds (Excel's limit; longer text would be truncated).
XLSX_CELL_LIMIT = 32_767
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _needs_quote(text: str) -> bool:
    if not text:
        return False
    if text[0] in FORMULA_PREFIXES:
        return not _PLAIN_NUMBER.fullmatch(text)
    return text[0] == "'" and _needs_quote(text[1:])  # keeps neutralise() reversible


def neutralise(text: str) -> str:
    """``text`` made inert for spreadsheets: a leading ``'`` before a formula prefix.

    A text that already starts with quotes followed by a formula prefix gets one more quote,
    so :func:`restore` gives back exactly the original.

    >>> neutralise("=HYPERLINK(1)"), neutralise("-5"), neutralise("Ma'anshan")
    ("'=HYPERLINK(1)", '-5', "Ma'anshan")
    """
    return "'" + text if _needs_quote(text) else text


def restore(text: str) -> str:
    """The inverse of :func:`neutralise`, applied by tiern's readers to every text cell."""
    return text[1:] if text.startswith("'") and _needs_quote(text[1:]) else text


def safe_frame(frame: pd.DataFrame, fmt: str, label: str = "") -> pd.DataFrame:
    """A copy of ``frame`` safe to write as ``fmt`` (``csv`` or ``xlsx``; see module docstring).

    Raises :class:`OutputError` naming the row (as a spreadsheet counts, header = 1) and
    column of a cell the format cannot hold.
    """
    where = f"{label}: " if label else ""

    def check(value, row: int, column) -> object:
        if not isinstance(value, str):
            return value
        bad = ("\x00" in value and "\x00") or (fmt == "xlsx" and _XML_ILLEGAL.search(value))
        if bad:
            char = bad if isinstance(bad, str) else bad.group()
            raise OutputError(f"{where}row {row}, column '{column}': the control character "
                              f"U+{ord(char):04X} cannot be written to {fmt.upper()}; remove it "
                              f"from the input")
        if fmt == "xlsx" and len(value) > XLSX_CELL_LIMIT:
            raise OutputError(f"{where}row {row}, column '{column}': {len(value):,} characters, more "
                              f"than the {XLSX_CELL_LIMIT:,} an XLSX cell holds (it would be "
                              f"truncated); write CSV or JSON instead")
        return neutralise(value)

    out = frame.copy()
    out.columns = [check(c, 1, c) for c in out.columns]
    for position, column in enumerate(out.columns):
        values = out.iloc[:, position]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            out.isetitem(position, pd.Series(
                [check(v, i + 2, column) for i, v in enumerate(values.tolist())],
                index=values.index, dtype=object))
    return out


def csv_text(frame: pd.DataFrame) -> str:
    """``frame`` as CSV text (no index), LF line endings unless a cell holds a carriage return.

    Python's CSV writer quotes a cell only for the characters of its line terminator, so a
    bare CR inside a cell would be written unquoted and read back as a line break; such a
    table is written with CRLF line endings, which makes the writer quote it.
    """
    text_cells = [frame.iloc[:, i] for i in range(frame.shape[1])
                  if frame.iloc[:, i].dtype == object or pd.api.types.is_string_dtype(frame.iloc[:, i])]
    has_cr = any("\r" in str(c) for c in frame.columns) or any(
        values.map(lambda v: isinstance(v, str) and "\r" in v).any() for values in text_cells)
    return frame.to_csv(index=False, lineterminator="\r\n" if has_cr else "\n")


def markdown_text(value) -> object:
    """A cell made safe inside a Markdown table: ``|`` escaped, HTML and ``&`` as entities,
    line breaks as spaces. Non-text values pass unchanged.

    >>> print(markdown_text("<b>A|B</b>"))
    &lt;b&gt;A\\|B&lt;/b&gt;
    """
    if not isinstance(value, str):
        return value
    text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"[\r\n]+", " ", text).replace("|", "\\|")


def markdown_table(frame: pd.DataFrame, **options) -> str:
    """``frame`` as a Markdown table with every text cell and header escaped."""
    out = frame.copy()
    out.columns = [markdown_text(str(c)) for c in out.columns]
    for position in range(out.shape[1]):
        values = out.iloc[:, position]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            out.isetitem(position, values.map(markdown_text).astype(object))
    return out.to_markdown(index=False, **options)


def render(frame: pd.DataFrame, fmt: str) -> str:
    """A table as text in ``fmt`` (any format but xlsx)."""
    if fmt == "json":
        try:
            return json.dumps([_json_row(row) for row in frame.to_dict("records")], indent=2,
                              allow_nan=False) + "\n"
        except ValueError as error:  # an infinite value: JSON has no way to write it
            raise OutputError(f"cannot write JSON: {error}") from None
    flat = _flatten_lists(frame)
    if fmt == "csv":
        return csv_text(safe_frame(flat, "csv"))
    if fmt == "md":
        return markdown_table(flat, floatfmt=".4g") + "\n"
    if fmt == "table":
        from .terminal import fit   # every column in full; the CLI fits stdout to the terminal

        return fit(flat, wide=True).text
    raise ValueError(f"unknown format '{fmt}' (expected one of {', '.join(FORMATS)})")


#: Excel number formats: shares, whole quantities, quantities with decimals, plain integers.
PERCENT_FORMAT = "0.0%"
THOUSANDS_FORMAT = "#,##0"
DECIMAL_FORMAT = "#,##0.00"
PLAIN_FORMAT = "0"


def number_format(name: str, values: pd.Series, share: bool) -> str | None:
    """The Excel number format of a column, None for text (see :func:`write_xlsx`).

    Shares (``share``) as percentages; integers with thousands separators (years and seeds
    plain); other numbers with thousands separators, two decimals when every value is below
    1,000 in size (0.35 t, an HHI of 5,072 without decimals).
    """
    from .terminal import is_plain_integer

    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return None
    if share:
        return PERCENT_FORMAT
    if pd.api.types.is_integer_dtype(values):
        return PLAIN_FORMAT if is_plain_integer(str(name)) else THOUSANDS_FORMAT
    finite = values[np.isfinite(values.astype(float))]
    return DECIMAL_FORMAT if len(finite) and finite.abs().max() < 1000 else THOUSANDS_FORMAT


#: The sheet holding, in parts, the cells too long for one XLSX cell (:func:`move_long_cells`).
LONG_CELLS = "Long cells"
#: Characters per part in :data:`LONG_CELLS` (under :data:`XLSX_CELL_LIMIT`, with room to cut
#: at a separator).
LONG_CELL_PART = 32_000


def move_long_cells(sheets: dict[str, pd.DataFrame],
                    part: int = LONG_CELL_PART) -> dict[str, pd.DataFrame]:
    """Cells longer than one XLSX cell holds, moved whole to a :data:`LONG_CELLS` sheet.

    At 100,000 facilities a chokepoint's ``alternative_ids`` can run to 40,000 characters,
    over Excel's 32,767 a cell (:func:`write_xlsx` refuses such a cell rather than truncate
    it; the report's workbook passes its sheets through here first). Such
    a cell is replaced by a pointer, "(N characters: sheet 'Long cells', parts 1-k)", and
    its text is written to the ``Long cells`` sheet in parts of at most ``part`` characters,
    cut after the last ``;`` or ``,`` of each part where there is one. Each part is a row
    (``sheet``, ``row``: the spreadsheet row of the cell, ``id``: the row's ``id`` or
    ``name``, ``column``, ``part``, ``text``); the parts joined in order give the cell back
    exactly. Sheets without such a cell are returned unchanged (the same objects).
    """
    rows = []
    out = {}
    for name, table in sheets.items():
        text_columns = [c for c in table.columns
                        if table[c].dtype == object or pd.api.types.is_string_dtype(table[c])]
        long = {c: table[c].map(lambda v: isinstance(v, str) and len(v) > XLSX_CELL_LIMIT)
                for c in text_columns}
        if not any(mask.any() for mask in long.values()):
            out[name] = table
            continue
        table = table.copy()
        key = "id" if "id" in table.columns else "name" if "name" in table.columns else None
        for column, mask in long.items():
            for position in mask.to_numpy().nonzero()[0]:
                text = table[column].iat[position]
                parts = _parts(text, part)
                label = table[key].iat[position] if key else ""
                rows += [(name, position + 2, label, column, i, chunk)
                         for i, chunk in enumerate(parts, 1)]
                table.iloc[position, table.columns.get_loc(column)] = (
                    f"({len(text):,} characters: sheet '{LONG_CELLS}', parts 1-{len(parts)})")
        out[name] = table
    if rows:
        out[LONG_CELLS] = pd.DataFrame(rows, columns=["sheet", "row", "id", "column", "part",
                                                      "text"])
    return out


def _parts(text: str, size: int) -> list[str]:
    """``text`` cut into pieces of at most ``size`` characters, each after its last ``;`` or
    ``,`` where it has one; ``"".join`` of the pieces is ``text``."""
    parts = []
    while len(text) > size:
        cut = max(text.rfind(";", 0, size), text.rfind(",", 0, size)) + 1
        cut = cut if cut > 0 else size
        parts.append(text[:cut])
        text = text[cut:]
    return parts + [text]


def write_xlsx(sheets: dict[str, pd.DataFrame], path: Path, *,
               readme: dict[str, str] | None = None,
               shares: dict[str, list[str]] | None = None) -> Path:
    """Write tables to a workbook, one sheet each, ready to read and to filter.

    Every sheet has a bold filled header row, frozen under the header, an autofilter over
    its columns and column widths sized to the content; numeric cells get number formats
    (:func:`number_format`) while keeping their full-precision values. Share columns are
    ``shares[sheet]`` where given, else found by name (:func:`graphmodel.terminal.is_share`).
    ``readme`` (sheet name -> what it holds) adds a first sheet ``README`` listing every
    sheet with its description, so the workbook explains itself.
    """
    from openpyxl.styles import Alignment, Font, PatternFill

    from .terminal import is_share

    path = output_path(path)
    frames = dict(sheets)
    if readme is not None:
        frames = {"README": pd.DataFrame(
            [(name[:31], readme.get(name, "")) for name in sheets],
            columns=["sheet", "what it holds"]), **frames}
    extra = shares or {}
    safe = {name: safe_frame(_flatten_lists(frame), "xlsx", f"{path.name}[{name[:31]}]")
            for name, frame in frames.items()}
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in safe.items():
            sheet_name = name[:31]
            frame.to_excel(writer, sheet_name=sheet_name, index=False)
            sheet = writer.sheets[sheet_name]
            sheet.freeze_panes = "A2"
            if frame.shape[1]:
                sheet.auto_filter.ref = sheet.dimensions
            for cell in sheet[1]:
                cell.font = Font(bold=True, color="FFFFFF")
                cell.fill = PatternFill("solid", fgColor="1F3A5F")
            for position, column in enumerate(sheet.iter_cols(max_col=frame.shape[1])):
                label = frame.columns[position]
                original = frames[name].iloc[:, position]
                share = label in extra[name] if name in extra else is_share(str(label))
                fmt = number_format(label, original, share)
                if fmt is not None:
                    for cell in column[1:]:
                        cell.number_format = fmt
                width = max(len(str(c.value)) if c.value is not None else 0 for c in column)
                if fmt == PERCENT_FORMAT:
                    width = max(len(str(label)), 7)
                sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 8), 60)
            if readme is not None and sheet_name == "README":
                sheet.column_dimensions["B"].width = 100
                for cell in sheet["B"]:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
    return path


def output_path(path: Path, folder: bool = False) -> Path:
    """Check that ``path`` can be written (a file, or a folder when ``folder``), creating its
    parent folders; raises :class:`OutputError` with the reason otherwise."""
    path = Path(path)
    if not folder and path.is_dir():
        raise OutputError(f"{path}: is a folder; give a file name (e.g. {path / 'result.csv'})")
    if folder and path.exists() and not path.is_dir():
        raise OutputError(f"{path}: is a file; give a folder name or a name ending in .xlsx")
    target = path if folder else path.parent
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"{path}: cannot create {target} ({error.strerror or error})") from None
    return path


def write_text(text: str, path: Path) -> Path:
    """Write ``text`` as UTF-8 to ``path``, with a clear error if the place is not writable."""
    path = output_path(path)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise OutputError(f"{path}: cannot write ({error.strerror or error})") from None
    return path


def _flatten_lists(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if out[column].map(lambda v: isinstance(v, (list, tuple))).any():
            out[column] = out[column].map(
                lambda v: ";".join(map(str, v)) if isinstance(v, (list, tuple)) else v)
    return out


def _json_value(value):
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (float, np.floating)):
        return None if np.isnan(value) else float(value)  # infinity: refused by render()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _json_row(row: dict) -> dict:
    return {str(k): _json_value(v) for k, v in row.items()}
