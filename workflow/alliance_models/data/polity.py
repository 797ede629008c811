"""Polity5 regime scores by COW state-year (Marshall & Gurr 2020).

Polity5's ``polity`` runs from -10 (full autocracy) to +10 (full democracy)
and uses three special codes for years it cannot score: -66 (foreign
interruption: the state is occupied or its polity suspended by a foreign
power), -77 (interregnum: central authority has collapsed) and -88
(transition: a new regime is being set up). Polity5's own ``polity2`` turns
them into numbers for time-series use, and this module keeps that rule rather
than inventing one:

- -66 -> missing (``polity2`` is empty for interruption years);
- -77 -> 0 (a neutral score for the interregnum);
- -88 -> the scores before and after the transition, prorated linearly over
  its years (e.g. Russia 1905: polity -88 between -10 in 1904 and -6 in 1906
  gives polity2 -8).

A state-year with no Polity5 row (Polity covers states above half a million
people; COW members such as Liechtenstein or Andorra are absent) stays
missing, never zero. Polity5 rows carry COW codes in ``cown``; the 76 rows
without one are not COW states and are dropped.

Where Polity5 scores two of its units for one COW state-year (the year one
Polity unit ends and its successor begins under the same COW code: Russia
to the USSR in 1922, Sardinia to Italy in 1861, Yugoslavia to Serbia and
Montenegro in 1991 and to Serbia in 2006, Ethiopia in 1993, Sudan in 2011,
Vietnam in 1976), the successor's row is kept: the unit whose series goes on
into the next year under that COW code. If that does not single out one row,
the mean of their polity2 is used.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import SourceFormatError
from ..sources import require_columns

SPECIAL_CODES = {-66: "interruption", -77: "interregnum", -88: "transition"}
UNITS = {
    "polity": "Polity5 polity score -10 (autocracy) .. 10 (democracy); -66, -77, -88 are Polity's special codes "
    "(foreign interruption, interregnum, transition)",
    "polity2": "Polity5 polity2: polity with the special codes converted by Polity's rule (-66 missing, -77 0, "
    "-88 prorated across the transition); missing where Polity5 has no row",
}


def clean_polity5(raw: pd.DataFrame, path: str = "polity5.rda") -> pd.DataFrame:
    """One row per COW state-year with Polity5: ccode, year (int64), polity,
    polity2 (float64). See the module docstring for the rules."""
    require_columns(raw, ["scode", "year", "polity", "polity2", "cown"], path)
    df = raw[raw["cown"].notna()]
    if df["year"].isna().any():
        raise SourceFormatError(f"'{path}': column 'year' has missing values")
    out = pd.DataFrame(
        {
            "ccode": df["cown"].to_numpy("int64"),
            "year": df["year"].to_numpy("int64"),
            "scode": df["scode"].astype(str).to_numpy(),
            "polity": df["polity"].to_numpy("float64"),
            "polity2": df["polity2"].to_numpy("float64"),
        }
    )
    p2 = out["polity2"].dropna()
    if not p2.between(-10, 10).all():
        raise SourceFormatError(f"'{path}': column 'polity2' outside -10..10")
    ok = out["polity"].isna() | out["polity"].between(-10, 10) | out["polity"].isin(list(SPECIAL_CODES))
    if not ok.all():
        raise SourceFormatError(
            f"'{path}': column 'polity' has a value that is neither -10..10 nor a special code "
            f"(row {int(np.flatnonzero(~ok.to_numpy())[0]) + 1})"
        )
    dup = out.duplicated(["ccode", "year"], keep=False)
    if dup.any():
        units = set(zip(out["ccode"], out["year"], out["scode"]))
        keep = ~dup
        for (c, y), g in out[dup].groupby(["ccode", "year"]):
            succ = [i for i, s in zip(g.index, g["scode"]) if (c, y + 1, s) in units]
            if len(succ) == 1:
                keep[succ[0]] = True
            else:
                first = g.index[0]
                out.loc[first, "polity2"] = g["polity2"].mean()
                out.loc[first, "polity"] = np.nan if g["polity"].nunique() > 1 else g["polity"].iloc[0]
                keep[first] = True
        out = out[keep]
    return out.drop(columns="scode").sort_values(["ccode", "year"]).reset_index(drop=True)
