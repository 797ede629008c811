"""The latent-capability measurement model (alliance_models.data.latent).

Everything here runs on simulated data with a known truth (seeded numpy
Generator), so each check can fail: recovery of loadings, error sds and q;
coverage of the 90% posterior intervals; wider posteriors where fewer
indicators exist; the Kalman/RTS smoother against a dense Gaussian
computation; the static model; bad input; and the year intercepts absorbing a
change of units (as NMC milex switches from GBP to USD in 1914).

Tolerances were set from a Monte Carlo of the same simulation over 20 seeds
(see the constants below): each is at least 4 Monte Carlo sds of the
estimate (plus its small ML bias) away from the truth. The tests themselves
use fixed seeds, so they are deterministic.
"""

import json

import numpy as np
import pandas as pd
import pytest
from alliance_models.data import latent
from alliance_models.data.latent import DEFAULT_INDICATORS, fit_latent_capability, latent_ratio
from scipy.stats import multivariate_normal, norm

TRUE_LAM = {"cinc": 1.0, "gdp": 0.8, "milex": 1.3}
TRUE_SD = {"cinc": 0.15, "gdp": 0.25, "milex": 0.30}
TRUE_Q = 0.10
YEARS = np.arange(1900, 1980)  # 80 years
N_STATES = 40
BREAK_YEAR = 1940
Z90 = float(norm.ppf(0.95))

# Tolerances (absolute). Monte Carlo over 20 seeds of this design:
#   smooth model: sd of lambda_gdp, lambda_milex 0.004; of the error sds
#     0.003-0.005 (ML bias up to -0.008, from the 80 free year intercepts);
#     of q 0.002. Coverage of 90% intervals: all state-years mean 0.897
#     (sd 0.007, range 0.883-0.913); one-indicator state-years mean 0.895
#     (sd 0.020, range 0.840-0.926); no-indicator mean 0.908 (sd 0.027,
#     range 0.832-0.949).
#   static model: sd of the loadings 0.006, of the error sds 0.006-0.011
#     (sigma_cinc: range 0.121-0.171); coverage mean 0.888 (sd 0.017,
#     range 0.837-0.905).
TOL_LAM = 0.03
TOL_SD = 0.03
TOL_SD_STATIC = 0.05
TOL_Q = 0.01
COVER_ALL = (0.85, 0.95)
COVER_ONE = (0.83, 0.96)
COVER_NONE = (0.80, 0.98)
COVER_STATIC = (0.82, 0.95)


def simulate(seed: int, smooth: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A state-year table (levels, like state_year.parquet) and the true theta.

    40 states x 80 years. States 0-7 enter late; states 8-13 leave the system
    for 3-8 years (rows absent). theta is a random walk (sd TRUE_Q per year,
    also across the gap years) or, with ``smooth=False``, independent
    N(-4, 1.5^2) draws. gdp is missing for 40% of state-years (every year
    before 1925 for states 14-23, and at random), milex for ~20% at random
    plus ~3% zeros (a state without an army: must be read as missing), cinc
    for 10%; ~4% of state-years have no indicator at all.
    """
    rng = np.random.default_rng(seed)
    T = len(YEARS)
    if smooth:
        theta = rng.normal(-4.0, 1.5, N_STATES)[:, None] + np.cumsum(
            np.c_[np.zeros(N_STATES), rng.normal(0.0, TRUE_Q, (N_STATES, T - 1))], axis=1
        )
    else:
        theta = rng.normal(-4.0, 1.5, (N_STATES, T))
    present = np.ones((N_STATES, T), dtype=bool)
    for s in range(8):
        present[s, : rng.integers(5, 40)] = False
    for s in range(8, 14):
        start, length = rng.integers(20, 60), rng.integers(3, 9)
        present[s, start : start + length] = False
    t = YEARS - YEARS[0]
    a = {
        "cinc": np.zeros(T),
        "gdp": 3.0 + 0.02 * t + rng.normal(0, 0.05, T),
        "milex": 1.0 + 0.04 * t + rng.normal(0, 0.10, T),
    }
    cols = {}
    for k in TRUE_LAM:
        x = a[k][None, :] + TRUE_LAM[k] * theta + rng.normal(0, TRUE_SD[k], theta.shape)
        cols[k] = np.exp(x)
    gdp_miss = rng.random(theta.shape) < 0.30
    gdp_miss[14:24, YEARS < 1925] = True
    cols["gdp"][gdp_miss] = np.nan
    cols["milex"][rng.random(theta.shape) < 0.20] = np.nan
    cols["milex"][rng.random(theta.shape) < 0.03] = 0.0
    cols["cinc"][rng.random(theta.shape) < 0.10] = np.nan
    none = rng.random(theta.shape) < 0.04
    for k in cols:
        cols[k][none] = np.nan
    ccode = np.repeat(np.arange(N_STATES) * 5 + 2, T).reshape(N_STATES, T)
    year = np.tile(YEARS, (N_STATES, 1))
    df = pd.DataFrame(
        {
            "ccode": ccode[present].astype("int64"),
            "year": year[present].astype("int64"),
            **{k: v[present] for k, v in cols.items()},
        }
    )
    truth = pd.DataFrame({"ccode": df["ccode"], "year": df["year"], "theta": theta[present]})
    # shuffle rows: the fit must sort them itself
    order = rng.permutation(len(df))
    return df.iloc[order].reset_index(drop=True), truth


def coverage(table: pd.DataFrame, truth: pd.DataFrame, mask=None) -> float:
    m = table.merge(truth, on=["ccode", "year"], validate="one_to_one")
    if mask is not None:
        m = m[mask(m)]
    return float((np.abs(m["theta"] - m["latent_mean"]) <= Z90 * m["latent_sd"]).mean())


@pytest.fixture(scope="module")
def sim():
    return simulate(seed=20240611)


@pytest.fixture(scope="module")
def fit(sim):
    return fit_latent_capability(sim[0])


# 1. recovery, coverage and uncertainty on a simulated random-walk panel ---------


def test_output_shape_order_and_diagnostics(sim, fit):
    df, _ = sim
    table, diag = fit
    assert list(table.columns) == ["ccode", "year", "latent_mean", "latent_sd", "n_indicators"]
    assert len(table) == len(df)
    assert table["ccode"].dtype == "int64" and table["year"].dtype == "int64"
    assert table["n_indicators"].dtype == "int64"
    expected = df[["ccode", "year"]].sort_values(["ccode", "year"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(table[["ccode", "year"]], expected)
    json.dumps(diag, allow_nan=False)  # JSON-serialisable, no NaN
    assert diag["converged"] and diag["iterations"] < 500
    assert diag["indicators"] == list(DEFAULT_INDICATORS)
    assert diag["n_state_years"] == len(df)
    # milex zeros are missing, never log(0)
    n_milex = int(((df["milex"] > 0) & df["milex"].notna()).sum())
    assert diag["n_observed"]["milex"] == n_milex < df["milex"].notna().sum()
    assert diag["heywood"] == []
    for k in DEFAULT_INDICATORS:
        assert 0.0 < diag["share_explained"][k] < 1.0
    # EM (also when accelerated) never lowers the log-likelihood
    assert np.all(np.diff(diag["loglik_trace"]) >= -1e-6 * abs(diag["loglik_final"]))
    assert diag["loglik_final"] == diag["loglik_trace"][-1]


def test_recovers_loadings_error_sds_and_q(fit):
    _, diag = fit
    assert diag["loadings"]["cinc"] == 1.0
    for k in ("gdp", "milex"):
        assert abs(diag["loadings"][k] - TRUE_LAM[k]) < TOL_LAM, (k, diag["loadings"])
    for k in DEFAULT_INDICATORS:
        assert abs(diag["error_sd"][k] - TRUE_SD[k]) < TOL_SD, (k, diag["error_sd"])
    assert abs(diag["q"] - TRUE_Q) < TOL_Q


def test_intervals_cover_at_nominal_rate(sim, fit):
    _, truth = sim
    table, _ = fit
    lo, hi = COVER_ALL
    assert lo <= coverage(table, truth) <= hi
    lo, hi = COVER_ONE
    assert lo <= coverage(table, truth, lambda m: m["n_indicators"] == 1) <= hi
    assert (table["n_indicators"] == 1).sum() >= 100


def test_fewer_indicators_wider_posterior(fit):
    table, _ = fit
    sd = table.groupby("n_indicators")["latent_sd"].mean()
    assert list(sd.index) == [0, 1, 2, 3]
    assert sd.is_monotonic_decreasing and sd.diff().dropna().lt(0).all()


def test_no_indicator_state_years_get_finite_wider_posteriors(sim, fit):
    _, truth = sim
    table, _ = fit
    none = table["n_indicators"] == 0
    assert none.sum() >= 50
    assert np.isfinite(table.loc[none, ["latent_mean", "latent_sd"]]).all().all()
    assert (table.loc[none, "latent_sd"] > 0).all()
    lo, hi = COVER_NONE
    assert lo <= coverage(table, truth, lambda m: m["n_indicators"] == 0) <= hi


def test_latent_ratio(fit):
    table, _ = fit
    r = table.iloc[[5, 300]]
    m, s = latent_ratio(table, int(r["ccode"].iloc[0]), int(r["ccode"].iloc[1]), int(r["year"].iloc[0]))
    other = table[(table["ccode"] == r["ccode"].iloc[1]) & (table["year"] == r["year"].iloc[0])]
    assert isinstance(m, float)
    if len(other):
        assert m == pytest.approx(r["latent_mean"].iloc[0] - other["latent_mean"].iloc[0])
        assert s == pytest.approx(np.hypot(r["latent_sd"].iloc[0], other["latent_sd"].iloc[0]))
    c1 = table["ccode"].to_numpy()[:10]
    yr = table["year"].to_numpy()[:10]
    mv, sv = latent_ratio(table, c1, np.full(10, c1[0]), yr)
    assert mv.shape == sv.shape == (10,)
    # a state against itself: ratio 0, sd sqrt(2) sd
    assert mv[0] == 0.0 and sv[0] == pytest.approx(np.sqrt(2) * table["latent_sd"].iloc[0])
    # absent state-year -> NaN
    m_bad, s_bad = latent_ratio(table, [c1[0], 99999], [c1[0], c1[0]], [yr[0], yr[0]])
    assert np.isfinite(m_bad[0]) and np.isnan(m_bad[1]) and np.isnan(s_bad[1])
    m_bad, _ = latent_ratio(table, c1[0], c1[0], 1700)
    assert np.isnan(m_bad)


# 2. the Kalman/RTS smoother equals a dense Gaussian computation ------------------


@pytest.mark.parametrize("smooth", [True, False])
def test_smoother_matches_dense_gaussian(smooth):
    rng = np.random.default_rng(7)
    years = np.array([2000, 2001, 2002, 2005, 2006, 2007])  # gap of 3 years
    lam = np.array([1.0, 0.7])
    sig2 = np.array([0.04, 0.09])
    q2, mu0, P0 = 0.02, -3.0, 2.0
    a_gdp = rng.normal(2.0, 0.3, len(years))
    x = np.c_[rng.normal(-3.0, 0.5, 6), rng.normal(0.0, 0.5, 6)]
    obs = np.array([[1, 1], [0, 1], [1, 0], [1, 1], [0, 0], [1, 0]], dtype=bool)
    df = pd.DataFrame(
        {
            "ccode": 710,
            "year": years,
            "cinc": np.where(obs[:, 0], np.exp(x[:, 0]), np.nan),
            "gdp": np.where(obs[:, 1], np.exp(x[:, 1]), np.nan),
        }
    )
    lay = latent._build_layout(df, ("cinc", "gdp"), "cinc")
    params = latent._Params(lam, np.vstack([np.zeros(6), a_gdp]), sig2, q2, mu0, P0)
    post = latent._e_step(lay, params, smooth)

    # dense: joint Gaussian of (theta, observed x), then condition
    if smooth:
        el = years - years[0]
        prior = P0 + q2 * np.minimum.outer(el, el)
    else:
        prior = P0 * np.eye(6)
    rows, cols = np.nonzero(obs)
    H = np.zeros((len(rows), 6))
    H[np.arange(len(rows)), rows] = lam[cols]
    offset = np.where(cols == 0, 0.0, a_gdp[rows])
    y = x[rows, cols]
    Sy = H @ prior @ H.T + np.diag(sig2[cols])
    gain = prior @ H.T @ np.linalg.inv(Sy)
    mean = mu0 + gain @ (y - offset - H @ np.full(6, mu0))
    cov = prior - gain @ H @ prior
    np.testing.assert_allclose(post["m"], mean, rtol=0, atol=1e-8)
    np.testing.assert_allclose(post["V"], np.diag(cov), rtol=0, atol=1e-8)
    lag1 = np.r_[0.0, np.diag(cov, -1)] if smooth else np.zeros(6)
    np.testing.assert_allclose(post["C"], lag1, rtol=0, atol=1e-8)
    ll = multivariate_normal(offset + H @ np.full(6, mu0), Sy).logpdf(y)
    assert post["loglik"] == pytest.approx(ll, abs=1e-8)


# 3. the static model on data without time dependence -------------------------------


def test_static_model_recovers_loadings():
    df, truth = simulate(seed=99, smooth=False)
    table, diag = fit_latent_capability(df, smooth=False)
    assert diag["q"] is None and diag["converged"]
    for k in ("gdp", "milex"):
        assert abs(diag["loadings"][k] - TRUE_LAM[k]) < TOL_LAM, diag["loadings"]
    for k in DEFAULT_INDICATORS:
        assert abs(diag["error_sd"][k] - TRUE_SD[k]) < TOL_SD_STATIC, diag["error_sd"]
    assert diag["prior_first_year"]["sd"] == pytest.approx(1.5, abs=0.1)
    lo, hi = COVER_STATIC
    assert lo <= coverage(table, truth) <= hi


# 4. bad input ---------------------------------------------------------------------


def test_bad_input_names_the_indicator(sim):
    df, _ = sim
    with pytest.raises(ValueError, match="'tanks'"):
        fit_latent_capability(df, indicators=("cinc", "tanks"))
    with pytest.raises(ValueError, match="'gdp'.*not among"):
        fit_latent_capability(df, indicators=("cinc", "milex"), anchor="gdp")
    zero = df.assign(milex=np.where(df["milex"].notna(), 0.0, np.nan))
    with pytest.raises(ValueError, match="'milex' has no positive values"):
        fit_latent_capability(zero)
    with pytest.raises(ValueError, match="duplicate state-year"):
        fit_latent_capability(pd.concat([df, df.iloc[:1]]))


# 5. the year intercept absorbs a change of units ------------------------------------


def test_year_intercepts_absorb_a_unit_switch(sim, fit):
    df, truth = sim
    factor = 0.2  # e.g. GBP -> USD-like rescaling from BREAK_YEAR on
    switched = df.assign(milex=np.where(df["year"] >= BREAK_YEAR, df["milex"] * factor, df["milex"]))
    table, diag = fit_latent_capability(switched)
    table0, diag0 = fit
    for k in DEFAULT_INDICATORS:
        assert diag["loadings"][k] == pytest.approx(diag0["loadings"][k], abs=1e-5)
        assert diag["error_sd"][k] == pytest.approx(diag0["error_sd"][k], abs=1e-5)
    np.testing.assert_allclose(table["latent_mean"], table0["latent_mean"], atol=1e-5)
    np.testing.assert_allclose(table["latent_sd"], table0["latent_sd"], atol=1e-5)
    lo, hi = COVER_ALL
    assert lo <= coverage(table, truth) <= hi
    # the jump sits in milex's year intercepts: log(factor) from BREAK_YEAR on
    a1, a0 = diag["intercepts"]["milex"], diag0["intercepts"]["milex"]
    jump = np.array([a1[y] - a0[y] for y in a0])
    after = np.array([int(y) >= BREAK_YEAR for y in a0])
    np.testing.assert_allclose(jump[after], np.log(factor), atol=1e-5)
    np.testing.assert_allclose(jump[~after], 0.0, atol=1e-5)


# the M-step maximises the expected complete-data log-likelihood ---------------------


def _expected_complete_loglik(lay, p, post):
    """Q(p) = E[log p(x, theta | p)] under the given posterior, written out
    independently of the module's M-step (also uses the lag-one covariances)."""
    m, V, C = post["m"], post["V"], post["C"]
    Q = 0.0
    for k in range(len(lay.indicators)):
        o = lay.obs[:, k]
        a = p.a[k, lay.yidx[o]]
        e2 = (lay.X[o, k] - a - p.lam[k] * m[o]) ** 2 + p.lam[k] ** 2 * V[o]
        Q += -0.5 * np.sum(np.log(2 * np.pi * p.sig2[k]) + e2 / p.sig2[k])
    first = lay.pos == 0
    Q += -0.5 * np.sum(np.log(2 * np.pi * p.P0) + (V[first] + (m[first] - p.mu0) ** 2) / p.P0)
    cur = np.flatnonzero(~first)
    g = (lay.year[cur] - lay.year[cur - 1]).astype(float)
    d2 = (m[cur] - m[cur - 1]) ** 2 + V[cur] + V[cur - 1] - 2 * C[cur]
    Q += -0.5 * np.sum(np.log(2 * np.pi * g * p.q2) + d2 / (g * p.q2))
    return Q


def test_m_step_maximises_expected_complete_loglik(sim):
    df, _ = sim
    lay = latent._build_layout(df, DEFAULT_INDICATORS, "cinc")
    p0 = latent._initial_params(lay)
    post = latent._e_step(lay, p0, True)
    p = latent._m_step(lay, p0, post, True)
    best = _expected_complete_loglik(lay, p, post)
    assert best > _expected_complete_loglik(lay, p0, post)
    rng = np.random.default_rng(3)
    for eps in (1e-4, -1e-4):
        for k in (1, 2):
            lam = p.lam.copy()
            lam[k] *= 1 + eps
            assert _expected_complete_loglik(lay, latent._Params(lam, p.a, p.sig2, p.q2, p.mu0, p.P0), post) < best
        for k in range(3):
            sig2 = p.sig2.copy()
            sig2[k] *= 1 + eps
            assert _expected_complete_loglik(lay, latent._Params(p.lam, p.a, sig2, p.q2, p.mu0, p.P0), post) < best
        a = p.a.copy()
        a[1:] += eps * rng.normal(size=a[1:].shape)
        assert _expected_complete_loglik(lay, latent._Params(p.lam, a, p.sig2, p.q2, p.mu0, p.P0), post) < best
        for field in ("q2", "P0"):
            kw = dict(lam=p.lam, a=p.a, sig2=p.sig2, q2=p.q2, mu0=p.mu0, P0=p.P0)
            kw[field] *= 1 + eps
            assert _expected_complete_loglik(lay, latent._Params(**kw), post) < best
        kw = dict(lam=p.lam, a=p.a, sig2=p.sig2, q2=p.q2, mu0=p.mu0 + eps, P0=p.P0)
        assert _expected_complete_loglik(lay, latent._Params(**kw), post) < best


def test_heywood_case_is_flagged(sim):
    """An indicator that is an exact copy of the factor stops at the error-sd
    bound and is reported, instead of EM crawling towards sigma = 0."""
    df, truth = sim
    m = df.merge(truth, on=["ccode", "year"])
    exact = df.assign(gdp=np.where(df["gdp"].notna(), np.exp(2.0 + 0.8 * m["theta"]), np.nan))
    _, diag = fit_latent_capability(exact, multistart=False)
    assert diag["heywood"] == ["gdp"]
    assert diag["error_sd"]["gdp"] < 0.02 < min(diag["error_sd"]["cinc"], diag["error_sd"]["milex"])
    assert diag["loadings"]["gdp"] == pytest.approx(0.8, abs=TOL_LAM)


def test_latent_config_is_checked_when_the_workflow_loads():
    from alliance_models.data.latent import check_latent_config
    from alliance_models.errors import ConfigError

    check_latent_config({"indicators": ["cinc", "gdp", "milex"], "anchor": "cinc"})
    with pytest.raises(
        ConfigError,
        match=r"config file 'c\.yaml': key 'latent\.indicators\[1\]': 'gnp' is not a "
        r"numeric column of the state-year table",
    ):
        check_latent_config({"indicators": ["cinc", "gnp"], "anchor": "cinc"}, "config file 'c.yaml'")
    with pytest.raises(ConfigError, match=r"key 'latent\.anchor': 'tpop' is not among latent\.indicators"):
        check_latent_config({"indicators": ["cinc", "gdp"], "anchor": "tpop"})
