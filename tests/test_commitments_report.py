"""The commitments sections: tables and sentences from the prepared tables, suppressed alike."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from vawgstats import commitments, commitments_report as cr
from vawgstats.periods import as_period
from vawgstats.returns import COMMITMENTS, load_returns, parse_returns

PUBLISHED = Path(__file__).parent / "data" / "real" / "returns_published_2021-2023.csv"
WALKS = {"walk_and_talk": {"per_month": 6, "direction": "increase", "note": ""}}


def figures_of(rows, start="2023-01", end="2023-12"):
    raw = pd.DataFrame(rows, columns=["start", "end", "bcu", "measure", "value"]).astype(str).replace("None", "")
    return commitments.period_figures(parse_returns(raw, "t"), as_period(start, end))


def cell(table, measure_label, column):
    return table[table["Measure"] == measure_label][column].iloc[0]


def test_detail_has_every_measure_and_marks_absent_ones():
    figures = figures_of([("2023-01", "2023-12", "NA", "walk_and_talk", 80)])
    detail = cr.delivery_detail(figures, "NA", WALKS, "public", 12)
    assert cell(detail, "Walk and Talks", "This period") == "80"
    assert cell(detail, "Walk and Talks", "Target") == "6 a month (72 in 12 months)"
    assert cell(detail, "Walk and Talks", "Met?") == "yes"
    assert cell(detail, "Op Verona patrols", "This period") == commitments.NO_RETURN
    summary = cr.delivery_summary(figures, "NA", WALKS, "public", months=12)
    assert len(summary) == len(COMMITMENTS) == 10
    assert all(commitments.NO_RETURN in text for text in summary["Evidence from returns"].iloc[[0, 1, 5, 6, 7]])


def test_partial_returns_are_not_judged_and_say_so():
    figures = figures_of([(f"2023-{m:02d}", None, "NA", "walk_and_talk", 9) for m in range(1, 10)])
    detail = cr.delivery_detail(figures, "NA", WALKS, "public", 12)
    assert cell(detail, "Walk and Talks", "This period") == "81 (9 of 12 months)"
    assert cell(detail, "Walk and Talks", "Met?") == "not judged: returns for 9 of 12 months"


def test_disclosive_small_counts_and_what_derives_from_them_are_suppressed():
    rows = [("2023-01", "2023-12", "MPS", "police_perpetrated_conduct_individuals", 40),
            ("2023-01", "2023-12", "MPS", "police_perpetrated_complaint_individuals", 4),
            ("2023-12", None, "MPS", "workforce_headcount", 1000),
            ("2023-01", "2023-12", "NA", "vawg_dismissals", 3), ("2022-01", "2022-12", "NA", "vawg_dismissals", 12),
            ("2023-01", "2023-12", "NA", "vigilant_operations", 4)]
    figures = figures_of(rows)
    public = cr.delivery_detail(figures, "NA", {}, "public")
    assert cell(public, "Dismissals for VAWG-related misconduct", "This period") == "<10"
    assert cell(public, "Dismissals for VAWG-related misconduct", "Previous period") == "12"
    assert cell(public, "Dismissals for VAWG-related misconduct", "Change") == cr.HIDDEN
    assert cell(public, "Project Vigilant operations", "This period") == "4"  # activity is not disclosive
    force = cr.delivery_detail(figures, "MPS", {}, "public")
    assert cell(force, "Individuals in police-perpetrated VAWG complaint cases", "This period") == "<10"
    share = "Police-perpetrated individuals as a share of the workforce (%)"
    assert cell(force, share, "This period") == cr.HIDDEN  # 44 of 1,000 and 40 shown would give 4 back
    restricted = cr.delivery_detail(figures, "MPS", {}, "restricted")
    assert cell(restricted, share, "This period") == "4.4%"
    assert cell(cr.delivery_detail(figures, "NA", {}, "restricted"), "Dismissals for VAWG-related misconduct",
                "Change") == "-9"


def test_police_perpetrated_table_shows_the_npcc_figures_as_published():
    table = commitments.force_periods(load_returns(PUBLISHED))
    shown = cr.police_perpetrated(table, "public")
    first, second = shown.iloc[0], shown.iloc[1]
    assert first["Period"] == "Oct 2021 to Mar 2022" and second["Period"] == "Sep 2022 to Feb 2023"
    assert (first["Cases (conduct + complaint)"], first["Allegations"], first["Conduct cases"],
            first["Individuals (conduct)"], first["Complaint cases"], first["Individuals (complaint)"]) == (
        "241", "287", "213", "217", "28", "31")
    assert (second["Allegations"], second["Conduct cases"], second["Individuals (conduct)"],
            second["Complaint cases"], second["Individuals (complaint)"]) == ("268", "183", "191", "28", "30")
    assert first["Share of the workforce"] == "–"  # the statement gives no headcount
    small = table.copy()
    small.loc[0, "police_perpetrated_complaint_cases"] = 7
    small.loc[0, "cases"] = 220
    hidden = cr.police_perpetrated(small, "public").iloc[0]
    assert hidden["Complaint cases"] == "<10" and hidden["Cases (conduct + complaint)"] == cr.HIDDEN


def test_east_area_slide_figures():
    figures = commitments.period_figures(load_returns(PUBLISHED), as_period("2023-01", "2023-12"))
    detail = cr.delivery_detail(figures, "EA", {}, "public")
    assert cell(detail, "Workforce (officers and staff)", "This period") == "1,600"
    assert cell(detail, "Female share of the workforce (%)", "This period") == "35.0%"
    assert cell(detail, "Officers and staff under misconduct investigation", "This period") == "100"
    assert cell(detail, "Trust in the police (%)", "This period") == "70.0%"
    assert cell(detail, "Dismissals for VAWG-related misconduct", "This period") == "<10 (6 of 12 months)"


def test_crime_evidence_for_c6_c8_c9():
    headline = pd.DataFrame([
        {"unit": "NA", "metric": "charge_rate", "value": 0.1, "numerator": 50, "denominator": 500, "per_year_per_1000": None},
        {"unit": "NA", "metric": "positive_outcome_rate", "value": 0.12, "numerator": 60, "denominator": 500, "per_year_per_1000": None},
        {"unit": "NA", "metric": "repeat_victimisation_rate", "value": 0.2, "numerator": 5, "denominator": 25, "per_year_per_1000": None},
        {"unit": "NA", "metric": "volume", "value": 1, "numerator": 500, "denominator": 1, "per_year_per_1000": 12.34}])
    assert cr.crime_evidence(6, "NA", "public", headline=headline) == \
        "charge/summons rate 10.0%; positive outcome rate 12.0%"
    assert "not shown" in cr.crime_evidence(8, "NA", "public", headline=headline)
    assert "20.0%" in cr.crime_evidence(8, "NA", "restricted", headline=headline)
    assert "12.3 in-scope crimes a year" in cr.crime_evidence(9, "NA", "public", headline=headline)
    assert cr.crime_evidence(3, "NA", "public", headline=headline) == "–"


def test_activity_chart_sentence_and_alt_text():
    series = pd.DataFrame({"month": ["2023-01", "2023-02", "2023-03"], "value": [5.0, 6.0, 9.0]})
    assert cr.activity_sentence(series, 6, "Walk and Talks").startswith("2 of the 3 months")
    assert "2 of 3 months at or above the target of 6" in cr.activity_alt_text(series, 6, "Walk and Talks", "NA")
    cr.activity_chart(series, 6, title="t")
    assert commitments.NO_RETURN in cr.activity_sentence(series.iloc[:0], 6, "Walk and Talks")


def test_returns_note_names_the_source():
    assert "synthetic" in cr.returns_note({"returns": {"status": "synthetic"}})
    assert commitments.NO_RETURN in cr.returns_note({"returns": {"status": "none"}})
    assert "`r.csv`" in cr.returns_note({"returns": {"status": "supplied", "file": "r.csv", "rows": 3}})


def test_a_changed_returns_file_changes_the_prepared_key(synthetic_csv, tmp_path):
    from vawgstats.prepare import is_prepared, prepare

    returns = tmp_path / "r.csv"
    returns.write_text("start,bcu,measure,value\n2024-03,NA,walk_and_talk,7\n", encoding="utf-8")
    prepared = prepare(synthetic_csv, start="2024-01", end="2024-06", build_root=tmp_path / "b", returns_path=returns)
    assert prepared.manifest["returns"]["status"] == "supplied"
    assert prepared.table("commitment_figures").query("unit == 'NA'")["value"].tolist() == [7.0]
    assert is_prepared(synthetic_csv, start="2024-01", end="2024-06", build_root=tmp_path / "b", returns_path=returns)
    returns.write_text("start,bcu,measure,value\n2024-03,NA,walk_and_talk,8\n", encoding="utf-8")
    assert not is_prepared(synthetic_csv, start="2024-01", end="2024-06", build_root=tmp_path / "b",
                           returns_path=returns)
    assert not is_prepared(synthetic_csv, start="2024-01", end="2024-06", build_root=tmp_path / "b")


def _by_age(under, adult):
    rows = []
    for band, crimes in (("under 18", under), ("18 and over", adult)):
        for unit, value in crimes.items():
            rows.append({"unit_type": "london" if unit == "London" else "bcu", "unit": unit, "offence_type": "Rape",
                         "measure": "charge_rate", "numerator": 0, "denominator": value, "rate": 0.0,
                         "ci_low": 0.0, "ci_high": 0.0, "age_band": band})
    return pd.DataFrame(rows)


def test_girls_view_cannot_be_had_by_subtraction_from_the_all_ages_table():
    by_age = _by_age({"NA": 4}, {"NA": 50})
    all_ages = by_age[by_age["age_band"] == "under 18"].drop(columns="age_band").assign(denominator=54)
    text = cr.girls_view(by_age, "NA", "public", all_ages=all_ages)
    under = cr.age_outcomes(by_age, "NA", "under 18", cr.age_pattern(by_age, all_ages, "public"), "public")
    assert under.iloc[0]["Rape"] == "<10"
    adult = cr.age_outcomes(by_age, "NA", "18 and over", cr.age_pattern(by_age, all_ages, "public"), "public")
    assert adult.iloc[0]["Rape"] == "[c]"  # 54 - 50 would give the 4 girls back
    # an adult rate whose counts are large but whose denominator is hidden only to protect the girls'
    # count reads "[c]", not "not shown (<10)"; the girls' own rate is "(<10)"
    charged = by_age.assign(numerator=[2, 20])
    pattern = cr.age_pattern(charged, all_ages.assign(numerator=22), "public")
    assert cr.age_outcomes(charged, "NA", "18 and over", pattern, "public").iloc[1]["Rape"] == "[c]"
    assert cr.age_outcomes(charged, "NA", "under 18", pattern, "public").iloc[1]["Rape"] == "not shown (<10)"
    assert "[c]" in text and "subtraction" in text
    shown = cr.age_outcomes(by_age, "NA", "18 and over", cr.age_pattern(by_age, all_ages, "restricted"), "restricted")
    assert shown.iloc[0]["Rape"] == "50"
    wide = cr.age_outcomes(_by_age({"NA": 40}, {"NA": 50}), "NA", "under 18",
                           cr.age_pattern(_by_age({"NA": 40}, {"NA": 50}), all_ages.assign(denominator=90), "public"),
                           "public")
    assert wide.iloc[0]["Rape"] == "40"


def test_the_prepared_pattern_table_gives_the_same_view():
    by_age = _by_age({"NA": 4, "EA": 30}, {"NA": 50, "EA": 60})
    all_ages = by_age[by_age["age_band"] == "under 18"].drop(columns="age_band")
    all_ages["denominator"] = [54, 90]
    table = commitments.age_suppression(by_age, all_ages)
    assert set(table["state"]) == {"primary", "complementary"}
    full = cr.age_pattern(by_age, all_ages, "public")
    assert commitments.pattern_of(table) == {cell: state for cell, state in full.items() if cell[0] != "all"}
    assert cr.girls_view(by_age, "NA", "public", suppressed=table) == cr.girls_view(by_age, "NA", "public", all_ages)


def test_real_crimes_without_returns_list_every_commitment_as_not_supplied(synthetic_small):
    tables, info = commitments.prepared_tables(synthetic_small.iloc[:0], as_period("2025-04", "2026-03"), None,
                                               synthetic_crimes=False)
    summary = cr.delivery_summary(tables["commitment_figures"], "NA", WALKS, "public", months=12)
    assert list(summary["Commitment"].str.split(".").str[0]) == [f"C{n}" for n in range(1, 11)]
    assert summary["Evidence from returns"].str.contains(commitments.NO_RETURN).all()
    detail = cr.delivery_detail(tables["commitment_figures"], "NA", WALKS, "public", 12)
    assert (detail["This period"] == commitments.NO_RETURN).all()
    assert cell(detail, "Walk and Talks", "Met?") == commitments.NO_RETURN
    assert commitments.NO_RETURN in cr.returns_note({"returns": info})


def test_a_small_bcu_count_cannot_be_had_from_the_force_total_minus_the_other_bcus():
    """MPS = the 12 BCUs for each disclosive count and period: with both shown, one BCU's count below
    10 would follow by subtraction, so a second cell is hidden ("[c]") and nothing is recoverable."""
    from vawgstats.geography import BCU_CODES
    from vawgstats.suppression import COMPLEMENTARY_LABEL, declared_relations, recoverable, relations_of

    measure = "police_perpetrated_conduct_cases"
    now = {code: 20 + 3 * i for i, code in enumerate(BCU_CODES)}
    now[BCU_CODES[0]] = 4
    before = {code: 30 + i for i, code in enumerate(BCU_CODES)}
    rows = [("2023-01", "2023-12", code, measure, value) for code, value in now.items()]
    rows += [("2022-01", "2022-12", code, measure, value) for code, value in before.items()]
    rows += [("2023-01", "2023-12", "MPS", measure, sum(now.values())),
             ("2022-01", "2022-12", "MPS", measure, sum(before.values())),
             ("2023-01", "2023-12", "NA", "walk_and_talk", 5)]       # not disclosive: never protected
    figures = figures_of(rows)
    shown = cr.protection(figures, "public")
    small = (BCU_CODES[0], measure, "value")
    assert shown.status[small] == "primary"
    complementary = [cell for cell, why in shown.status.items() if why == "complementary"]
    assert complementary, "the force total and the other BCUs would give the small count back"
    _values, relations = relations_of(figures, declared_relations()["commitment_figures"])
    assert any(r.total == ("MPS", measure, "value") for r in relations)
    assert recoverable(shown.status, relations) == []
    # without the complementary cell the small count is recoverable (the test can fail)
    assert small in recoverable([small], relations)
    # the reports show it: the complementary BCU or force cell reads "[c]", its change is hidden
    unit, _, column = complementary[0]
    detail = cr.delivery_detail(figures, unit, {}, "public")
    label = "Police-perpetrated VAWG conduct cases (internally reported)"
    assert cell(detail, label, "This period" if column == "value" else "Previous period") == COMPLEMENTARY_LABEL
    assert cell(detail, label, "Change") == cr.HIDDEN
    assert cell(cr.delivery_detail(figures, "NA", {}, "public"), "Walk and Talks", "This period") == "5"
    assert cr.protection(figures, "restricted").status == {}


def test_a_boroughs_commitments_section_says_the_returns_cover_the_bcu():
    """One sentence, in one place (units.commitments_note was its duplicate and is gone)."""
    from vawgstats import units

    note = cr.returns_cover_note("NA", "Enfield")
    assert "North Area BCU" in note and "Enfield and Haringey" in note and "not Enfield alone" in note
    assert not hasattr(units.ReportUnit, "commitments_note")


def test_the_force_table_hides_what_the_returns_pattern_hides_for_the_same_period():
    """A force cell hidden ("[c]") in the returns' pattern is hidden in the police-perpetrated table
    too, for the report period; other periods keep the table's own rule."""
    from vawgstats.geography import BCU_CODES

    conduct, complaint = "police_perpetrated_conduct_cases", "police_perpetrated_complaint_cases"
    rows = [("2023-01", "2023-12", code, conduct, 20 + i) for i, code in enumerate(BCU_CODES)]
    rows += [("2023-01", "2023-12", "MPS", conduct, sum(20 + i for i in range(12))),
             ("2023-01", "2023-12", "MPS", complaint, 5),
             ("2021-10", "2022-03", "MPS", conduct, 213), ("2021-10", "2022-03", "MPS", complaint, 28)]
    returns = parse_returns(pd.DataFrame(rows, columns=["start", "end", "bcu", "measure", "value"]).astype(str), "t")
    period = as_period("2023-01", "2023-12")
    figures = commitments.period_figures(returns, period)
    shown = cr.protection(figures, "public")
    # complaint 5 is primary; cases = conduct + complaint puts conduct (smaller than cases) in [c]
    assert shown.state("MPS", complaint, "value") == "primary"
    assert shown.state("MPS", conduct, "value") == "complementary"
    force = commitments.force_periods(returns)
    linked = cr.police_perpetrated(force, "public", figures, period).set_index("Period")
    assert linked.loc["Jan 2023 to Dec 2023", "Conduct cases"] == "[c]"
    assert linked.loc["Jan 2023 to Dec 2023", "Complaint cases"] == "<10"
    assert linked.loc["Oct 2021 to Mar 2022", "Conduct cases"] == "213"
    alone = cr.police_perpetrated(force, "public").set_index("Period")
    assert alone.loc["Jan 2023 to Dec 2023", "Conduct cases"] != "[c]"   # the link is what hides it
    assert "[c]" in cr.police_perpetrated_section(force, "public", figures, period)
    assert cr.police_perpetrated(force, "restricted", figures, period).set_index("Period").loc[
        "Jan 2023 to Dec 2023", "Conduct cases"] == f"{sum(20 + i for i in range(12)):,}"
