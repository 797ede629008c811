"""Rule fit_bayes: the Bayesian fit of one model, retried until the gate passes or the ladder ends."""

from __future__ import annotations

import json
import logging

from .. import io
from ..models.bayes import fit_until_gate, summarize
from ..models.matrix import build_model_data
from ..models.spec import ModelSpec, load_model_frame

log = logging.getLogger(__name__)


def run(
    spec_json: str,
    data_path: str,
    sampling: dict,
    seed: int,
    thresholds: dict,
    out_nc: str,
    out_summary: str,
    out_diag: str,
) -> None:
    """Sample a model; write posterior.nc, summary.csv and diagnostics.json."""
    spec = ModelSpec.from_json(spec_json)
    md = build_model_data(spec, load_model_frame(spec, data_path))
    idata, diag = fit_until_gate(md, sampling, seed, thresholds)
    events = int(md.y.sum()) if spec.family in ("bernoulli", "conditional") else None
    diag.update(
        {
            "model": spec.name,
            "sampling_seconds": idata.attrs["sampling_seconds"],
            "n_obs": int(len(md.y)),
            "n_dropped": int(md.n_dropped),
            "n_events": events,
            "n_decisions": md.n_decisions,
            "unit": spec.unit,
            "n_strata_dropped": md.n_strata_dropped if spec.family == "conditional" else None,
            "draws_first": int(idata.attrs["draws_first"]),
            "extension": json.loads(idata.attrs["extension"]),
        }
    )
    if diag["status"] == "failed":
        log.warning(
            "model %s FAILED the convergence gate in all %d attempts: %s",
            spec.name,
            len(diag["attempts"]),
            "; ".join(diag["reasons"]),
        )
    idata.attrs["diagnostics_status"] = diag["status"]
    summary = summarize(idata)
    summary.insert(0, "fit_status", diag["status"])
    summary.insert(0, "model", spec.name)
    summary["n_obs"], summary["n_events"], summary["n_decisions"] = len(md.y), events, md.n_decisions
    io.write_idata(idata, out_nc)
    io.write_csv(summary, out_summary)
    io.write_json(diag, out_diag)
