"""Rule latent_figures: the latent capability figure and tables of the report."""

from __future__ import annotations

import json

import pandas as pd

from .. import io, plots, plots_report
from ..cases import seed_gdp_levels
from ..data.latent import capability_series, loadings_table, ratio_comparison
from ..summaries import state_names


def run(inputs: dict, settings: dict, outputs: dict, seed_dir: str | None = None) -> None:
    """The latent capability of the states in ``settings['states']`` over
    time, the indicators' loadings, and the focal dyad's latent ratio in the
    annotated years beside the measured ratios and the seed's nominal one."""
    table = io.read_parquet(inputs["latent"])
    names = state_names(pd.read_parquet(inputs["state_year"], columns=["ccode", "year", "stateabb"]))
    series = capability_series(table, settings["states"], names)
    panel = pd.read_parquet(inputs["panel"])
    seed = seed_gdp_levels(seed_dir) if seed_dir else None
    ratios = ratio_comparison(panel, settings["focal"], settings["partner"], settings["years"], seed)
    io.write_csv(series, outputs["series"])
    io.write_csv(loadings_table(json.loads(open(inputs["diagnostics"]).read())), outputs["loadings"])
    io.write_csv(ratios, outputs["ratios"])
    f, p = (
        names.get(int(settings["focal"]), settings["focal"]),
        names.get(int(settings["partner"]), settings["partner"]),
    )
    plots.save(
        plots_report.latent_capability(
            series, ratios, f"Latent capability (measurement model of CINC, GDP, military spending); {f}/{p} ratio"
        ),
        outputs["figure_stem"],
    )
