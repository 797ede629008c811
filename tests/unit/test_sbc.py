"""Simulation-based calibration: ranks, the uniformity statistic, batching,
seeds, settings checks, and one real simulation per model."""

import numpy as np
import pandas as pd
import pytest
from alliance_models.errors import ConfigError
from alliance_models.sbc import (
    batch_sims,
    check_sbc_settings,
    chi2_uniform,
    combine_batches,
    rank_counts,
    rank_of,
    run_simulation,
    sbc_model_data,
    sim_seeds,
    summarize_sbc,
    thin,
)

SETTINGS = {
    "models": ["logit_varying_intercept", "categorical"],
    "n_sims": 200,
    "n_batches": 20,
    "n_obs": 200,
    "n_groups": 10,
    "n_predictors": 2,
    "n_categories": 3,
    "draws": 500,
    "tune": 500,
    "chains": 2,
    "target_accept": 0.9,
    "n_ranks": 99,
    "n_bins": 20,
    "seed_offset": 0,
}


def _ranks_table(ranks, L=99, name="theta"):
    return pd.DataFrame(
        {
            "model": "toy",
            "sim": range(len(ranks)),
            "parameter": name,
            "rank": ranks,
            "n_ranks": L,
            "divergences": 0,
            "min_ess_bulk": 1000.0,
        }
    )


def _conjugate_ranks(post_sd_factor: float, n_sims=400, L=99, seed=1):
    """theta ~ N(0,1), y ~ N(theta,1): the exact posterior is N(y/2, 1/sqrt 2).
    ``post_sd_factor`` != 1 gives a wrong (too narrow or too wide) posterior."""
    rng = np.random.default_rng(seed)
    ranks = []
    for _ in range(n_sims):
        theta = rng.normal()
        y = rng.normal(theta, 1.0)
        draws = rng.normal(y / 2, post_sd_factor * np.sqrt(0.5), size=L)
        ranks.append(rank_of(theta, draws, rng))
    return np.array(ranks)


def test_rank_counts_and_chi2():
    counts = rank_counts(np.array([0, 4, 5, 9, 99, 95]), 99, 20)
    assert counts.sum() == 6 and counts[0] == 2 and counts[1] == 2 and counts[19] == 2
    stat, df, p = chi2_uniform(np.full(20, 10))
    assert stat == 0 and df == 19 and p == pytest.approx(1.0)
    stat, df, p = chi2_uniform(np.array([40] + [0] * 19))
    assert stat == pytest.approx(760.0) and p < 1e-100
    with pytest.raises(ValueError):
        rank_counts(np.array([0]), 99, 7)
    with pytest.raises(ValueError):
        rank_counts(np.array([100]), 99, 20)


def test_exact_posterior_gives_uniform_ranks_and_a_wrong_one_does_not():
    good = summarize_sbc(_ranks_table(_conjugate_ranks(1.0)), 20).iloc[0]
    narrow = summarize_sbc(_ranks_table(_conjugate_ranks(0.5)), 20).iloc[0]
    wide = summarize_sbc(_ranks_table(_conjugate_ranks(2.0)), 20).iloc[0]
    assert good["p_value"] > 0.01
    assert narrow["p_value"] < 1e-6 and wide["p_value"] < 1e-6
    # too narrow: ranks pile at both ends (sd above uniform's 0.29); too wide: in the middle
    assert narrow["rank_sd"] > 0.33 and wide["rank_sd"] < 0.25
    assert abs(good["rank_mean"] - 0.5) < 0.05


def test_thin_and_rank():
    d = np.arange(1000.0)
    t = thin(d, 99)
    assert len(t) == 99 and t[0] == 9 and t[-1] == 989 and np.all(np.diff(t) == 10)
    with pytest.raises(ValueError):
        thin(np.arange(50.0), 99)
    rng = np.random.default_rng(0)
    assert rank_of(5.5, np.arange(10.0), rng) == 6
    assert rank_of(-1, np.arange(10.0), rng) == 0 and rank_of(10, np.arange(10.0), rng) == 10
    tied = {rank_of(3.0, np.array([1.0, 3.0, 3.0, 5.0]), rng) for _ in range(200)}
    assert tied == {1, 2, 3}


def test_batches_cover_every_simulation_once_and_seeds_do_not_depend_on_batching():
    for n_sims, n_batches in [(200, 20), (8, 4), (10, 3), (5, 5)]:
        sims = [s for b in range(n_batches) for s in batch_sims(n_sims, n_batches, b)]
        assert sims == list(range(n_sims))
    with pytest.raises(ValueError):
        batch_sims(10, 3, 3)
    a = sim_seeds(20261123, "categorical", 7)
    assert a == sim_seeds(20261123, "categorical", 7)
    assert a != sim_seeds(20261123, "categorical", 8) and a != sim_seeds(20261123, "logit_varying_intercept", 7)
    assert a[0] != a[1]


@pytest.mark.parametrize(
    "change,key",
    [
        ({"n_bins": 7}, "sbc.n_bins"),
        ({"draws": 40}, "sbc.draws"),
        ({"n_batches": 300}, "sbc.n_batches"),
        ({"models": ["poisson"]}, "sbc.models"),
        ({"n_groups": 500}, "sbc.n_groups"),
    ],
)
def test_settings_errors_name_the_key(change, key):
    check_sbc_settings(SETTINGS)
    with pytest.raises(ConfigError, match=rf"key '{key}'"):
        check_sbc_settings({**SETTINGS, **change})


def test_combine_refuses_missing_or_repeated_simulations():
    from alliance_models.errors import PipelineError

    a, b = _ranks_table([1, 2]), _ranks_table([3, 4])
    b["sim"] = [2, 3]
    assert len(combine_batches([a, b], 4)) == 4
    with pytest.raises(PipelineError, match=r"simulations \[2, 3\] missing"):
        combine_batches([a], 4)
    with pytest.raises(PipelineError, match="appears twice"):
        combine_batches([a, a], 2)


def test_design_is_the_model_the_pipeline_builds():
    md = sbc_model_data("logit_varying_intercept", {**SETTINGS, "n_obs": 40, "n_groups": 4}, design_seed=3)
    assert md.spec.family == "bernoulli" and md.coef_names == ["x1", "x2"]
    assert md.groups[0]["by"] == "g" and len(md.groups[0]["levels"]) == 4
    md2 = sbc_model_data("logit_varying_intercept", {**SETTINGS, "n_obs": 40, "n_groups": 4}, design_seed=3)
    assert np.array_equal(md.X.to_numpy(), md2.X.to_numpy())
    mc = sbc_model_data(
        "categorical", {**SETTINGS, "n_obs": 30}, priors={"coefficients": {"dist": "normal", "sigma": 0.5}}
    )
    assert mc.categories == ["c0", "c1", "c2"] and mc.spec.priors["coefficients"]["sigma"] == 0.5


@pytest.mark.parametrize(
    "model,labels",
    [
        ("logit_varying_intercept", {"alpha", "beta[x1]", "beta[x2]", "sd_a_g", "a_g[g0]", "a_g[g1]", "a_g[g2]"}),
        ("categorical", {"alpha[c1]", "alpha[c2]", "beta[x1, c1]", "beta[x1, c2]", "beta[x2, c1]", "beta[x2, c2]"}),
    ],
)
def test_one_simulation_ranks_every_scalar_parameter(model, labels):
    s = {**SETTINGS, "n_obs": 30, "n_groups": 3, "draws": 60, "tune": 60, "n_ranks": 19, "n_bins": 4}
    md = sbc_model_data(model, s, design_seed=5)
    rows = run_simulation(model, md, s, 5, 0)
    assert set(rows["parameter"]) == labels
    assert rows["rank"].between(0, 19).all() and (rows["n_ranks"] == 19).all()
    assert np.isfinite(rows["true_value"]).all()
    if model == "logit_varying_intercept":
        assert (rows.loc[rows["parameter"] == "sd_a_g", "true_value"] > 0).all()
    # reproducible: same seed, same truth and ranks
    again = run_simulation(model, md, s, 5, 0)
    assert rows[["parameter", "true_value", "rank"]].equals(again[["parameter", "true_value", "rank"]])
