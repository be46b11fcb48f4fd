"""The Excel workbook an analyst fills in: ``vawgstats returns template --out FILE.xlsx``.

Sheets:

- ``returns`` (the data sheet): the columns of :data:`vawgstats.returns.COLUMNS`
  with drop-down lists (Excel data validation) of the units (12 BCUs and
  ``MPS``) and of the measures;
- ``measures``: every measure with its pillar, commitment, label, kind,
  disclosure class and definition;
- ``lists``: the drop-down lists' values (referenced by the data validation);
- ``about``: how to fill the data sheet in.

The same writer also writes a filled-in table (:func:`vawgstats.returns.write_returns`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .returns import COLUMNS, DATA_SHEET, MEASURES, REQUIRED_COLUMNS, UNITS, vocabulary

#: Rows of the data sheet covered by the drop-down lists.
VALIDATED_ROWS = 5000

ABOUT = (
    ("How to fill in this workbook", ""),
    ("One row per figure", "Fill in the 'returns' sheet: one row per figure; keep the header row."),
    ("start", "First month the figure covers, as text YYYY-MM (e.g. 2024-04)."),
    ("end", "Last month it covers (leave empty for a single month). A six-monthly figure: start 2023-07, end 2023-12."),
    ("bcu", "One of the 12 BCU codes, or MPS for a force-wide figure (drop-down list)."),
    ("measure", "One of the measures on the 'measures' sheet (drop-down list)."),
    ("value", "A number, 0 or more. Counts are whole numbers; percents are 0-100."),
    ("source", "Optional: where the figure comes from."),
    ("note", "Optional: anything a reader should know."),
    ("kinds", "flow: summed over the report period (a row counts only if its months lie wholly inside it); "
              "stock: the value at the latest month within the period; percent: 0-100, with an optional "
              "<measure>_respondents row giving the number of respondents."),
    ("check", "Run `vawgstats returns validate FILE.xlsx` before rendering (exit status 0 when valid)."),
)


def write_workbook(path: str | Path, rows: pd.DataFrame | None = None) -> Path:
    """Write the template (``rows`` None) or a filled-in returns workbook to ``path`` (.xlsx)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    path = Path(path)
    book = Workbook()
    data = book.active
    data.title = DATA_SHEET
    data.append(list(COLUMNS))
    for cell in data[1]:
        cell.font = Font(bold=True)
    if rows is not None:
        for record in rows.reindex(columns=list(COLUMNS)).itertuples(index=False):
            data.append(["" if pd.isna(v) else v for v in record])
    for letter, width in zip("ABCDEFG", (10, 10, 8, 40, 10, 30, 40)):
        data.column_dimensions[letter].width = width
    data.freeze_panes = "A2"

    lists = book.create_sheet("lists")
    lists.append(["bcu", "measure"])
    names = list(MEASURES)
    for i in range(max(len(UNITS), len(names))):
        lists.append([UNITS[i] if i < len(UNITS) else None, names[i] if i < len(names) else None])
    last = max(VALIDATED_ROWS, (len(rows) + 1) if rows is not None else 0)
    for column, letter, count, what in (("C", "A", len(UNITS), "BCU code or MPS"),
                                        ("D", "B", len(names), "measure")):
        rule = DataValidation(type="list", formula1=f"=lists!${letter}$2:${letter}${count + 1}", allow_blank=True,
                              showErrorMessage=True, errorTitle=f"Not a {what}",
                              error=f"Choose a {what} from the list.")
        rule.add(f"{column}2:{column}{last}")
        data.add_data_validation(rule)

    measures = book.create_sheet("measures")
    table = vocabulary()
    measures.append(list(table.columns))
    for cell in measures[1]:
        cell.font = Font(bold=True)
    for record in table.itertuples(index=False):
        measures.append(list(record))
    for letter, width in zip("ABCDEFGHI", (40, 7, 34, 11, 60, 55, 9, 11, 90)):
        measures.column_dimensions[letter].width = width

    about = book.create_sheet("about")
    for line in ABOUT:
        about.append(list(line))
    about["A1"].font = Font(bold=True)
    about.column_dimensions["A"].width = 16
    about.column_dimensions["B"].width = 120
    about.append(["required columns", ", ".join(REQUIRED_COLUMNS)])

    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path
