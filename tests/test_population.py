"""Population estimates: the package's own, a user's file, the year nearest the period's middle."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from vawgstats import metrics, population
from vawgstats.cli import main
from vawgstats.errors import DataError
from vawgstats.periods import as_period
from vawgstats.prepare import prepare


def _file(tmp_path, years=(2022, 2023), factor=1.1, name="pop.csv"):
    base = population.embedded()
    rows = [base.assign(year=y, female=(base["female"] * (factor + 0.01 * i)).round().astype(int))
            for i, y in enumerate(years)]
    path = tmp_path / name
    pd.concat(rows).to_csv(path, index=False)
    return path


def test_embedded_is_mid_2019_for_32_boroughs():
    table = population.embedded()
    assert len(table) == 32 and set(table["year"]) == {2019} and (table["female"] > 0).all()


def test_year_nearest_the_period_middle(tmp_path):
    table = population.load_population(_file(tmp_path, years=(2021, 2022, 2023)))
    assert population.choose_year(table, as_period("2025-04", "2026-03")) == 2023   # beyond: the latest
    assert population.choose_year(table, as_period("2022-01", "2022-12")) == 2022   # middle 1 July 2022
    assert population.choose_year(table, as_period("2021-10", "2022-09")) == 2022   # middle April 2022
    assert population.choose_year(table, as_period("2021-04", "2022-03")) == 2021   # middle October 2021


def test_a_user_file_changes_the_rates(tmp_path, synthetic_small):
    path = _file(tmp_path, years=(2022,), factor=2.0)
    residents, year, text = population.choose(as_period("2025-04", "2026-03"), path)
    assert year == 2022 and "mid-2022" in text and "pop.csv" in text
    own = metrics.per_population(synthetic_small, start="2025-04", end="2026-03", by=("bcu",))
    given = metrics.per_population(synthetic_small, start="2025-04", end="2026-03", by=("bcu",),
                                   population=residents)
    assert (given["crimes"] == own["crimes"]).all()
    assert given["rate_per_1000"].to_numpy() == pytest.approx(own["rate_per_1000"].to_numpy() / 2.0, rel=1e-3)
    london = metrics.per_population(synthetic_small, start="2025-04", end="2026-03", by=(), population=residents)
    assert london["female_population"].iloc[0] == pytest.approx(residents.sum())


@pytest.mark.parametrize("text, expected", [
    ("borough,year\nBarnet,2022\n", ["missing column(s): female"]),
    ("borough,year,female\n", ["no data rows"]),
    ("borough,year,female\nBarnet,2022,100\nAtlantis,2022,5\n", ["column 'borough'", "line 3 ('Atlantis')"]),
    ("borough,year,female\nBarnet,twenty,100\n", ["column 'year'", "line 2 ('twenty')"]),
    ("borough,year,female\nBarnet,2022,-4\n", ["column 'female'", "line 2 ('-4')"]),
    ("borough,year,female\nBarnet,2022,100\n", ["the year 2022 lacks 31 of the 32"]),
])
def test_bad_population_files_name_file_column_rows(tmp_path, text, expected):
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as caught:
        population.load_population(path)
    message = str(caught.value)
    assert str(path) in message
    for part in expected:
        assert part in message


def test_duplicate_borough_year_is_refused(tmp_path):
    path = _file(tmp_path, years=(2022,))
    table = pd.read_csv(path)
    pd.concat([table, table.head(1)]).to_csv(path, index=False)
    with pytest.raises(DataError, match="more than once"):
        population.load_population(path)


def test_prepare_keys_and_states_the_population(tmp_path, synthetic_csv):
    own = prepare(synthetic_csv, build_root=tmp_path / "build")
    assert own.manifest["population_year"] == 2019 and "mid-2019" in own.manifest["population_source"]
    path = _file(tmp_path, years=(2022,))
    given = prepare(synthetic_csv, build_root=tmp_path / "build", population=path)
    assert given.key != own.key
    assert given.manifest["population_year"] == 2022 and given.manifest["population_file"] == "pop.csv"
    volume = given.table("headline").query("metric == 'volume' and unit_type == 'london'")
    assert volume["denominator"].iloc[0] == pytest.approx(population.load_population(path)["female"].sum())
    _file(tmp_path, years=(2022,), factor=1.3)                  # same name, new figures: a new key
    assert prepare(synthetic_csv, build_root=tmp_path / "build", population=path).key != given.key


def test_render_with_a_bad_population_file_exits_2(tmp_path, synthetic_csv):
    bad = tmp_path / "bad.csv"
    bad.write_text("borough,year,females\nBarnet,2022,1\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["render", "--bcu", "NA", "--data", str(synthetic_csv), "--population",
                                       str(bad), "--out", str(tmp_path / "out"), "--build",
                                       str(tmp_path / "build"), "--quiet", "-j", "1"])
    assert result.exit_code == 2, result.output
    assert "bad.csv" in result.output and "female" in result.output and "Traceback" not in result.output
