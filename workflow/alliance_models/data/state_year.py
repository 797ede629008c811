"""The state-year table: one row per COW state-year with capabilities and GDP."""

from __future__ import annotations

import logging

import pandas as pd

from . import nmc
from . import polity as polity_mod
from .states import COW_STATES_VERSION_END, system_years

log = logging.getLogger(__name__)

COLUMNS = [
    "ccode",
    "year",
    "stateabb",
    *nmc.COMPONENTS,
    "milex_currency",
    "cap_source",
    "gdppc",
    "maddison_pop",
    "gdp",
    "gdp_flag",
    "maddison_iso3",
    "gdp_source",
    "polity",
    "polity2",
    "membership_carried",
]
# the columns a measurement model may take as indicators (levels)
NUMERIC = ("milex", "milper", "irst", "pec", "tpop", "upop", "cinc", "gdppc", "maddison_pop", "gdp")
UNITS = {
    **nmc.UNITS,
    **polity_mod.UNITS,
    "gdppc": "2011 international dollars (PPP) per person",
    "maddison_pop": "thousands of people (Maddison)",
    "gdp": "millions of 2011 international dollars (PPP) = gdppc x maddison_pop / 1000",
    "gdp_flag": (
        "observed | interpolated (log-linear, gap <= maddison_max_gap) | missing"
        " | excluded (mapping table: no comparable series)"
    ),
    "membership_carried": "True where COW membership is carried past the v2016 list's end",
}


def build_state_year(
    spells: pd.DataFrame,
    nmc7: pd.DataFrame,
    nmc6: pd.DataFrame,
    gdp: pd.DataFrame,
    start: int = 1816,
    end: int = 2022,
    capabilities: str = "nmc7",
    polity: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Join system membership, NMC capabilities, Maddison GDP and Polity5.

    ``nmc7``/``nmc6`` come from :mod:`.nmc`, ``gdp`` from
    :func:`.maddison.clean_maddison`, ``polity`` from
    :func:`.polity.clean_polity5` (None: polity and polity2 all missing). Rows
    are COW state-years; indicators are left-joined, so a missing value stays
    missing.
    """
    base = system_years(spells, start, end)
    cap = {"nmc7": nmc7, "nmc6": nmc6}[capabilities]
    version = cap["nmc_version"].iloc[0] if len(cap) else "?"
    cols = ["ccode", "year", *nmc.COMPONENTS]
    out = base.merge(cap[cols], on=["ccode", "year"], how="left", validate="one_to_one")
    unmatched = out["cinc"].isna().sum()
    out["milex_currency"] = nmc.milex_currency(out["year"])
    out["cap_source"] = f"COW NMC {version}"
    g = gdp[["ccode", "year", "gdppc", "maddison_pop", "gdp", "gdp_flag", "maddison_iso3"]]
    out = out.merge(g, on=["ccode", "year"], how="left", validate="one_to_one")
    out["gdp_flag"] = out["gdp_flag"].fillna("missing").astype("str")
    out["gdp_source"] = pd.Series(
        ["Maddison Project Database 2023" if f in ("observed", "interpolated") else "" for f in out["gdp_flag"]],
        index=out.index,
        dtype="str",
    )
    if polity is None:
        polity = pd.DataFrame(
            {
                "ccode": pd.Series(dtype="int64"),
                "year": pd.Series(dtype="int64"),
                "polity": pd.Series(dtype="float64"),
                "polity2": pd.Series(dtype="float64"),
            }
        )
    out = out.merge(
        polity[["ccode", "year", "polity", "polity2"]], on=["ccode", "year"], how="left", validate="one_to_one"
    )
    out["membership_carried"] = out["year"] > COW_STATES_VERSION_END
    log.info(
        "state_year: %d rows, %d states, %d-%d; %d rows without %s CINC, %d without GDP, %d without polity2",
        len(out),
        out["ccode"].nunique(),
        out["year"].min(),
        out["year"].max(),
        unmatched,
        version,
        out["gdp"].isna().sum(),
        out["polity2"].isna().sum(),
    )
    out = out[COLUMNS].sort_values(["ccode", "year"]).reset_index(drop=True)
    check_state_year(out)
    return out


def check_state_year(df: pd.DataFrame) -> None:
    """Sanity checks that close the cleaning step: keys, dtypes, ranges."""
    assert list(df.columns) == COLUMNS, f"unexpected columns {list(df.columns)}"
    assert not df.duplicated(["ccode", "year"]).any(), "duplicate (ccode, year)"
    assert df["ccode"].dtype == "int64" and df["year"].dtype == "int64"
    for col in nmc.COMPONENTS + ["gdp", "gdppc"]:
        assert (df[col].dropna() >= 0).all(), f"negative values in {col}"
    assert df["cinc"].dropna().le(1).all(), "CINC above 1"
