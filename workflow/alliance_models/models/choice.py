"""The conditional logit of a choice among alternatives: which partners a treaty binds.

One *stratum* is one choice: a treaty the focal state signed, its choice set
every state in the system that year not already bound to it by an obligation
of the same type, its chosen alternatives the treaty's co-signatories. The
probability that alternative i is chosen from stratum s is

    P(i | s) = exp(x_i b) / sum_{j in s} exp(x_j b)

(McFadden 1974), so anything constant within a stratum (the year, the focal
state's own capability) cancels: the model says *with whom*, never *when*.

A multilateral treaty chooses k partners at once. Counting each as a choice
would let the Declaration by United Nations (26 original signatories) weigh
as much as 26 bilateral treaties. Here every stratum counts once: its chosen
alternatives' log-probabilities are averaged (weight 1/k each),

    log L = sum_s (1/k_s) sum_{i in C_s} [x_i b - log sum_{j in s} exp(x_j b)],

a weighted (composite) likelihood: each chosen partner is scored as a choice
from the full set, and the k scores of one treaty share one vote. With one
chosen alternative per stratum and weights 1 it is the ordinary conditional
logit (tests/unit/test_choice.py checks it against statsmodels'
ConditionalLogit, and the Bayesian fit against coefficients it was simulated
with). The frequentist fit maximises the same function, with sandwich
standard errors clustered by stratum (a weighted likelihood's inverse
Hessian is not its covariance).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.special import logsumexp

WEIGHTINGS = ("stratum", "row")


def stratum_codes(values) -> tuple[np.ndarray, list]:
    """Integer codes 0..S-1 of the stratum labels (in order of appearance)."""
    codes, uniq = pd.factorize(pd.Series(values).astype(str), sort=False)
    return codes.astype("int64"), list(uniq)


def choice_weights(strata: np.ndarray, y: np.ndarray, weighting: str = "stratum") -> np.ndarray:
    """The weight of each row in the log-likelihood: chosen rows get 1/k_s
    (``stratum``: each stratum counts once) or 1 (``row``: each chosen
    alternative counts as a choice); rows not chosen get 0 (they enter only
    through their stratum's normaliser)."""
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting must be one of {WEIGHTINGS}, not {weighting!r}")
    y = np.asarray(y, dtype="float64")
    k = np.bincount(strata, weights=y)
    w = y / k[strata] if weighting == "stratum" else y.copy()
    return np.where(y > 0, w, 0.0)


def informative_strata(strata: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Rows of strata that carry information: at least one alternative chosen
    and at least one not (a stratum with every alternative chosen, or none,
    has likelihood 1 whatever the coefficients)."""
    y = np.asarray(y, dtype="float64")
    n = np.bincount(strata)
    k = np.bincount(strata, weights=y)
    ok = (k > 0) & (k < n)
    return ok[strata]


def _segment_lse(eta: np.ndarray, strata: np.ndarray, n_strata: int) -> np.ndarray:
    """log sum exp of ``eta`` within each stratum."""
    top = np.full(n_strata, -np.inf)
    np.maximum.at(top, strata, eta)
    s = np.bincount(strata, weights=np.exp(eta - top[strata]), minlength=n_strata)
    return top + np.log(s)


def loglik_rows(beta: np.ndarray, X: np.ndarray, strata: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Each row's log P(chosen from its stratum): x_i b - LSE_s(x b)."""
    eta = X @ beta
    lse = _segment_lse(eta, strata, int(strata.max()) + 1)
    return eta - lse[strata]


def loglik_strata(beta_draws: np.ndarray, X: np.ndarray, strata: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Each stratum's weighted log-likelihood for each draw of beta
    (draws x k): an array (draws, strata). One stratum is one treaty: the
    unit a leave-one-out comparison leaves out."""
    S = int(strata.max()) + 1
    eta = beta_draws @ X.T  # (D, n)
    out = np.empty((eta.shape[0], S))
    chosen = w > 0
    for d in range(eta.shape[0]):
        lse = _segment_lse(eta[d], strata, S)
        out[d] = np.bincount(strata[chosen], weights=(w * (eta[d] - lse[strata]))[chosen], minlength=S)
    return out


def probabilities(beta: np.ndarray, X: np.ndarray, strata: np.ndarray) -> np.ndarray:
    """P(alternative i is chosen | one choice from its stratum)."""
    return np.exp(loglik_rows(beta, X, strata, np.zeros(len(X))))


def _objective(beta, X, strata, w, S):
    eta = X @ beta
    lse = _segment_lse(eta, strata, S)
    p = np.exp(eta - lse[strata])
    ws = np.bincount(strata, weights=w, minlength=S)  # total weight per stratum
    ll = float(w @ (eta - lse[strata]))
    # d/db: sum_i w_i x_i - sum_s ws_s sum_j p_j x_j
    grad = X.T @ w - X.T @ (p * ws[strata])
    return -ll, -grad


def _hessian(beta, X, strata, w, S):
    eta = X @ beta
    lse = _segment_lse(eta, strata, S)
    p = np.exp(eta - lse[strata])
    ws = np.bincount(strata, weights=w, minlength=S)
    xbar = np.zeros((S, X.shape[1]))
    np.add.at(xbar, strata, p[:, None] * X)
    d = X - xbar[strata]
    # -H = sum_s ws_s sum_j p_j (x_j - xbar_s)(x_j - xbar_s)'
    return (d * (p * ws[strata])[:, None]).T @ d


def fit_clogit_mle(
    X: np.ndarray, strata: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None, names=None
) -> dict:
    """Maximum (weighted) likelihood conditional logit.

    ``weights``: each chosen row's weight (:func:`choice_weights`); None =
    1 for every chosen row (the ordinary conditional logit with one chosen
    alternative per stratum). Returns params, model-based SEs (inverse
    information, right for weights 1), sandwich SEs clustered by stratum,
    the log-likelihood, strata and convergence."""
    X = np.asarray(X, dtype="float64")
    y = np.asarray(y, dtype="float64")
    strata = np.asarray(strata, dtype="int64")
    keep = informative_strata(strata, y)
    X, y, strata = X[keep], y[keep], pd.factorize(strata[keep])[0].astype("int64")
    S = int(strata.max()) + 1 if len(strata) else 0
    if S == 0:
        raise ValueError("no stratum has both a chosen and an unchosen alternative")
    w = (np.where(y > 0, 1.0, 0.0) if weights is None else np.asarray(weights, dtype="float64")[keep]) * (y > 0)
    k = X.shape[1]
    res = optimize.minimize(
        _objective,
        np.zeros(k),
        args=(X, strata, w, S),
        jac=True,
        method="BFGS",
        options={"gtol": 1e-8, "maxiter": 1000},
    )
    beta = res.x
    info = _hessian(beta, X, strata, w, S)
    cov = np.linalg.pinv(info)
    # score contributions per stratum: sum_{i in C_s} w_i (x_i - xbar_s)
    eta = X @ beta
    lse = _segment_lse(eta, strata, S)
    p = np.exp(eta - lse[strata])
    xbar = np.zeros((S, k))
    np.add.at(xbar, strata, p[:, None] * X)
    u = np.zeros((S, k))
    np.add.at(u, strata, w[:, None] * (X - xbar[strata]))
    meat = u.T @ u * (S / max(S - 1, 1))
    robust = cov @ meat @ cov
    return {
        "names": list(names) if names is not None else [f"x{j}" for j in range(k)],
        "params": beta,
        "se": np.sqrt(np.clip(np.diag(cov), 0, None)),
        "se_robust": np.sqrt(np.clip(np.diag(robust), 0, None)),
        "loglik": -float(res.fun),
        "n": int(len(y)),
        "strata": S,
        "chosen": int((y > 0).sum()),
        "converged": bool(res.success or np.max(np.abs(res.jac)) < 1e-5),
    }


def simulate_choices(
    beta: np.ndarray, X: np.ndarray, strata: np.ndarray, k: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Choose ``k[s]`` alternatives in each stratum s, one after another
    without replacement, each with probability proportional to exp(x b)
    among those left (for k = 1: the conditional logit itself)."""
    y = np.zeros(len(X), dtype="int64")
    eta = X @ beta
    for s in range(int(strata.max()) + 1):
        rows = np.flatnonzero(strata == s)
        e = eta[rows]
        left = np.ones(len(rows), dtype=bool)
        for _ in range(min(int(k[s]), len(rows))):
            p = np.exp(e - e[left].max()) * left
            i = rng.choice(len(rows), p=p / p.sum())
            y[rows[i]] = 1
            left[i] = False
    return y


def logsumexp_by(eta: np.ndarray, strata: np.ndarray) -> np.ndarray:
    """Public helper for tests: the within-stratum log-sum-exp per row."""
    out = np.empty_like(eta, dtype="float64")
    for s in np.unique(strata):
        m = strata == s
        out[m] = logsumexp(eta[m])
    return out


def stratum_layout(strata: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A dense (strata x largest stratum) index of each stratum's rows and
    its mask (padding points at row 0 and is masked out): the within-stratum
    log-sum-exp becomes one gather and one reduction along an axis."""
    S = int(strata.max()) + 1
    sizes = np.bincount(strata, minlength=S)
    m = int(sizes.max())
    idx = np.zeros((S, m), dtype="int64")
    mask = np.zeros((S, m), dtype=bool)
    order = np.argsort(strata, kind="stable")
    pos = np.arange(len(strata)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    idx[strata[order], pos] = order
    mask[strata[order], pos] = True
    return idx, mask


def conditional_logit(name: str, eta, strata: np.ndarray, weights: np.ndarray, observed, dims):
    """The outcome of a PyMC model as a (weighted) conditional logit: each
    row's log-density is w_i y_i (eta_i - LSE_s(eta)), so the model's
    log-likelihood is the one in the module docstring; the per-row values
    (zero on rows not chosen) sum to each stratum's. Simulated outcomes
    choose as many alternatives per stratum as were chosen
    (:func:`simulate_choices`, on the linear predictor)."""
    import pymc as pm  # heavy (PyMC): only the Bayesian fit needs it
    import pytensor.tensor as pt

    idx, mask = stratum_layout(strata)
    w = np.asarray(weights, dtype="float64")
    k = np.bincount(strata, weights=np.asarray(observed, dtype="float64")).round().astype("int64")
    neg = np.where(mask, 0.0, -np.inf)

    def logp(value, eta):
        e = eta.astype("float64")
        lse = pt.logsumexp(e[pt.constant(idx)] + pt.constant(neg), axis=1)
        return pt.constant(w) * value.astype("float64") * (e - lse[pt.constant(strata)])

    def random(eta, rng=None, size=None):
        e = np.asarray(eta, dtype="float64")
        return simulate_choices(np.ones(1), e[:, None], strata, k, rng)

    return pm.CustomDist(name, eta, logp=logp, random=random, observed=observed, dims=dims, dtype="int64")


def shifted_choice_probability(
    beta_draws: np.ndarray, X: np.ndarray, strata: np.ndarray, j, lo, hi
) -> tuple[np.ndarray, np.ndarray]:
    """Average probability (per draw) that an alternative is the one chosen
    from its set when its own column(s) ``j`` (an index or a list of them)
    are set to ``lo`` and to ``hi`` (scalars or one value per column), every
    other alternative as observed: p_i(v) = e^{eta_i(v)} / (e^{eta_i(v)} +
    sum_{m != i} e^{eta_m}). Returns two arrays (draws,)."""
    j = np.atleast_1d(np.asarray(j, dtype=int))
    lo = np.broadcast_to(np.asarray(lo, dtype="float64"), j.shape)
    hi = np.broadcast_to(np.asarray(hi, dtype="float64"), j.shape)
    S = int(strata.max()) + 1
    out_lo, out_hi = np.empty(len(beta_draws)), np.empty(len(beta_draws))
    for d, b in enumerate(beta_draws):
        eta = X @ b
        top = np.full(S, -np.inf)
        np.maximum.at(top, strata, eta)
        e = np.exp(eta - top[strata])
        tot = np.bincount(strata, weights=e, minlength=S)[strata]
        others = np.clip(tot - e, 0.0, None)
        for v, out in ((lo, out_lo), (hi, out_hi)):
            ev = np.exp(eta + (v[None, :] - X[:, j]) @ b[j] - top[strata])
            out[d] = float(np.mean(ev / (ev + others)))
    return out_lo, out_hi


def stratum_loglik(idata, strata: np.ndarray):
    """A copy of ``idata`` whose log-likelihood is summed within each choice
    set (dims chain, draw, stratum): a conditional logit's rows are not
    independent observations, its choice sets are, so PSIS-LOO leaves out
    a treaty, not a row."""
    import xarray as xr  # heavy enough (xarray): only the report's LOO needs it

    ll = idata.log_likelihood["y"]
    S = int(strata.max()) + 1
    onehot = xr.DataArray(np.eye(S)[strata], dims=(ll.dims[-1], "stratum"))
    summed = xr.dot(ll.astype("float64"), onehot, dims=ll.dims[-1])
    out = idata.copy()
    out.log_likelihood = xr.Dataset({"y": summed.transpose("chain", "draw", "stratum")})
    return out
