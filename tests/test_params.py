"""Parameter files (params/*.yaml) and run options: safe loading, clear errors, safe paths."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import vawgstats
from vawgstats import params as P
from vawgstats.errors import ParamsError
from vawgstats.geography import BCU_BY_CODE, BCU_CODES

REPO_PARAMS = Path(vawgstats.__file__).resolve().parent.parent / "params"


@pytest.fixture
def params_dir(tmp_path) -> Path:
    """A writable copy of the repository's params/ folder."""
    folder = tmp_path / "params"
    shutil.copytree(REPO_PARAMS, folder)
    return folder


def _error(func, *args, **kwargs) -> str:
    with pytest.raises(ParamsError) as info:
        func(*args, **kwargs)
    message = str(info.value)
    assert "Traceback" not in message
    return message


# --------------------------------------------------------------------------- the shipped files


def test_repository_has_a_file_for_each_bcu_and_defaults():
    names = sorted(p.name for p in REPO_PARAMS.glob("*.yaml"))
    assert names == sorted([f"{c}.yaml" for c in BCU_CODES] + ["defaults.yaml"])


def test_load_all_params_returns_12_in_geography_order():
    loaded = P.load_all_params(REPO_PARAMS)
    assert tuple(loaded) == BCU_CODES
    for code, bcu in loaded.items():
        assert isinstance(bcu, P.BCUParams)
        assert bcu.code == code
        assert bcu.name == BCU_BY_CODE[code].name
        assert set(bcu.boroughs) == set(BCU_BY_CODE[code].boroughs)
        assert isinstance(bcu.boroughs, tuple) and isinstance(bcu.aims, tuple)
        assert bcu.aims and all(isinstance(a, str) and a for a in bcu.aims)
        assert bcu.path == REPO_PARAMS / f"{code}.yaml"
        for metric, target in bcu.targets.items():
            assert metric in P.TARGET_METRICS
            assert target["direction"] in ("increase", "decrease")


def test_na_and_ea_use_their_commanders_aims_and_the_rest_are_marked_generic():
    loaded = P.load_all_params(REPO_PARAMS)
    assert all(a.startswith("NA ") for a in loaded["NA"].aims)
    assert any("Walk and Talk" in a for a in loaded["NA"].aims)
    assert all(a.startswith("EA ") for a in loaded["EA"].aims)
    assert any("charge rate" in a for a in loaded["EA"].aims)
    assert loaded["EA"].targets["charge_rate"]["direction"] == "increase"
    for code in set(BCU_CODES) - {"NA", "EA"}:
        assert all("generic" in a.lower() for a in loaded[code].aims), code
        assert loaded[code].targets == {}


def test_load_defaults_from_repository():
    assert P.load_defaults(REPO_PARAMS) == P.Defaults(
        edition="public", period_months=12, repeat_window_days=365, suppression_threshold=10,
        targets={"walk_and_talk": {"per_month": 6, "direction": "increase",
                                   "note": "The Met's target: 6 Walk and Talks a month on each BCU."}})


def _write_targets(tmp_path, text):
    import shutil

    folder = tmp_path / "params"
    shutil.copytree(REPO_PARAMS, folder)
    file = folder / "NA.yaml"
    file.write_text(file.read_text(encoding="utf-8").replace("targets:\n", "targets:\n" + text, 1), encoding="utf-8")
    return folder


def test_returns_targets_in_bcu_files(tmp_path):
    folder = _write_targets(tmp_path, "  walk_and_talk:\n    per_month: 8\n  wanted_da_suspects:\n"
                                      "    direction: decrease\n  trust_percent:\n    value: 75\n")
    targets = P.load_bcu_params("NA", folder).targets
    assert targets["walk_and_talk"] == {"per_month": 8, "direction": "increase", "note": ""}
    assert targets["wanted_da_suspects"]["direction"] == "decrease"
    assert targets["trust_percent"]["value"] == 75


@pytest.mark.parametrize("text, words", [
    ("  walk_and_talk:\n    per_month: 6\n    value: 70\n", ["per_month and value"]),
    ("  walk_and_talk:\n    per_month: -1\n", ["0 or more"]),
    ("  wanted_da_suspects:\n    per_month: 6\n", ["stock", "per_month"]),
    ("  trust_percent:\n    value: 120\n", ["0-100"]),
    ("  walk_and_talk:\n    note: none\n", ["direction"]),
    ("  walk_and_talk:\n    per_week: 2\n", ["per_week"]),
    ("  walks:\n    per_month: 2\n", ["walks"]),
])
def test_bad_returns_targets_are_refused_naming_the_key(tmp_path, text, words):
    folder = _write_targets(tmp_path, text)
    with pytest.raises(P.ParamsError) as caught:
        P.load_bcu_params("NA", folder)
    for word in words:
        assert word in str(caught.value)


def test_load_bcu_params_accepts_code_or_name():
    assert P.load_bcu_params("North Area", REPO_PARAMS).code == "NA"
    assert P.load_bcu_params("ea", REPO_PARAMS).code == "EA"


def test_default_params_dir_prefers_local_params(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert P.default_params_dir() == REPO_PARAMS
    (tmp_path / "params").mkdir()
    assert P.default_params_dir() == tmp_path / "params"


# --------------------------------------------------------------------------- bad BCU files


def _rewrite(folder: Path, code: str, old: str, new: str) -> Path:
    path = folder / f"{code}.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize("old, new, key, expected", [
    ("code: NA", "code: EA", "code", "must match the file name"),
    ("code: NA", "code: ZZ", "code", "'ZZ' is not a known BCU code"),
    ("code: NA", "code: 12", "code", "expected text"),
    ("name: North Area", "name: East Area", "name", "expected 'North Area'"),
    ("  - Haringey", "  - Gotham", "boroughs", "'Gotham' is not a London borough"),
    ("  - Haringey", "  - Barnet", "boroughs", "missing Haringey; not in this BCU: Barnet"),
    ("  - Haringey", "  - Enfield", "boroughs", "listed twice: Enfield"),
    ("boroughs:\n  - Enfield\n  - Haringey", "boroughs: Enfield", "boroughs", "expected a list"),
    ("code: NA", "code: NA\ncolour: red", "colour", "unknown key(s) 'colour'"),
    ("    direction: increase", "    direction: up", "targets.positive_outcome_rate.direction",
     "expected increase or decrease"),
    ("    value: null\n    direction: increase", "    value: 12\n    direction: increase",
     "targets.positive_outcome_rate.value", "from 0 to 1"),
    ("    value: null\n    direction: increase", "    value: 'high'\n    direction: increase",
     "targets.positive_outcome_rate.value", "expected a number"),
    ("    value: null\n    direction: increase", "    value: true\n    direction: increase",
     "targets.positive_outcome_rate.value", "expected a number"),
    ("  positive_outcome_rate:", "  happiness:", "targets.happiness", "unknown key(s) 'happiness'"),
    ("    direction: increase\n", "    direction: increase\n    deadline: 2027\n",
     "targets.positive_outcome_rate.deadline", "unknown key(s) 'deadline'"),
])
def test_bad_bcu_file_names_file_key_and_line(params_dir, old, new, key, expected):
    path = _rewrite(params_dir, "NA", old, new)
    message = _error(P.load_bcu_params, "NA", params_dir)
    assert str(path) in message
    assert f"key '{key}'" in message
    assert expected in message
    assert ", line " in message


def test_missing_required_key(params_dir):
    path = params_dir / "CN.yaml"
    path.write_text("\n".join(line for line in path.read_text().splitlines()
                              if not line.startswith("name:")))
    message = _error(P.load_bcu_params, "CN", params_dir)
    assert str(path) in message and "missing required key(s) name" in message


def test_boroughs_any_order_and_aliases_are_canonicalised(params_dir):
    _rewrite(params_dir, "EA", "  - Barking and Dagenham\n  - Havering\n  - Redbridge",
             "  - Redbridge\n  - Barking & Dagenham\n  - havering")
    assert P.load_bcu_params("EA", params_dir).boroughs == BCU_BY_CODE["EA"].boroughs


def test_numeric_volume_target_is_accepted(params_dir):
    _rewrite(params_dir, "NA", "  repeat_victimisation_rate:",
             "  volume:\n    value: 1500\n    direction: decrease\n  repeat_victimisation_rate:")
    targets = P.load_bcu_params("NA", params_dir).targets
    assert targets["volume"] == {"value": 1500, "direction": "decrease", "note": ""}


def test_top_level_not_a_mapping(params_dir):
    (params_dir / "NA.yaml").write_text("- just\n- a list\n")
    assert "expected a mapping" in _error(P.load_bcu_params, "NA", params_dir)
    (params_dir / "NA.yaml").write_text("")
    assert "the value is empty" in _error(P.load_bcu_params, "NA", params_dir)


def test_yaml_syntax_error_gives_line(params_dir):
    path = params_dir / "NA.yaml"
    lines = path.read_text().splitlines()
    lines[4] = 'boroughs: ["Enfield", Haringey'  # unclosed flow sequence, line 5
    path.write_text("\n".join(lines) + "\n")
    message = _error(P.load_bcu_params, "NA", params_dir)
    assert str(path) in message and "not valid YAML" in message
    assert ", line " in message


def test_duplicate_key_is_refused(params_dir):
    path = _rewrite(params_dir, "NA", "name: North Area", "name: North Area\nname: North Area")
    message = _error(P.load_bcu_params, "NA", params_dir)
    assert str(path) in message and "'name' is given twice" in message and "line 4" in message


def test_python_tags_are_refused_and_never_run(params_dir, tmp_path):
    marker = tmp_path / "pwned"
    path = params_dir / "NA.yaml"
    path.write_text(path.read_text() + f'evil: !!python/object/apply:os.system ["touch {marker}"]\n')
    message = _error(P.load_bcu_params, "NA", params_dir)
    assert "python/object/apply:os.system" in message and "not allowed" in message
    assert not marker.exists()
    path.write_text("!!python/object:vawgstats.params.Defaults {edition: public}\n")
    assert "not allowed" in _error(P.load_bcu_params, "NA", params_dir)


def test_not_utf8_and_too_big(params_dir):
    (params_dir / "NA.yaml").write_bytes(b"code: NA\nname: \xff\xfe\n")
    assert "not UTF-8" in _error(P.load_bcu_params, "NA", params_dir)
    (params_dir / "NA.yaml").write_text("notes: " + "x" * (P.MAX_FILE_BYTES + 1))
    assert "small text files" in _error(P.load_bcu_params, "NA", params_dir)


def test_unknown_bcu_and_missing_file_and_missing_folder(params_dir, tmp_path):
    message = _error(P.load_bcu_params, "ZZ", params_dir)
    assert "Unknown BCU 'ZZ'" in message and ", ".join(BCU_CODES) in message
    (params_dir / "SW.yaml").unlink()
    message = _error(P.load_all_params, params_dir)
    assert str(params_dir / "SW.yaml") in message and "no parameter file" in message
    assert "folder not found" in _error(P.load_bcu_params, "NA", tmp_path / "nowhere")


def test_stray_yaml_file_is_an_error(params_dir):
    shutil.copy(params_dir / "NA.yaml", params_dir / "North.yaml")
    message = _error(P.load_all_params, params_dir)
    assert "North.yaml" in message and "not a known parameter file" in message


# --------------------------------------------------------------------------- defaults


@pytest.mark.parametrize("text, key, expected", [
    ("edition: secret\n", "edition", "expected public or restricted"),
    ("period_months: 0\n", "period_months", "from 1 to 120"),
    ("period_months: twelve\n", "period_months", "expected a whole number of months"),
    ("period_months: 12.5\n", "period_months", "expected a whole number of months"),
    ("repeat_window_days: true\n", "repeat_window_days", "expected a whole number of days"),
    ("suppression_threshold: 5\n", "suppression_threshold", "never lowered"),
    ("colour: red\n", "colour", "unknown key(s) 'colour'"),
])
def test_bad_defaults(params_dir, text, key, expected):
    (params_dir / "defaults.yaml").write_text(text)
    message = _error(P.load_defaults, params_dir)
    assert str(params_dir / "defaults.yaml") in message
    assert f"key '{key}'" in message and expected in message and "line 1" in message


def test_defaults_partial_and_missing(params_dir):
    (params_dir / "defaults.yaml").write_text("edition: Restricted\nsuppression_threshold: 20\n")
    assert P.load_defaults(params_dir) == P.Defaults("restricted", 12, 365, 20)
    (params_dir / "defaults.yaml").unlink()
    assert P.load_defaults(params_dir) == P.Defaults("public", 12, 365, 10)


# --------------------------------------------------------------------------- run options


def test_validate_run_options_good(tmp_path):
    options = P.validate_run_options(bcus=["na", "East Area", "NA"], start="2024-04", end="2025-03",
                                     edition="Public", out_dir=tmp_path / "out")
    assert options.bcus == ("NA", "EA")
    assert str(options.period) == "2024-04..2025-03" and options.period.months == 12
    assert options.edition == "public"
    assert options.out_dir == (tmp_path / "out").resolve()
    everything = P.validate_run_options(bcus=None, start=None, end=None, edition="restricted",
                                        out_dir=tmp_path)
    assert everything.bcus == BCU_CODES and everything.period is None
    assert P.validate_run_options(bcus="all", start=None, end=None, edition=None,
                                  out_dir=tmp_path).edition == "public"


@pytest.mark.parametrize("kwargs, expected", [
    ({"bcus": ["NA", "XX"]}, "Unknown BCU 'XX': expected one of " + ", ".join(BCU_CODES)),
    ({"bcus": []}, "No BCU given"),
    ({"start": "2024-13", "end": "2025-03"}, "Bad start '2024-13'"),
    ({"start": "2024-04", "end": "March 2025"}, "Bad end 'March 2025'"),
    ({"start": "1900-01", "end": "1900-12"}, "from 1990"),
    ({"start": "2025-04", "end": "2024-03"}, "end 2024-03 is before start 2025-04"),
    ({"start": "2024-04", "end": None}, "the end is missing"),
    ({"edition": "secret"}, "Bad edition 'secret'"),
])
def test_validate_run_options_bad(tmp_path, kwargs, expected):
    options = {"bcus": ["NA"], "start": None, "end": None, "edition": "public", "out_dir": tmp_path,
               **kwargs}
    assert expected in _error(P.validate_run_options, **options)


def test_out_dir_that_is_a_file(tmp_path):
    file = tmp_path / "report.html"
    file.write_text("x")
    assert "is an existing file" in _error(P.validate_out_dir, file)


# --------------------------------------------------------------------------- safe output paths


def test_safe_output_path_inside(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    assert P.safe_output_path(out, "bcu-NA.html") == out.resolve() / "bcu-NA.html"
    assert P.safe_output_path(out, "pdf/bcu-NA.pdf") == out.resolve() / "pdf" / "bcu-NA.pdf"
    assert P.safe_output_path(out, "pdf/../index.html") == out.resolve() / "index.html"
    assert P.safe_output_path(str(out), Path("london.html")) == out.resolve() / "london.html"


@pytest.mark.parametrize("name", ["../x.html", "../../etc/passwd", "/etc/passwd", "a/../../x", ".", "",
                                  "bad\x00name.html"])
def test_safe_output_path_refuses_escapes(tmp_path, name):
    out = tmp_path / "out"
    out.mkdir()
    message = _error(P.safe_output_path, out, name)
    assert "Bad output file name" in message


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links on this system")
def test_safe_output_path_refuses_symlinks_out(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (out / "link").symlink_to(elsewhere, target_is_directory=True)
    (out / "file-link.html").symlink_to(tmp_path / "outside.html")
    assert "outside the output folder" in _error(P.safe_output_path, out, "link/x.html")
    assert "outside the output folder" in _error(P.safe_output_path, out, "file-link.html")
    # A link that stays inside the folder is fine.
    (out / "inner").mkdir()
    (out / "alias").symlink_to(out / "inner", target_is_directory=True)
    assert P.safe_output_path(out, "alias/x.html") == out.resolve() / "inner" / "x.html"
