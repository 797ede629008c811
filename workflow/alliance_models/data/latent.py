"""A measurement model of national capability: one latent factor, smoothed in time.

Why
---
The project measures "power disparity" between two states with three
indicators that disagree: COW's CINC (a state's share of the system's
material capabilities, 0-1), Maddison PPP GDP and NMC military expenditure.
Instead of picking one, this module treats each as a noisy reading of one
unobserved quantity, a state's (log) national capability ``theta[s, t]``,
and returns, for every state-year, a Gaussian posterior for ``theta``
(mean and standard deviation). The standard deviation is larger where fewer
indicators are observed, so a later model can carry measurement
uncertainty into a dyad's power ratio.

The model, in words
-------------------
* Indicators are used in logs: ``x[k, s, t] = log(indicator k of state s in
  year t)``. A missing value, and also a zero (e.g. the 763 NMC state-years
  with ``milex == 0``: states without an army), is treated as *missing*,
  because the log of zero is undefined and a zero says "below what the
  indicator can measure", not "zero capability". Negative values (there
  should be none) are treated as missing too.
* Measurement equation: ``x[k, s, t] = a[k, t] + lambda[k] * theta[s, t] +
  e``, with ``e ~ N(0, sigma[k]^2)``:
  - ``lambda[k]`` (the *loading*) says by how many log points indicator k
    moves when capability moves by one log point; ``sigma[k]`` is how noisy
    it is as a reading of capability.
  - ``a[k, t]`` is a separate intercept for each indicator and year. It
    absorbs everything that moves an indicator for *all* states at once:
    world economic growth, inflation and, for NMC ``milex``, the switch
    from thousands of GBP to thousands of current USD in 1914. That is how
    ``milex`` is put in constant units across the currency break: its year
    intercepts are estimated jointly with everything else, so no exchange
    rate or deflator table is needed (nor used). The price is that only
    *within-year* differences between states inform the model; a change
    that hits all states in the same year is invisible to it.
  - The anchor indicator (default ``cinc``) has ``lambda = 1`` and ``a = 0``
    in every year. This fixes the scale: ``theta`` is on the scale of log
    CINC, and a dyad's latent log ratio ``theta_i - theta_j`` is comparable
    to the log of the CINC ratio.
  - Errors are assumed independent across indicators given ``theta``. This
    is violated: ``milex`` (and ``tpop``, ``pec``, ...) is one of the six
    components of CINC, so an error in ``milex`` also appears, diluted, in
    CINC. The model then overstates how much the two agree and slightly
    understates the posterior uncertainty; the loadings remain interpretable.
  - Loadings and error variances are the same in every year (1816-2022).
* Time smoothing (``smooth=True``): within a state, capability follows a
  random walk, ``theta[s, t] = theta[s, t-1] + eta``, ``eta ~ N(0, q^2)``.
  Across a gap of ``g`` years in a state's system membership (e.g.
  Russia/USSR 365 has no rows 1918-1921) the step variance is ``g * q^2``.
  A state's first year gets the prior ``N(mu0, P0)``: the distribution of
  capability among states entering the data, with ``mu0`` and ``P0``
  *estimated* from the data (empirical Bayes) rather than fixed at a
  "wide" value such as 10^2. With ~200 states the entry distribution is
  well estimated, it is proper, and it is the same prior that makes the
  static model below a standard (identified) one-factor model; a fixed flat
  prior would make the static model degenerate (the likelihood then grows
  without bound as one indicator's error variance goes to zero).
* Static model (``smooth=False``): every state-year is independent,
  ``theta[s, t] ~ N(mu0, P0)``: classical one-factor analysis with year
  intercepts. Useful for comparison and as a check on the time smoothing.
* Different states are independent given the parameters: no term in the
  model links two states (each observation concerns one state, and each
  state's random walk is its own), so the joint posterior factorises across
  states, and the posterior of ``theta_i - theta_j`` has variance
  ``sd_i^2 + sd_j^2``. Two caveats: CINC is a share that sums to one over
  states in each year, which links states and is ignored; and the year
  intercepts, estimated from all states, are treated as known.

Fitting
-------
Maximum likelihood by EM. The E-step is a Kalman filter and
Rauch-Tung-Striebel smoother for each state. The state is a scalar and the
measurement errors are independent, so the observations of a state-year
(whichever indicators exist, 0 to K of them) enter the update through two
numbers, the information ``J = sum_k lambda_k^2 / sigma_k^2`` and
``h = sum_k lambda_k (x_k - a_k) / sigma_k^2``: this is the exact Kalman
update for a varying observation dimension, written in information form.
All states are filtered in parallel (a loop over the position within a
state's history, vectorised across states). The marginal log-likelihood is
the sum of the log densities of the filter's innovations. The M-step is
closed form: for each indicator, ``a[k, t]`` and ``lambda[k]`` solve a
least-squares problem in the smoothed moments, ``sigma[k]^2`` is the
expected squared residual, ``q^2`` uses the smoother's lag-one covariances,
and ``mu0``, ``P0`` are the mean and variance of the first-year posteriors.
EM is accelerated by SQUAREM (Varadhan & Roland 2008, Scand. J. Stat.)
with a safeguard that keeps the log-likelihood non-decreasing, and stops
when its relative change over a cycle is below ``tol``.

Local maxima and "Heywood" solutions. The likelihood can have several local
maxima, each with one indicator nearly error-free (the factor then *is* that
indicator). With ``multistart=True`` (default) EM runs from the data-based
start and from one start per indicator in which that indicator is nearly
exact, keeps the highest likelihood and lists every start in
``diagnostics["starts"]``. An error sd may not fall below
``HEYWOOD_REL_SD`` (1%) of the indicator's within-year sd; an indicator
stopped at that bound is listed in ``diagnostics["heywood"]``: the fit has
collapsed onto it, and its posterior sds are not a measure of disagreement
between indicators.

What this means for the real table (COW/Maddison, 1816-2022). Within a
state the disagreements between indicators are very persistent (the
within-year-centred gap log GDP - log CINC has a year-to-year correlation
of 0.99, milex - CINC 0.95), while the model treats them as independent
from year to year. With ``smooth=True`` the random walk then follows the
smoothest indicator and calls the year-to-year wiggles of the others
"error": one local maximum follows CINC (sigma_cinc ~ 0.05), a higher one
follows GDP (sigma_gdp at its bound), and with tpop among the indicators
the best fit follows population. Posterior sds from such a fit are far too
small. The static model (``smooth=False``) uses only the within-year
covariance of the indicators; with (cinc, gdp, milex) it is
just-identified, has a single interior maximum and gives posterior sds that
reflect how much the indicators disagree. A persistent (e.g. AR(1)) error
per state and indicator would be needed before the time smoothing can be
trusted on these data.

The posterior per state-year is the smoothed mean and sd *conditional on
the EM estimates*: parameter uncertainty (loadings, error variances, year
intercepts, q) is not propagated. A parametric bootstrap on the real table
(static model, cinc/gdp/milex, 25 refits) puts the sd of the loadings at
~0.003; propagating all parameter draws raises the posterior sd of a
state-year by a median 0.6% (up to ~11% in the 1820s, whose year
intercepts rest on few states) and the sd of a dyad's log ratio by <0.1%
(the shared year intercepts cancel). This holds only if the model is right:
the choice between the local maxima above moves a dyad's ratio far more.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ConfigError

DEFAULT_INDICATORS = ("cinc", "gdp", "milex")

_LOG_2PI = float(np.log(2.0 * np.pi))
_VAR_FLOOR = 1e-10
# An error sd may not fall below this fraction of the indicator's within-year
# sd. Without a bound, a "Heywood" solution (one indicator treated as an
# exact copy of the factor, sigma -> 0) is approached by EM only
# sublinearly; with it, such a fit stops at the bound and is flagged.
HEYWOOD_REL_SD = 0.01


@dataclass
class _Layout:
    """The data, arranged once: rows sorted by (ccode, year), and a dense
    (position-in-state, state) grid for the filter.

    ``X``/``obs`` are (n_rows, K): log indicator and whether it is observed.
    ``pos``/``sidx`` place each row in the (L, S) grid; ``gap`` (L, S) is the
    number of years since the state's previous row (0 on padding cells and
    on each state's first row, whose prior is (mu0, P0)).
    """

    ccode: np.ndarray
    year: np.ndarray
    years: np.ndarray
    yidx: np.ndarray
    X: np.ndarray
    obs: np.ndarray
    sidx: np.ndarray
    pos: np.ndarray
    gap: np.ndarray
    indicators: tuple
    anchor: int
    sig2_floor: np.ndarray  # (K,) lower bound of each error variance

    def __post_init__(self):
        self.obsf = self.obs.astype(float)
        self.Xz = np.where(self.obs, self.X, 0.0)
        self.d = self.obs.sum(1)

    @property
    def flat(self) -> np.ndarray:
        return self.pos * self.gap.shape[1] + self.sidx


@dataclass
class _Params:
    lam: np.ndarray  # (K,) loadings; anchor 1
    a: np.ndarray  # (K, n_years) year intercepts; anchor 0; NaN where unobserved
    sig2: np.ndarray  # (K,) error variances
    q2: float  # random-walk step variance per year
    mu0: float  # first-year prior mean
    P0: float  # first-year prior variance


def _validate(state_year: pd.DataFrame, indicators, anchor: str) -> tuple:
    indicators = tuple(indicators)
    if len(indicators) == 0:
        raise ValueError("indicators: at least one indicator is needed")
    if len(set(indicators)) != len(indicators):
        raise ValueError(f"indicators: duplicate names in {indicators}")
    for key in ("ccode", "year"):
        if key not in state_year.columns:
            raise ValueError(f"state-year table has no '{key}' column")
    for k in indicators:
        if k not in state_year.columns:
            raise ValueError(f"indicator '{k}' is not a column of the state-year table")
    if anchor not in indicators:
        raise ValueError(f"anchor indicator '{anchor}' is not among the indicators {indicators}")
    for k in indicators:
        v = pd.to_numeric(state_year[k], errors="coerce").to_numpy(dtype="float64")
        if not np.any(np.isfinite(v) & (v > 0)):
            raise ValueError(f"indicator '{k}' has no positive values (zeros and NaN are missing)")
    if state_year[["ccode", "year"]].isna().any().any():
        raise ValueError("state-year table has missing ccode or year")
    if state_year.duplicated(["ccode", "year"]).any():
        row = state_year[state_year.duplicated(["ccode", "year"])].iloc[0]
        raise ValueError(f"duplicate state-year ccode={row['ccode']} year={row['year']}")
    return indicators


def _build_layout(state_year: pd.DataFrame, indicators, anchor: str) -> _Layout:
    indicators = _validate(state_year, indicators, anchor)
    df = state_year.sort_values(["ccode", "year"]).reset_index(drop=True)
    ccode = df["ccode"].to_numpy().astype("int64")
    year = df["year"].to_numpy().astype("int64")
    X = np.empty((len(df), len(indicators)))
    for j, k in enumerate(indicators):
        v = pd.to_numeric(df[k], errors="coerce").to_numpy(dtype="float64")
        ok = np.isfinite(v) & (v > 0)
        X[:, j] = np.where(ok, np.log(np.where(ok, v, 1.0)), np.nan)
    obs = np.isfinite(X)
    years, yidx = np.unique(year, return_inverse=True)
    _, sidx = np.unique(ccode, return_inverse=True)
    first = np.r_[True, ccode[1:] != ccode[:-1]]
    start = np.flatnonzero(first)
    pos = np.arange(len(df)) - np.repeat(start, np.diff(np.r_[start, len(df)]))
    S, L = int(sidx.max()) + 1, int(pos.max()) + 1
    gap = np.zeros((L, S))
    g = np.r_[0, np.diff(year)].astype(float)
    g[first] = 0.0
    gap[pos, sidx] = g
    floor = np.empty(len(indicators))
    for k in range(len(indicators)):
        o = obs[:, k]
        wsd = float(np.std(X[o, k] - _year_means(yidx[o], X[o, k], len(years))[yidx[o]]))
        floor[k] = max((HEYWOOD_REL_SD * wsd) ** 2, _VAR_FLOOR)
    return _Layout(ccode, year, years, yidx, X, obs, sidx, pos, gap, indicators, indicators.index(anchor), floor)


def _year_means(yidx: np.ndarray, v: np.ndarray, ny: int) -> np.ndarray:
    cnt = np.bincount(yidx, minlength=ny)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.bincount(yidx, v, ny) / cnt


def _cell_information(lay: _Layout, p: _Params):
    """Per-row sufficient statistics of the observations for theta."""
    obsf = lay.obsf
    r = lay.Xz - obsf * np.nan_to_num(p.a).T[lay.yidx]  # x - a where observed, else 0
    inv = 1.0 / p.sig2
    J = obsf @ (p.lam**2 * inv)
    h = r @ (p.lam * inv)
    S2 = (r * r) @ inv
    logdet = obsf @ np.log(p.sig2)
    return J, h, S2, logdet, lay.d


def _e_step(lay: _Layout, p: _Params, smooth: bool) -> dict:
    """Kalman filter + RTS smoother for all states at once.

    Returns per-row smoothed mean ``m`` and variance ``V``, the lag-one
    covariance ``C`` = Cov(theta_t, theta_prev | all data) (0 on first rows),
    and the marginal log-likelihood ``loglik``.
    """
    J, h, S2, logdet, d = _cell_information(lay, p)
    n = len(J)
    if not smooth:
        mp = np.full(n, p.mu0)
        Pp = np.full(n, p.P0)
        Pf = Pp / (1.0 + Pp * J)
        mf = mp + Pf * (h - J * mp)
        ll = _innovation_loglik(mp, Pp, J, h, S2, logdet, d)
        return {"m": mf, "V": Pf, "C": np.zeros(n), "loglik": ll}

    L, S = lay.gap.shape
    flat = lay.flat
    Jg = np.zeros(L * S)
    Jg[flat] = J
    Jg = Jg.reshape(L, S)
    hg = np.zeros(L * S)
    hg[flat] = h
    hg = hg.reshape(L, S)
    Qg = lay.gap * p.q2
    mp = np.empty((L, S))
    Pp = np.empty((L, S))
    mf = np.empty((L, S))
    Pf = np.empty((L, S))
    m_prev = np.full(S, p.mu0)
    P_prev = np.full(S, p.P0)
    for j in range(L):
        if j == 0:
            mpj, Ppj = m_prev, P_prev
        else:
            # padding cells have gap 0, so they carry the last filtered value
            mpj, Ppj = mf[j - 1], Pf[j - 1] + Qg[j]
        Pfj = Ppj / (1.0 + Ppj * Jg[j])
        mf[j] = mpj + Pfj * (hg[j] - Jg[j] * mpj)
        Pf[j] = Pfj
        mp[j] = mpj
        Pp[j] = Ppj
    ms = np.empty((L, S))
    Vs = np.empty((L, S))
    C = np.zeros((L, S))
    ms[-1] = mf[-1]
    Vs[-1] = Pf[-1]
    for j in range(L - 2, -1, -1):
        G = Pf[j] / Pp[j + 1]
        ms[j] = mf[j] + G * (ms[j + 1] - mp[j + 1])
        Vs[j] = Pf[j] + G * G * (Vs[j + 1] - Pp[j + 1])
        C[j + 1] = G * Vs[j + 1]
    ll = _innovation_loglik(mp.ravel()[flat], Pp.ravel()[flat], J, h, S2, logdet, d)
    return {"m": ms.ravel()[flat], "V": np.maximum(Vs.ravel()[flat], _VAR_FLOOR), "C": C.ravel()[flat], "loglik": ll}


def _innovation_loglik(mp, Pp, J, h, S2, logdet, d) -> float:
    """Sum of log N(y_t; a + lambda m_pred, lambda lambda' P_pred + Sigma) over
    cells, by the matrix determinant lemma and Woodbury (scalar state)."""
    one = 1.0 + Pp * J
    quad = S2 - 2.0 * mp * h + mp * mp * J - (h - J * mp) ** 2 * Pp / one
    return float(-0.5 * np.sum(d * _LOG_2PI + logdet + np.log(one) + quad))


def _m_step(lay: _Layout, p: _Params, post: dict, smooth: bool) -> _Params:
    m, V = post["m"], post["V"]
    K, ny = len(lay.indicators), len(lay.years)
    lam, sig2 = p.lam.copy(), p.sig2.copy()
    a = np.full((K, ny), np.nan)
    for k in range(K):
        o = lay.obs[:, k]
        x, mk, Vk, yk = lay.X[o, k], m[o], V[o], lay.yidx[o]
        if k == lay.anchor:
            a[k] = 0.0
            res2 = (x - mk) ** 2 + Vk
        else:
            cnt = np.bincount(yk, minlength=ny)
            with np.errstate(invalid="ignore", divide="ignore"):
                xbar = np.bincount(yk, x, ny) / cnt
                mbar = np.bincount(yk, mk, ny) / cnt
            xc, mc = x - xbar[yk], mk - mbar[yk]
            lam[k] = np.sum(xc * mc) / np.sum(mc * mc + Vk)
            a[k] = xbar - lam[k] * mbar
            res2 = (xc - lam[k] * mc) ** 2 + lam[k] ** 2 * Vk
        sig2[k] = max(float(np.mean(res2)), lay.sig2_floor[k])
    if smooth:
        first = lay.pos == 0
        prev = np.flatnonzero(~first) - 1
        cur = np.flatnonzero(~first)
        g = np.r_[0, np.diff(lay.year)][cur].astype(float)
        ed2 = (m[cur] - m[prev]) ** 2 + V[cur] + V[prev] - 2.0 * post["C"][cur]
        q2 = max(float(np.mean(ed2 / g)), _VAR_FLOOR) if len(cur) else p.q2
    else:
        first = np.ones(len(m), dtype=bool)
        q2 = p.q2
    mu0 = float(np.mean(m[first]))
    P0 = max(float(np.mean(V[first] + (m[first] - mu0) ** 2)), _VAR_FLOOR)
    return _Params(lam, a, sig2, q2, mu0, P0)


def _initial_params(lay: _Layout) -> _Params:
    """Start values from the observed data only (within-year regressions on
    the anchor); invariant to a per-year rescaling of any indicator."""
    K, ny = len(lay.indicators), len(lay.years)
    x0, o0 = lay.X[:, lay.anchor], lay.obs[:, lay.anchor]
    mu0 = float(np.mean(x0[o0]))
    P0 = max(float(np.var(x0[o0])), 1e-4)
    cnt0 = np.bincount(lay.yidx[o0], minlength=ny)
    with np.errstate(invalid="ignore", divide="ignore"):
        ybar0 = np.bincount(lay.yidx[o0], x0[o0], ny) / cnt0
    ybar0 = np.where(cnt0 > 0, ybar0, mu0)
    # split the anchor's year-to-year variation evenly between noise and steps
    same = (
        np.r_[False, lay.ccode[1:] == lay.ccode[:-1]]
        & np.r_[False, np.diff(lay.year) == 1]
        & o0
        & np.r_[False, o0[:-1]]
    )
    d2 = (x0 - np.r_[np.nan, x0[:-1]])[same] ** 2
    q2 = max(float(np.mean(d2)) / 4.0, 1e-4) if d2.size else 0.01
    lam = np.ones(K)
    sig2 = np.full(K, q2)
    a = np.full((K, ny), np.nan)
    a[lay.anchor] = 0.0
    for k in range(K):
        if k == lay.anchor:
            continue
        o = lay.obs[:, k]
        both = o & o0
        yk = lay.yidx[o]
        cnt = np.bincount(yk, minlength=ny)
        with np.errstate(invalid="ignore", divide="ignore"):
            xbar = np.bincount(yk, lay.X[o, k], ny) / cnt
        if both.sum() >= 3:
            yb = lay.yidx[both]
            cb = np.bincount(yb, minlength=ny)
            with np.errstate(invalid="ignore", divide="ignore"):
                xb = np.bincount(yb, lay.X[both, k], ny) / cb
                zb = np.bincount(yb, x0[both], ny) / cb
            xc, zc = lay.X[both, k] - xb[yb], x0[both] - zb[yb]
            if np.sum(zc * zc) > 0 and np.sum(xc * zc) > 0:
                lam[k] = np.sum(xc * zc) / np.sum(zc * zc)
            res = xc - lam[k] * zc
            sig2[k] = max(0.5 * float(np.var(res)), 1e-4)
        else:
            sig2[k] = max(0.5 * float(np.var(lay.X[o, k])), 1e-4)
        a[k] = xbar - lam[k] * ybar0
    return _Params(lam, a, sig2, q2, mu0, P0)


def _pack(p: _Params) -> np.ndarray:
    return np.r_[p.lam, np.nan_to_num(p.a).ravel(), np.log(p.sig2), np.log(p.q2), p.mu0, np.log(p.P0)]


def _unpack(v: np.ndarray, lay: _Layout, like: _Params) -> _Params:
    K = len(like.lam)
    n_a = like.a.size
    a = v[K : K + n_a].reshape(like.a.shape).copy()
    a[~np.isfinite(like.a)] = np.nan
    o = K + n_a
    return _Params(
        v[:K].copy(),
        a,
        np.maximum(np.exp(v[o : o + K]), lay.sig2_floor),
        max(float(np.exp(v[o + K])), _VAR_FLOOR),
        float(v[o + K + 1]),
        max(float(np.exp(v[o + K + 2])), _VAR_FLOOR),
    )


def _run_em(lay: _Layout, p: _Params, smooth: bool, max_iter: int, tol: float):
    """EM from ``p``, accelerated by SQUAREM (Varadhan & Roland 2008) with a
    monotonicity safeguard; returns (params, posterior, trace, converged, steps).

    Each cycle takes two plain EM steps p -> p1 -> p2, extrapolates along
    them, and takes one EM step from the extrapolated point; that result is
    kept only if its log-likelihood is at least that of p2, otherwise p2 is
    kept. The trace (one entry per cycle) is therefore non-decreasing, as for
    plain EM, and a fixed point is an EM fixed point. ``steps`` counts M-steps.
    The posterior and the last trace entry belong to the returned params.
    """
    post = _e_step(lay, p, smooth)
    trace = [post["loglik"]]
    steps = 0
    while steps < max_iter:
        p1 = _m_step(lay, p, post, smooth)
        post1 = _e_step(lay, p1, smooth)
        steps += 1
        best = (p1, post1)
        if steps < max_iter:
            p2 = _m_step(lay, p1, post1, smooth)
            post2 = _e_step(lay, p2, smooth)
            steps += 1
            best = (p2, post2)
            v0, v1, v2 = _pack(p), _pack(p1), _pack(p2)
            r, w = v1 - v0, v2 - 2.0 * v1 + v0
            nw = np.linalg.norm(w)
            alpha = -np.linalg.norm(r) / nw if nw > 0 else -1.0
            if alpha < -1.0 and steps < max_iter:
                with np.errstate(all="ignore"):
                    pe = _unpack(v0 - 2.0 * alpha * r + alpha**2 * w, lay, p2)
                    ok = all(np.all(np.isfinite(x)) for x in (pe.lam, pe.sig2, [pe.q2, pe.mu0, pe.P0]))
                    if ok:
                        pe = _m_step(lay, pe, _e_step(lay, pe, smooth), smooth)
                        poste = _e_step(lay, pe, smooth)
                        steps += 1
                        if np.isfinite(poste["loglik"]) and poste["loglik"] >= post2["loglik"]:
                            best = (pe, poste)
        p, post = best
        trace.append(post["loglik"])
        if abs(trace[-1] - trace[-2]) <= tol * abs(trace[-2]):
            return p, post, trace, True, steps
    return p, post, trace, False, steps


def _starts(lay: _Layout):
    """Start values: the data-based start, and one start per indicator in
    which that indicator is nearly exact and the others noisy. The
    likelihood can have several local maxima (on the real table, one where
    the factor follows CINC and one where it follows GDP); the fit keeps the
    best and reports all in ``diagnostics["starts"]``."""
    base = _initial_params(lay)
    yield "data", base
    if len(lay.indicators) == 1:
        return
    wvar = lay.sig2_floor / HEYWOOD_REL_SD**2  # within-year variance of each indicator
    for k, name in enumerate(lay.indicators):
        sig2 = 0.3**2 * wvar
        sig2[k] = 0.05**2 * wvar[k]
        yield (
            f"exact_{name}",
            _Params(base.lam.copy(), base.a.copy(), np.maximum(sig2, lay.sig2_floor), base.q2, base.mu0, base.P0),
        )


def fit_latent_capability(
    state_year: pd.DataFrame,
    indicators=DEFAULT_INDICATORS,
    anchor: str = "cinc",
    smooth: bool = True,
    max_iter: int = 500,
    tol: float = 1e-7,
    multistart: bool = True,
) -> tuple[pd.DataFrame, dict]:
    """Fit the one-factor capability model by EM and return per-state-year posteriors.

    Parameters
    ----------
    state_year : one row per (ccode, year) with the indicator columns (levels,
        not logs; zeros and NaN are missing).
    indicators : indicator columns; ``anchor`` must be one of them.
    anchor : the indicator that fixes the scale (loading 1, intercept 0).
    smooth : random walk within each state (True) or independent state-years
        (False, the static one-factor model).
    max_iter, tol : at most ``max_iter`` EM steps per start; stop when
        ``|ll_new - ll_old| / |ll_old| < tol`` over an (accelerated) cycle.
    multistart : also start EM from each indicator being nearly exact and keep
        the best likelihood (see "Local maxima" above); False runs only the
        data-based start (faster, may stop at a local maximum).

    Returns
    -------
    table : ``ccode, year, latent_mean, latent_sd, n_indicators`` sorted by
        (ccode, year), int64 keys, one row per input state-year. ``latent_*``
        is the posterior of log capability on the log-anchor scale,
        conditional on the fitted parameters.
    diagnostics : JSON-serialisable dict: ``indicators``, ``loadings``,
        ``error_sd``, ``q`` (None when static), ``prior_first_year``,
        ``heywood``, ``iterations``, ``converged``, ``loglik_final``,
        ``loglik_trace(_length)``, ``n_state_years``, ``n_states``,
        ``n_observed`` (per indicator), ``n_state_years_by_n_indicators``,
        ``share_explained`` (factor's share of each indicator's within-year
        variance), ``intercepts`` (per indicator and year), ``start`` and
        ``starts`` (every EM start), ``seconds``.

    Raises
    ------
    ValueError naming the indicator if it is not a column, the anchor is not
    among the indicators, or an indicator has no positive value.
    """
    t0 = time.perf_counter()
    lay = _build_layout(state_year, indicators, anchor)
    starts = list(_starts(lay))
    if not multistart:
        starts = starts[:1]
    runs = [(name, *_run_em(lay, p, smooth, max_iter, tol)) for name, p in starts]
    best = max(range(len(runs)), key=lambda i: runs[i][3][-1])
    name, p, post, trace, converged, steps = runs[best]
    table = pd.DataFrame(
        {
            "ccode": lay.ccode.astype("int64"),
            "year": lay.year.astype("int64"),
            "latent_mean": post["m"],
            "latent_sd": np.sqrt(post["V"]),
            "n_indicators": lay.obs.sum(1).astype("int64"),
        }
    )
    diag = _diagnostics(lay, p, post, smooth, trace, converged, steps)
    diag["start"] = name
    diag["starts"] = [
        {
            "start": r[0],
            "loglik": float(r[3][-1]),
            "iterations": int(r[5]),
            "converged": bool(r[4]),
            "loadings": {n: float(v) for n, v in zip(lay.indicators, r[1].lam)},
            "error_sd": {n: float(np.sqrt(v)) for n, v in zip(lay.indicators, r[1].sig2)},
        }
        for r in runs
    ]
    diag["seconds"] = round(time.perf_counter() - t0, 3)
    return table, diag


def _diagnostics(lay, p, post, smooth, trace, converged, steps) -> dict:
    m, V = post["m"], post["V"]
    ny = len(lay.years)
    share, inter = {}, {}
    for k, name in enumerate(lay.indicators):
        o = lay.obs[:, k]
        yk = lay.yidx[o]
        cnt = np.bincount(yk, minlength=ny)
        with np.errstate(invalid="ignore", divide="ignore"):
            mbar = np.bincount(yk, m[o], ny) / cnt
        # model-implied within-year variance of theta among cells with indicator k
        s_tt = float(np.mean((m[o] - mbar[yk]) ** 2 + V[o]))
        expl = p.lam[k] ** 2 * s_tt
        share[name] = float(expl / (expl + p.sig2[k]))
        inter[name] = {str(int(y)): float(v) for y, v in zip(lay.years, p.a[k]) if np.isfinite(v)}
    n_ind = lay.obs.sum(1)
    return {
        "indicators": list(lay.indicators),
        "anchor": lay.indicators[lay.anchor],
        "smooth": bool(smooth),
        "loadings": {n: float(v) for n, v in zip(lay.indicators, p.lam)},
        "error_sd": {n: float(np.sqrt(v)) for n, v in zip(lay.indicators, p.sig2)},
        "q": float(np.sqrt(p.q2)) if smooth else None,
        "heywood": [n for n, v, f in zip(lay.indicators, p.sig2, lay.sig2_floor) if v <= f * (1 + 1e-9)],
        "prior_first_year": {"mean": p.mu0, "sd": float(np.sqrt(p.P0))},
        "iterations": int(steps),
        "converged": bool(converged),
        "loglik_final": float(trace[-1]),
        "loglik_trace_length": len(trace),
        "loglik_trace": [float(v) for v in trace],
        "n_state_years": int(len(lay.ccode)),
        "n_states": int(lay.gap.shape[1]),
        "n_observed": {n: int(lay.obs[:, k].sum()) for k, n in enumerate(lay.indicators)},
        "n_state_years_by_n_indicators": {str(i): int((n_ind == i).sum()) for i in range(len(lay.indicators) + 1)},
        "share_explained": share,
        "share_explained_note": "lambda^2 var_within_year(theta) / (that + sigma^2) over the "
        "state-years where the indicator is observed",
        "intercepts": inter,
    }


def check_latent_config(settings: dict, where: str = "config") -> None:
    """Config key ``latent`` when the workflow loads: every indicator must be
    a numeric column of the state-year table and the anchor one of them; a
    ConfigError names the file (``where``: see config.config_where) and the
    key."""
    from .state_year import COLUMNS, NUMERIC  # heavy (pyreadr, via .sources): the latent stages do not need it

    for i, name in enumerate(settings["indicators"]):
        if name not in NUMERIC:
            raise ConfigError(
                f"{where}: key 'latent.indicators[{i}]': '{name}' is not a numeric column of the "
                f"state-year table (numeric columns: {', '.join(c for c in COLUMNS if c in NUMERIC)})"
            )
    if settings["anchor"] not in settings["indicators"]:
        raise ConfigError(
            f"{where}: key 'latent.anchor': '{settings['anchor']}' is not among latent.indicators "
            f"({', '.join(settings['indicators'])})"
        )


def latent_ratio(table: pd.DataFrame, c1, c2, year):
    """Latent log capability ratio theta(c1, year) - theta(c2, year) and its sd.

    ``c1``, ``c2``, ``year`` are scalars or equal-length arrays; ``table`` is
    the first output of :func:`fit_latent_capability`. The sd is
    ``sqrt(sd_1^2 + sd_2^2)``: given the parameters the posteriors of two
    states are independent (no term of the model links states). NaN where a
    state-year is absent from the table. Returns floats for scalar input,
    arrays otherwise.
    """
    scalar = np.ndim(c1) == 0 and np.ndim(c2) == 0 and np.ndim(year) == 0
    c1, c2, year = (np.atleast_1d(np.asarray(v)) for v in (c1, c2, year))
    c1, c2, year = np.broadcast_arrays(c1, c2, year)
    idx = pd.MultiIndex.from_arrays([table["ccode"].to_numpy(), table["year"].to_numpy()])
    mean = table["latent_mean"].to_numpy()
    sd = table["latent_sd"].to_numpy()

    def look(c):
        i = idx.get_indexer(pd.MultiIndex.from_arrays([c.astype("int64"), year.astype("int64")]))
        ok = i >= 0
        mu = np.where(ok, mean[np.where(ok, i, 0)], np.nan)
        s = np.where(ok, sd[np.where(ok, i, 0)], np.nan)
        return mu, s

    m1, s1 = look(c1)
    m2, s2 = look(c2)
    diff, dsd = m1 - m2, np.sqrt(s1**2 + s2**2)
    if scalar:
        return float(diff[0]), float(dsd[0])
    return diff, dsd


# --------------------------------------------------------------------------
# what the report shows


def capability_series(table: pd.DataFrame, states, names: dict | None = None, interval: float = 0.9) -> pd.DataFrame:
    """The latent capability of ``states`` over time: ccode, state, year,
    mean, lo, hi (a central ``interval`` of the Gaussian posterior) and the
    indicators observed."""
    from scipy.stats import norm  # heavy (scipy.stats): only the series needs it

    z = norm.ppf(0.5 + interval / 2)
    t = table[table["ccode"].isin([int(c) for c in states])].copy()
    t["state"] = [names.get(int(c), str(int(c))) if names else str(int(c)) for c in t["ccode"]]
    t["lo"], t["hi"] = t["latent_mean"] - z * t["latent_sd"], t["latent_mean"] + z * t["latent_sd"]
    return t.rename(columns={"latent_mean": "mean", "latent_sd": "sd"})[
        ["ccode", "state", "year", "mean", "sd", "lo", "hi", "n_indicators"]
    ].reset_index(drop=True)


def loadings_table(diag: dict) -> pd.DataFrame:
    """One row per indicator: loading, error sd, share of its within-year
    variance the factor explains, state-years observed."""
    return pd.DataFrame(
        [
            {
                "indicator": k,
                "loading": diag["loadings"][k],
                "error_sd": diag["error_sd"][k],
                "share_explained": diag["share_explained"][k],
                "observed": diag["n_observed"][k],
                "anchor": k == diag["anchor"],
            }
            for k in diag["indicators"]
        ]
    )


def ratio_comparison(
    panel: pd.DataFrame, focal: int, partner: int, years, seed_gdp: pd.DataFrame | None = None, max_gap: int = 2
) -> pd.DataFrame:
    """The dyad's latent log ratio (mean, sd, 90% interval) beside the log
    ratios of CINC, GDP and military spending and, where a seed table prints
    both states' nominal GDP within ``max_gap`` years, the seed's."""
    d = panel[(panel["ccode1"] == focal) & (panel["ccode2"] == partner) & panel["year"].isin(list(years))]
    out = (
        d[["year", "log_cinc_ratio", "log_gdp_ratio", "log_milex_ratio", "log_latent_ratio", "log_latent_ratio_sd"]]
        .sort_values("year")
        .reset_index(drop=True)
    )
    out["latent_lo"] = out["log_latent_ratio"] - 1.645 * out["log_latent_ratio_sd"]
    out["latent_hi"] = out["log_latent_ratio"] + 1.645 * out["log_latent_ratio_sd"]
    seed = np.full(len(out), np.nan)
    seed_year = np.full(len(out), np.nan)
    if seed_gdp is not None and len(seed_gdp):
        lv = seed_gdp.set_index(["ccode", "year"])["seed_gdp"]
        for i, y in enumerate(out["year"]):
            both = sorted(
                set(seed_gdp.loc[seed_gdp.ccode == focal, "year"])
                & set(seed_gdp.loc[seed_gdp.ccode == partner, "year"]),
                key=lambda py: (abs(py - y), py),
            )
            if both and abs(both[0] - y) <= max_gap:
                seed[i] = np.log(lv[(focal, both[0])] / lv[(partner, both[0])])
                seed_year[i] = both[0]
    out["log_seed_nominal_gdp_ratio"], out["seed_year"] = seed, seed_year
    return out
