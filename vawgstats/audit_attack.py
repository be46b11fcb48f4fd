"""The audit's attacks on a public report: differencing, small values in words, mixed editions.

Used by :mod:`vawgstats.audit` on every public HTML page:

- :func:`differencing_findings`: re-derives a table's additive relations from the same
  declarations that suppression uses (:func:`vawgstats.suppression.declared_relations`:
  London = its BCUs, a BCU = its boroughs, all victims = domestic abuse + not) by reading
  its row labels, then tries to recover every suppressed cell ("<10" or "[c]") by solving
  the relations with the cells shown (:func:`vawgstats.suppression.recoverable`).
- :func:`wording_findings`: alt text and captions stating a count below the threshold
  ("lowest 8") or an impossible value (a negative limit, a rate above 100%).
- :func:`edition_findings`: a restricted page in a folder of the public edition.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .definitions import SUPPRESSED_LABEL, SUPPRESSION_THRESHOLD

_NUMBER = re.compile(r"^\s*(\d{1,3}(?:,\d{3})+|\d+)(?![\d.%])")
_CODE_IN_LABEL = re.compile(r"\(([A-Z]{2})\)\s*$")


def _suppressed(text: str) -> bool:
    from .suppression import COMPLEMENTARY_LABEL

    return text.strip().startswith((SUPPRESSED_LABEL, COMPLEMENTARY_LABEL))


def _row_keys(label: str) -> list[str]:
    """The relation keys a row label stands for: a BCU code, a borough, "London", a victim group."""
    from .geography import BCU_BY_CODE, BCU_CODES, BOROUGHS

    label = " ".join(str(label).split())
    keys = []
    code = _CODE_IN_LABEL.search(label)
    if code and code.group(1) in BCU_BY_CODE:
        keys.append(code.group(1))
    names = {BCU_BY_CODE[c].name.lower(): c for c in BCU_CODES}
    if label.lower() in names:
        keys.append(names[label.lower()])
    if label in BOROUGHS or label == "London":
        keys.append(label)
    keys.append(label.lower())        # victim groups: "All", "Domestic abuse", "Not domestic abuse"
    return keys


def _dimensions():
    from .suppression import declared_relations

    seen, out = set(), []
    for spec in declared_relations().values():
        for dim in spec.dimensions:
            key = (dim.total, dim.parts)
            if key not in seen:
                seen.add(key)
                out.append(dim)
    return out


def differencing_findings(headers: list[str], body: list[list[str]], where: str) -> list[str]:
    """Suppressed cells of one table that its declared relations give back (one message each)."""
    from .suppression import Relation, recoverable

    rows: dict[str, int] = {}
    for number, cells in enumerate(body):
        if cells:
            for key in _row_keys(cells[0]):
                rows.setdefault(key, number)
    relations_by_rows = []
    for dim in _dimensions():
        if dim.total in rows and all(p in rows for p in dim.parts):
            relations_by_rows.append((rows[dim.total], tuple(rows[p] for p in dim.parts)))
    if not relations_by_rows:
        return []
    problems = []
    width = max(len(cells) for cells in body)
    for column in range(1, width):
        hidden, known = set(), {}
        for number, cells in enumerate(body):
            text = cells[column] if column < len(cells) else ""
            if _suppressed(text):
                hidden.add(number)
            elif (match := _NUMBER.match(text)):
                known[number] = int(match.group(1).replace(",", ""))
        if not hidden:
            continue
        relations = [Relation(total, parts) for total, parts in relations_by_rows
                     if all(c in hidden or c in known for c in (total, *parts))]
        for row in recoverable(hidden, relations):
            label = body[row][0] if body[row] else f"row {row + 1}"
            heading = headers[column] if column < len(headers) else f"#{column + 1}"
            problems.append(f"{where}: the suppressed cell of row {label[:40]!r}, column {heading!r} can be "
                            "worked out by subtraction from the total and the other parts shown")
    return problems


# words before a figure in alt text and captions that make it a value of the chart
_STATED = re.compile(r"\b(lowest|highest|mean|median|limits?|from|to|of)\s+(-?\d[\d,]*(?:\.\d+)?)(%?)",
                     re.I)


# of those, the words whose figure is a count of the chart (a control limit is a computed bound, not a count)
_COUNT_WORDS = ("lowest", "highest", "mean", "median")


def wording_findings(texts: Iterable[str], where: str, threshold: int = SUPPRESSION_THRESHOLD) -> list[str]:
    """Alt texts or captions stating a count below ``threshold``, a negative value or a rate above 100%."""
    problems = []
    for text in texts:
        for match in _STATED.finditer(text or ""):
            word, number, percent = match.group(1), match.group(2), match.group(3)
            value = float(number.replace(",", ""))
            excerpt = text[max(0, match.start() - 30):match.end() + 10].replace("\n", " ")
            if value < 0:
                problems.append(f"{where}: a negative value ({word} {number}{percent}) in {excerpt!r}")
            elif percent and value > 100:
                problems.append(f"{where}: a rate above 100% ({word} {number}%) in {excerpt!r}")
            elif (not percent and "." not in number and 1 <= value < threshold
                  and word.lower() in _COUNT_WORDS):
                problems.append(f"{where}: states a count below {threshold} ({word} {number}) in {excerpt!r}")
    return problems


def edition_findings(pages: dict[str, str | None], folder_edition: str | None, where: str) -> list[str]:
    """Restricted pages (by their edition meta tag) in a folder that holds the public edition."""
    public = folder_edition == "public" or "public" in pages.values()
    if not public:
        return []
    return [f"{where}: {name} is a restricted report in a folder of the public edition"
            for name, edition in sorted(pages.items()) if edition == "restricted"]
