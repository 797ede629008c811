"""Maddison Project Database 2023: GDP by ISO3, mapped to COW codes.

Every ISO3 -> COW decision lives in ``data/raw/mappings/maddison_iso3_to_cow.csv``
with its reason; this module only applies it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import SourceFormatError
from ..sources import require_columns

MAPPING_COLUMNS = ["iso3", "maddison_name", "ccode", "start_year", "end_year", "decision", "reason"]
EXCLUDED = "excluded"
UNMAPPED = "unmapped"


def load_mapping(path) -> pd.DataFrame:
    """Read and check the ISO3 -> COW mapping table."""
    try:
        m = pd.read_csv(path, dtype={"iso3": "str", "decision": "str", "reason": "str"})
    except FileNotFoundError:
        raise SourceFormatError(f"Maddison mapping '{path}' does not exist (config key 'gdp.mapping')") from None
    except (ValueError, UnicodeDecodeError) as exc:  # pandas ParserError and EmptyDataError are ValueErrors
        raise SourceFormatError(f"'{path}': cannot be read as a CSV mapping table ({exc})") from None
    require_columns(m, MAPPING_COLUMNS, path)
    problems = []
    for f in ("ccode", "start_year", "end_year"):
        as_num = pd.to_numeric(m[f], errors="coerce")
        for i in m.index[(as_num.isna() & m[f].notna()) | (as_num.notna() & (as_num % 1 != 0))]:
            problems.append(
                f"'{path}': row {i + 2} ({m.at[i, 'iso3']}): field '{f}': '{m.at[i, f]}' is not a whole number"
            )
        m[f] = as_num
    if problems:
        raise SourceFormatError("invalid Maddison mapping:\n  " + "\n  ".join(problems))
    for i, r in m.iterrows():
        row = f"'{path}': row {i + 2} ({r.iso3})"
        if not isinstance(r.reason, str) or not r.reason.strip():
            problems.append(f"{row}: field 'reason' is empty")
        if r.decision == UNMAPPED:
            continue
        for f in ("ccode", "start_year", "end_year"):
            if pd.isna(r[f]):
                problems.append(f"{row}: field '{f}' is missing")
        if not pd.isna(r.start_year) and not pd.isna(r.end_year) and r.start_year > r.end_year:
            problems.append(f"{row}: field 'end_year' {r.end_year:.0f} is before start_year {r.start_year:.0f}")
    mapped = m[m["decision"] != UNMAPPED].copy()
    for ccode, g in mapped.groupby("ccode"):
        g = g.sort_values("start_year")
        if (g["start_year"].to_numpy()[1:] <= g["end_year"].to_numpy()[:-1]).any():
            problems.append(f"'{path}': ccode {int(ccode)} has overlapping year ranges: {', '.join(g.iso3)}")
    if problems:
        raise SourceFormatError("invalid Maddison mapping:\n  " + "\n  ".join(problems))
    mapped = mapped.astype({"ccode": "int64", "start_year": "int64", "end_year": "int64"})
    return mapped.reset_index(drop=True)


def expand_mapping(mapping: pd.DataFrame) -> pd.DataFrame:
    """One row per (ccode, year) with its ISO3 source or an exclusion."""
    rows = [
        pd.DataFrame(
            {
                "ccode": r.ccode,
                "year": np.arange(r.start_year, r.end_year + 1, dtype="int64"),
                "maddison_iso3": r.iso3,
                "maddison_decision": r.decision,
            }
        )
        for r in mapping.itertuples(index=False)
    ]
    return pd.concat(rows, ignore_index=True)


def clean_maddison(raw: pd.DataFrame, mapping: pd.DataFrame, path="MaddisonData.rda", max_gap: int = 0) -> pd.DataFrame:
    """GDP per COW state-year: gdppc (2011 int'l $), pop (thousands), gdp (million $).

    Gaps of at most ``max_gap`` years inside a mapped series are filled by
    log-linear interpolation and flagged ``interpolated``; nothing is
    extrapolated and nothing becomes zero.
    """
    require_columns(raw, ["ISO", "year", "gdppc", "pop"], path)
    mad = pd.DataFrame(
        {
            "maddison_iso3": raw["ISO"].astype("str"),
            "year": raw["year"].astype("int64"),
            "gdppc": raw["gdppc"].astype("float64"),
            "maddison_pop": raw["pop"].astype("float64"),
        }
    )
    keys = expand_mapping(mapping)
    out = keys.merge(mad, on=["maddison_iso3", "year"], how="left", validate="many_to_one")
    excluded = out["maddison_decision"] == EXCLUDED
    out.loc[excluded, ["gdppc", "maddison_pop"]] = np.nan
    out["gdp"] = out["gdppc"] * out["maddison_pop"] / 1000.0
    out["gdp_flag"] = np.select([excluded, out["gdp"].notna()], [EXCLUDED, "observed"], "missing")
    if max_gap > 0:
        out = out.sort_values(["ccode", "year"]).reset_index(drop=True)
        filled = []
        for _, g in out.groupby(["ccode", "maddison_iso3"], sort=False):
            g = g.copy()
            if not excluded.loc[g.index].any():
                for col in ("gdppc", "maddison_pop"):
                    with np.errstate(invalid="ignore"):  # log(NaN) warns on some builds
                        logv = np.log(g[col])
                    interp = logv.interpolate(method="linear", limit=max_gap, limit_area="inside")
                    # only fill gaps no longer than max_gap in total
                    gap_id = logv.notna().cumsum()
                    gap_len = logv.isna().groupby(gap_id).transform("sum")
                    g[col] = np.where(logv.isna() & (gap_len <= max_gap), np.exp(interp), g[col])
                newly = g["gdp"].isna() & g["gdppc"].notna() & g["maddison_pop"].notna()
                g["gdp"] = g["gdppc"] * g["maddison_pop"] / 1000.0
                g.loc[newly, "gdp_flag"] = "interpolated"
            filled.append(g)
        out = pd.concat(filled)
    dup = out.duplicated(["ccode", "year"])
    if dup.any():
        r = out[dup].iloc[0]
        raise SourceFormatError(f"Maddison mapping gives two series for ccode {r.ccode} in {r.year}")
    return out.sort_values(["ccode", "year"]).reset_index(drop=True)
