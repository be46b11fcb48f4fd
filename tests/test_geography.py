import pandas as pd
import pytest

from vawgstats import geography as g
from vawgstats.errors import ParamsError


def test_twelve_bcus_thirty_two_boroughs_each_in_exactly_one_bcu():
    assert len(g.BCUS) == 12
    assert len(set(g.BCU_CODES)) == 12
    members = [b for bcu in g.BCUS for b in bcu.boroughs]
    assert len(members) == 32 and len(set(members)) == 32
    assert set(g.BOROUGHS) == set(members)
    assert all(2 <= len(bcu.boroughs) <= 4 for bcu in g.BCUS)


def test_named_memberships():
    assert g.BCU_BY_CODE["NA"].boroughs == ("Enfield", "Haringey")
    assert g.BCU_BY_CODE["SW"].name == "South West"
    assert set(g.BCU_BY_CODE["EA"].boroughs) == {"Barking and Dagenham", "Havering", "Redbridge"}
    assert g.bcu_of("Westminster") == "AW"


@pytest.mark.parametrize("spelling, canonical", [
    ("Barking & Dagenham", "Barking and Dagenham"),
    ("Kingston", "Kingston upon Thames"),
    ("Richmond", "Richmond upon Thames"),
    ("  hammersmith & fulham ", "Hammersmith and Fulham"),
    ("E09000033", "Westminster"),
    ("TOWER HAMLETS", "Tower Hamlets"),
    ("London Borough of Camden", "Camden"),
])
def test_aliases_normalise(spelling, canonical):
    assert g.normalise_borough(spelling) == canonical


@pytest.mark.parametrize("spelling", ["City of London", "Gotham", "", None, "Kingston upon Hull"])
def test_unknown_boroughs_are_none(spelling):
    assert g.normalise_borough(spelling) is None


def test_ons_codes_are_unique_gss_codes():
    codes = list(g.ONS_CODES.values())
    assert len(codes) == 32 and len(set(codes)) == 32
    assert all(code.startswith("E09") and len(code) == 9 for code in codes)


def test_female_population_shipped_and_summed():
    table = g.boroughs_table()
    assert len(table) == 32
    assert table["female_population"].notna().all()
    assert (table["female_population"] < table["population"]).all()
    by_bcu = g.female_population("bcu")
    assert by_bcu.sum() == table["female_population"].sum() == g.female_population("london").iloc[0]
    assert 4_000_000 < by_bcu.sum() < 5_000_000  # London's women and girls, mid-2019


def test_bcu_code_accepts_codes_and_names():
    assert g.bcu_code("na") == "NA"
    assert g.bcu_code("North Area") == "NA"
    with pytest.raises(ParamsError, match="Unknown BCU 'XX'"):
        g.bcu_code("XX")


def test_lsoa_table_covers_every_borough():
    table = g.lsoa_table()
    assert set(table["borough"]) == set(g.BOROUGHS)
    assert table["lsoa_code"].str.match(r"^E01\d{6}$").all()
    assert not table["lsoa_code"].duplicated().any()


def test_lsoa_in_other_borough():
    import pandas as pd

    from vawgstats.geography import lsoa_in_other_borough

    flags = lsoa_in_other_borough(pd.Series(["E01000001", "E01000006", "E01000006", "", None]),
                                  pd.Series(["Sutton", "Sutton", "Barking and Dagenham", "Sutton", "Sutton"]))
    assert flags.tolist() == [True, True, False, False, False]
