"""Bayesian logit and categorical models in PyMC, built from a ModelSpec.

Predictors are standardized (mean 0, sd 1) before the priors apply; the
posterior also carries every coefficient on the predictor's original scale
(``beta_orig``, ``alpha_orig``). Group effects are non-centred for sparse
groups and centred for data-rich ones (``parameterization: auto``).
"""

from __future__ import annotations

import json
import logging
import time

import arviz as az
import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt
import xarray as xr

from .matrix import ModelData

log = logging.getLogger(__name__)

# Mean rows per group level above which a centred parameterization is used.
CENTRED_MIN_ROWS_PER_LEVEL = 100


def _prior(name: str, prior: dict, **kw):
    d = prior["dist"]
    if d == "normal":
        return pm.Normal(name, mu=prior.get("mu", 0.0), sigma=prior["sigma"], **kw)
    if d == "student_t":
        return pm.StudentT(name, nu=prior["nu"], mu=prior.get("mu", 0.0), sigma=prior["sigma"], **kw)
    if d == "cauchy":
        return pm.Cauchy(name, alpha=prior.get("mu", 0.0), beta=prior["sigma"], **kw)
    if d == "halfnormal":
        return pm.HalfNormal(name, sigma=prior["sigma"], **kw)
    if d == "halfcauchy":
        return pm.HalfCauchy(name, beta=prior["sigma"], **kw)
    if d == "exponential":
        return pm.Exponential(name, lam=prior["lam"], **kw)
    raise ValueError(f"unknown prior {d}")


def parameterization(md: ModelData, group: dict) -> str:
    if group["parameterization"] != "auto":
        return group["parameterization"]
    per_level = len(md.y) / max(len(group["levels"]), 1)
    return "centered" if per_level >= CENTRED_MIN_ROWS_PER_LEVEL else "noncentered"


def _group_effect(name: str, md: ModelData, group: dict, prior_sd: dict, dim: str):
    sd = _prior(f"sd_{name}", prior_sd)
    if parameterization(md, group) == "centered":
        return pm.Normal(name, mu=0.0, sigma=sd, dims=dim)
    z = pm.Normal(f"z_{name}", mu=0.0, sigma=1.0, dims=dim)
    return pm.Deterministic(name, z * sd, dims=dim)


def build_pymc_model(md: ModelData) -> pm.Model:
    spec = md.spec
    priors = spec.priors
    names = md.coef_names
    Xs = md.X_std[names].to_numpy(dtype="float64")
    coords = {"coef": names, "obs": np.arange(len(md.y))}
    for g in md.groups:
        coords[f"{g['by']}_level"] = g["levels"]
    if spec.family == "categorical":
        coords["category"] = md.categories
        coords["category_free"] = md.categories[1:]
    with pm.Model(coords=coords) as model:
        X = pm.Data("X", Xs, dims=("obs", "coef"))
        if spec.family == "bernoulli":
            alpha = _prior("alpha", priors["intercept"])
            beta = _prior("beta", priors["coefficients"], dims="coef")
            eta = alpha + pt.dot(X, beta)
            for g in md.groups:
                dim = f"{g['by']}_level"
                codes = pm.Data(f"codes_{g['by']}", g["codes"].astype("int64"), dims="obs")
                if g["intercept"]:
                    a = _group_effect(f"a_{g['by']}", md, g, priors["group_sd"], dim)
                    eta = eta + a[codes]
                for s in g["slopes"]:
                    j = names.index(s)
                    b = _group_effect(f"b_{g['by']}_{_safe(s)}", md, g, priors["group_sd"], dim)
                    eta = eta + b[codes] * X[:, j]
            pm.Bernoulli("y", logit_p=eta, observed=md.y, dims="obs")
        else:
            alpha = _prior("alpha", priors["intercept"], dims="category_free")
            beta = _prior("beta", priors["coefficients"], dims=("coef", "category_free"))
            eta_free = alpha + pt.dot(X, beta)
            eta = pt.concatenate([pt.zeros((Xs.shape[0], 1)), eta_free], axis=1)
            pm.Categorical("y", p=pm.math.softmax(eta, axis=1), observed=md.y, dims="obs")
    return model


def _safe(term: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in term)


class _Progress:
    """Log sampling progress (draws done, elapsed, divergences) every ~10%."""

    def __init__(self, total: int, name: str):
        self.total, self.name, self.done, self.div = total, name, 0, 0
        self.start = time.monotonic()
        self.step = max(total // 10, 1)

    def __call__(self, trace, draw):
        self.done += 1
        stats = draw.stats[0] if draw.stats else {}
        self.div += int(bool(stats.get("diverging", False)))
        if self.done % self.step == 0 or self.done == self.total:
            log.info("%s: %d/%d draws (all chains, incl. tuning), %.0f s, %d divergences so far (incl. tuning)",
                     self.name, self.done, self.total, time.monotonic() - self.start, self.div)


def add_original_scale(idata: az.InferenceData, md: ModelData) -> None:
    """Add beta_orig and alpha_orig (coefficients per unit of each predictor)."""
    post = idata.posterior
    names = md.coef_names
    sd = xr.DataArray(md.sds[names].to_numpy(), dims="coef", coords={"coef": names})
    mean = xr.DataArray(md.means[names].to_numpy(), dims="coef", coords={"coef": names})
    beta_orig = post["beta"] / sd
    alpha_orig = post["alpha"] - (post["beta"] * mean / sd).sum("coef")
    post["beta_orig"] = beta_orig
    post["alpha_orig"] = alpha_orig


def chain_method(settings: dict) -> str:
    """NumPyro's chain method: ``parallel`` (the default) runs one chain per JAX
    CPU device (pymc.sampling.jax provides the devices), ``vectorized`` all
    chains in one. On 2 cores parallel gave 1.27x the bulk-ESS/s of vectorized
    on the 200k-row logit and 1.8x on model 3 (bench/bench_samplers.py). The
    two give different draws, so the choice is a setting, never derived from
    the cores a job happens to get: results must not depend on where they ran."""
    return settings.get("chain_method", "parallel")


def fit_bayes(md: ModelData, sampling: dict, seed: int, prior_draws: int = 500) -> az.InferenceData:
    """Sample the prior, the posterior and both predictive distributions."""
    spec = md.spec
    settings = {**sampling, **(spec.sampling or {})}
    sampler = settings.get("sampler", "pymc")
    method = chain_method(settings) if sampler == "numpyro" else ""
    model = build_pymc_model(md)
    draws, tune, chains = settings["draws"], settings["tune"], settings["chains"]
    log.info("model %s: %d rows, %d coefficients, family %s, sampler %s, %d chains x (%d tune + %d draws)",
             spec.name, len(md.y), len(md.coef_names), spec.family, sampler, chains, tune, draws)
    t0 = time.monotonic()
    with model:
        prior = pm.sample_prior_predictive(draws=prior_draws, random_seed=seed)
        t_prior = time.monotonic()
        kwargs = dict(draws=draws, tune=tune, chains=chains, target_accept=settings["target_accept"],
                      random_seed=seed, progressbar=sampler != "pymc" and settings.get("progress", True),
                      idata_kwargs={"log_likelihood": True})
        if sampler == "pymc":
            kwargs["cores"] = settings.get("cores", 1)
            kwargs["callback"] = _Progress(chains * (draws + tune), spec.name)
            if settings.get("mass_matrix") == "dense":
                kwargs["init"] = "jitter+adapt_full"
        else:
            kwargs["nuts_sampler"] = sampler
            if sampler == "numpyro":
                kwargs["nuts_sampler_kwargs"] = {
                    "chain_method": method,
                    "nuts_kwargs": {"dense_mass": settings.get("mass_matrix") == "dense"},
                }
            elif sampler == "nutpie" and settings.get("mass_matrix") == "dense":
                kwargs["nuts_sampler_kwargs"] = {"low_rank_modified_mass_matrix": True}
        idata = pm.sample(**kwargs)
        t_sample = time.monotonic()
        idata.extend(prior)
        pm.sample_posterior_predictive(idata, random_seed=seed + 1, extend_inferencedata=True, progressbar=False)
    elapsed = time.monotonic() - t0
    timing = {"prior_predictive": round(t_prior - t0, 2), "nuts": round(t_sample - t_prior, 2),
              "posterior_predictive": round(time.monotonic() - t_sample, 2)}
    log.info("model %s: timing (s) %s (nuts includes compiling and the log-likelihood)", spec.name, timing)
    add_original_scale(idata, md)
    ndiv = int(idata.sample_stats["diverging"].sum())
    log.info("model %s: sampled in %.1f s, %d divergences", spec.name, elapsed, ndiv)
    idata.attrs.update({
        "model_spec": spec.to_json(), "seed": int(seed), "sampler": sampler,
        "sampling": json.dumps(settings, sort_keys=True), "n_obs": int(len(md.y)),
        "n_dropped": int(md.n_dropped), "coef_means": json.dumps(md.means.to_dict()),
        "coef_sds": json.dumps(md.sds.to_dict()), "categories": json.dumps(md.categories),
        "parameterization": json.dumps({g["by"]: parameterization(md, g) for g in md.groups}),
        "sampling_seconds": round(elapsed, 2), "timing_seconds": json.dumps(timing),
        "chain_method": method,
    })
    return idata


SUMMARY_VARS = ("alpha", "beta", "alpha_orig", "beta_orig")


def summarize(idata: az.InferenceData, hdi_prob: float = 0.9) -> pd.DataFrame:
    """Posterior summary, standardized and original scale, with P(effect > 0)."""
    post = idata.posterior
    var_names = [v for v in post.data_vars if v in SUMMARY_VARS or v.startswith("sd_")]
    summ = az.summary(idata, var_names=var_names, hdi_prob=hdi_prob, round_to="none")
    probs = []
    for label in summ.index:
        var, _, idx = label.partition("[")
        da = post[var]
        if idx:
            keys = idx.rstrip("]").split(", ")
            sel = dict(zip([d for d in da.dims if d not in ("chain", "draw")], keys))
            da = da.sel(sel)
        probs.append(float((da > 0).mean()))
    summ.insert(0, "p_positive", probs)
    summ.index.name = "parameter"
    scale = ["original" if v.split("[")[0].endswith("_orig") else
             "standardized" if v.split("[")[0] in ("alpha", "beta") else "group" for v in summ.index]
    summ.insert(0, "scale", scale)
    return summ.reset_index()


def posterior_linear_predictor(idata: az.InferenceData, md: ModelData, X_new: pd.DataFrame,
                               groups_new: dict | None = None) -> np.ndarray:
    """Posterior draws of the linear predictor for new rows (original scale).

    ``X_new`` has the design columns of ``md`` (see matrix.new_design).
    Bernoulli: array (samples, rows). Categorical: (samples, rows, K) with
    the reference category's column fixed at 0. Group effects are added for
    rows whose level was seen in fitting (``groups_new``: by -> level per row);
    unseen levels get the population-level prediction.
    """
    post = idata.posterior.stack(sample=("chain", "draw"))
    names = md.coef_names
    Xs = ((X_new[names] - md.means[names]) / md.sds[names]).to_numpy("float64")
    if md.spec.family == "bernoulli":
        alpha = post["alpha"].values                                 # (S,)
        beta = post["beta"].transpose("coef", "sample").values        # (k, S)
        eta = alpha[:, None] + (Xs @ beta).T                         # (S, n)
        for g in md.groups:
            if not groups_new or g["by"] not in groups_new:
                continue
            level_index = {lev: i for i, lev in enumerate(g["levels"])}
            idx = np.array([level_index.get(str(v), -1) for v in groups_new[g["by"]]])
            seen = idx >= 0
            dim = f"{g['by']}_level"
            if g["intercept"]:
                a = post[f"a_{g['by']}"].transpose(dim, "sample").values   # (L, S)
                eta[:, seen] += a[idx[seen]].T
            for s in g["slopes"]:
                b = post[f"b_{g['by']}_{_safe(s)}"].transpose(dim, "sample").values
                j = names.index(s)
                eta[:, seen] += (b[idx[seen]] * Xs[seen, j][:, None]).T
        return eta
    alpha = post["alpha"].transpose("category_free", "sample").values            # (K-1, S)
    beta = post["beta"].transpose("coef", "category_free", "sample").values      # (k, K-1, S)
    eta_free = alpha.T[:, None, :] + np.einsum("nk,kcs->snc", Xs, beta)          # (S, n, K-1)
    return np.concatenate([np.zeros(eta_free.shape[:2] + (1,)), eta_free], axis=2)


def posterior_probabilities(idata, md: ModelData, X_new: pd.DataFrame, groups_new: dict | None = None) -> np.ndarray:
    """Posterior draws of P(y = 1) (bernoulli) or of each category's probability."""
    eta = posterior_linear_predictor(idata, md, X_new, groups_new)
    if md.spec.family == "bernoulli":
        return 1.0 / (1.0 + np.exp(-eta))
    e = np.exp(eta - eta.max(axis=2, keepdims=True))
    return e / e.sum(axis=2, keepdims=True)


def model_data_from_idata(idata, frame: pd.DataFrame):
    """Rebuild the fitted ModelData (rows, design, scaling) from posterior attrs."""
    from .matrix import build_model_data
    from .spec import ModelSpec

    spec = ModelSpec.from_json(idata.attrs["model_spec"])
    return build_model_data(spec, frame)
