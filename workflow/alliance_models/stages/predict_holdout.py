"""Rule predict_holdout: posterior predictions for a model's held-out rows."""

from __future__ import annotations

import logging

import arviz as az
import numpy as np
import pandas as pd

from .. import io
from ..models.bayes import posterior_probabilities
from ..models.matrix import build_model_data, missing_table, new_design
from ..models.spec import ModelSpec, load_model_frame

log = logging.getLogger(__name__)


def run(posterior_nc: str, data_path: str, output: str, ppc_output: str | None = None) -> None:
    """Posterior predictions for a model's holdout rows (out of sample).

    ``p_mean`` (and its interval) is the *population-level* prediction: a
    decision year or partner the fit never saw gets its population mean
    (effect 0). ``p_mean_new_levels`` averages over fresh draws of those
    effects instead: with a decision-year sd near 2.6 on the logit scale,
    exp(sd^2 / 2) makes its mean probability of a rare event many times
    larger, while most of its draws predict fewer events (a skewed
    predictive distribution). Scores use ``p_mean``; ``ppc_output`` gets
    the posterior predictive distribution of the count of events and of
    the decisions with an event under both, against what happened
    (:func:`holdout_ppc`)."""
    idata = az.from_netcdf(posterior_nc)
    spec = ModelSpec.from_json(idata.attrs["model_spec"])
    frame = load_model_frame(spec, data_path)
    md = build_model_data(spec, frame)
    held = build_model_data(spec, frame, part="holdout")
    groups = {g["by"]: frame.loc[held.rows, g["by"]].astype(str).to_numpy() for g in md.groups}
    X = new_design(md, frame.loc[held.rows])
    seed = int(idata.attrs.get("seed", 0))
    p = posterior_probabilities(idata, md, X, groups, new_levels="mean", seed=seed)
    # an unseen decision year or partner drawn from its population instead
    p_new = posterior_probabilities(idata, md, X, groups, new_levels="sample", seed=seed)
    missing = holdout_missing(spec, frame)
    keys = [c for c in ("case_id", "ccode1", "ccode2", "year", "era") if c in frame.columns]
    out = frame.loc[held.rows, keys].reset_index(drop=True)
    out["observed"] = held.y
    if spec.decisions:
        out["decision"] = frame.loc[held.rows, spec.decisions].to_numpy()
    if spec.family == "bernoulli":
        out["p_mean"] = p.mean(axis=0)
        out["p_lo90"], out["p_hi90"] = np.quantile(p, [0.05, 0.95], axis=0)
        out["p_mean_new_levels"] = p_new.mean(axis=0)
        out["train_base_rate"] = float(md.y.mean())
        if ppc_output:
            clusters = out["decision"] if "decision" in out else out.get("year", pd.Series(0, index=out.index))
            ppc = holdout_ppc(
                np.asarray(held.y, float), clusters.to_numpy(), {"population": p, "new_levels": p_new}, seed
            )
            io.write_json({**ppc, "missing": missing}, ppc_output)
    else:
        for k, cat in enumerate(md.categories):
            out[f"p_{cat}"] = p[:, :, k].mean(axis=0)
        if ppc_output:
            io.write_json({"missing": missing}, ppc_output)
    log.info("model %s: %d holdout rows predicted (%d fitted)", spec.name, len(out), len(md.y))
    io.write_csv(out, output)


def holdout_missing(spec, frame: pd.DataFrame) -> dict:
    """What listwise deletion took from the held-out rows (they are never
    scored): rows and events left out, of how many, and the rows missing
    each column (models.matrix.missing_table on the holdout part)."""
    t = missing_table(spec, frame, part="holdout")
    total = t[t["column"] == "(any column)"].iloc[0]
    cols = t[t["column"] != "(any column)"]
    return {
        "rows": int(total["rows_missing"]),
        "events": int(total["events_missing"]),
        "of_rows": int(total["rows"]),
        "of_events": int(total["events"]),
        "by_column": {str(c): int(n) for c, n in zip(cols["column"], cols["rows_missing"])},
    }


def holdout_ppc(y: np.ndarray, clusters: np.ndarray, probs: dict, seed: int = 0, interval: float = 0.9) -> dict:
    """The posterior predictive distribution of the count of events and of
    the decisions (clusters) with at least one event, one replicate per
    posterior draw of each prediction in ``probs`` (name -> draws x rows),
    against the observed: median, mean, interval, P(rep >= observed) and
    P(rep <= observed). A check that can fail: a prediction whose interval
    misses what happened."""
    codes, _ = pd.factorize(pd.Series(clusters).astype(str))
    onehot = np.eye(codes.max() + 1)[codes] if len(codes) else np.zeros((0, 0))
    obs = {"events": float(y.sum()), "decisions_with_event": float(((y @ onehot) > 0).sum()) if len(y) else 0.0}
    rng = np.random.default_rng(seed)
    a = (1 - interval) / 2
    out = {"observed": obs, "rows": int(len(y)), "decisions": int(onehot.shape[1]), "interval": interval}
    for name, p in probs.items():
        rep = (rng.random(p.shape) < p).astype(float)
        stats = {"events": rep.sum(axis=1), "decisions_with_event": ((rep @ onehot) > 0).sum(axis=1)}
        out[name] = {
            k: {
                "mean": float(v.mean()),
                "median": float(np.quantile(v, 0.5, method="nearest")),
                "lo": float(np.quantile(v, a, method="lower")),
                "hi": float(np.quantile(v, 1 - a, method="higher")),
                "p_rep_ge_obs": float((v >= obs[k]).mean()),
                "p_rep_le_obs": float((v <= obs[k]).mean()),
                "draws": int(len(v)),
            }
            for k, v in stats.items()
        }
    return out
