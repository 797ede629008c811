"""COW state-system membership: spells, state-years and code checks."""

from __future__ import annotations

import os

import pandas as pd

from ..sources import read_rda, require_columns

# The COW membership list used here is v2016: a spell ending on 2016-12-31 is
# still open. Such spells are carried forward to this year (NMC 7.0 covers the
# same 195 states through 2022); the carried years are flagged where they matter.
COW_STATES_VERSION_END = 2016
OPEN_END_YEAR = 2022


def load_system(path: str | os.PathLike, obj: str = "cow_states") -> pd.DataFrame:
    """Membership spells: ccode, stateabb, statenme, start_year, end_year (int).

    Spells still open at the end of the COW v2016 list get ``end_year`` 2022.
    """
    raw = read_rda(path, obj)
    require_columns(raw, ["stateabb", "ccode", "statenme", "styear", "endyear", "endmonth", "endday"], path)
    spells = pd.DataFrame(
        {
            "ccode": raw["ccode"].astype("int64"),
            "stateabb": raw["stateabb"].astype(str),
            "statenme": raw["statenme"].astype(str),
            "start_year": raw["styear"].astype("int64"),
            "end_year": raw["endyear"].astype("int64"),
        }
    )
    open_ended = (raw["endyear"] == COW_STATES_VERSION_END) & (raw["endmonth"] == 12) & (raw["endday"] == 31)
    spells.loc[open_ended.to_numpy(), "end_year"] = OPEN_END_YEAR
    return spells.sort_values(["ccode", "start_year"]).reset_index(drop=True)


def system_years(spells: pd.DataFrame, start: int = 1816, end: int = OPEN_END_YEAR) -> pd.DataFrame:
    """One row per (ccode, year) in which the state was a system member."""
    rows = []
    for s in spells.itertuples(index=False):
        lo, hi = max(s.start_year, start), min(s.end_year, end)
        if lo <= hi:
            rows.append(pd.DataFrame({"ccode": s.ccode, "year": range(lo, hi + 1), "stateabb": s.stateabb}))
    out = pd.concat(rows, ignore_index=True)
    # A state whose spells touch in one year (e.g. ended and re-entered) appears once.
    out = out.drop_duplicates(["ccode", "year"]).sort_values(["ccode", "year"]).reset_index(drop=True)
    out["ccode"] = out["ccode"].astype("int64")
    out["year"] = out["year"].astype("int64")
    return out


def is_member(spells: pd.DataFrame, ccode: int, year: int) -> bool:
    s = spells[spells["ccode"] == ccode]
    return bool(((s["start_year"] <= year) & (s["end_year"] >= year)).any())


def known_codes(spells: pd.DataFrame) -> set[int]:
    return set(int(c) for c in spells["ccode"].unique())


def state_names(spells: pd.DataFrame) -> dict[int, str]:
    """COW code -> the state's name in its latest membership spell (COW's
    statenme: 365 "Russia", 710 "China"), from :func:`load_system` output."""
    last = spells.sort_values("start_year").drop_duplicates("ccode", keep="last")
    return {int(c): str(n) for c, n in zip(last["ccode"], last["statenme"])}
