"""Rule state_year: one row per COW state-year (NMC, Maddison, Polity5)."""

from __future__ import annotations

from .. import io
from ..data import maddison, nmc, polity, states
from ..data.state_year import UNITS, build_state_year
from ..provenance import table_meta, write_meta
from ..sources import read_source


def run(inputs: dict, sources: dict, output: str, start: int, end: int, capabilities: str, max_gap: int) -> None:
    """Build data/processed/state_year.parquet from NMC, COW states, Maddison and Polity5."""
    spells = states.load_system(inputs["cow_states"], sources["cow_states"]["object"])
    n7 = nmc.clean_nmc7(read_source(inputs["nmc7"], sources["nmc7"]), inputs["nmc7"])
    n6 = nmc.clean_nmc6(read_source(inputs["nmc6"], sources["nmc6"]), inputs["nmc6"])
    mapping = maddison.load_mapping(inputs["mapping"])
    gdp = maddison.clean_maddison(
        read_source(inputs["maddison"], sources["maddison"]), mapping, inputs["maddison"], max_gap
    )
    pol = polity.clean_polity5(read_source(inputs["polity5"], sources["polity5"]), inputs["polity5"])
    df = build_state_year(spells, n7, n6, gdp, start, end, capabilities, pol)
    io.write_parquet(df, output)
    versions = {
        "capabilities": df["cap_source"].iloc[0],
        "gdp": "Maddison Project Database 2023",
        "membership": "COW State System Membership v2016",
        "regime": "Polity5 (Marshall & Gurr 2020)",
    }
    write_meta(output, table_meta(df, inputs.values(), UNITS, keys=["ccode", "year"], sources=versions))
