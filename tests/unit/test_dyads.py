"""Dyad-year verbs on known rows of the real mirror and on small constructed tables.

Constructed tables (states 1-5, invented disputes and spells) test the rules
(windows, coverage edges, onsets); every number presented as real is read
from the mirror in the test.
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from alliance_models.data import dyads
from alliance_models.errors import SourceFormatError
from alliance_models.sources import read_rda

sys.path.insert(0, str(Path(__file__).parent))
from _state_year_fixture import build_state_year  # noqa: E402

PS = "peacesciencer"


@pytest.fixture(scope="module")
def raw(mirror):
    names = [
        "atop_alliance",
        "cow_contdir",
        "cow_mindist",
        "cow_mid_dirdisps",
        "gml_dirdisp",
        "tss_rivalries",
        "td_rivalries",
        "terrthreat",
        "cow_majors",
        "cow_nmc",
        "cow_capitals",
    ]
    return {n: read_rda(mirror / PS / f"{n}.rda", n) for n in names}


@pytest.fixture(scope="module")
def state_year(mirror):
    return build_state_year(mirror)


def frame(rows):
    return pd.DataFrame(rows, columns=["ccode1", "ccode2", "year"]).astype("int64")


def dyad_years(c1, c2, years):
    return frame([(c1, c2, y) for y in years])


# --------------------------------------------------------------------------- ATOP


def test_clean_atop_is_int_and_complete(raw):
    atop = dyads.clean_atop(raw["atop_alliance"])
    assert len(atop) == len(raw["atop_alliance"])
    assert all(atop[c].dtype == "int64" for c in atop.columns)
    assert dyads.clean_atop(atop).equals(atop)  # idempotent


def test_ussr_china_defence_in_force_1950_1980_absent_1931(raw):
    a = raw["atop_alliance"]
    pledge = a[(a.ccode1 == 365) & (a.ccode2 == 710) & (a.atop_defense == 1)]
    assert set(range(1950, 1981)) <= set(pledge["year"].astype(int))
    assert 1931 not in set(a[(a.ccode1 == 365) & (a.ccode2 == 710)]["year"].astype(int))

    out = dyads.add_atop(dyad_years(365, 710, [1931, *range(1950, 1981)]), raw["atop_alliance"])
    assert out.loc[out.year == 1931, "atop_defense"].item() == 0  # absent, not missing
    assert out.loc[out.year == 1931, "atop_any"].item() == 0
    assert (out.loc[out.year >= 1950, "atop_defense"] == 1).all()
    assert (out.loc[out.year >= 1950, "atop_any"] == 1).all()


def test_atop_missing_outside_1815_2018(raw):
    out = dyads.add_atop(dyad_years(365, 710, [2018, 2019, 2022]), raw["atop_alliance"])
    assert out.loc[out.year == 2018, dyads.ATOP_ALL].notna().all(axis=None)
    assert out.loc[out.year > 2018, dyads.ATOP_ALL].isna().all(axis=None)


def test_atop_directed_us_japan(raw):
    f = frame([(740, 2, 1970), (2, 740, 1970)])
    a = raw["atop_alliance"]
    us_jp = a[(a.ccode1 == 2) & (a.ccode2 == 740) & (a.year == 1970)]
    jp_us = a[(a.ccode1 == 740) & (a.ccode2 == 2) & (a.year == 1970)]
    assert us_jp.atop_defense.item() == 1 and jp_us.atop_defense.item() == 0  # asymmetric pledge in the raw data
    directed = dyads.add_atop(f, a, directed=True)
    both = dyads.add_atop(f, a, directed=False)
    assert directed["atop_defense"].tolist() == [0, 1]
    assert both["atop_defense"].tolist() == [1, 1]


def constructed_atop():
    """Invented ATOP-like table: dyad (1, 2) defence 2002-2004, 2007, 2009-2010."""
    years = [2002, 2003, 2004, 2007, 2009, 2010]
    rows = [(a, b, y, 1, 0, 0, 0, 0) for y in years for a, b in ((1, 2), (2, 1))]
    rows += [(1, 3, 2000, 0, 0, 0, 1, 0), (3, 1, 2000, 0, 0, 0, 1, 0)]
    return pd.DataFrame(rows, columns=dyads.KEYS + dyads.ATOP_COLUMNS)


def test_atop_transitions_on_a_constructed_spell():
    f = dyad_years(1, 2, range(2000, 2011))
    out = dyads.add_atop_transitions(f, constructed_atop(), coverage=(2000, 2010)).set_index("year")
    assert out.loc[[2002, 2007, 2009], "atop_defense_onset"].eq(1).all()
    assert out["atop_defense_onset"].sum() == 3
    assert out.loc[[2004, 2007], "atop_defense_end"].eq(1).all()
    assert out.loc[[2002, 2003, 2009], "atop_defense_end"].eq(0).all()
    assert np.isnan(out.loc[2010, "atop_defense_end"])  # 2011 lies outside coverage
    assert out.loc[2000, "atop_defense_onset"] == 0  # not in force: known 0
    assert out["atop_any_onset"].equals(out["atop_defense_onset"])
    # In force in the first covered year: whether it is an onset is unknown.
    first = dyads.add_atop_transitions(frame([(1, 3, 2000)]), constructed_atop(), coverage=(2000, 2010))
    assert np.isnan(first["atop_nonagg_onset"].item())


# ------------------------------------------------------------------ frame handling


def test_rows_order_index_and_duplicates_preserved(raw):
    f = frame([(710, 365, 1970), (365, 710, 1931), (710, 365, 1970), (2, 740, 2019)])
    f.index = [7, 3, 7, 0]
    out = dyads.add_atop(f, raw["atop_alliance"])
    assert out.index.tolist() == [7, 3, 7, 0]
    assert out[dyads.KEYS].equals(f)
    assert out["atop_defense"].tolist()[:3] == [1, 0, 1]


def test_bad_frames_are_refused(raw):
    with pytest.raises(KeyError, match="ccode2"):
        dyads.add_atop(pd.DataFrame({"ccode1": [365], "year": [1950]}), raw["atop_alliance"])
    with pytest.raises(TypeError, match="ccode1"):
        dyads.add_atop(pd.DataFrame({"ccode1": [365.0], "ccode2": [710], "year": [1950]}), raw["atop_alliance"])
    done = dyads.add_atop(dyad_years(365, 710, [1950]), raw["atop_alliance"])
    with pytest.raises(ValueError, match="already has"):
        dyads.add_atop(done, raw["atop_alliance"])


# ----------------------------------------------------------------- geography


def test_ussr_finland_land_contiguity(raw):
    c = raw["cow_contdir"]
    spell = c[(c.ccode1 == 365) & (c.ccode2 == 375) & (c.conttype == 1)]
    assert any(s.year <= 1939 <= e.year for s, e in zip(spell.stdate, spell.enddate))
    f = frame([(365, 375, 1939), (375, 365, 1939), (365, 375, 2016), (365, 375, 2017), (365, 375, 1815)])
    out = dyads.add_contiguity(f, c)
    assert out["conttype"].tolist()[:3] == [1, 1, 1]
    assert out["conttype"].iloc[3:].isna().all()  # outside 1816-2016


def test_non_contiguous_pair_is_zero_inside_coverage(raw):
    c = raw["cow_contdir"]
    assert not ((c.ccode1 == 375) & (c.ccode2 == 140)).any()  # Finland-Brazil never listed
    assert dyads.add_contiguity(frame([(375, 140, 1950)]), c)["conttype"].item() == 0


def test_contiguity_year_rule_takes_closest_type():
    c = pd.DataFrame(
        {
            "ccode1": [1, 1],
            "ccode2": [2, 2],
            "conttype": [4.0, 1.0],
            "stdate": pd.to_datetime(["1900-01-01", "1905-07-01"]).date,
            "enddate": pd.to_datetime(["1905-06-01", "1910-12-01"]).date,
        }
    )
    out = dyads.add_contiguity(dyad_years(1, 2, [1904, 1905, 1906]), c)
    assert out["conttype"].tolist() == [4, 1, 1]


def test_mindist_either_order_and_coverage(raw):
    m = raw["cow_mindist"]
    km = m[(m.ccode1 == 365) & (m.ccode2 == 710) & (m.year == 1950)]["mindist"].item()
    out = dyads.add_mindist(frame([(365, 710, 1950), (710, 365, 1950), (365, 710, 1885)]), m)
    assert out["mindist"].iloc[0] == km == out["mindist"].iloc[1]
    assert np.isnan(out["mindist"].iloc[2])  # cshapes begins 1886


def test_majors(raw):
    out = dyads.add_majors(
        frame([(365, 710, 1949), (365, 710, 1950), (365, 710, 2020), (365, 710, 2023)]), raw["cow_majors"]
    )
    assert out["major1"].tolist()[:3] == [1, 1, 1]
    assert out["major2"].tolist()[:3] == [0, 1, 1]  # China a major power from 1950
    assert out[["major1", "major2"]].iloc[3].isna().all()


def test_terrthreat(raw):
    t = raw["terrthreat"]
    val = t[(t.ccode == 365) & (t.year == 1950)]["lterrthreat"].item()
    out = dyads.add_terrthreat(frame([(365, 710, 1950), (710, 365, 1950), (365, 710, 2011)]), t)
    assert out["terrthreat1"].iloc[0] == val == out["terrthreat2"].iloc[1]
    assert out[["terrthreat1", "terrthreat2"]].iloc[2].isna().all()


# ------------------------------------------------------------- capabilities


def test_capabilities_from_state_year(raw, state_year):
    n = raw["cow_nmc"]
    cinc = {c: n[(n.ccode == c) & (n.year == 1950)]["cinc"].item() for c in (365, 710)}
    out = dyads.add_capabilities(frame([(365, 710, 1950), (710, 365, 1950)]), state_year)
    r = out.iloc[0]
    assert r.cinc1 == cinc[365] and r.cinc2 == cinc[710]
    assert r.cinc_ratio == pytest.approx(cinc[365] / cinc[710])
    assert r.log_cinc_ratio == pytest.approx(np.log(cinc[365] / cinc[710]))
    assert out["cinc_prop"].iloc[0] == out["cinc_prop"].iloc[1] == pytest.approx(cinc[710] / cinc[365])
    assert out["gdp_ratio"].iloc[0] == pytest.approx(1 / out["gdp_ratio"].iloc[1])


def test_bremer_categories_and_zero_milex():
    # Invented state-year: CINC ratios to state 1 of exactly 3, 10 and 30 (binary fractions).
    sy = pd.DataFrame(
        {
            "ccode": [1, 2, 3, 4],
            "year": 2000,
            "cinc": [30 / 64, 10 / 64, 3 / 64, 1 / 64],
            "gdp": [1.0, 2.0, np.nan, 4.0],
            "milex": [5.0, 0.0, 1.0, 2.0],
            "tpop": 1.0,
        }
    )
    out = dyads.add_capabilities(frame([(1, 2, 2000), (1, 3, 2000), (1, 4, 2000), (4, 1, 2000)]), sy)
    assert out["bremer_cat"].astype(str).tolist() == ["parity", "medium", "preponderance", "preponderance"]
    assert out["cinc_prop"].iloc[3] == pytest.approx(1 / 30)
    assert np.isnan(out["milex_ratio"].iloc[0]) and np.isnan(out["log_milex_ratio"].iloc[0])  # milex 0
    assert out["milex_ratio"].iloc[1] == 5.0
    assert np.isnan(out["gdp_ratio"].iloc[1])


# ----------------------------------------------------------------------- MIDs


def constructed_mids():
    """Invented dispute 1 in 2000: state 2 on side A and originator vs state 1."""
    rows = [(1, 1, 2, 2000, 0, 1, 1, 1, 2, 4), (1, 2, 1, 2000, 1, 0, 1, 1, 4, 2)]
    cols = ["dispnum", "ccode1", "ccode2", "year", "sidea1", "sidea2", "orig1", "orig2", "hostlev1", "hostlev2"]
    m = pd.DataFrame(rows, columns=cols)
    m["disponset"] = 1
    return m


def test_mid_window_is_the_five_prior_years():
    mids = dyads.load_mids(constructed_mids(), "cow")
    out = dyads.add_mids(dyad_years(1, 2, range(2000, 2007)), mids).set_index("year")
    assert out["mid_prior_count"].tolist() == [0, 1, 1, 1, 1, 1, 0]
    assert out.loc[2001, "mid_prior_hostlev"] == 4
    assert out.loc[2001, "mid_prior_init2"] == 1 and out.loc[2001, "mid_prior_init2_hostlev"] == 4
    other = dyads.add_mids(frame([(2, 1, 2001)]), mids)  # ccode2 = 1 was side B
    assert other["mid_prior"].item() == 1 and other["mid_prior_init2"].item() == 0
    assert other["mid_prior_init2_hostlev"].item() == 0


def test_mid_coverage_edges(raw):
    mids = dyads.load_mids(raw["cow_mid_dirdisps"], "cow")
    assert mids.attrs["coverage"] == (1816, 2014)
    out = dyads.add_mids(frame([(365, 710, 1816), (365, 710, 1817), (365, 710, 2015), (365, 710, 2016)]), mids)
    assert out["mid_prior"].isna().tolist() == [True, False, False, True]
    gml = dyads.load_mids(raw["gml_dirdisp"], "gml")
    assert gml.attrs["coverage"] == (1816, 2010)
    assert dyads.add_mids(frame([(365, 710, 2012)]), gml)["mid_prior"].isna().item()
    with pytest.raises(ValueError, match="source"):
        dyads.load_mids(raw["gml_dirdisp"], "ucdp")


def test_ussr_china_mid_count_matches_raw(raw):
    m = raw["cow_mid_dirdisps"]
    prior = m[(m.ccode1 == 365) & (m.ccode2 == 710) & m.year.between(1965, 1969)]
    out = dyads.add_mids(frame([(365, 710, 1970)]), dyads.load_mids(m, "cow"))
    assert out["mid_prior_count"].item() == prior["dispnum"].nunique() > 0
    assert out["mid_prior_hostlev"].item() == max(prior.hostlev1.max(), prior.hostlev2.max())


# ---------------------------------------------------------------- rivalries


def test_china_ussr_rivalry_1958_1989(raw):
    t = raw["tss_rivalries"]
    riv = t[(t.ccode1 == 365) & (t.ccode2 == 710) & (t.start == 1958)]
    assert riv["end"].item() == 1989
    years = [1957, 1958, 1970, 1989, 1990]
    f = pd.concat([dyad_years(365, 710, years), dyad_years(710, 365, years)], ignore_index=True)
    out = dyads.add_rivalry(f, t, raw["td_rivalries"], types=True)
    assert out["tss_rival"].tolist() == [0, 1, 1, 1, 0] * 2
    assert out["td_rival"].tolist() == [0, 1, 1, 1, 0] * 2
    assert out.loc[out.year == 1970, "tss_ideological"].eq(1).all()
    late = dyads.add_rivalry(frame([(365, 710, 2021), (365, 710, 2011)]), t, raw["td_rivalries"])
    assert np.isnan(late["tss_rival"].iloc[0]) and late["tss_rival"].iloc[1] == 0
    assert late["td_rival"].isna().all()  # TD ends 2010


# ------------------------------------------------------------ common threat


def test_common_threat_constructed():
    # Invented: 1 and 2 both fight 3 (2000, 2001); 1 fights 4 in 2001, 2 fights 4 in 2003.
    cols = ["dispnum", "ccode1", "ccode2", "year", "sidea1", "sidea2", "orig1", "orig2", "hostlev1", "hostlev2"]
    rows = []
    for d, (a, b, y) in enumerate([(1, 3, 2000), (2, 3, 2001), (1, 4, 2001), (2, 4, 2003)]):
        rows += [(d, a, b, y, 1, 0, 1, 1, 3, 3), (d, b, a, y, 0, 1, 1, 1, 3, 3)]
    mids = pd.DataFrame(rows, columns=cols).assign(disponset=1)
    mids = dyads.load_mids(mids, "cow")
    sy = pd.DataFrame({"ccode": [3, 3, 4, 4], "year": [2001, 2003, 2001, 2003], "cinc": [0.2, 0.25, 0.05, 0.3]})
    tss = pd.DataFrame({"ccode1": [1, 2], "ccode2": [5, 5], "start": [1990, 1995], "end": [2000, 2005]})
    f = frame([(1, 2, 2002), (1, 2, 2004), (2, 1, 2004), (1, 2, 2010), (1, 3, 2002), (1, 2, 2000), (1, 2, 2001)])
    out = dyads.add_common_threat(f, mids, tss, sy, window=5, tss_coverage=(1990, 2010))
    assert out["common_mid_states"].tolist() == [1, 2, 2, 0, 0, 0, 0]
    assert out["common_mid_max_cinc"].iloc[0] == 0.2  # state 3's CINC in 2001
    assert out["common_mid_max_cinc"].iloc[1] == 0.3  # max of 3 and 4 in 2003
    assert out["common_mid_max_cinc"].iloc[3:].isna().all()
    assert out["common_rival"].tolist() == [0, 0, 0, 0, 0, 1, 0]


def test_capability_change_over_five_years(mirror):
    import numpy as np
    import pandas as pd
    from alliance_models.data import dyads
    from alliance_models.sources import read_rda

    nmc = read_rda(mirror / "peacesciencer/cow_nmc.rda", "cow_nmc").set_index(["ccode", "year"])
    sy = nmc.reset_index()[["ccode", "year", "cinc", "milex", "tpop"]].astype({"ccode": int, "year": int})
    sy["gdp"] = np.nan
    sy["milex_currency"] = np.where(sy["year"] < 1914, "GBP_thousands", "USD_thousands_current")
    frame = pd.DataFrame({"ccode1": [365, 365], "ccode2": [710, 710], "year": [1960, 1916]})
    out = dyads.add_capability_change(frame, sy, lag=5)
    expected = np.log(nmc.loc[(365, 1960), "cinc"] / nmc.loc[(710, 1960), "cinc"]) - np.log(
        nmc.loc[(365, 1955), "cinc"] / nmc.loc[(710, 1955), "cinc"]
    )
    assert out["log_cinc_ratio_change5"].iloc[0] == pytest.approx(expected)
    assert np.isnan(out["log_milex_ratio_change5"].iloc[1])  # 1911 GBP vs 1916 USD
    assert np.isnan(out["log_gdp_ratio_change5"]).all()


# ------------------------------------------------------- side-aware threat


def constructed_side_mids():
    """Invented disputes (states 1-6). Dispute 10 (2000-2001): 1 and 2 on side A
    against 3 on side B. Dispute 11 (2000): 4 on side A against 1 and 5 on
    side B, then 5 switches: in 2001, 5 is on side A with 4 against 1. Every
    pair of opposing participants is a row in both directions, as in COW."""
    cols = ["dispnum", "ccode1", "ccode2", "year", "sidea1", "sidea2", "orig1", "orig2", "hostlev1", "hostlev2"]
    rows = []

    def fight(d, a, b, y):  # a on side A, b on side B
        rows.extend([(d, a, b, y, 1, 0, 1, 1, 4, 4), (d, b, a, y, 0, 1, 1, 1, 4, 4)])

    for y in (2000, 2001):
        fight(10, 1, 3, y)
        fight(10, 2, 3, y)
    fight(11, 4, 1, 2000)
    fight(11, 4, 5, 2000)
    fight(11, 5, 1, 2001)
    fight(11, 4, 1, 2001)
    return dyads.load_mids(pd.DataFrame(rows, columns=cols).assign(disponset=1), "cow")


def test_side_threat_constructed():
    mids = constructed_side_mids()
    f = frame(
        [
            (1, 2, 2001),
            (1, 2, 2002),
            (1, 2, 2006),
            (1, 2, 2007),
            (2, 1, 2003),
            (1, 3, 2002),
            (1, 5, 2002),
            (4, 5, 2002),
            (1, 2, 2000),
        ]
    )
    out = dyads.add_side_threat(f, mids, window=5, coverage=(1990, 2010))
    # 1 and 2: same side of dispute 10 in 2000-2001 -> co-belligerents in 2001..2006; common enemy: 3
    assert out["cobelligerent"].tolist()[:5] == [1, 1, 1, 0, 1]
    assert out["common_enemy"].tolist()[:5] == [1, 1, 1, 0, 1]
    assert out["cobelligerent"].iloc[5] == 0  # 1 fought 3: opponents, not partners
    # 1 and 5 were both on side B of dispute 11 in 2000, but 5 then fought 1 in the same dispute
    assert out["cobelligerent"].iloc[6] == 0 and out["common_enemy"].iloc[6] == 0
    # 4 and 5 fought in 2000 and sided in 2001, in one dispute: not co-belligerents
    assert out["cobelligerent"].iloc[7] == 0
    assert out["cobelligerent"].iloc[8] == 0  # the current year is not in the window
    late = dyads.add_side_threat(frame([(1, 2, 2012), (1, 2, 1990)]), mids, window=5, coverage=(1990, 2010))
    assert late["cobelligerent"].isna().all()  # t-1 outside the MID coverage


def test_side_threat_known_rows(raw, mirror):
    mids = dyads.load_mids(raw["cow_mid_dirdisps"], "cow")
    wars = dyads.load_wars(read_rda(mirror / PS / "cow_war_inter.rda", "cow_war_inter"))
    assert wars.attrs["coverage"] == (1816, 2007) and set(wars["sidea1"]) == {0, 1}
    f = frame([(365, 200, 1942), (365, 2, 1943), (365, 375, 1948), (365, 375, 1942), (375, 255, 1942)])
    out = dyads.add_side_threat(f, mids, wars, window=5)
    # the USSR and Britain: allies in COW's Second World War from 1941
    assert out["cobelligerent"].iloc[0] == 1 and out["common_enemy"].iloc[0] >= 3
    assert out["cobelligerent"].iloc[1] == 1  # and the United States
    # Finland 1948: fought the USSR in 1941-44; side-blind it shares 9 "common" MID states with it
    assert out["cobelligerent"].iloc[2] == 0 and out["common_enemy"].iloc[2] == 0
    assert out["cobelligerent"].iloc[3] == 0
    assert out["cobelligerent"].iloc[4] == 1  # Finland and Germany, 1941 (war 139)
    # MID 258 (the Second World War) puts the USSR against Britain in 1939 (Poland), so within it they are
    # opponents, not co-belligerents, although both are on side A from 1941; COW's war 139 has them allies
    m258 = mids[mids.dispnum == 258]
    m258.attrs = mids.attrs
    f42 = frame([(365, 200, 1942)])
    assert dyads.add_side_threat(f42, m258, None, window=5)["cobelligerent"].item() == 0
    w139 = wars[wars.warnum == 139]
    assert dyads.add_side_threat(f42, m258, w139, window=5)["cobelligerent"].item() == 1


def test_load_wars_rejects_bad_sides(mirror):
    raw = read_rda(mirror / PS / "cow_war_inter.rda", "cow_war_inter").head(4).copy()
    raw.loc[raw.index[0], "sidea1"] = 3
    with pytest.raises(SourceFormatError, match="sidea1"):
        dyads.load_wars(raw)


# ------------------------------------------------------------------- bloc


def test_bloc_constructed():
    # Invented: 3 is 1's rival 1995-2000; 2 holds a defence pledge with 3 in 1998 (ATOP rows both ways).
    atop = pd.DataFrame(
        [
            (2, 3, 1998, 1, 0, 0, 0, 0),
            (3, 2, 1998, 0, 0, 0, 0, 0),
            (4, 3, 1998, 0, 0, 0, 1, 0),
            (3, 4, 1998, 0, 0, 0, 1, 0),
        ],
        columns=["ccode1", "ccode2", "year", *dyads.ATOP_COLUMNS],
    )
    tss = pd.DataFrame({"ccode1": [1], "ccode2": [3], "start": [1995], "end": [2000]})
    f = frame([(1, 2, 1999), (1, 2, 1998), (1, 2, 2000), (1, 4, 1999), (5, 2, 1999), (1, 2, 2030)])
    out = dyads.add_bloc(f, atop, tss, atop_coverage=(1990, 2018), tss_coverage=(1990, 2020))
    v = out["partner_allied_with_rival"]
    assert v.tolist()[:5] == [1, 0, 0, 0, 0]  # only the year after the pledge; non-aggression is not a pledge
    assert np.isnan(v.iloc[5])


def test_bloc_known_rows(raw):
    f = frame([(365, 255, 1942), (365, 220, 1950), (365, 380, 1950)])
    out = dyads.add_bloc(f, raw["atop_alliance"], raw["tss_rivalries"])
    # Germany held the Tripartite pledge with Japan (a Soviet rival to 1945); France is NATO (the US, a rival)
    assert out["partner_allied_with_rival"].tolist() == [1, 1, 0]  # neutral Sweden: 0


# ------------------------------------------------------------------ regime


def test_regime_from_polity(mirror):
    from alliance_models.data.polity import clean_polity5

    raw = read_rda(mirror / "democracydata" / "polity5.rda", "polity5")
    pol = clean_polity5(raw)
    assert not pol.duplicated(["ccode", "year"]).any()
    p = pol.set_index(["ccode", "year"])
    # Polity5 scores Russia (RUS) and the USSR (USR) for 1922: the successor's row is kept
    usr = raw[(raw.scode == "USR") & (raw.year == 1922)]
    assert p.loc[(365, 1922), "polity2"] == usr.polity2.item() == -7
    # special codes: -88 prorated by Polity (Russia 1905), -66 left missing (Afghanistan under Soviet occupation)
    assert p.loc[(365, 1905), "polity"] == -88 and p.loc[(365, 1905), "polity2"] == -8
    assert np.isnan(p.loc[(700, 1980), "polity2"]) and p.loc[(700, 1980), "polity"] == -66
    sy = pol.assign(ccode=pol.ccode, year=pol.year)
    out = dyads.add_regime(frame([(365, 2, 1950), (365, 223, 1950)]), sy)
    us = raw[(raw.cown == 2) & (raw.year == 1950)].polity2.item()
    su = raw[(raw.scode == "USR") & (raw.year == 1950)].polity2.item()
    assert out["polity2_1"].iloc[0] == su and out["polity2_2"].iloc[0] == us
    assert out["polity_diff"].iloc[0] == abs(us - su)
    assert np.isnan(out["polity2_2"].iloc[1]) and np.isnan(out["polity_diff"].iloc[1])  # Liechtenstein: not in Polity
    # the missing-indicator pair: a score where there is one, 0 and the indicator where there is none
    assert out["polity_missing"].tolist() == [0.0, 1.0]
    assert out["polity_diff_filled"].tolist() == [abs(us - su), 0.0]


def test_log1p_mindist(raw):
    out = dyads.add_mindist(frame([(365, 375, 1950), (365, 2, 1950), (365, 2, 1880)]), raw["cow_mindist"])
    assert out["log1p_mindist"].iloc[0] == 0 and np.isclose(
        out["log1p_mindist"].iloc[1], np.log1p(out["mindist"].iloc[1])
    )
    assert np.isnan(out["log1p_mindist"].iloc[2])


def test_distance_filled_from_public_sources(raw):
    """The minimum distance with its gaps filled: cshapes where it has the pair;
    the pair's cshapes value in the nearest year (Israel's first year, 1948);
    the capitals' great-circle distance before cshapes begins (1886): St
    Petersburg-Washington in 1880, Moscow-Washington in 1950 (published
    values about 7,180 and 7,830 km)."""
    rows = frame([(365, 2, 1950), (365, 666, 1948), (365, 666, 1949), (365, 2, 1880)])
    out = dyads.add_mindist(rows, raw["cow_mindist"])
    out = dyads.add_contiguity(out, raw["cow_contdir"])
    assert np.isnan(out["mindist"].iloc[1]) and np.isnan(out["mindist"].iloc[3])  # the gaps
    out = dyads.add_distance_filled(out, raw["cow_capitals"])
    assert out["dist_source"].tolist() == ["cshapes", "cshapes, nearest year", "cshapes", "capitals"]
    assert out["dist"].iloc[0] == out["mindist"].iloc[0]
    assert out["dist"].iloc[1] == out["mindist"].iloc[2]  # Israel 1948 takes 1949's value
    assert 7150 < out["capdist"].iloc[3] < 7220  # St Petersburg - Washington
    assert 7800 < out["capdist"].iloc[0] < 7860  # Moscow - Washington
    assert out["dist"].iloc[3] == out["capdist"].iloc[3]
    assert np.allclose(out["log1p_dist"], np.log1p(out["dist"]))


def test_distance_fill_order_and_window():
    """cshapes first, then 0 for land contiguity, then the nearest year within
    the window (the earlier year on a tie), then the capitals; none: NaN."""
    caps = pd.DataFrame(
        {
            "ccode": [1, 2],
            "stdate": ["1800-01-01", "1800-01-01"],
            "enddate": ["2020-12-31", "2020-12-31"],
            "lat": [0.0, 0.0],
            "lng": [0.0, 1.0],
        }
    )
    f = frame([(1, 2, y) for y in range(1900, 1912)] + [(1, 3, 1900)])
    f["mindist"] = [np.nan, np.nan, 50.0, np.nan, np.nan, np.nan, 70.0, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan]
    f["conttype"] = [0.0] * 11 + [1.0, 0.0]
    out = dyads.add_distance_filled(f, caps, window=2)
    src = out["dist_source"].tolist()
    assert (
        src[:11]
        == ["cshapes, nearest year"] * 2
        + ["cshapes"]
        + ["cshapes, nearest year"] * 3
        + ["cshapes"]
        + ["cshapes, nearest year"] * 2
        + ["capitals"] * 2
    )
    assert out["dist"].tolist()[:9] == [50.0, 50.0, 50.0, 50.0, 50.0, 70.0, 70.0, 70.0, 70.0]  # 1904: tie -> earlier
    assert src[11] == "land contiguity" and out["dist"].iloc[11] == 0.0
    assert np.isclose(out["capdist"].iloc[9], 2 * np.pi * dyads.EARTH_RADIUS_KM / 360)  # 1 degree on the equator
    assert src[12] == "" and np.isnan(out["dist"].iloc[12])  # state 3 has no capital row
