"""Borough reports end to end: `vawgstats render --borough`, `--all-boroughs`, and bad borough names.

One small rendering (two boroughs and the overview, from `vawgstats synth --scale 0.03`) is shared
by the tests; `--all-boroughs` is checked through the command's arguments, not by rendering 32 reports.
"""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from vawgstats import cli
from vawgstats.geography import BOROUGHS

from .test_end_to_end import END, SECTIONS, START, run_cli


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    root = tmp_path_factory.mktemp("boroughs")
    made = run_cli("synth", "--out", "crimes.csv", "--scale", "0.03", "--start", "2024-04", "--end", END, cwd=root)
    assert made.returncode == 0, made.stderr[-2000:]
    result = run_cli("render", "--borough", "enfield", "--borough", "E09000021", "--data", "crimes.csv",
                     "--start", START, "--end", END, "--out", "out", "--build", "build", "--renderer", "nbconvert",
                     "-j", "2", "--quiet", cwd=root)
    assert result.returncode == 0, result.stderr[-3000:]
    return root, result


@pytest.mark.slow
def test_borough_reports_are_written_with_their_slugs(rendered):
    root, result = rendered
    names = sorted(p.name for p in (root / "out").iterdir() if not p.name.startswith("."))
    assert names == ["borough-enfield.html", "borough-enfield.pdf", "borough-kingston-upon-thames.html",
                     "borough-kingston-upon-thames.pdf", "index.html", "london.html", "london.pdf"]
    assert "Rendered 3 report(s)" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("slug, borough, bcu, council, others", [
    ("enfield", "Enfield", "North Area BCU", "London Borough of Enfield", ["Haringey"]),
    ("kingston-upon-thames", "Kingston upon Thames", "South West BCU", "Royal Borough of Kingston upon Thames",
     ["Merton", "Wandsworth"]),
])
def test_borough_report_names_borough_bcu_and_council_and_has_every_section(rendered, slug, borough, bcu,
                                                                            council, others):
    root, _ = rendered
    html = (root / "out" / f"borough-{slug}.html").read_text(encoding="utf-8")
    for text in (borough, bcu, council, *others):
        assert text in html, text
    for section in SECTIONS:
        assert re.search(f">({section})<", html), section
    assert html.count("<img") >= 4 and "data:image/png;base64" in html
    assert "32 boroughs" in html                                    # the funnel plot of the boroughs
    assert f"with {bcu} and London for comparison" in html        # headline compared with BCU and London
    assert "Share of the borough&#39;s located crimes" in html or "Share of the borough's located crimes" in html
    assert "SYNTHETIC DATA" in html


@pytest.mark.slow
def test_index_lists_boroughs_under_their_bcu(rendered):
    root, _ = rendered
    index = (root / "out" / "index.html").read_text(encoding="utf-8")
    index = index[index.index("<table"):]                    # the reports table (the map names BCUs too)
    north = index.index("North Area (NA)")
    assert north < index.index('href="borough-enfield.html"') < index.index("South West (SW)")
    assert index.index("South West (SW)") < index.index('href="borough-kingston-upon-thames.html"')


@pytest.mark.slow
def test_audit_passes_on_borough_reports(rendered):
    """Borough tables have small counts: the audit finds none unsuppressed and no identifier."""
    root, _ = rendered
    result = run_cli("audit", "out", "--data", "crimes.csv", cwd=root)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    html = (root / "out" / "borough-kingston-upon-thames.html").read_text(encoding="utf-8")
    assert "&lt;10" in html or "<10" in html                     # small counts exist at this scale, and are hidden


@pytest.mark.parametrize("args, message", [
    (["--borough", "Gotham"], "Unknown borough 'Gotham'"),
    (["--borough", "E09000001"], "Unknown borough 'E09000001'"),
    (["--all", "--borough", "Narnia"], "Unknown borough 'Narnia'"),
])
def test_unknown_borough_exits_2_with_a_message(tmp_path, args, message):
    result = run_cli("render", *args, "--out", "out", "--build", "build", cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "build").exists()   # failed before any work


@pytest.fixture
def captured(monkeypatch):
    calls = []

    class Summary:
        failed = []

        def text(self):
            return "done"

    def fake_render(**kwargs):
        calls.append(kwargs)
        return Summary()

    monkeypatch.setattr("vawgstats.render.render", fake_render)
    return calls


@pytest.mark.parametrize("args, bcus, boroughs", [
    (["--all", "--all-boroughs"], None, list(BOROUGHS)),                 # all 45 reports
    (["--all-boroughs"], [], list(BOROUGHS)),                            # 32 and the overview
    (["--all"], None, []),                                              # --all keeps its meaning
    (["--bcu", "NA", "--borough", "Enfield", "--borough", "haringey"], ["NA"], ["Enfield", "haringey"]),
])
def test_render_options_choose_the_reports(captured, args, bcus, boroughs):
    result = CliRunner().invoke(cli.main, ["render", *args, "--quiet"])
    assert result.exit_code == 0, result.output
    assert captured[0]["bcus"] == bcus and captured[0]["boroughs"] == boroughs


@pytest.mark.parametrize("args", [[], ["--borough", "Enfield", "--all-boroughs"], ["--bcu", "NA", "--all"]])
def test_render_options_that_conflict_or_are_missing(captured, args):
    result = CliRunner().invoke(cli.main, ["render", *args, "--quiet"])
    assert result.exit_code == 2 and not captured
