"""Rule fit_frequentist: the frequentist fit of one model."""

from __future__ import annotations

from .. import io
from ..models.logit import fit_frequentist as fit
from ..models.matrix import build_model_data
from ..models.spec import ModelSpec, load_model_frame


def run(spec_json: str, data_path: str, out_csv: str, out_json: str) -> None:
    """Fit a model by statsmodels (Firth under separation); write its tidy table and summary."""
    spec = ModelSpec.from_json(spec_json)
    md = build_model_data(spec, load_model_frame(spec, data_path))
    tidy, summary = fit(md)
    io.write_csv(tidy, out_csv)
    io.write_json(summary, out_json)
