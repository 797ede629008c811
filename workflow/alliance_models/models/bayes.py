"""Bayesian logit, categorical and conditional-logit models in PyMC, built from a ModelSpec.

Predictors are standardized (mean 0, sd 1) before the priors apply; the
posterior also carries every coefficient on the predictor's original scale
(``beta_orig``, ``alpha_orig``). Group effects are non-centred for sparse
levels and centred for data-rich ones, decided per level
(``parameterization: auto``); centred levels carry the population mean.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
import warnings

import arviz as az
import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt
import xarray as xr
from scipy.special import expit

from .draws import n_draws, thin
from .matrix import ModelData, build_model_data
from .spec import ModelSpec

log = logging.getLogger(__name__)

# parameterization: auto -- a level is centred when it has at least this many
# events and non-events (bernoulli), or this many rows (other families)
CENTRED_MIN_EVENTS = 10
CENTRED_MIN_ROWS_PER_LEVEL = 100
# a varying slope counts as spread across levels (and may be centred) only
# when Cochran's Q rejects equal slopes at this level (see slope_centring)
SLOPE_SPREAD_P = 0.05


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


def centred_levels(md: ModelData, group: dict, term: str | None = None) -> np.ndarray:
    """Which levels of a group get a centred parameterization for its
    intercept (``term`` None) or for the varying slope of ``term``.

    ``centered`` / ``noncentered``: all / none. ``auto`` decides per level
    (and per slope). An intercept is centred where the data pin the level's
    term down (bernoulli: at least CENTRED_MIN_EVENTS events and as many
    non-events in the level; the minority class carries a logit's
    information), non-centred where they do not. A level with no events
    (China among the major powers once GDP is the measure: 0 onsets in 8,681
    rows) has a likelihood that keeps pushing its term down; centred, it meets
    its sd in a funnel and a chain stalls at the maximum tree depth.

    A slope is pinned down only relative to the spread of the slopes across
    levels: where that spread is small, centred slopes funnel
    (majors_onset-gdp: 236 divergences at sd 0.02 centred), where it is wide
    non-centred ones take two to three times the leapfrog steps. ``auto``
    centres a level's slope when the level passes the intercept's rule and
    its slope's standard error is below the between-level sd that the data
    suggest before the fit (:func:`slope_centring`). Either way the model is
    the same; only the coordinates the sampler moves in change."""
    L = len(group["levels"])
    p = group["parameterization"]
    if p in ("centered", "noncentered"):
        return np.full(L, p == "centered")
    if md.spec.family != "bernoulli":
        rows = np.bincount(np.asarray(group["codes"]), minlength=L)
        return rows >= CENTRED_MIN_ROWS_PER_LEVEL if term is None else np.zeros(L, dtype=bool)
    informed = _informed_levels(md, group)
    if term is None:
        return informed
    se, tau = slope_centring(md, group)[term]
    return informed & (se < tau)


def _informed_levels(md: ModelData, group: dict) -> np.ndarray:
    """Levels with at least CENTRED_MIN_EVENTS events and as many non-events."""
    codes = np.asarray(group["codes"])
    rows = np.bincount(codes, minlength=len(group["levels"]))
    events = np.bincount(codes, weights=np.asarray(md.y, dtype=float), minlength=len(group["levels"]))
    return np.minimum(events, rows - events) >= CENTRED_MIN_EVENTS


def slope_centring(md: ModelData, group: dict) -> dict[str, tuple[np.ndarray, float]]:
    """For each varying slope of a bernoulli group: every level's standard
    error of its slope and the between-level sd of the slopes, estimated
    before the fit (computed once per group and kept in it).

    A pooled logit (no group terms) gives each row's linear predictor; each
    level with enough events (see :func:`centred_levels`) then gets its own
    logit of the outcome on all the group's slope predictors with that
    linear predictor as offset, so its intercept and slopes absorb the
    level's departure from the pooled fit (jointly: a logit is not
    collapsible, and fitting one slope at a time lets another slope's spread
    show up as this one's). The DerSimonian-Laird estimate (statsmodels'
    combine_effects) of the spread of those slopes, given their standard
    errors, is the sd, taken as 0 unless Cochran's Q rejects equal slopes
    (p < SLOPE_SPREAD_P: with no true spread the estimate is positive half
    the time, and a centred slope then meets a funnel). Where the standard
    error is below it, the level's data say more about its slope than the
    population does, and a centred slope samples well (the standard rule,
    e.g. Papaspiliopoulos, Roberts & Skold 2007); where no spread shows
    (sd 0), or a fit fails, every level stays non-centred. Levels without
    enough events get an infinite standard error."""
    cached = group.get("_slope_centring")
    if cached is not None:
        return cached
    # heavy (statsmodels): only the centring choice needs it
    import statsmodels.api as sm
    from statsmodels.stats.meta_analysis import combine_effects

    L = len(group["levels"])
    codes = np.asarray(group["codes"])
    y = np.asarray(md.y, dtype=float)
    X = md.X_std[md.coef_names].to_numpy(dtype="float64")
    informed = np.flatnonzero(_informed_levels(md, group))
    out = {s: (np.full(L, np.inf), 0.0) for s in group["slopes"]}
    family = sm.families.Binomial()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            eta = sm.GLM(y, sm.add_constant(X, has_constant="add"), family=family).fit().predict(which="linear")
        except Exception as exc:  # noqa: BLE001 - any failure means: stay non-centred
            log.info(
                "model %s: pooled logit for the slope parameterization failed (%s): slopes non-centred",
                md.spec.name,
                exc,
            )
            eta = None
        cols = [md.coef_names.index(s) for s in group["slopes"]]
        est = np.full((L, len(cols)), np.nan)
        se = np.full((L, len(cols)), np.inf)
        for lev in informed if eta is not None and np.isfinite(eta).all() else []:
            m = codes == lev
            try:
                fit = sm.GLM(
                    y[m], sm.add_constant(X[m][:, cols], has_constant="add"), family=family, offset=eta[m]
                ).fit()
            except Exception:  # noqa: BLE001
                continue
            b, e = np.asarray(fit.params)[1:], np.asarray(fit.bse)[1:]
            if np.isfinite(b).all() and np.isfinite(e).all() and (e > 0).all():
                est[lev], se[lev] = b, e
        for k, s in enumerate(group["slopes"]):
            ok = np.isfinite(est[:, k])
            tau = 0.0
            if ok.sum() >= 2:
                res = combine_effects(est[ok, k], se[ok, k] ** 2, method_re="dl")
                tau2 = float(res.tau2)
                if np.isfinite(tau2) and tau2 > 0 and res.test_homogeneity().pvalue < SLOPE_SPREAD_P:
                    tau = float(np.sqrt(tau2))
            out[s] = (se[:, k], tau)
    group["_slope_centring"] = out
    return out


def parameterization(md: ModelData, group: dict, term: str | None = None) -> str:
    """centered, noncentered or mixed: the group's intercept levels
    (``term`` None) or the levels of the slope of ``term``."""
    c = centred_levels(md, group, term)
    return "centered" if c.all() else "noncentered" if not c.any() else "mixed"


def _group_terms(name: str, md: ModelData, group: dict, prior_sd: dict, dim: str, mean=None, term=None):
    """A group's terms ``name`` ~ N(0, sd) per level, parameterized per level
    (:func:`centred_levels`). With ``mean`` (a population coefficient) the
    centred levels are sampled as totals mean + term ~ N(mean, sd), which
    removes the ridge along which the population term and every level's term
    trade off (see :func:`absorbed_terms`); ``name`` still records the
    deviations. Returns the deviations, or with ``mean`` the totals."""
    sd = _prior(f"sd_{name}", prior_sd)
    c = centred_levels(md, group, term)
    m = 0.0 if mean is None else mean
    if not c.any():
        z = pm.Normal(f"z_{name}", mu=0.0, sigma=1.0, dims=dim)
        dev = pm.Deterministic(name, z * sd, dims=dim)
        return dev if mean is None else mean + dev
    if c.all() and mean is None:
        return pm.Normal(name, mu=0.0, sigma=sd, dims=dim)
    if c.all():
        total = pm.Normal(f"{name}_total", mu=m, sigma=sd, dims=dim)
    else:
        ci, ni = np.flatnonzero(c), np.flatnonzero(~c)
        cen = pm.Normal(f"{name}_total", mu=m, sigma=sd, shape=len(ci))
        z = pm.Normal(f"z_{name}", mu=0.0, sigma=1.0, shape=len(ni))
        total = pt.zeros(len(c))
        total = pt.set_subtensor(total[ci], cen)
        total = pt.set_subtensor(total[ni], m + sd * z)
    dev = pm.Deterministic(name, total - m, dims=dim)
    return dev if mean is None else total


def qr_factors(md: ModelData, cols: list[int] | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """Thin QR of the standardized design (its columns ``cols``, default all),
    scaled as in rstanarm / Stan's user guide (Q* = Q sqrt(n - 1),
    R* = R / sqrt(n - 1)), or None when the reparameterization does not apply:
    fewer than two columns, a rank deficient design, or a coefficient prior
    other than a normal (the prior on theta = R* beta must be the exact image
    of the declared prior on beta)."""
    cols = list(range(len(md.coef_names))) if cols is None else list(cols)
    if len(cols) < 2 or md.spec.priors["coefficients"]["dist"] != "normal":
        return None
    Xs = md.X_std[md.coef_names].to_numpy(dtype="float64")[:, cols]
    Q, R = np.linalg.qr(Xs)
    d = np.abs(np.diag(R))
    if d.min() <= 1e-8 * d.max():
        return None
    n = max(len(Xs) - 1, 1)
    return Q * np.sqrt(n), R / np.sqrt(n)


def _coefficients(md: ModelData, X, qr: bool, cols: list[int], name: str, dims, n_free: int | None):
    """Coefficients of the design columns ``cols`` and their part of the
    linear predictor. With ``qr`` the sampler moves theta = R* beta, whose
    directions are uncorrelated in the likelihood (a spell cubic's three
    columns correlate at 0.8-0.97), and beta = R*^-1 theta is a deterministic:
    the model, its prior on beta included, is unchanged (theta's multivariate
    normal prior is the image of beta's independent normals). ``n_free``: the
    categorical model's free categories (a column of coefficients each).
    The product is taken in ``X``'s precision (see :func:`build_pymc_model`)."""
    prior = md.spec.priors["coefficients"]
    factors = qr_factors(md, cols) if qr else None
    Xc = X[:, cols] if len(cols) != len(md.coef_names) else X
    if factors is None:
        beta = _prior(name, prior, dims=dims) if dims else _prior(name, prior, shape=len(cols))
        return beta, pt.dot(Xc, beta.astype(X.dtype))
    Qs, Rs = factors
    k = Rs.shape[0]
    mu = prior.get("mu", 0.0) * Rs.sum(axis=1)  # R* (mu 1)
    chol = np.linalg.cholesky(prior["sigma"] ** 2 * Rs @ Rs.T)
    Rinv = np.linalg.inv(Rs)
    if n_free:  # categorical: one column per free category
        theta = pm.MvNormal(f"theta_qr_{name}", mu=mu, chol=chol, shape=(n_free, k)).T
    else:
        theta = pm.MvNormal(f"theta_qr_{name}", mu=mu, chol=chol, shape=(k,))
    beta = pt.dot(Rinv, theta)
    beta = pm.Deterministic(name, beta, dims=dims) if dims else beta
    return beta, pt.dot(pt.constant(Qs.astype(X.dtype)), theta.astype(X.dtype))


def absorbed_terms(md: ModelData) -> tuple[str | None, dict[int, str]]:
    """Population terms that a centred group carries as its mean.

    A centred varying intercept is sampled as alpha_g ~ N(alpha, sd) rather
    than alpha + a_g with a_g ~ N(0, sd) (likewise a varying slope about its
    population slope): the same model (a_g = alpha_g - alpha), without the
    ridge along which alpha and every a_g trade off, which a diagonal mass
    matrix cannot follow (majors_onset: 15 instead of 52 leapfrog steps, min
    ESS 1159 instead of 348). Returns the grouping column whose intercept
    carries alpha (or None) and {column index: grouping column} for slopes.
    Only the first centred group with a given term carries it."""
    intercept, slopes = None, {}
    for g in md.groups:
        if g["intercept"] and intercept is None and centred_levels(md, g).any():
            intercept = g["by"]
        for s in g["slopes"]:
            if centred_levels(md, g, s).any():
                slopes.setdefault(md.coef_names.index(s), g["by"])
    return intercept, slopes


def is_auxiliary(name: str) -> bool:
    """Coordinates the sampler moves in that are not parameters of the model
    as declared: non-centred ``z_*``, QR ``theta_qr_*``, centred group totals
    ``*_total``, and the pieces ``beta`` is assembled from."""
    return name.startswith(("z_", "theta_qr_", "mean_b_", "b_meas_")) or name.endswith("_total") or name == "beta_fixed"


def _logit_logp(value, eta):
    # y eta - log(1 + e^eta): one softplus per row (pm.Bernoulli(logit_p=)
    # evaluates two inside a switch), the same density; a single-precision
    # eta gives single-precision rows, summed in double precision
    if eta.dtype == "float32":
        return (value.astype("float32") * eta - pt.softplus(eta)).astype("float64")
    return value * eta - pt.softplus(eta)


def _logit_random(eta, rng=None, size=None):
    return rng.binomial(1, expit(np.asarray(eta, dtype="float64")), size=size)


def logit_bernoulli(name: str, eta, observed, dims):
    """Bernoulli outcome on the logit scale with a cheaper log-density than
    ``pm.Bernoulli(logit_p=eta)`` (tests/unit/test_bayes.py checks they agree)."""
    return pm.CustomDist(name, eta, logp=_logit_logp, random=_logit_random, observed=observed, dims=dims, dtype="int64")


def build_pymc_model(md: ModelData, qr: bool = True, precision: str = "float64") -> pm.Model:
    """The PyMC model of a spec. ``qr``: sample the coefficients in the QR
    basis of the design (see :func:`_coefficients`). Centred groups carry
    their population mean (see :func:`absorbed_terms`). Neither changes the
    model, only the coordinates the sampler moves in; the posterior always
    holds alpha, beta, a_<by> and b_<by>_<term> as declared.

    ``precision="float32"`` (logit only): the design, the linear predictor and
    each row's log-likelihood are single precision; parameters, group-term
    gathers (so their gradients accumulate in double) and the summed log
    density stay double. On two cores a logit gradient on 200k x 8 rows costs
    0.8 ms instead of 1.9 ms (the design is read twice per gradient and
    halves in size); rounding (~1e-7 relative per row) is far below what
    moves a NUTS acceptance (tests/unit/test_bayes.py compares both)."""
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
    single = precision == "float32" and spec.family != "categorical"
    with pm.Model(coords=coords) as model:
        X = pm.Data("X", Xs, dims=("obs", "coef"))
        # the design in the likelihood's precision; low() brings a term to it
        Xl = pt.constant(Xs.astype("float32"), name="X_float32") if single else X

        def low(v):
            return v.astype(Xl.dtype)

        if spec.family == "categorical":
            alpha = _prior("alpha", priors["intercept"], dims="category_free")
            _, xb = _coefficients(
                md, X, qr, list(range(len(names))), "beta", ("coef", "category_free"), len(md.categories) - 1
            )
            eta_free = alpha + xb
            eta = pt.concatenate([pt.zeros((Xs.shape[0], 1)), eta_free], axis=1)
            pm.Categorical("y", p=pm.math.softmax(eta, axis=1), observed=md.y, dims="obs")
            return model
        conditional = spec.family == "conditional"
        # a conditional logit has no intercept: a level is constant within each choice set and cancels
        alpha = None if conditional else _prior("alpha", priors["intercept"])
        by_intercept, by_slope = absorbed_terms(md)
        Xe, eiv = _measured_design(md, Xl, low)
        if not by_slope and not eiv:
            _, eta = _coefficients(md, Xl, qr, list(range(len(names))), "beta", "coef", None)
        else:
            # columns with a group slope or measurement error leave the QR basis
            # (it is computed from the observed design)
            fixed = [j for j in range(len(names)) if j not in by_slope and j not in eiv]
            parts = {}
            eta = 0.0
            if fixed:
                bf, eta = _coefficients(md, Xl, qr, fixed, "beta_fixed", None, None)
                parts.update({j: bf[i] for i, j in enumerate(fixed)})
            for j in by_slope:
                parts[j] = _prior(f"mean_b_{by_slope[j]}_{_safe(names[j])}", priors["coefficients"])
            for j in sorted(set(eiv) - set(by_slope)):
                parts[j] = _prior(f"b_meas_{_safe(names[j])}", priors["coefficients"])
                eta = eta + low(parts[j]) * Xe[:, j]
            pm.Deterministic("beta", pt.stack([parts[j] for j in range(len(names))]), dims="coef")
        if by_intercept is None and not conditional:
            eta = eta + low(alpha)
        for g in md.groups:
            by, dim = g["by"], f"{g['by']}_level"
            codes = pm.Data(f"codes_{by}", g["codes"].astype("int64"), dims="obs")
            if g["intercept"]:
                mean = alpha if by == by_intercept else None
                eta = eta + low(_group_terms(f"a_{by}", md, g, priors["group_sd"], dim, mean)[codes])
            for s in g["slopes"]:
                j = names.index(s)
                name = f"b_{by}_{_safe(s)}"
                mean = parts[j] if by_slope.get(j) == by else None
                eta = eta + low(_group_terms(name, md, g, priors["group_sd"], dim, mean, term=s)[codes]) * Xe[:, j]
        if conditional:
            from .choice import conditional_logit

            conditional_logit("y", eta, md.strata, md.weights, observed=md.y, dims="obs")
        else:
            logit_bernoulli("y", eta, observed=md.y, dims="obs")
    return model


def _measured_design(md: ModelData, Xl, low):
    """The standardized design with the measured columns' latent values.

    For each errors-in-variables term (matrix.measurement_terms) the latent
    unit values are theta_u = mean_u + sd_u z_u, z_u ~ N(0, 1) (non-centred:
    the data say little about one unit), the latent column is the signed
    sum of its parts, and each design column moves from its observed value
    by D (its change per unit of the column) times the latent minus the
    observed column. Returns (design, {column index: True}); the design is
    ``Xl`` itself when nothing is measured."""
    if not md.measurement:
        return Xl, {}
    names = md.coef_names
    sds = md.sds[names].to_numpy("float64")
    shift = 0.0
    cols: dict[int, bool] = {}
    for m in md.measurement:
        z = pm.Normal(f"z_meas_{_safe(m['column'])}", 0.0, 1.0, shape=len(m["prior_mean"]))
        theta = pt.constant(m["prior_mean"]) + pt.constant(m["prior_sd"]) * z
        latent = sum(sign * theta[pt.constant(ix.astype("int64"))] for sign, ix in zip(m["signs"], m["index"]))
        delta = latent - pt.constant(m["x_obs"])
        shift = shift + low(delta[:, None]) * pt.constant((m["D"] / sds).astype(Xl.dtype))
        cols.update({j: True for j in m["columns"]})
    return Xl + shift, cols


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
            log.info(
                "%s: %d/%d draws (all chains, incl. tuning), %.0f s, %d divergences so far (incl. tuning)",
                self.name,
                self.done,
                self.total,
                time.monotonic() - self.start,
                self.div,
            )


def add_original_scale(idata: az.InferenceData, md: ModelData) -> None:
    """Add beta_orig and alpha_orig (coefficients per unit of each predictor)."""
    post = idata.posterior
    names = md.coef_names
    sd = xr.DataArray(md.sds[names].to_numpy(), dims="coef", coords={"coef": names})
    mean = xr.DataArray(md.means[names].to_numpy(), dims="coef", coords={"coef": names})
    post["beta_orig"] = post["beta"] / sd
    if "alpha" in post:  # a conditional logit has none
        post["alpha_orig"] = post["alpha"] - (post["beta"] * mean / sd).sum("coef")


def chain_method(settings: dict) -> str:
    """NumPyro's chain method: ``parallel`` (the default) runs one chain per JAX
    CPU device (pymc.sampling.jax provides the devices), ``vectorized`` all
    chains in one. On 2 cores parallel gave 1.27x the bulk-ESS/s of vectorized
    on the 200k-row logit and 1.8x on model 3 (bench/bench_samplers.py). The
    two give different draws, so the choice is a setting, never derived from
    the cores a job happens to get: results must not depend on where they ran."""
    return settings.get("chain_method", "parallel")


def predictive_draws(settings: dict) -> int:
    """Posterior draws (evenly thinned) that get a log-likelihood and a
    posterior predictive draw: PSIS-LOO and the predictive checks need no
    more (the report uses ``report.loo_draws`` <= this), and both groups are
    rows x draws large (an 85k-row panel: 340 MB of float32 per 1000 draws)."""
    return int(settings.get("predictive_draws", 1000))


def _predictive_groups(idata: az.InferenceData, model: pm.Model, max_draws: int, seed: int) -> None:
    """Add log_likelihood (float32) and posterior_predictive (smallest integer
    type) for every k-th posterior draw; their ``draw`` coordinate names the
    posterior draws they belong to."""
    sub = az.InferenceData(posterior=thin(idata.posterior, max_draws))
    ll = pm.compute_log_likelihood(sub, var_names=["y"], model=model, extend_inferencedata=False, progressbar=False)
    pp = pm.sample_posterior_predictive(
        sub, model=model, random_seed=seed, progressbar=False, return_inferencedata=True
    )
    # a Dataset when not extending an InferenceData; pymc numbers its draws
    # 0..n-1: give both groups the posterior draws they were computed from
    where = {"chain": sub.posterior["chain"].values, "draw": sub.posterior["draw"].values}
    ll_ds = ll.astype("float32").assign_coords(where)
    y = compact_outcome(pp.posterior_predictive.assign_coords(where))
    idata.add_groups(log_likelihood=ll_ds, posterior_predictive=y)


def compact_outcome(ds: xr.Dataset) -> xr.Dataset:
    """Simulated outcomes (0/1 or category codes) in the smallest integer
    type that holds them: PyMC returns int64, 8 bytes a row and draw (500
    prior draws on an 85k-row panel: 340 MB to compress, write and read)."""
    top = int(max(int(ds["y"].max()), 1))
    return ds.astype("int8" if top < 127 else "int16" if top < 32767 else "int32")


def max_draws(settings: dict) -> int:
    """Draws per chain a numpyro fit may extend to while the gate fails
    (models/_extend.py); at or below ``draws``: no extension."""
    return max(int(settings["draws"]), int(settings.get("max_draws") or 0))


class _CompileClock:
    """Seconds JAX spends tracing, lowering and compiling (its monitoring
    events /jax/core/compile/*) while the block runs."""

    def __enter__(self):
        import jax.monitoring as jm  # heavy (JAX): only the NumPyro path needs it

        self.seconds = 0.0

        def listen(event, duration, **kwargs):
            if event.startswith("/jax/core/compile/"):
                self.seconds += float(duration)

        self._listen = listen
        jm.register_event_duration_secs_listener(listen)
        return self

    def __exit__(self, *exc):
        import jax.monitoring as jm  # heavy (JAX)

        jm.unregister_event_duration_listener(self._listen)
        return False


def fit_bayes(
    md: ModelData,
    sampling: dict,
    seed: int,
    prior_draws: int = 500,
    gate: dict | None = None,
    overrides: dict | None = None,
) -> az.InferenceData:
    """Sample the prior, the posterior and both predictive distributions.

    The NUTS call samples only; the log-likelihood and the posterior
    predictive are computed afterwards on ``predictive_draws`` thinned draws
    (in the JAX call they cost as much as the sampling on 200k rows).
    ``gate``: the convergence thresholds; with sampler numpyro and
    ``max_draws`` above ``draws`` the chains go on until they pass them (see
    models/_extend.py). ``overrides``: settings of a retry (see
    :func:`fit_until_gate`), applied over the config's and the model's."""
    spec = md.spec
    settings = {**sampling, **(spec.sampling or {}), **(overrides or {})}
    settings.pop("retry", None)
    sampler = settings.get("sampler", "pymc")
    method = chain_method(settings) if sampler == "numpyro" else ""
    qr = bool(settings.get("qr", True))
    if sampler == "numpyro":
        from ._jax import register_fast_softplus  # JAX glue: only the NumPyro path needs it

        register_fast_softplus()
    precision = settings.get("precision", "float32")  # the config default (config.schema.json)
    model = build_pymc_model(md, qr=qr, precision=precision)
    basis = "QR" if any(v.startswith("theta_qr_") for v in model.named_vars) else "plain"
    draws, tune, chains = settings["draws"], settings["tune"], settings["chains"]
    log.info(
        "model %s: %d rows, %d coefficients, family %s, sampler %s, %d chains x (%d tune + %d draws)%s",
        spec.name,
        len(md.y),
        len(md.coef_names),
        spec.family,
        sampler,
        chains,
        tune,
        draws,
        ", QR basis for the coefficients" if basis == "QR" else "",
    )
    cap = max_draws(settings)
    extend = sampler == "numpyro" and gate is not None and cap > draws
    if cap > draws and not extend:
        log.info(
            "model %s: max_draws %d ignored (chains are extended with the numpyro sampler and a gate only)",
            spec.name,
            cap,
        )
    t0 = time.monotonic()
    clock = _CompileClock().__enter__() if sampler == "numpyro" else None
    with model:
        prior = pm.sample_prior_predictive(draws=prior_draws, random_seed=seed)
        prior.prior_predictive = compact_outcome(prior.prior_predictive)
        t_prior = time.monotonic()
        # no progress bar: a job's log is no terminal, and NumPyro's bar is a
        # host callback that keeps JAX from caching the compiled sampler
        kwargs = dict(
            draws=draws,
            tune=tune,
            chains=chains,
            target_accept=settings["target_accept"],
            random_seed=seed,
            progressbar=sampler != "pymc" and settings.get("progress", False),
            compute_convergence_checks=False,
        )
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
        if extend:
            from ._extend import extending_numpyro  # NumPyro glue: only extended fits need it

            with extending_numpyro(gate, cap, f"model {spec.name}") as record:
                idata = pm.sample(**kwargs)
        else:
            idata = pm.sample(**kwargs)
            record = {"checks": []}
        t_sample = time.monotonic()
    compile_seconds = None
    if clock is not None:
        clock.__exit__(None, None, None)
        compile_seconds = round(clock.seconds, 2)
    idata.extend(prior)
    _predictive_groups(idata, model, predictive_draws(settings), seed + 1)
    # the latent units of errors-in-variables terms (thousands of state-years)
    # served the likelihood and the predictive draws; they are not kept
    meas = [v for v in idata.posterior.data_vars if v.startswith("z_meas_")]
    if meas:
        idata.posterior = idata.posterior.drop_vars(meas)
        idata.prior = idata.prior.drop_vars([v for v in meas if v in idata.prior])
    elapsed = time.monotonic() - t0
    timing = {
        "prior_predictive": round(t_prior - t0, 2),
        "nuts": round(t_sample - t_prior, 2),
        "compile": compile_seconds,
        "extension": record.get("seconds"),
        "predictive": round(time.monotonic() - t_sample, 2),
    }
    log.info(
        "model %s: timing (s) %s (nuts = warm-up, draws and any extension, compiling included; compile = "
        "JAX's tracing and compiling in the whole fit; predictive = log-likelihood and posterior predictive on "
        "%d thinned draws)",
        spec.name,
        timing,
        n_draws(idata.log_likelihood),
    )
    add_original_scale(idata, md)
    ndiv = int(idata.sample_stats["diverging"].sum())
    log.info("model %s: sampled in %.1f s, %d divergences", spec.name, elapsed, ndiv)
    idata.attrs.update(
        {
            "model_spec": spec.to_json(),
            "seed": int(seed),
            "sampler": sampler,
            "sampling": json.dumps(settings, sort_keys=True),
            "n_obs": int(len(md.y)),
            "n_dropped": int(md.n_dropped),
            "coef_means": json.dumps(md.means.to_dict()),
            "coef_sds": json.dumps(md.sds.to_dict()),
            "categories": json.dumps(md.categories),
            "parameterization": json.dumps(
                {
                    g["by"]: {
                        t or "intercept": parameterization(md, g, t)
                        for t in ([None] if g["intercept"] else []) + list(g["slopes"])
                    }
                    for g in md.groups
                }
            ),
            "sampling_seconds": round(elapsed, 2),
            "timing_seconds": json.dumps(timing),
            "chain_method": method,
            "qr": int(basis == "QR"),
            "precision": precision,
            "draws_first": int(draws),
            "max_draws": cap if extend else draws,
            "extension": json.dumps(record["checks"]),
            "measurement": json.dumps(
                {
                    m["column"]: {
                        "units": int(len(m["prior_mean"])),
                        "mean_sd": round(float(np.mean(m["prior_sd"])), 4),
                    }
                    for m in md.measurement
                }
            ),
        }
    )
    return idata


NUMPYRO_MAX_TREE_DEPTH = 10  # numpyro's NUTS default (PyMC passes none)


def sampler_telemetry(idata: az.InferenceData) -> dict:
    """How hard the sampler worked: mean leapfrog steps per draw, draws that
    hit the maximum tree depth, the adapted step size per chain and the mean
    acceptance rate (NaN where the sampler did not record a statistic)."""
    st = idata.sample_stats

    def stat(name, fn):
        return fn(st[name].values) if name in st else float("nan")

    depth_max = NUMPYRO_MAX_TREE_DEPTH if idata.attrs.get("sampler") == "numpyro" else None
    return {
        "mean_leapfrog_steps": round(float(stat("n_steps", np.mean)), 1),
        "tree_depth_hits": int(stat("tree_depth", lambda v: (v >= depth_max).sum())) if depth_max else None,
        "step_size": [round(float(x), 5) for x in st["step_size"].mean("draw").values] if "step_size" in st else [],
        "mean_acceptance": round(float(stat("acceptance_rate", np.mean)), 3),
    }


def _alternative(md: ModelData, group: dict) -> str:
    """The other parameterization of a group: non-centred where ``auto``
    centred any level of any of its terms, else centred."""
    terms = ([None] if group["intercept"] else []) + list(group["slopes"])
    return "noncentered" if any(centred_levels(md, group, t).any() for t in terms) else "centered"


def with_parameterization(md: ModelData, how: str) -> ModelData:
    """A copy of ``md`` whose group terms take ``how``: auto, centered,
    noncentered, or alternative (each group the opposite of what it has)."""
    groups = [dict(g, parameterization=_alternative(md, g) if how == "alternative" else how) for g in md.groups]
    return dataclasses.replace(md, groups=groups)


def retry_ladder(settings: dict) -> list[dict]:
    """The attempts of a fit: first the settings as declared, then each step
    of ``sampling.retry`` (config, or the model's own). A step never lowers
    the target acceptance rate a model or an earlier step already asks for."""
    steps, out, ta = list(settings.get("retry") or []), [{}], float(settings["target_accept"])
    for step in steps:
        step = dict(step)
        if "target_accept" in step:
            ta = max(ta, float(step["target_accept"]))
            step["target_accept"] = ta
        out.append(step)
    return out


def ladder_attempts(md: ModelData, settings: dict) -> list[tuple[dict, ModelData]]:
    """The attempts :func:`fit_until_gate` makes: each step of the ladder with
    the model data it samples (its group terms' parameterization applied).
    A step that would repeat an earlier attempt exactly (same target
    acceptance rate, every group term parameterized the same way: a
    ``noncentered`` step for a model whose groups are non-centred already)
    is skipped: with the same seed it would give the same draws."""
    out, seen = [], set()
    for step in retry_ladder(settings):
        how = step.get("parameterization")
        md_i = with_parameterization(md, how) if how else md
        key = (
            float(step.get("target_accept", settings["target_accept"])),
            tuple(
                tuple(tuple(centred_levels(md_i, g, t)) for t in ([None] if g["intercept"] else []) + list(g["slopes"]))
                for g in md_i.groups
            ),
        )
        if key not in seen:
            seen.add(key)
            out.append((step, md_i))
    return out


def fit_until_gate(md: ModelData, sampling: dict, seed: int, gate: dict, prior_draws: int = 500):
    """Fit, and refit with safer settings while the fit fails the gate.

    The first attempt uses the declared settings; each later one a step of
    the ladder (:func:`retry_ladder`: a higher target acceptance rate, then
    the other parameterization of the group terms). The first attempt that
    passes the gate is the fit; if none does, the last attempt is returned
    and is "failed". Returns ``(idata, diag)``: ``diag`` is the gate's
    verdict on the returned fit with every attempt's settings, seconds,
    diagnostics and sampler telemetry under ``attempts``. The model is the
    same in every attempt; only how NUTS explores it changes."""
    from .diagnostics import diagnose  # local: keeps models.diagnostics out of bayes' module-level imports

    attempts = []
    ladder = ladder_attempts(md, {**sampling, **(md.spec.sampling or {})})
    for i, (step, md_i) in enumerate(ladder):
        over = {k: v for k, v in step.items() if k != "parameterization"}
        t0 = time.monotonic()
        idata = fit_bayes(md_i, sampling, seed, prior_draws, gate=gate, overrides=over)
        diag = diagnose(idata, gate)
        used = json.loads(idata.attrs["sampling"])
        attempts.append(
            {
                "attempt": i + 1,
                "target_accept": used["target_accept"],
                "parameterization": json.loads(idata.attrs["parameterization"]),
                "seconds": round(time.monotonic() - t0, 2),
                "timing": json.loads(idata.attrs["timing_seconds"]),
                "status": diag["status"],
                "reasons": diag["reasons"],
                "divergences": diag["divergences"],
                "max_rhat": round(float(diag["max_rhat"]), 4),
                "min_ess_bulk": round(float(diag["min_ess_bulk"]), 1),
                "min_ess_tail": round(float(diag["min_ess_tail"]), 1),
                "draws": diag["draws"],
                **sampler_telemetry(idata),
            }
        )
        if diag["status"] == "ok":
            break
        if i + 1 < len(ladder):
            log.warning(
                "model %s: attempt %d failed the gate (%s); refitting with %s",
                md.spec.name,
                i + 1,
                "; ".join(diag["reasons"]),
                ladder[i + 1][0],
            )
    idata.attrs["attempts"] = json.dumps(attempts)
    diag["attempts"] = attempts
    return idata, diag


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
    q = (1 - hdi_prob) / 2
    flat = {v: post[v].stack(sample=("chain", "draw")) for v in var_names}
    med, qlo, qhi = [], [], []
    for label in summ.index:
        var, _, idx = label.partition("[")
        da = flat[var]
        if idx:
            da = da.sel(dict(zip([d for d in da.dims if d != "sample"], idx.rstrip("]").split(", "))))
        v = da.values
        med.append(float(np.median(v)))
        qlo.append(float(np.quantile(v, q)))
        qhi.append(float(np.quantile(v, 1 - q)))
    summ["median"], summ[f"eti_{q:.0%}"], summ[f"eti_{1 - q:.0%}"] = med, qlo, qhi
    summ.index.name = "parameter"
    scale = [
        "original"
        if v.split("[")[0].endswith("_orig")
        else "standardized"
        if v.split("[")[0] in ("alpha", "beta")
        else "group"
        for v in summ.index
    ]
    summ.insert(0, "scale", scale)
    return summ.reset_index()


def posterior_linear_predictor(
    idata: az.InferenceData,
    md: ModelData,
    X_new: pd.DataFrame,
    groups_new: dict | None = None,
    new_levels: str = "mean",
    seed: int = 0,
) -> np.ndarray:
    """Posterior draws of the linear predictor for new rows (original scale).

    ``X_new`` has the design columns of ``md`` (see matrix.new_design).
    Bernoulli: array (samples, rows). Categorical: (samples, rows, K) with
    the reference category's column fixed at 0. Group effects are added for
    rows whose level was seen in fitting (``groups_new``: by -> level per row).
    An unseen level (a year after the fitted period, a partner never seen)
    gets, with ``new_levels="mean"``, the population-level prediction (its
    effect 0), and with ``new_levels="sample"`` a fresh draw from the
    population, N(0, sd) in each posterior draw (one per unseen level, seeded
    by ``seed``): the predictive distribution of a new level, whose mean
    probability is not the probability at the mean effect (with a decision-
    year sd near 3 on the logit scale they differ several-fold).
    """
    post = idata.posterior.stack(sample=("chain", "draw"))
    names = md.coef_names
    Xs = ((X_new[names] - md.means[names]) / md.sds[names]).to_numpy("float64")
    if md.spec.family in ("bernoulli", "conditional"):
        # conditional: the linear predictor up to each choice set's constant
        alpha = post["alpha"].values if "alpha" in post else np.zeros(post.sizes["sample"])  # (S,)
        beta = post["beta"].transpose("coef", "sample").values  # (k, S)
        eta = alpha[:, None] + (Xs @ beta).T  # (S, n)
        rng = np.random.default_rng(seed)
        for g in md.groups:
            if not groups_new or g["by"] not in groups_new:
                continue
            level_index = {lev: i for i, lev in enumerate(g["levels"])}
            vals = np.array([str(v) for v in groups_new[g["by"]]])
            idx = np.array([level_index.get(v, -1) for v in vals])
            seen = idx >= 0
            unseen, new_idx = np.unique(vals[~seen], return_inverse=True)
            dim = f"{g['by']}_level"
            terms = ([(f"a_{g['by']}", None)] if g["intercept"] else []) + [
                (f"b_{g['by']}_{_safe(s)}", names.index(s)) for s in g["slopes"]
            ]
            for var, j in terms:
                d = post[var].transpose(dim, "sample").values  # (L, S)
                x = 1.0 if j is None else Xs[:, j]
                eta[:, seen] += (d[idx[seen]] * (x if j is None else x[seen][:, None])).T
                if new_levels == "sample" and len(unseen):
                    sd = post[f"sd_{var}"].values  # (S,)
                    fresh = rng.standard_normal((len(unseen), len(sd))) * sd  # (U, S)
                    eta[:, ~seen] += (fresh[new_idx] * (x if j is None else x[~seen][:, None])).T
        return eta
    alpha = post["alpha"].transpose("category_free", "sample").values  # (K-1, S)
    beta = post["beta"].transpose("coef", "category_free", "sample").values  # (k, K-1, S)
    eta_free = alpha.T[:, None, :] + np.einsum("nk,kcs->snc", Xs, beta)  # (S, n, K-1)
    return np.concatenate([np.zeros(eta_free.shape[:2] + (1,)), eta_free], axis=2)


def posterior_probabilities(
    idata, md: ModelData, X_new: pd.DataFrame, groups_new: dict | None = None, new_levels: str = "mean", seed: int = 0
) -> np.ndarray:
    """Posterior draws of P(y = 1) (bernoulli) or of each category's probability
    (``new_levels``: see :func:`posterior_linear_predictor`)."""
    if md.spec.family == "conditional":
        raise ValueError(
            f"model {md.spec.name}: a conditional logit gives probabilities within a choice set "
            "(models.choice.probabilities), not per row"
        )
    eta = posterior_linear_predictor(idata, md, X_new, groups_new, new_levels, seed)
    if md.spec.family == "bernoulli":
        return 1.0 / (1.0 + np.exp(-eta))
    e = np.exp(eta - eta.max(axis=2, keepdims=True))
    return e / e.sum(axis=2, keepdims=True)


def model_data_from_idata(idata, frame: pd.DataFrame):
    """Rebuild the fitted ModelData (rows, design, scaling) from posterior attrs."""
    spec = ModelSpec.from_json(idata.attrs["model_spec"])
    return build_model_data(spec, frame)
