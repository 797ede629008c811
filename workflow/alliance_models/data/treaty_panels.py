"""Treaty-level designs: a focal state-year table and conditional-logit choice sets.

Both read the directed dyad-year panel (:func:`.panel.build_dyad_year`) and the
ATOP 4.01 treaty table (:func:`.treaties.build_treaty_table`: one row per treaty
and member, with ``original``, ``adhesion``, ``renewal`` and the member's
obligations ``defense`` .. ``consul`` / ``any_obligation`` held in any phase).

Renewal of type k (defense, any). The treaty table's ``renewal`` is
obligation-blind (T renews S when both have the same original members and S
was in force when T was signed). With ``renewals="obligation"`` (default) T
is a type-k renewal for state F only when F also held a type-k obligation in
the treaty it renews (``renews``): a defence pact replacing a non-aggression
pact between the same states (USSR-France 1935, the Baltic pacts of 1939,
USSR-China 1945) is a new defence commitment, while still a renewal for
"any". ``renewals="treaty"`` uses the table's flag as it is.

Focal state-year table (:func:`build_focal_year`), one row per focal state
(``ccode``, each ccode1 of the panel) and year it has panel rows:

- ``new_defense`` / ``new_any``: 1 if the state is an ORIGINAL signatory of a
  treaty signed (``signed_year``) that year that is not a renewal of that
  type, holding a defence obligation / any obligation in it; ``n_new_defense``
  / ``n_new_any`` count such treaties; ``atopids_defense`` / ``atopids_any``
  list them ("3115;3120"; "" if none). Shown, not modelled:
  ``renewal_defense`` (1 if it signed, as an original signatory, a defence
  renewal holding a defence obligation) and ``adhesion_defense`` (1 if it
  joined a treaty by adhesion that year -- ``entry_year`` -- holding a
  defence obligation). All NaN outside the treaty data's years
  (``treaties.attrs['coverage']``, else 1815-2016); never missing inside.
- ``at_war``: 1 if the state took part in a COW inter-state war (v4.0) in
  year t or t-1 (a war-year row of the state on either side of
  :func:`.dyads.load_wars`), else 0; NaN for t outside 1816-2007 (t-1 = 1815
  counts as no war, as no system war data exist before 1816). Absent when
  ``wars`` is None.
- ``mids_targeted``: number of partners with ``mid_prior_init2 > 0``, i.e.
  distinct states that initiated (side A and originator) a MID against the
  focal state in the panel's window t-w .. t-1 (w = the panel's threat
  window, 5 by default); ``mids_targeted_force``: those with
  ``mid_prior_init2_hostlev >= 4``, i.e. such a dispute reached use of force
  (4) or war (5) by either side. NaN where any partner's value is NaN (the
  window's t-1 outside MID coverage: after 2015 for COW 5.0).
- ``n_rivals``: partners with ``tss_rival == 1`` (NaN where any tss_rival is
  NaN). ``rival_capability`` = log(sum over those rivals of exp(latent2) /
  exp(latent1)): the rivals' combined latent capability relative to the
  focal state's; NaN with no rival (undefined) -- use ``log1p_rival_ratio`` =
  log(1 + that ratio) in models, 0 with no rival. Both NaN where a rival's
  latent2 or the state's latent1 is missing (no state-year in the latent
  capability table), and all rival columns NaN where n_rivals is.
- ``rival_gain``: max over current rivals r of (latent2_t - latent2_{t-w}) -
  (latent1_t - latent1_{t-w}) (w = ``window``, 5), read from the panel row
  (F, r, t-w): the largest gain of a rival's latent capability relative to
  the focal state's. 0 with no rival. Rivals with no panel row at t-w (not a
  system member then, or before the panel starts) or missing latent values
  are left out of the max, and ``n_rivals_gain`` counts those that enter it;
  NaN when rivals exist and none has a known gain.
- ``since_defense``: years since the last year before t with new_defense = 1,
  or, before the first one, since the state's first panel year (0 in that
  year); history counts from that first year even across eras, so the Soviet
  clock runs on from tsarist signings. Only past years enter: a signing in t
  resets the clock from t+1. ``_sq`` and ``_cu`` are its square and cube
  (no scaling, as :func:`.panel.add_onset_clock`). NaN where new_defense is
  NaN. ``since_any`` (``_sq``, ``_cu``) the same for new_any.

Choice sets (:func:`build_choice_sets`), for obligation type ``defense``
(member column ``defense``) or ``any`` (``any_obligation``):

- one stratum per focal state F and treaty T in which F is an original
  signatory holding the obligation, signed in a year t in F's panel years,
  not a renewal of that type (unless ``keep_renewals``; ``renewal`` flags
  it): the panel rows (F, *, t) at risk,
  ``atop_<type> == 0 or atop_<type>_onset == 1`` (every state not already
  bound to F by that type in ATOP 5.1; NaN: not at risk). ``chosen`` = 1 for
  T's original co-signatories. A co-signatory already bound to F (ATOP 5.1
  in force in t without an onset: an older pact, or 5.1 dating this one
  earlier) is outside the risk set: listed in the meta, not chosen.
- with ``keep_adhesions``: a stratum (T, y) for every year y after T's
  signing year in which members adhere to a treaty T that F holds the
  obligation in and belongs to (entered before y, not exited before y):
  chosen = the new adherents; and one for each of F's own adhesions (T, y)
  holding the obligation: chosen = T's other members in force in y
  (``entry_year <= y``, ``exit_year`` NaN or >= y). Without it they are only
  listed. Adherents in T's signing year are not a later choice: listed as
  such. With ``keep_renewals`` False every stratum of a renewal treaty is left
  out (and listed).
- a partner chosen by another treaty the focal state signed as an original
  member in the same year (1948's four bilateral pacts, the three Baltic pacts
  of 1939, 2550 and 2555 in 1942) is not an alternative passed over: it
  leaves the sibling's choice set (listed in the meta as
  ``partners_chosen_by_a_sibling``).
- strata with no chosen partner in the risk set are dropped (reason: not in
  the panel, i.e. not a COW state pair that year, or not at risk) and listed.
- ``n_chosen``: chosen rows in the stratum; ``weight``: 1 / n_chosen on the
  chosen rows, 1 on the rest (a multilateral treaty's partners share one
  vote); ``multilateral``: the treaty is not bilateral (treaty table's
  ``bilateral``); ``stratum``: "<atopid>-<year>" ("<ccode1>-<atopid>-<year>"
  when the panel has several focal states, so strata of co-signing focal
  states stay apart).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..sources import require_columns
from . import dyads

OBLIGATION_COLUMNS = {"defense": "defense", "any": "any_obligation"}
TREATY_COLUMNS = ["atopid", "member", "signed_year", "entry_year", "exit_year", "original", "adhesion", "bilateral"]
TREATY_COLUMNS += ["defense", "any_obligation", "renewal"]
ATOP4_COVERAGE = (1815, 2016)
RENEWAL_RULES = ("obligation", "treaty")
PANEL_COLUMNS = ["ccode1", "ccode2", "year", "era", "focal_year", "tss_rival", "latent1", "latent2"]
PANEL_COLUMNS += ["mid_prior_init2", "mid_prior_init2_hostlev"]
_CLOCK = "years since the last {} signing before this year (or since the state's first panel year)"
FOCAL_YEAR_DOCS = {
    "ccode": "COW code of the focal state",
    "year": "calendar year",
    "era": "the panel's era of the focal state-year",
    "focal_year": "ccode * 10000 + year (as the panel's)",
    "new_defense": "1 if an original signatory of a new (not renewed) treaty with a defence obligation this year",
    "new_any": "1 if an original signatory of a new (not renewed) treaty with any obligation this year",
    "n_new_defense": "number of such defence treaties",
    "n_new_any": "number of such treaties with any obligation",
    "renewal_defense": "1 if it signed a renewal of a defence treaty with a defence obligation (not modelled)",
    "adhesion_defense": "1 if it joined a treaty with a defence obligation by adhesion (not modelled)",
    "atopids_defense": "ATOP ids of the new defence treaties ('a;b', '' if none)",
    "atopids_any": "ATOP ids of the new treaties with any obligation",
    "at_war": "1 if in a COW inter-state war in t or t-1; NaN after 2007",
    "mids_targeted": "states that initiated a MID against the focal state in the panel's window t-w .. t-1",
    "mids_targeted_force": "those whose dispute reached hostility level 4 or 5",
    "n_rivals": "number of TSS strategic rivals this year",
    "rival_capability": "log(sum of the rivals' exp(latent2) / exp(latent1)); NaN with no rival",
    "log1p_rival_ratio": "log(1 + that ratio): 0 with no rival",
    "rival_gain": "largest 5-year gain of a rival's latent capability relative to the focal state's; 0 with no rival",
    "n_rivals_gain": "rivals with a known 5-year gain (entering rival_gain)",
    "since_defense": _CLOCK.format("new defence"),
    "since_defense_sq": "since_defense squared",
    "since_defense_cu": "since_defense cubed",
    "since_any": _CLOCK.format("new (any obligation)"),
    "since_any_sq": "since_any squared",
    "since_any_cu": "since_any cubed",
}
FOCAL_YEAR_COLUMNS = list(FOCAL_YEAR_DOCS)
CHOICE_COLUMNS = ["atopid", "stratum", "chosen", "n_chosen", "weight", "multilateral", "renewal", "adhesion_stratum"]


def typed_treaties(treaties: pd.DataFrame, renewals: str = "obligation") -> pd.DataFrame:
    """The treaty table's columns used here, typed, with ``renewal_defense`` / ``renewal_any`` (module docstring)."""
    if renewals not in RENEWAL_RULES:
        raise ValueError(f"renewals must be one of {', '.join(RENEWAL_RULES)}, got {renewals!r}")
    require_columns(treaties, TREATY_COLUMNS + (["renews"] if renewals == "obligation" else []), "treaty table")
    t = treaties[TREATY_COLUMNS].reset_index(drop=True)
    for c in ("atopid", "member", "signed_year", "entry_year"):
        t[c] = t[c].astype("int64")
    for c in ("original", "adhesion", "bilateral", "renewal"):
        t[c] = t[c].fillna(False).astype(bool)
    for c in ("defense", "any_obligation"):
        t[c] = t[c].fillna(0).astype("int64")
    t["exit_year"] = t["exit_year"].astype("float64")
    prev = t[["atopid", "member", "defense", "any_obligation"]].astype({"atopid": "Int64"})
    if renewals == "obligation":
        renews = pd.DataFrame({"atopid": pd.array(treaties["renews"], dtype="Int64"), "member": t["member"]})
        prev = renews.merge(prev, on=["atopid", "member"], how="left")
    for k, col in OBLIGATION_COLUMNS.items():
        held = prev[col].fillna(0).to_numpy() == 1 if renewals == "obligation" else True
        t[f"renewal_{k}"] = t["renewal"].to_numpy() & held
    return t


def _per_year(rows: pd.DataFrame, year: str, name: str) -> pd.Series:
    """Distinct treaties per (member, year) of ``rows``."""
    return rows.groupby(["member", year])["atopid"].nunique().rename(name)


def _ids(rows: pd.DataFrame, name: str) -> pd.Series:
    g = rows.groupby(["member", "signed_year"])["atopid"]
    return g.agg(lambda s: ";".join(str(a) for a in sorted(set(s)))).rename(name)


def _clock(ccode: np.ndarray, year: np.ndarray, onset: np.ndarray) -> np.ndarray:
    """Years since the last onset before t (or since the state's first year); rows sorted by ccode, year."""
    out = np.full(len(year), np.nan)
    for c in np.unique(ccode):
        i = np.flatnonzero(ccode == c)
        y, o = year[i], onset[i]
        last = np.maximum.accumulate(np.where(o == 1, y, -1))
        before = np.r_[-1, last[:-1]]
        since = (y - np.where(before >= 0, before, y[0])).astype("float64")
        since[np.isnan(o)] = np.nan
        out[i] = since
    return out


def _group_sum(keys: pd.DataFrame, values: np.ndarray, nan_if_any: np.ndarray | None = None) -> pd.Series:
    """Sum of ``values`` per (ccode1, year); NaN where ``nan_if_any`` holds on some row."""
    df = keys.assign(v=values, bad=False if nan_if_any is None else nan_if_any)
    g = df.groupby(["ccode1", "year"], sort=True)
    s = g["v"].sum()
    return s.where(~g["bad"].any())


def _rival_terms(panel: pd.DataFrame, window: int) -> pd.DataFrame:
    keys = panel[["ccode1", "year"]]
    rival = panel["tss_rival"].to_numpy("float64")
    is_r = rival == 1
    l1, l2 = panel["latent1"].to_numpy("float64"), panel["latent2"].to_numpy("float64")
    n = _group_sum(keys, is_r.astype(float), np.isnan(rival))
    ratio = _group_sum(keys, np.where(is_r, np.exp(l2 - l1), 0.0), is_r & np.isnan(l2 - l1))
    lag = panel[["ccode1", "ccode2", "year", "latent1", "latent2"]].assign(year=panel["year"] + window)
    cur = panel.loc[is_r, ["ccode1", "ccode2", "year", "latent1", "latent2"]]
    j = cur.merge(lag, on=["ccode1", "ccode2", "year"], how="left", suffixes=("", "_lag"))
    j["gain"] = (j["latent2"] - j["latent2_lag"]) - (j["latent1"] - j["latent1_lag"])
    g = j.groupby(["ccode1", "year"])["gain"].agg(["max", "count"])
    out = pd.DataFrame({"n_rivals": n, "rival_ratio": ratio})
    out = out.join(g, how="left")
    none, known = out["n_rivals"] == 0, out["n_rivals"].notna()
    out["rival_capability"] = np.log(out["rival_ratio"].where(~none))
    out["log1p_rival_ratio"] = np.log1p(out["rival_ratio"].where(~none, 0.0))
    out["rival_gain"] = out["max"].where(~none, 0.0)
    out["n_rivals_gain"] = out["count"].fillna(0.0)
    cols = ["rival_capability", "log1p_rival_ratio", "rival_gain", "n_rivals_gain"]
    out[cols] = out[cols].where(known, np.nan)
    return out[["n_rivals", "rival_capability", "log1p_rival_ratio", "rival_gain", "n_rivals_gain"]]


def _at_war(ccode: np.ndarray, year: np.ndarray, wars: pd.DataFrame) -> np.ndarray:
    w = wars if "coverage" in wars.attrs else dyads.load_wars(wars)
    cov = w.attrs.get("coverage", dyads.WAR_COVERAGE)
    fought = set(zip(w["ccode1"].tolist(), w["year"].tolist())) | set(zip(w["ccode2"].tolist(), w["year"].tolist()))
    v = np.array([float((c, y) in fought or (c, y - 1) in fought) for c, y in zip(ccode.tolist(), year.tolist())])
    v[(year < cov[0]) | (year > cov[1])] = np.nan
    return v


def build_focal_year(
    panel: pd.DataFrame,
    treaties: pd.DataFrame,
    wars: pd.DataFrame | None = None,
    window: int = 5,
    renewals: str = "obligation",
) -> pd.DataFrame:
    """The focal state-year table (see the module docstring for every rule).

    ``panel``: the directed dyad-year panel; ``treaties``: the treaty table;
    ``wars``: raw COW inter-state war frame (``cow_war_inter.rda``) or
    :func:`.dyads.load_wars` output, None to leave out ``at_war``;
    ``window``: the lag (years) of ``rival_gain``; ``renewals``: "obligation"
    (a renewal of a treaty in which the state held the same obligation type)
    or "treaty" (the treaty table's obligation-blind ``renewal``). Rows
    sorted by ccode, year.
    """
    window = dyads._check_window(window)
    require_columns(panel, PANEL_COLUMNS, "panel")
    t = typed_treaties(treaties, renewals)
    cov = tuple(treaties.attrs.get("coverage", ATOP4_COVERAGE))
    p = panel.sort_values(["ccode1", "year", "ccode2"], kind="stable")
    g = p.groupby(["ccode1", "year"], sort=True)
    fy = pd.DataFrame({"era": g["era"].first(), "focal_year": g["focal_year"].first()})
    new = {k: t[t["original"] & ~t[f"renewal_{k}"] & (t[c] == 1)] for k, c in OBLIGATION_COLUMNS.items()}
    parts = [
        _per_year(new["defense"], "signed_year", "n_new_defense"),
        _per_year(new["any"], "signed_year", "n_new_any"),
        _per_year(t[t["original"] & t["renewal_defense"] & (t["defense"] == 1)], "signed_year", "renewal_defense"),
        _per_year(t[t["adhesion"] & (t["defense"] == 1)].rename(columns={"entry_year": "y"}), "y", "adhesion_defense"),
    ]
    for part in parts:
        part.index = part.index.set_names(["ccode1", "year"])
        fy = fy.join(part, how="left")
    year = fy.index.get_level_values("year").to_numpy()
    out_cov = (year < cov[0]) | (year > cov[1])
    for c in ("n_new_defense", "n_new_any", "renewal_defense", "adhesion_defense"):
        fy[c] = fy[c].fillna(0.0).astype("float64").where(~out_cov)
    fy["renewal_defense"] = (fy["renewal_defense"] > 0).astype("float64").where(~out_cov)
    fy["adhesion_defense"] = (fy["adhesion_defense"] > 0).astype("float64").where(~out_cov)
    for k in ("defense", "any"):
        fy[f"new_{k}"] = (fy[f"n_new_{k}"] > 0).astype("float64").where(~out_cov)
        ids = _ids(new[k], f"atopids_{k}")
        ids.index = ids.index.set_names(["ccode1", "year"])
        fy = fy.join(ids, how="left")
        fy[f"atopids_{k}"] = fy[f"atopids_{k}"].fillna("").astype("str")
    ccode = fy.index.get_level_values("ccode1").to_numpy("int64")
    if wars is not None:
        fy["at_war"] = _at_war(ccode, year, wars)
    keys = p[["ccode1", "year"]]
    init2 = p["mid_prior_init2"].to_numpy("float64")
    host = p["mid_prior_init2_hostlev"].to_numpy("float64")
    fy["mids_targeted"] = _group_sum(keys, (init2 > 0).astype(float), np.isnan(init2))
    fy["mids_targeted_force"] = _group_sum(keys, ((init2 > 0) & (host >= 4)).astype(float), np.isnan(init2 + host))
    fy = fy.join(_rival_terms(p, window), how="left")
    for k in ("defense", "any"):
        s = _clock(ccode, year, fy[f"new_{k}"].to_numpy("float64"))
        fy[f"since_{k}"], fy[f"since_{k}_sq"], fy[f"since_{k}_cu"] = s, s**2, s**3
    fy = fy.reset_index().rename(columns={"ccode1": "ccode"})
    fy["ccode"] = fy["ccode"].astype("int64")
    fy["year"] = fy["year"].astype("int64")
    return fy[[c for c in FOCAL_YEAR_COLUMNS if c in fy.columns]]


def _yearly(fy: pd.DataFrame, col: str) -> list[int]:
    return [int(y) for y in fy.loc[fy[col] == 1, "year"]]


def focal_year_meta(fy: pd.DataFrame) -> dict:
    """Per focal state and era: years, signing years, treaties and missing values per column."""
    out = []
    era = fy["era"].astype("object").where(fy["era"].notna(), "(none)")
    for (c, e), rows in fy.groupby([fy["ccode"], era], sort=True):
        treaties = {}
        for k in ("defense", "any"):
            ids = sorted({int(a) for s in rows[f"atopids_{k}"] for a in str(s).split(";") if a})
            treaties[k] = ids
        missing = rows.isna().sum()
        out.append(
            {
                "ccode": int(c),
                "era": str(e),
                "years": int(len(rows)),
                "first_year": int(rows["year"].min()),
                "last_year": int(rows["year"].max()),
                "new_defense_years": _yearly(rows, "new_defense"),
                "new_any_years": _yearly(rows, "new_any"),
                "n_new_defense": int(np.nansum(rows["n_new_defense"])),
                "n_new_any": int(np.nansum(rows["n_new_any"])),
                "treaties_defense": treaties["defense"],
                "treaties_any": treaties["any"],
                "missing": {str(k): int(v) for k, v in missing.items() if v},
            }
        )
    return {"unit": "focal state-year", "rows": int(len(fy)), "groups": out}


def _in_force(rows: pd.DataFrame, y: int) -> pd.Series:
    return (rows["entry_year"] <= y) & (rows["exit_year"].isna() | (rows["exit_year"] >= y))


def _candidates(t: pd.DataFrame, focal: int, obligation: str) -> list[dict]:
    """Every potential stratum of ``focal``: original signings and adhesions (own and others')."""
    mine = t[(t["member"] == focal) & (t[OBLIGATION_COLUMNS[obligation]] == 1)]
    out = []
    info = t.groupby("atopid").agg(signed=("signed_year", "min"), bilateral=("bilateral", "all"))
    for a in sorted(mine.loc[mine["original"], "atopid"].unique()):
        rows = t[t["atopid"] == a]
        chosen = set(rows.loc[rows["original"], "member"].tolist()) - {focal}
        out.append({"atopid": int(a), "year": int(info.at[a, "signed"]), "chosen": chosen, "kind": "original"})
    for a in sorted(mine["atopid"].unique()):
        rows, f = t[t["atopid"] == a], mine[mine["atopid"] == a]
        signed = int(info.at[a, "signed"])
        adh = rows[rows["adhesion"] & (rows["member"] != focal)]
        for y, new in adh.groupby("entry_year"):
            y = int(y)
            if not ((f["entry_year"] < y) & (f["exit_year"].isna() | (f["exit_year"] >= y))).any():
                continue
            kind = "adhesion" if y > signed else "adhesion_in_signing_year"
            out.append({"atopid": int(a), "year": y, "chosen": set(new["member"].tolist()), "kind": kind})
        for y in sorted(set(f.loc[f["adhesion"], "entry_year"].tolist())):
            y = int(y)
            chosen = set(rows.loc[_in_force(rows, y), "member"].tolist()) - {focal}
            out.append({"atopid": int(a), "year": y, "chosen": chosen, "kind": "own_adhesion"})
    for c in out:
        c["focal"] = focal
        c["renewal"] = bool(mine.loc[mine["atopid"] == c["atopid"], f"renewal_{obligation}"].any())
        c["multilateral"] = not bool(info.at[c["atopid"], "bilateral"])
    return out


def _entry(c: dict, partners=None, **extra) -> dict:
    return {
        "focal": int(c["focal"]),
        "atopid": int(c["atopid"]),
        "year": int(c["year"]),
        "partners": sorted(int(x) for x in (c["chosen"] if partners is None else partners)),
        **extra,
    }


def _partner(c: dict, ccode: int) -> dict:
    return {"focal": int(c["focal"]), "atopid": int(c["atopid"]), "year": int(c["year"]), "ccode": int(ccode)}


def build_choice_sets(
    panel: pd.DataFrame,
    treaties: pd.DataFrame,
    obligation: str = "defense",
    keep_adhesions: bool = False,
    keep_renewals: bool = False,
    renewals: str = "obligation",
) -> tuple[pd.DataFrame, dict]:
    """Conditional-logit choice sets and their meta (see the module docstring for the rules).

    Returns the panel's rows in each kept stratum with CHOICE_COLUMNS added
    (sorted by ccode1, year, atopid, ccode2) and a plain-Python dict: counts
    (overall and per era), partners not in the panel or not at risk, dropped
    strata with reasons, renewals and adhesions left out, and the kept
    treaties.
    """
    if obligation not in OBLIGATION_COLUMNS:
        raise ValueError(f"obligation must be one of {', '.join(OBLIGATION_COLUMNS)}, got {obligation!r}")
    atop = [f"atop_{obligation}", f"atop_{obligation}_onset"]
    require_columns(panel, ["ccode1", "ccode2", "year", "era", *atop], "panel")
    t = typed_treaties(treaties, renewals)
    c1, c2, yr = dyads._keys(panel, "build_choice_sets")
    risk = (panel[atop[0]].to_numpy("float64") == 0) | (panel[atop[1]].to_numpy("float64") == 1)
    cells = pd.DataFrame({"c": c1, "y": yr}).groupby(["c", "y"]).indices
    era = panel["era"].astype("object").where(panel["era"].notna(), "(none)").to_numpy()
    several = len(np.unique(c1)) > 1
    meta = {"obligation": obligation, "keep_adhesions": bool(keep_adhesions), "keep_renewals": bool(keep_renewals)}
    meta["renewals"] = renewals
    lists = {k: [] for k in ("partners_not_in_panel", "partners_not_at_risk", "dropped", "renewals_left_out")}
    lists["partners_chosen_by_a_sibling"] = []
    lists |= {"adhesions_left_out": [], "treaties": []}
    parts, seen = [], set()
    for focal in sorted(int(c) for c in np.unique(c1)):
        cands = _candidates(t, focal, obligation)
        # partners chosen by another treaty the focal state signed the same
        # year were not passed over: they leave each other's choice sets
        signed: dict[int, list[set]] = {}
        for c in cands:
            if c["kind"] == "original":
                signed.setdefault(c["year"], []).append(c["chosen"])
        for c in cands:
            siblings = set().union(*[s for s in signed.get(c["year"], []) if s is not c["chosen"]]) - c["chosen"]
            if c["renewal"] and not keep_renewals:
                lists["renewals_left_out"].append(_entry(c, kind=c["kind"]))
                continue
            if c["kind"] != "original" and not (keep_adhesions and c["kind"] in ("adhesion", "own_adhesion")):
                lists["adhesions_left_out"].append(_entry(c, kind=c["kind"]))
                continue
            idx = cells.get((focal, c["year"]))
            if idx is None:
                lists["dropped"].append(_entry(c, kind=c["kind"], reason="year not in the focal state's panel"))
                continue
            partner = c2[idx]
            absent = sorted(c["chosen"] - set(partner.tolist()))
            lists["partners_not_in_panel"] += [_partner(c, p) for p in absent]
            bound = [int(p) for p, r in zip(partner, risk[idx]) if p in c["chosen"] and not r]
            lists["partners_not_at_risk"] += [_partner(c, p) for p in bound]
            sib = np.isin(c2[idx], list(siblings)) & risk[idx]
            lists["partners_chosen_by_a_sibling"] += [_partner(c, p) for p in c2[idx][sib]]
            keep = idx[risk[idx] & ~sib]
            chosen = np.isin(c2[keep], list(c["chosen"]))
            if not chosen.any():
                why = "no chosen partner at risk" if bound else "no chosen partner in the panel"
                lists["dropped"].append(_entry(c, kind=c["kind"], reason=why))
                continue
            sid = f"{focal}-{c['atopid']}-{c['year']}" if several else f"{c['atopid']}-{c['year']}"
            if sid in seen:
                raise ValueError(f"build_choice_sets: stratum {sid} built twice")
            seen.add(sid)
            k = int(chosen.sum())
            rows = panel.iloc[keep].copy()
            new = {
                "atopid": np.full(len(keep), c["atopid"], dtype="int64"),
                "stratum": sid,
                "chosen": chosen.astype("int64"),
                "n_chosen": np.full(len(keep), k, dtype="int64"),
                "weight": np.where(chosen, 1.0 / k, 1.0),
                "multilateral": c["multilateral"],
                "renewal": c["renewal"],
                "adhesion_stratum": c["kind"] != "original",
            }
            parts.append(rows.assign(**new))
            lists["treaties"].append(
                {
                    **_entry(c, c2[keep][chosen]),
                    "era": str(era[keep[0]]),
                    "n_chosen": k,
                    "multilateral": c["multilateral"],
                    "kind": c["kind"],
                    "stratum": sid,
                }
            )
    cols = list(panel.columns) + CHOICE_COLUMNS
    if parts:
        out = pd.concat(parts, ignore_index=True)
    else:
        out = panel.iloc[:0].assign(**{c: pd.Series(dtype="float64") for c in CHOICE_COLUMNS})
    out = out.sort_values(["ccode1", "year", "atopid", "ccode2"], kind="stable").reset_index(drop=True)[cols]
    out["stratum"] = out["stratum"].astype("str")
    for c in ("multilateral", "renewal", "adhesion_stratum"):
        out[c] = out[c].astype(bool)
    e = out["era"].astype("object").where(out["era"].notna(), "(none)")
    per_era = {
        str(k): {"strata": int(g["stratum"].nunique()), "rows": int(len(g)), "chosen": int(g["chosen"].sum())}
        for k, g in out.groupby(e, sort=True)
    }
    meta |= {"strata": int(out["stratum"].nunique()), "rows": int(len(out)), "chosen": int(out["chosen"].sum())}
    meta |= {"per_era": per_era, **lists}
    return out, meta
