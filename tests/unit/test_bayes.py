"""PyMC fits: the convergence gate, original-scale coefficients, outputs."""

import numpy as np
import pandas as pd
import pytest

from alliance_models.models.bayes import fit_bayes, summarize
from alliance_models.models.diagnostics import diagnose
from alliance_models.models.matrix import build_model_data
from alliance_models.models.spec import ModelSpec

GATE = {"rhat_max": 1.01, "ess_bulk_min": 400, "ess_tail_min": 400, "divergences_max": 0}


def _data(n=400, seed=3):
    rng = np.random.default_rng(seed)
    x = rng.normal(5.0, 2.0, n)
    t = rng.integers(0, 2, n)
    eta = -2.0 + 0.5 * x - 1.0 * t
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int)
    return pd.DataFrame({"y": y, "x": x, "t": t})


def test_short_run_is_marked_failed():
    spec = ModelSpec(name="short", data="x.csv", outcome="y", formula="y ~ x + t")
    md = build_model_data(spec, _data())
    idata = fit_bayes(md, {"draws": 30, "tune": 30, "chains": 2, "target_accept": 0.8}, seed=1, prior_draws=20)
    diag = diagnose(idata, GATE)
    assert diag["status"] == "failed"
    assert any("ESS" in r for r in diag["reasons"])


@pytest.mark.slow
def test_fit_recovers_original_scale_and_passes_gate():
    spec = ModelSpec(name="ok", data="x.csv", outcome="y", formula="y ~ x + t")
    md = build_model_data(spec, _data(n=2000))
    idata = fit_bayes(md, {"draws": 600, "tune": 600, "chains": 2, "target_accept": 0.9}, seed=2, prior_draws=50)
    assert diagnose(idata, GATE)["status"] == "ok"
    for g in ("prior", "prior_predictive", "posterior_predictive", "log_likelihood", "observed_data"):
        assert g in idata.groups()
    s = summarize(idata).set_index("parameter")
    # truth: slope 0.5 per unit of x, -1.0 for t, intercept -2.0 (original scale)
    for name, truth in (("beta_orig[x]", 0.5), ("beta_orig[t]", -1.0), ("alpha_orig", -2.0)):
        lo, hi = s.loc[name, "hdi_5%"], s.loc[name, "hdi_95%"]
        assert lo < truth < hi, (name, lo, hi)
    # standardized slope = original slope x sd(x)
    assert s.loc["beta[x]", "mean"] == pytest.approx(s.loc["beta_orig[x]", "mean"] * md.sds["x"], rel=1e-6)
    assert s.loc["beta[x]", "p_positive"] == 1.0


def test_chain_method_is_a_setting_not_the_cores():
    """Draws differ between chain methods, so the cores a job gets (a laptop,
    a SLURM node) must never pick the method."""
    from alliance_models.models.bayes import chain_method

    assert chain_method({"chains": 2, "cores": 2}) == "parallel"
    assert chain_method({"chains": 2, "cores": 1}) == "parallel"
    assert chain_method({"chains": 2, "cores": 2, "chain_method": "vectorized"}) == "vectorized"


@pytest.mark.slow
def test_numpyro_parallel_chains_are_reproducible_and_agree_with_vectorized():
    """The chain method changes speed, not the answer: a rerun in parallel gives
    the same draws; vectorized chains agree within Monte Carlo error."""
    spec = ModelSpec(name="cm", data="x.csv", outcome="y", formula="y ~ x + t")
    md = build_model_data(spec, _data(n=300))
    base = {"draws": 300, "tune": 300, "chains": 2, "target_accept": 0.8, "sampler": "numpyro", "cores": 2}
    a = fit_bayes(md, {**base, "chain_method": "parallel"}, seed=5, prior_draws=10)
    a2 = fit_bayes(md, {**base, "chain_method": "parallel"}, seed=5, prior_draws=10)
    b = fit_bayes(md, {**base, "chain_method": "vectorized"}, seed=5, prior_draws=10)
    assert a.attrs["chain_method"] == "parallel" and b.attrs["chain_method"] == "vectorized"
    np.testing.assert_array_equal(a.posterior["beta"].values, a2.posterior["beta"].values)
    ma, mb = (x.posterior["beta"].mean(("chain", "draw")).values for x in (a, b))
    sd = a.posterior["beta"].std(("chain", "draw")).values
    assert np.all(np.abs(ma - mb) < 0.25 * sd), (ma, mb, sd)
    timing = __import__("json").loads(a.attrs["timing_seconds"])
    assert set(timing) == {"prior_predictive", "nuts", "posterior_predictive"}
