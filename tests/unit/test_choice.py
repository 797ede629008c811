"""The conditional logit (models.choice): statsmodels agreement, weights,
recovery of known coefficients, and the declaration's checks."""

import numpy as np
import pandas as pd
import pytest
from alliance_models.errors import ConfigError
from alliance_models.models.choice import (
    choice_weights,
    fit_clogit_mle,
    informative_strata,
    loglik_strata,
    simulate_choices,
    stratum_layout,
)
from alliance_models.models.matrix import build_model_data
from alliance_models.models.spec import ModelSpec

GATE = {"rhat_max": 1.01, "ess_bulk_min": 400, "ess_tail_min": 400, "divergences_max": 0}
TRUE = np.array([0.8, -0.6])


def _choice_data(n_strata=60, size=30, k=None, seed=1):
    """Simulated choice sets: ``size`` alternatives per stratum, two
    attributes (one continuous, one binary), ``k`` chosen per stratum."""
    rng = np.random.default_rng(seed)
    strata = np.repeat(np.arange(n_strata), size)
    X = np.column_stack([rng.normal(0, 1, len(strata)), rng.integers(0, 2, len(strata))]).astype(float)
    k = np.ones(n_strata, dtype=int) if k is None else np.asarray(k)
    y = simulate_choices(TRUE, X, strata, k, rng)
    return pd.DataFrame({"stratum": [f"t{s}" for s in strata], "chosen": y, "x": X[:, 0], "b": X[:, 1]})


def test_one_choice_per_stratum_matches_statsmodels():
    from statsmodels.discrete.conditional_models import ConditionalLogit

    df = _choice_data(n_strata=80, size=12, seed=4)
    codes = pd.factorize(df["stratum"])[0]
    X = df[["x", "b"]].to_numpy()
    ours = fit_clogit_mle(X, codes, df["chosen"].to_numpy())
    # Newton: statsmodels' default BFGS stops ~1e-4 short of the maximum (log-likelihood 1.5e-7 lower)
    ref = ConditionalLogit(df["chosen"].to_numpy(), X, groups=codes).fit(disp=0, method="newton", maxiter=100)
    np.testing.assert_allclose(ours["params"], ref.params, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours["se"], ref.bse, rtol=1e-4)
    assert ours["loglik"] == pytest.approx(ref.llf, rel=1e-8)


def test_weights_make_each_stratum_one_vote():
    strata = np.array([0, 0, 0, 0, 1, 1, 1])
    y = np.array([1, 1, 1, 0, 1, 0, 0])
    w = choice_weights(strata, y)
    np.testing.assert_allclose(w, [1 / 3, 1 / 3, 1 / 3, 0, 1, 0, 0])
    assert np.bincount(strata, weights=w).tolist() == [1.0, 1.0]
    np.testing.assert_allclose(choice_weights(strata, y, "row"), y)
    with pytest.raises(ValueError, match="weighting"):
        choice_weights(strata, y, "treaty")
    # a stratum with every alternative chosen, or none, carries no information
    s2 = np.array([0, 0, 1, 1, 2, 2])
    assert informative_strata(s2, np.array([1, 0, 1, 1, 0, 0])).tolist() == [True, True, False, False, False, False]


def test_stratum_loglik_is_the_weighted_sum_by_hand():
    strata = np.array([0, 0, 0, 1, 1])
    X = np.array([[1.0], [0.0], [2.0], [0.5], [-1.0]])
    y = np.array([1, 1, 0, 0, 1])
    w = choice_weights(strata, y)
    beta = np.array([[0.7]])
    eta = X[:, 0] * 0.7
    lse0 = np.log(np.exp(eta[:3]).sum())
    lse1 = np.log(np.exp(eta[3:]).sum())
    want = [0.5 * (eta[0] - lse0) + 0.5 * (eta[1] - lse0), eta[4] - lse1]
    np.testing.assert_allclose(loglik_strata(beta, X, strata, w)[0], want)
    idx, mask = stratum_layout(np.array([1, 0, 1, 1, 0]))
    assert mask.sum() == 5 and idx[0][mask[0]].tolist() == [1, 4] and idx[1][mask[1]].tolist() == [0, 2, 3]


def test_weighted_mle_recovers_coefficients_with_multilateral_strata():
    # 1 to 4 partners chosen at once, as a multilateral treaty does
    df = _choice_data(n_strata=300, size=25, k=np.tile([1, 2, 4], 100), seed=7)
    codes = pd.factorize(df["stratum"])[0]
    y = df["chosen"].to_numpy()
    fit = fit_clogit_mle(df[["x", "b"]].to_numpy(), codes, y, choice_weights(codes, y))
    # tolerance: 3 robust standard errors
    assert np.all(np.abs(fit["params"] - TRUE) < 3 * fit["se_robust"]), (fit["params"], fit["se_robust"])
    assert fit["strata"] == 300 and fit["converged"]


def _spec(**kw):
    base = dict(
        name="choice", data="x.csv", outcome="chosen", formula="chosen ~ x + b", family="conditional", strata="stratum"
    )
    return ModelSpec(**{**base, **kw})


def test_model_data_drops_strata_left_without_a_choice():
    df = _choice_data(n_strata=5, size=6, seed=2)
    # stratum t0 loses its chosen row to a missing value
    chosen0 = df.index[(df["stratum"] == "t0") & (df["chosen"] == 1)][0]
    df.loc[chosen0, "x"] = np.nan
    md = build_model_data(_spec(), df)
    assert md.n_strata_dropped == 1 and len(md.stratum_labels) == 4 and "t0" not in md.stratum_labels
    assert md.n_dropped == 1 and len(md.y) == 24
    np.testing.assert_allclose(np.bincount(md.strata, weights=md.weights), 1.0)


def test_missing_table_counts_what_listwise_deletion_costs():
    from alliance_models.models.matrix import missing_table

    df = _choice_data(n_strata=5, size=6, seed=2)
    chosen0 = df.index[(df["stratum"] == "t0") & (df["chosen"] == 1)][0]
    other1 = df.index[(df["stratum"] == "t1") & (df["chosen"] == 0)][:2]
    df.loc[chosen0, "x"] = np.nan
    df.loc[other1, "x"] = np.nan
    df.loc[other1[:1], "b"] = np.nan
    t = missing_table(_spec(), df).set_index("column")
    assert t.loc["x", "rows_missing"] == 3 and t.loc["x", "events_missing"] == 1
    assert t.loc["b", "rows_missing"] == 1 and t.loc["b", "events_missing"] == 0
    tot = t.loc["(any column)"]
    assert (tot["rows_missing"], tot["events_missing"], tot["rows"], tot["events"]) == (3, 1, 30, 5)
    # t0 lost its choice; t1 lost two alternatives, not its choice
    assert (tot["choice_sets_lost"], tot["choice_sets"]) == (1, 5)
    # the fit drops exactly what the table says
    md = build_model_data(_spec(), df)
    assert md.n_dropped == tot["rows_missing"] and md.n_strata_dropped == tot["choice_sets_lost"]


def test_a_term_constant_within_every_choice_set_is_refused():
    df = _choice_data(n_strata=6, size=5, seed=3)
    df["year"] = df["stratum"].str[1:].astype(int) * 1.5  # the same for every alternative of a choice
    with pytest.raises(ConfigError, match="'year'"):
        build_model_data(_spec(formula="chosen ~ x + year"), df)


def test_declaration_checks(tmp_path):
    from alliance_models.models.spec import load_model_specs

    p = tmp_path / "models.yaml"
    p.write_text(
        "models:\n"
        "  - {name: nostrata, data: x.csv, outcome: chosen, formula: 'chosen ~ x', family: conditional}\n"
        "  - {name: grouped, data: x.csv, outcome: chosen, formula: 'chosen ~ x', family: conditional,\n"
        "     strata: stratum, group: [{by: ccode2}]}\n"
        "  - {name: logit_strata, data: x.csv, outcome: chosen, formula: 'chosen ~ x', strata: stratum}\n"
    )
    with pytest.raises(ConfigError) as err:
        load_model_specs(p)
    text = str(err.value)
    assert "model 'nostrata': field 'strata'" in text
    assert "model 'grouped': field 'group'" in text
    assert "model 'logit_strata': field 'strata': only the conditional family" in text


def test_frequentist_table_for_a_conditional_model():
    from alliance_models.models.logit import fit_frequentist

    df = _choice_data(n_strata=120, size=15, k=np.tile([1, 3], 60), seed=5)
    tidy, info = fit_frequentist(build_model_data(_spec(), df))
    assert list(tidy["term"]) == ["x", "b"] and "Intercept" not in set(tidy["term"])
    assert info["method"].startswith("conditional-logit") and info["se_type"] == "cluster-robust (choice set)"
    assert np.all(np.abs(tidy["estimate"].to_numpy() - TRUE) < 3 * tidy["std_error"].to_numpy())


@pytest.mark.slow
def test_bayesian_conditional_logit_recovers_known_coefficients():
    """Recovery on simulated choice sets (200 strata of 25, 1-4 chosen):
    each posterior median within 0.25 of the truth and inside its 90%
    interval; the fit passes the gate; the log-likelihood sums to each
    stratum's weighted log-likelihood."""
    from alliance_models.models.bayes import fit_until_gate, summarize

    df = _choice_data(n_strata=200, size=25, k=np.tile([1, 2, 4, 1], 50), seed=11)
    md = build_model_data(_spec(decisions="stratum"), df)
    assert md.n_decisions == 200
    sampling = {
        "draws": 600,
        "tune": 600,
        "chains": 2,
        "target_accept": 0.9,
        "sampler": "numpyro",
        "predictive_draws": 100,
    }
    idata, diag = fit_until_gate(md, sampling, seed=3, gate=GATE, prior_draws=50)
    assert diag["status"] == "ok", diag["reasons"]
    s = summarize(idata).set_index("parameter")
    assert "alpha" not in set(idata.posterior.data_vars)
    for j, name in enumerate(["x", "b"]):
        med = s.loc[f"beta_orig[{name}]", "median"]
        assert abs(med - TRUE[j]) < 0.25, (name, med)
        assert s.loc[f"beta_orig[{name}]", "eti_5%"] < TRUE[j] < s.loc[f"beta_orig[{name}]", "eti_95%"]
    ll = idata.log_likelihood["y"].isel(chain=0, draw=0).values
    beta = idata.posterior["beta_orig"].sel(chain=0).sel(draw=idata.log_likelihood["draw"].values[0]).values
    want = loglik_strata(beta[None, :], md.X[md.coef_names].to_numpy(), md.strata, md.weights)[0]
    np.testing.assert_allclose(np.bincount(md.strata, weights=ll.astype(float)), want, rtol=1e-4, atol=1e-4)
    # simulated outcomes choose as many alternatives per stratum as were chosen
    pp = idata.posterior_predictive["y"].isel(chain=0, draw=0).values
    np.testing.assert_array_equal(np.bincount(md.strata, weights=pp), np.bincount(md.strata, weights=md.y))
