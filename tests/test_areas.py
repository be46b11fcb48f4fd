"""Small areas (vawgstats.areas) and their maps (vawgstats.maps): counts by LSOA and ward, ward
names, the shading classes (no small count disclosed in the public edition), the shipped boundaries."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from vawgstats import areas, maps, tables
from vawgstats.geography import BOROUGHS
from vawgstats.periods import as_period

DATA = Path(__file__).parent / "data" / "real" / "mps_vawg_counts_2021-07_to_2022-12.csv.gz"


def test_shipped_boundaries_cover_the_met_and_stay_small():
    for layer, count in (("wards", 679), ("lsoas", 4988), ("bcus", 12)):
        features = areas.boundaries(layer)["features"]
        assert len(features) == count, layer
    assert {f["properties"]["borough"] for f in areas.boundaries("wards")["features"]} == set(BOROUGHS)
    folder = Path(areas.__file__).parent / "data"
    sizes = {p.name: p.stat().st_size for p in folder.glob("london_*")}
    assert sum(sizes.values()) < 4_000_000, sizes                      # a few MB at most


def test_ward_of_names_the_ward_of_each_lsoa():
    names = areas.ward_of(pd.Series(["E01001450", "E01000001", "E01999999"], index=[5, 6, 7]))
    assert list(names.index) == [5, 6, 7]
    assert names[5] == "Town" and names[6] == "" and names[7] == ""    # City of London, unknown code


def test_lsoa_counts_add_up_to_the_located_in_scope_crimes(make_records):
    df = make_records([
        {"recorded_date": "2025-05-01", "lsoa_code": "E01001450"},
        {"recorded_date": "2025-05-02", "lsoa_code": "E01001450"},
        {"recorded_date": "2025-05-03", "lsoa_code": "E01001451"},
        {"recorded_date": "2025-05-04", "lsoa_code": ""},                        # no LSOA: left out
        {"recorded_date": "2025-05-05", "lsoa_code": "E01001451", "victim_sex": "M"},  # not in scope
        {"recorded_date": "2024-05-05", "lsoa_code": "E01001451"},               # outside the period
    ])
    counts = areas.lsoa_counts(df, start="2025-04", end="2026-03")
    assert counts.to_dict("records") == [
        {"bcu": "NA", "borough": "Enfield", "lsoa_code": "E01001450", "crimes": 2},
        {"bcu": "NA", "borough": "Enfield", "lsoa_code": "E01001451", "crimes": 1}]


@pytest.fixture(scope="module")
def ward_table():
    from vawgstats.counts import load_counts

    return areas.ward_counts(load_counts(DATA), as_period("2022-07", "2022-12"))


def test_ward_counts_match_the_ons_wards_and_the_published_total(ward_table):
    from vawgstats import open_data
    from vawgstats.counts import load_counts

    names = {(f["properties"]["borough"], f["properties"]["name"]) for f in areas.boundaries("wards")["features"]}
    assert set(zip(ward_table["borough"], ward_table["ward"])) <= names   # Tower Hamlets aliases resolved
    assert ("Tower Hamlets", "St Peter's") in set(zip(ward_table["borough"], ward_table["ward"]))
    hotspots = open_data.ward_hotspots(load_counts(DATA), as_period("2022-07", "2022-12"))
    top = hotspots[(hotspots["unit"] == "NA") & (hotspots["rank_by_count"] == 1)].iloc[0]
    mine = ward_table[(ward_table["borough"] == top["borough"]) & (ward_table["ward"] == top["ward"])]
    assert int(mine["offences"].iloc[0]) == int(top["offences"])


def test_public_shading_puts_every_small_count_in_one_class():
    values = pd.Series([0, 3, 9, 10, 25, 40, 80, 200, None])
    public, labels = areas.shade_classes(values, "public")
    assert labels[0] == areas.FEWER_THAN_10 and public[:3].tolist() == [0, 0, 0]
    assert (public[3:8] >= 1).all() and public[8] == -1
    assert all(int(label.split()[0].replace(",", "")) >= 10 for label in labels[1:])
    restricted, labels = areas.shade_classes(values, "restricted")
    assert areas.FEWER_THAN_10 not in labels and restricted[0] != restricted[7]
    assert list(restricted[:8]) == sorted(restricted[:8])                 # classes rise with the count


def test_ward_map_names_the_top_wards_and_its_alt_text_hides_small_counts(ward_table):
    table = ward_table.copy()
    table.loc[(table["borough"] == "Enfield") & (table["ward"] == "Town"), "offences"] = 4
    figure, alt = maps.ward_map(table, ["Enfield", "Haringey"], edition="public", title="t", top=50)
    plt.close(figure)
    assert "Map of the 46 wards of Enfield, Haringey" in alt and "fewer than 10" in alt
    assert "Town (<10)" in alt and "Town (4)" not in alt
    texts = [t.get_text() for t in figure.axes[0].texts]
    assert "Edmonton Green" in texts


def test_lsoa_map_numbers_the_hotspots_as_the_table_does(make_records):
    rows = [{"recorded_date": "2025-05-01", "lsoa_code": "E01001450"}] * 12 + [
        {"recorded_date": "2025-05-01", "lsoa_code": "E01001451"}] * 3
    counts = areas.lsoa_counts(make_records(rows), start="2025-04", end="2026-03")
    figure, alt = maps.lsoa_map(counts, ["Enfield"], edition="public", title="t", top=2)
    plt.close(figure)
    assert "1 (12)" in alt and "2 (<10)" in alt
    assert sorted(t.get_text() for t in figure.axes[0].texts) == ["1", "2"]


def test_hotspot_table_names_wards(make_records):
    from vawgstats.prepare import top_places

    df = make_records([{"recorded_date": "2025-05-01", "lsoa_code": "E01001450"}] * 11)
    table = tables.places(top_places(df, start="2025-04", end="2026-03"), "NA", "public")
    assert table.loc[0, ["LSOA", "Ward", "Borough", "In-scope crimes"]].tolist() == [
        "E01001450", "Town", "Enfield", "11"]
