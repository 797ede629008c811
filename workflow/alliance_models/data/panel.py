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
"""

from __future__ import annotations

import logging
import os

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..sources import read_rda, read_source, require_columns
from . import dyads
from .states import known_codes, load_system

log = logging.getLogger(__name__)

KEYS = dyads.KEYS
FOCAL_KEYWORDS = ("all", "majors")
MID_SOURCES = {"cow": "cow_mid_directed", "gml": "gml_mid"}
# input name in the rule -> source name in config/sources.yaml
INPUT_SOURCES = {
    "atop": "atop", "cow_ddy": "cow_ddy", "cow_states": "cow_states", "cow_majors": "cow_majors",
    "contiguity": "contiguity", "mindist": "mindist", "tss": "tss_rivalries", "td": "td_rivalries",
    "terrthreat": "terrthreat",
}
CLOCK = ["atop_since_onset", "atop_since_onset_sq", "atop_since_onset_cu"]

COLUMN_DOCS = {
    "ccode1": "COW code of the focal state",
    "ccode2": "COW code of the partner state",
    "year": "calendar year",
    "dyad_id": "ccode1 * 1000 + ccode2: one id per directed dyad (for clustering)",
    **{f"atop_{t}": f"1 if an ATOP 5.1 {t} obligation is in force between the two (see atop_directed); NaN after 2018"
       for t in dyads.ATOP_TYPES},
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
    **{f"log_{c}_ratio_change5": f"log_{c}_ratio at t minus at t-5 (negative: a narrowing gap when ccode1 is stronger)"
       + ("; NaN across the 1914 currency switch" if c == "milex" else "") for c in ("cinc", "gdp", "milex")},
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
    "major1": "1 if ccode1 is a COW major power this year",
    "major2": "1 if ccode2 is a COW major power this year",
    "terrthreat1": "latent external territorial threat of ccode1 (Miller 2022); NaN after 2010",
    "terrthreat2": "latent external territorial threat of ccode2",
    "common_mid_states": "third states both had a MID with in the window",
    "common_mid_max_cinc": "largest CINC (year t-1) among those third states; NaN if none",
    "common_rival": "1 if both have a TSS rivalry with the same third state this year",
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


def resolve_focal_set(name_or_codes, spells: pd.DataFrame, majors: pd.DataFrame | None, years,
                      key: str = "panel.focal_sets", years_key: str = "panel.years") -> list[int]:
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
        raise ConfigError(
            f"config: key '{years_key}': {start}-{end} lies outside the COW membership data ({lo}-{hi})")
    live = spells[(spells["start_year"] <= end) & (spells["end_year"] >= start)]
    if isinstance(name_or_codes, str):
        if name_or_codes == "all":
            return sorted(int(c) for c in live["ccode"].unique())
        if name_or_codes == "majors":
            if majors is None:
                raise ConfigError(f"config: key '{key}': 'majors' needs the COW major-power list (cow_majors)")
            return major_codes(majors, (start, end))
        raise ConfigError(
            f"config: key '{key}': {name_or_codes!r} is not a focal set; use a list of COW codes, 'majors' or 'all'")
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
            f"config: key '{key}': {', '.join(map(str, unknown))} is not a COW state code (COW State System v2016)")
    absent = [c for c in codes if c not in set(live["ccode"])]
    if absent:
        raise ConfigError(
            f"config: key '{key}': state(s) {', '.join(map(str, absent))} not a system member in {start}-{end}")
    return sorted(set(codes))


def check_panel_config(panel: dict, states_path=None, majors_path=None) -> dict[str, list[int] | None]:
    """Check config key ``panel`` before any job runs; resolve its focal sets.

    ``build`` must name sets in ``focal_sets``. When the COW membership file
    (``states_path``) is at hand, every set is resolved (bad code or year
    range -> ConfigError naming the key); otherwise only the names are checked
    and the sets map to None (the rule resolves them again from its input).
    """
    sets = panel["focal_sets"]
    for name in panel["build"]:
        if name not in sets:
            raise ConfigError(
                f"config: key 'panel.build': {name!r} is not in panel.focal_sets (defined: {', '.join(sets)})")
    if panel["mid_source"] not in MID_SOURCES:
        raise ConfigError(f"config: key 'panel.mid_source': must be one of {', '.join(MID_SOURCES)}")
    out: dict[str, list[int] | None] = {name: None for name in sets}
    if states_path is None or not os.path.exists(states_path):
        return out
    spells = load_system(states_path)
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


def build_dyad_year(focal, cow_ddy: pd.DataFrame, atop: pd.DataFrame, state_year: pd.DataFrame,
                    contdir: pd.DataFrame, mindist: pd.DataFrame, mids: pd.DataFrame, tss: pd.DataFrame,
                    terr: pd.DataFrame, majors: pd.DataFrame, td: pd.DataFrame | None = None,
                    years=(1816, 2016), mid_source: str = "cow", threat_window: int = 5,
                    atop_directed: bool = False) -> pd.DataFrame:
    """The directed dyad-year panel with every issue-5 column (see COLUMN_DOCS).

    ``focal``: list of COW codes, or "all". Sources are the raw frames as read
    from the fetched files (``mids`` raw COW or GML directed dispute-years, as
    named by ``mid_source``, or :func:`.dyads.load_mids` output);
    ``state_year`` is data/processed/state_year.parquet. Rows: ``cow_ddy``
    rows with ccode1 in ``focal`` and year in ``years``, sorted by ccode1,
    ccode2, year.
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
    df = dyads.add_capability_change(df, state_year, lag=5)
    df = dyads.add_mids(df, mids, window=threat_window)
    df = dyads.add_rivalry(df, tss, td, types=True)
    df = dyads.add_contiguity(df, contdir)
    df = dyads.add_mindist(df, mindist)
    df = dyads.add_majors(df, majors)
    df = dyads.add_terrthreat(df, terr)
    df = dyads.add_common_threat(df, mids, tss, state_year, window=threat_window)
    df["dyad_id"] = df["ccode1"].astype("int64") * 1000 + df["ccode2"].astype("int64")
    cols = [c for c in COLUMNS if c in df.columns]
    df = df[cols]
    check_panel(df)
    log.info("dyad_year: %d rows, %d focal states, %d partners, %d-%d", len(df), df["ccode1"].nunique(),
             df["ccode2"].nunique(), start, end)
    missing = df.isna().sum()
    log.info("missing values (coverage or no source row): %s",
             ", ".join(f"{c} {n}" for c, n in missing.items() if n) or "none")
    return df


def check_panel(df: pd.DataFrame) -> None:
    """Keys int64, unique and sorted; 0/1 indicators in {0, 1, NaN}."""
    for c in KEYS:
        assert df[c].dtype == "int64", f"{c} is {df[c].dtype}"
    key = dyads.dyad_key(df["ccode1"], df["ccode2"], df["year"])
    assert (np.diff(key) > 0).all(), "dyad-years duplicated or not sorted"
    assert not (df["ccode1"] == df["ccode2"]).any(), "ccode1 == ccode2"
    binary = [c for c in df.columns if c.startswith(("atop_", "tss_", "major", "common_rival", "td_rival"))
              and c not in CLOCK] + ["mid_prior"]
    for c in binary:
        if c in df.columns:
            v = df[c].to_numpy("float64")
            assert ((v == 0) | (v == 1) | np.isnan(v)).all(), f"{c} has values other than 0/1"


def panel_meta(panel: pd.DataFrame, set_name: str, focal_codes, years, mid_source: str, threat_window: int,
               atop_directed: bool, inputs=()) -> dict:
    """Sidecar metadata: unit of analysis, focal set, years, columns, input hashes."""
    from ..provenance import table_meta

    start, end = _years(years)
    return table_meta(
        panel, list(inputs), {c: COLUMN_DOCS[c] for c in panel.columns},
        unit="directed dyad-year", directed=True, keys=KEYS,
        focal_set=set_name, focal_codes=[int(c) for c in focal_codes],
        years={"start": start, "end": end}, mid_source=mid_source, threat_window=int(threat_window),
        atop_directed=bool(atop_directed),
        membership="COW State System v2016 via peacesciencer cow_ddy (false dyads removed)",
    )


def build_dyad_year_from_files(inputs: dict, sources: dict, set_name: str, focal_spec, years, mid_source: str,
                               threat_window: int, atop_directed: bool = False) -> tuple[pd.DataFrame, dict]:
    """Read the rule's inputs, resolve the focal set, build the panel and its metadata.

    ``inputs`` maps state_year, mids and the names in INPUT_SOURCES to paths;
    ``sources`` is config/sources.yaml.
    """
    read = {name: read_source(inputs[name], sources[src]) for name, src in INPUT_SOURCES.items()}
    mids = read_source(inputs["mids"], sources[MID_SOURCES[mid_source]])
    spells = load_system(inputs["cow_states"], sources["cow_states"]["object"])
    codes = resolve_focal_set(focal_spec, spells, read["cow_majors"], years, key=f"panel.focal_sets.{set_name}")
    focal = "all" if focal_spec == "all" else codes
    state_year = pd.read_parquet(inputs["state_year"])
    df = build_dyad_year(focal, read["cow_ddy"], read["atop"], state_year, read["contiguity"], read["mindist"],
                         mids, read["tss"], read["terrthreat"], read["cow_majors"], td=read["td"], years=years,
                         mid_source=mid_source, threat_window=threat_window, atop_directed=atop_directed)
    meta = panel_meta(df, set_name, codes, years, mid_source, threat_window, atop_directed,
                      [inputs[k] for k in sorted(inputs)])
    return df, meta
