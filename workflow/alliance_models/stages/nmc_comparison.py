"""Rule nmc_comparison: every cell where NMC 6.0 and 7.0 disagree."""

from __future__ import annotations

import logging

from .. import io
from ..data import nmc, states
from ..sources import read_source

log = logging.getLogger(__name__)


def run(inputs: dict, sources: dict, output: str) -> None:
    """Write every NMC 6.0 vs 7.0 difference on overlapping years."""
    n7 = nmc.clean_nmc7(read_source(inputs["nmc7"], sources["nmc7"]), inputs["nmc7"])
    n6 = nmc.clean_nmc6(read_source(inputs["nmc6"], sources["nmc6"]), inputs["nmc6"])
    spells = states.load_system(inputs["cow_states"], sources["cow_states"]["object"])
    diff = nmc.compare_nmc(n6, n7)
    abb = spells.drop_duplicates("ccode").set_index("ccode")["stateabb"]
    diff.insert(1, "stateabb", diff["ccode"].map(abb).astype("str"))
    log.info(
        "NMC 6.0 vs 7.0: %d differing cells in %d state-years", len(diff), len(diff.drop_duplicates(["ccode", "year"]))
    )
    io.write_csv(diff, output)
