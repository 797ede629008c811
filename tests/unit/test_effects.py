"""How much: the shift rule and the joint block contrast, against direct
computations on fake posteriors with known values."""

import numpy as np
import pandas as pd
import pytest
from _report_fixture import toy_cases_fit
from alliance_models import effects as ef
from alliance_models import summaries as sm
from alliance_models.models.choice import shifted_choice_probability


def test_shift_rule_binaries_move_0_to_1_the_rest_median_to_p90():
    assert ef.shift_rule(pd.Series([0.0] * 95 + [1.0] * 5)) == (0.0, 1.0, "0->1")
    assert ef.shift_rule(pd.Series(np.arange(101.0))) == (50.0, 90.0, "median->p90")
    # a count that is mostly 0: the 90th percentile is the median, so the maximum
    mostly = pd.Series([0.0] * 92 + [1.0] * 5 + [3.0] * 3)
    assert ef.shift_rule(mostly) == (0.0, 3.0, "median->max")
    assert ef.shift_rule(pd.Series([2.0, 2.0, np.nan]))[2] == "constant"
    assert ef.shift_rule(pd.Series([np.nan]))[2] == "no values"


def test_block_columns_take_interactions_apart():
    cols = ["a", "b", "c"]
    assert ef.block_columns(["a", "a:b", "I(c == 1)"], cols) == ["a", "b"]


@pytest.fixture(scope="module")
def fit(tmp_path_factory):
    return toy_cases_fit(tmp_path_factory.mktemp("spec"), draws=400)


def test_block_contrast_matches_a_direct_computation(fit):
    out = ef.block_contrast(fit, ["log_cinc_ratio", "threat_high"], max_draws=200, interval=0.9)
    assert out["columns"] == "log_cinc_ratio, threat_high"
    post = sm.thin(fit.idata.posterior, 200).stack(sample=("chain", "draw"))
    a, b = post["alpha"].values, post["beta"].transpose("coef", "sample").values
    rows = fit.rows
    names = fit.md.coef_names
    lo_d, hi_d = rows[names].copy(), rows[names].copy()
    med, p90 = rows["log_cinc_ratio"].quantile([0.5, 0.9])
    lo_d["log_cinc_ratio"], hi_d["log_cinc_ratio"] = med, p90
    lo_d["threat_high"], hi_d["threat_high"] = 0.0, 1.0
    z = lambda d: ((d - fit.md.means[names]) / fit.md.sds[names]).to_numpy()  # noqa: E731
    p = lambda d: 1 / (1 + np.exp(-(a[:, None] + (z(d) @ b).T)))  # noqa: E731
    p_lo, p_hi = p(lo_d).mean(axis=1), p(hi_d).mean(axis=1)
    assert out["base"] == pytest.approx(np.median(p_lo), rel=1e-9)
    assert out["shifted"] == pytest.approx(np.median(p_hi), rel=1e-9)
    assert out["pp"] == pytest.approx(100 * np.median(p_hi - p_lo), rel=1e-9)
    assert out["rr"] == pytest.approx(np.median(p_hi / p_lo), rel=1e-9)
    assert out["pp_lo"] == pytest.approx(100 * np.quantile(p_hi - p_lo, 0.05), rel=1e-9)
    assert out["p_effect_positive"] == pytest.approx(((p_hi - p_lo) > 0).mean())
    assert "threat_high 0 -> 1" in out["shift"] and "(median -> p90)" in out["shift"]
    assert out["quantity"] == "probability of an alliance per case"
    # the joint contrast is not the sum of the two one-at-a-time contrasts (a logit is not additive)
    one = [ef.block_contrast(fit, [c], max_draws=200)["pp"] for c in ("log_cinc_ratio", "threat_high")]
    assert out["pp"] != pytest.approx(sum(one), rel=1e-3)


def test_a_block_the_model_does_not_use_is_refused(fit):
    with pytest.raises(ValueError, match="none of"):
        ef.block_contrast(fit, ["not_a_column"])


def test_choice_probability_of_a_block_by_hand():
    rng = np.random.default_rng(4)
    strata = np.repeat(np.arange(5), 8)
    X = rng.normal(size=(40, 3))
    B = rng.normal(size=(6, 3))
    lo, hi = np.array([0.0, -1.0]), np.array([1.0, 2.0])
    got_lo, got_hi = shifted_choice_probability(B, X, strata, [0, 2], lo, hi)
    for d, b in enumerate(B):
        for v, got in ((lo, got_lo), (hi, got_hi)):
            p = []
            for i in range(40):
                x = X.copy()
                x[i, [0, 2]] = v
                e = np.exp(x[strata == strata[i]] @ b)
                p.append(np.exp(x[i] @ b) / e.sum())
            assert got[d] == pytest.approx(np.mean(p), rel=1e-10)
    # one column by index, as before
    one_lo, _ = shifted_choice_probability(B, X, strata, 1, 0.5, 1.5)
    two_lo, _ = shifted_choice_probability(B, X, strata, [1], [0.5], [1.5])
    np.testing.assert_allclose(one_lo, two_lo)


def test_contrast_text():
    c = {
        "quantity": "probability of x per year",
        "base": 0.006,
        "shifted": 0.019,
        "pp": 1.3,
        "pp_lo": 0.2,
        "pp_hi": 2.9,
        "rr": 3.1,
        "rr_lo": 1.2,
        "rr_hi": 7.0,
    }
    assert ef.contrast_text(c) == "probability of x per year 0.6% -> 1.9% (+1.3 pp [+0.2, +2.9]; RR 3.1 [1.2, 7])"
    assert ef.contrast_text({}) == ""
