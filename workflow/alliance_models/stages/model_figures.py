"""Rules model_figures and case_model_figures: a model's figures and tables."""

from __future__ import annotations

import json
from pathlib import Path

import arviz as az

from .. import summaries as sm
from ..figures import write_model_figures
from ..models.spec import ModelSpec, load_model_frame


def run(
    model: str,
    inputs: dict,
    reduced: list[dict],
    settings: dict,
    fig_dir: str,
    table_dir: str,
    case: dict | None = None,
) -> None:
    """``inputs``: nc, summary, diagnostics, frequentist, data, spec (the
    declaration as JSON; else the posterior's copy); ``reduced``, ``case``:
    see figures.write_model_figures."""
    diag = json.loads(Path(inputs["diagnostics"]).read_text())
    spec = (
        ModelSpec.from_json(inputs["spec"])
        if inputs.get("spec")
        else ModelSpec.from_json(az.from_netcdf(inputs["nc"]).attrs["model_spec"])
    )
    fit = sm.load_fit(inputs["nc"], load_model_frame(spec, inputs["data"]), diag, spec)
    write_model_figures(model, fit, inputs["frequentist"], reduced, settings, fig_dir, table_dir, case)
