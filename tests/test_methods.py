from pathlib import Path

from vawgstats import definitions as d
from vawgstats.methods import docs_text, methods_markdown


def test_docs_carry_the_same_definitions_as_the_reports():
    docs = (Path(__file__).resolve().parent.parent / "docs" / "assumptions_caveats.md").read_text(encoding="utf-8")
    assert docs_text() in docs, "regenerate the block in docs/assumptions_caveats.md from vawgstats.methods"


def test_methods_print_every_code_set_and_the_window():
    text = methods_markdown(window_days=180)
    for codes in (d.CHARGE_CODES, d.POSITIVE_OUTCOME_CODES, d.SANCTION_DETECTION_CODES):
        assert d.code_set_text(codes) in text
    assert "180 days" in text
    assert "CONNECT" in text and "Wilson" in text


def test_docs_carry_the_open_data_definitions():
    from vawgstats.methods import open_data_methods_markdown, open_docs_text
    from vawgstats.open_data import ABSENT_SECTIONS

    docs = (Path(__file__).resolve().parent.parent / "docs" / "assumptions_caveats.md").read_text(encoding="utf-8")
    assert open_docs_text() in docs, "regenerate the open-data block in docs/assumptions_caveats.md"
    text = open_data_methods_markdown()
    assert ABSENT_SECTIONS in text and "Poisson" in text and "CONNECT" in text


def test_methods_print_the_follow_up_days_used_and_the_notebooks_pass_them():
    import nbformat

    text = " ".join(methods_markdown(follow_up_days=56).split())
    assert "within 56 days of recording" in text and "the full 56 days" in text
    root = Path(__file__).resolve().parents[1] / "notebooks"
    calls = [cell.source for name in ("bcu_report.ipynb", "london_overview.ipynb")
             for cell in nbformat.read(root / name, as_version=4).cells if "methods.methods_markdown(" in cell.source]
    assert len(calls) == 2
    assert all('follow_up_days=manifest["charge_follow_up_days"]' in source for source in calls)
