"""Report tables: the commander's targets against the period's figures (tables.targets)."""

from __future__ import annotations

import pandas as pd
import pytest

from vawgstats import params, tables
from vawgstats.periods import as_period
from vawgstats.prepare import headline_table
from vawgstats.suppression import RATE_NOT_SHOWN


def _row(metric, numerator, denominator, value, low, high, flag, before, p=0.01, unit="NA"):
    return {"unit_type": "bcu", "unit": unit, "metric": metric, "numerator": numerator,
            "denominator": denominator, "value": value, "ci_low": low, "ci_high": high,
            "previous_numerator": before if metric == "volume" or before is None else before * denominator,
            "previous_denominator": denominator, "previous_value": before, "previous_p": p,
            "previous_flag": flag}


@pytest.fixture
def headline():
    """A hand-made headline table with one flag of each kind."""
    return pd.DataFrame([
        _row("charge_rate", 120, 1000, 0.12, 0.10, 0.14, "significant increase", 0.09),
        _row("positive_outcome_rate", 150, 1000, 0.15, 0.13, 0.17, "significant decrease", 0.19),
        _row("repeat_victimisation_rate", 200, 800, 0.25, 0.22, 0.28, "no significant change", 0.24, p=0.5),
        _row("volume", 1000, 30000, 33.3, 31.3, 35.4, "significant increase", 900),
        _row("charge_rate", 4, 30, 4 / 30, 0.04, 0.30, "not comparable", None, unit="EA"),
    ])


def test_each_target_against_its_figures(headline):
    spec = {
        "charge_rate": {"value": 0.15, "direction": "increase", "note": "Charge more."},
        "positive_outcome_rate": {"value": None, "direction": "increase", "note": "More outcomes."},
        "repeat_victimisation_rate": {"value": None, "direction": "decrease", "note": ""},
        "volume": {"value": 950, "direction": "decrease", "note": "Fewer crimes."},
    }
    rows = tables.targets(spec, headline, "NA", "restricted").set_index("Measure")
    assert list(rows.index) == [tables.METRIC_LABELS[m] for m in spec]          # the file's order
    charge = rows.loc[tables.METRIC_LABELS["charge_rate"]]
    assert charge["Direction sought"] == "increase" and charge["Numeric target"] == tables.pct(0.15)
    assert charge["This period (95% interval)"] == f"{tables.pct(0.12)} ({tables.interval(0.10, 0.14)})"
    assert charge["Change on previous period"].startswith(f"significant increase (from {tables.pct(0.09)}")
    assert charge["Moving the way sought?"] == "yes" and charge["Note"] == "Charge more."
    positive = rows.loc[tables.METRIC_LABELS["positive_outcome_rate"]]
    assert positive["Numeric target"] == "none stated"
    assert positive["Moving the way sought?"] == "no: the opposite way"
    repeat = rows.loc[tables.METRIC_LABELS["repeat_victimisation_rate"]]
    assert repeat["Moving the way sought?"] == "no significant change" and repeat["Note"] == ""
    volume = rows.loc[tables.METRIC_LABELS["volume"]]
    assert volume["Numeric target"] == "950 crimes" and volume["This period (95% interval)"] == "1,000"
    assert volume["Moving the way sought?"] == "no: the opposite way"   # increased; a decrease was sought


def test_public_edition_hides_small_rates_and_missing_comparisons_say_so(headline):
    spec = {"charge_rate": {"value": None, "direction": "increase", "note": ""}}
    public = tables.targets(spec, headline, "EA", "public").iloc[0]
    assert public["This period (95% interval)"] == RATE_NOT_SHOWN           # 4 of 30 charged
    assert public["Change on previous period"] == "not comparable"
    assert public["Moving the way sought?"] == "not comparable"
    restricted = tables.targets(spec, headline, "EA", "restricted").iloc[0]
    assert restricted["This period (95% interval)"].startswith(tables.pct(4 / 30))


def test_a_measure_missing_from_the_headline_table_is_a_dash(headline):
    rows = tables.targets({"charge_rate": {"value": None, "direction": "increase", "note": ""}},
                          headline[headline["metric"] != "charge_rate"], "NA", "public")
    assert rows.iloc[0]["This period (95% interval)"] == "–" == rows.iloc[0]["Moving the way sought?"]


def test_targets_agree_with_the_headline_table_on_real_figures(synthetic_small):
    """On synthetic London, each target row repeats the headline table's figures for the measure."""
    table = headline_table(synthetic_small, as_period("2025-04", "2026-03"))
    spec = {metric: {"value": None, "direction": "increase", "note": ""}
            for metric in ("charge_rate", "positive_outcome_rate", "repeat_victimisation_rate")}
    for edition in ("public", "restricted"):
        shown = tables.headline(table, "NA", edition).set_index("Measure")
        rows = tables.targets(spec, table, "NA", edition).set_index("Measure")
        for metric in spec:
            label = tables.METRIC_LABELS[metric]
            value, ci = shown.loc[label, "Value"], shown.loc[label, "95% interval"]
            assert rows.loc[label, "This period (95% interval)"] == (f"{value} ({ci})" if ci else value)
            column = tables.change_heading(table)
            assert rows.loc[label, column] == shown.loc[label, column]
            flag = table.set_index(["unit", "metric"]).loc[("NA", metric), "previous_flag"]
            expected = {"significant increase": "yes", "significant decrease": "no: the opposite way"}.get(flag, flag)
            assert rows.loc[label, "Moving the way sought?"] == expected


def test_markdown_for_the_params_files(synthetic_small):
    table = headline_table(synthetic_small, as_period("2025-04", "2026-03"))
    all_params = params.load_all_params()
    with_targets = [p for p in all_params.values() if p.targets]
    without = [p for p in all_params.values() if not p.targets]
    assert with_targets and without
    for bcu_params in with_targets:
        text = tables.targets_table(bcu_params, table, bcu_params.code, "public")
        assert text.rstrip().endswith("{#tbl-targets}")
        for metric, spec in bcu_params.targets.items():
            assert tables.METRIC_LABELS[metric] in text and spec["note"] in text
        direction_only = all(spec["value"] is None for spec in bcu_params.targets.values())
        assert text.startswith("No numeric target is stated") == direction_only
    assert "states no targets" in tables.targets_table(without[0], table, without[0].code, "public")
    numeric = {"charge_rate": {"value": 0.2, "direction": "increase", "note": "A stated target."}}
    text = tables.targets_table(numeric, table, "NA", "public")
    assert text.startswith("|") and "20.0%" in text


def test_position_phrase_reads_as_a_sentence():
    from vawgstats.metrics import POSITIONS

    phrases = [tables.position_phrase(p) for p in POSITIONS]
    assert phrases == ["above the 99.8% limit", "above the 95% limit", "within the limits",
                       "below the 95% limit", "below the 99.8% limit"]
    assert tables.position_phrase("not comparable") == "not comparable"


def test_position_phrase_with_overdispersed_limits_says_how_areas_usually_spread():
    assert tables.position_phrase("above 99.8% limit", overdispersed=True) == (
        "above London, further from it than areas usually are (above the 99.8% limit)")
    assert tables.position_phrase("below 95% limit", True).startswith("below London, somewhat further")
    assert tables.position_phrase("within limits", True) == "within the usual spread of areas around London"
    assert tables.position_phrase("not comparable", True) == "not comparable"


def test_one_change_column_when_the_previous_period_is_the_year_earlier(synthetic_small):
    """12-month periods: previous period = a year earlier, shown once, titled so, with the follow-up."""
    table = headline_table(synthetic_small, as_period("2025-04", "2026-03"), as_of="2026-04-14")
    assert tables.same_comparison(table) and tables.follow_up_days(table) == 14
    shown = tables.headline(table, "NA", "public")
    changes = [c for c in shown.columns if c.startswith("Change")]
    assert changes == ["Change on a year earlier (the previous 12 months; both periods measured 14 days "
                       "after their end)"]
    league = tables.league(table, "charge_rate", "public")
    assert [c for c in league.columns if c.startswith("Change")] == changes
    # A 6-month period: two comparisons, each saying the follow-up once.
    half = headline_table(synthetic_small, as_period("2025-10", "2026-03"), as_of="2026-04-14")
    assert not tables.same_comparison(half)
    columns = [c for c in tables.headline(half, "NA", "public").columns if c.startswith("Change")]
    assert columns == ["Change on previous period (both periods measured 14 days after their end)",
                       "Change on a year earlier (both periods measured 14 days after their end)"]
    summary = tables.summary(table, pd.DataFrame(columns=["metric", "unit", "position"]), "NA", "NA", "public")
    assert summary.count("both periods measured 14 days after their end") == 1


def test_league_tables_agree_with_each_bcus_headline(synthetic_small):
    """The overview's league tables repeat each BCU report's figures and verdicts."""
    from vawgstats.geography import BCU_CODES

    table = headline_table(synthetic_small, as_period("2025-04", "2026-03"), as_of="2026-04-14")
    column = tables.change_heading(table)
    for metric in ("charge_rate", "positive_outcome_rate"):
        league = tables.league(table, metric, "public", linked=[]).set_index("BCU")
        label = tables.METRIC_LABELS[metric]
        for code in BCU_CODES:
            shown = tables.headline(table, code, "public").set_index("Measure").loc[label]
            row = league.loc[[i for i in league.index if f"({code})" in i][0]]
            assert row[label] == shown["Value"] and row[column] == shown[column]
            assert "significant decrease" not in row[column]    # the true charge rates rise


def test_repeat_note_says_why_repeat_victimisation_is_missing():
    table = pd.DataFrame({"unit": ["NA", "EA"], "victims": ["all", "all"], "denominator": [0, 40],
                          "crimes_without_victim_id": [25, 3]})
    assert "police.uk" in tables.repeat_note(table, {"policeuk_proxy": True}, "EA")
    assert "No in-scope crime" in tables.repeat_note(table, {"policeuk_proxy": False}, "NA")
    assert tables.repeat_note(table, {"policeuk_proxy": False}, "EA") == ""
