from vawgstats.suppression import RATE_NOT_SHOWN, count_text, is_suppressed, rate_hidden
from vawgstats.tables import rate_text


def test_counts_below_ten_are_suppressed_in_public_only():
    assert [count_text(n, "public") for n in (0, 1, 9, 10, 1234)] == ["<10", "<10", "<10", "10", "1,234"]
    assert [count_text(n, "restricted") for n in (0, 9, 10)] == ["0", "9", "10"]
    assert count_text(None, "public") == "–"
    assert count_text(float("nan"), "public") == "–"


def test_rates_hidden_when_numerator_or_denominator_small():
    assert rate_hidden(3, 500, "public")          # the count would be recoverable from rate x denominator
    assert rate_hidden(12, 9, "public")
    assert not rate_hidden(12, 500, "public")
    assert not rate_hidden(3, 5, "restricted")
    assert rate_text(0.006, 3, 500, "public") == RATE_NOT_SHOWN
    assert rate_text(0.024, 12, 500, "public") == "2.4%"
    assert is_suppressed(9.0, "public") and not is_suppressed(10.0, "public")


# --------------------------------------------------------------------------- complementary suppression

from hypothesis import given, settings
from hypothesis import strategies as st

from vawgstats.suppression import (COMPLEMENTARY, PRIMARY, Relation, recoverable, suppression_pattern)


def test_differencing_example_from_the_issue_is_closed():
    # All 31 = domestic abuse 26 + not domestic abuse 5: showing 31 and 26 gives 5 away.
    status = suppression_pattern({"all": 31, "da": 26, "not": 5}, [Relation("all", ("da", "not"))])
    assert status == {"not": PRIMARY, "da": COMPLEMENTARY}
    assert recoverable(status, [Relation("all", ("da", "not"))]) == []


def test_recoverable_finds_a_cell_given_away_by_subtraction():
    relation = Relation("all", ("da", "not"))
    assert recoverable({"not"}, [relation]) == ["not"]
    assert recoverable({"not", "da"}, [relation]) == []
    # two relations sharing cells: a+b known from one, so c follows from the other
    assert set(recoverable({"a", "b", "c"}, [Relation("t1", ("a", "b")), Relation("t2", ("a", "b", "c"))])) == {"c"}


def test_nothing_suppressed_when_all_counts_are_large():
    assert suppression_pattern({"t": 50, "a": 20, "b": 30}, [Relation("t", ("a", "b"))]) == {}


@st.composite
def hierarchies(draw):
    """A London-like hierarchy: a total, groups, and each group's parts, with small counts common."""
    leaves, relations = {}, []
    groups = draw(st.integers(2, 4))
    group_names = []
    for g in range(groups):
        parts = [f"g{g}p{p}" for p in range(draw(st.integers(2, 4)))]
        for part in parts:
            leaves[part] = draw(st.integers(0, 40))
        relations.append(Relation(f"g{g}", tuple(parts)))
        group_names.append(f"g{g}")
    values = dict(leaves)
    for relation in relations:
        values[relation.total] = sum(leaves[p] for p in relation.parts)
    relations.append(Relation("total", tuple(group_names)))
    values["total"] = sum(values[g] for g in group_names)
    # a crossing split of every cell (like all = domestic abuse + not), in some examples
    if draw(st.booleans()):
        for cell in list(values):
            share = draw(st.integers(0, int(values[cell])))
            values[f"{cell}/da"], values[f"{cell}/not"] = share, values[cell] - share
            relations.append(Relation(cell, (f"{cell}/da", f"{cell}/not")))
    return values, relations


@settings(max_examples=150, deadline=None)
@given(hierarchies())
def test_after_suppression_no_relation_gives_a_suppressed_cell_away(case):
    values, relations = case
    status = suppression_pattern(values, relations)
    assert all(status[c] == PRIMARY for c in values if values[c] < 10)
    assert all(values[c] >= 10 for c in status if status[c] == COMPLEMENTARY)
    for relation in relations:
        hidden = [c for c in relation.cells if c in status]
        others = [c for c in relation.cells if c not in status and values[c] != 0]
        assert len(hidden) != 1 or not others, (relation, status)
    # solving all the relations together pins no suppressed cell down (unless nothing else can be hidden)
    for cell in recoverable(status, relations):
        holding = [r for r in relations if cell in r.cells]
        assert all(all(c in status or values[c] == 0 for c in r.cells) for r in holding), cell


# --------------------------------------------------------------------------- the public tables of a small London

import pandas as pd
import pytest

from vawgstats import synthetic, tables
from vawgstats.geography import BCU_BY_CODE, BCU_CODES
from vawgstats.suppression import COMPLEMENTARY_LABEL, COMPLEMENTARY_NOTE, declared_relations, protect, relations_of

SUPPRESSED_TEXTS = ("<10", COMPLEMENTARY_LABEL)


@pytest.fixture(scope="module")
def small_london(tmp_path_factory):
    """18 months of synthetic London at 2% volume, prepared (the issue's case: many small counts)."""
    from vawgstats.prepare import prepare
    from vawgstats.schema import write_records

    folder = tmp_path_factory.mktemp("small")
    write_records(synthetic.generate(seed=2021, start="2024-10", end="2026-03", scale=0.02),
                  folder / "records.parquet")
    return prepare(folder / "records.parquet", build_root=folder / "build")


def _attack(public: pd.DataFrame, restricted: pd.DataFrame, label: str, total: str, parts: list[str]) -> list[str]:
    """Cells of ``public`` recovered by subtracting the shown parts of a relation from its shown total."""
    found = []
    by_label_p, by_label_r = public.set_index(label), restricted.set_index(label)
    if total not in by_label_p.index:
        return found
    for column in public.columns:
        if column == label:
            continue
        cells = [total, *[p for p in parts if p in by_label_p.index]]
        hidden = [c for c in cells if any(t in str(by_label_p.loc[c, column]) for t in SUPPRESSED_TEXTS)]
        if len(hidden) != 1:
            continue
        try:
            values = {c: float(str(by_label_r.loc[c, column]).split(" ")[0].replace(",", "")) for c in cells}
        except ValueError:
            continue
        missing = hidden[0]
        shown = {c: v for c, v in values.items() if c != missing}
        guess = (sum(shown[p] for p in shown if p != total) if missing == total
                 else shown[total] - sum(shown[p] for p in shown if p != total))
        if guess == values[missing]:
            found.append(f"{column} of {missing}: {guess:g}")
    return found


def test_no_suppressed_public_cell_can_be_recovered_by_subtraction(small_london):
    repeat, quality, headline = (small_london.table(n) for n in ("repeat", "quality", "headline"))
    recovered, complementary = [], 0
    for bcu in BCU_CODES:
        public, restricted = tables.repeat(repeat, bcu, "public"), tables.repeat(repeat, bcu, "restricted")
        recovered += _attack(public, restricted, "Victims", "All", ["Domestic abuse", "Not domestic abuse"])
        units = [bcu, *BCU_BY_CODE[bcu].boroughs]
        public, restricted = tables.quality(quality, units, "public"), tables.quality(quality, units, "restricted")
        recovered += _attack(public, restricted, "Area", public["Area"].iloc[0], list(BCU_BY_CODE[bcu].boroughs))
        complementary += int(public.apply(lambda c: c.str.contains(COMPLEMENTARY_LABEL, regex=False)).sum().sum())
        # the boroughs table against the BCU's headline count
        crimes = tables.boroughs(headline, bcu, "public")["Crimes"].tolist()
        total = tables.headline(headline, bcu, "public")["Value"].iloc[0]
        hidden = sum(c in SUPPRESSED_TEXTS for c in [total, *crimes])
        assert hidden != 1, (bcu, total, crimes)
    assert recovered == []
    assert complementary > 0          # the small data do need complementary suppression
    # and across every declared relation of every prepared table, solving them pins nothing down
    for name in declared_relations():
        values, relations = relations_of(small_london.table(name), declared_relations()[name])
        status = protect(small_london.table(name), name, "public").status
        from vawgstats.suppression import recoverable
        assert recoverable(status, relations) == [] or all(
            all(c in status or values[c] == 0 for r in relations if cell in r.cells for c in r.cells)
            for cell in recoverable(status, relations)), name


def test_complementary_cells_carry_the_footnote():
    text = tables.markdown(pd.DataFrame({"Victims": ["All", "DA", "Not DA"], "N": ["31", "[c]", "<10"]}),
                           "Repeat", "tbl-repeat")
    assert COMPLEMENTARY_NOTE in text
    assert COMPLEMENTARY_NOTE not in tables.markdown(pd.DataFrame({"N": ["31"]}), "x", "tbl-x")


def test_restricted_edition_hides_nothing(small_london):
    assert protect(small_london.table("repeat"), "repeat", "restricted").status == {}
    assert "<10" not in tables.repeat(small_london.table("repeat"), "NA", "restricted").to_string()


def test_map_shades_no_borough_whose_count_is_suppressed(small_london):
    headline, rates = small_london.table("headline"), small_london.table("borough_rates")
    shown = protect(headline, "headline", "public")
    hidden = {b for b in rates["borough"] if shown.hidden(b, "volume", "numerator")}
    mapped = set(tables.map_rates(rates, headline, "public")["borough"])
    assert not hidden & mapped and mapped | hidden == set(rates["borough"])
    assert len(tables.map_rates(rates, headline, "restricted")) == len(rates)


def test_protect_keeps_each_tables_pattern_by_content_never_a_stale_one(small_london):
    """Every report asks for the same (all-unit) pattern, so it is kept per process, keyed by the
    table's content: the same content gives the pattern worked out afresh, a changed table a new one."""
    from vawgstats import suppression

    table = small_london.table("headline")
    name = "headline"
    afresh = suppression.suppression_pattern(*suppression.relations_of(table, declared_relations()[name]),
                                             suppression.SUPPRESSION_THRESHOLD)
    assert protect(table, name, "public").status == afresh
    assert protect(table.copy(), name, "public").status == afresh      # kept: same content
    changed = table.copy()
    count = next(c for c in declared_relations()[name].counts if c in changed.columns)
    row = changed[count].astype(float).idxmax()
    changed.loc[row, count] = 3                                      # a big count becomes small
    again = suppression.suppression_pattern(*suppression.relations_of(changed, declared_relations()[name]),
                                            suppression.SUPPRESSION_THRESHOLD)
    assert again != afresh
    assert protect(changed, name, "public").status == again
    assert protect(table, name, "restricted").status == {}


def test_null_space_spans_what_scipy_finds():
    """The null space (numpy's SVD, so that report kernels need not import scipy) is the subspace
    scipy.linalg.null_space finds, for relation-like matrices of -1, 0 and 1, empty ones included."""
    import numpy as np
    import scipy.linalg

    from vawgstats.suppression import _null_space

    rng = np.random.default_rng(14)
    shapes = [(0, 3), (3, 0), (1, 6), (6, 1), (4, 4), (3, 7), (7, 3), (12, 30)]
    for shape in shapes:
        for _ in range(25):
            matrix = rng.integers(-1, 2, size=shape).astype(float)
            ours, reference = _null_space(matrix), scipy.linalg.null_space(matrix, lapack_driver="gesvd")
            assert ours.shape == reference.shape, shape
            assert np.allclose(ours @ ours.T, reference @ reference.T, atol=1e-9), shape  # same projector
