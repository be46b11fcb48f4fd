"""Real published delivery figures (NPCC statement, NA and EA slides) through `vawgstats render --returns`.

Renders NA and the London overview for 2023 with `tests/data/real/returns_published_2021-2023.csv`
(crimes: small synthetic London) and checks the figures appear as published.
"""

from __future__ import annotations

import html as html_lib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from vawgstats import synthetic
from vawgstats.schema import write_records

pytestmark = pytest.mark.slow

PUBLISHED = Path(__file__).parent / "data" / "real" / "returns_published_2021-2023.csv"


def _text(path: Path) -> str:
    page = re.sub(r"<img[^>]*>", " ", path.read_text(encoding="utf-8"))
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " | ", page)))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    root = tmp_path_factory.mktemp("published")
    data = root / "crimes.csv"
    write_records(synthetic.generate(seed=5, start="2022-01", end="2023-12", scale=0.03), data)
    result = subprocess.run(
        [sys.executable, "-m", "vawgstats.cli", "render", "--bcu", "NA", "--data", str(data), "--start", "2023-01",
         "--end", "2023-12", "--returns", str(PUBLISHED), "--out", "out", "--build", "build", "--renderer",
         "nbconvert", "--format", "html", "-j", "2", "--quiet"], cwd=root, capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return root / "out"


def _row(text: str, label: str, cells: int = 8) -> list[str]:
    """The cells after a row's label (the first row with that label)."""
    assert label in text, label
    after = text[text.index(label) + len(label):]
    return [cell.strip() for cell in after.split("|") if cell.strip()][:cells]


def test_north_area_shows_its_slide_figures(rendered):
    text = _text(rendered / "bcu-NA.html")
    assert "Delivery against the ten commitments" in text
    assert "returns_published_2021-2023.csv" in text and "synthetic (made up" not in text
    walks = _row(text, "| Walk and Talks |")
    assert walks[0] == "100" and walks[3] == "6 a month (72 in 12 months)" and walks[4] == "yes"
    assert _row(text, "| Project Vigilant operations |")[0] == "5 (6 of 12 months)"
    assert _row(text, "| Op Verona patrols |")[0] == "11 (6 of 12 months)"
    assert _row(text, "| Wanted domestic abuse suspects |")[0] == "230"
    assert _row(text, "| StreetSafe reports |")[0] == "no return supplied"


def test_overview_shows_the_npcc_figures_as_published(rendered):
    text = _text(rendered / "london.html")
    first = _row(text, "| Oct 2021 to Mar 2022 |")
    assert first[:6] == ["241", "287", "213", "217", "28", "31"]
    second = _row(text, "| Sep 2022 to Feb 2023 |")
    assert second[1:6] == ["268", "183", "191", "28", "30"]
    section = text[text.rindex("Delivery against the ten commitments"):]
    assert _row(section, "| North Area (NA) |")[:3] == ["100", "6 a month (72 in 12 months)", "yes"]
    assert _row(section, "| East Area (EA) |")[0] == "no return supplied"
