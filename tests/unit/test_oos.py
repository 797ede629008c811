"""Out-of-sample scores (alliance_models.oos) against hand computations."""

import math

import numpy as np
import pandas as pd
import pytest
from alliance_models import oos
from scipy import stats

# 12 rows, 5 decisions (clusters), 3 events in 3 different decisions.
#   cluster 1: p 0.1 0.2       y 0 0
#   cluster 2: p 0.4 0.1 0.2   y 1 0 0
#   cluster 3: p 0.5 0.5       y 1 0
#   cluster 4: p 0.2 0.1 0.3   y 0 0 1
#   cluster 5: p 0.1 0.4       y 0 0
P = [0.1, 0.2, 0.4, 0.1, 0.2, 0.5, 0.5, 0.2, 0.1, 0.3, 0.1, 0.4]
Y = [0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0]
C = [1, 1, 2, 2, 2, 3, 3, 4, 4, 4, 5, 5]


def small(train_rate=0.5):
    return pd.DataFrame({"decision_year": C, "p_mean": P, "observed": Y, "train_base_rate": train_rate})


@pytest.fixture(scope="module")
def scores():
    return oos.score_holdout(small(), n_boot=0)


def test_counts_and_expected(scores):
    assert scores["n"] == 12 and scores["clusters"] == 5
    assert scores["events"] == 3 and scores["event_clusters"] == 3
    expected = (0.1 + 0.2) + (0.4 + 0.1 + 0.2) + (0.5 + 0.5) + (0.2 + 0.1 + 0.3) + (0.1 + 0.4)  # 3.1
    assert scores["expected"] == pytest.approx(3.1) == pytest.approx(expected)
    assert scores["expected_observed"] == pytest.approx(3.1 / 3)
    assert scores["observed_expected"] == pytest.approx(3 / 3.1)


def test_brier_and_log_score(scores):
    # squared errors, cluster by cluster
    sq = [0.1**2, 0.2**2, 0.6**2, 0.1**2, 0.2**2, 0.5**2, 0.5**2, 0.2**2, 0.1**2, 0.7**2, 0.1**2, 0.4**2]
    assert sum(sq) == pytest.approx(1.67)
    assert scores["brier"] == pytest.approx(1.67 / 12)
    # events at 0.4, 0.5, 0.3; non-events: four at 0.1, three at 0.2, one at 0.5, one at 0.4
    ls = (
        math.log(0.4)
        + math.log(0.5)
        + math.log(0.3)
        + 4 * math.log(0.9)
        + 3 * math.log(0.8)
        + math.log(0.5)
        + math.log(0.6)
    ) / 12
    assert scores["log_score"] == pytest.approx(ls)


def test_auc_by_counting_pairs(scores):
    # 3 events x 9 non-events = 27 pairs; a tie counts one half
    #   event 0.4: above 4x0.1 + 3x0.2 = 7, ties 0.4 once -> 7.5
    #   event 0.5: above 7 + 0.4 = 8, ties 0.5 once       -> 8.5
    #   event 0.3: above 4x0.1 + 3x0.2                     -> 7
    assert scores["auc"] == pytest.approx((7.5 + 8.5 + 7) / 27)


def test_auc_with_ties_is_mann_whitney():
    p = np.array([0.2, 0.2, 0.2, 0.5, 0.5, 0.5, 0.9])
    y = np.array([1, 0, 0, 1, 0, 1, 0])
    # events 0.2, 0.5, 0.5; non-events 0.2, 0.2, 0.5, 0.9
    #   event 0.2: ties two 0.2 -> 1;  each event 0.5: above two 0.2 + tie one 0.5 -> 2.5
    u = 1 + 2.5 + 2.5
    df = pd.DataFrame({"p_mean": p, "observed": y, "decision_year": np.arange(7)})
    assert oos.score_holdout(df, n_boot=0)["auc"] == pytest.approx(u / (3 * 4))
    # one class only: undefined
    df["observed"] = 0
    assert math.isnan(oos.score_holdout(df, n_boot=0)["auc"])


def test_test_period_baseline_is_the_rows_own_rate(scores):
    r = 3 / 12
    assert scores["test_base_rate"] == pytest.approx(0.25)
    assert scores["brier_test_rate"] == pytest.approx(r * (1 - r))  # 0.1875
    ls0 = (3 * math.log(0.25) + 9 * math.log(0.75)) / 12
    assert scores["log_score_test_rate"] == pytest.approx(ls0)
    assert scores["brier_skill_test_rate"] == pytest.approx(1 - (1.67 / 12) / 0.1875)
    assert scores["log_skill_test_rate"] == pytest.approx(1 - scores["log_score"] / ls0)
    # it does not depend on the training rate
    other = oos.score_holdout(small(train_rate=0.1), n_boot=0)
    for k in ("test_base_rate", "brier_test_rate", "log_score_test_rate", "brier_skill_test_rate"):
        assert other[k] == pytest.approx(scores[k])


def test_training_baseline_uses_train_base_rate(scores):
    # 0.5 for every row: squared error 0.25 and log 0.5 whatever happened
    assert scores["train_base_rate"] == 0.5
    assert scores["brier_train_rate"] == pytest.approx(0.25)
    assert scores["log_score_train_rate"] == pytest.approx(math.log(0.5))
    assert scores["brier_skill_train_rate"] == pytest.approx(1 - (1.67 / 12) / 0.25)
    assert scores["log_skill_train_rate"] == pytest.approx(1 - scores["log_score"] / math.log(0.5))
    s = oos.score_holdout(small(train_rate=0.1), n_boot=0)
    # 3 events at 0.1: (0.9)^2, 9 non-events: (0.1)^2
    assert s["brier_train_rate"] == pytest.approx((3 * 0.81 + 9 * 0.01) / 12)
    assert s["log_score_train_rate"] == pytest.approx((3 * math.log(0.1) + 9 * math.log(0.9)) / 12)
    assert s["brier_skill_train_rate"] == pytest.approx(1 - (1.67 / 12) / ((3 * 0.81 + 9 * 0.01) / 12))


def test_bad_input_is_refused():
    df = small()
    df.loc[0, "observed"] = 2
    with pytest.raises(ValueError, match="0 or 1"):
        oos.score_holdout(df, n_boot=0)
    with pytest.raises(ValueError, match="lacks"):
        oos.score_holdout(small(), cluster="dyad", n_boot=0)


def test_decision_ids():
    df = pd.DataFrame({"ccode1": [365, 365, 2], "year": [1950, 1951, 1950]})
    assert oos.decision_ids(df).tolist() == [3651950, 3651951, 21950]


# --------------------------------------------------------------------------
# calibration intercept and slope


def _simulated(scale, n=20000, seed=1):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.01, 0.3, n)
    y = rng.binomial(1, p)
    lp = scale * np.log(p / (1 - p))
    return pd.DataFrame({"p_mean": 1 / (1 + np.exp(-lp)), "observed": y, "decision_year": np.arange(n)})


def test_calibrated_model_has_slope_one_intercept_zero():
    s = oos.score_holdout(_simulated(1.0), n_boot=0)
    assert s["calibration_slope"] == pytest.approx(1.0, abs=0.1)
    assert s["calibration_intercept"] == pytest.approx(0.0, abs=0.05)
    assert s["calibration_slope_note"] == s["calibration_intercept_note"] == ""


def test_overconfident_model_has_slope_one_half():
    s = oos.score_holdout(_simulated(2.0), n_boot=0)
    assert s["calibration_slope"] == pytest.approx(0.5, abs=0.05)


def test_calibration_not_estimable_says_why():
    f = oos.calibration_fit([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])
    assert math.isnan(f["calibration_slope"]) and f["calibration_slope_note"] == "perfect separation"
    assert np.isfinite(f["calibration_intercept"])
    f = oos.calibration_fit([0.1, 0.2, 0.3], [0, 0, 0])
    assert math.isnan(f["calibration_slope"]) and math.isnan(f["calibration_intercept"])
    assert f["calibration_slope_note"] == f["calibration_intercept_note"] == "no events"
    # calibration in the large by hand: one event in 2 rows predicted 0.5 each -> logit(1/2) - logit(1/2) = 0
    f = oos.calibration_fit([0.5, 0.5, 0.2, 0.2], [1, 0, 0, 1])
    # both predictions have an observed rate of 1/2: recalibrated logit 0 at both -> slope 0
    assert f["calibration_slope_note"] == "" and f["calibration_slope"] == pytest.approx(0.0, abs=1e-6)
    # mean of y is 1/2 with offsets logit(.5)=0 and logit(.2): solve sum y = sum expit(a + x)
    a = f["calibration_intercept"]
    expit = lambda z: 1 / (1 + math.exp(-z))  # noqa: E731
    assert 2 * expit(a) + 2 * expit(a + math.log(0.2 / 0.8)) == pytest.approx(2.0, abs=1e-6)


# --------------------------------------------------------------------------
# cluster bootstrap


def _pure_clusters():
    # cluster sizes 1..6; clusters 2 and 5 are all events, the rest all non-events
    sizes = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6}
    c = np.concatenate([[k] * v for k, v in sizes.items()])
    y = np.isin(c, [2, 5]).astype(int)
    p = np.linspace(0.05, 0.6, len(c))
    return pd.DataFrame({"decision_year": c, "observed": y, "p_mean": p, "train_base_rate": 0.2}), sizes


def test_resamples_take_whole_clusters():
    df, sizes = _pure_clusters()
    c = df["decision_year"].to_numpy()
    n_res = 0
    for idx in oos.cluster_bootstrap_indices(c, 100, seed=3):
        n_res += 1
        rows = pd.Series(idx).value_counts()
        drawn = 0
        for k, size in sizes.items():
            mine = rows[rows.index.isin(np.flatnonzero(c == k))]
            if len(mine) == 0:
                continue
            assert len(mine) == size, "a drawn cluster must bring all its rows"
            assert mine.nunique() == 1, "every row of a drawn cluster appears equally often"
            drawn += int(mine.iloc[0])
        assert drawn == len(sizes), "as many clusters drawn as there are"
        # all-0 / all-1 clusters: the resample's events are whole clusters' sizes
        assert df["observed"].to_numpy()[idx].sum() in {2 * a + 5 * b for a in range(7) for b in range(7)}
    assert n_res == 100


def test_score_holdout_resamples_through_the_cluster_helper(monkeypatch):
    df, _ = _pure_clusters()
    seen = []
    real = oos.cluster_bootstrap_indices

    def spy(clusters, n_boot, seed=0):
        for idx in real(clusters, n_boot, seed):
            seen.append(idx)
            yield idx

    monkeypatch.setattr(oos, "cluster_bootstrap_indices", spy)
    s = oos.score_holdout(df, n_boot=50, seed=5)
    assert len(seen) == 50
    y = df["observed"].to_numpy()
    assert s["boot_no_event"] == sum(int(y[i].sum() == 0) for i in seen)


def test_one_cluster_gives_no_spread():
    # row resampling would vary the Brier score; resampling the single decision cannot
    df = small().assign(decision_year=7)
    s = oos.score_holdout(df, n_boot=30)
    assert s["brier_lo"] == pytest.approx(s["brier"]) and s["brier_hi"] == pytest.approx(s["brier"])


def test_bootstrap_is_reproducible_and_contains_the_estimate():
    a = oos.score_holdout(small(), n_boot=200, seed=11)
    b = oos.score_holdout(small(), n_boot=200, seed=11)
    assert a.keys() == b.keys()
    for k in a:
        assert a[k] == b[k] or (isinstance(a[k], float) and math.isnan(a[k]) and math.isnan(b[k])), k
    c = oos.score_holdout(small(), n_boot=200, seed=12)
    assert (c["brier_lo"], c["brier_hi"], c["auc_lo"]) != (a["brier_lo"], a["brier_hi"], a["auc_lo"])
    assert a["brier_lo"] <= a["brier"] <= a["brier_hi"]
    assert a["brier_lo"] < a["brier_hi"]
    assert a["n_boot"] == 200 and a["seed"] == 11 and a["interval"] == 0.9


def test_resamples_without_events_are_counted():
    # every event in cluster 3: a resample misses it with probability (4/5)^5 = 0.33
    df = small()
    df["observed"] = (df["decision_year"] == 3).astype(int)
    s = oos.score_holdout(df, n_boot=200, seed=2)
    y = df["observed"].to_numpy()
    idxs = list(oos.cluster_bootstrap_indices(df["decision_year"], 200, seed=2))
    no_event = sum(int(y[i].sum() == 0) for i in idxs)
    one_class = sum(int(y[i].sum() in (0, len(i))) for i in idxs)
    assert s["boot_no_event"] == no_event
    assert 30 < no_event < 110  # about 200 * 0.33 = 66
    assert s["auc_boot_n"] == 200 - one_class
    assert s["expected_observed_boot_n"] == 200 - no_event
    assert s["brier_boot_n"] == 200


# --------------------------------------------------------------------------
# calibration table


def test_calibration_table_merges_tied_edges():
    p = np.array([0.1] * 6 + [0.2, 0.3, 0.4, 0.5])
    y = np.array([0, 0, 0, 1, 0, 0, 0, 1, 0, 1])
    t = oos.calibration_table(pd.DataFrame({"p_mean": p, "observed": y}), bins=5)
    # quantile edges 0.1, 0.1, 0.1, 0.16, 0.32, 0.5 -> merged to 0.1, 0.16, 0.32, 0.5
    assert t["n"].tolist() == [6, 2, 2]
    assert t["events"].tolist() == [1, 1, 1]
    assert t["p_mean"].tolist() == pytest.approx([0.1, 0.25, 0.45])
    assert t["observed_rate"].tolist() == pytest.approx([1 / 6, 0.5, 0.5])
    lo, hi = stats.beta.ppf(0.05, 1.5, 5.5), stats.beta.ppf(0.95, 1.5, 5.5)  # Jeffreys, 1 of 6
    assert (t.loc[0, "rate_lo"], t.loc[0, "rate_hi"]) == pytest.approx((lo, hi))
    assert t["bin"].tolist() == [1, 2, 3]


def test_calibration_table_drops_empty_bins():
    t = oos.calibration_table(pd.DataFrame({"p_mean": [0.0, 1.0], "observed": [0, 1]}), bins=4)
    assert t["n"].tolist() == [1, 1]
    assert (t.loc[0, "rate_lo"], t.loc[1, "rate_hi"]) == (0.0, 1.0)


# --------------------------------------------------------------------------
# reading


def _dict(**kw):
    base = {"interval": 0.9}
    base.update(kw)
    return base


def test_reading_too_few_decisions():
    s = _dict(
        events=7,
        event_clusters=3,
        expected=140.0,
        expected_observed=20.0,
        auc=0.61,
        log_skill_test_rate=-2.5,
        auc_lo=0.55,
        auc_hi=0.7,
    )
    assert oos.reading(s, "ussr_onset") == (
        "ussr_onset: too few decisions to tell: the 7 held-out events come from only 3 decisions (fewer than 5), "
        "so neither ranking nor calibration can be judged; as point estimates it expected 140 events "
        "(20x observed), AUC 0.61 and log-score skill -2.5 against the test period's own rate."
    )


def test_reading_calibrated_and_discriminating():
    s = _dict(
        events=40,
        event_clusters=25,
        expected=42.0,
        expected_observed=1.05,
        expected_observed_lo=0.8,
        expected_observed_hi=1.3,
        auc=0.8,
        auc_lo=0.72,
        auc_hi=0.87,
        log_skill_test_rate=0.12,
        log_skill_test_rate_lo=0.05,
        log_skill_test_rate_hi=0.2,
    )
    assert oos.reading(s, "m") == (
        "m: ranks events above non-events better than chance (AUC 0.8, 90% 0.72 to 0.87); "
        "is calibrated in the large (expected/observed 1.1, 90% 0.8 to 1.3); "
        "beats the test period's own base rate in log score (skill 0.12, 90% 0.05 to 0.2)."
    )


def test_reading_over_predicting_twenty_fold():
    s = _dict(
        events=30,
        event_clusters=12,
        expected=600.0,
        expected_observed=20.0,
        expected_observed_lo=14.0,
        expected_observed_hi=31.0,
        auc=0.55,
        auc_lo=0.45,
        auc_hi=0.66,
        log_skill_test_rate=-1.5,
        log_skill_test_rate_lo=-2.3,
        log_skill_test_rate_hi=-0.9,
    )
    assert oos.reading(s, "m") == (
        "m: does not rank better than chance (the AUC interval includes 0.5: AUC 0.55, 90% 0.45 to 0.66); "
        "over-predicts, expecting 600 events against 30 observed (expected/observed 20, 90% 14 to 31); "
        "scores worse than the test period's own base rate in log score (skill -1.5, 90% -2.3 to -0.9)."
    )


def test_reading_no_events_and_from_scores():
    s = _dict(events=0, event_clusters=0, expected=3.2)
    assert oos.reading(s, "m") == (
        "m: no held-out events, so neither ranking nor calibration can be scored (it expected 3.2 events)."
    )
    # the small fixture: 3 events from 3 decisions
    assert oos.reading(oos.score_holdout(small(), n_boot=0), "toy").startswith(
        "toy: too few decisions to tell: the 3 held-out events come from only 3 decisions"
    )


def _paired(seed=5, n_years=40, per_year=25):
    rng = np.random.default_rng(seed)
    year = np.repeat(np.arange(1992, 1992 + n_years), per_year)
    x = rng.normal(size=len(year))
    p_true = 1 / (1 + np.exp(-(-3 + 1.5 * x)))
    y = (rng.random(len(year)) < p_true).astype(float)
    keys = {"ccode1": 365, "ccode2": np.tile(np.arange(per_year), n_years), "year": year, "decision": year}
    full = pd.DataFrame({**keys, "observed": y, "p_mean": p_true})
    null = pd.DataFrame({**keys, "observed": y, "p_mean": np.full(len(y), y.mean())})
    return full, null


def test_against_null_is_the_paired_log_score_gain():
    full, null = _paired()
    g = oos.against_null(full, null, n_boot=300, seed=1)
    y, pf, pn = full["observed"], full["p_mean"], null["p_mean"]
    by_hand = np.mean(y * np.log(pf / pn) + (1 - y) * np.log((1 - pf) / (1 - pn)))
    assert g["log_gain_vs_null"] == pytest.approx(by_hand, rel=1e-12) and g["null_rows"] == len(full)
    # the true model beats a constant: its gain's interval lies above 0
    assert 0 < g["log_gain_vs_null_lo"] < g["log_gain_vs_null"] < g["log_gain_vs_null_hi"]
    # the null against itself gains exactly nothing
    z = oos.against_null(null, null, n_boot=50)
    assert z["log_gain_vs_null"] == 0 and z["log_gain_vs_null_lo"] == 0 == z["log_gain_vs_null_hi"]
    # compared on the rows both predict
    assert oos.against_null(full, null.iloc[:100], n_boot=10)["null_rows"] == 100
    bad = null.assign(observed=1 - null["observed"])
    with pytest.raises(ValueError, match="disagree on what happened"):
        oos.against_null(full, bad, n_boot=10)


def test_carry_over_needs_skill_over_the_null_not_over_chance():
    base = {"events": 30, "event_clusters": 12, "auc": 0.8, "auc_lo": 0.7, "auc_hi": 0.9}
    base |= {"expected_observed": 1.0, "expected_observed_lo": 0.8, "expected_observed_hi": 1.3}
    # ranks and is calibrated, but adds nothing over the null: not supported
    s = {**base, "log_gain_vs_null": 0.001, "log_gain_vs_null_lo": -0.002, "log_gain_vs_null_hi": 0.004}
    no_skill = "not supported (skill over the same model without disparity and threat not established)"
    assert oos.carries_over(s) == no_skill
    assert oos.carries_over({**s, "log_gain_vs_null_lo": 0.0005}) == "supported"
    worse = {**s, "log_gain_vs_null": -0.01, "log_gain_vs_null_lo": -0.02, "log_gain_vs_null_hi": -0.001}
    assert "worse than the null" in oos.carries_over(worse)
    # no null declared: the old rule (ranking and calibration)
    assert oos.carries_over(base) == "supported"
    assert oos.carries_over({**s, "event_clusters": 3}) == "too few decisions to tell"


def test_holdout_count_check_by_hand():
    from alliance_models.stages.predict_holdout import holdout_ppc

    y = np.array([1, 0, 0, 1, 1, 0], float)
    clusters = np.array([1992, 1992, 1993, 1993, 1994, 1994])
    certain = np.tile(y, (200, 1))  # a prediction that knows the answer
    low = np.full((200, 6), 1e-9)  # one that predicts nothing
    out = holdout_ppc(y, clusters, {"population": certain, "new_levels": low}, seed=0)
    assert out["observed"] == {"events": 3.0, "decisions_with_event": 3.0} and out["decisions"] == 3
    assert out["population"]["events"]["median"] == 3 and out["population"]["events"]["p_rep_ge_obs"] == 1.0
    assert out["new_levels"]["events"]["hi"] == 0 and out["new_levels"]["events"]["p_rep_ge_obs"] == 0.0
    assert out["new_levels"]["decisions_with_event"]["p_rep_le_obs"] == 1.0
    cols = oos.ppc_columns(out)
    assert cols["ppc_events_obs"] == 3 and cols["ppc_events_new_levels_median"] == 0


def test_held_out_rows_lost_to_missing_values_are_counted_and_said():
    """SYNTHETIC: a holdout of 1990-1995 with two rows missing x (one an
    event) and one missing z; the fitted years' gaps are not counted."""
    from alliance_models.models.spec import ModelSpec
    from alliance_models.stages.predict_holdout import holdout_missing

    df = pd.DataFrame(
        {
            "year": [1980, 1981, 1990, 1991, 1992, 1993, 1994, 1995],
            "x": [np.nan, 1.0, np.nan, np.nan, 0.5, 0.1, 0.2, 0.3],
            "z": [0.0, 1.0, 1.0, 0.0, np.nan, 1.0, 0.0, 1.0],
            "y": [0, 1, 1, 0, 0, 1, 0, 0],
        }
    )
    spec = ModelSpec(name="m", data="x.csv", outcome="y", formula="y ~ x + z", holdout="year >= 1990")
    miss = holdout_missing(spec, df)
    assert miss == {"rows": 3, "events": 1, "of_rows": 6, "of_events": 2, "by_column": {"x": 2, "z": 1}}
    cols = oos.ppc_columns({"missing": miss})
    want = " Not scored: 3 held-out rows with a missing covariate (1 with an event; x: 2, z: 1)."
    assert oos.missing_words(cols) == want
    assert oos.missing_words(oos.ppc_columns({"missing": {**miss, "rows": 0}})) == ""
