# Why not the `firthmodels` package (PyPI, MIT, v0.8.2 checked; compared on the
# fixtures in tests/fixtures/firth). Its estimates, penalised log likelihood,
# profile CIs and 1-df penalised LR tests agree with this module to <= 1.3e-10
# (at xtol = gtol = 1e-8), and it is 8-50x faster (profile + LR on sex2, endometrial,
# silvapulle1981, a 20,000-row separated logit). It is not adopted because:
# * its SEs invert the augmented information X' diag(w (1 + h)) X (logistf >= 1.24),
#   so the classical I(beta)^-1 SEs reported here and published are 1.8-11% larger
#   (sex2 `dia` 1.5052 vs Ploner 2001 1.6750; endometrial NV 1.4650 vs brglm2 1.5508,
#   whose Wald p moves from 0.0589 to 0.0456);
# * it has no logistftest: `lrt()` tests beta_j = 0 one term at a time; fixing
#   vic = 2, vicl = 0 on sex2 via an offset penalises the reduced design and gives
#   LR 26.980 instead of logistftest's 23.915 (firth_lr_test);
# * convergence needs per-call tuning: its default xtol = gtol = 1e-4 leaves
#   estimates 3.5e-5 off (sex2 `dia`), i.e. outside the published digits, while
#   1e-8 reports non-convergence for x = 1..10, y = x > 5 (numba backend; LR
#   p-values NaN) and 1e-10 on the fixtures themselves; a non-converged fit
#   still returns profile CIs unflagged (here: Wald fallback, flagged in ci_method);
# * it would add scikit-learn (~51 MB) and joblib for a fall-back fit that takes
#   seconds at most. tests/unit/test_firth.py checks the SE difference when the
#   package happens to be installed.
"""Firth (1993) bias-reduced logistic regression.

The estimate maximises the penalised log likelihood

    l*(beta) = l(beta) + 0.5 * log |I(beta)|,     I(beta) = X' W X,

i.e. the log posterior under the Jeffreys prior. Its gradient is Firth's modified
score  U*(beta) = X' (y - p + h (1/2 - p)),  where h is the diagonal of the hat
matrix W^1/2 X (X'WX)^-1 X' W^1/2. Estimates are finite even under complete or
quasi-complete separation (Heinze & Schemper 2002), so this is the frequentist
fall-back when the maximum likelihood estimate does not exist.

Inference follows Heinze & Schemper (2002) and the R package logistf:

* confidence intervals from the profile penalised likelihood: the set of b with
  2 (l*(beta_hat) - max_{beta: beta_j = b} l*(beta)) <= chi2_1(level);
* p-values from penalised likelihood ratio tests of beta_j = 0, with the penalty
  of the restricted fit still computed from the full design (as logistf does).

Where a profile bound cannot be found (the inner fit does not converge, or the
profile does not cross the cut-off within a wide search), the term's interval
falls back to the Wald interval and ``ci_method`` says so; the same for tests.

Fitting: Newton-Raphson on l* with its exact Hessian (quadratic convergence, also
far out on a profile, where the penalty dominates), falling back to the Fisher
scoring step of Firth/logistf, (X'WX)^-1 U*, where the Hessian is not negative
definite; steps are capped at length 5 and halved until l* does not decrease.
Determinants, hat values and solves use the triangular factor R of I = R'R
(Cholesky of X'WX on columns scaled to max |x| = 1, or the QR of W^1/2 X if
that fails); no information matrix is inverted except for the reported
covariance R^-1 R^-T.

Standard errors are the classical sqrt(diag I(beta_hat)^-1) (Firth 1993; logistf
1.00 as printed by Ploner 2001; brglm2). logistf >= 1.24 instead inverts the
information of its augmented data set, X' diag(w (1 + h)) X, which gives smaller
SEs; estimates, profile intervals and penalised LR tests are the same.

References: Firth D (1993) Biometrika 80:27-38. Heinze G, Schemper M (2002)
Statistics in Medicine 21:2409-2419. Heinze G, Ploner M et al., R package logistf.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.linalg
from scipy import optimize, special, stats

from ._design import as_design

__all__ = ["FirthLRTest", "FirthResult", "firth_logit", "firth_lr_test"]

_MAX_STEP = 5.0  # cap on the largest coordinate of one Newton step (as logistf)
_MAX_HALVINGS = 30
_SLOW = 0.1  # Fisher steps shrinking by less than this switch the fit to exact Newton
_SEARCH_DOUBLINGS = 40  # profile search reaches se * 2**40 from the estimate


@dataclass(frozen=True)
class FirthResult:
    """Result of :func:`firth_logit`. Arrays follow the order of ``names``.

    ``ci_method`` holds, per term, ``"profile"`` (profile penalised likelihood) or
    ``"wald"`` (fallback, or ``profile=False``); ``pvalue_method`` likewise
    ``"penalized_lr"`` or ``"wald"``. ``lr_stat`` is the test statistic
    (penalised LR chi-square on 1 df, or the squared Wald z).
    """

    params: np.ndarray
    bse: np.ndarray
    ci_lower: np.ndarray
    ci_upper: np.ndarray
    pvalues: np.ndarray
    loglik: float
    loglik_unpenalized: float
    n: int
    events: int
    converged: bool
    n_iter: int
    names: tuple[str, ...]
    method: str
    ci_level: float
    ci_method: tuple[str, ...]
    pvalue_method: tuple[str, ...]
    lr_stat: np.ndarray
    cov: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """One row per term: estimate, SE, CI, odds ratio and its CI, p-value.

        The columns after ``p_value`` say how each CI and p-value was obtained.
        """
        return pd.DataFrame(
            {
                "term": list(self.names),
                "estimate": self.params,
                "std_error": self.bse,
                "ci_lower": self.ci_lower,
                "ci_upper": self.ci_upper,
                "odds_ratio": np.exp(self.params),
                "or_ci_lower": np.exp(self.ci_lower),
                "or_ci_upper": np.exp(self.ci_upper),
                "p_value": self.pvalues,
                "ci_method": list(self.ci_method),
                "p_method": list(self.pvalue_method),
            }
        )


@dataclass
class _State:
    beta: np.ndarray
    lstar: float  # penalised log likelihood
    loglik: float  # ordinary log likelihood
    score: np.ndarray  # modified score U* (gradient of l*)
    R: np.ndarray  # upper-triangular factor of W^1/2 X (I = R'R)
    X: np.ndarray
    p: np.ndarray
    w: np.ndarray


def _state(X: np.ndarray, y: np.ndarray, beta: np.ndarray) -> _State:
    eta = X @ beta
    p = special.expit(eta)
    w = p * special.expit(-eta)  # p (1 - p) without cancellation
    loglik = float(np.sum(y * eta - np.logaddexp(0.0, eta)))
    Xw = np.sqrt(w)[:, None] * X
    # R'R = X'WX: Cholesky of the k x k information (columns are scaled to
    # max |x| = 1 by the callers), or a QR of W^1/2 X when that is too ill-conditioned.
    try:
        R = scipy.linalg.cholesky(Xw.T @ Xw, lower=False)
    except np.linalg.LinAlgError:
        R = np.linalg.qr(Xw, mode="r")
    d = np.abs(np.diag(R))
    if not np.all(np.isfinite(R)) or not np.all(d > 0):
        return _State(beta, -np.inf, loglik, np.full_like(beta, np.nan), R, X, p, w)
    logdet = 2.0 * float(np.sum(np.log(d)))
    Q = scipy.linalg.solve_triangular(R, Xw.T, trans="T", check_finite=False).T  # W^1/2 X R^-1
    h = np.einsum("ij,ij->i", Q, Q)
    score = X.T @ (y - p + h * (0.5 - p))
    return _State(beta, loglik + 0.5 * logdet, loglik, score, R, X, p, w)


def _neg_hessian(st: _State, free: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """Minus the exact Hessian of l* in the free coordinates.

    With A = I^-1, a_i = x_i'A x_i, w' = w (1 - 2p), w'' = w (1 - 6w):
      d2 l / db db'            = -X'WX
      d2 (0.5 log|I|) / db db' = 0.5 X' diag(w'' a) X - 0.5 C C',
      C[r, :] = sum_i w'_i x_ir (g_i kron g_i),  g_i = R^-T x_i  (so g_i.g_k = x_i'A x_k).
    Cost O(n k^3), in row chunks to bound memory.
    """
    X, w, p = st.X, st.w, st.p
    k = X.shape[1]
    G = scipy.linalg.solve_triangular(st.R, X.T, trans="T", check_finite=False).T  # rows g_i
    a = np.einsum("ij,ij->i", G, G)
    w1 = w * (1.0 - 2.0 * p)
    w2 = w * (1.0 - 6.0 * w)
    info = st.R.T @ st.R
    H = -info + 0.5 * (X.T * (w2 * a)) @ X
    # (g_i.g_k)^2 = sum_ab g_ia g_ib g_ka g_kb: use the k(k+1)/2 distinct pairs
    # a <= b, off-diagonal ones weighted by sqrt(2) so that Z_i.Z_k is unchanged.
    ia, ib = np.triu_indices(k)
    wt = np.where(ia == ib, 1.0, np.sqrt(2.0))
    C = np.zeros((k, ia.size))
    for lo in range(0, X.shape[0], chunk):
        g = G[lo : lo + chunk]
        Z = g[:, ia] * g[:, ib] * wt
        C += (X[lo : lo + chunk].T * w1[lo : lo + chunk]) @ Z
    H -= 0.5 * C @ C.T
    return -H[np.ix_(free, free)]


def _fisher_step(st: _State, free: np.ndarray) -> np.ndarray:
    """Solve I_ff delta_f = U*_f using the triangular factor (I = R'R)."""
    Rf = st.R[:, free]
    if Rf.shape[1] < st.R.shape[1]:
        Rf = np.linalg.qr(Rf, mode="r")
    z = scipy.linalg.solve_triangular(Rf, st.score[free], trans="T")
    delta = np.zeros_like(st.beta)
    delta[free] = scipy.linalg.solve_triangular(Rf, z)
    return delta


def _newton_step(st: _State, free: np.ndarray) -> np.ndarray:
    """Newton step on l* with its exact Hessian where that is negative definite
    (quadratic convergence, also deep in the tails of a profile); otherwise the
    Fisher-scoring step of Firth/logistf, which is always an ascent direction."""
    try:
        chol = scipy.linalg.cho_factor(_neg_hessian(st, free))
    except np.linalg.LinAlgError:
        return _fisher_step(st, free)
    delta = np.zeros_like(st.beta)
    delta[free] = scipy.linalg.cho_solve(chol, st.score[free])
    if not np.all(np.isfinite(delta)):
        return _fisher_step(st, free)
    return delta


def _fit(X, y, beta0, free, *, max_iter: int, tol: float):
    """Maximise l* over the coordinates in ``free`` (others held at beta0).

    Starts with Fisher scoring, which is cheap and converges fast when the data
    dominate the penalty; once successive steps shrink by less than a factor
    ``_SLOW`` (linear convergence, typical far out on a profile or under
    separation) it switches to Newton steps with the exact Hessian of l*.
    Steps are capped at length ``_MAX_STEP`` and halved until l* does not fall.
    Converged when the full step is below ``tol`` in every coordinate.
    Returns (state, converged, n_iter).
    """
    st = _state(X, y, np.asarray(beta0, dtype=np.float64).copy())
    if not np.isfinite(st.lstar):
        return st, False, 0
    exact, prev = False, np.inf
    for it in range(1, max_iter + 1):
        delta = _newton_step(st, free) if exact else _fisher_step(st, free)
        if not np.all(np.isfinite(delta)):
            return st, False, it
        size = float(np.max(np.abs(delta))) if delta.size else 0.0
        if size <= tol:
            new = _state(X, y, st.beta + delta)
            if np.isfinite(new.lstar) and new.lstar >= st.lstar - 1e-9 * max(1.0, abs(st.lstar)):
                st = new
            return st, True, it
        exact = exact or size > _SLOW * prev
        prev = size
        if size > _MAX_STEP:
            delta *= _MAX_STEP / size
        slack = 1e-12 * max(1.0, abs(st.lstar))
        for _ in range(_MAX_HALVINGS + 1):
            new = _state(X, y, st.beta + delta)
            if np.isfinite(new.lstar) and new.lstar >= st.lstar - slack:
                break
            delta *= 0.5
        else:
            return st, False, it
        st = new
    return st, False, max_iter


@dataclass(frozen=True)
class FirthLRTest:
    """Penalised likelihood ratio test of fixing some coefficients (logistftest)."""

    fixed: dict[str, float]
    stat: float
    df: int
    pvalue: float
    loglik_full: float
    loglik_restricted: float
    converged: bool


def firth_lr_test(X, y, fixed: dict, *, names=None, max_iter: int = 200, tol: float = 1e-10) -> FirthLRTest:
    """Penalised LR test of H0: beta[name] = value for every entry of ``fixed``.

    Both fits maximise l* with the penalty 0.5 log|X'WX| of the full design
    (Heinze & Schemper 2002; logistf's ``logistftest``); the statistic
    2 (l*_full - l*_restricted) is referred to chi-square with len(fixed) df.
    """
    d = as_design(X, y, names)
    k = d.X.shape[1]
    scale = np.max(np.abs(d.X), axis=0)
    Xs = d.X / scale
    if not fixed:
        raise ValueError("fixed must name at least one coefficient")
    unknown = [t for t in fixed if t not in d.names]
    if unknown:
        raise ValueError(f"unknown term(s) {', '.join(map(repr, unknown))}; terms: {', '.join(d.names)}")
    all_free = np.ones(k, dtype=bool)
    full, ok_full, _ = _fit(Xs, d.y, np.zeros(k), all_free, max_iter=max_iter, tol=tol)
    start = full.beta.copy()
    free = np.ones(k, dtype=bool)
    for t, v in fixed.items():
        j = d.names.index(t)
        start[j] = float(v) * scale[j]
        free[j] = False
    restr, ok_r, _ = _fit(Xs, d.y, start, free, max_iter=max_iter, tol=tol)
    stat = max(0.0, 2.0 * (full.lstar - restr.lstar))
    shift = float(np.sum(np.log(scale)))  # penalty on the original column scale
    return FirthLRTest(
        fixed={t: float(v) for t, v in fixed.items()},
        stat=float(stat),
        df=len(fixed),
        pvalue=float(stats.chi2.sf(stat, len(fixed))),
        loglik_full=float(full.lstar) + shift,
        loglik_restricted=float(restr.lstar) + shift,
        converged=bool(ok_full and ok_r),
    )


class _ProfileFailure(Exception):
    pass


def _profile_bound(X, y, j, side, fit_beta, lstar_hat, se, q, *, max_iter, tol):
    """Root of  l*_profile(b) = l*_hat - q/2  on one side of the estimate."""
    bhat = float(fit_beta[j])
    free = np.ones(X.shape[1], dtype=bool)
    free[j] = False
    target = lstar_hat - 0.5 * q
    warm = fit_beta.copy()

    def g(b: float) -> float:
        start = warm.copy()
        start[j] = b
        st, ok, _ = _fit(X, y, start, free, max_iter=max_iter, tol=tol)
        if not ok:
            raise _ProfileFailure(f"constrained fit at {b} did not converge")
        warm[:] = st.beta
        return st.lstar - target

    step = se if np.isfinite(se) and se > 0 else 1.0
    inner = bhat
    for k in range(_SEARCH_DOUBLINGS + 1):
        outer = bhat + side * step * 2.0**k
        g_outer = g(outer)
        if g_outer < 0:
            break
        inner = outer
    else:
        raise _ProfileFailure("profile does not cross the cut-off")
    a, b = sorted((inner, outer))
    return optimize.brentq(g, a, b, xtol=1e-10, rtol=4 * np.finfo(float).eps, maxiter=200)


def _describe(methods, preferred: str, good: str, wald: str, field: str) -> str:
    if all(m == preferred for m in methods):
        return good
    if all(m == "wald" for m in methods):
        return wald
    return f"{good} (Wald fallback for some terms, see {field})"


def firth_logit(
    X,
    y,
    *,
    names=None,
    max_iter: int = 100,
    tol: float = 1e-8,
    ci_level: float = 0.95,
    profile: bool = True,
) -> FirthResult:
    """Fit a logistic regression by Firth's penalised maximum likelihood.

    Parameters
    ----------
    X : 2-D array or DataFrame, shape (n, k)
        Design matrix; include a column of ones for an intercept. DataFrame
        column names become term names.
    y : array-like of 0/1 or bool, length n
    names : optional sequence of k term names (overrides DataFrame columns)
    max_iter, tol : Newton-Raphson limits; converged when every coordinate of
        the Newton step is below ``tol``.
    ci_level : confidence level of the intervals.
    profile : if True (default), profile penalised likelihood CIs and penalised
        likelihood ratio tests (as logistf); if False, Wald CIs and tests.
    """
    if not 0.0 < ci_level < 1.0:
        raise ValueError(f"ci_level must be in (0, 1), got {ci_level}")
    d = as_design(X, y, names)
    # Fit on columns scaled to max |x| = 1 (the estimator is equivariant, and the
    # step cap and tolerances then mean the same for every column); map back below.
    scale = np.max(np.abs(d.X), axis=0)
    Xa, ya = d.X / scale, d.y
    n, k = Xa.shape
    free_all = np.ones(k, dtype=bool)

    st, converged, n_iter = _fit(Xa, ya, np.zeros(k), free_all, max_iter=max_iter, tol=tol)
    beta = st.beta
    Rinv = scipy.linalg.solve_triangular(st.R, np.eye(k))
    cov = Rinv @ Rinv.T
    bse = np.sqrt(np.diag(cov))

    z = stats.norm.ppf(0.5 + ci_level / 2.0)
    q = stats.chi2.ppf(ci_level, 1)
    ci_lower = beta - z * bse
    ci_upper = beta + z * bse
    wald_z = beta / bse
    lr_stat = wald_z**2
    pvalues = 2.0 * stats.norm.sf(np.abs(wald_z))
    ci_method = ["wald"] * k
    p_method = ["wald"] * k

    # Profile quantities need a converged fit: they are measured from l*(beta_hat).
    if profile and converged:
        inner_tol = min(tol, 1e-10)
        inner_iter = max(max_iter, 200)
        for j in range(k):
            try:
                lo = _profile_bound(Xa, ya, j, -1, beta, st.lstar, bse[j], q, max_iter=inner_iter, tol=inner_tol)
                hi = _profile_bound(Xa, ya, j, +1, beta, st.lstar, bse[j], q, max_iter=inner_iter, tol=inner_tol)
            except (_ProfileFailure, ValueError, RuntimeError):
                pass
            else:
                ci_lower[j], ci_upper[j] = lo, hi
                ci_method[j] = "profile"

            free = free_all.copy()
            free[j] = False
            start = beta.copy()
            start[j] = 0.0
            st0, ok0, _ = _fit(Xa, ya, start, free, max_iter=inner_iter, tol=inner_tol)
            if ok0:
                lr_stat[j] = max(0.0, 2.0 * (st.lstar - st0.lstar))
                pvalues[j] = stats.chi2.sf(lr_stat[j], 1)
                p_method[j] = "penalized_lr"

    ci_desc = _describe(ci_method, "profile", "profile penalized likelihood CIs", "Wald CIs", "ci_method")
    p_desc = _describe(p_method, "penalized_lr", "penalized likelihood ratio tests", "Wald tests", "pvalue_method")
    method = f"Firth penalized maximum likelihood (Jeffreys prior); {ci_desc}; {p_desc}"
    if not converged:
        method += f"; NOT CONVERGED after {n_iter} iterations"

    return FirthResult(
        params=beta / scale,
        bse=bse / scale,
        ci_lower=ci_lower / scale,
        ci_upper=ci_upper / scale,
        pvalues=pvalues,
        loglik=float(st.lstar + np.sum(np.log(scale))),  # log|X'WX| on the original scale
        loglik_unpenalized=float(st.loglik),
        n=int(n),
        events=int(ya.sum()),
        converged=bool(converged),
        n_iter=int(n_iter),
        names=d.names,
        method=method,
        ci_level=float(ci_level),
        ci_method=tuple(ci_method),
        pvalue_method=tuple(p_method),
        lr_stat=np.asarray(lr_stat, dtype=np.float64),
        cov=cov / np.outer(scale, scale),
    )
