"""Rule moura_table4: Moura's Table 4 recomputed beside the printed coding."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .. import io
from ..cases import load_moura_table4, moura_indicators, moura_table4, read_dyad_sources, seed_levels_or_none


def run(inputs: Mapping, sources: Mapping, seed_dir, typology: Mapping, output: str) -> None:
    """Recompute Moura's Table 4 from the measures and write it beside the printed coding."""
    state_year = pd.read_parquet(inputs["state_year"])
    ind = moura_indicators(
        state_year, typology, **read_dyad_sources(inputs, sources), seed_gdp=seed_levels_or_none(seed_dir)
    )
    table = moura_table4(ind, typology, load_moura_table4(inputs["printed"]))
    io.write_csv(table, output)
