"""A minimal state-year table built from the real mirror, for dyad tests.

Columns ccode, year, cinc, milex, tpop, milex_currency (COW NMC 7.0,
cow_nmc.rda) and gdp (Maddison 2023: gdppc x pop / 1000, millions of 2011
int'l $) for the few ISO3 series the dyad tests need: CHN -> 710, SUN -> 365
up to 1991 and RUS -> 365 from 1992, USA -> 2, FIN -> 375. Every other state
has gdp NaN. polity2: Polity5 (democracydata/polity5.rda) by COW code, as
the pipeline cleans it (alliance_models.data.polity). It stands in for data/processed/state_year.parquet (built by
the pipeline) so the dyad tests do not depend on the state-year stage.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyreadr

GDP_MAP = [
    ("CHN", 710, 1816, 2022),
    ("SUN", 365, 1816, 1991),
    ("RUS", 365, 1992, 2022),
    ("USA", 2, 1816, 2022),
    ("FIN", 375, 1816, 2022),
]


def build_state_year(mirror: Path) -> pd.DataFrame:
    nmc = pyreadr.read_r(str(mirror / "peacesciencer" / "cow_nmc.rda"))["cow_nmc"]
    out = pd.DataFrame(
        {
            "ccode": nmc["ccode"].astype("int64"),
            "year": nmc["year"].astype("int64"),
            "cinc": nmc["cinc"].astype("float64"),
            "milex": nmc["milex"].astype("float64"),
            "tpop": nmc["tpop"].astype("float64"),
        }
    )
    out["milex_currency"] = pd.Series(
        np.where(out["year"] < 1914, "GBP_thousands", "USD_thousands_current"), dtype="str"
    )
    mad = pyreadr.read_r(str(mirror / "maddison" / "MaddisonData.rda"))["MaddisonData"]
    parts = []
    for iso, ccode, lo, hi in GDP_MAP:
        m = mad[(mad["ISO"] == iso) & mad["year"].between(lo, hi)]
        parts.append(
            pd.DataFrame(
                {"ccode": ccode, "year": m["year"].astype("int64"), "gdp": (m["gdppc"] * m["pop"] / 1000).to_numpy()}
            )
        )
    gdp = pd.concat(parts, ignore_index=True)
    out = out.merge(gdp, on=["ccode", "year"], how="left", validate="one_to_one")
    from alliance_models.data.polity import clean_polity5

    pol = clean_polity5(pyreadr.read_r(str(mirror / "democracydata" / "polity5.rda"))["polity5"])
    out = out.merge(pol[["ccode", "year", "polity2"]], on=["ccode", "year"], how="left", validate="one_to_one")
    return out.sort_values(["ccode", "year"]).reset_index(drop=True)
