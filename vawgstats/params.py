"""Report parameters: one YAML file per BCU, shared defaults, and run options.

Files live in a parameters folder (``params/`` at the repository root, or
``./params`` in the current directory when it exists):

- ``<CODE>.yaml`` for each of the 12 BCUs, e.g. ``NA.yaml``::

      code: NA
      name: North Area
      boroughs: [Enfield, Haringey]
      aims:                          # the commander's stated aims, short strings
        - ...
      targets:                       # optional
        positive_outcome_rate:
          value: null                # proportion 0-1 (rates) or a number (volume); null = direction only
          direction: increase        # increase | decrease
          note: "..."
      notes: "..."                   # optional

- ``boroughs/<slug>.yaml`` (optional) for a borough's report, e.g.
  ``boroughs/barking-and-dagenham.yaml``::

      borough: Barking and Dagenham  # the borough's name (or ONS code)
      committee: "..."               # optional: the council committee that scrutinises the report
      aims: [...]                    # optional: the borough's own aims (default: its BCU's)
      targets: {...}                 # optional: as for a BCU (default: its BCU's)
      notes: "..."                   # optional

  Without the file (or without ``aims``/``targets`` in it) the BCU's apply.

- ``defaults.yaml``: ``edition`` (public | restricted), ``period_months``,
  ``repeat_window_days``, ``suppression_threshold``, ``charge_follow_up_days``
  (the monthly charge-rate trend counts charges within this many days of recording)
  and ``gap_share`` (a month is a gap when it has fewer records than this share of its
  neighbours' median; see :mod:`vawgstats.coverage`).

Every file is read with :func:`yaml.safe_load` only: no tag that would build a
Python object is accepted, and nothing in a parameter file is ever evaluated
as code.  Every problem raises :class:`~vawgstats.errors.ParamsError` naming
the file, the key and (where it is known) the line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import yaml

from .definitions import CHARGE_FOLLOW_UP_DAYS, REPEAT_WINDOW_DAYS, SUPPRESSION_THRESHOLD
from .errors import ParamsError
from .coverage import GAP_SHARE
from .geography import BCU_BY_CODE, BCU_CODES, BOROUGHS, bcu_code, borough_name, borough_slug, normalise_borough
from .periods import Period

#: Metrics a target may be set for, and whether their value is a proportion (0-1).
TARGET_METRICS: dict[str, bool] = {
    "charge_rate": True,
    "positive_outcome_rate": True,
    "repeat_victimisation_rate": True,
    "volume": False,
}
TARGET_DIRECTIONS: tuple[str, ...] = ("increase", "decrease")
EDITIONS: tuple[str, ...] = ("public", "restricted")

BCU_KEYS: tuple[str, ...] = ("code", "name", "boroughs", "aims", "targets", "notes")
BCU_REQUIRED: tuple[str, ...] = ("code", "name", "boroughs", "aims")
TARGET_KEYS: tuple[str, ...] = ("value", "direction", "note")
#: Keys of a target for a delivery-returns measure (:mod:`vawgstats.returns`): a rate per month
#: or per year (pro-rated to the report period), a ``value`` (a period total for a flow, a level
#: for a stock or percent), or only a direction.
RETURNS_TARGET_KEYS: tuple[str, ...] = ("per_month", "per_year", "value", "direction", "note")
DEFAULT_VALUES: dict[str, Any] = {
    "edition": "public",
    "period_months": 12,
    "repeat_window_days": REPEAT_WINDOW_DAYS,
    "suppression_threshold": SUPPRESSION_THRESHOLD,
    "targets": None,
    "charge_follow_up_days": CHARGE_FOLLOW_UP_DAYS,
    "gap_share": GAP_SHARE,
}
DEFAULTS_FILE = "defaults.yaml"
#: Parameter files are small; anything larger is refused before parsing.
MAX_FILE_BYTES = 256 * 1024

# Tags that plain YAML values resolve to; anything else (``!!python/object``, custom
# ``!tags``, ``!!binary``, ``!!set``) is refused before any value is constructed.
_PLAIN_TAGS = frozenset(f"tag:yaml.org,2002:{name}" for name in (
    "str", "int", "float", "bool", "null", "map", "seq", "timestamp", "merge"))


@dataclass(frozen=True)
class BCUParams:
    """The parameters of one BCU's report."""

    code: str
    name: str
    boroughs: tuple[str, ...]
    aims: tuple[str, ...]
    targets: dict
    notes: str
    path: Path


@dataclass(frozen=True)
class BoroughParams:
    """The parameters of one borough's report: its own file's values, or None where the BCU's apply."""

    borough: str
    committee: str | None
    aims: tuple[str, ...] | None
    targets: dict | None
    notes: str
    path: Path | None


@dataclass(frozen=True)
class Defaults:
    """Settings shared by every report."""

    edition: str
    period_months: int
    repeat_window_days: int
    suppression_threshold: int
    #: targets every BCU has unless its own file overrides them (e.g. ``walk_and_talk: {per_month: 6}``)
    targets: dict | None = None
    #: the monthly charge-rate trend counts charges within this many days of recording
    charge_follow_up_days: int = CHARGE_FOLLOW_UP_DAYS
    gap_share: float = GAP_SHARE


@dataclass(frozen=True)
class RunOptions:
    """Validated options of a render run.

    ``period`` is ``None`` when neither start nor end was given (the caller then
    takes the latest complete months in the data).
    """

    bcus: tuple[str, ...]
    period: Period | None
    edition: str
    out_dir: Path


# --------------------------------------------------------------------------- folders


def default_params_dir() -> Path:
    """``./params`` if it exists in the current directory, else the repository's ``params/``."""
    local = Path.cwd() / "params"
    if local.is_dir():
        return local
    import vawgstats

    return Path(vawgstats.__file__).resolve().parent.parent / "params"


def _params_dir(params_dir: str | os.PathLike | None) -> Path:
    folder = default_params_dir() if params_dir is None else Path(params_dir)
    if not folder.is_dir():
        raise ParamsError(f"{folder}: parameters folder not found; expected a folder holding "
                          f"<CODE>.yaml for each BCU ({', '.join(BCU_CODES)}) and {DEFAULTS_FILE}.")
    return folder


# --------------------------------------------------------------------------- safe YAML


class _Where:
    """Line numbers of the keys of a composed YAML document, by key path."""

    def __init__(self, root: yaml.Node | None):
        self.lines: dict[tuple, int] = {}
        if root is not None:
            self._walk(root, (), set())

    def _walk(self, node: yaml.Node, path: tuple, seen: set[int]) -> None:
        if id(node) in seen:
            return
        seen.add(id(node))
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    self.lines.setdefault(path + (key.value,), key.start_mark.line + 1)
                    self._walk(value, path + (key.value,), seen)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self._walk(item, path + (index,), seen)

    def line(self, path: tuple) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None


def _key_text(path: tuple) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _fail(file: Path, where: _Where | None, path: tuple, message: str) -> ParamsError:
    line = where.line(path) if where is not None else None
    location = f"{file}" + (f", line {line}" if line else "")
    key = f"key '{_key_text(path)}': " if path else ""
    return ParamsError(f"{location}: {key}{message}")


def _check_tags(node: yaml.Node, file: Path, seen: set[int] | None = None) -> None:
    seen = set() if seen is None else seen
    if id(node) in seen:
        return
    seen.add(id(node))
    if node.tag not in _PLAIN_TAGS:
        raise ParamsError(
            f"{file}, line {node.start_mark.line + 1}: the YAML tag {node.tag!r} is not allowed. "
            "Parameter files hold plain values only (text, numbers, true/false, lists, mappings); "
            "nothing in them is ever turned into a Python object or run as code.")
    if isinstance(node, yaml.MappingNode):
        keys: dict[object, int] = {}
        for key, value in node.value:
            _check_tags(key, file, seen)
            _check_tags(value, file, seen)
            if isinstance(key, yaml.ScalarNode):
                if key.value in keys:
                    raise ParamsError(f"{file}, line {key.start_mark.line + 1}: key {key.value!r} is given "
                                      f"twice (first on line {keys[key.value]}); give each key once.")
                keys[key.value] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _check_tags(item, file, seen)


#: PyYAML's safe loader, in C (libyaml) where PyYAML was built with it: the same documents and
#: marks, several times faster than the pure-Python one (a render reads every parameter file).
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: str | os.PathLike) -> tuple[Any, _Where]:
    """Read one YAML document safely: plain values only, no code, clear errors.

    Returns the value and a helper that knows the line of each key.
    """
    file = Path(path)
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise ParamsError(f"{file}: no such parameter file.") from None
    except OSError as exc:
        raise ParamsError(f"{file}: the parameter file could not be read ({exc.strerror or exc}).") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ParamsError(f"{file}: the parameter file is {len(raw):,} bytes; parameter files are "
                          f"small text files (at most {MAX_FILE_BYTES:,} bytes).")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParamsError(f"{file}: the parameter file is not UTF-8 text (byte {exc.start}); "
                          "save it as UTF-8.") from None
    try:
        root = yaml.compose(text, Loader=_SAFE_LOADER)
        if root is not None:
            _check_tags(root, file)
        value = yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader, as yaml.safe_load
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = str(exc.problem or "")
        if exc.context:
            began = (f" that starts on line {exc.context_mark.line + 1}"
                     if exc.context_mark is not None and exc.context_mark is not mark else "")
            problem = f"{problem}; {exc.context}{began}" if problem else f"{exc.context}{began}"
        raise ParamsError(f"{file}{where}: the file is not valid YAML ({problem or exc}). "
                          "Check the indentation, colons and quotes around that line.") from None
    except yaml.YAMLError as exc:
        raise ParamsError(f"{file}: the file is not valid YAML ({exc}).") from None
    except RecursionError:
        raise ParamsError(f"{file}: the YAML is nested too deeply to be a parameter file.") from None
    return value, _Where(root)


# --------------------------------------------------------------------------- value checks


def _mapping(value: Any, file: Path, where: _Where, path: tuple, allowed: Iterable[str],
             required: Iterable[str] = ()) -> dict:
    allowed = tuple(allowed)
    if not isinstance(value, dict):
        what = "empty" if value is None else f"a {_type_name(value)}"
        raise _fail(file, where, path, f"expected a mapping of keys ({', '.join(allowed)}), but the "
                    f"value is {what}.")
    unknown = [k for k in value if not isinstance(k, str) or k not in allowed]
    if unknown:
        shown = ", ".join(repr(k) for k in unknown)
        raise _fail(file, where, path + (str(unknown[0]),),
                    f"unknown key(s) {shown}; the allowed keys are {', '.join(allowed)}.")
    missing = [k for k in required if k not in value]
    if missing:
        raise _fail(file, where, path, f"missing required key(s) {', '.join(missing)}.")
    return value


def _type_name(value: Any) -> str:
    return {bool: "true/false value", int: "whole number", float: "number", str: "text",
            list: "list", dict: "mapping", type(None): "empty value"}.get(type(value), type(value).__name__)


def _text(value: Any, file: Path, where: _Where, path: tuple, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise _fail(file, where, path, f"expected text, but the value is a {_type_name(value)} ({value!r}).")
    if not allow_empty and not value.strip():
        raise _fail(file, where, path, "expected text, but the value is empty.")
    return value.strip()


def _text_list(value: Any, file: Path, where: _Where, path: tuple) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        what = "an empty list" if value == [] else f"a {_type_name(value)}"
        raise _fail(file, where, path, f"expected a list of text items (one per line starting '- '), "
                    f"but the value is {what}.")
    return tuple(_text(item, file, where, path + (i,)) for i, item in enumerate(value))


def _whole_number(value: Any, file: Path, where: _Where, path: tuple, low: int, high: int,
                  unit: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(file, where, path, f"expected a whole number of {unit} from {low} to {high}, but the "
                    f"value is a {_type_name(value)} ({value!r}).")
    if not low <= value <= high:
        raise _fail(file, where, path, f"expected a whole number of {unit} from {low} to {high}, "
                    f"not {value}.")
    return value


def _edition(value: Any, file: Path | None = None, where: _Where | None = None,
             path: tuple = ("edition",)) -> str:
    text = value.strip().lower() if isinstance(value, str) else None
    if text not in EDITIONS:
        message = f"expected {' or '.join(EDITIONS)}, not {value!r}."
        if file is None:
            raise ParamsError(f"Bad edition {value!r}: expected {' or '.join(EDITIONS)}.")
        raise _fail(file, where, path, message)
    return text


def _returns_target(spec: Any, file: Path, where: _Where, path: tuple, measure) -> dict:
    """A target for a returns measure: per_month | per_year | value, and/or a direction."""
    spec = _mapping(spec, file, where, path, RETURNS_TARGET_KEYS)
    numbers = [k for k in ("per_month", "per_year", "value") if spec.get(k) is not None]
    if len(numbers) > 1:
        raise _fail(file, where, path, f"give one of per_month, per_year or value, not {' and '.join(numbers)}.")
    if not numbers and "direction" not in spec:
        raise _fail(file, where, path, "give a number (per_month, per_year or value) or a direction "
                    f"({' or '.join(TARGET_DIRECTIONS)}).")
    if numbers and numbers[0] != "value" and measure.kind != "flow":
        raise _fail(file, where, path + (numbers[0],), f"{measure.name} is a {measure.kind}, not a flow: "
                    "a rate per month or year cannot apply to it; give value (a level) or a direction.")
    for key in numbers:
        number = spec[key]
        if isinstance(number, bool) or not isinstance(number, (int, float)) or number != number \
                or not 0 <= number < float("inf"):
            raise _fail(file, where, path + (key,), f"expected a number of 0 or more, not {number!r}.")
        if measure.kind == "percent" and number > 100:
            raise _fail(file, where, path + (key,), f"{measure.name} is a percent: expected 0-100, not {number}.")
    direction = spec.get("direction", "increase")
    if direction not in TARGET_DIRECTIONS:
        raise _fail(file, where, path + ("direction",),
                    f"expected {' or '.join(TARGET_DIRECTIONS)}, not {direction!r}.")
    note = spec.get("note", "")
    note = "" if note is None else _text(note, file, where, path + ("note",), allow_empty=True)
    return {**{k: spec[k] for k in numbers}, "direction": direction, "note": note}


def _targets(value: Any, file: Path, where: _Where, root: tuple = ("targets",)) -> dict:
    from .returns import MEASURES

    if value is None:
        return {}
    returns_measures = [m for m, measure in MEASURES.items() if measure.base_of is None]
    value = _mapping(value, file, where, root, list(TARGET_METRICS) + returns_measures)
    targets = {}
    for metric, spec in value.items():
        path = root + (metric,)
        if metric not in TARGET_METRICS:
            targets[metric] = _returns_target(spec, file, where, path, MEASURES[metric])
            continue
        spec = _mapping(spec, file, where, path, TARGET_KEYS, required=("direction",))
        number = spec.get("value")
        if number is not None:
            if isinstance(number, bool) or not isinstance(number, (int, float)) or number != number:
                raise _fail(file, where, path + ("value",), f"expected a number (or null for "
                            f"'direction only'), but the value is a {_type_name(number)} ({number!r}).")
            if TARGET_METRICS[metric] and not 0 <= number <= 1:
                raise _fail(file, where, path + ("value",), f"{metric} is a proportion: expected a "
                            f"value from 0 to 1 (e.g. 0.12 for 12%), not {number}.")
            if not TARGET_METRICS[metric] and not 0 <= number < float("inf"):
                raise _fail(file, where, path + ("value",), f"expected a count of 0 or more, not {number}.")
        direction = spec.get("direction")
        if direction not in TARGET_DIRECTIONS:
            raise _fail(file, where, path + ("direction",),
                        f"expected {' or '.join(TARGET_DIRECTIONS)}, not {direction!r}.")
        note = spec.get("note", "")
        note = "" if note is None else _text(note, file, where, path + ("note",), allow_empty=True)
        targets[metric] = {"value": number, "direction": direction, "note": note}
    return targets


# --------------------------------------------------------------------------- loading


def load_params_file(path: str | os.PathLike, expected_code: str | None = None) -> BCUParams:
    """Read and validate one BCU parameter file.

    The file's ``code`` must be a known BCU code and, when ``expected_code`` is
    given (as :func:`load_bcu_params` does), equal it and the file name.
    """
    file = Path(path)
    data, where = read_yaml(file)
    data = _mapping(data, file, where, (), BCU_KEYS, required=BCU_REQUIRED)

    code = _text(data["code"], file, where, ("code",))
    if code not in BCU_BY_CODE:
        raise _fail(file, where, ("code",), f"{code!r} is not a known BCU code; expected one of "
                    f"{', '.join(BCU_CODES)} (upper case).")
    if expected_code is not None and code != expected_code:
        raise _fail(file, where, ("code",), f"the file is for BCU {expected_code} (by its name) but "
                    f"says code {code!r}; the code must match the file name.")
    bcu = BCU_BY_CODE[code]

    name = _text(data["name"], file, where, ("name",))
    if name.lower() != bcu.name.lower():
        raise _fail(file, where, ("name",), f"{name!r} is not the name of BCU {code}; expected "
                    f"{bcu.name!r}.")

    given = _text_list(data["boroughs"], file, where, ("boroughs",))
    canonical = [normalise_borough(b) for b in given]
    unknown = [b for b, c in zip(given, canonical) if c is None]
    if unknown:
        raise _fail(file, where, ("boroughs",), f"{', '.join(map(repr, unknown))} is not a London "
                    f"borough; BCU {code} is {', '.join(bcu.boroughs)}.")
    repeated = sorted({c for c in canonical if canonical.count(c) > 1})
    if repeated or set(canonical) != set(bcu.boroughs):
        missing = [b for b in bcu.boroughs if b not in canonical]
        extra = [c for c in canonical if c not in bcu.boroughs]
        parts = ([f"missing {', '.join(missing)}"] if missing else []) + \
                ([f"not in this BCU: {', '.join(extra)}"] if extra else []) + \
                ([f"listed twice: {', '.join(repeated)}"] if repeated else [])
        raise _fail(file, where, ("boroughs",), f"{'; '.join(parts)}. BCU {code} ({bcu.name}) is "
                    f"exactly {', '.join(bcu.boroughs)}.")

    aims = _text_list(data["aims"], file, where, ("aims",))
    targets = _targets(data.get("targets"), file, where)
    notes = data.get("notes")
    notes = "" if notes is None else _text(notes, file, where, ("notes",), allow_empty=True)
    return BCUParams(code=code, name=bcu.name, boroughs=bcu.boroughs, aims=aims, targets=targets,
                     notes=notes, path=file)


def load_bcu_params(code: str, params_dir: str | os.PathLike | None = None) -> BCUParams:
    """The validated parameters of one BCU (code or BCU name), from ``<params_dir>/<CODE>.yaml``."""
    code = bcu_code(code)
    folder = _params_dir(params_dir)
    file = folder / f"{code}.yaml"
    if not file.is_file():
        raise ParamsError(f"{file}: no parameter file for BCU {code}; expected {code}.yaml in {folder}.")
    return load_params_file(file, expected_code=code)


BOROUGH_KEYS: tuple[str, ...] = ("borough", "committee", "aims", "targets", "notes")
BOROUGHS_DIR = "boroughs"


def load_borough_params_file(path: str | os.PathLike, expected: str | None = None) -> BoroughParams:
    """Read and validate one borough parameter file (``boroughs/<slug>.yaml``).

    ``borough`` must name a London borough and, when ``expected`` (a canonical
    name) is given, that borough; ``aims`` and ``targets`` are checked as in a BCU file.
    """
    file = Path(path)
    data, where = read_yaml(file)
    data = _mapping(data, file, where, (), BOROUGH_KEYS, required=("borough",))
    given = _text(data["borough"], file, where, ("borough",))
    borough = normalise_borough(given)
    if borough is None:
        raise _fail(file, where, ("borough",), f"{given!r} is not a London borough policed by the Met; "
                    f"expected one of {', '.join(BOROUGHS)}.")
    if expected is not None and borough != expected:
        raise _fail(file, where, ("borough",), f"the file is for {expected} (by its name, "
                    f"{borough_slug(expected)}.yaml) but says {given!r}; the borough must match the file name.")
    committee = data.get("committee")
    committee = None if committee is None else _text(committee, file, where, ("committee",))
    aims = None if data.get("aims") is None else _text_list(data["aims"], file, where, ("aims",))
    targets = None if data.get("targets") is None else _targets(data["targets"], file, where)
    notes = data.get("notes")
    notes = "" if notes is None else _text(notes, file, where, ("notes",), allow_empty=True)
    return BoroughParams(borough=borough, committee=committee, aims=aims, targets=targets, notes=notes,
                         path=file)


def borough_params_path(borough: str, params_dir: str | os.PathLike | None = None) -> Path:
    """Where a borough's optional parameter file would be: ``<params_dir>/boroughs/<slug>.yaml``."""
    return _params_dir(params_dir) / BOROUGHS_DIR / f"{borough_slug(borough_name(borough))}.yaml"


def load_borough_params(borough: str, params_dir: str | os.PathLike | None = None) -> BoroughParams:
    """A borough's parameters (name, any case, or ONS code): its file's, or empty when it has none.

    A YAML file in ``boroughs/`` whose name is not a borough's slug is an error
    (most likely a misnamed borough file).
    """
    name = borough_name(borough)
    folder = _params_dir(params_dir) / BOROUGHS_DIR
    if folder.is_dir():
        expected = {f"{borough_slug(b)}.yaml" for b in BOROUGHS}
        stray = sorted(p.name for p in folder.iterdir()
                       if p.suffix.lower() in (".yaml", ".yml") and p.name not in expected)
        if stray:
            raise ParamsError(f"{folder / stray[0]}: not a known borough parameter file ({', '.join(stray)}); "
                              f"expected <slug>.yaml, the borough's name in lower case with hyphens for "
                              f"spaces, e.g. barking-and-dagenham.yaml.")
    file = folder / f"{borough_slug(name)}.yaml"
    if not file.is_file():
        return BoroughParams(borough=name, committee=None, aims=None, targets=None, notes="", path=None)
    return load_borough_params_file(file, expected=name)


def load_all_params(params_dir: str | os.PathLike | None = None) -> dict[str, BCUParams]:
    """The parameters of all 12 BCUs, in :data:`~vawgstats.geography.BCU_CODES` order.

    A YAML file in the folder that is neither a BCU's nor ``defaults.yaml`` is an
    error (it is most likely a misnamed BCU file).
    """
    folder = _params_dir(params_dir)
    expected = {f"{code}.yaml" for code in BCU_CODES} | {DEFAULTS_FILE}
    stray = sorted(p.name for p in folder.iterdir()
                   if p.suffix.lower() in (".yaml", ".yml") and p.name not in expected)
    if stray:
        raise ParamsError(f"{folder / stray[0]}: not a known parameter file ({', '.join(stray)}); "
                          f"expected <CODE>.yaml for one of {', '.join(BCU_CODES)}, and {DEFAULTS_FILE}.")
    return {code: load_bcu_params(code, folder) for code in BCU_CODES}


def load_defaults(params_dir: str | os.PathLike | None = None) -> Defaults:
    """The shared defaults from ``defaults.yaml``; keys it leaves out take the built-in values.

    The suppression threshold may be raised but never set below
    :data:`~vawgstats.definitions.SUPPRESSION_THRESHOLD`.
    """
    folder = _params_dir(params_dir)
    file = folder / DEFAULTS_FILE
    if not file.exists():
        return Defaults(**DEFAULT_VALUES)
    data, where = read_yaml(file)
    data = _mapping({} if data is None else data, file, where, (), DEFAULT_VALUES)
    values = {**DEFAULT_VALUES, **data}
    return Defaults(
        edition=_edition(values["edition"], file, where),
        period_months=_whole_number(values["period_months"], file, where, ("period_months",),
                                    1, 120, "months"),
        repeat_window_days=_whole_number(values["repeat_window_days"], file, where,
                                         ("repeat_window_days",), 1, 3650, "days"),
        suppression_threshold=_whole_number(values["suppression_threshold"], file, where,
                                            ("suppression_threshold",), SUPPRESSION_THRESHOLD,
                                            1000, "records (it may be raised, never lowered)"),
        targets=None if values["targets"] is None else _targets(values["targets"], file, where),
        charge_follow_up_days=_whole_number(values["charge_follow_up_days"], file, where,
                                            ("charge_follow_up_days",), 1, 3650, "days"),
        gap_share=_share(values["gap_share"], file, where, ("gap_share",)),
    )


def _share(value: Any, file: Path, where: _Where, path: tuple) -> float:
    """A share strictly between 0 and 1 (e.g. ``gap_share: 0.5``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
        raise _fail(file, where, path, f"expected a number between 0 and 1 (e.g. 0.5), not {value!r}")
    return float(value)


# --------------------------------------------------------------------------- run options


def validate_bcus(bcus: str | Iterable[str] | None) -> tuple[str, ...]:
    """BCU codes (or names) as codes, in the order given, without repeats.

    ``None`` or ``"all"`` means all 12.  Unknown codes raise ParamsError listing the valid ones.
    """
    if bcus is None or (isinstance(bcus, str) and bcus.strip().lower() == "all"):
        return BCU_CODES
    if isinstance(bcus, str):
        bcus = [bcus]
    codes: list[str] = []
    for value in bcus:
        code = bcu_code(value)
        if code not in codes:
            codes.append(code)
    if not codes:
        raise ParamsError(f"No BCU given: name one or more of {', '.join(BCU_CODES)}, or all.")
    return tuple(codes)


def validate_period(start: object, end: object) -> Period | None:
    """A :class:`~vawgstats.periods.Period` from ``YYYY-MM`` strings, or ``None`` if neither is given."""
    if start in (None, "") and end in (None, ""):
        return None
    if start in (None, "") or end in (None, ""):
        missing = "start" if start in (None, "") else "end"
        raise ParamsError(f"Bad period: give both start and end as YYYY-MM (the {missing} is missing), "
                          "or neither to use the latest complete months in the data.")
    return Period.parse(start, end)


def validate_edition(edition: object) -> str:
    """``"public"`` or ``"restricted"`` (any case); ParamsError otherwise."""
    return _edition(edition)


def validate_out_dir(out_dir: str | os.PathLike) -> Path:
    """The output folder as an absolute path; it need not exist yet but must not be a file."""
    if out_dir is None or str(out_dir).strip() == "":
        raise ParamsError("Bad output folder: none given.")
    if "\x00" in str(out_dir):
        raise ParamsError(f"Bad output folder {str(out_dir)!r}: it contains a NUL character.")
    folder = Path(out_dir).expanduser().resolve()
    if folder.exists() and not folder.is_dir():
        raise ParamsError(f"{folder}: the output folder is an existing file, not a folder.")
    return folder


def validate_run_options(*, bcus: str | Iterable[str] | None, start: object, end: object,
                         edition: object, out_dir: str | os.PathLike) -> RunOptions:
    """Check the options of a render run; ParamsError naming the bad option otherwise.

    ``bcus``: codes or names (``None`` or ``"all"`` for all 12); ``start``/``end``:
    ``YYYY-MM`` (both or neither); ``edition``: public or restricted (``None``
    for the default in ``defaults.yaml``); ``out_dir``: the output folder.
    """
    if edition is None:
        edition = load_defaults().edition
    return RunOptions(bcus=validate_bcus(bcus), period=validate_period(start, end),
                      edition=validate_edition(edition), out_dir=validate_out_dir(out_dir))


def safe_output_path(out_dir: str | os.PathLike, name: str | os.PathLike) -> Path:
    """The path of file ``name`` inside ``out_dir``; ParamsError if it would land outside.

    Refuses absolute names, ``..`` that climbs out, NUL characters, and names that
    resolve (through symbolic links) to somewhere outside the output folder, or
    to the folder itself.
    """
    text = os.fspath(name)
    if not text or not str(text).strip():
        raise ParamsError(f"Bad output file name {text!r}: it is empty.")
    if "\x00" in str(text) or "\x00" in os.fspath(out_dir):
        raise ParamsError(f"Bad output file name {text!r}: it contains a NUL character.")
    relative = Path(text)
    if relative.is_absolute() or relative.drive or relative.anchor:
        raise ParamsError(f"Bad output file name {text!r}: it is an absolute path; give a file name "
                          f"inside the output folder {out_dir}.")
    base = Path(out_dir).expanduser().resolve()
    target = (base / relative).resolve()
    if target == base or not target.is_relative_to(base):
        raise ParamsError(f"Bad output file name {text!r}: it resolves to {target}, which is outside "
                          f"the output folder {base}. Reports are only written inside that folder.")
    return target
