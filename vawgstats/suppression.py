"""The public edition's disclosure control.

Rule (stated in every public report): a count below
:data:`~vawgstats.definitions.SUPPRESSION_THRESHOLD` (10) is shown as "<10",
and a rate is not shown when its numerator or its denominator is below 10.
Hiding the rate when only the numerator is small is stricter than hiding it on
small denominators alone, because a rate and its denominator together give the
count back.  The restricted edition shows everything.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .definitions import SUPPRESSED_LABEL, SUPPRESSION_THRESHOLD

EDITIONS = ("public", "restricted")
RATE_NOT_SHOWN = "not shown (<10)"

SUPPRESSION_STATEMENT = (
    f"This is the public edition: counts below {SUPPRESSION_THRESHOLD} are shown as "
    f"\"{SUPPRESSED_LABEL}\", and a rate is not shown when its numerator or denominator is below "
    f"{SUPPRESSION_THRESHOLD}, so that no small group of victims can be identified."
)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value) in ("<NA>", "nan")


def is_suppressed(count, edition: str, threshold: int = SUPPRESSION_THRESHOLD) -> bool:
    """True when ``count`` must be hidden in ``edition``."""
    return edition == "public" and not _missing(count) and float(count) < threshold


def count_text(count, edition: str, threshold: int = SUPPRESSION_THRESHOLD) -> str:
    """A count as text: "1,234", or "<10" when suppressed, or "–" when missing."""
    if _missing(count):
        return "–"
    if is_suppressed(count, edition, threshold):
        return SUPPRESSED_LABEL
    return f"{int(round(float(count))):,}"


def rate_hidden(numerator, denominator, edition: str, threshold: int = SUPPRESSION_THRESHOLD) -> bool:
    """True when a rate on these counts must not be shown in ``edition``."""
    return is_suppressed(numerator, edition, threshold) or is_suppressed(denominator, edition, threshold)


# --------------------------------------------------------------------------- complementary suppression
#
# A public table must not let a reader work a suppressed count out by subtraction: when a
# total and all but one of its parts are shown, the last part is the difference.  Tables
# therefore declare their *additive relations* (a total and its parts) below, in one place,
# and :func:`suppression_pattern` applies the primary rule (a count below the threshold) and
# then the complementary rule: wherever a relation has exactly one suppressed cell, the
# smallest other cell of that relation shown so far is suppressed as well (shown "[c]"),
# until no relation has exactly one suppressed cell (GSS/ONS practice).

PRIMARY = "primary"
COMPLEMENTARY = "complementary"
COMPLEMENTARY_LABEL = "[c]"
COMPLEMENTARY_NOTE = (
    f"{COMPLEMENTARY_LABEL}: not shown so that a count below {SUPPRESSION_THRESHOLD} elsewhere in the "
    "report cannot be worked out by subtraction from a total and its other parts."
)


@dataclass(frozen=True)
class Relation:
    """``total`` = sum of ``parts`` (cells are any hashable keys)."""

    total: Hashable
    parts: tuple[Hashable, ...]

    @property
    def cells(self) -> tuple[Hashable, ...]:
        return (self.total, *self.parts)


def suppression_pattern(values: Mapping[Hashable, float], relations: Iterable[Relation],
                        threshold: int = SUPPRESSION_THRESHOLD) -> dict[Hashable, str]:
    """Which cells to suppress: ``{cell: "primary" | "complementary"}`` (others are shown).

    Primary: a non-missing value below ``threshold``.  Complementary: repeated until no
    relation (of those whose cells are all in ``values``) has exactly one suppressed
    cell, the smallest shown non-zero cell of each such relation is suppressed (ties
    broken by the order of the relation's cells, so the pattern is reproducible).  A
    relation whose only other cells are missing or zero cannot be protected by more
    suppression; its suppressed cell stays (there is nothing else to hide).
    """
    status: dict[Hashable, str] = {key: PRIMARY for key, value in values.items()
                                   if not _missing(value) and float(value) < threshold}
    # a relation with a missing cell (not in ``values``) cannot be used to subtract
    relations = [r for r in relations if all(cell in values for cell in r.cells)]

    def hide_smallest(relation: Relation) -> bool:
        candidates = [(float(values[cell]), i, cell) for i, cell in enumerate(relation.cells)
                      if cell not in status and not _missing(values[cell]) and float(values[cell]) != 0]
        if candidates:
            status[min(candidates)[2]] = COMPLEMENTARY
        return bool(candidates)

    while True:
        changed = True
        while changed:                      # the usual rule: no relation with one suppressed cell
            changed = False
            for relation in relations:
                if sum(cell in status for cell in relation.cells) == 1:
                    changed = hide_smallest(relation) or changed
        # Relations that overlap (London = BCUs, a BCU = its boroughs) can still pin a cell down
        # together; hide one more cell of a relation holding each cell that can be solved for.
        solved = recoverable(status, relations)
        if not solved or not any(hide_smallest(r) for cell in solved for r in relations if cell in r.cells):
            return status


def recoverable(suppressed: Iterable[Hashable], relations: Iterable[Relation]) -> list[Hashable]:
    """The suppressed cells whose value follows from the shown cells by solving the relations.

    Each relation total - sum(parts) = 0 is one linear equation in the suppressed cells
    (the shown cells are constants).  A suppressed cell is determined exactly when it is
    fixed on every solution of the homogeneous system, that is when the null space of the
    equations has no component along it.
    """
    suppressed = set(suppressed)
    rows, index = [], {}
    for relation in relations:
        coefficients = {}
        for sign, cell in ((1.0, relation.total), *((-1.0, p) for p in relation.parts)):
            if cell in suppressed:
                coefficients[cell] = coefficients.get(cell, 0.0) + sign
        if coefficients:
            for cell in coefficients:
                index.setdefault(cell, len(index))
            rows.append(coefficients)
    if not rows:
        return []
    matrix = np.zeros((len(rows), len(index)))
    for i, coefficients in enumerate(rows):
        for cell, value in coefficients.items():
            matrix[i, index[cell]] = value
    null = _null_space(matrix)
    free = np.abs(null).max(axis=1) > 1e-9 if null.size else np.zeros(len(index), dtype=bool)
    return [cell for cell, i in index.items() if not free[i]]


def _null_space(matrix: np.ndarray) -> np.ndarray:
    """An orthonormal basis of the null space of ``matrix`` (SVD), by the rule of
    :func:`scipy.linalg.null_space`: the right singular vectors whose singular values are at
    most ``eps * max(shape)`` times the largest.

    The SVD is numpy's (LAPACK ``gesdd``), so that a report's kernel need not import
    scipy (about 0.2 s) for the few small matrices it solves.  ``gesdd`` can fail to
    converge on some inputs ("SVD did not converge" made a report fail once in several
    test runs, with a multithreaded BLAS); then scipy's slower ``gesvd`` driver is used.
    The matrices are small: BLAS runs on one thread here (:func:`_one_blas_thread`), as
    several threads cost four times the time of one.
    """
    with _one_blas_thread():
        try:
            _, singular, right = np.linalg.svd(matrix, full_matrices=True)
        except np.linalg.LinAlgError:
            import scipy.linalg

            return scipy.linalg.null_space(matrix, lapack_driver="gesvd")
    tolerance = np.amax(singular, initial=0.0) * np.finfo(singular.dtype).eps * max(matrix.shape)
    rank = int(np.sum(singular > tolerance))
    return right[rank:, :].T.conj()


_BLAS: list = []  # the threadpoolctl controller, made on first use (after numpy has loaded its BLAS)


def _one_blas_thread():
    """A context in which BLAS/LAPACK use one thread (threadpoolctl; without it, no change)."""
    if not _BLAS:
        try:
            from threadpoolctl import ThreadpoolController

            _BLAS.append(ThreadpoolController())
        except Exception:  # not installed (an environment made before it was a dependency)
            _BLAS.append(None)
    if _BLAS[0] is None:
        import contextlib

        return contextlib.nullcontext()
    return _BLAS[0].limit(limits=1, user_api="blas")


@dataclass(frozen=True)
class Dimension:
    """An additive relation along one key column of a table: ``total`` row = sum of ``parts`` rows."""

    column: str
    total: str
    parts: tuple[str, ...]


def geography_dimensions(column: str = "unit") -> list[Dimension]:
    """London = its 12 BCUs (records outside London are 0 after validation); a BCU = its boroughs."""
    from .geography import BCU_BY_CODE, BCU_CODES

    dims = [Dimension(column, "London", tuple(BCU_CODES))]
    dims += [Dimension(column, code, tuple(BCU_BY_CODE[code].boroughs)) for code in BCU_CODES]
    return dims


#: Victims are all = domestic abuse + not domestic abuse (a victim of both counts in both parts,
#: so the parts may add up to more than the total; treated as additive to be safe).
VICTIM_GROUPS = Dimension("victims", "all", ("domestic abuse", "not domestic abuse"))


@dataclass(frozen=True)
class TableRelations:
    """What of a prepared table is protected: its key columns, its count columns, its relations."""

    keys: tuple[str, ...]
    counts: tuple[str, ...]
    dimensions: tuple[Dimension, ...]
    #: Only rows whose key column holds one of these values are protected (``(column, values)``
    #: pairs); e.g. the delivery returns' disclosive measures, the others being shown as given.
    only: tuple[tuple[str, tuple[str, ...]], ...] = ()


def declared_relations() -> dict[str, TableRelations]:
    """The additive relations of every prepared table shown in a public report (the one declaration).

    The geography relations hold for every count of every table; the victim groups for the
    repeat-victimisation table; outcome measures of a unit are counts of one denominator.
    """
    geo = tuple(geography_dimensions())
    return {
        "headline": TableRelations(("unit", "metric"), ("numerator", "denominator"), geo),
        "repeat": TableRelations(("unit", "victims"),
                                 ("numerator", "denominator", "crimes_without_victim_id",
                                  "suspect_numerator", "suspect_denominator"),
                                 (*geo, VICTIM_GROUPS)),
        "quality": TableRelations(("unit",), ("records", "in_scope", "pending", "missing_victim_id",
                                              "missing_lsoa", "missing_offence_date", "outside_london",
                                              *QUALITY_EXTRA_COUNTS), geo),
        "offence_outcomes": TableRelations(("unit", "offence_type", "measure"), ("numerator", "denominator"), geo),
        "commitment_figures": returns_relations(),
    }


def returns_relations() -> TableRelations:
    """The delivery returns' figures (``commitment_figures``): for each disclosive count measure and
    each period (``value`` this period, ``previous_value`` the previous one), the force (``MPS``) =
    the sum of the 12 BCUs, and a police-perpetrated sum (cases, individuals) = its conduct and
    complaint parts.  Stocks (officers under misconduct investigation) are treated as additive
    across BCUs too, to be safe.  Measures that are not disclosive are not protected.
    """
    from .geography import BCU_CODES
    from .returns import DERIVED, FORCE, MEASURES

    counts = tuple(m.name for m in MEASURES.values() if m.disclosive and m.kind in ("flow", "stock"))
    sums = {name: parts for name, (_label, parts, denominator) in DERIVED.items()
            if not denominator and all(p in counts for p in parts)}
    dims = (Dimension("unit", FORCE, tuple(BCU_CODES)),
            *(Dimension("measure", name, tuple(parts)) for name, parts in sums.items()))
    return TableRelations(("unit", "measure"), ("value", "previous_value"), dims,
                          only=(("measure", counts + tuple(sums)),))


#: Further data-quality counts, when the prepared table has them.
QUALITY_EXTRA_COUNTS: tuple[str, ...] = ("lsoa_other_borough",)


def relations_of(table, spec: TableRelations) -> tuple[dict, list[Relation]]:
    """The cells (``(key values..., count column)`` -> value) and relations of a prepared table."""
    for column, allowed in spec.only:
        table = table[table[column].astype(str).isin(allowed)]
    keys = [k for k in spec.keys if k in table.columns]
    counts = [c for c in spec.counts if c in table.columns]
    values: dict[Hashable, float] = {}
    for row in table[keys + counts].itertuples(index=False):
        key = tuple(str(v) for v in row[:len(keys)])
        for column, value in zip(counts, row[len(keys):]):
            if not _missing(value) and value is not pd.NA:
                values[(*key, column)] = value
    relations: list[Relation] = []
    key_tuples = {cell[:-1] for cell in values}
    for dim in spec.dimensions:
        if dim.column not in keys:
            continue
        at = keys.index(dim.column)
        totals = [k for k in key_tuples if k[at] == dim.total]
        for total in totals:
            for column in counts:
                parts = tuple((*total[:at], part, *total[at + 1:], column) for part in dim.parts)
                relation = Relation((*total, column), parts)
                if all(cell in values for cell in relation.cells):
                    relations.append(relation)
    return values, relations


def protect(table, name: str, edition: str, threshold: int = SUPPRESSION_THRESHOLD) -> "Protected":
    """The suppression pattern of prepared table ``name`` in ``edition`` (nothing hidden if restricted).

    The pattern covers every unit of the table, so every report of a run asks for the same
    one: it is kept per process, keyed by the table's content (:func:`_content_key`), and a
    kernel that makes many reports works it out once.
    """
    if edition != "public" or table is None or len(table) == 0:
        return Protected({}, edition)
    return Protected(dict(_pattern_of(_content_key(table), name, threshold, table)), edition)


def _content_key(table) -> str:
    """A digest of a DataFrame's columns, types and values (pandas' row hashes, then SHA-256)."""
    import hashlib

    digest = hashlib.sha256(repr([(str(c), str(t)) for c, t in table.dtypes.items()]).encode())
    digest.update(pd.util.hash_pandas_object(table, index=False).to_numpy().tobytes())
    return digest.hexdigest()


_PATTERNS: dict[tuple, Mapping] = {}


def _pattern_of(key: str, name: str, threshold: int, table) -> Mapping:
    found = _PATTERNS.get((key, name, threshold))
    if found is None:
        values, relations = relations_of(table, declared_relations()[name])
        found = suppression_pattern(values, relations, threshold)
        if len(_PATTERNS) >= 64:  # a kernel's run has a dozen tables; never grow without bound
            _PATTERNS.clear()
        _PATTERNS[(key, name, threshold)] = found
    return found


@dataclass(frozen=True)
class Protected:
    """A table's suppression pattern: ask it how to show a count and whether a rate may be shown."""

    status: Mapping[Hashable, str]
    edition: str = "public"

    def state(self, *cell) -> str | None:
        return self.status.get(tuple(str(c) for c in cell[:-1]) + (cell[-1],))

    def hidden(self, *cell) -> bool:
        return self.state(*cell) is not None

    def count(self, value, *cell) -> str:
        """The count as text: "<10" (primary), "[c]" (complementary), or the number."""
        if self.state(*cell) == COMPLEMENTARY:
            return COMPLEMENTARY_LABEL
        return count_text(value, self.edition)

    def rate_hidden(self, numerator, denominator, numerator_cell: tuple, denominator_cell: tuple) -> bool:
        """A rate is hidden when either count is small or either count's cell is suppressed."""
        return (rate_hidden(numerator, denominator, self.edition) or self.hidden(*numerator_cell)
                or self.hidden(*denominator_cell))

    @property
    def any_complementary(self) -> bool:
        return COMPLEMENTARY in self.status.values()


# --------------------------------------------------------------------------- charts under the same rule

#: A monthly series with more than this share of its months hidden is shown by quarter instead.
GAP_SHARE = 0.25


def _plural(number: int, word: str) -> str:
    return f"{number} {word}" if number == 1 else f"{number} {word}s"


def _small(frame: pd.DataFrame, value: str, numerator: str | None, denominator: str | None,
           threshold: int) -> pd.Series:
    counts = [c for c in (numerator, denominator) if c] or [value]
    hidden = pd.Series(False, index=frame.index)
    for column in counts:
        numbers = pd.to_numeric(frame[column], errors="coerce")
        hidden |= numbers.notna() & (numbers < threshold)
    return hidden


def _gap_months(out: pd.DataFrame, counts: list[str], month: str) -> list[str]:
    """Months of a monthly series with no value: a count missing (a gap month in the data,
    :mod:`vawgstats.coverage`) or the month absent between the series' first and last."""
    numbers = out[counts].apply(pd.to_numeric, errors="coerce")
    missing = set(out.loc[numbers.isna().any(axis=1), month].astype(str))
    span = pd.period_range(str(out[month].iloc[0]), str(out[month].iloc[-1]), freq="M")
    missing |= {str(m) for m in span} - set(out[month].astype(str))
    return sorted(missing)


def gap_sentence(gaps: list[str]) -> str:
    """"No value for Nov 2024: a gap in the data." (or "")."""
    if not gaps:
        return ""
    names = [pd.Period(m, freq="M").strftime("%b %Y") for m in gaps]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"No value for {listed}: {'a gap' if len(names) == 1 else 'gaps'} in the data."


def chart_series(frame: pd.DataFrame, *, value: str, edition: str, numerator: str | None = None,
                 denominator: str | None = None, month: str = "month", quarterly: bool | None = None,
                 threshold: int = SUPPRESSION_THRESHOLD) -> pd.DataFrame:
    """A monthly series as the edition may plot it, with ``attrs["note"]`` saying what was withheld.

    ``value`` is the plotted column: a count (then ``numerator``/``denominator`` are None
    and the count itself must be 10 or more) or a rate of ``numerator`` over ``denominator``
    (both must be 10 or more).  In the public edition a month breaking the rule is left as
    a gap (its value and counts set missing); when more than :data:`GAP_SHARE` of the
    months would be gaps, the series is summed by quarter (a rate recomputed from the
    quarter's counts) and quarters still breaking the rule are left as gaps.  ``month``
    then holds quarters ("2025Q1"); ``quarterly=True`` asks for quarters whatever the gaps
    (so that panels side by side share an axis).  The restricted edition gets the series
    unchanged.

    Gap months in the data (a count missing, or a month absent inside the series) are
    never summed over: a quarter containing one is left blank.  Whatever the edition, the
    note names them ("No value for Nov 2024: a gap in the data."), apart from what the
    public edition withholds (``attrs["withheld"]``, the suppression part of the note;
    ``attrs["gaps"]``, the gap months).
    """
    out = frame.sort_values(month).reset_index(drop=True).copy()
    out.attrs.update(note="", withheld="", gaps=[])
    if out.empty:
        return out
    counts = [c for c in (numerator, denominator) if c] or [value]
    gaps = _gap_months(out, counts, month)
    gap_note = gap_sentence(gaps)

    def finish(frame: pd.DataFrame, withheld: str) -> pd.DataFrame:
        frame.attrs.update(note=" ".join(t for t in (withheld, gap_note) if t), withheld=withheld, gaps=gaps)
        return frame

    if edition != "public":
        return finish(out, "")
    hidden = _small(out, value, numerator, denominator, threshold)
    if not hidden.any() and not quarterly:
        return finish(out, "")
    months = len(out)
    if quarterly or (quarterly is None and hidden.sum() > GAP_SHARE * months):
        quarter = out[month].map(lambda m: str(pd.Period(str(m), freq="M").asfreq("Q")))
        numbers = out[counts].apply(pd.to_numeric, errors="coerce")
        summed = numbers.groupby(quarter, sort=True).sum(min_count=1)
        # a quarter with a gap month (a count missing, or a month absent) is not summed from the rest
        span = pd.period_range(str(out[month].iloc[0]), str(out[month].iloc[-1]), freq="M")
        expected = pd.Series([str(m.asfreq("Q")) for m in span]).value_counts().reindex(summed.index)
        gap_quarters = sorted({str(pd.Period(m, freq="M").asfreq("Q")) for m in gaps})
        summed.loc[summed.index.isin(gap_quarters)] = np.nan
        out = summed.reset_index().rename(columns={"index": month, quarter.name: month})
        out.columns = [month, *counts]
        if numerator and denominator:
            out[value] = out[numerator] / out[denominator].where(out[denominator] > 0)
        hidden = _small(out, value, numerator, denominator, threshold)
        partial = int((expected.to_numpy() < 3).sum())
        note = (f"Shown by quarter: in more than a quarter of the {months} months a count was below "
                f"{threshold}, so months are not shown in the public edition"
                if quarterly is None else "Shown by quarter in the public edition")
        note += f"; {_plural(int(hidden.sum()), 'quarter')} still below {threshold} left blank" if hidden.any() else ""
        note += (f"; {_plural(partial, 'quarter')} at the ends of the series cover only part of a quarter"
                 if partial else "")
        if gap_quarters:
            named = ", ".join(f"Q{pd.Period(q, freq='Q').quarter} {pd.Period(q, freq='Q').year}" for q in gap_quarters)
            note += (f"; {named} left blank: {'it contains' if len(gap_quarters) == 1 else 'they contain'} "
                     "a gap month in the data, and a sum of the other months would look low")
    else:
        note = (f"{_plural(int(hidden.sum()), 'month')} with a count below {threshold} "
                f"{'is' if hidden.sum() == 1 else 'are'} left blank in the public edition")
    out.loc[hidden, [value, *[c for c in counts if c != value]]] = np.nan
    for column in ("ci_low", "ci_high"):
        if column in out.columns:
            out.loc[hidden, column] = np.nan
    return finish(out, note + ".")
