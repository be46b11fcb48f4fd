"""Tests of vawgstats.units (what a report is about) and the borough look-ups it uses."""

from __future__ import annotations

import shutil

import pytest

from vawgstats.errors import ParamsError
from vawgstats.geography import BOROUGHS, ONS_CODES, borough_name, borough_slug, council_name
from vawgstats.params import default_params_dir, load_borough_params
from vawgstats.units import report_stem, report_unit


@pytest.mark.parametrize("name, slug", [
    ("Barking and Dagenham", "barking-and-dagenham"), ("Kingston upon Thames", "kingston-upon-thames"),
    ("Enfield", "enfield"), ("Richmond upon Thames", "richmond-upon-thames"),
])
def test_borough_slug(name, slug):
    assert borough_slug(name) == slug
    assert report_stem("borough", name) == f"borough-{slug}"
    assert borough_name(slug) == name  # a slug reads back as its borough


def test_slugs_are_unique_and_plain():
    slugs = [borough_slug(b) for b in BOROUGHS]
    assert len(set(slugs)) == 32
    assert all(s == s.lower() and " " not in s and s.replace("-", "").isalnum() for s in slugs)


@pytest.mark.parametrize("given", ["enfield", "ENFIELD", " Enfield ", "E09000010", "e09000010"])
def test_borough_name_any_case_or_ons_code(given):
    assert borough_name(given) == "Enfield"


@pytest.mark.parametrize("given", ["Gotham", "City of London", "E09000001", ""])
def test_unknown_borough_is_a_params_error(given):
    with pytest.raises(ParamsError, match="Unknown borough"):
        borough_name(given)


def test_report_unit_for_a_bcu_keeps_the_bcu_report_words():
    unit = report_unit("bcu", "NA")
    assert (unit.unit, unit.bcu, unit.name, unit.boroughs) == ("NA", "NA", "North Area BCU", ("Enfield", "Haringey"))
    assert unit.title == "North Area BCU (NA): violence against women and girls"
    assert unit.areas == "Enfield, Haringey" and unit.also == {} and unit.compared_with == "London"
    assert unit.quality_units == ["NA", "Enfield", "Haringey", "London"]
    assert unit.output_stem == "bcu-NA" and unit.funnel_label == "12 BCUs"


def test_report_unit_for_a_borough_names_borough_bcu_and_council():
    unit = report_unit("borough", "kingston upon thames")
    assert (unit.unit, unit.bcu, unit.boroughs) == ("Kingston upon Thames", "SW", ("Kingston upon Thames",))
    assert unit.council == council_name("Kingston upon Thames") == "Royal Borough of Kingston upon Thames"
    for text in ("Kingston upon Thames", "South West BCU", "Royal Borough of Kingston upon Thames",
                 ONS_CODES["Kingston upon Thames"]):
        assert text in unit.title + unit.areas
    assert unit.also == {"South West BCU": "SW"} and unit.funnel_label == "32 boroughs"
    assert unit.quality_units == ["Kingston upon Thames", "SW", "London"]
    # without a borough file the BCU's aims and targets apply, and the report says so
    sw = report_unit("bcu", "SW")
    assert unit.aims == sw.aims and unit.targets == sw.targets
    assert "no aims of its own" in unit.aims_source and "South West BCU" in unit.targets_intro


def _params_copy(tmp_path):
    folder = tmp_path / "params"
    shutil.copytree(default_params_dir(), folder, ignore=shutil.ignore_patterns("boroughs"))
    (folder / "boroughs").mkdir()
    return folder


def test_borough_params_file_gives_committee_aims_and_targets(tmp_path):
    folder = _params_copy(tmp_path)
    (folder / "boroughs" / "enfield.yaml").write_text(
        "borough: Enfield\ncommittee: Overview and Scrutiny Committee\naims:\n  - Halve repeat victimisation\n"
        "targets:\n  repeat_victimisation_rate:\n    value: 0.1\n    direction: decrease\n", encoding="utf-8")
    unit = report_unit("borough", "E09000010", folder)
    assert unit.committee == "Overview and Scrutiny Committee" and "Overview and Scrutiny Committee" in unit.areas
    assert unit.aims == ("Halve repeat victimisation",) and unit.aims_from == "borough"
    assert unit.targets["repeat_victimisation_rate"]["value"] == 0.1 and unit.targets_kind == "borough"
    # Haringey has no file: its BCU's apply
    assert report_unit("borough", "Haringey", folder).aims == report_unit("bcu", "NA", folder).aims


@pytest.mark.parametrize("name, text, message", [
    ("enfield.yaml", "borough: Haringey\n", "must match the file name"),
    ("enfield.yaml", "borough: Enfield\naims: []\n", "aims"),
    ("enfield.yaml", "borough: Enfield\ntargets:\n  charge_rate:\n    value: 12\n    direction: increase\n",
     "proportion"),
    ("enfield.yaml", "borough: Enfield\ncolour: red\n", "unknown key"),
    ("enfeld.yaml", "borough: Enfield\n", "not a known borough parameter file"),
])
def test_bad_borough_params_file_is_a_params_error(tmp_path, name, text, message):
    folder = _params_copy(tmp_path)
    (folder / "boroughs" / name).write_text(text, encoding="utf-8")
    with pytest.raises(ParamsError, match=message) as error:
        load_borough_params("Enfield", folder)
    assert str(folder / "boroughs") in str(error.value)


def test_open_data_borough_jobs_use_the_open_data_notebook(tmp_path):
    """The open-data edition makes borough reports too: a counts table gives bcu_open_data jobs."""
    from vawgstats import open_data, synthetic
    from vawgstats.prepare import prepare
    from vawgstats.render import jobs as render_jobs
    from vawgstats.schema import parse_records

    records = parse_records(synthetic.generate(seed=3, start="2025-01", end="2025-12", scale=0.01), "synthetic")
    counts = tmp_path / "counts.parquet"
    open_data.write_synthetic_counts(records, counts)
    prepared = prepare(counts, build_root=tmp_path / "build")
    jobs = render_jobs.build_jobs(prepared, bcus=[], boroughs=["Enfield", "Kingston upon Thames"], edition="public",
                                  renderer="nbconvert", build_root=tmp_path / "build", params_dir=None,
                                  render_time="t", jupyter_path=tmp_path)
    by_name = {job.name: job for job in jobs}
    assert set(by_name) == {"borough-enfield", "borough-kingston-upon-thames", "london"}
    assert by_name["borough-enfield"].notebook.endswith("bcu_open_data.ipynb")
    assert by_name["borough-enfield"].parameters["unit"] == "Enfield"
    assert "open data" in by_name["borough-kingston-upon-thames"].title
    # the open-data tables hold the boroughs' rows the notebook reads
    for name in ("monthly", "funnel", "headline"):
        table = prepared.table(name)
        assert "Kingston upon Thames" in set(table.loc[table["unit_type"] == "borough", "unit"])
