"""One function per pipeline stage: read the inputs, call the logic, write outputs.

Rule scripts call exactly one of these; tests call them without Snakemake.
All writes are atomic (see :mod:`.io`).
"""

from __future__ import annotations

import logging

import pandas as pd

from . import io
from .data import maddison, nmc, states
from .data.state_year import UNITS, build_state_year
from .fetch import fetch_source
from .provenance import table_meta, write_meta
from .sources import read_source

log = logging.getLogger(__name__)


def fetch(name: str, source: dict, output: str, mirror: str | None) -> None:
    fetch_source(name, source, output, mirror or None)


def state_year(inputs: dict, sources: dict, output: str, start: int, end: int,
               capabilities: str, max_gap: int) -> None:
    """Build data/processed/state_year.parquet from NMC, COW states and Maddison."""
    spells = states.load_system(inputs["cow_states"], sources["cow_states"]["object"])
    n7 = nmc.clean_nmc7(read_source(inputs["nmc7"], sources["nmc7"]), inputs["nmc7"])
    n6 = nmc.clean_nmc6(read_source(inputs["nmc6"], sources["nmc6"]), inputs["nmc6"])
    mapping = maddison.load_mapping(inputs["mapping"])
    gdp = maddison.clean_maddison(
        read_source(inputs["maddison"], sources["maddison"]), mapping, inputs["maddison"], max_gap
    )
    df = build_state_year(spells, n7, n6, gdp, start, end, capabilities)
    io.write_parquet(df, output)
    versions = {"capabilities": df["cap_source"].iloc[0], "gdp": "Maddison Project Database 2023",
                "membership": "COW State System Membership v2016"}
    write_meta(output, table_meta(df, inputs.values(), UNITS, keys=["ccode", "year"],
                                  sources=versions))


def nmc_comparison(inputs: dict, sources: dict, output: str) -> None:
    """Write every NMC 6.0 vs 7.0 difference on overlapping years."""
    n7 = nmc.clean_nmc7(read_source(inputs["nmc7"], sources["nmc7"]), inputs["nmc7"])
    n6 = nmc.clean_nmc6(read_source(inputs["nmc6"], sources["nmc6"]), inputs["nmc6"])
    spells = states.load_system(inputs["cow_states"], sources["cow_states"]["object"])
    diff = nmc.compare_nmc(n6, n7)
    abb = spells.drop_duplicates("ccode").set_index("ccode")["stateabb"]
    diff.insert(1, "stateabb", diff["ccode"].map(abb).astype("str"))
    log.info("NMC 6.0 vs 7.0: %d differing cells in %d state-years", len(diff),
             len(diff.drop_duplicates(["ccode", "year"])))
    io.write_csv(diff, output)
