"""Cleaning: NMC missing codes, milex currency, Maddison ISO3 -> COW, state_year."""

import numpy as np
import pandas as pd
import pytest
from alliance_models.data import maddison, nmc, states
from alliance_models.data.state_year import COLUMNS, build_state_year
from alliance_models.errors import SourceFormatError
from alliance_models.sources import read_rda


@pytest.fixture(scope="module")
def raw(mirror):
    return {
        "spells": states.load_system(mirror / "peacesciencer/cow_states.rda"),
        "nmc7": read_rda(mirror / "peacesciencer/cow_nmc.rda", "cow_nmc"),
        "nmc6": pd.read_csv(mirror / "cow/NMC-60-abridged.csv"),
        "mad": read_rda(mirror / "maddison/MaddisonData.rda", "MaddisonData"),
    }


@pytest.fixture(scope="module")
def mapping(root):
    return maddison.load_mapping(root / "data/raw/mappings/maddison_iso3_to_cow.csv")


@pytest.fixture(scope="module")
def state_year(raw, mapping):
    gdp = maddison.clean_maddison(raw["mad"], mapping)
    return build_state_year(raw["spells"], nmc.clean_nmc7(raw["nmc7"]), nmc.clean_nmc6(raw["nmc6"]), gdp)


def _maddison_gdp(mad, iso, year):
    r = mad[(mad["ISO"] == iso) & (mad["year"] == year)].iloc[0]
    return r["gdppc"] * r["pop"] / 1000.0


def test_minus_nine_becomes_missing_never_zero(raw):
    csv = raw["nmc6"]
    coded = csv[csv["milex"] == -9]
    assert len(coded) > 100  # the release really uses -9
    clean = nmc.clean_nmc6(csv).set_index(["ccode", "year"])
    for r in coded.head(20).itertuples():
        assert np.isnan(clean.loc[(r.ccode, r.year), "milex"])
    assert not (clean[nmc.COMPONENTS] < 0).any().any()
    # a real zero stays zero: NMC codes true zeros (e.g. no iron and steel) as 0
    zeros = csv[csv["irst"] == 0]
    assert (clean.loc[list(zip(zeros.ccode, zeros.year)), "irst"] == 0).all()


def test_milex_currency_column(state_year):
    by_year = state_year.drop_duplicates("year").set_index("year")["milex_currency"]
    assert by_year[1816] == by_year[1913] == "GBP_thousands"
    assert by_year[1914] == by_year[2022] == "USD_thousands_current"


def test_one_row_per_cow_state_year(state_year, raw):
    assert list(state_year.columns) == COLUMNS
    assert not state_year.duplicated(["ccode", "year"]).any()
    assert state_year["year"].min() == 1816 and state_year["year"].max() == 2022
    # NMC 7.0 has one row per system member-year: the two must agree exactly
    n7 = raw["nmc7"]
    assert len(state_year) == len(n7)
    assert set(zip(state_year.ccode, state_year.year)) == set(zip(n7.ccode.astype(int), n7.year.astype(int)))


def test_ussr_and_russia_mapping(state_year, raw):
    sy = state_year.set_index(["ccode", "year"])
    for year in (1922, 1950, 1991):
        assert sy.loc[(365, year), "maddison_iso3"] == "SUN"
        assert sy.loc[(365, year), "gdp"] == pytest.approx(_maddison_gdp(raw["mad"], "SUN", year))
    for year in (1992, 2022):
        assert sy.loc[(365, year), "maddison_iso3"] == "RUS"
        assert sy.loc[(365, year), "gdp"] == pytest.approx(_maddison_gdp(raw["mad"], "RUS", year))
    # Maddison has no USSR figure for 1941-1945: missing, not interpolated, not zero
    assert sy.loc[(365, 1943), "gdp_flag"] == "missing" and np.isnan(sy.loc[(365, 1943), "gdp"])


def test_china_mapping_and_the_1950s_ratio(state_year, raw):
    sy = state_year.set_index(["ccode", "year"])
    assert sy.loc[(710, 1950), "maddison_iso3"] == "CHN"
    for year in range(1950, 1960):
        ratio = sy.loc[(710, year), "gdp"] / sy.loc[(365, year), "gdp"]
        assert ratio == pytest.approx(_maddison_gdp(raw["mad"], "CHN", year) / _maddison_gdp(raw["mad"], "SUN", year))
        # PPP puts China at roughly half to three quarters of the USSR (0.54 in 1950,
        # 0.74 in 1953, 0.66 in 1957): low disparity, unlike nominal GDP
        assert 0.5 < ratio < 0.75


def test_both_germanys(state_year, raw):
    sy = state_year.set_index(["ccode", "year"])
    assert sy.loc[(255, 1938), "gdp"] == pytest.approx(_maddison_gdp(raw["mad"], "DEU", 1938))
    assert sy.loc[(255, 2000), "gdp"] == pytest.approx(_maddison_gdp(raw["mad"], "DEU", 2000))
    for ccode in (260, 265):
        row = sy.loc[(ccode, 1970)]
        assert np.isnan(row["gdp"]) and row["gdp_flag"] == "excluded"
        assert row["cinc"] > 0  # capabilities are still there
    # Prussia (255 before 1871) has no Maddison series
    assert np.isnan(sy.loc[(255, 1850), "gdp"])


def test_interpolation_is_flagged_and_bounded(raw, mapping):
    gdp = maddison.clean_maddison(raw["mad"], mapping, max_gap=5).set_index(["ccode", "year"])
    assert gdp.loc[(365, 1943), "gdp_flag"] == "interpolated"
    lo, hi = gdp.loc[(365, 1940), "gdp"], gdp.loc[(365, 1946), "gdp"]
    assert min(lo, hi) <= gdp.loc[(365, 1943), "gdp"] <= max(lo, hi)
    gdp2 = maddison.clean_maddison(raw["mad"], mapping, max_gap=4).set_index(["ccode", "year"])
    assert gdp2.loc[(365, 1943), "gdp_flag"] == "missing"  # the 5-year gap is too long


def test_mapping_errors_name_row_and_field(tmp_path, root):
    text = (root / "data/raw/mappings/maddison_iso3_to_cow.csv").read_text().splitlines()
    text.append("XXX,Nowhere,365,1950,1960,direct,overlaps the USSR")
    text.append("YYY,Backwards,2,1990,1950,direct,end before start")
    p = tmp_path / "map.csv"
    p.write_text("\n".join(text) + "\n")
    with pytest.raises(SourceFormatError) as err:
        maddison.load_mapping(p)
    msg = str(err.value)
    assert "ccode 365 has overlapping year ranges" in msg
    assert f"row {len(text)} (YYY): field 'end_year' 1950 is before start_year 1990" in msg


def test_nmc_6_vs_7_differences(raw):
    diff = nmc.compare_nmc(nmc.clean_nmc6(raw["nmc6"]), nmc.clean_nmc7(raw["nmc7"]))
    assert diff["year"].max() <= 2016
    assert len(diff) > 0
    r = diff.iloc[0]
    n6 = raw["nmc6"].set_index(["ccode", "year"]).loc[(r.ccode, r.year), r.variable]
    assert r.nmc6 == pytest.approx(n6)
