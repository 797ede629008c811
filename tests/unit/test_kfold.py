"""K-fold cross-validation by decision (alliance_models.kfold): the folds, the
held-out log predictive density against hand computation on fixed posterior
draws, the comparison's arithmetic, and a simulation with known truth run
through the real sampler. Every table here is SYNTHETIC (seeded draws)."""

from __future__ import annotations

import arviz as az
import numpy as np
import pandas as pd
import pytest
from alliance_models import kfold as kf
from alliance_models.models.matrix import build_model_data
from alliance_models.models.spec import ModelSpec
from scipy.special import expit, logsumexp


def _frame(n_dec=12, rows=5, seed=0, b=(1.2, 0.0), a=-1.0):
    rng = np.random.default_rng(seed)
    n = n_dec * rows
    df = pd.DataFrame(
        {
            "d": np.repeat([f"y{i:02d}" for i in range(n_dec)], rows),
            "x1": rng.normal(size=n),
            "x2": rng.normal(size=n),
        }
    )
    df["y"] = rng.binomial(1, expit(a + b[0] * df["x1"] + b[1] * df["x2"]))
    return df


def _spec(formula="y ~ x1 + x2", **kw):
    return ModelSpec(name="m", data="x.csv", outcome="y", formula=formula, decisions="d", unit="years", **kw)


def _posterior(md, S=40, seed=1, groups=None):
    """Fixed posterior draws (2 chains x S/2) for alpha and beta, and a group's
    intercepts and sd (``groups``: {by: (levels, sd)})."""
    rng = np.random.default_rng(seed)
    k = len(md.coef_names)
    post = {"alpha": rng.normal(-1, 0.3, (2, S // 2)), "beta": rng.normal(0.5, 0.3, (2, S // 2, k))}
    dims = {"beta": ["coef"]}
    coords = {"coef": md.coef_names}
    for by, (levels, sd) in (groups or {}).items():
        post[f"a_{by}"] = rng.normal(0, 1, (2, S // 2, len(levels)))
        post[f"sd_a_{by}"] = np.full((2, S // 2), sd)
        dims[f"a_{by}"] = [f"{by}_level"]
        coords[f"{by}_level"] = levels
    return az.from_dict(posterior=post, dims=dims, coords=coords)


def test_folds_keep_decisions_whole_and_share_events():
    df = _frame(n_dec=23, rows=4, seed=3)
    folds = kf.fold_rows(_spec(), df, 5, seed=9)
    # a decision never spans two folds
    assert (df.assign(f=folds).groupby("d")["f"].nunique() == 1).all()
    assert sorted(folds.unique()) == [0, 1, 2, 3, 4]
    # dealt by events: the folds' event counts differ by at most one decision's events
    ev = df.assign(f=folds).groupby("f")["y"].sum()
    per_dec = df.groupby("d")["y"].sum()
    assert ev.max() - ev.min() <= per_dec.max()
    # rows the model does not select get no fold; the folds are dealt among those it does
    sub = kf.fold_rows(_spec(subset="d >= 'y10'"), df, 5, seed=9)
    assert (sub[df["d"] < "y10"] == -1).all() and sorted(sub[df["d"] >= "y10"].unique()) == [0, 1, 2, 3, 4]
    # the same table gives the same folds, whatever the model's formula
    assert folds.equals(kf.fold_rows(_spec("y ~ x1"), df, 5, seed=9))
    assert not folds.equals(kf.fold_rows(_spec(), df, 5, seed=10))


def test_folds_refuse_what_cannot_be_split():
    df = _frame(n_dec=3, rows=2)
    with pytest.raises(ValueError, match="at least 4 decisions"):
        kf.fold_rows(_spec(), df, 4, seed=0)
    with pytest.raises(ValueError, match="at least 2 folds"):
        kf.fold_rows(_spec(), df, 1, seed=0)
    with pytest.raises(ValueError, match="decision column 'dd'"):
        kf.decisions_of(ModelSpec(name="m", data="x", outcome="y", formula="y ~ x1", decisions="dd"), df)


def test_heldout_lpd_is_the_decisions_joint_density_averaged_over_draws():
    df = _frame(n_dec=10, rows=4, seed=4)
    train, test = df[df["d"] < "y06"], df[df["d"] >= "y06"]
    md = build_model_data(_spec(), train)
    idata = _posterior(md)
    out = kf.heldout_lpd(md.spec, md, idata, test, test["y"].to_numpy())
    post = idata.posterior.stack(s=("chain", "draw"))
    Xs = (test[["x1", "x2"]] - md.means[["x1", "x2"]]) / md.sds[["x1", "x2"]]
    eta = post["alpha"].values[None, :] + Xs.to_numpy() @ post["beta"].transpose("coef", "s").values  # (n, S)
    y = test["y"].to_numpy()[:, None]
    ll = y * np.log(expit(eta)) + (1 - y) * np.log(expit(-eta))
    for dec, g in test.groupby("d"):
        pos = np.flatnonzero(test["d"].to_numpy() == dec)
        want = logsumexp(ll[pos].sum(axis=0)) - np.log(ll.shape[1])
        got = out.set_index("decision").loc[dec]
        assert got["lpd"] == pytest.approx(want, rel=1e-9)
        assert got["n_rows"] == len(g) and got["n_events"] == g["y"].sum()


def test_an_unseen_decision_gets_fresh_effects_from_the_population():
    df = _frame(n_dec=10, rows=4, seed=5)
    spec = _spec(group=[{"by": "d", "intercept": True, "slopes": [], "parameterization": "auto"}])
    train, test = df[df["d"] < "y06"], df[df["d"] >= "y06"]
    md = build_model_data(spec, train)
    levels = list(md.groups[0]["levels"])
    plain = kf.heldout_lpd(_spec(), build_model_data(_spec(), train), _posterior(md), test, test["y"].to_numpy())
    # population sd 0: a new decision's effect is 0, the density is the plain model's
    none = kf.heldout_lpd(spec, md, _posterior(md, groups={"d": (levels, 0.0)}), test, test["y"].to_numpy())
    np.testing.assert_allclose(none["lpd"], plain["lpd"], rtol=1e-9)
    # a wide population: each draw gets its own effect (shared by the decision's rows), so the density changes
    wide = kf.heldout_lpd(spec, md, _posterior(md, groups={"d": (levels, 3.0)}), test, test["y"].to_numpy())
    assert np.isfinite(wide["lpd"]).all() and not np.allclose(wide["lpd"], plain["lpd"])


def test_conditional_logit_scores_each_choice_set():
    rng = np.random.default_rng(6)
    df = pd.DataFrame(
        {
            "stratum": np.repeat(["t0", "t1", "t2", "t3", "t4", "t5"], 4),
            "x1": rng.normal(size=24),
            "chosen": np.tile([1, 0, 0, 0], 6),
        }
    )
    spec = ModelSpec(
        name="c", data="x", outcome="chosen", formula="chosen ~ x1", family="conditional", strata="stratum"
    )
    train, test = df[df["stratum"] < "t4"], df[df["stratum"] >= "t4"]
    md = build_model_data(spec, train)
    b = rng.normal(1.0, 0.5, (2, 15, 1))
    idata = az.from_dict(posterior={"beta": b}, dims={"beta": ["coef"]}, coords={"coef": ["x1"]})
    out = kf.heldout_lpd(spec, md, idata, test, test["chosen"].to_numpy())
    beta = b.reshape(-1)
    for s, g in test.groupby("stratum"):
        xs = ((g["x1"] - md.means["x1"]) / md.sds["x1"]).to_numpy()
        eta = beta[:, None] * xs[None, :]
        logp = eta[:, 0] - logsumexp(eta, axis=1)  # the chosen row is the first of each set
        assert out.set_index("decision").loc[s, "lpd"] == pytest.approx(logsumexp(logp) - np.log(len(beta)))


def test_comparison_sums_the_decisions_differences():
    full = pd.DataFrame(
        {"model": "m", "fold": [0, 0, 1, 1], "decision": list("abcd"), "lpd": [-1.0, -2.0, -1.5, -0.5], "status": "ok"}
    )
    red = full.assign(lpd=full["lpd"] - [0.5, 1.0, 0.0, 0.5], model="r")
    red.loc[3, "status"] = "failed"
    t = kf.kfold_comparison("m", full, [{"label": "threat", "name": "r", "frame": red}], 2, unit="years")
    r = t.iloc[0]
    diff = np.array([-0.5, -1.0, 0.0, -0.5])
    assert r["delta_elpd"] == pytest.approx(-2.0)
    assert r["delta_se"] == pytest.approx(np.sqrt(4 * np.var(diff)))
    assert r["elpd_full"] == pytest.approx(-5.0) and r["n_decisions"] == 4
    assert r["failed_folds_reduced"] == 1 and "not a finding" in r["note"]
    assert r["loo_unit"] == "2-fold cross-validation, one fold of years left out at a time"


def test_kfold_finds_the_block_that_predicts():
    """Known truth through the real sampler: x1 moves the outcome, x2 does
    not. Without x1 the held-out decisions are predicted clearly worse;
    without x2 no worse beyond noise."""
    df = _frame(n_dec=30, rows=8, seed=11, b=(1.5, 0.0), a=-0.5)
    sampling = {"draws": 250, "tune": 250, "chains": 2, "target_accept": 0.9, "sampler": "numpyro", "retry": []}
    gate = {"rhat_max": 1.05, "ess_bulk_min": 100, "ess_tail_min": 100, "divergences_max": 5}
    k = 2

    def frames(spec):
        return pd.concat([kf.fit_fold(spec, df, k, f, sampling, seed=3, gate=gate, fold_seed=2)[0] for f in range(k)])

    full = frames(_spec())
    assert set(full["decision"]) == set(df["d"]) and (full["status"] == "ok").all()
    red = [
        {"label": "x1", "name": "m--drop-x1", "frame": frames(_spec("y ~ x2"))},
        {"label": "x2", "name": "m--drop-x2", "frame": frames(_spec("y ~ x1"))},
    ]
    t = kf.kfold_comparison("m", full, red, k).set_index("dropped")
    assert t.loc["x1", "delta_elpd"] < -2 * t.loc["x1", "delta_se"] < 0
    assert abs(t.loc["x2", "delta_elpd"]) < max(2 * t.loc["x2", "delta_se"], 2.0)


def test_the_verdicts_read_kfold_when_the_run_cross_validates(tmp_path):
    from alliance_models.stages.claims import _elpd_reader

    loo = pd.DataFrame(
        {
            "dropped": ["threat"],
            "delta_elpd": [-3.0],
            "delta_se": [1.0],
            "k_bad_full": [4],
            "k_bad_reduced": [5],
            "loo_unit": ["one row left out at a time"],
            "note": ["Pareto k > 0.7: 4 (full), 5 (reduced) observations"],
        }
    )
    loo.to_csv(tmp_path / "m-loo.csv", index=False)
    kt = pd.DataFrame(
        {"dropped": ["threat"], "delta_elpd": [-1.5], "delta_se": [0.9], "loo_unit": ["5-fold ..."], "note": [""]}
    )
    kt.to_csv(tmp_path / "m-kfold.csv", index=False)
    d, se, note = _elpd_reader(tmp_path, kfold=True)("m", "threat")
    assert (d, se) == (
        -1.5,
        0.9,
    ) and note == "K-fold; 5-fold ...; PSIS-LOO gave +3.0 (SE 1.0; 9 units with Pareto k > 0.7)"
    # K-fold off: a K-fold table left on disk by an earlier run is not read
    d, se, note = _elpd_reader(tmp_path, kfold=False)("m", "threat")
    assert (d, se) == (-3.0, 1.0) and note.startswith("PSIS-LOO; one row left out at a time; Pareto k")
    assert _elpd_reader(tmp_path, kfold=True)("m", "disparity") is None
