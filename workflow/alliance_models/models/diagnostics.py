"""The convergence gate: R-hat, bulk and tail ESS, divergences."""

from __future__ import annotations

import arviz as az
import numpy as np

GATED_PREFIXES = ("alpha", "beta", "sd_", "a_", "b_")


def is_gated(name: str) -> bool:
    """Whether the gate checks posterior variable ``name``: the model's
    parameters as declared, not the sampler's auxiliary coordinates (``z_*``)
    nor the original-scale copies (``*_orig``)."""
    return name.startswith(GATED_PREFIXES) and not name.endswith("_orig") and not name.startswith("z_")


def diagnose(idata: az.InferenceData, thresholds: dict) -> dict:
    """Check the sampled parameters against the thresholds in config.

    Returns a dict with ``status`` "ok" or "failed", every measured value and
    the list of reasons for a failure. A failed fit must not be presented as
    a finding anywhere downstream.
    """
    post = idata.posterior
    names = [v for v in post.data_vars if is_gated(v)]
    sub = post[names]
    rhat = az.rhat(sub)
    ess_bulk = az.ess(sub, method="bulk")
    ess_tail = az.ess(sub, method="tail")

    def extreme(ds, fn):
        vals = [float(fn(ds[v].values)) for v in ds.data_vars if np.size(ds[v].values)]
        return fn(np.array(vals)) if vals else float("nan")

    max_rhat = extreme(rhat, np.nanmax)
    min_bulk = extreme(ess_bulk, np.nanmin)
    min_tail = extreme(ess_tail, np.nanmin)
    div = int(idata.sample_stats["diverging"].sum()) if "diverging" in idata.sample_stats else 0
    chains = int(post.sizes["chain"])
    reasons = []
    if chains < 2:
        reasons.append("fewer than 2 chains: R-hat cannot be assessed")
    if not np.isfinite(max_rhat) or max_rhat > thresholds["rhat_max"]:
        reasons.append(f"max R-hat {max_rhat:.3f} > {thresholds['rhat_max']}")
    if not np.isfinite(min_bulk) or min_bulk < thresholds["ess_bulk_min"]:
        reasons.append(f"min bulk ESS {min_bulk:.0f} < {thresholds['ess_bulk_min']}")
    if not np.isfinite(min_tail) or min_tail < thresholds["ess_tail_min"]:
        reasons.append(f"min tail ESS {min_tail:.0f} < {thresholds['ess_tail_min']}")
    if div > thresholds["divergences_max"]:
        reasons.append(f"{div} divergent transitions > {thresholds['divergences_max']}")
    return {
        "status": "failed" if reasons else "ok",
        "reasons": reasons,
        "max_rhat": max_rhat,
        "min_ess_bulk": min_bulk,
        "min_ess_tail": min_tail,
        "divergences": div,
        "chains": chains,
        "draws": int(post.sizes["draw"]),
        "thresholds": dict(thresholds),
        "parameters_checked": names,
    }
