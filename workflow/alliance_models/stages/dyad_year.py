"""Rule dyad_year: the directed dyad-year panel of one focal set."""

from __future__ import annotations

from .. import io
from ..data.panel import build_dyad_year_from_files


def run(
    inputs: dict,
    sources: dict,
    set_name: str,
    focal,
    years,
    mid_source: str,
    threat_window: int,
    atop_directed: bool,
    eras: dict | None,
    outputs: dict,
) -> None:
    df, meta = build_dyad_year_from_files(
        inputs, sources, set_name, focal, years, mid_source, threat_window, atop_directed, eras
    )
    io.write_parquet(df, outputs["panel"])
    io.write_yaml(meta, outputs["meta"])
