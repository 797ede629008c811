"""Treaty-level designs: the focal state-year table and the conditional-logit choice sets."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from alliance_models.data import treaty_panels as tp

ROOT = Path(__file__).resolve().parents[2]
PANEL = ROOT / "data" / "processed" / "dyad_year_ussr.parquet"
F = 365
YEARS = range(1940, 1948)
PARTNERS = (2, 200, 290, 310, 355, 640)
RNG = np.random.default_rng(7)
L1 = {y: float(v) for y, v in zip(YEARS, RNG.normal(-2.0, 0.3, len(YEARS)))}
L2 = {(c, y): float(RNG.normal(-3.0, 0.5)) for c in PARTNERS for y in YEARS}

# obligations in force between F and each partner (ATOP 5.1 in the panel): year -> (in force, onset)
BOUND = {
    2: {y: (1, int(y == 1943)) for y in range(1943, 1948)},
    200: {1943: (1, 1), 1944: (1, 0), 1946: (1, 1), 1947: (1, 0)},
    290: {1945: (1, 1), 1947: (1, 1)},
    310: {y: (1, int(y == 1945)) for y in range(1945, 1948)},
    355: {y: (1, int(y == 1945)) for y in range(1945, 1948)},
}


def make_panel(focal=F) -> pd.DataFrame:
    rows = []
    for c in PARTNERS:
        for y in YEARS:
            if c == 290 and y < 1943:  # 290 not a system member in 1940-1942
                continue
            bound, onset = BOUND.get(c, {}).get(y, (0, 0))
            rival = (c == 2 and y > 1940) or (c == 200 and y >= 1945) or (c == 290 and y == 1947)
            targeted = {(2, 1945): (1, 4), (200, 1945): (2, 2), (310, 1946): (1, 3)}.get((c, y), (0, 0))
            rows.append(
                {
                    "ccode1": focal,
                    "ccode2": c,
                    "year": y,
                    "atop_defense": float(bound),
                    "atop_defense_onset": float(onset),
                    "atop_any": float(bound or (c == 2 and y >= 1942)),
                    "atop_any_onset": float(onset or (c == 2 and y == 1942)),
                    "tss_rival": float(rival),
                    "latent1": L1[y],
                    "latent2": np.nan if (c == 355 and y == 1945) else L2[(c, y)],
                    "mid_prior_init2": float(targeted[0]),
                    "mid_prior_init2_hostlev": float(targeted[1]),
                    "polity_diff": 3.0,
                }
            )
    p = pd.DataFrame(rows).sort_values(["ccode1", "ccode2", "year"]).reset_index(drop=True)
    p["era"] = pd.array(["soviet"] * len(p), dtype="string")
    p["focal_year"] = p["ccode1"] * 10000 + p["year"]
    p.loc[(p["year"] == 1947) & (p["ccode2"] == 640), "mid_prior_init2"] = np.nan  # outside MID coverage
    return p


def treaty(atopid, signed, members, *, obligation="defense", adherents=(), renews=None, exit_year=np.nan):
    """Rows of a synthetic treaty table: ``members`` original, ``adherents`` (member, entry year) by adhesion."""
    ob = {o: int(o == obligation) for o in ("defense", "offense", "neutral", "nonagg", "consul")}
    all_members = [(m, signed, True) for m in members] + [(m, y, False) for m, y in adherents]
    return [
        {
            "atopid": atopid,
            "member": m,
            "signed_year": signed,
            "signed_month": 1,
            "signed_day": 1,
            "entry_year": y,
            "entry_month": 1 if orig else 6,
            "entry_day": 1,
            "exit_year": exit_year,
            "original": orig,
            "adhesion": not orig,
            "bilateral": len(all_members) == 2,
            "n_members": len(all_members),
            "n_original": len(members),
            **ob,
            **{f"treaty_{o}": v for o, v in ob.items()},
            "any_obligation": 1,
            "wartime": False,
            "renews": renews,
            "renewal": renews is not None,
            "end_year": np.nan,
        }
        for m, y, orig in all_members
    ]


def make_treaties() -> pd.DataFrame:
    rows = (
        treaty(100, 1945, [F, 290])  # bilateral defence pact
        + treaty(101, 1945, [F, 310, 355], adherents=[(200, 1946)])  # multilateral; 200 adheres in 1946
        + treaty(102, 1947, [F, 290], renews=100)  # defence renewal of 100
        + treaty(103, 1942, [F, 2], obligation="nonagg")  # non-aggression only
        + treaty(104, 1941, [2, 200], adherents=[(F, 1943)], exit_year=1944.0)  # F adheres in 1943
        + treaty(105, 1944, [F, 2], renews=103)  # defence pact replacing the non-aggression pact 103
        + treaty(106, 1946, [F, 700])  # partner 700 has no panel row
    )
    t = pd.DataFrame(rows)
    t["renews"] = t["renews"].astype("Int64")
    return t


def war_frame() -> pd.DataFrame:
    """Raw cow_war_inter rows (side B coded 2): F v 2 in 1943, 200 v 310 in 1940."""
    rows = []
    for warnum, a, b, y in ((139, F, 2, 1943), (140, 200, 310, 1940)):
        rows += [
            {"warnum": warnum, "ccode1": a, "ccode2": b, "year": y, "sidea1": 1, "sidea2": 2},
            {"warnum": warnum, "ccode1": b, "ccode2": a, "year": y, "sidea1": 2, "sidea2": 1},
        ]
    return pd.DataFrame(rows).astype("float64")


@pytest.fixture(scope="module")
def fy() -> pd.DataFrame:
    return tp.build_focal_year(make_panel(), make_treaties(), war_frame()).set_index("year")


# --------------------------------------------------------------------------
# focal state-year table


def test_rows_and_keys(fy):
    assert list(fy.columns) == [c for c in tp.FOCAL_YEAR_COLUMNS if c != "year"]  # year is the fixture's index
    assert list(fy.index) == list(YEARS)
    assert (fy["ccode"] == F).all() and (fy["era"] == "soviet").all()
    assert (fy["focal_year"] == F * 10000 + fy.index).all()


def test_outcomes_original_adhesion_renewal(fy):
    # 1942 non-aggression (any, not defence); 1943 F's adhesion (not new); 1944 defence pact replacing
    # the non-aggression pact (new defence, a renewal for "any"); 1945 two originals; 1947 a defence renewal
    assert fy["new_defense"].to_dict() == {1940: 0, 1941: 0, 1942: 0, 1943: 0, 1944: 1, 1945: 1, 1946: 1, 1947: 0}
    assert fy["new_any"].to_dict() == {1940: 0, 1941: 0, 1942: 1, 1943: 0, 1944: 0, 1945: 1, 1946: 1, 1947: 0}
    assert fy.loc[1945, "n_new_defense"] == 2 and fy.loc[1945, "atopids_defense"] == "100;101"
    assert fy.loc[1946, "atopids_defense"] == "106"  # partner outside the panel still counts as a signing
    assert fy["renewal_defense"].to_dict() == {y: float(y == 1947) for y in YEARS}
    assert fy["adhesion_defense"].to_dict() == {y: float(y == 1943) for y in YEARS}  # 200's adhesion is not F's


def test_treaty_renewal_rule(fy):
    blind = tp.build_focal_year(make_panel(), make_treaties(), renewals="treaty").set_index("year")
    # the table's obligation-blind flag makes 105 a defence renewal
    assert blind.loc[1944, "new_defense"] == 0 and blind.loc[1944, "renewal_defense"] == 1
    assert "at_war" not in blind.columns
    with pytest.raises(ValueError, match="renewals"):
        tp.build_focal_year(make_panel(), make_treaties(), renewals="none")


def test_clock_uses_past_years_only(fy):
    # defence signings 1944, 1945, 1946; any signings 1942, 1945, 1946; history starts 1940
    assert fy["since_defense"].to_dict() == {1940: 0, 1941: 1, 1942: 2, 1943: 3, 1944: 4, 1945: 1, 1946: 1, 1947: 1}
    assert fy["since_any"].to_dict() == {1940: 0, 1941: 1, 1942: 2, 1943: 1, 1944: 2, 1945: 3, 1946: 1, 1947: 1}
    assert (fy["since_defense_sq"] == fy["since_defense"] ** 2).all()
    assert (fy["since_any_cu"] == fy["since_any"] ** 3).all()
    # a signing in t never changes the clock at t
    t = make_treaties()
    later = pd.concat([t, pd.DataFrame(treaty(107, 1943, [F, 640]))], ignore_index=True)
    other = tp.build_focal_year(make_panel(), later).set_index("year")
    assert other.loc[1943, "since_defense"] == fy.loc[1943, "since_defense"]
    assert other.loc[1944, "since_defense"] == 1


def test_at_war(fy):
    assert fy["at_war"].to_dict() == {y: float(y in (1943, 1944)) for y in YEARS}
    late = tp._at_war(np.array([F, F]), np.array([2007, 2008]), war_frame())
    assert late[0] == 0 and np.isnan(late[1])  # war data end in 2007


def test_mids_targeted(fy):
    assert fy.loc[1945, "mids_targeted"] == 2  # 2 and 200 initiated against F
    assert fy.loc[1945, "mids_targeted_force"] == 1  # only 2's reached hostility level 4
    assert fy.loc[1946, "mids_targeted"] == 1 and fy.loc[1946, "mids_targeted_force"] == 0
    assert np.isnan(fy.loc[1947, "mids_targeted"])  # one partner's window outside MID coverage
    assert fy.loc[1941, "mids_targeted"] == 0


def test_rival_capability_by_hand(fy):
    assert fy.loc[1940, "n_rivals"] == 0
    assert np.isnan(fy.loc[1940, "rival_capability"]) and fy.loc[1940, "log1p_rival_ratio"] == 0
    ratio = (np.exp(L2[(2, 1946)]) + np.exp(L2[(200, 1946)])) / np.exp(L1[1946])
    assert fy.loc[1946, "n_rivals"] == 2
    assert fy.loc[1946, "rival_capability"] == pytest.approx(np.log(ratio))
    assert fy.loc[1946, "log1p_rival_ratio"] == pytest.approx(np.log1p(ratio))
    ratio = (np.exp(L2[(2, 1941)])) / np.exp(L1[1941])
    assert fy.loc[1941, "rival_capability"] == pytest.approx(np.log(ratio))
    # a non-rival's missing latent (355 in 1945) does not matter
    assert np.isfinite(fy.loc[1945, "rival_capability"])
    # unknown rivalry status (outside TSS coverage) makes every rival column unknown
    p = make_panel()
    p.loc[(p["year"] == 1946) & (p["ccode2"] == 640), "tss_rival"] = np.nan
    unknown = tp.build_focal_year(p, make_treaties()).set_index("year").loc[1946]
    assert unknown[["n_rivals", "rival_capability", "log1p_rival_ratio", "rival_gain"]].isna().all()


def test_rival_gain_by_hand(fy):
    def gain(c, y):
        return (L2[(c, y)] - L2[(c, y - 5)]) - (L1[y] - L1[y - 5])

    assert fy.loc[1940, "rival_gain"] == 0  # no rival
    assert np.isnan(fy.loc[1944, "rival_gain"]) and fy.loc[1944, "n_rivals_gain"] == 0  # t-5 before the panel
    assert fy.loc[1945, "rival_gain"] == pytest.approx(max(gain(2, 1945), gain(200, 1945)))
    # 1947: rival 290 has no row in 1942 (not a member): left out of the max
    assert fy.loc[1947, "n_rivals"] == 3 and fy.loc[1947, "n_rivals_gain"] == 2
    assert fy.loc[1947, "rival_gain"] == pytest.approx(max(gain(2, 1947), gain(200, 1947)))


def test_focal_year_meta(fy):
    meta = tp.focal_year_meta(fy.reset_index())
    assert yaml.safe_load(yaml.safe_dump(meta)) == meta
    (g,) = meta["groups"]
    assert (g["ccode"], g["era"], g["years"]) == (F, "soviet", 8)
    assert g["new_defense_years"] == [1944, 1945, 1946] and g["new_any_years"] == [1942, 1945, 1946]
    assert g["treaties_defense"] == [100, 101, 105, 106] and g["treaties_any"] == [100, 101, 103, 106]
    assert g["missing"] == {
        "mids_targeted": 1,
        "mids_targeted_force": 1,
        "rival_capability": 1,
        "rival_gain": 4,
    }


# --------------------------------------------------------------------------
# choice sets


def strata(cs: pd.DataFrame) -> dict:
    return {s: sorted(g.loc[g["chosen"] == 1, "ccode2"]) for s, g in cs.groupby("stratum")}


def test_choice_sets_default():
    cs, meta = tp.build_choice_sets(make_panel(), make_treaties())
    assert strata(cs) == {"100-1945": [290], "101-1945": [310, 355]}
    # at risk in 1945: 200 (unbound), 290/310/355 (onset), 640; 2 is bound without onset;
    # the same-year sibling's chosen partners leave each set
    assert sorted(cs.loc[cs["stratum"] == "100-1945", "ccode2"]) == [200, 290, 640]
    assert sorted(cs.loc[cs["stratum"] == "101-1945", "ccode2"]) == [200, 310, 355, 640]
    assert list(cs.columns[-len(tp.CHOICE_COLUMNS) :]) == tp.CHOICE_COLUMNS
    assert cs["atopid"].dtype == "int64" and cs["chosen"].dtype == "int64"
    w = cs.set_index(["stratum", "ccode2"])["weight"]
    assert w[("101-1945", 310)] == 0.5 and w[("101-1945", 355)] == 0.5 and w[("101-1945", 640)] == 1.0
    assert w[("100-1945", 290)] == 1.0
    assert cs.groupby("stratum")["n_chosen"].first().to_dict() == {"100-1945": 1, "101-1945": 2}
    assert cs.groupby("stratum")["multilateral"].first().to_dict() == {"100-1945": False, "101-1945": True}
    assert not cs["renewal"].any() and not cs["adhesion_stratum"].any()
    assert (meta["strata"], meta["rows"], meta["chosen"]) == (2, 7, 3)
    assert yaml.safe_load(yaml.safe_dump(meta)) == meta  # plain Python for the meta file
    assert meta["per_era"] == {"soviet": {"strata": 2, "rows": 7, "chosen": 3}}
    dropped = {(d["atopid"], d["year"]): d["reason"] for d in meta["dropped"]}
    assert dropped == {(105, 1944): "no chosen partner at risk", (106, 1946): "no chosen partner in the panel"}
    assert [(d["atopid"], d["ccode"]) for d in meta["partners_not_at_risk"]] == [(105, 2)]
    assert [(d["atopid"], d["year"], d["ccode"]) for d in meta["partners_not_in_panel"]] == [(106, 1946, 700)]
    assert [(d["atopid"], d["year"], d["partners"]) for d in meta["renewals_left_out"]] == [(102, 1947, [290])]
    left = {(d["atopid"], d["year"], d["kind"]): d["partners"] for d in meta["adhesions_left_out"]}
    assert left == {(101, 1946, "adhesion"): [200], (104, 1943, "own_adhesion"): [2, 200]}
    assert [(d["atopid"], d["n_chosen"], d["partners"]) for d in meta["treaties"]] == [
        (100, 1, [290]),
        (101, 2, [310, 355]),
    ]


def test_choice_sets_adhesions_and_renewals():
    cs, meta = tp.build_choice_sets(make_panel(), make_treaties(), keep_adhesions=True, keep_renewals=True)
    assert strata(cs) == {
        "100-1945": [290],
        "101-1945": [310, 355],
        "101-1946": [200],  # 200 adheres to a treaty F belongs to
        "104-1943": [2, 200],  # F adheres: chosen = the members in force
        "102-1947": [290],  # the renewal (290's obligation restarts in 1947)
    }
    flags = cs.groupby("stratum")[["adhesion_stratum", "renewal"]].first()
    assert flags["adhesion_stratum"].to_dict() == {
        "100-1945": False,
        "101-1945": False,
        "101-1946": True,
        "102-1947": False,
        "104-1943": True,
    }
    assert flags["renewal"].to_dict()["102-1947"] and flags["renewal"].sum() == 1
    assert sorted(cs.loc[cs["stratum"] == "101-1946", "ccode2"]) == [200, 290, 640]  # 2, 310, 355 bound
    assert not meta["renewals_left_out"] and not meta["adhesions_left_out"]
    w = cs[cs["chosen"] == 1].groupby("stratum")["weight"].sum()
    assert np.allclose(w, 1.0)


def test_choice_sets_any_and_treaty_rule():
    cs, _ = tp.build_choice_sets(make_panel(), make_treaties(), obligation="any")
    assert "103-1942" in strata(cs) and strata(cs)["103-1942"] == [2]
    assert "105-1944" not in strata(cs)  # a renewal for "any"
    _, meta = tp.build_choice_sets(make_panel(), make_treaties(), renewals="treaty")
    assert {d["atopid"] for d in meta["renewals_left_out"]} == {102, 105}
    with pytest.raises(ValueError, match="obligation"):
        tp.build_choice_sets(make_panel(), make_treaties(), obligation="offense")


def test_choice_sets_several_focal_states():
    p = make_panel()
    other = p[(p["ccode2"] == 290) & (p["year"] == 1945)].assign(ccode1=290, ccode2=F, focal_year=2901945)
    both = pd.concat([p, other], ignore_index=True)
    cs, meta = tp.build_choice_sets(both, make_treaties())
    assert strata(cs)["290-100-1945"] == [F] and strata(cs)["365-100-1945"] == [290]
    assert meta["strata"] == 3


# --------------------------------------------------------------------------
# real data


@pytest.fixture(scope="module")
def real(mirror):
    if not PANEL.is_file():
        pytest.skip(f"{PANEL} not built")
    treaties = pytest.importorskip("alliance_models.data.treaties")
    atop = mirror / "atop"
    members, alliances = treaties.read_atop4(atop / "atop-member-level.csv", atop / "atop-alliance-level.csv")
    return pd.read_parquet(PANEL), treaties.build_treaty_table(members, alliances)


def test_real_soviet_defence_strata(real):
    panel, tr = real
    cs, meta = tp.build_choice_sets(panel, tr, "defense")
    # independent count: Soviet original defence treaties, not a renewal of a USSR defence treaty,
    # with at least one original co-signatory at risk in the panel that year
    ussr = tr[(tr["member"] == F) & tr["original"] & (tr["defense"] == 1) & tr["signed_year"].between(1922, 1991)]
    prev_def = set(tr.loc[(tr["member"] == F) & (tr["defense"] == 1), "atopid"])
    ussr = ussr[~ussr["renews"].isin(prev_def)]
    co = tr[tr["original"] & (tr["member"] != F)].merge(ussr[["atopid"]], on="atopid")
    rows = panel[(panel["atop_defense"] == 0) | (panel["atop_defense_onset"] == 1)]
    hit = co.merge(rows, left_on=["member", "signed_year"], right_on=["ccode2", "year"])
    expected = sorted(hit["atopid"].unique())
    soviet = cs[cs["era"] == "soviet"]
    assert sorted(soviet["atopid"].unique()) == expected
    assert meta["per_era"]["soviet"]["strata"] == len(expected)
    assert soviet.groupby("stratum")["chosen"].sum().min() >= 1
    assert np.allclose(soviet[soviet["chosen"] == 1].groupby("stratum")["weight"].sum(), 1.0)
    assert not soviet.duplicated(["stratum", "ccode2"]).any()
    fy = tp.build_focal_year(panel, tr)
    sov = fy[fy["era"] == "soviet"]
    assert len(sov) == 70 and sov["new_defense"].notna().all()
    assert set(cs.loc[cs["era"] == "soviet", "year"]) <= set(sov.loc[sov["new_defense"] == 1, "year"])


def test_partners_of_a_same_year_sibling_treaty_leave_the_choice_set():
    """1945: treaties 100 (with 290) and 101 (with 310, 355) are signed the same
    year; 290 is not an alternative 101 passed over, nor 310 and 355 for 100."""
    ch, meta = tp.build_choice_sets(make_panel(), make_treaties(), "defense")
    s100 = set(ch.loc[ch["atopid"] == 100, "ccode2"])
    s101 = set(ch.loc[ch["atopid"] == 101, "ccode2"])
    assert 290 in s100 and not {310, 355} & s100
    assert {310, 355} <= s101 and 290 not in s101
    sib = {(d["atopid"], d["ccode"]) for d in meta["partners_chosen_by_a_sibling"]}
    assert {(100, 310), (100, 355), (101, 290)} <= sib
