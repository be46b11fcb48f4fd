"""Delivery returns: vocabulary, reading, validation, template, synthetic returns, CLI."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from vawgstats import returns, returns_synth
from vawgstats.cli import main
from vawgstats.errors import DataError
from vawgstats.returns import MEASURES, load_returns, parse_returns, write_returns


def test_vocabulary_declares_every_measure_of_the_issue():
    expected = {
        1: {"police_perpetrated_allegations", "police_perpetrated_conduct_cases",
            "police_perpetrated_conduct_individuals", "police_perpetrated_complaint_cases",
            "police_perpetrated_complaint_individuals", "workforce_headcount"},
        2: {"engagement_events", "trust_percent"}, 3: {"public_protection_officers"},
        4: {"workforce_female", "vawg_misconduct_investigations", "vawg_dismissals"},
        6: {"wanted_da_suspects", "vawg100_cohort", "vawg100_arrests", "dauntless_nominals"},
        7: {"dvpn_issued", "dvpo_granted", "spo_granted", "nmo_notifications", "spo_in_force"},
        8: {"marac_cases", "clares_law_applications", "clares_law_disclosures"},
        9: {"walk_and_talk", "vigilant_operations", "verona_patrols", "streetsafe_reports"},
        10: {"schools_sessions", "vawg_problem_solving_plans"},
    }
    for commitment, names in expected.items():
        assert {m.name for m in returns.measures_of(commitment)} == names
    stocks = {"workforce_headcount", "public_protection_officers", "workforce_female",
              "vawg_misconduct_investigations", "wanted_da_suspects", "vawg100_cohort", "dauntless_nominals",
              "spo_in_force", "vawg_problem_solving_plans"}
    for m in MEASURES.values():
        if m.base_of:
            continue
        assert m.kind == ("stock" if m.name in stocks else "percent" if m.name == "trust_percent" else "flow")
        assert m.pillar == {1: 1, 2: 1, 3: 1, 4: 1, 6: 2, 7: 2, 8: 2, 9: 3, 10: 3}[m.commitment]
        assert m.definition and m.label
    disclosive = {m.name for m in MEASURES.values() if m.disclosive}
    assert disclosive == {n for n in expected[1] if n.startswith("police_")} | {
        "vawg_misconduct_investigations", "vawg_dismissals"}
    assert MEASURES["trust_percent_respondents"].base_of == "trust_percent"


def _csv(tmp_path, text, name="r.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_defaults_end_and_optional_columns(tmp_path):
    path = _csv(tmp_path, "start,bcu,measure,value\n2024-01,NA,walk_and_talk,7\n2024-01,mps,workforce_headcount,46000\n")
    table = load_returns(path)
    assert list(table["end"].astype(str)) == ["2024-01", "2024-01"]
    assert list(table["bcu"]) == ["NA", "MPS"]
    assert table["value"].tolist() == [7.0, 46000.0]


@pytest.mark.parametrize("line, words", [
    ("2024-01,,XX,walk_and_talk,5", ["bcu", "row 2", "'XX'"]),
    ("2024-01,,NA,walkies,5", ["measure", "row 2", "'walkies'"]),
    ("2024-01,,NA,walk_and_talk,-3", ["negative", "row 2", "'-3'"]),
    ("2024-01,,NA,walk_and_talk,2.5", ["whole number", "row 2", "'2.5'"]),
    ("2024-03,2024-01,NA,walk_and_talk,2", ["end is before start", "row 2"]),
    ("2024-01,,NA,trust_percent,100.5", ["above 100", "row 2", "'100.5'"]),
    ("2024-13,,NA,walk_and_talk,2", ["start", "row 2", "'2024-13'"]),
    ("2024-01,,NA,walk_and_talk,lots", ["not a number", "row 2", "'lots'"]),
])
def test_each_broken_rule_names_file_row_and_value(tmp_path, line, words):
    path = _csv(tmp_path, f"start,end,bcu,measure,value\n{line}\n")
    with pytest.raises(DataError) as caught:
        load_returns(path)
    message = str(caught.value)
    assert str(path) in message and "nothing was loaded" in message
    for word in words:
        assert word in message


def test_duplicates_unknown_and_missing_columns(tmp_path):
    path = _csv(tmp_path, "start,end,bcu,measure,value\n2024-01,,NA,walk_and_talk,5\n2024-02,,NA,walk_and_talk,5\n"
                          "2024-01,2024-01,NA,walk_and_talk,6\n")
    with pytest.raises(DataError, match=r"duplicate.*row 2.*row\(s\) 4"):
        load_returns(path)
    with pytest.raises(DataError, match="unknown column.*'colour'"):
        load_returns(_csv(tmp_path, "start,bcu,measure,value,colour\n2024-01,NA,walk_and_talk,5,red\n", "b.csv"))
    with pytest.raises(DataError, match="missing column.*value"):
        load_returns(_csv(tmp_path, "start,bcu,measure\n2024-01,NA,walk_and_talk\n", "c.csv"))
    with pytest.raises(DataError, match="CSV.*Excel.*Parquet"):
        load_returns(_csv(tmp_path, "x", "d.json"))


def test_percent_and_stock_rules():
    raw = pd.DataFrame({"start": ["2024-01", "2024-01"], "bcu": ["EA", "EA"],
                        "measure": ["trust_percent", "workforce_headcount"], "value": ["70.5", "1600"]})
    table = parse_returns(raw, "x")
    assert table["value"].tolist() == [70.5, 1600.0]
    raw.loc[1, "value"] = "1600.5"
    with pytest.raises(DataError, match="workforce_headcount"):
        parse_returns(raw, "x")


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_round_trip_through_every_format(tmp_path, suffix):
    table = returns_synth.generate(seed=5, start="2024-01", end="2024-03")
    path = write_returns(table, tmp_path / f"r{suffix}")
    back = load_returns(path)
    columns = ["start", "end", "bcu", "measure", "value", "source"]
    pd.testing.assert_frame_equal(back[columns], table[columns])


def test_template_has_lists_and_the_measures_sheet(tmp_path):
    import openpyxl

    from vawgstats.returns_template import write_workbook

    path = write_workbook(tmp_path / "t.xlsx")
    book = openpyxl.load_workbook(path)
    data = book[returns.DATA_SHEET]
    assert [c.value for c in data[1]] == list(returns.COLUMNS)
    ranges = {str(v.sqref): v.formula1 for v in data.data_validations.dataValidation}
    assert any(r.startswith("C2:") for r in ranges) and any(r.startswith("D2:") for r in ranges)
    lists = book["lists"]
    assert [r[0] for r in lists.iter_rows(min_row=2, max_col=1, values_only=True) if r[0]] == list(returns.UNITS)
    assert [r[0] for r in lists.iter_rows(min_row=2, min_col=2, max_col=2, values_only=True) if r[0]] == list(MEASURES)
    measures = list(book["measures"].iter_rows(values_only=True))
    assert measures[0][:7] == ("measure", "pillar", "pillar_name", "commitment", "commitment_title", "label", "kind")
    assert {row[0] for row in measures[1:]} == set(MEASURES)
    assert load_returns(path).empty  # an empty template validates


def test_synthetic_returns_are_realistic_deterministic_and_marked():
    one = returns_synth.generate(seed=1, start="2023-01", end="2024-12")
    assert one.equals(returns_synth.generate(seed=1, start="2023-01", end="2024-12"))
    assert not one.equals(returns_synth.generate(seed=2, start="2023-01", end="2024-12"))
    assert returns_synth.is_synthetic_returns(one)
    walks = one[(one["measure"] == "walk_and_talk")]
    assert set(walks["bcu"]) == set(returns.UNITS) - {"MPS"}
    assert 4 < walks["value"].mean() < 8
    six = one[one["measure"] == "police_perpetrated_allegations"]
    assert set(six["bcu"]) == {"MPS"} and ((six["end"] - six["start"]).map(lambda d: d.n) == 5).all()


def test_cli_template_validate_synth(tmp_path):
    runner = CliRunner()
    out = tmp_path / "t.xlsx"
    assert runner.invoke(main, ["returns", "template", "--out", str(out)]).exit_code == 0 and out.exists()
    synth = tmp_path / "s.csv"
    result = runner.invoke(main, ["returns", "synth", "--out", str(synth), "--seed", "4", "--start", "2024-01",
                                  "--end", "2024-06"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["returns", "validate", str(synth)])
    assert result.exit_code == 0 and "valid" in result.output
    bad = _csv(tmp_path, "start,bcu,measure,value\n2024-01,NA,walk_and_talk,-1\n", "bad.csv")
    result = runner.invoke(main, ["returns", "validate", str(bad)])
    assert result.exit_code == 2 and "row 2" in result.output and "Traceback" not in result.output


def test_synthetic_returns_pass_validation():
    table = returns_synth.generate(seed=9, start="2023-09", end="2024-10")
    raw = table[list(returns.COLUMNS)].astype(str)
    parsed = parse_returns(raw, "synthetic")
    pd.testing.assert_frame_equal(parsed.drop(columns="row"), table.drop(columns="row"))
