"""Directed dyad-year panel for a set of focal states (issue 5).

One row per directed dyad-year (ccode1 = focal state, ccode2 = any other COW
system member, year) in which both states are COW system members, taken from
peacesciencer's ``cow_ddy`` (which also drops "false" dyads whose members
were never in the system on the same day). Columns come from the verbs in
:mod:`.dyads`; this module adds the alliance clock, which needs each dyad's
history:

- ``atop_since_onset``: years since the dyad's last alliance onset (any type)
  before the current year, or since the dyad's first year in the system if it
  had none (Carter & Signorino 2010); 0 in the dyad's first year. History is
  counted from 1816 even when the panel starts later, so a later start does
  not restart the clock. ``_sq`` and ``_cu`` are its square and cube. NaN
  where ATOP has no data (after 2018).

Alliance onset and termination are defined in
:func:`.dyads.add_atop_transitions` from ATOP's own previous/next year, so a
dyad entering the system with an alliance ATOP starts that year has an onset
in its first year.

Eras and decisions (this module):

- ``era``: the named year range of the focal state's history the row falls
  in (config key ``panel.eras``: for Russia/USSR, 365, ``tsarist``
  1816-1917, ``soviet`` 1922-1991, ``federation`` from 1992); ``all`` for a
  focal state without declared eras; missing for a declared state's years in
  no era (Russia 1918-1921, the civil war).
- ``focal_year`` (ccode1 * 10000 + year) and ``decision_id``: ATOP's
  dyad-years carry no treaty id, and one multilateral instrument is many
  dyad onsets (the USSR's 18 defence-pact onsets of 1942 are mostly the
  signatories of the Declaration by United Nations). All onsets of one
  focal state with one obligation type in one year are taken as one
  decision: ``decision_id`` ("365-1942") on every row with an onset of some
  obligation type; the decision of an obligation type is its onset rows' decision_id.
  ``decision_size_<type>`` (defense, any) is the number of such onsets of
  the focal state that year, on every row of the focal state-year;
  ``largest_decision_<type>`` flags the rows of the focal state-years with
  the largest multilateral cluster of their era (at least two onsets; ties
  all flagged), which a sensitivity model drops.
"""

from __future__ import annotations

import logging
import os

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..provenance import table_meta
from ..sources import read_rda, read_source, require_columns
from . import dyads
from .states import known_codes, load_system

log = logging.getLogger(__name__)

KEYS = dyads.KEYS
FOCAL_KEYWORDS = ("all", "majors")
MID_SOURCES = {"cow": "cow_mid_directed", "gml": "gml_mid"}
# input name in the rule -> source name in config/sources.yaml
INPUT_SOURCES = {
    "atop": "atop",
    "cow_ddy": "cow_ddy",
    "cow_states": "cow_states",
    "cow_majors": "cow_majors",
    "contiguity": "contiguity",
    "mindist": "mindist",
    "capitals": "capitals",
    "tss": "tss_rivalries",
    "td": "td_rivalries",
    "terrthreat": "terrthreat",
    "wars": "cow_war_inter",
}
DECISION_TYPES = ("defense", "any")
CLOCK = ["atop_since_onset", "atop_since_onset_sq", "atop_since_onset_cu"]

COLUMN_DOCS = {
    "ccode1": "COW code of the focal state",
    "ccode2": "COW code of the partner state",
    "year": "calendar year",
    "dyad_id": "ccode1 * 1000 + ccode2: one id per directed dyad (for clustering)",
    **{
        f"atop_{t}": f"1 if an ATOP 5.1 {t} obligation is in force between the two (see atop_directed); NaN after 2018"
        for t in dyads.ATOP_TYPES
    },
    "atop_any": "1 if any of the five ATOP obligations is in force",
    **{f"{c}_onset": f"1 in the first year {c} is in force after a year (ATOP, t-1) without" for c in dyads.ATOP_ALL},
    **{f"{c}_end": f"1 in the last year {c} is in force (not in force in t+1); NaN in 2018" for c in dyads.ATOP_ALL},
    "atop_since_onset": "years since the last atop_any onset before this year, or since the dyad entered the system",
    "atop_since_onset_sq": "atop_since_onset squared",
    "atop_since_onset_cu": "atop_since_onset cubed",
    "cinc1": "CINC of ccode1 (share of system capabilities, 0-1)",
    "cinc2": "CINC of ccode2",
    "cinc_ratio": "cinc1 / cinc2",
    "log_cinc_ratio": "log(cinc1 / cinc2)",
    "cinc_prop": "weaker / stronger CINC, in (0, 1]",
    "bremer_cat": "stronger/weaker CINC ratio: parity (<= 3), medium (3-10], preponderance (> 10)",
    "gdp1": "GDP of ccode1, millions of 2011 int'l $ (Maddison 2023)",
    "gdp2": "GDP of ccode2, millions of 2011 int'l $",
    "gdp_ratio": "gdp1 / gdp2",
    "log_gdp_ratio": "log(gdp1 / gdp2)",
    "milex1": "military expenditure of ccode1, thousands (GBP before 1914, current USD from 1914)",
    "milex2": "military expenditure of ccode2, same unit as milex1",
    "milex_ratio": "milex1 / milex2; NaN if either is missing or 0",
    "log_milex_ratio": "log(milex1 / milex2)",
    **{
        f"log_{c}_ratio_change5": f"log_{c}_ratio at t minus at t-5 (negative: a narrowing gap when ccode1 is stronger)"
        + ("; NaN across the 1914 currency switch" if c == "milex" else "")
        for c in ("cinc", "gdp", "milex")
    },
    "latent1": "latent log capability of ccode1: posterior mean of the measurement model (CINC, GDP, milex; "
    "data/processed/latent_capability.parquet), on the log-CINC scale",
    "latent2": "latent log capability of ccode2",
    "latent_sd1": "posterior sd of latent1",
    "latent_sd2": "posterior sd of latent2",
    "log_latent_ratio": "latent1 - latent2: the latent log capability ratio",
    "log_latent_ratio_sd": "its posterior sd, sqrt(latent_sd1^2 + latent_sd2^2)",
    "tpop1": "population of ccode1, thousands (NMC)",
    "tpop2": "population of ccode2, thousands (NMC)",
    "mid_prior": "1 if a MID between the two in the window t-w .. t-1",
    "mid_prior_count": "number of distinct MIDs between the two in the window",
    "mid_prior_hostlev": "highest hostility level (1-5) in them; 0 if none",
    "mid_prior_init2": "number of them that ccode2 initiated (side A and originator)",
    "mid_prior_init2_hostlev": "highest hostility level in those; 0 if none",
    "tss_rival": "1 if the two are strategic rivals this year (Thompson, Sakuwa & Suhas 2022)",
    **{f"tss_{t}": f"1 if their ongoing TSS rivalry is {t}" for t in dyads.TSS_TYPES},
    "td_rival": "1 if the two are strategic rivals this year (Thompson & Dreyer 2011); NaN after 2010",
    "conttype": "COW direct contiguity: 0 none, 1 land, 2-5 water <= 12/24/150/400 miles; NaN outside 1816-2016",
    "mindist": "minimum distance between the two, km (cshapes); NaN before 1886",
    "log1p_mindist": "log(1 + mindist): 0 for contiguous states",
    "capdist": "great-circle distance between the two capitals, km (peacesciencer cow_capitals)",
    "dist": "minimum distance with its gaps filled (dist_source): cshapes; 0 for land contiguity; the pair's "
    "cshapes value in the nearest year within 5; else the capitals' distance",
    "log1p_dist": "log(1 + dist): the distance the models use",
    "dist_source": "where dist comes from: cshapes, land contiguity, 'cshapes, nearest year', capitals; '' if none",
    "major1": "1 if ccode1 is a COW major power this year",
    "major2": "1 if ccode2 is a COW major power this year",
    "terrthreat1": "latent external territorial threat of ccode1 (Miller 2022); NaN after 2010",
    "terrthreat2": "latent external territorial threat of ccode2",
    "common_mid_states": "third states both had a MID with in the window",
    "common_mid_max_cinc": "largest CINC (year t-1) among those third states; NaN if none",
    "common_rival": "1 if both have a TSS rivalry with the same third state this year",
    "cobelligerent": "1 if the two fought on the same side of a MID (COW MID 5.0) or inter-state war (COW 4.0) in "
    "the window t-w .. t-1, in a dispute or war in which they never fought each other",
    "common_enemy": "number of third states on the side opposite to both in such a dispute or war in the window "
    "(side-aware; common_mid_states is its side-blind sensitivity)",
    "partner_allied_with_rival": "1 if ccode2 held an ATOP defence pledge in force in t-1 with a state that was "
    "ccode1's TSS strategic rival in t-1",
    "polity2_1": "Polity5 polity2 of ccode1 (-10 autocracy .. 10 democracy; -66 interruption -> missing, -77 "
    "interregnum -> 0, -88 transition prorated, as Polity5 converts them)",
    "polity2_2": "Polity5 polity2 of ccode2",
    "polity_diff": "|polity2_1 - polity2_2|, 0-20: regime dissimilarity",
    "polity_missing": "1 where polity_diff is missing (either side without a Polity5 score), else 0",
    "polity_diff_filled": "polity_diff, 0 where missing: use with polity_missing (the missing-indicator method)",
    "era": "named era of ccode1's history this year (config panel.eras; 'all' where none are declared; missing "
    "in a declared state's years outside every era)",
    "focal_year": "ccode1 * 10000 + year: one id per focal state-year (group term for decision-year shocks)",
    "decision_id": "'<ccode1>-<year>' on rows with an onset of some ATOP obligation type: the onsets of one "
    "focal state with one obligation type in one year are one decision",
    **{
        f"decision_size_{t}": f"number of atop_{t}_onset onsets of ccode1 this year (the size of its decision); "
        "on every row of the focal state-year"
        for t in DECISION_TYPES
    },
    **{
        f"largest_decision_{t}": f"1 on the rows of the focal state-year(s) with the era's largest atop_{t} "
        "onset cluster (at least 2 onsets; ties all flagged), else 0"
        for t in DECISION_TYPES
    },
}
COLUMNS = list(COLUMN_DOCS)


# --------------------------------------------------------------------------
# focal sets and configuration


def _years(years) -> tuple[int, int]:
    if isinstance(years, dict):
        return int(years["start"]), int(years["end"])
    start, end = years
    return int(start), int(end)


def major_codes(majors: pd.DataFrame, years) -> list[int]:
    """COW codes with a major-power spell touching the years."""
    start, end = _years(years)
    require_columns(majors, ["ccode", "styear", "endyear"], "cow_majors")
    m = majors[(majors["styear"] <= end) & (majors["endyear"] >= start)]
    return sorted(int(c) for c in m["ccode"].unique())


def resolve_focal_set(
    name_or_codes,
    spells: pd.DataFrame,
    majors: pd.DataFrame | None,
    years,
    key: str = "panel.focal_sets",
    years_key: str = "panel.years",
) -> list[int]:
    """Sorted COW codes of a focal set: a list of codes, "majors" or "all".

    "all" = every state that is a system member in some year of ``years``;
    "majors" = every state with a COW major-power spell in those years (its
    rows cover all its membership years; use major1 to restrict). Raises
    ConfigError naming ``key`` for a code that is not a COW state or never a
    member in the years, and naming ``years_key`` for a year range outside the
    membership data (``spells`` from :func:`.states.load_system`).
    """
    start, end = _years(years)
    lo, hi = int(spells["start_year"].min()), int(spells["end_year"].max())
    if start > end:
        raise ConfigError(f"config: key '{years_key}': start {start} is after end {end}")
    if start < lo or end > hi:
        raise ConfigError(f"config: key '{years_key}': {start}-{end} lies outside the COW membership data ({lo}-{hi})")
    live = spells[(spells["start_year"] <= end) & (spells["end_year"] >= start)]
    if isinstance(name_or_codes, str):
        if name_or_codes == "all":
            return sorted(int(c) for c in live["ccode"].unique())
        if name_or_codes == "majors":
            if majors is None:
                raise ConfigError(f"config: key '{key}': 'majors' needs the COW major-power list (cow_majors)")
            return major_codes(majors, (start, end))
        raise ConfigError(
            f"config: key '{key}': {name_or_codes!r} is not a focal set; use a list of COW codes, 'majors' or 'all'"
        )
    try:
        codes = [int(c) for c in name_or_codes]
        if any(isinstance(c, bool) or int(c) != c for c in name_or_codes):
            raise ValueError
    except (TypeError, ValueError):
        raise ConfigError(f"config: key '{key}': expected a list of COW codes, got {name_or_codes!r}") from None
    if not codes:
        raise ConfigError(f"config: key '{key}': the list of COW codes is empty")
    unknown = [c for c in codes if c not in known_codes(spells)]
    if unknown:
        raise ConfigError(
            f"config: key '{key}': {', '.join(map(str, unknown))} is not a COW state code (COW State System v2016)"
        )
    absent = [c for c in codes if c not in set(live["ccode"])]
    if absent:
        raise ConfigError(
            f"config: key '{key}': state(s) {', '.join(map(str, absent))} not a system member in {start}-{end}"
        )
    return sorted(set(codes))


ERA_ALL = "all"


def check_eras(
    eras: dict | None, spells: pd.DataFrame | None = None, key: str = "panel.eras", where: str = "config"
) -> dict:
    """Normalise config key ``panel.eras`` to {ccode: {name: (start, end)}}.

    ``eras`` maps a COW code (as a YAML integer or string) to named year
    ranges ``[start, end]`` (end null: open). A ConfigError names the key
    for a code that is not a COW state (when ``spells``, COW membership, is
    given), an era name that is not a lowercase identifier or is the
    reserved 'all', a range with start after end, or two overlapping eras of
    one state. ``where`` names the file that sets the key."""
    out: dict[int, dict[str, tuple[int, int]]] = {}
    for code, named in (eras or {}).items():
        try:
            c = int(code)
            if isinstance(code, bool) or str(c) != str(code).strip():
                raise ValueError
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: key '{key}': {code!r} is not a COW state code") from None
        at = f"{key}.{c}"
        if spells is not None and c not in known_codes(spells):
            raise ConfigError(f"{where}: key '{at}': {c} is not a COW state code (COW State System v2016)")
        if not isinstance(named, dict) or not named:
            raise ConfigError(f"{where}: key '{at}': expected a mapping of era names to [start, end]")
        ranges = {}
        for name, rng in named.items():
            if not isinstance(name, str) or not name.isidentifier() or name != name.lower() or name == ERA_ALL:
                raise ConfigError(
                    f"{where}: key '{at}': era name {name!r} must be a lowercase identifier other "
                    f"than '{ERA_ALL}' (which names the whole history of a state without eras)"
                )
            ok = (
                isinstance(rng, (list, tuple))
                and len(rng) == 2
                and all(v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in rng)
                and rng[0] is not None
            )
            if not ok:
                raise ConfigError(
                    f"{where}: key '{at}.{name}': expected [start, end] years (end may be null), got {rng!r}"
                )
            start, end = int(rng[0]), 9999 if rng[1] is None else int(rng[1])
            if start > end:
                raise ConfigError(f"{where}: key '{at}.{name}': start {start} is after end {end}")
            ranges[name] = (start, end)
        spans = sorted(ranges.items(), key=lambda kv: kv[1])
        for (n1, (s1, e1)), (n2, (s2, e2)) in zip(spans, spans[1:]):
            if s2 <= e1:
                raise ConfigError(
                    f"{where}: key '{at}': eras '{n1}' ({s1}-{e1}) and '{n2}' ({s2}-{'' if e2 == 9999 else e2}) overlap"
                )
        out[c] = ranges
    return out


def era_names(eras: dict) -> set[str]:
    """Every era name a model may select: the declared ones and 'all'."""
    return {n for named in check_eras(eras).values() for n in named} | {ERA_ALL}


def set_eras(eras: dict | None, codes) -> dict:
    """The part of config key ``panel.eras`` a focal set's panel reads: the
    eras of its focal states (``codes``: the resolved set; None when it could
    not be resolved before the run, then every declared era). A panel's
    parameters are what changes its bytes, so declaring the eras of another
    focal state does not rebuild this panel and everything downstream."""
    if codes is None:
        return dict(eras or {})
    keep = {int(c) for c in codes}
    return {k: v for k, v in (eras or {}).items() if int(k) in keep}


def assign_eras(ccode: np.ndarray, year: np.ndarray, eras: dict) -> np.ndarray:
    """The era of each (ccode, year) (object array): the declared era's name,
    'all' for a state without eras, None for a declared state's year in no
    era."""
    eras = check_eras(eras)
    out = np.full(len(ccode), ERA_ALL, dtype=object)
    for c, named in eras.items():
        mine = ccode == c
        out[mine] = None
        for name, (start, end) in named.items():
            out[mine & (year >= start) & (year <= end)] = name
    return out


def add_decisions(panel: pd.DataFrame, eras: dict | None = None) -> pd.DataFrame:
    """Add era, focal_year, decision_id, decision_size_<type> and
    largest_decision_<type> (see the module docstring)."""
    c1, _, y = dyads._keys(panel, "add_decisions")
    era = assign_eras(c1, y, eras or {})
    focal_year = c1 * 10000 + y
    # a row with an onset of any obligation type (a defence pact added to a
    # standing non-aggression pact is a defence onset, not an atop_any onset)
    any_onset = (panel[[f"{t}_onset" for t in dyads.ATOP_ALL]].to_numpy("float64") == 1).any(axis=1)
    decision = np.full(len(panel), None, dtype=object)
    decision[any_onset] = [f"{c}-{t}" for c, t in zip(c1[any_onset], y[any_onset])]
    new = {
        "era": pd.array(era, dtype="string"),
        "focal_year": focal_year,
        "decision_id": pd.array(decision, dtype="string"),
    }
    for t in DECISION_TYPES:
        onset = np.nan_to_num(panel[f"atop_{t}_onset"].to_numpy("float64")) == 1
        ids, inv = np.unique(focal_year, return_inverse=True)
        size = np.bincount(inv, weights=onset.astype(float), minlength=len(ids))
        row_size = size[inv]
        largest = np.zeros(len(panel))
        keys = pd.DataFrame({"c": c1, "era": era, "size": row_size}).fillna({"era": "__none__"})
        top = keys.groupby(["c", "era"])["size"].transform("max").to_numpy()
        largest[(row_size == top) & (row_size >= 2) & keys["era"].ne("__none__").to_numpy()] = 1.0
        new[f"decision_size_{t}"] = row_size
        new[f"largest_decision_{t}"] = largest
    return dyads._attach(panel, new, "add_decisions")


def decision_counts(panel: pd.DataFrame) -> list[dict]:
    """Per focal state, era and obligation type: onsets and decisions (distinct
    focal state-years with an onset of that type), for the panel's meta."""
    out = []
    era = panel["era"].astype("object").where(panel["era"].notna(), "(none)")
    for t in dyads.ATOP_ALL:
        on = panel[f"{t}_onset"].to_numpy("float64") == 1
        g = pd.DataFrame(
            {"focal": panel["ccode1"].to_numpy()[on], "era": era.to_numpy()[on], "year": panel["year"].to_numpy()[on]}
        )
        for (c, e), rows in g.groupby(["focal", "era"], sort=True):
            out.append(
                {
                    "focal": int(c),
                    "era": str(e),
                    "type": t.removeprefix("atop_"),
                    "onsets": int(len(rows)),
                    "decisions": int(rows["year"].nunique()),
                }
            )
    return out


def check_panel_config(
    panel: dict, states_path=None, majors_path=None, eras_where: str = "config"
) -> dict[str, list[int] | None]:
    """Check config key ``panel`` before any job runs; resolve its focal sets.

    ``build`` must name sets in ``focal_sets``. When the COW membership file
    (``states_path``) is at hand, every set is resolved (bad code or year
    range -> ConfigError naming the key); otherwise only the names are checked
    and the sets map to None (the rule resolves them again from its input).
    ``panel.eras`` is checked too (:func:`check_eras`; its COW codes only
    with the membership file), ``eras_where`` naming the file that sets it.
    """
    sets = panel["focal_sets"]
    for name in panel["build"]:
        if name not in sets:
            raise ConfigError(
                f"config: key 'panel.build': {name!r} is not in panel.focal_sets (defined: {', '.join(sets)})"
            )
    if panel["mid_source"] not in MID_SOURCES:
        raise ConfigError(f"config: key 'panel.mid_source': must be one of {', '.join(MID_SOURCES)}")
    out: dict[str, list[int] | None] = {name: None for name in sets}
    if states_path is None or not os.path.exists(states_path):
        check_eras(panel.get("eras"), where=eras_where)
        return out
    spells = load_system(states_path)
    check_eras(panel.get("eras"), spells, where=eras_where)
    majors = read_rda(majors_path, "cow_majors") if majors_path and os.path.exists(majors_path) else None
    for name, spec in sets.items():
        if spec == "majors" and majors is None:
            continue
        out[name] = resolve_focal_set(spec, spells, majors, panel["years"], key=f"panel.focal_sets.{name}")
    return out


# --------------------------------------------------------------------------
# the panel


def clean_ddy(raw: pd.DataFrame, path: str = "cow_ddy.rda") -> pd.DataFrame:
    """cow_ddy as int64 ccode1, ccode2, year, sorted."""
    require_columns(raw, KEYS, path)
    out = pd.DataFrame({c: raw[c].to_numpy("int64") for c in KEYS})
    key = dyads.dyad_key(out["ccode1"], out["ccode2"], out["year"])
    if key.size > 1 and not (key[1:] > key[:-1]).all():
        out = out.iloc[np.argsort(key, kind="stable")].reset_index(drop=True)
    return out


def dyad_skeleton(cow_ddy: pd.DataFrame, focal, years) -> pd.DataFrame:
    """Directed dyad-years of ``cow_ddy`` with ccode1 in ``focal`` ("all" or
    None = every state) and year in ``years``; sorted by ccode1, ccode2, year."""
    start, end = _years(years)
    ddy = cow_ddy if all(cow_ddy[c].dtype == "int64" for c in KEYS) else clean_ddy(cow_ddy)
    y = ddy["year"].to_numpy()
    keep = (y >= start) & (y <= end)
    if not (focal is None or (isinstance(focal, str) and focal == "all")):
        keep &= np.isin(ddy["ccode1"].to_numpy(), np.asarray(list(focal), dtype="int64"))
    out = ddy.loc[keep, KEYS].reset_index(drop=True)
    key = dyads.dyad_key(out["ccode1"], out["ccode2"], out["year"])
    if key.size > 1 and not (np.diff(key) > 0).all():
        order = np.argsort(key, kind="stable")
        out = out.iloc[order].reset_index(drop=True)
        key = key[order]
        if (np.diff(key) == 0).any():
            raise ValueError("cow_ddy: duplicate dyad-years")
    return out


def add_onset_clock(panel: pd.DataFrame, onset: str = "atop_any_onset") -> pd.DataFrame:
    """Add atop_since_onset (and _sq, _cu) from the onsets in ``panel``.

    ``panel`` must hold each dyad's full history (sorted or not); the value
    for year t is t minus the year of the dyad's last onset before t, or minus
    the dyad's first year in ``panel`` if none. NaN where ``onset`` is NaN.
    """
    c1, c2, y = dyads._keys(panel, "add_onset_clock")
    order = np.lexsort((y, c2, c1))
    ys, o = y[order], panel[onset].to_numpy("float64")[order]
    dyad = c1[order] * 1000 + c2[order]
    first = np.r_[True, dyad[1:] != dyad[:-1]]
    gid = np.cumsum(first)
    base = gid * 10**4
    last_incl = np.maximum.accumulate(base + np.where(o == 1, ys, 0)) - base
    last_before = np.r_[0, last_incl[:-1]]
    last_before[first] = 0
    entry = ys[np.flatnonzero(first)][gid - 1]
    since = (ys - np.where(last_before > 0, last_before, entry)).astype("float64")
    since[np.isnan(o)] = np.nan
    out = np.empty_like(since)
    out[order] = since
    return dyads._attach(panel, {CLOCK[0]: out, CLOCK[1]: out**2, CLOCK[2]: out**3}, "add_onset_clock")


def build_dyad_year(
    focal,
    cow_ddy: pd.DataFrame,
    atop: pd.DataFrame,
    state_year: pd.DataFrame,
    contdir: pd.DataFrame,
    mindist: pd.DataFrame,
    mids: pd.DataFrame,
    tss: pd.DataFrame,
    terr: pd.DataFrame,
    majors: pd.DataFrame,
    td: pd.DataFrame | None = None,
    years=(1816, 2016),
    mid_source: str = "cow",
    threat_window: int = 5,
    atop_directed: bool = False,
    wars: pd.DataFrame | None = None,
    eras: dict | None = None,
    latent: pd.DataFrame | None = None,
    capitals: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The directed dyad-year panel with every issue-5 column (see COLUMN_DOCS).

    ``focal``: list of COW codes, or "all". Sources are the raw frames as read
    from the fetched files (``mids`` raw COW or GML directed dispute-years, as
    named by ``mid_source``, or :func:`.dyads.load_mids` output; ``wars``
    the raw COW inter-state war participants, for the side-aware threat);
    ``state_year`` is data/processed/state_year.parquet; ``latent`` the
    latent capability table (None: no latent columns); ``capitals`` the raw
    cow_capitals frame (None: no filled distance); ``eras`` the config
    key ``panel.eras``. Rows: ``cow_ddy`` rows with ccode1 in ``focal`` and
    year in ``years``, sorted by ccode1, ccode2, year.
    """
    start, end = _years(years)
    ddy = clean_ddy(cow_ddy)
    hist_start = min(start, int(ddy["year"].min()))
    if "coverage" not in mids.attrs:
        mids = dyads.load_mids(mids, mid_source)
    atop = dyads.clean_atop(atop)

    # ATOP, transitions and the clock over each dyad's whole history.
    hist = dyad_skeleton(ddy, focal, (hist_start, end))
    hist = dyads.add_atop(hist, atop, directed=atop_directed)
    hist = dyads.add_atop_transitions(hist, atop, directed=atop_directed)
    hist = add_onset_clock(hist)
    df = hist[hist["year"].to_numpy() >= start].reset_index(drop=True) if hist_start < start else hist

    df = dyads.add_capabilities(df, state_year)
    if latent is not None:
        df = dyads.add_latent(df, latent)
    df = dyads.add_capability_change(df, state_year, lag=5)
    df = dyads.add_mids(df, mids, window=threat_window)
    df = dyads.add_rivalry(df, tss, td, types=True)
    df = dyads.add_contiguity(df, contdir)
    df = dyads.add_mindist(df, mindist)
    if capitals is not None:
        df = dyads.add_distance_filled(df, capitals)
    df = dyads.add_majors(df, majors)
    df = dyads.add_terrthreat(df, terr)
    df = dyads.add_common_threat(df, mids, tss, state_year, window=threat_window)
    df = dyads.add_side_threat(df, mids, dyads.load_wars(wars) if wars is not None else None, window=threat_window)
    df = dyads.add_bloc(df, atop, tss)
    df = dyads.add_regime(df, state_year)
    df = add_decisions(df, eras)
    df["dyad_id"] = df["ccode1"].astype("int64") * 1000 + df["ccode2"].astype("int64")
    cols = [c for c in COLUMNS if c in df.columns]
    df = df[cols]
    check_panel(df)
    log.info(
        "dyad_year: %d rows, %d focal states, %d partners, %d-%d",
        len(df),
        df["ccode1"].nunique(),
        df["ccode2"].nunique(),
        start,
        end,
    )
    missing = df.isna().sum()
    log.info(
        "missing values (coverage or no source row): %s",
        ", ".join(f"{c} {n}" for c, n in missing.items() if n) or "none",
    )
    return df


def check_panel(df: pd.DataFrame) -> None:
    """Keys int64, unique and sorted; 0/1 indicators in {0, 1, NaN}."""
    for c in KEYS:
        assert df[c].dtype == "int64", f"{c} is {df[c].dtype}"
    key = dyads.dyad_key(df["ccode1"], df["ccode2"], df["year"])
    assert (np.diff(key) > 0).all(), "dyad-years duplicated or not sorted"
    assert not (df["ccode1"] == df["ccode2"]).any(), "ccode1 == ccode2"
    binary = [
        c
        for c in df.columns
        if c.startswith(("atop_", "tss_", "major", "common_rival", "td_rival", "largest_decision_")) and c not in CLOCK
    ] + ["mid_prior", "cobelligerent", "partner_allied_with_rival"]
    for c in binary:
        if c in df.columns:
            v = df[c].to_numpy("float64")
            assert ((v == 0) | (v == 1) | np.isnan(v)).all(), f"{c} has values other than 0/1"


def panel_meta(
    panel: pd.DataFrame,
    set_name: str,
    focal_codes,
    years,
    mid_source: str,
    threat_window: int,
    atop_directed: bool,
    inputs=(),
    eras: dict | None = None,
) -> dict:
    """Sidecar metadata: unit of analysis, focal set, years, eras, columns,
    input hashes, and the onsets and decisions per focal state, era and
    obligation type."""
    start, end = _years(years)
    return table_meta(
        panel,
        list(inputs),
        {c: COLUMN_DOCS[c] for c in panel.columns},
        unit="directed dyad-year",
        directed=True,
        keys=KEYS,
        focal_set=set_name,
        focal_codes=[int(c) for c in focal_codes],
        years={"start": start, "end": end},
        mid_source=mid_source,
        threat_window=int(threat_window),
        atop_directed=bool(atop_directed),
        membership="COW State System v2016 via peacesciencer cow_ddy (false dyads removed)",
        eras={
            int(c): {n: [a, None if b == 9999 else b] for n, (a, b) in named.items()}
            for c, named in check_eras(eras).items()
        },
        decisions=decision_counts(panel),
    )


def build_dyad_year_from_files(
    inputs: dict,
    sources: dict,
    set_name: str,
    focal_spec,
    years,
    mid_source: str,
    threat_window: int,
    atop_directed: bool = False,
    eras: dict | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Read the rule's inputs, resolve the focal set, build the panel and its metadata.

    ``inputs`` maps state_year, latent (optional), mids and the names in
    INPUT_SOURCES to paths;
    ``sources`` is config/sources.yaml.
    """
    read = {name: read_source(inputs[name], sources[src]) for name, src in INPUT_SOURCES.items()}
    mids = read_source(inputs["mids"], sources[MID_SOURCES[mid_source]])
    spells = load_system(inputs["cow_states"], sources["cow_states"]["object"])
    codes = resolve_focal_set(focal_spec, spells, read["cow_majors"], years, key=f"panel.focal_sets.{set_name}")
    focal = "all" if focal_spec == "all" else codes
    state_year = pd.read_parquet(inputs["state_year"])
    latent = pd.read_parquet(inputs["latent"]) if "latent" in inputs else None
    df = build_dyad_year(
        focal,
        read["cow_ddy"],
        read["atop"],
        state_year,
        read["contiguity"],
        read["mindist"],
        mids,
        read["tss"],
        read["terrthreat"],
        read["cow_majors"],
        td=read["td"],
        years=years,
        mid_source=mid_source,
        threat_window=threat_window,
        atop_directed=atop_directed,
        wars=read["wars"],
        eras=eras,
        latent=latent,
        capitals=read["capitals"],
    )
    meta = panel_meta(
        df, set_name, codes, years, mid_source, threat_window, atop_directed, [inputs[k] for k in sorted(inputs)], eras
    )
    return df, meta
