"""Dyad-year verbs: add one source's columns to any directed dyad-year frame.

Every ``add_*`` verb takes a frame with integer columns ``ccode1`` (the focal
state), ``ccode2`` (the partner, threat, ...) and ``year`` and returns a copy
with new columns. The frame may be any set of rows: a full panel, the
(focal, partner, year) rows of a case file, duplicated or unsorted rows. The
verbs are left joins: the row count and order never change (asserted), a key
absent from the source gives the source's "none" value (0) inside the
source's coverage and NaN outside it. A verb refuses to overwrite an existing
column.

Joins are done on one int64 key per row (``ccode1 * 10**7 + ccode2 * 10**4 +
year`` for dyads, ``ccode * 10**4 + year`` for states) looked up in the
source's sorted unique keys (binary search for sorted queries, a hash index
otherwise). The frame is never merged, re-sorted or re-indexed, so its order,
index and duplicate rows survive by construction, and each verb adds all its
columns with one concat. On the global panel this is about as fast as plain
``DataFrame.merge`` and uses less memory (``bench/bench_panel.py``).

Coverage of each source (the years in which absence means "none", not
"unknown"):

==============  ===========  ==============================================
source          years        rule
==============  ===========  ==============================================
ATOP 5.1        1815-2018    year range of the table
COW MID 5.0     1816-2014    :data:`MID_COVERAGE` (checked against the data)
GML MID 2.2.1   1816-2010    :data:`MID_COVERAGE` (checked against the data)
TSS rivalries   ...-2020     first start .. last end year in the table
TD rivalries    ...-2010     first start .. last end year in the table
contiguity 3.2  1816-2016    first start .. last end year in the table
minimum dist.   1886-2019    year range of the table (cshapes begins 1886)
terr. threat    1816-2010    year range of the table
COW majors      1816-2022    1816 .. end of the carried v2016 list
==============  ===========  ==============================================

Any coverage can be overridden with the ``coverage=(first, last)`` argument.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ..errors import SourceFormatError
from ..sources import require_columns
from .states import COW_STATES_VERSION_END, OPEN_END_YEAR

log = logging.getLogger(__name__)

KEYS = ["ccode1", "ccode2", "year"]
ATOP_TYPES = ("defense", "offense", "neutral", "nonagg", "consul")
ATOP_COLUMNS = [f"atop_{t}" for t in ATOP_TYPES]
ATOP_ALL = ATOP_COLUMNS + ["atop_any"]
MID_COVERAGE = {"cow": (1816, 2014), "gml": (1816, 2010)}
MID_COLUMNS = ["mid_prior", "mid_prior_count", "mid_prior_hostlev", "mid_prior_init2", "mid_prior_init2_hostlev"]
TSS_TYPES = ("positional", "spatial", "ideological", "interventionary")
# Bremer (1992), "Dangerous Dyads": ratio of the stronger side's CINC to the
# weaker side's: <= 3 parity, (3, 10] medium disparity, > 10 preponderance.
BREMER_LABELS = ("parity", "medium", "preponderance")
BREMER_CUTS = (3.0, 10.0)

_C = 10**4  # year slot
_D = 10**7  # ccode2 slot (ccode2 * 10**4 + year < 10**7)


# --------------------------------------------------------------------------
# keys, lookups and coverage


def _keys(frame: pd.DataFrame, verb: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The frame's ccode1, ccode2, year as int64 arrays (checked)."""
    missing = [c for c in KEYS if c not in frame.columns]
    if missing:
        raise KeyError(f"{verb}: frame lacks column(s) {', '.join(missing)}; it needs {', '.join(KEYS)}")
    out = []
    for c in KEYS:
        col = frame[c]
        if not pd.api.types.is_integer_dtype(col.dtype):
            raise TypeError(f"{verb}: column '{c}' must be an integer type (got {col.dtype}); cast keys to int64")
        out.append(col.to_numpy(dtype="int64"))
    return out[0], out[1], out[2]


def dyad_key(c1, c2, year) -> np.ndarray:
    """One int64 per (ccode1, ccode2, year); ccodes 0-999, years 0-9999."""
    c1, c2, year = (np.asarray(a, dtype="int64") for a in (c1, c2, year))
    for name, a, hi in (("ccode", c1, 1000), ("ccode", c2, 1000), ("year", year, _C)):
        if a.size and (a.min() < 0 or a.max() >= hi):
            raise ValueError(f"{name} outside 0..{hi - 1}: {a.min()}..{a.max()}")
    return c1 * _D + c2 * _C + year


def state_key(ccode, year) -> np.ndarray:
    ccode, year = np.asarray(ccode, dtype="int64"), np.asarray(year, dtype="int64")
    return ccode * _C + year


class _Table:
    """Sorted unique int64 keys with aligned value arrays."""

    def __init__(self, keys: np.ndarray, values: dict[str, np.ndarray], what: str):
        order = np.argsort(keys, kind="stable")
        keys = np.asarray(keys)[order]
        if keys.size > 1 and (keys[1:] == keys[:-1]).any():
            raise SourceFormatError(f"{what}: duplicate keys")
        self.keys = keys
        self.values = {k: np.asarray(v)[order] for k, v in values.items()}
        self._index = None

    def index(self, query: np.ndarray) -> np.ndarray:
        """Position of each query key in the table, -1 where absent.

        Sorted queries (a panel) use a binary search, which is then
        cache-friendly; unsorted ones (a case file, a partner's state-year)
        the hash table of a pandas Index, ~7x faster on them.
        """
        query = np.asarray(query, dtype="int64")
        if self.keys.size == 0:
            return np.full(query.shape, -1, dtype="int64")
        if query.size > 1 and not (query[1:] >= query[:-1]).all():
            if self._index is None:
                self._index = pd.Index(self.keys)
            return self._index.get_indexer(query).astype("int64")
        pos = np.searchsorted(self.keys, query)
        pos = np.minimum(pos, self.keys.size - 1)
        return np.where(self.keys[pos] == query, pos, -1)

    def get(self, name: str, idx: np.ndarray, fill=np.nan) -> np.ndarray:
        vals = self.values[name]
        out = np.full(idx.shape, fill, dtype="float64")
        hit = idx >= 0
        out[hit] = vals[idx[hit]]
        return out


def _aggregate(keys: np.ndarray, values: dict[str, np.ndarray], how: str, what: str) -> _Table:
    """Collapse duplicate keys (max or min of each value), then index them."""
    if keys.size == 0:
        return _Table(keys, values, what)
    df = pd.DataFrame(values)
    df["_k"] = keys
    g = df.groupby("_k", sort=True)
    agg = g.max() if how == "max" else g.min()
    return _Table(agg.index.to_numpy(), {c: agg[c].to_numpy() for c in agg.columns}, what)


def _covered(year: np.ndarray, coverage: tuple[int, int]) -> np.ndarray:
    return (year >= coverage[0]) & (year <= coverage[1])


def _attach(frame: pd.DataFrame, new: dict[str, np.ndarray], verb: str) -> pd.DataFrame:
    """Copy of ``frame`` with the new columns; refuses to overwrite."""
    clash = [c for c in new if c in frame.columns]
    if clash:
        raise ValueError(f"{verb}: frame already has column(s) {', '.join(clash)}")
    # concat on the frame's own index (identical, so no alignment) avoids
    # copying every new column, which DataFrame.__setitem__ does.
    out = pd.concat([frame, pd.DataFrame(new, index=frame.index, copy=False)], axis=1)
    assert len(out) == len(frame) and out.index.equals(frame.index), f"{verb}: rows changed"
    return out


def _int_columns(raw: pd.DataFrame, cols, path: str) -> dict[str, np.ndarray]:
    out = {}
    for c in cols:
        v = raw[c]
        if v.isna().any():
            raise SourceFormatError(f"'{path}': column '{c}' has {int(v.isna().sum())} missing value(s)")
        out[c] = v.to_numpy(dtype="int64")
    return out


def _years_of(start: np.ndarray, end: np.ndarray, lo: int | None = None):
    """Expand [start, end] spells to years: (row index, year) arrays."""
    start = np.asarray(start, dtype="int64")
    end = np.asarray(end, dtype="int64")
    if lo is not None:
        start = np.maximum(start, lo)
    n = np.clip(end - start + 1, 0, None)
    rows = np.repeat(np.arange(len(start)), n)
    offset = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    return rows, start[rows] + offset


# --------------------------------------------------------------------------
# ATOP


def clean_atop(raw_df: pd.DataFrame, path: str = "atop_alliance.rda") -> pd.DataFrame:
    """ATOP 5.1 directed dyad-years as int64: ccode1, ccode2, year, atop_<type>.

    A row (ccode1, ccode2, year) says what ccode1 promised ccode2 that year
    (ATOP's statea -> stateb): in 1970 the US (2) has a defence obligation to
    Japan (740) but Japan has none to the US. Every dyad-year appears in both
    directions; 170 rows carry no obligation at all in their direction. A
    dyad-year absent from ATOP has no obligation. Idempotent.
    """
    require_columns(raw_df, KEYS + ATOP_COLUMNS, path)
    if raw_df.attrs.get("clean") == "atop" and all(raw_df[c].dtype == "int64" for c in KEYS + ATOP_COLUMNS):
        return raw_df  # already cleaned (dtypes rechecked)
    cols = _int_columns(raw_df, KEYS + ATOP_COLUMNS, path)
    out = pd.DataFrame(cols)
    for c in ATOP_COLUMNS:
        bad = ~np.isin(out[c].to_numpy(), (0, 1))
        if bad.any():
            raise SourceFormatError(f"'{path}': column '{c}' has values other than 0/1 (row {int(np.argmax(bad)) + 1})")
    if out.duplicated(KEYS).any():
        row = out[out.duplicated(KEYS)].iloc[0]
        raise SourceFormatError(f"'{path}': duplicate dyad-year {row.ccode1}-{row.ccode2} {row.year}")
    out = out.sort_values(KEYS).reset_index(drop=True)
    out.attrs["clean"] = "atop"
    return out


def _atop_table(atop: pd.DataFrame) -> tuple[_Table, tuple[int, int]]:
    """ATOP keyed by dyad-year, the five obligations packed as bits of one int."""
    atop = clean_atop(atop)
    key = dyad_key(atop["ccode1"], atop["ccode2"], atop["year"])
    bits = sum(atop[c].to_numpy() << i for i, c in enumerate(ATOP_COLUMNS))
    table = _Table(key, {"bits": bits.astype("int64")}, "ATOP")
    return table, (int(atop["year"].min()), int(atop["year"].max()))


def _atop_values(table: _Table, coverage, key, rkey, year, directed: bool) -> dict[str, np.ndarray]:
    """In-force indicators for dyad keys ``key`` (reverse keys ``rkey``);
    NaN outside coverage. Shifting both keys by +-1 shifts the year."""
    bits = np.zeros(key.shape, dtype="int64")
    idx = table.index(key)
    hit = idx >= 0
    bits[hit] = table.values["bits"][idx[hit]]
    if not directed:
        ridx = table.index(rkey)
        hit = ridx >= 0
        bits[hit] |= table.values["bits"][ridx[hit]]
    outside = ~_covered(year, coverage)
    out = {}
    for i, c in enumerate(ATOP_COLUMNS + ["atop_any"]):
        v = ((bits >> i) & 1).astype("float64") if c != "atop_any" else (bits > 0).astype("float64")
        v[outside] = np.nan
        out[c] = v
    return out


def add_atop(frame: pd.DataFrame, atop: pd.DataFrame, directed: bool = False, coverage=None) -> pd.DataFrame:
    """Add atop_defense, atop_offense, atop_neutral, atop_nonagg, atop_consul, atop_any.

    Each is 1 if an ATOP obligation of that type is in force for the dyad in
    the year, 0 if not, NaN outside ATOP's coverage (1815-2018; ``coverage``
    overrides the table's year range). ``directed=False`` (default): 1 if
    either state holds the obligation toward the other (an alliance exists
    between them). ``directed=True``: only ccode1's obligations toward
    ccode2. ``atop_any`` = 1 if any of the five is 1. ``atop`` is the raw
    source frame or :func:`clean_atop`'s output.
    """
    c1, c2, y = _keys(frame, "add_atop")
    table, cov = _atop_table(atop)
    cov = tuple(coverage) if coverage is not None else cov
    vals = _atop_values(table, cov, dyad_key(c1, c2, y), dyad_key(c2, c1, y), y, directed)
    return _attach(frame, vals, "add_atop")


def add_atop_transitions(
    frame: pd.DataFrame, atop: pd.DataFrame, directed: bool = False, coverage=None
) -> pd.DataFrame:
    """Add atop_<type>_onset and atop_<type>_end for the five types and ``any``.

    Onset = 1 in a year the obligation is in force when ATOP records it not in
    force for the same dyad in the previous year (so an alliance signed when a
    state enters the system counts as an onset in its first year unless ATOP
    already lists it the year before); 0 if not in force or already in force.
    End (termination) = 1 in the last year in force: in force this year, not
    the next (an alliance that ATOP stops recording when a member leaves the
    system ends in its last year). NaN outside coverage; for an obligation
    in force, NaN also where the previous (onset) or next (end) year lies
    outside coverage (end in 2018 is unknown; a pledge not in force in 2018
    has end 0). Needs no other rows of the frame: ATOP itself gives t-1 and
    t+1, so it works on case rows as well as on a panel.
    """
    c1, c2, y = _keys(frame, "add_atop_transitions")
    table, cov = _atop_table(atop)
    cov = tuple(coverage) if coverage is not None else cov
    k, rk = dyad_key(c1, c2, y), dyad_key(c2, c1, y)
    now = _atop_values(table, cov, k, rk, y, directed)
    prev = _atop_values(table, cov, k - 1, rk - 1, y - 1, directed)
    nxt = _atop_values(table, cov, k + 1, rk + 1, y + 1, directed)
    new = {}
    for c in ATOP_ALL:
        # in force now and not before / not after; 0 where not in force now.
        onset = np.where(now[c] == 1, 1.0 - prev[c], 0.0)
        end = np.where(now[c] == 1, 1.0 - nxt[c], 0.0)
        onset[np.isnan(now[c])] = np.nan
        end[np.isnan(now[c])] = np.nan
        new[f"{c}_onset"] = onset
        new[f"{c}_end"] = end
    return _attach(frame, new, "add_atop_transitions")


# --------------------------------------------------------------------------
# capabilities


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a / b, NaN where either is missing or not positive."""
    ok = (a > 0) & (b > 0)
    out = np.full(a.shape, np.nan)
    out[ok] = a[ok] / b[ok]
    return out


def bremer_category(ratio_strong_weak) -> pd.Categorical:
    """Bremer's categories of the stronger/weaker CINC ratio, as an ordered
    categorical with the labels in BREMER_LABELS (NaN ratio -> missing)."""
    r = np.asarray(ratio_strong_weak, dtype="float64")
    codes = np.searchsorted(np.asarray(BREMER_CUTS), r, side="left")
    codes[np.isnan(r)] = -1
    return pd.Categorical.from_codes(codes, categories=list(BREMER_LABELS), ordered=True)


def add_capabilities(frame: pd.DataFrame, state_year: pd.DataFrame) -> pd.DataFrame:
    """Add each side's capabilities and their ratios, from the state-year table.

    Columns: cinc1, cinc2; cinc_ratio = cinc1 / cinc2; log_cinc_ratio =
    log(cinc_ratio); cinc_prop = weaker / stronger CINC, in (0, 1];
    bremer_cat = Bremer's (1992) category of the stronger / weaker ratio, an
    ordered categorical: "parity" (<= 3), "medium" (3 < ratio <= 10),
    "preponderance" (> 10); gdp1, gdp2 (millions of 2011 int'l $,
    Maddison), gdp_ratio, log_gdp_ratio; milex1, milex2, milex_ratio,
    log_milex_ratio; tpop1, tpop2 (thousands). ``state_year`` needs ccode,
    year, cinc, gdp, milex, tpop (data/processed/state_year.parquet).

    Every ratio is NaN when either side is missing or zero (NMC 7.0 has 763
    state-years with milex 0). Both sides' milex are for the same year, so
    they are in the same currency (NMC: thousands of GBP before 1914, of
    current USD from 1914); if ``state_year`` has ``milex_currency`` this is
    checked.
    """
    c1, c2, y = _keys(frame, "add_capabilities")
    require_columns(state_year, ["ccode", "year", "cinc", "gdp", "milex", "tpop"], "state_year")
    sk = state_key(state_year["ccode"].to_numpy("int64"), state_year["year"].to_numpy("int64"))
    vals = {c: state_year[c].to_numpy("float64") for c in ("cinc", "gdp", "milex", "tpop")}
    table = _Table(sk, vals, "state_year")
    i1, i2 = table.index(state_key(c1, y)), table.index(state_key(c2, y))
    new = {}
    for c in ("cinc", "gdp", "milex", "tpop"):
        new[f"{c}1"], new[f"{c}2"] = table.get(c, i1), table.get(c, i2)
    if "milex_currency" in state_year.columns:
        codes, _ = pd.factorize(state_year["milex_currency"])
        cur = _Table(sk, {"cur": codes}, "state_year")
        k1, k2 = cur.get("cur", i1), cur.get("cur", i2)
        both = ~np.isnan(new["milex1"]) & ~np.isnan(new["milex2"])
        if (k1[both] != k2[both]).any():
            raise ValueError("add_capabilities: milex of the two sides in different currencies")
    for c in ("cinc", "gdp", "milex"):
        r = _ratio(new[f"{c}1"], new[f"{c}2"])
        new[f"{c}_ratio"] = r
        new[f"log_{c}_ratio"] = np.log(r)
    lo, hi = np.fmin(new["cinc1"], new["cinc2"]), np.fmax(new["cinc1"], new["cinc2"])
    new["cinc_prop"] = _ratio(lo, hi)
    new["bremer_cat"] = bremer_category(_ratio(hi, lo))
    order = [
        "cinc1",
        "cinc2",
        "cinc_ratio",
        "log_cinc_ratio",
        "cinc_prop",
        "bremer_cat",
        "gdp1",
        "gdp2",
        "gdp_ratio",
        "log_gdp_ratio",
        "milex1",
        "milex2",
        "milex_ratio",
        "log_milex_ratio",
        "tpop1",
        "tpop2",
    ]
    return _attach(frame, {k: new[k] for k in order}, "add_capabilities")


def add_capability_change(frame: pd.DataFrame, state_year: pd.DataFrame, lag: int = 5) -> pd.DataFrame:
    """Change in each log capability ratio over the prior ``lag`` years.

    Columns: log_cinc_ratio_change{lag}, log_gdp_ratio_change{lag},
    log_milex_ratio_change{lag} = log ratio at t minus log ratio at t - lag
    (focal / partner). Negative = the gap narrowed when the focal state is the
    stronger. NaN when either year is missing; the milex change is NaN across
    NMC's 1914 currency switch (the two years' units differ).
    """
    c1, c2, y = _keys(frame, "add_capability_change")
    now = add_capabilities(pd.DataFrame({"ccode1": c1, "ccode2": c2, "year": y}), state_year)
    then = add_capabilities(pd.DataFrame({"ccode1": c1, "ccode2": c2, "year": y - lag}), state_year)
    new = {}
    for c in ("cinc", "gdp", "milex"):
        new[f"log_{c}_ratio_change{lag}"] = (now[f"log_{c}_ratio"] - then[f"log_{c}_ratio"]).to_numpy("float64")
    if "milex_currency" in state_year.columns:
        switch = (y >= 1914) & (y - lag < 1914)
        new[f"log_milex_ratio_change{lag}"] = np.where(switch, np.nan, new[f"log_milex_ratio_change{lag}"])
    return _attach(frame, new, "add_capability_change")


# --------------------------------------------------------------------------
# militarized interstate disputes


def load_mids(raw_df: pd.DataFrame, source: str = "cow", path: str | None = None) -> pd.DataFrame:
    """Normalise COW MID 5.0 or GML 2.2.1 directed dispute-years to one frame.

    Output (int64): dispnum, ccode1, ccode2, year, sidea1, sidea2, orig1,
    orig2, hostlev1, hostlev2, onset. One row per dispute, ordered pair of
    opposing states and year (both directions present). ``attrs`` holds
    ``source`` and ``coverage`` (:data:`MID_COVERAGE`: COW 1816-2014, GML
    1816-2010; the data's years are checked to lie inside it).
    """
    if source not in MID_COVERAGE:
        raise ValueError(f"load_mids: source must be one of {', '.join(MID_COVERAGE)}, got {source!r}")
    path = path or {"cow": "cow_mid_dirdisps.rda", "gml": "gml_dirdisp.rda"}[source]
    onset = {"cow": "disponset", "gml": "midonset"}[source]
    cols = ["dispnum", "ccode1", "ccode2", "year", "sidea1", "sidea2", "orig1", "orig2", "hostlev1", "hostlev2"]
    require_columns(raw_df, cols + [onset], path)
    out = pd.DataFrame(_int_columns(raw_df, cols, path))
    out["onset"] = raw_df[onset].fillna(0).to_numpy("int64")
    lo, hi = int(out["year"].min()), int(out["year"].max())
    cov = MID_COVERAGE[source]
    if lo < cov[0] or hi > cov[1]:
        raise SourceFormatError(f"'{path}': years {lo}-{hi} fall outside {source} MID coverage {cov[0]}-{cov[1]}")
    for c in ("hostlev1", "hostlev2"):
        if not out[c].between(1, 5).all():
            raise SourceFormatError(f"'{path}': column '{c}' outside 1-5")
    out = out.drop_duplicates().sort_values(["dispnum", "ccode1", "ccode2", "year"]).reset_index(drop=True)
    out.attrs = {"source": source, "coverage": cov}
    return out


def _mid_coverage(mids: pd.DataFrame, coverage) -> tuple[int, int]:
    if coverage is not None:
        return tuple(coverage)
    if "coverage" in mids.attrs:
        return tuple(mids.attrs["coverage"])
    return int(mids["year"].min()), int(mids["year"].max())


def _window_covered(year: np.ndarray, window: int, cov: tuple[int, int]) -> np.ndarray:
    """A prior window t-window..t-1 is usable when t-1 lies in coverage.

    Years before the coverage start are cut off (no state-system MIDs exist
    before 1816, as for a dyad that just entered); a window that reaches past
    the coverage end is unknown (NaN).
    """
    return (year - 1 >= cov[0]) & (year - 1 <= cov[1])


def _check_window(window) -> int:
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
        raise ValueError(f"window must be a positive integer, got {window!r}")
    return int(window)


def _expand_window(df: pd.DataFrame, window: int) -> pd.DataFrame:
    """Repeat each dispute-year row for the years t = year+1 .. year+window it precedes."""
    rep = df.loc[df.index.repeat(window)].reset_index(drop=True)
    rep["t"] = rep["year"].to_numpy() + np.tile(np.arange(1, window + 1), len(df))
    return rep


def add_mids(frame: pd.DataFrame, mids: pd.DataFrame, window: int = 5, coverage=None) -> pd.DataFrame:
    """Add disputes between ccode1 and ccode2 in the ``window`` years before.

    The window of row year t is the years t-window .. t-1 (the current year is
    excluded). A dispute counts if any of its dispute-years between the two
    falls in the window. Columns:

    - mid_prior: 1 if any such dispute, else 0;
    - mid_prior_count: number of distinct such disputes;
    - mid_prior_hostlev: highest hostility level (1-5) either side reached in
      them (max of hostlev1, hostlev2), 0 if none;
    - mid_prior_init2: number of them that ccode2 initiated, i.e. ccode2 was
      on side A and an originator (sidea2 == 1 and orig2 == 1: peacesciencer's
      "sidea-orig" rule);
    - mid_prior_init2_hostlev: highest hostility level in those, 0 if none.

    NaN unless t-1 lies in the MID coverage (COW 1816-2014 -> rows 1817-2015;
    GML 1816-2010 -> 1817-2011); windows reaching before 1816 are cut at 1816.
    ``mids`` is :func:`load_mids`'s output.
    """
    window = _check_window(window)
    c1, c2, y = _keys(frame, "add_mids")
    require_columns(mids, ["dispnum", "ccode1", "ccode2", "year", "sidea2", "orig2", "hostlev1", "hostlev2"], "mids")
    cov = _mid_coverage(mids, coverage)
    m = mids[["dispnum", "ccode1", "ccode2", "year", "sidea2", "orig2", "hostlev1", "hostlev2"]].copy()
    m["host"] = np.maximum(m["hostlev1"], m["hostlev2"])
    m["init2"] = (m["sidea2"] == 1) & (m["orig2"] == 1)
    rep = _expand_window(m, window)
    rep["k"] = dyad_key(rep["ccode1"], rep["ccode2"], rep["t"])
    g_all = rep.groupby("k").agg(n=("dispnum", "nunique"), host=("host", "max"))
    ri = rep[rep["init2"]]
    g_ini = ri.groupby("k").agg(n=("dispnum", "nunique"), host=("host", "max"))
    t_all = _Table(g_all.index.to_numpy(), {c: g_all[c].to_numpy() for c in g_all}, "mids")
    t_ini = _Table(g_ini.index.to_numpy(), {c: g_ini[c].to_numpy() for c in g_ini}, "mids")
    k = dyad_key(c1, c2, y)
    ia, ii = t_all.index(k), t_ini.index(k)
    new = {
        "mid_prior_count": t_all.get("n", ia, 0.0),
        "mid_prior_hostlev": t_all.get("host", ia, 0.0),
        "mid_prior_init2": t_ini.get("n", ii, 0.0),
        "mid_prior_init2_hostlev": t_ini.get("host", ii, 0.0),
    }
    new = {"mid_prior": (new["mid_prior_count"] > 0).astype("float64"), **new}
    outside = ~_window_covered(y, window, cov)
    for v in new.values():
        v[outside] = np.nan
    return _attach(frame, new, "add_mids")


# --------------------------------------------------------------------------
# rivalries


def _rivalry_years(raw: pd.DataFrame, start: str, end: str, extra, path: str) -> pd.DataFrame:
    """Directed rivalry-years (both directions) from a spell table.

    As in peacesciencer, Austria-Hungary (300) becomes Austria (305) from 1919.
    """
    require_columns(raw, ["ccode1", "ccode2", start, end, *extra], path)
    base = _int_columns(raw, ["ccode1", "ccode2", start, end], path)
    rows, years = _years_of(base[start], base[end])
    parts = []
    for a, b in (("ccode1", "ccode2"), ("ccode2", "ccode1")):
        d = pd.DataFrame({"ccode1": base[a][rows], "ccode2": base[b][rows], "year": years})
        for c in extra:
            d[c] = raw[c].fillna(0).to_numpy("float64")[rows]
        parts.append(d)
    out = pd.concat(parts, ignore_index=True)
    for c in ("ccode1", "ccode2"):
        out.loc[(out[c] == 300) & (out["year"] >= 1919), c] = 305
    return out


def _rivalry_table(raw, start, end, extra, path):
    ry = _rivalry_years(raw, start, end, extra, path)
    cov = (int(raw[start].min()), int(raw[end].max()))
    vals = {c: ry[c].to_numpy() for c in extra}
    vals["rival"] = np.ones(len(ry))
    return _aggregate(dyad_key(ry["ccode1"], ry["ccode2"], ry["year"]), vals, "max", path), cov, ry


def add_rivalry(
    frame: pd.DataFrame,
    tss: pd.DataFrame,
    td: pd.DataFrame | None = None,
    types: bool = False,
    coverage=None,
    td_coverage=None,
) -> pd.DataFrame:
    """Add tss_rival (Thompson, Sakuwa & Suhas 2022) and, if ``td`` is given, td_rival.

    1 if the two states are strategic rivals in the year (start .. end years
    inclusive), 0 if not, NaN outside the data's years (TSS: first start to
    the last end year, 2020; TD: to 2010). ``types=True`` adds
    tss_positional, tss_spatial, tss_ideological, tss_interventionary (1 if
    an ongoing rivalry of that type). Both take the raw source frames.
    """
    c1, c2, y = _keys(frame, "add_rivalry")
    table, cov, _ = _rivalry_table(tss, "start", "end", TSS_TYPES, "tss_rivalries")
    cov = tuple(coverage) if coverage is not None else cov
    idx = table.index(dyad_key(c1, c2, y))
    inside = _covered(y, cov)
    new = {"tss_rival": table.get("rival", idx, 0.0)}
    if types:
        for t in TSS_TYPES:
            new[f"tss_{t}"] = table.get(t, idx, 0.0)
    for v in new.values():
        v[~inside] = np.nan
    if td is not None:
        ttable, tcov, _ = _rivalry_table(td, "styear", "endyear", (), "td_rivalries")
        tcov = tuple(td_coverage) if td_coverage is not None else tcov
        v = ttable.get("rival", ttable.index(dyad_key(c1, c2, y)), 0.0)
        v[~_covered(y, tcov)] = np.nan
        new["td_rival"] = v
    return _attach(frame, new, "add_rivalry")


# --------------------------------------------------------------------------
# geography and status


def _year_of(dates) -> np.ndarray:
    return pd.to_datetime(pd.Series(dates)).dt.year.to_numpy("int64")


def add_contiguity(frame: pd.DataFrame, contdir: pd.DataFrame, coverage=None) -> pd.DataFrame:
    """Add conttype (COW Direct Contiguity 3.2).

    0 = not contiguous, 1 = land or river border, 2-5 = separated by at most
    12, 24, 150, 400 miles of water. Year rule: the closest (lowest nonzero)
    type whose spell (stdate .. enddate) covers any month of the year; 0 if
    none. NaN outside coverage (1816-2016: first start to last end year of
    the table). Takes the raw cow_contdir frame (both directions present;
    its conttype-0 spells are ignored).
    """
    c1, c2, y = _keys(frame, "add_contiguity")
    require_columns(contdir, ["ccode1", "ccode2", "conttype", "stdate", "enddate"], "cow_contdir")
    st, en = _year_of(contdir["stdate"]), _year_of(contdir["enddate"])
    cov = tuple(coverage) if coverage is not None else (int(st.min()), int(en.max()))
    base = _int_columns(contdir, ["ccode1", "ccode2", "conttype"], "cow_contdir")
    pos = base["conttype"] > 0
    rows, years = _years_of(st[pos], en[pos])
    key = dyad_key(base["ccode1"][pos][rows], base["ccode2"][pos][rows], years)
    table = _aggregate(key, {"conttype": base["conttype"][pos][rows]}, "min", "cow_contdir")
    v = table.get("conttype", table.index(dyad_key(c1, c2, y)), 0.0)
    v[~_covered(y, cov)] = np.nan
    return _attach(frame, {"conttype": v}, "add_contiguity")


def add_mindist(frame: pd.DataFrame, mindist: pd.DataFrame, coverage=None) -> pd.DataFrame:
    """Add mindist: minimum distance in km between the two states (cshapes),
    and log1p_mindist = log(1 + mindist) (0 for contiguous states; the log
    pulls in the long right tail: 0 to ~19,000 km).

    The source is non-directed (ccode1 < ccode2); it is looked up in either
    order. NaN where the source has no value, which includes every year
    outside its coverage (1886-2019: cshapes begins in 1886).
    """
    c1, c2, y = _keys(frame, "add_mindist")
    require_columns(mindist, ["ccode1", "ccode2", "year", "mindist"], "cow_mindist")
    base = _int_columns(mindist, KEYS, "cow_mindist")
    lo, hi = np.minimum(base["ccode1"], base["ccode2"]), np.maximum(base["ccode1"], base["ccode2"])
    table = _aggregate(
        dyad_key(lo, hi, base["year"]), {"mindist": mindist["mindist"].to_numpy("float64")}, "min", "cow_mindist"
    )
    cov = tuple(coverage) if coverage is not None else (int(base["year"].min()), int(base["year"].max()))
    v = table.get("mindist", table.index(dyad_key(np.minimum(c1, c2), np.maximum(c1, c2), y)))
    v[~_covered(y, cov)] = np.nan
    return _attach(frame, {"mindist": v, "log1p_mindist": np.log1p(v)}, "add_mindist")


EARTH_RADIUS_KM = 6371.0088
DIST_SOURCES = ("cshapes", "land contiguity", "cshapes, nearest year", "capitals")


def capital_table(capitals: pd.DataFrame, years=(1816, 2022)) -> pd.DataFrame:
    """One row per state-year with the capital's latitude and longitude
    (peacesciencer's cow_capitals: a capital per state with the dates it held;
    a year with two capitals takes the one held from later in the year)."""
    require_columns(capitals, ["ccode", "stdate", "enddate", "lat", "lng"], "cow_capitals")
    st, en = _year_of(capitals["stdate"]), _year_of(capitals["enddate"])
    lo, hi = years
    rows = []
    for c, a, b, la, ln in zip(
        capitals["ccode"].astype("int64"), st, en, capitals["lat"], capitals["lng"], strict=True
    ):
        for y in range(max(int(a), lo), min(int(b), hi) + 1):
            rows.append((int(c), y, int(a), float(la), float(ln)))
    t = pd.DataFrame(rows, columns=["ccode", "year", "start", "lat", "lng"])
    return t.sort_values(["ccode", "year", "start"]).drop_duplicates(["ccode", "year"], keep="last")[
        ["ccode", "year", "lat", "lng"]
    ]


def great_circle_km(lat1, lng1, lat2, lng2) -> np.ndarray:
    """Haversine distance in km."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lng2) - np.asarray(lng1))
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def _nearest_in_dyad(c1, c2, y, v, window: int) -> np.ndarray:
    """For rows with v NaN, the dyad's value in the nearest year within
    ``window`` years that has one (the earlier year on a tie); NaN if none."""
    order = np.lexsort((y, c2, c1))
    d = pd.DataFrame({"g": c1[order] * 1000 + c2[order], "y": y[order], "v": v[order]})
    d["y_known"] = d["y"].where(d["v"].notna())
    prev_y = d.groupby("g")["y_known"].ffill()
    next_y = d.groupby("g")["y_known"].bfill()
    prev_v = d["v"].groupby(d["g"]).ffill()
    next_v = d["v"].groupby(d["g"]).bfill()
    gap_p, gap_n = d["y"] - prev_y, next_y - d["y"]
    use_p = gap_p.notna() & (gap_p <= window) & (gap_n.isna() | (gap_p <= gap_n))
    use_n = ~use_p & gap_n.notna() & (gap_n <= window)
    filled = np.where(use_p, prev_v, np.where(use_n, next_v, np.nan))
    out = np.empty(len(v))
    out[order] = filled
    return out


def add_distance_filled(frame: pd.DataFrame, capitals: pd.DataFrame, window: int = 5) -> pd.DataFrame:
    """Add capdist, dist, log1p_dist and dist_source: the minimum distance
    with its gaps filled from public data, in this order (``dist_source``):

    1. ``cshapes``: the cshapes minimum distance (``mindist``) itself;
    2. ``land contiguity``: 0 km where COW codes the pair contiguous by land
       (conttype 1) in the year (a minimum distance is 0 across a border);
    3. ``cshapes, nearest year``: the pair's cshapes distance in the nearest
       year within ``window`` years (a new state's first year, which cshapes
       often dates from the next 1 January: Israel and North Korea 1948);
    4. ``capitals``: the great-circle distance between the two capitals
       (``capdist``, peacesciencer's cow_capitals): larger than the minimum
       distance for neighbours, the only distance before 1886;
    else NaN and "". Needs ``mindist`` and ``conttype`` (add_mindist,
    add_contiguity) on the frame.
    """
    c1, c2, y = _keys(frame, "add_distance_filled")
    require_columns(frame, ["mindist", "conttype"], "frame (add_mindist and add_contiguity first)")
    cap = capital_table(capitals)
    key = state_key(cap["ccode"].to_numpy("int64"), cap["year"].to_numpy("int64"))
    pos = pd.Series(np.arange(len(cap)), index=key)
    i1 = pos.reindex(state_key(c1, y)).to_numpy()
    i2 = pos.reindex(state_key(c2, y)).to_numpy()
    lat, lng = cap["lat"].to_numpy(), cap["lng"].to_numpy()
    ok = ~(np.isnan(i1) | np.isnan(i2))
    capdist = np.full(len(c1), np.nan)
    a, b = i1[ok].astype("int64"), i2[ok].astype("int64")
    capdist[ok] = great_circle_km(lat[a], lng[a], lat[b], lng[b])
    mind = frame["mindist"].to_numpy("float64")
    land = frame["conttype"].to_numpy("float64") == 1
    near = _nearest_in_dyad(c1, c2, y, mind, window)
    src = np.full(len(c1), "", dtype=object)
    dist = np.full(len(c1), np.nan)
    for name, value, mask in (
        ("capitals", capdist, ~np.isnan(capdist)),
        ("cshapes, nearest year", near, ~np.isnan(near)),
        ("land contiguity", np.zeros(len(c1)), land),
        ("cshapes", mind, ~np.isnan(mind)),
    ):  # later rules take precedence
        dist[mask], src[mask] = value[mask], name
    return _attach(
        frame,
        {"capdist": capdist, "dist": dist, "log1p_dist": np.log1p(dist), "dist_source": src.astype(str)},
        "add_distance_filled",
    )


def _major_table(majors: pd.DataFrame):
    require_columns(majors, ["ccode", "styear", "endyear"], "cow_majors")
    base = _int_columns(majors, ["ccode", "styear", "endyear"], "cow_majors")
    end = base["endyear"].copy()
    if {"endmonth", "endday"} <= set(majors.columns):
        open_end = (
            (end == COW_STATES_VERSION_END)
            & (majors["endmonth"].to_numpy() == 12)
            & (majors["endday"].to_numpy() == 31)
        )
        end[open_end] = OPEN_END_YEAR
    rows, years = _years_of(base["styear"], end)
    table = _aggregate(state_key(base["ccode"][rows], years), {"major": np.ones(len(rows))}, "max", "cow_majors")
    return table, (1816, max(int(end.max()), COW_STATES_VERSION_END))


def add_majors(frame: pd.DataFrame, majors: pd.DataFrame, coverage=None) -> pd.DataFrame:
    """Add major1, major2: 1 if the state is a COW major power in the year.

    A state is a major power in every year touched by one of its major-power
    spells (France 1940 and 1945 count). Spells open at the end of the v2016
    list (ending 2016-12-31) are carried to 2022, as membership is in
    :func:`.states.load_system`; NaN outside 1816-2022.
    """
    c1, c2, y = _keys(frame, "add_majors")
    table, cov = _major_table(majors)
    cov = tuple(coverage) if coverage is not None else cov
    inside = _covered(y, cov)
    new = {}
    for i, c in ((1, c1), (2, c2)):
        v = table.get("major", table.index(state_key(c, y)), 0.0)
        v[~inside] = np.nan
        new[f"major{i}"] = v
    return _attach(frame, new, "add_majors")


def add_terrthreat(frame: pd.DataFrame, terr: pd.DataFrame) -> pd.DataFrame:
    """Add terrthreat1, terrthreat2: latent external territorial threat (Miller 2022).

    The posterior mean ``lterrthreat`` for each side's state-year; NaN where
    the source has none, which includes every year after 2010.
    """
    c1, c2, y = _keys(frame, "add_terrthreat")
    require_columns(terr, ["ccode", "year", "lterrthreat"], "terrthreat")
    base = _int_columns(terr, ["ccode", "year"], "terrthreat")
    table = _Table(state_key(base["ccode"], base["year"]), {"t": terr["lterrthreat"].to_numpy("float64")}, "terrthreat")
    return _attach(
        frame,
        {
            "terrthreat1": table.get("t", table.index(state_key(c1, y))),
            "terrthreat2": table.get("t", table.index(state_key(c2, y))),
        },
        "add_terrthreat",
    )


# --------------------------------------------------------------------------
# common threat


def add_common_threat(
    frame: pd.DataFrame,
    mids: pd.DataFrame,
    tss: pd.DataFrame,
    state_year: pd.DataFrame,
    window: int = 5,
    coverage=None,
    tss_coverage=None,
) -> pd.DataFrame:
    """Add threats the two states share with a third state.

    - common_mid_states: number of third states k (k not ccode1, ccode2) that
      had a MID with ccode1 and a MID with ccode2 (opposite sides, any
      dispute) in the window t-window .. t-1 (the two disputes need not be the
      same or in the same year); NaN outside MID coverage as in
      :func:`add_mids`;
    - common_mid_max_cinc: the largest CINC among those states, each taken in
      year t-1 (the window's last year); NaN when there is none (count 0) or
      none has a CINC that year;
    - common_rival: 1 if both states have a TSS strategic rivalry with the
      same third state in year t, else 0; NaN outside TSS coverage.

    ``mids`` is :func:`load_mids`'s output, ``tss`` the raw TSS frame.
    """
    window = _check_window(window)
    c1, c2, y = _keys(frame, "add_common_threat")
    cov = _mid_coverage(mids, coverage)
    # (i, k, t): i and k had a dispute-year in t-window .. t-1.
    adj = mids[["ccode1", "ccode2", "year"]].drop_duplicates()
    adj = _expand_window(adj, window)[["ccode1", "ccode2", "t"]].drop_duplicates()
    adj.columns = ["i", "k", "t"]
    pairs = adj.merge(adj, on=["k", "t"], suffixes=("1", "2"))
    pairs = pairs[pairs["i1"] != pairs["i2"]]
    sk = state_key(state_year["ccode"].to_numpy("int64"), state_year["year"].to_numpy("int64"))
    cinc = _Table(sk, {"cinc": state_year["cinc"].to_numpy("float64")}, "state_year")
    pairs = pairs.assign(cinc=cinc.get("cinc", cinc.index(state_key(pairs["k"], pairs["t"] - 1))))
    pkey = dyad_key(pairs["i1"], pairs["i2"], pairs["t"])
    g = pd.DataFrame({"k": pkey, "cinc": pairs["cinc"].to_numpy()}).groupby("k")["cinc"].agg(["size", "max"])
    table = _Table(g.index.to_numpy(), {"n": g["size"].to_numpy("float64"), "max": g["max"].to_numpy()}, "common MIDs")
    idx = table.index(dyad_key(c1, c2, y))
    n = table.get("n", idx, 0.0)
    mx = table.get("max", idx)
    outside = ~_window_covered(y, window, cov)
    n[outside] = np.nan
    mx[outside] = np.nan

    _, tcov, ry = _rivalry_table(tss, "start", "end", (), "tss_rivalries")
    tcov = tuple(tss_coverage) if tss_coverage is not None else tcov
    ry = ry[["ccode1", "ccode2", "year"]].drop_duplicates()
    ry.columns = ["i", "k", "t"]
    rp = ry.merge(ry, on=["k", "t"], suffixes=("1", "2"))
    rp = rp[rp["i1"] != rp["i2"]]
    rtable = _aggregate(dyad_key(rp["i1"], rp["i2"], rp["t"]), {"r": np.ones(len(rp))}, "max", "common rivals")
    r = rtable.get("r", rtable.index(dyad_key(c1, c2, y)), 0.0)
    r[~_covered(y, tcov)] = np.nan
    return _attach(frame, {"common_mid_states": n, "common_mid_max_cinc": mx, "common_rival": r}, "add_common_threat")


# --------------------------------------------------------------------------
# side-aware threat: who fought with whom, against whom

WAR_COVERAGE = (1816, 2007)  # COW Inter-State War data v4.0
_WAR_ID_OFFSET = 10**6  # war ids live above every MID dispnum


def load_wars(raw_df: pd.DataFrame, path: str = "cow_war_inter.rda") -> pd.DataFrame:
    """COW inter-state war participants (peacesciencer's ``cow_war_inter``) as
    directed war-years of opposing states: warnum, ccode1, ccode2, year,
    sidea1, sidea2 (int64; 1 = side A, 0 = side B, as in the MID data; the
    source codes side B as 2). ``attrs['coverage']``: (1816, 2007)."""
    cols = ["warnum", "ccode1", "ccode2", "year", "sidea1", "sidea2"]
    require_columns(raw_df, cols, path)
    out = pd.DataFrame(_int_columns(raw_df, cols, path))
    for c in ("sidea1", "sidea2"):
        if not out[c].isin((1, 2)).all():
            raise SourceFormatError(f"'{path}': column '{c}' has values other than 1 (side A) and 2 (side B)")
        out[c] = (out[c] == 1).astype("int64")
    if (out["sidea1"] == out["sidea2"]).any():
        raise SourceFormatError(f"'{path}': a row pairs two states on the same side; expected opposing states only")
    lo, hi = int(out["year"].min()), int(out["year"].max())
    if lo < WAR_COVERAGE[0] or hi > WAR_COVERAGE[1]:
        raise SourceFormatError(f"'{path}': years {lo}-{hi} fall outside the war data's coverage {WAR_COVERAGE}")
    out = out.drop_duplicates().sort_values(["warnum", "ccode1", "ccode2", "year"]).reset_index(drop=True)
    out.attrs = {"coverage": WAR_COVERAGE}
    return out


def conflict_sides(mids: pd.DataFrame, wars: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Who was on which side of each dispute and war, by year.

    Returns ``(sides, opposed)``: ``sides`` has one row per (event, state,
    side, year) a state took part in (event = MID dispnum, or 10**6 + COW war
    number; side 1 = side A, 0 = side B); ``opposed`` one row per (event,
    state, state) pair that faced each other in the event in any year, both
    directions. Both MID and war data list only opposing pairs, so a
    state's side in a year is read off its rows that year; a state that
    switched sides within an event (Finland, Romania, Bulgaria and Italy in
    the Second World War) has rows on both sides."""
    parts = [mids[["dispnum", "ccode1", "ccode2", "year", "sidea1"]].rename(columns={"dispnum": "event"})]
    if wars is not None:
        w = wars[["warnum", "ccode1", "ccode2", "year", "sidea1"]].rename(columns={"warnum": "event"})
        parts.append(w.assign(event=w["event"] + _WAR_ID_OFFSET))
    rows = pd.concat(parts, ignore_index=True)
    sides = (
        rows[["event", "ccode1", "sidea1", "year"]]
        .drop_duplicates()
        .rename(columns={"ccode1": "state", "sidea1": "side"})
        .reset_index(drop=True)
    )
    opposed = rows[["event", "ccode1", "ccode2"]].drop_duplicates().reset_index(drop=True)
    return sides, opposed


def _not_opposed(pairs: pd.DataFrame, opposed: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``pairs`` (event, i, j, ...) whose i and j never faced each other in the event."""
    key = pairs["event"].to_numpy() * 10**6 + pairs["i"].to_numpy() * 1000 + pairs["j"].to_numpy()
    okey = opposed["event"].to_numpy() * 10**6 + opposed["ccode1"].to_numpy() * 1000 + opposed["ccode2"].to_numpy()
    return pairs[~np.isin(key, okey)]


def add_side_threat(
    frame: pd.DataFrame, mids: pd.DataFrame, wars: pd.DataFrame | None = None, window: int = 5, coverage=None
) -> pd.DataFrame:
    """Add cobelligerent and common_enemy: threat measures that know sides.

    In the window t-window .. t-1 (the current year excluded, as in
    :func:`add_mids`), over every MID (``mids``: :func:`load_mids` output)
    and, when given, every COW inter-state war (``wars``: :func:`load_wars`
    output):

    - cobelligerent: 1 if ccode1 and ccode2 took part in the same dispute or
      war on the same side in the same year, in a dispute or war in which
      they never fought each other; else 0. The last clause keeps side
      switchers apart: Finland fought the USSR in 1941-44 and Germany on the
      USSR's side in 1944-45, both in COW's Second World War dispute (MID
      258), which would make it the USSR's co-belligerent in 1945-49 by the
      first clause alone. Disputes and wars count separately: COW's Second
      World War dispute puts the USSR on Germany's side against Britain in
      1939 (Poland), so it does not make them co-belligerents, while COW's
      Second World War (war 139), which the USSR joins in 1941, does (UK-USSR
      1942: 1). Likewise Finland and Germany, on one side of war 139 in
      1941-44, are co-belligerents in 1942-49 although they fought in
      1944-45: the measure records that they fought side by side in the
      window, not how they parted;
    - common_enemy: the number of distinct third states that, in such a
      dispute or war and year, were on the side opposite to both.

    The side-blind ``common_mid_states`` (:func:`add_common_threat`) counts
    every third state both had any MID with, whichever sides they were on.
    NaN unless t-1 lies in the MID coverage (COW 1816-2014); wars (to 2007)
    are all MIDs too, so they add sides, not years.
    """
    window = _check_window(window)
    c1, c2, y = _keys(frame, "add_side_threat")
    cov = _mid_coverage(mids, coverage)
    sides, opposed = conflict_sides(mids, wars)
    # same side, same event, same year
    same = sides.merge(sides, on=["event", "side", "year"], suffixes=("_i", "_j"))
    same = same[same["state_i"] != same["state_j"]].rename(columns={"state_i": "i", "state_j": "j"})
    same = _not_opposed(same, opposed)
    cob = _expand_window(same[["event", "i", "j", "side", "year"]], window)
    t_cob = _aggregate(dyad_key(cob["i"], cob["j"], cob["t"]), {"v": np.ones(len(cob))}, "max", "co-belligerents")
    # a third state on the other side of that event in that year
    other = sides.assign(side=1 - sides["side"]).rename(columns={"state": "k"})
    enemies = same.merge(other, on=["event", "side", "year"])
    enemies = enemies[(enemies["k"] != enemies["i"]) & (enemies["k"] != enemies["j"])]
    enemies = _expand_window(enemies[["i", "j", "k", "year"]].drop_duplicates(), window)
    g = pd.DataFrame({"key": dyad_key(enemies["i"], enemies["j"], enemies["t"]), "k": enemies["k"].to_numpy()})
    g = g.drop_duplicates().groupby("key").size()
    t_en = _Table(g.index.to_numpy(), {"n": g.to_numpy("float64")}, "common enemies")
    k = dyad_key(c1, c2, y)
    new = {"cobelligerent": t_cob.get("v", t_cob.index(k), 0.0), "common_enemy": t_en.get("n", t_en.index(k), 0.0)}
    outside = ~_window_covered(y, window, cov)
    for v in new.values():
        v[outside] = np.nan
    return _attach(frame, new, "add_side_threat")


# --------------------------------------------------------------------------
# bloc: the partner's alliances with the focal state's rivals


def add_bloc(
    frame: pd.DataFrame, atop: pd.DataFrame, tss: pd.DataFrame, atop_coverage=None, tss_coverage=None
) -> pd.DataFrame:
    """Add partner_allied_with_rival: 1 if, in year t-1, ccode2 held an ATOP
    defence pledge in force with a state r (either side's obligation) that
    was ccode1's TSS strategic rival in t-1; else 0. NaN unless t-1 lies in
    both ATOP's (1815-2018) and TSS's coverage. For the USSR it marks the
    NATO members and the other allies of the United States, China or
    whichever state was its rival that year: states already committed to the
    other side."""
    c1, c2, y = _keys(frame, "add_bloc")
    a = clean_atop(atop)
    acov = tuple(atop_coverage) if atop_coverage is not None else (int(a["year"].min()), int(a["year"].max()))
    d = a.loc[a["atop_defense"] == 1, ["ccode1", "ccode2", "year"]]
    d = pd.concat([d, d.rename(columns={"ccode1": "ccode2", "ccode2": "ccode1"})], ignore_index=True)
    pacts = d.drop_duplicates().rename(columns={"ccode1": "j", "ccode2": "r"})
    _, tcov, ry = _rivalry_table(tss, "start", "end", (), "tss_rivalries")
    tcov = tuple(tss_coverage) if tss_coverage is not None else tcov
    rivals = ry[["ccode1", "ccode2", "year"]].drop_duplicates().rename(columns={"ccode1": "i", "ccode2": "r"})
    hits = pacts.merge(rivals, on=["r", "year"])
    hits = hits[hits["i"] != hits["j"]]
    table = _aggregate(
        dyad_key(hits["i"], hits["j"], hits["year"] + 1), {"v": np.ones(len(hits))}, "max", "allies of rivals"
    )
    v = table.get("v", table.index(dyad_key(c1, c2, y)), 0.0)
    v[~(_covered(y - 1, acov) & _covered(y - 1, tcov))] = np.nan
    return _attach(frame, {"partner_allied_with_rival": v}, "add_bloc")


# --------------------------------------------------------------------------
# regime


def add_regime(frame: pd.DataFrame, state_year: pd.DataFrame) -> pd.DataFrame:
    """Add polity2_1, polity2_2 (Polity5 polity2 of each side, from the
    state-year table; see :mod:`.polity` for the special codes) and
    polity_diff = |polity2_1 - polity2_2| (0-20; regime dissimilarity),
    missing where either side has no Polity5 score; and the missing-indicator
    pair a model uses instead of deleting those rows: polity_missing (1 where
    polity_diff is missing) and polity_diff_filled (polity_diff, 0 where
    missing). With polity_missing in the model the fill value is absorbed by
    the indicator's coefficient: the rows without a score get their own
    intercept shift and no regime slope."""
    c1, c2, y = _keys(frame, "add_regime")
    require_columns(state_year, ["ccode", "year", "polity2"], "state_year")
    sk = state_key(state_year["ccode"].to_numpy("int64"), state_year["year"].to_numpy("int64"))
    table = _Table(sk, {"p": state_year["polity2"].to_numpy("float64")}, "state_year")
    p1, p2 = table.get("p", table.index(state_key(c1, y))), table.get("p", table.index(state_key(c2, y)))
    diff = np.abs(p1 - p2)
    miss = np.isnan(diff)
    return _attach(
        frame,
        {
            "polity2_1": p1,
            "polity2_2": p2,
            "polity_diff": diff,
            "polity_missing": miss.astype("float64"),
            "polity_diff_filled": np.where(miss, 0.0, diff),
        },
        "add_regime",
    )


# --------------------------------------------------------------------------
# latent capability


def add_latent(frame: pd.DataFrame, latent: pd.DataFrame) -> pd.DataFrame:
    """Add each side's latent log capability and the dyad's latent log ratio.

    From the measurement model's table (data/processed/latent_capability.parquet:
    ccode, year, latent_mean, latent_sd): latent1, latent2 (posterior means),
    latent_sd1, latent_sd2 (posterior sds), log_latent_ratio = latent1 -
    latent2 and log_latent_ratio_sd = sqrt(latent_sd1^2 + latent_sd2^2) (the
    two states' posteriors are independent given the model's parameters).
    Missing where either state-year is absent. A model fitting
    log_latent_ratio carries the sds as measurement error
    (models.matrix: the model's ``measurement`` key)."""
    c1, c2, y = _keys(frame, "add_latent")
    require_columns(latent, ["ccode", "year", "latent_mean", "latent_sd"], "latent_capability")
    base = _int_columns(latent, ["ccode", "year"], "latent_capability")
    table = _Table(
        state_key(base["ccode"], base["year"]),
        {"m": latent["latent_mean"].to_numpy("float64"), "s": latent["latent_sd"].to_numpy("float64")},
        "latent_capability",
    )
    i1, i2 = table.index(state_key(c1, y)), table.index(state_key(c2, y))
    m1, m2, s1, s2 = table.get("m", i1), table.get("m", i2), table.get("s", i1), table.get("s", i2)
    return _attach(
        frame,
        {
            "latent1": m1,
            "latent2": m2,
            "latent_sd1": s1,
            "latent_sd2": s2,
            "log_latent_ratio": m1 - m2,
            "log_latent_ratio_sd": np.sqrt(s1**2 + s2**2),
        },
        "add_latent",
    )
