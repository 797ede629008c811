"""The directed dyad-year panel: membership, known rows, onsets, clock, config errors."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from alliance_models.data import dyads, panel
from alliance_models.data.states import load_system, system_years
from alliance_models.errors import ConfigError
from alliance_models.sources import read_rda

sys.path.insert(0, str(Path(__file__).parent))
from _state_year_fixture import build_state_year  # noqa: E402

PS = "peacesciencer"
YEARS = (1816, 2016)
ERAS = {365: {"tsarist": [1816, 1917], "soviet": [1922, 1991], "federation": [1992, None]}}


@pytest.fixture(scope="module")
def inputs(mirror, tmp_path_factory):
    """The rule's inputs: mirror files plus a state_year parquet built from the mirror."""
    from alliance_models.data.latent import fit_latent_capability

    sy = tmp_path_factory.mktemp("panel") / "state_year.parquet"
    table = build_state_year(mirror)
    table.to_parquet(sy)
    latent = sy.with_name("latent_capability.parquet")
    fit_latent_capability(table, smooth=False, multistart=False)[0].to_parquet(latent)
    files = {
        name: mirror / entry
        for name, entry in {
            "atop": f"{PS}/atop_alliance.rda",
            "cow_ddy": f"{PS}/cow_ddy.rda",
            "cow_states": f"{PS}/cow_states.rda",
            "cow_majors": f"{PS}/cow_majors.rda",
            "contiguity": f"{PS}/cow_contdir.rda",
            "mindist": f"{PS}/cow_mindist.rda",
            "capitals": f"{PS}/cow_capitals.rda",
            "mids": f"{PS}/cow_mid_dirdisps.rda",
            "tss": f"{PS}/tss_rivalries.rda",
            "td": f"{PS}/td_rivalries.rda",
            "terrthreat": f"{PS}/terrthreat.rda",
            "wars": f"{PS}/cow_war_inter.rda",
        }.items()
    }
    return {**{k: str(v) for k, v in files.items()}, "state_year": str(sy), "latent": str(latent)}


@pytest.fixture(scope="module")
def ddy(mirror):
    return read_rda(mirror / PS / "cow_ddy.rda", "cow_ddy")


@pytest.fixture(scope="module")
def spells(mirror):
    return load_system(mirror / PS / "cow_states.rda")


@pytest.fixture(scope="module")
def majors(mirror):
    return read_rda(mirror / PS / "cow_majors.rda", "cow_majors")


@pytest.fixture(scope="module")
def ussr(inputs, sources):
    """The default USSR panel, built the way the rule builds it."""
    return panel.build_dyad_year_from_files(
        inputs, sources, "ussr", [365], {"start": 1816, "end": 2016}, "cow", 5, eras=ERAS
    )


def rows(df, c1, c2):
    return df[(df.ccode1 == c1) & (df.ccode2 == c2)].set_index("year")


# ----------------------------------------------------------------- membership


def test_ussr_rows_are_cow_ddy_rows(ussr, ddy):
    df, meta = ussr
    y = ddy["year"].astype(int)
    expect = ddy[(ddy.ccode1 == 365) & y.between(*YEARS)]
    assert len(df) == len(expect) == meta["rows"]
    assert set(zip(df.ccode2, df.year)) == set(zip(expect.ccode2.astype(int), expect.year.astype(int)))
    assert list(df.columns) == panel.COLUMNS


def test_global_row_count_equals_cow_ddy(ddy, spells):
    sk = panel.dyad_skeleton(ddy, "all", YEARS)
    assert len(sk) == int(ddy["year"].between(*YEARS).sum())
    # ... and every row pairs two system members of that year.
    members = system_years(spells, *YEARS)
    mk = set(dyads.state_key(members.ccode, members.year))
    assert np.isin(dyads.state_key(sk.ccode1, sk.year), list(mk)).all()
    assert np.isin(dyads.state_key(sk.ccode2, sk.year), list(mk)).all()


def test_no_rows_outside_membership(ussr, spells):
    df, _ = ussr
    fin = spells[spells.ccode == 375]
    assert len(fin) == 1 and fin.start_year.item() == 1917  # Finland enters the system mid-period
    assert rows(df, 365, 375).index.min() == 1917
    assert not (df[df.ccode2 == 375].year < 1917).any()
    # Poland: member 1918-1939 and again from 1945.
    pol = spells[spells.ccode == 290]
    gap = set(range(1816, 2017)) - {y for s in pol.itertuples() for y in range(s.start_year, s.end_year + 1)}
    assert {1940, 1944} <= gap
    assert not df[(df.ccode2 == 290) & df.year.isin(gap)].shape[0]
    assert set(rows(df, 365, 290).index) == set(range(1816, 2017)) - gap


# ----------------------------------------------------------------- known rows


def test_ussr_china_alliance_and_rivalry(ussr):
    df, _ = ussr
    r = rows(df, 365, 710)
    assert (r.loc[1950:1980, "atop_defense"] == 1).all()
    assert r.loc[1931, "atop_defense"] == 0 and r.loc[1931, "atop_any"] == 0
    assert (r.loc[1958:1989, "tss_rival"] == 1).all()
    assert r.loc[1957, "tss_rival"] == 0 and r.loc[1990, "tss_rival"] == 0
    assert r.loc[1950, "major2"] == 1 and r.loc[1949, "major2"] == 0
    assert (rows(df, 365, 375).loc[1922:2016, "conttype"] == 1).all()


def test_onsets_match_raw_atop(ussr, mirror):
    df, _ = ussr
    a = read_rda(mirror / PS / "atop_alliance.rda", "atop_alliance")
    pair = a[((a.ccode1 == 365) & (a.ccode2 == 710)) | ((a.ccode1 == 710) & (a.ccode2 == 365))]
    any_years = set(pair.loc[pair[dyads.ATOP_COLUMNS].max(axis=1) == 1, "year"].astype(int))
    r = rows(df, 365, 710)
    onsets = {y for y in r.index if y in any_years and y - 1 not in any_years}
    ends = {y for y in r.index if y in any_years and y + 1 not in any_years}
    assert set(r.index[r.atop_any_onset == 1]) == onsets
    assert set(r.index[r.atop_any_end == 1]) == ends
    # the clock: years since the last onset before the year
    last = max(y for y in onsets if y < 1970)
    assert r.loc[1970, "atop_since_onset"] == 1970 - last
    assert r.loc[1970, "atop_since_onset_cu"] == (1970 - last) ** 3


def test_whole_panel_invariants(ussr):
    df, _ = ussr
    inside = df.year <= 2014
    assert not df.loc[inside, dyads.ATOP_ALL].isna().any(axis=None)
    assert (df.loc[df.atop_any_onset == 1, "atop_any"] == 1).all()
    assert (df.loc[df.atop_any_onset == 1, "atop_since_onset"] >= 0).all()
    assert df["cinc_prop"].dropna().between(0, 1, inclusive="right").all()
    assert df.loc[df.year == 1816, "mid_prior"].isna().all()
    assert df.loc[df.year.between(1817, 2015), "mid_prior"].notna().all()
    assert df.loc[df.year < 1886, "mindist"].isna().all()
    assert df.loc[(df.common_mid_states == 0), "common_mid_max_cinc"].isna().all()


def test_late_years_are_missing_not_zero(inputs, sources, ussr):
    df, _ = panel.build_dyad_year_from_files(inputs, sources, "late", [365], (2014, 2022), "cow", 5)
    late = df[df.year > 2018]
    assert len(late) and late[dyads.ATOP_ALL + ["atop_any_onset", "atop_since_onset"]].isna().all(axis=None)
    y18 = df[df.year == 2018]
    assert (y18.atop_any == 1).any() and y18.loc[y18.atop_any == 1, "atop_any_end"].isna().all()  # 2019 unknown
    assert (y18.loc[y18.atop_any == 0, "atop_any_end"] == 0).all()
    assert df.loc[df.year > 2016, "conttype"].isna().all()
    assert df.loc[df.year <= 2016, "conttype"].notna().all()
    assert df.loc[df.year > 2015, "mid_prior"].isna().all()
    # the clock keeps the history before the panel's first year
    full = rows(ussr[0], 365, 710)
    assert rows(df, 365, 710).loc[2014, "atop_since_onset"] == full.loc[2014, "atop_since_onset"] > 0


# ---------------------------------------------------------- onsets and clock


def test_onset_clock_on_constructed_spells():
    # Invented dyad (1, 2) 2000-2010, onsets in 2002 and 2007; dyad (1, 3) from 2004, no onset.
    f = pd.DataFrame({"ccode1": 1, "ccode2": [2] * 11 + [3] * 3, "year": [*range(2000, 2011), 2004, 2005, 2006]})
    onset = np.zeros(len(f))
    onset[[2, 7]] = 1
    f = f.astype("int64").assign(atop_any_onset=onset)
    out = panel.add_onset_clock(f.iloc[::-1])  # order of rows does not matter
    got = out.sort_index()["atop_since_onset"].tolist()
    assert got == [0, 1, 2, 1, 2, 3, 4, 5, 1, 2, 3, 0, 1, 2]
    assert (out["atop_since_onset_sq"] == out["atop_since_onset"] ** 2).all()


# ------------------------------------------------------------- configuration


def test_bad_focal_code_names_the_key(spells, majors):
    with pytest.raises(ConfigError, match=r"panel\.focal_sets\.bad.*999"):
        panel.resolve_focal_set([365, 999], spells, majors, YEARS, key="panel.focal_sets.bad")


def test_years_outside_the_data_name_the_key(spells, majors):
    with pytest.raises(ConfigError, match=r"panel\.years"):
        panel.resolve_focal_set([365], spells, majors, (1800, 2016))
    with pytest.raises(ConfigError, match=r"panel\.years"):
        panel.resolve_focal_set([365], spells, majors, (1816, 2030))


def test_focal_keywords(spells, majors):
    assert panel.resolve_focal_set("majors", spells, majors, YEARS) == sorted(majors.ccode.astype(int).unique())
    live = spells[(spells.start_year <= 2016)]
    assert panel.resolve_focal_set("all", spells, majors, YEARS) == sorted(live.ccode.unique())
    # the GDR (265) exists only 1954-1990
    with pytest.raises(ConfigError, match="not a system member"):
        panel.resolve_focal_set([265], spells, majors, (1995, 2016))


def test_check_panel_config(mirror, root):
    from alliance_models.config import read_yaml, validate_config

    cfg = validate_config(read_yaml(root / "config" / "config.yaml"), root / "config" / "config.schema.json")
    good = panel.check_panel_config(cfg["panel"], mirror / PS / "cow_states.rda", mirror / PS / "cow_majors.rda")
    assert good["ussr"] == [365] and 365 in good["majors"] and len(good["global"]) > 190
    assert panel.check_panel_config(cfg["panel"])["ussr"] is None  # no membership file yet
    bad = {**cfg["panel"], "build": ["ussr", "nato"]}
    with pytest.raises(ConfigError, match=r"panel\.build.*nato"):
        panel.check_panel_config(bad)
    bad = {**cfg["panel"], "focal_sets": {"ussr": [1]}, "build": ["ussr"]}
    with pytest.raises(ConfigError, match=r"panel\.focal_sets\.ussr.*1 is not a COW state"):
        panel.check_panel_config(bad, mirror / PS / "cow_states.rda")


def test_meta_declares_the_unit(ussr):
    df, meta = ussr
    assert meta["directed"] is True and meta["unit"] == "directed dyad-year"
    assert meta["focal_set"] == "ussr" and meta["focal_codes"] == [365]
    assert meta["years"] == {"start": 1816, "end": 2016} and meta["mid_source"] == "cow"
    assert set(meta["units"]) == set(df.columns)
    assert len(meta["inputs"]) == 14  # with the capitals (filled distance)


# ------------------------------------------------------- eras and decisions


def test_eras_on_the_panel(ussr):
    df, meta = ussr
    era = rows(df, 365, 710)["era"]
    assert era.loc[1917] == "tsarist" and era.loc[1922] == "soviet" and era.loc[1991] == "soviet"
    assert era.loc[1992] == "federation" and era.loc[2016] == "federation"
    assert era.loc[1918:1921].isna().all()  # the civil war years are in no era
    assert meta["eras"] == {365: {"tsarist": [1816, 1917], "soviet": [1922, 1991], "federation": [1992, None]}}
    other = panel.assign_eras(np.array([2, 365]), np.array([1950, 1950]), ERAS)
    assert list(other) == ["all", "soviet"]


def test_decisions_cluster_one_year_of_onsets(ussr):
    df, meta = ussr
    sov = df[df.era == "soviet"]
    onsets = sov[sov.atop_defense_onset == 1]
    # the counts a reviewer can check by hand in ATOP: 54 defence-pact onsets in 12 distinct years
    assert len(onsets) == 54 and onsets.year.nunique() == 12
    assert (onsets.year == 1942).sum() == 18
    counts = {(r["era"], r["type"]): (r["onsets"], r["decisions"]) for r in meta["decisions"]}
    assert counts[("soviet", "defense")] == (54, 12)
    assert counts[("tsarist", "defense")][0] + counts[("soviet", "defense")][0] + counts[("federation", "defense")][
        0
    ] + counts.get(("(none)", "defense"), (0, 0))[0] == int((df.atop_defense_onset == 1).sum())
    # decision ids: one per focal state-year, on onset rows only
    assert set(onsets.decision_id) == {f"365-{y}" for y in onsets.year}
    any_type = (df[[f"{t}_onset" for t in dyads.ATOP_ALL]] == 1).any(axis=1)
    assert df.loc[~any_type, "decision_id"].isna().all() and df.loc[any_type, "decision_id"].notna().all()
    assert (df.focal_year == 365 * 10000 + df.year).all()
    # the size of a decision is on every row of its focal state-year
    y42 = df[df.year == 1942]
    assert (y42.decision_size_defense == 18).all()
    # the largest multilateral cluster of each era
    flagged = df[df.largest_decision_defense == 1].groupby("era").year.unique()
    assert list(flagged["soviet"]) == [1942]
    assert (df.loc[df.year == 1942, "largest_decision_defense"] == 1).all()
    assert (df.loc[df.year == 1943, "largest_decision_defense"] == 0).all()


def test_new_columns_on_known_rows(ussr):
    df, _ = ussr
    uk = rows(df, 365, 200)
    assert uk.loc[1942, "cobelligerent"] == 1 and uk.loc[1942, "common_enemy"] >= 1
    fin = rows(df, 365, 375)
    assert fin.loc[1948, "cobelligerent"] == 0 and fin.loc[1948, "common_enemy"] == 0
    assert fin.loc[1948, "common_mid_states"] == 9  # the side-blind measure the issue quoted
    assert rows(df, 365, 255).loc[1942, "partner_allied_with_rival"] == 1  # Germany, allied with Japan
    chn = rows(df, 365, 710)
    assert chn.loc[1950, "polity_diff"] == abs(chn.loc[1950, "polity2_1"] - chn.loc[1950, "polity2_2"])
    assert chn.loc[1950, "log1p_mindist"] == 0  # land border
    assert np.isclose(uk.loc[1950, "log1p_mindist"], np.log1p(uk.loc[1950, "mindist"]))


@pytest.mark.parametrize(
    "eras, message",
    [
        (
            {365: {"soviet": [1922, 1991], "cold": [1946, 1991]}},
            r"panel\.eras\.365'.*'soviet' \(1922-1991\) and 'cold' \(1946-1991\) overlap",
        ),
        ({999: {"x": [1900, 1910]}}, r"panel\.eras\.999'.*not a COW state"),
        ({365: {"Soviet": [1922, 1991]}}, r"panel\.eras\.365'.*lowercase identifier"),
        ({365: {"all": [1922, 1991]}}, r"panel\.eras\.365'.*lowercase identifier other than 'all'"),
        ({365: {"soviet": [1991, 1922]}}, r"panel\.eras\.365\.soviet'.*start 1991 is after end 1922"),
        ({365: {"soviet": [1922]}}, r"panel\.eras\.365\.soviet'.*expected \[start, end\]"),
        ({"USSR": {"soviet": [1922, 1991]}}, r"panel\.eras'.*'USSR' is not a COW state code"),
    ],
)
def test_bad_eras_name_file_and_key(spells, eras, message):
    with pytest.raises(ConfigError, match=r"config file 'x\.yaml': key '" + message):
        panel.check_eras(eras, spells, where="config file 'x.yaml'")


def test_string_era_codes_are_accepted(spells):
    assert panel.check_eras({"365": {"soviet": [1922, 1991]}}, spells) == {365: {"soviet": (1922, 1991)}}
    assert panel.era_names({365: {"soviet": [1922, 1991]}}) == {"soviet", "all"}


def test_latent_ratio_columns(ussr, inputs):
    df, _ = ussr
    lat = pd.read_parquet(inputs["latent"]).set_index(["ccode", "year"])
    r = rows(df, 365, 710).loc[1950]
    assert r.latent1 == lat.loc[(365, 1950), "latent_mean"] and r.latent_sd2 == lat.loc[(710, 1950), "latent_sd"]
    assert r.log_latent_ratio == r.latent1 - r.latent2
    assert np.isclose(r.log_latent_ratio_sd, np.hypot(r.latent_sd1, r.latent_sd2))
