"""Generate ``amrt_mock.xlsx``: a small AMRT 1.3 declaration in the template's layout.

Run ``python tests/data/amrt/make_mock.py`` to regenerate. The company and processors are
invented (the processor names imitate real naming styles, with legal suffixes, so the merge's
name normalisation has something to do). Layout assumed (AMRT 1.3, 17 Oct 2025; see
``ingest/amrt.py``): sheets Revision, Instructions, Definitions, Declaration, Minerals Scope,
Smelter List, Checker, Mine List, Product List, Smelter Look-up; Declaration labels in column B
and answers in column D (minerals in D..I); the Smelter List header on row 4.
"""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import openpyxl
from openpyxl.styles import Font

HERE = Path(__file__).parent
SHEETS = ["Revision", "Instructions", "Definitions", "Declaration", "Minerals Scope", "Smelter List",
          "Checker", "Mine List", "Product List", "Smelter Look-up"]

DECLARATION = [  # (row, label in B, answer in D)
    (8, "Company Name (*):", "Nordmag Magnetics GmbH"),
    (9, "Declaration Scope or Class (*):", "A. Company"),
    (10, "Description of Scope:", None),
    (11, "Select Minerals/Metals in Scope (up to 10) (*):", "Rare Earth Elements"),
    (13, "If your Minerals/Metals in Scope include Other, enter the other minerals here:", None),
    (17, "Company Unique Identifier:", "DE123456789"),
    (18, "Company Unique Authorization Identifier:", None),
    (19, "Address:", "Industriestrasse 5, 63450 Hanau, Germany"),
    (20, "Contact Name (*):", "Jana Beispiel"),
    (21, "Email – Contact (*):", "compliance@nordmag.example"),
    (22, "Phone – Contact (*):", "+49 6181 000000"),
    (23, "Authorized Company Representative Name (*):", "Dr. Max Muster"),
    (24, "Representative Title:", "Head of Procurement"),
    (25, "Email – Representative (*):", "max.muster@nordmag.example"),
    (26, "Phone – Representative:", None),
    (27, "Effective Date (*):", dt.datetime(2025, 11, 14)),
]

SMELTER_HEADER = [
    "Smelter Identification Number Input Column", "Metal (*)", "Smelter Look-up (*)", "Smelter Name (1)",
    "Smelter Country (*)", "Smelter Identification", "Source of Smelter Identification Number",
    "Smelter Street", "Smelter City", "Smelter Facility Location: State / Province (if applicable)",
    "Smelter Contact Name", "Smelter Contact Email", "Proposed next steps, if applicable",
    'Name of Mine(s) or if recycled or scrap sourced, enter "recycled" or "scrap"',
    'Location (Country) of Mine(s) or if recycled or scrap sourced, enter "recycled" or "scrap"',
    "Does 100% of the smelter's feedstock originate from recycled or scrap sources?", "Comments",
]
SMELTERS = [  # (id input, metal, look-up, name (1), country, identification, source, city)
    ("CID900001", "Rare Earth Elements", "Baotou Rare Earth Separation Co., Ltd.", None, "China",
     "CID900001", "RMI", "Baotou"),
    ("CID900002", "Rare Earth Elements", "Lynas Malaysia Sdn Bhd", None, "Malaysia", "CID900002", "RMI",
     "Kuantan"),
    (None, "Rare Earth Elements", "Smelter not listed", "Estonia Rare Metals AS", "Estonia", None, None,
     "Sillamäe"),
    (None, "Rare Earth Elements", "Smelter not yet identified", None, None, None, None, None),
]


def build(path: Path) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name in SHEETS:
        workbook.create_sheet(name)
    workbook["Revision"]["A1"] = "Additional Minerals Reporting Template (AMRT) Revision 1.3, October 17, 2025"
    workbook["Instructions"]["A1"] = "Mock for tiern tests: invented declaration in the AMRT 1.3 layout."
    declaration = workbook["Declaration"]
    declaration["B2"] = "Additional Minerals Reporting Template (AMRT)"
    declaration["B2"].font = Font(bold=True, size=14)
    declaration["B4"] = "Link to Terms & Conditions"
    declaration["B6"] = "Company Information"
    for row, label, answer in DECLARATION:
        declaration.cell(row, 2, label)
        if answer is not None:
            declaration.cell(row, 4, answer)
    declaration["D27"].number_format = "DD-MMM-YYYY"
    declaration["B29"] = ("Answer the following questions 1 - 2 based on the declaration scope "
                          "indicated above")
    declaration["B31"] = "1) Is any of the following minerals or metals intentionally added or used in the product(s) or in the production process? (*)"
    declaration["B32"] = "Rare Earth Elements"
    declaration["D32"] = "Yes"
    smelters = workbook["Smelter List"]
    smelters["A1"] = "Smelter List - Instructions: select the metal, then the smelter look-up, or 'Smelter not listed'."
    smelters["A2"] = "(*) required field"
    for column, header in enumerate(SMELTER_HEADER, start=1):
        smelters.cell(4, column, header).font = Font(bold=True)
    for offset, (id_input, metal, lookup, name, country, ident, source, city) in enumerate(SMELTERS):
        row = 5 + offset
        for column, value in ((1, id_input), (2, metal), (3, lookup), (4, name), (5, country),
                              (6, ident), (7, source), (9, city)):
            if value is not None:
                smelters.cell(row, column, value)
    workbook["Minerals Scope"]["A1"] = "Select Minerals/Metals in Scope"
    workbook["Minerals Scope"]["B1"] = "Reasons for inclusion on the AMRT"
    workbook["Minerals Scope"]["A2"] = "Rare Earth Elements"
    workbook["Minerals Scope"]["B2"] = "NdFeB magnets for traction motors"
    workbook["Product List"]["A4"] = "Manufacturer's Product Number (*)"
    workbook["Product List"]["B4"] = "Manufacturer's Product Name"
    workbook.save(path)
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "amrt_mock.xlsx"
    print(build(target))
