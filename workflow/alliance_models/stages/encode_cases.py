"""Rule encode_cases: validate the case files and measure every (case, partner)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from .. import io
from ..cases import (
    ENCODED_DOCS,
    encode_cases,
    missing_counts,
    read_dyad_sources,
    seed_levels_or_none,
    validate_case_files,
)
from ..data.states import load_system
from ..provenance import table_meta, write_meta


def run(
    case_files, inputs: Mapping, sources: Mapping, output: str, missing_output: str, seed_dir, typology: Mapping
) -> None:
    """Validate the case files, encode them and write cases.parquet, its sidecar and the missing counts."""
    spells = load_system(inputs["cow_states"], sources["cow_states"]["object"])
    cases = validate_case_files(case_files, spells)
    state_year = pd.read_parquet(inputs["state_year"])
    encoded = encode_cases(
        cases,
        state_year,
        **read_dyad_sources(inputs, sources),
        seed_gdp=seed_levels_or_none(seed_dir),
        window=int(typology["mid_window"]),
        seed_gdp_max_gap=int(typology["seed_gdp_max_gap"]),
        latent=pd.read_parquet(inputs["latent"]) if "latent" in inputs else None,
    )
    missing = missing_counts(encoded)
    io.write_parquet(encoded, output)
    seed_files = sorted(Path(seed_dir).glob("*.csv")) if seed_dir and Path(seed_dir).is_dir() else []
    write_meta(
        output,
        table_meta(
            encoded,
            [*sorted(map(str, case_files)), *map(str, inputs.values()), *map(str, seed_files)],
            {c: ENCODED_DOCS[c] for c in encoded.columns if c in ENCODED_DOCS},
            unit="case-partner",
            keys=["case_id", "ccode2"],
            n_cases=int(encoded["case_id"].nunique()),
            mid_source="COW MID 5.0 (directed dispute-years)",
            mid_window=int(typology["mid_window"]),
            missing={r.indicator: r.n_missing for r in missing.itertuples()},
        ),
    )
    io.write_csv(missing, missing_output)
