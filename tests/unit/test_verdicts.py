"""The verdict logic on synthetic posteriors with known signs, on one whose
interval straddles zero, and on failed fits."""

import numpy as np
import pytest

from alliance_models import verdicts as vd


def ev_from_draws(draws, status="ok", interval=0.9):
    """The summary numbers a verdict reads, from a synthetic posterior."""
    a = (1 - interval) / 2
    return {"status": status, "mean": float(np.mean(draws)), "lo": float(np.quantile(draws, a)),
            "hi": float(np.quantile(draws, 1 - a)), "p_positive": float((draws > 0).mean())}


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def test_sign_rule_matches_the_interval(rng):
    pos = ev_from_draws(rng.normal(0.8, 0.3, 4000))
    neg = ev_from_draws(rng.normal(-0.8, 0.3, 4000))
    mid = ev_from_draws(rng.normal(0.1, 0.5, 4000))
    assert vd.sign_of(pos["p_positive"]) == vd.POSITIVE and pos["lo"] > 0
    assert vd.sign_of(neg["p_positive"]) == vd.NEGATIVE and neg["hi"] < 0
    assert vd.sign_of(mid["p_positive"]) == vd.UNCLEAR and mid["lo"] < 0 < mid["hi"]
    # the boundary: P = 0.95 exactly is a sign, 0.949 is not
    assert vd.sign_of(0.95) == vd.POSITIVE and vd.sign_of(0.949) == vd.UNCLEAR and vd.sign_of(0.05) == vd.NEGATIVE


def test_directional_known_signs_and_straddle(rng):
    pos, neg = ev_from_draws(rng.normal(0.8, 0.3, 4000)), ev_from_draws(rng.normal(-0.8, 0.3, 4000))
    mid = ev_from_draws(rng.normal(0.0, 0.5, 4000))
    assert vd.directional(pos, +1)[0] == vd.SUPPORTED
    assert vd.directional(neg, -1)[0] == vd.SUPPORTED
    assert vd.directional(neg, +1) == (vd.NOT_SUPPORTED, "opposite sign: negative")
    assert vd.directional(mid, +1) == (vd.NOT_SUPPORTED, vd.UNCLEAR)
    assert vd.directional(mid, -1) == (vd.NOT_SUPPORTED, vd.UNCLEAR)


def test_failed_fit_never_gives_a_verdict(rng):
    strong = ev_from_draws(rng.normal(2.0, 0.1, 4000), status="failed")
    assert vd.directional(strong, +1) == (vd.NO_VERDICT, "")
    res = vd.sign_claim({"cinc": strong, "gdp": dict(strong)}, +1)
    assert res["verdict"] == vd.NO_VERDICT == "no verdict (fit failed)"
    assert "cinc, gdp" in res["note"]
    assert vd.favoured_sign({"cinc": strong}) == vd.NO_VERDICT
    # with one usable measure the failed one is left out and named
    ok = ev_from_draws(rng.normal(2.0, 0.1, 4000))
    res = vd.sign_claim({"cinc": ok, "gdp": strong}, +1)
    assert res["verdict"] == vd.SUPPORTED and res["note"] == "left out, fit failed: gdp"
    assert res["per_measure"]["gdp"][0] == vd.NO_VERDICT


def test_combine_across_measures():
    S, N = vd.SUPPORTED, vd.NOT_SUPPORTED
    assert vd.combine({"cinc": S, "gdp": S, "milex": S}) == (S, "")
    assert vd.combine({"cinc": N, "gdp": N})[0] == N
    label, note = vd.combine({"cinc": S, "gdp": N, "milex": vd.NO_VERDICT})
    assert label == vd.DEPENDS and "cinc: supported" in note and "gdp: not supported" in note and "milex" in note
    assert vd.combine({"cinc": vd.NOT_FITTED})[0] == vd.NOT_FITTED


def test_disparity_sign_the_data_favour(rng):
    pos = ev_from_draws(rng.normal(0.9, 0.3, 4000))
    neg = ev_from_draws(rng.normal(-0.9, 0.3, 4000))
    mid = ev_from_draws(rng.normal(0.0, 0.5, 4000))
    assert vd.favoured_sign({"cinc": pos, "gdp": pos}) == "positive (Table 1's sign)"
    assert vd.favoured_sign({"cinc": neg, "gdp": neg}) == "negative (the abstract's sign)"
    assert vd.favoured_sign({"cinc": mid, "gdp": mid}).startswith("neither")
    assert vd.favoured_sign({"cinc": pos, "gdp": neg}) == "depends on measurement (cinc: positive, gdp: negative)"


def test_balancing_call():
    quiet = {"status": "ok", "p_rate_adv_gt_other": 0.40, "p_rep_ge_obs": 0.70}
    assert vd.balancing_call(quiet, rising=True)[0] == vd.SUPPORTED
    assert vd.balancing_call(quiet, rising=False) == (vd.NOT_SUPPORTED, "the recomputed threat did not rise")
    raw = dict(quiet, p_rate_adv_gt_other=0.99)
    assert vd.balancing_call(raw, True)[0] == vd.NOT_SUPPORTED and "above other partners" in vd.balancing_call(raw, True)[1]
    model = dict(quiet, p_rep_ge_obs=0.01)
    assert "more onsets with adversaries than the model predicts" in vd.balancing_call(model, True)[1]
    assert vd.balancing_call(dict(quiet, status="failed"), True)[0] == vd.NO_VERDICT
    assert vd.threat_rising([(1954, 0.5), (1957, 0.75), (1969, 1.0)])
    assert not vd.threat_rising([(1954, 0.75), (1969, 0.75)])


def test_difference_claim(rng):
    diff = rng.normal(1.0, 0.3, 4000)
    same = rng.normal(0.0, 0.3, 4000)
    c = lambda d, t: {"term": t, "p_positive": float((d > 0).mean()), "diff_mean": d.mean(),  # noqa: E731
                      "diff_lo": np.quantile(d, 0.05), "diff_hi": np.quantile(d, 0.95)}
    res = vd.difference_claim({"cinc": [c(diff, "x"), c(same, "z")], "gdp": [c(same, "x"), c(same, "z")]},
                              {"cinc": "ok", "gdp": "ok"})
    assert res["per_measure"]["cinc"] == (vd.SUPPORTED, "differs in x")
    assert res["per_measure"]["gdp"][0] == vd.NOT_SUPPORTED
    assert res["verdict"] == vd.DEPENDS
    assert vd.difference_claim({"cinc": [c(diff, "x")]}, {"cinc": "failed"})["verdict"] == vd.NO_VERDICT


def test_verdict_table_rows(rng):
    pos = ev_from_draws(rng.normal(0.8, 0.2, 4000))
    neg = ev_from_draws(rng.normal(-0.6, 0.2, 4000))
    mid = ev_from_draws(rng.normal(0.05, 0.4, 4000))
    failed = ev_from_draws(rng.normal(-0.6, 0.2, 4000), status="failed")
    numbers = {
        "measures": ["cinc", "gdp"],
        "disparity": {"evidence": "e", "by_measure": {"cinc": pos, "gdp": mid}},
        "threat": {"evidence": "e", "by_measure": {"cinc": pos, "gdp": pos}},
        "narrowing": {"evidence": "e", "by_measure": {"cinc": failed, "gdp": failed}},
        "balancing": {"evidence": "e", "rising": True, "scores": "0.5 -> 1.0", "by_measure": {
            "cinc": {"defense": {"status": "ok", "onsets_adv": 0, "n_adv": 300, "expected_adv_mean": 1.2,
                                 "rep_adv_lo": 0, "rep_adv_hi": 3, "p_rep_ge_obs": 1.0, "onsets_other": 1,
                                 "n_other": 4000, "p_rate_adv_gt_other": 0.3}}}},
        "ussr_different": {"evidence": "e", "contrasts": {"cinc": [{"term": "x", "p_positive": 0.99, "diff_mean": 1.0,
                                                                     "diff_lo": 0.5, "diff_hi": 1.5}]},
                           "status": {"cinc": "ok"}},
    }
    rows = {r["claim_id"]: r for r in vd.verdict_table(numbers)}
    assert set(rows) == set(vd.CLAIMS)
    d = rows["disparity"]
    assert d["verdict"] == vd.DEPENDS and d["favoured_sign"].startswith("depends on measurement")
    assert d["cinc verdict"].startswith("supported") and d["gdp verdict"] == "not supported (interval includes 0)"
    assert "β(std) +0.80" in d["cinc"] or "β +0.80" in d["cinc"]
    assert rows["threat"]["verdict"] == vd.SUPPORTED
    n = rows["narrowing"]
    assert n["verdict"] == "no verdict (fit failed)" and n["cinc"].startswith("FIT FAILED")
    assert rows["balancing"]["verdict"] == vd.SUPPORTED and rows["balancing"]["gdp verdict"] == vd.NOT_FITTED
    assert rows["ussr_different"]["verdict"] == vd.SUPPORTED
    _ = neg
