"""Alliance spells and their political breaks (issue 25, item 3).

Yu's claim that a narrowing power gap breaks Soviet alliances is about
political breaks (Yugoslavia 1948, China 1960, Albania 1961, Egypt 1976,
Somalia 1977), not about every year an ATOP obligation stops: of the 57 ATOP
ends in the Soviet era most are wartime pledges lapsing in 1945, the Nyon
arrangement in 1939, the Baltic states annexed in 1940 and the GDR ceasing to
exist. This module builds the table a break model reads: one row per directed
dyad-year of an alliance spell, with the political breaks the case files code
as events and every other end classified and left as censoring.

Rules (:func:`build_alliance_spells`):

- In force: the panel's ``atop_<obligation>`` = 1 (default ``any``: a break
  often ends a friendship or consultation treaty, Egypt 1971 and Somalia
  1974, not a defence pact). A **spell** is a run of consecutive panel years
  in force for one (ccode1, ccode2); ``spell_start`` is its first year (the
  panel's years, so a spell begun before an era counts from its start) and
  ``spell_years`` = year - spell_start (0 in the first year), the duration
  clock; ``log1p_spell_years`` = log(1 + spell_years).
- **Political break**: a case (``data/processed/cases.parquet``) with
  ``event == "broke"`` names the pair (ccode1 = the case's focal state,
  ccode2 = a partner) and year y. It is an event (``political_break`` = 1,
  ``break_case`` = the case id, the unit of evidence: a multilateral break
  such as the Warsaw Pact's dissolution is one case) when the pair has a row
  in force in y. The spell's later years are dropped: the alliance is over
  politically even where ATOP keeps the treaty in force (China to 1980,
  Albania to 1968); a later new spell of the pair is at risk again. A case
  whose pair has no obligation in force in y (the 1947 breakdown with the
  United States: its wartime pledges lapsed in 1945) is not an event; the
  meta file lists it with the reason.
- **Every other end** (the last row of a spell that did not break) is
  censoring; ``spell_end`` names its kind, in this order:
  ``partner left the state system`` (no panel row of the pair in y+1 while
  the focal state has rows then: annexation, unification, dissolution),
  ``focal state left the state system``, ``in force at the panel's end``,
  ``wartime treaty lapsed`` (every ATOP 4.01 treaty of the pair ending in y is
  coded wartime), ``treaty ended`` (expiry, denunciation or supersession not
  coded as a break), ``ended (no ATOP 4.01 treaty of the pair ends that
  year)`` (a version difference between ATOP 5.1, the panel, and 4.01).
  A political break's row has ``spell_end`` = ``political break``; every
  other row "".

The meta (:func:`spells_meta`) counts spells, ends by kind and era, breaks
matched and unmatched (with the reason), and rows dropped after a break.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..sources import require_columns

OBLIGATIONS = ("defense", "offense", "neutral", "nonagg", "consul", "any")
PANEL_KEYS = ["ccode1", "ccode2", "year"]
CASE_COLUMNS = ["case_id", "ccode1", "ccode2", "year", "event"]
TREATY_COLUMNS = ["atopid", "member", "entry_year", "end_year", "exit_year", "wartime"]

BREAK = "political break"
PARTNER_GONE = "partner left the state system"
FOCAL_GONE = "focal state left the state system"
PANEL_END = "in force at the panel's end"
WARTIME = "wartime treaty lapsed"
ENDED = "treaty ended"
UNMATCHED = "ended (no ATOP 4.01 treaty of the pair ends that year)"
END_KINDS = (BREAK, PARTNER_GONE, FOCAL_GONE, PANEL_END, WARTIME, ENDED, UNMATCHED)

# columns this module adds to the panel's; the models' column check reads them
SPELL_COLUMNS = (
    "spell_id",
    "spell_start",
    "spell_years",
    "log1p_spell_years",
    "political_break",
    "break_case",
    "spell_end",
)
SPELL_DOCS = {
    "spell_id": "alliance spell: consecutive panel years of the pair with the obligation in force (1, 2, ...)",
    "spell_start": "first year of the spell",
    "spell_years": "years since the spell began (0 in its first year): the duration clock",
    "log1p_spell_years": "log(1 + spell_years)",
    "political_break": "1 in the year a case file codes the pair's alliance as broken (event 'broke'), else 0",
    "break_case": "the case id behind a political break (the unit of evidence); '' on other rows",
    "spell_end": f"on a spell's last row, how it ended: one of {', '.join(END_KINDS)}; '' on other rows",
}


def _spells(at: pd.DataFrame) -> pd.DataFrame:
    """Number the runs of consecutive years per pair (rows sorted by pair, year)."""
    c1, c2, y = (at[k].to_numpy("int64") for k in PANEL_KEYS)
    new = np.ones(len(at), dtype=bool)
    new[1:] = (c1[1:] != c1[:-1]) | (c2[1:] != c2[:-1]) | (y[1:] != y[:-1] + 1)
    at = at.assign(spell_id=np.cumsum(new))
    at["spell_start"] = at.groupby("spell_id")["year"].transform("min").astype("int64")
    at["spell_years"] = (at["year"] - at["spell_start"]).astype("float64")
    at["log1p_spell_years"] = np.log1p(at["spell_years"])
    return at


def _treaty_ends(treaties: pd.DataFrame) -> dict[tuple[int, int, int], list[bool]]:
    """(a, b, year) -> wartime flags of the ATOP 4.01 treaties both a and b
    belong to whose membership of either (or the treaty) ends in that year."""
    require_columns(treaties, TREATY_COLUMNS, "treaty table")
    t = treaties[TREATY_COLUMNS].copy()
    t["last"] = t[["exit_year", "end_year"]].min(axis=1, skipna=True)
    out: dict[tuple[int, int, int], list[bool]] = {}
    for _, g in t.groupby("atopid", sort=False):
        rows = list(g.itertuples(index=False))
        for a in rows:
            for b in rows:
                if a.member == b.member or pd.isna(a.last) or pd.isna(b.last):
                    continue
                end = int(min(a.last, b.last))
                out.setdefault((int(a.member), int(b.member), end), []).append(bool(a.wartime))
    return out


def _end_kind(key, nxt: set, focal_next: set, last_year: int, ends: dict) -> str:
    a, b, y = key
    if y >= last_year:
        return PANEL_END
    if (a, y + 1) not in focal_next:
        return FOCAL_GONE
    if (a, b, y + 1) not in nxt:
        return PARTNER_GONE
    flags = ends.get((a, b, y))
    if not flags:
        return UNMATCHED
    return WARTIME if all(flags) else ENDED


def build_alliance_spells(
    panel: pd.DataFrame, cases: pd.DataFrame, treaties: pd.DataFrame, obligation: str = "any"
) -> tuple[pd.DataFrame, dict]:
    """The alliance-spell table and its meta (see the module docstring).

    ``panel``: a directed dyad-year panel (:func:`.panel.build_dyad_year`);
    ``cases``: the encoded cases (one row per case and partner);
    ``treaties``: the ATOP 4.01 treaty table. Returns the panel's rows in
    force (minus a broken spell's later years) with :data:`SPELL_COLUMNS`
    added, sorted by ccode1, ccode2, year, and the meta dict.
    """
    if obligation not in OBLIGATIONS:
        raise ValueError(f"obligation must be one of {', '.join(OBLIGATIONS)}, not {obligation!r}")
    col = f"atop_{obligation}"
    require_columns(panel, [*PANEL_KEYS, col, "era"], "panel")
    require_columns(cases, CASE_COLUMNS, "cases table")
    p = panel.sort_values(PANEL_KEYS, kind="stable")
    at = _spells(p[p[col] == 1].reset_index(drop=True))

    # political breaks from the case files: matched on the pair in force that year
    br = cases.loc[cases["event"] == "broke", CASE_COLUMNS].drop_duplicates(["case_id", "ccode1", "ccode2"])
    br = br.astype({"ccode1": "int64", "ccode2": "int64", "year": "int64"})
    keys = {tuple(k): i for i, k in enumerate(at[PANEL_KEYS].itertuples(index=False, name=None))}
    focal = set(p["ccode1"].astype("int64").tolist())
    at["political_break"] = 0.0
    at["break_case"] = ""
    matched, unmatched = [], []
    for r in br.itertuples(index=False):
        key = (r.ccode1, r.ccode2, r.year)
        row = {"case_id": r.case_id, "ccode1": r.ccode1, "ccode2": r.ccode2, "year": r.year}
        if r.ccode1 not in focal:
            unmatched.append({**row, "reason": "its focal state is not a focal state of this panel"})
        elif key not in keys:
            unmatched.append({**row, "reason": f"no obligation ({obligation}) of the pair in force that year"})
        else:
            i = keys[key]
            at.loc[i, "political_break"] = 1.0
            prev = at.at[i, "break_case"]
            at.loc[i, "break_case"] = f"{prev};{r.case_id}" if prev else r.case_id
            matched.append(row)

    # drop a broken spell's later years
    brk = at.loc[at["political_break"] == 1, ["spell_id", "year"]].groupby("spell_id")["year"].min()
    cut = at["spell_id"].map(brk)
    after = cut.notna() & (at["year"] > cut)
    dropped = int(after.sum())
    at = at[~after].reset_index(drop=True)

    # how every spell ended
    at["spell_end"] = ""
    last = at.groupby("spell_id")["year"].transform("max") == at["year"]
    nxt = set(p[PANEL_KEYS].itertuples(index=False, name=None))
    focal_next = set(p[["ccode1", "year"]].itertuples(index=False, name=None))
    last_year = int(p["year"].max())
    ends = _treaty_ends(treaties)
    kinds = [
        BREAK if b == 1 else _end_kind(k, nxt, focal_next, last_year, ends)
        for k, b in zip(
            at.loc[last, PANEL_KEYS].itertuples(index=False, name=None),
            at.loc[last, "political_break"].tolist(),
            strict=True,
        )
    ]
    at.loc[last, "spell_end"] = kinds
    at["spell_id"] = at["spell_id"].rank(method="dense").astype("int64")
    meta = spells_meta(at, matched, unmatched, dropped, obligation)
    return at, meta


def spells_meta(at: pd.DataFrame, matched: list, unmatched: list, dropped: int, obligation: str) -> dict:
    """Counts for the table's meta file: spells, ends by kind and era, breaks."""
    ends = at[at["spell_end"] != ""]
    by_era = {
        str(era): {k: int(v) for k, v in g["spell_end"].value_counts().sort_index().items()}
        for era, g in ends.groupby("era", sort=True)
    }
    return {
        "obligation": obligation,
        "spells": int(at["spell_id"].nunique()),
        "ends_by_kind": {k: int((ends["spell_end"] == k).sum()) for k in END_KINDS},
        "ends_by_era": by_era,
        "breaks_matched": len(matched),
        "break_cases": sorted({m["case_id"] for m in matched}),
        "breaks": matched,
        "breaks_unmatched": unmatched,
        "rows_dropped_after_break": dropped,
    }
