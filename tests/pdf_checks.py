"""Print-quality checks of rendered PDFs (pdfplumber), shared by the tests that render PDFs.

- :func:`overlaps`: pairs of characters printed over each other (a number overflowing
  into the next column, "37.136.4"; a cell's lines running into the next row);
- :func:`pdf_text`: the text of every page, whitespace collapsed;
- :func:`headline_figures`: every figure in an HTML report's headline table.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

NUMBER = re.compile(r"(?<![\w.])[<>]?\d(?:[\d,]*\d)?(?:\.\d+)?%?")


def _area(a, b) -> float:
    width = min(a["x1"], b["x1"]) - max(a["x0"], b["x0"])
    height = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
    return width * height if width > 0 and height > 0 else 0.0


def overlaps(path: Path, share: float = 0.3) -> list[str]:
    """``page N: 'a' over 'b'`` for every two visible characters whose boxes share more than
    ``share`` of the smaller one's area (kerning and tight leading share far less)."""
    import pdfplumber

    found = []
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            chars = [c for c in page.chars if c["text"].strip() and c["x1"] > c["x0"]]
            grid = defaultdict(list)
            for index, char in enumerate(chars):
                for gx in range(int(char["x0"] // 12), int(char["x1"] // 12) + 1):
                    for gy in range(int(char["top"] // 12), int(char["bottom"] // 12) + 1):
                        grid[gx, gy].append(index)
            seen = set()
            for members in grid.values():
                for i, first in enumerate(members):
                    for second in members[i + 1:]:
                        if (first, second) in seen:
                            continue
                        seen.add((first, second))
                        a, b = chars[first], chars[second]
                        smaller = min((a["x1"] - a["x0"]) * (a["bottom"] - a["top"]),
                                      (b["x1"] - b["x0"]) * (b["bottom"] - b["top"]))
                        if smaller > 0 and _area(a, b) > share * smaller:
                            context = "".join(c["text"] for c in chars[max(0, first - 8):first + 8])
                            found.append(f"page {page.page_number}: {a['text']!r} over {b['text']!r} near {context!r}")
    return found


def pdf_text(path: Path) -> str:
    """The PDF's text, all pages, with runs of whitespace as one space."""
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return " ".join(" ".join((page.extract_text() or "").split()) for page in pdf.pages)


def page_count(path: Path) -> int:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return len(pdf.pages)


def headline_figures(html: str) -> list[str]:
    """The figures (counts, rates, percentages) in the first table after the "Headline figures" heading."""
    from html import unescape

    start = html.index(">Headline figures")
    table = html[html.index("<table", start):html.index("</table>", start)]
    cells = [unescape(re.sub(r"<[^>]+>", " ", cell)) for cell in re.findall(r"<td[^>]*>(.*?)</td>", table, re.S)]
    return [figure for cell in cells for figure in NUMBER.findall(cell)]
