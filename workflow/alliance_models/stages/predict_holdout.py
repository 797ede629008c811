"""Rule predict_holdout: posterior predictions for a model's held-out rows."""

from __future__ import annotations

import logging

import arviz as az
import numpy as np

from .. import io
from ..models.bayes import posterior_probabilities
from ..models.matrix import build_model_data, new_design
from ..models.spec import ModelSpec, load_model_frame

log = logging.getLogger(__name__)


def run(posterior_nc: str, data_path: str, output: str) -> None:
    """Posterior predictions for a model's holdout rows (out of sample)."""
    idata = az.from_netcdf(posterior_nc)
    spec = ModelSpec.from_json(idata.attrs["model_spec"])
    frame = load_model_frame(spec, data_path)
    md = build_model_data(spec, frame)
    held = build_model_data(spec, frame, part="holdout")
    groups = {g["by"]: frame.loc[held.rows, g["by"]].astype(str).to_numpy() for g in md.groups}
    # an unseen decision year or partner is a new draw from its population
    p = posterior_probabilities(
        idata,
        md,
        new_design(md, frame.loc[held.rows]),
        groups,
        new_levels="sample",
        seed=int(idata.attrs.get("seed", 0)),
    )
    keys = [c for c in ("case_id", "ccode1", "ccode2", "year", "era") if c in frame.columns]
    out = frame.loc[held.rows, keys].reset_index(drop=True)
    out["observed"] = held.y
    if spec.decisions:
        out["decision"] = frame.loc[held.rows, spec.decisions].to_numpy()
    if spec.family == "bernoulli":
        out["p_mean"] = p.mean(axis=0)
        out["p_lo90"], out["p_hi90"] = np.quantile(p, [0.05, 0.95], axis=0)
        out["train_base_rate"] = float(md.y.mean())
    else:
        for k, cat in enumerate(md.categories):
            out[f"p_{cat}"] = p[:, :, k].mean(axis=0)
    log.info("model %s: %d holdout rows predicted (%d fitted)", spec.name, len(out), len(md.y))
    io.write_csv(out, output)
