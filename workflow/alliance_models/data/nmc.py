"""COW National Material Capabilities (NMC 6.0 CSV and 7.0 .rda)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..sources import require_columns

COMPONENTS = ["milex", "milper", "irst", "pec", "tpop", "upop", "cinc"]
# COW's missing-value codes. NMC 7.0 as distributed by peacesciencer already
# has NA; the 6.0 CSV uses -9.
MISSING_CODES = (-9, -99, -999)
UNITS = {
    "milex": "thousands of current GBP (before 1914) or USD (from 1914); see milex_currency",
    "milper": "thousands of personnel",
    "irst": "thousands of tons of iron and steel",
    "pec": "thousands of coal-ton equivalents",
    "tpop": "thousands of people",
    "upop": "thousands of people in cities over 100,000",
    "cinc": "share of the system's capabilities (0-1)",
}
MILEX_SWITCH_YEAR = 1914


def milex_currency(year: pd.Series) -> pd.Series:
    """NMC's milex unit by year: GBP thousands before 1914, current USD thousands after."""
    return pd.Series(
        np.where(year < MILEX_SWITCH_YEAR, "GBP_thousands", "USD_thousands_current"),
        index=year.index,
        dtype="str",
    )


def _clean(raw: pd.DataFrame, path, version: str) -> pd.DataFrame:
    require_columns(raw, ["ccode", "year", *COMPONENTS], path)
    out = pd.DataFrame({"ccode": raw["ccode"], "year": raw["year"]})
    if out[["ccode", "year"]].isna().any().any():
        bad = out[out[["ccode", "year"]].isna().any(axis=1)].index[0]
        raise ValueError(f"'{path}': row {bad + 2}: missing ccode or year")
    out = out.astype({"ccode": "int64", "year": "int64"})
    for col in COMPONENTS:
        values = pd.to_numeric(raw[col], errors="raise").astype("float64")
        # -9 and the other COW missing codes mean "unknown", never zero.
        values = values.mask(values.isin(MISSING_CODES))
        out[col] = values.to_numpy()
    dup = out.duplicated(["ccode", "year"])
    if dup.any():
        row = out[dup].iloc[0]
        raise ValueError(f"'{path}': duplicate state-year ccode={row.ccode} year={row.year}")
    out["milex_currency"] = milex_currency(out["year"])
    out["nmc_version"] = version
    return out.sort_values(["ccode", "year"]).reset_index(drop=True)


def clean_nmc7(raw: pd.DataFrame, path="cow_nmc.rda") -> pd.DataFrame:
    return _clean(raw, path, "7.0")


def clean_nmc6(raw: pd.DataFrame, path="NMC-60-abridged.csv") -> pd.DataFrame:
    return _clean(raw, path, "6.0")


def compare_nmc(nmc6: pd.DataFrame, nmc7: pd.DataFrame, rtol: float = 1e-6) -> pd.DataFrame:
    """Every overlapping state-year and component where NMC 6.0 and 7.0 differ.

    A value present in one release and missing in the other counts as a
    difference. Returns ccode, year, variable, nmc6, nmc7, diff, rel_diff, kind.
    """
    years = set(nmc6["year"]) & set(nmc7["year"])
    a = nmc6[nmc6["year"].isin(years)].set_index(["ccode", "year"])[COMPONENTS]
    b = nmc7[nmc7["year"].isin(years)].set_index(["ccode", "year"])[COMPONENTS]
    a, b = a.align(b, join="outer")
    frames = []
    for col in COMPONENTS:
        x, y = a[col], b[col]
        both = x.notna() & y.notna()
        changed = both & ~np.isclose(x, y, rtol=rtol, atol=0, equal_nan=False)
        only6 = x.notna() & y.isna()
        only7 = x.isna() & y.notna()
        mask = changed | only6 | only7
        if not mask.any():
            continue
        f = pd.DataFrame({"variable": col, "nmc6": x[mask], "nmc7": y[mask]})
        f["kind"] = np.select([changed[mask], only6[mask]], ["changed", "missing_in_7"], default="missing_in_6")
        frames.append(f)
    if not frames:
        cols = ["ccode", "year", "variable", "nmc6", "nmc7", "diff", "rel_diff", "kind"]
        return pd.DataFrame(columns=cols)
    out = pd.concat(frames).reset_index()
    out["diff"] = out["nmc7"] - out["nmc6"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["rel_diff"] = out["diff"] / out["nmc6"].abs()
    out = out[["ccode", "year", "variable", "nmc6", "nmc7", "diff", "rel_diff", "kind"]]
    return out.sort_values(["ccode", "year", "variable"]).reset_index(drop=True)
