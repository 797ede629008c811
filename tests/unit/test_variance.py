"""Variance decomposition (issue 25, item 2): parts of the linear predictor
against their known variances on simulated designs, and on a fake posterior
with a varying intercept against a direct computation."""

import numpy as np
import pandas as pd
import pytest
from _report_fixture import toy_cases_fit
from alliance_models import summaries as sm
from alliance_models import variance as va


def test_parts_follow_blocks_then_clock_then_the_rest():
    names = [
        "log_cinc_ratio",
        "common_enemy",
        "tss_rival",
        "atop_since_onset",
        "atop_since_onset_sq",
        "polity_diff",
        "log_cinc_ratio:common_enemy",
    ]
    parts = va.assign_parts(names, {"disparity": ["log_cinc_ratio"], "threat": ["common_enemy", "tss_rival"]})
    assert parts == {
        "block: disparity": [0, 6],  # an interaction goes to the first block it is built of
        "block: threat": [1, 2],
        "duration clock": [3, 4],
        "other terms": [5],
    }


def test_shares_recover_known_variances():
    rng = np.random.default_rng(1)
    n, S = 20000, 50
    X = rng.standard_normal((n, 3))
    beta = np.tile([2.0, 1.0, 0.0], (S, 1)) + rng.normal(0, 0.01, (S, 3))
    levels = rng.integers(0, 40, n)
    a = rng.normal(0, 1.5, 40)
    groups = [("decision-year effects (when)", np.tile(a[levels], (S, 1)))]
    out = va.decompose(X, beta, {"block: a": [0], "block: b": [1], "other terms": [2]}, groups)
    got = out.set_index("part")
    v_group = a[levels].var()
    total = 4.0 + 1.0 + v_group
    assert got.loc["block: a", "share"] == pytest.approx(4.0 / total, abs=0.02)
    assert got.loc["block: b", "share"] == pytest.approx(1.0 / total, abs=0.02)
    assert got.loc["other terms", "share"] == pytest.approx(0.0, abs=1e-3)
    assert got.loc["decision-year effects (when)", "share"] == pytest.approx(v_group / total, abs=0.02)
    # independent parts: the covariance is near 0; R2 on the logit scale
    assert abs(got.loc["covariance between parts (share of the total)", "share"]) < 0.03
    r2 = got.loc["latent R2 = total / (total + pi^2/3)", "share"]
    assert r2 == pytest.approx(total / (total + np.pi**2 / 3), abs=0.02)
    shares = out[out["kind"].isin(["block", "terms", "group"])]["share"]
    assert shares.sum() == pytest.approx(1.0, abs=0.02)


def test_correlated_parts_show_their_covariance():
    rng = np.random.default_rng(2)
    x = rng.standard_normal(5000)
    X = np.column_stack([x, x])  # the same variation in two blocks
    out = va.decompose(X, np.ones((10, 2)), {"block: a": [0], "block: b": [1]}).set_index("part")
    # var(x + x) = 4, the parts sum to 2: half the total is covariance
    assert out.loc["covariance between parts (share of the total)", "share"] == pytest.approx(0.5, abs=1e-9)


def test_conditional_logit_is_decomposed_within_choice_sets():
    rng = np.random.default_rng(3)
    strata = np.repeat(np.arange(200), 10)
    set_mean = rng.normal(0, 5, 200)[strata]  # varies between sets only: cancels in the likelihood
    within = rng.standard_normal(2000)
    X = np.column_stack([set_mean, within])
    out = va.decompose(X, np.ones((5, 2)), {"block: between": [0], "block: within": [1]}, strata=strata)
    got = out.set_index("part")
    assert got.loc["block: between", "variance"] == pytest.approx(0.0, abs=1e-12)
    assert got.loc["block: within", "share"] == pytest.approx(1.0)
    assert "latent R2 = total / (total + pi^2/3)" not in got.index  # no residual in a conditional logit


@pytest.fixture(scope="module")
def fit(tmp_path_factory):
    return toy_cases_fit(tmp_path_factory.mktemp("spec"), draws=200)


def test_a_fitted_model_matches_a_direct_computation(fit):
    out = va.variance_decomposition(fit, max_draws=100)
    md = fit.md
    names = md.coef_names
    post = sm.thin(fit.idata.posterior, 100).stack(sample=("chain", "draw"))
    b = post["beta"].transpose("sample", "coef").values
    Xs = ((md.X[names] - md.means[names]) / md.sds[names]).to_numpy()
    parts = va.assign_parts(names, dict(fit.spec.drop))
    got = out.set_index("part")
    for part, idx in parts.items():
        v = (b[:, idx] @ Xs[:, idx].T).var(axis=1)
        assert got.loc[part, "variance"] == pytest.approx(np.median(v), rel=1e-9)
    for g in md.groups:
        a = post[f"a_{g['by']}"].transpose("sample", f"{g['by']}_level").values[:, g["codes"]]
        label = va.GROUP_WORDS.get(g["by"], f"varying effects by {g['by']}")
        assert got.loc[label, "variance"] == pytest.approx(np.median(a.var(axis=1)), rel=1e-9)
    assert set(out.columns) == set(va.COLUMNS) and (out["draws"] == 100).all()


def test_categorical_family_gives_an_empty_table():
    class F:
        spec = type("S", (), {"family": "categorical"})()
        md = None

    assert va.variance_decomposition(F()).empty
    assert list(va.variance_decomposition(F()).columns) == list(va.COLUMNS)
    assert isinstance(va.variance_decomposition(F()), pd.DataFrame)
