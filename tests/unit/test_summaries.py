"""Summary frames on small synthetic data and fake posteriors with known values."""

import numpy as np
import pandas as pd
import pytest
import yaml
from _report_fixture import MODELS_YAML, TRUTH, fake_idata, toy_cases, toy_dyads, toy_table4
from alliance_models import balancing as bal
from alliance_models import case_frames as cf
from alliance_models import claim_findings as cf_text
from alliance_models import oos
from alliance_models import slopes as sl
from alliance_models import summaries as sm


@pytest.fixture(scope="module")
def specs(tmp_path_factory):
    from alliance_models.models.spec import load_model_specs

    p = tmp_path_factory.mktemp("spec") / "models.yaml"
    p.write_text(yaml.safe_dump(MODELS_YAML))
    return {s.name: s for s in load_model_specs(p)}


@pytest.fixture(scope="module")
def cases():
    return toy_cases(np.random.default_rng(3))


def make_fit(spec, frame, truth, seed=0, status="ok"):
    from alliance_models.models.matrix import build_model_data

    md = build_model_data(spec, frame)
    idata = fake_idata(md, truth, np.random.default_rng(seed), draws=400)
    return sm.Fit(spec.name, idata, md, frame, status, {"status": status})


def test_ame_matches_a_direct_computation(specs, cases):
    fit = make_fit(specs["cases_allied-cinc"], cases, TRUTH["cases_allied-cinc"])
    ame = sm.average_marginal_effects(fit, max_draws=200, interval=0.9)
    assert list(ame["factor"]) == ["disparity", "threat"]
    # by hand: logistic model on standardized predictors, draws thinned the same way
    post = sm.thin(fit.idata.posterior, 200).stack(sample=("chain", "draw"))
    a, b = post["alpha"].values, post["beta"].transpose("coef", "sample").values
    X = fit.md.X_std[fit.md.coef_names].to_numpy()
    rows = cases.loc[fit.md.rows, "log_cinc_ratio"]
    lo, hi = rows.quantile([0.5, 0.9])
    sd, mu = fit.md.sds["log_cinc_ratio"], fit.md.means["log_cinc_ratio"]
    X_lo, X_hi = X.copy(), X.copy()
    X_lo[:, 0], X_hi[:, 0] = (lo - mu) / sd, (hi - mu) / sd
    p = lambda Z: 1 / (1 + np.exp(-(a[:, None] + (Z @ b).T)))  # noqa: E731
    direct = (p(X_hi) - p(X_lo)).mean(axis=1)
    row = ame[ame["factor"] == "disparity"].iloc[0]
    assert row["ame_mean"] == pytest.approx(direct.mean(), rel=1e-9)
    assert row["ame_lo"] > 0 and row["p_positive"] == 1.0  # known positive sign
    assert row["draws"] == 200 and row["n_rows"] == len(cases)
    # the threat AME moves threat_high 0 -> 1
    assert "threat_high 0->1 (0->1)" in ame[ame["factor"] == "threat"].iloc[0]["shift"]


def test_ame_categorical_sums_to_zero(specs, cases):
    fit = make_fit(specs["cases_category"], cases, TRUTH["cases_category"])
    ame = sm.average_marginal_effects(fit, max_draws=100)
    assert set(ame["category"]) == set(fit.md.categories)
    # probabilities of all categories move together: their changes sum to 0
    tot = ame.groupby("factor")["ame_mean"].sum()
    assert np.allclose(tot, 0, atol=1e-12)


def test_effect_factors_fallback_skips_polynomial_families(specs):
    from dataclasses import replace

    s = replace(
        specs["ussr_onset_oos"],
        drop={},
        formula="y ~ log_cinc_ratio + mid_prior + spell + spell_sq + spell_cu + I(conttype == 1)",
    )
    f = sm.effect_factors(s, ["log_cinc_ratio", "mid_prior", "spell", "spell_sq", "spell_cu", "conttype"])
    assert f == {"log_cinc_ratio": ["log_cinc_ratio"], "mid_prior": ["mid_prior"]}


def test_loo_prefers_the_model_with_the_real_effect(specs, cases):
    from alliance_models.models.matrix import build_model_data

    rng = np.random.default_rng(11)
    cases = cases.copy()
    # outcome driven strongly by threat (synthetic), so dropping threat must cost predictive density
    cases["allied"] = rng.binomial(1, 1 / (1 + np.exp(-(-1.0 + 3.0 * cases["threat_high"]))))
    full = make_fit(specs["cases_allied-cinc"], cases, {"alpha": 1.0, "beta": {"threat_high": 1.4}})
    red_spec = specs["cases_allied-cinc--drop-threat"]
    md = build_model_data(red_spec, cases)
    red = fake_idata(md, {"alpha": 1.0, "beta": {}}, rng, draws=400)
    loo = sm.loo_comparison(
        full.name, full.idata, "ok", [{"label": "threat", "name": red_spec.name, "idata": red, "status": "ok"}]
    )
    row = loo.iloc[0]
    assert row["delta_elpd"] < -2 * row["delta_se"] < 0
    assert row["n_obs"] == len(cases) and row["draws"] == 800
    assert row["k_bad_full"] >= 0 and np.isfinite(row["k_max_full"])
    # a failed reduced fit is flagged
    loo2 = sm.loo_comparison(
        full.name, full.idata, "ok", [{"label": "threat", "name": red_spec.name, "idata": red, "status": "failed"}]
    )
    assert "not a finding" in loo2.iloc[0]["note"]


def test_ppc_counts(specs, cases):
    fit = make_fit(specs["cases_allied-cinc"], cases, TRUTH["cases_allied-cinc"])
    pp = sm.ppc_frames(fit, max_draws=500)
    st = pp["stats"].iloc[0]
    assert st["observed"] == int(cases["allied"].sum()) and st["draws"] == 400
    assert pp["calibration"]["n"].sum() == len(cases)
    # the cases carry a year: events per decade, summing to the total
    dec = pp["decades"]
    ev = dec[dec["statistic"] == "events"]
    assert ev["observed"].sum() == st["observed"] and ev["decade"].is_monotonic_increasing
    assert (ev["rep_lo"] <= ev["rep_hi"]).all() and set(ev["decade"] % 10) == {0}


def test_decade_ppc_marks_the_decades_the_model_misses():
    """Three rows a year, 1950-1979. Every replicated draw puts two events in
    each decade; the observed six all fall in the 1970s: the total (6) is
    matched, the decades are not."""
    years = np.repeat(np.arange(1950, 1980), 3)
    y = np.zeros(len(years), int)
    y[np.flatnonzero(years >= 1970)[[0, 3, 6, 9, 12, 15]]] = 1  # six years of the 1970s, one event each
    rep = np.zeros((50, len(years)), int)
    for d in (1950, 1960, 1970):
        rep[:, np.flatnonzero(years == d)[:2]] = 1  # two events in the decade's first year
    dec = sm.decade_ppc(rep, y, years, interval=0.9)
    ev = dec[dec["statistic"] == "events"].set_index("decade")
    assert list(ev.index) == [1950, 1960, 1970] and list(ev["observed"]) == [0, 0, 6]
    assert list(ev["rep_lo"]) == [2, 2, 2] and list(ev["outside"]) == [True, True, True]
    yrs = dec[dec["statistic"] == "years with an event"].set_index("decade")
    assert list(yrs["observed"]) == [0, 0, 6] and list(yrs["rep_mean"]) == [1, 1, 1] and yrs["outside"].all()
    assert (ev["years"] == 10).all() and ev["p_rep_ge_obs"].tolist() == [1.0, 1.0, 0.0]
    # one row a year: the years with an event are the events, not checked twice
    one = sm.decade_ppc(rep[:, ::3], y[::3], years[::3], interval=0.9)
    assert set(one["statistic"]) == {"events"}


def test_calibration_bins_and_jeffreys_bounds():
    p = np.linspace(0.01, 0.5, 100)
    y = np.zeros(100)
    y[-3:] = 1
    cal = sm.calibration_bins(p, y, bins=10)
    assert len(cal) == 10 and cal["n"].sum() == 100 and cal["events"].sum() == 3
    assert (cal.loc[cal["events"] == 0, "rate_lo"] == 0).all()  # the bound at an observed 0
    assert (cal["rate_lo"] <= cal["observed_rate"]).all() and (cal["observed_rate"] <= cal["rate_hi"]).all()


def test_worst_predicted_by_log_loss():
    h = pd.DataFrame({"observed": [1, 0, 0, 1], "p_mean": [0.8, 0.1, 0.4, 0.3]})
    worst = oos.worst_predicted(h.assign(ccode1=365, ccode2=[2, 200, 220, 255]), "m", {2: "USA"}, k=2)
    assert list(worst["p_mean"]) == [0.3, 0.4] and "state2" in worst


def test_group_slope_contrast_recovers_the_known_difference(specs):
    rng = np.random.default_rng(5)
    majors = toy_dyads(rng, [2, 200, 365, 710], years=range(1950, 1992, 4))
    fit = make_fit(specs["majors_onset-cinc"], majors, TRUTH["majors_onset-cinc"])
    c = sl.group_slope_contrasts(fit.idata, fit.spec, 365)
    row = c[c["term"] == "log_cinc_ratio"].iloc[0]
    assert row["diff_mean"] == pytest.approx(1.0, abs=0.05) and row["p_positive"] == 1.0
    assert (
        c[c["term"] == "common_mid_states"].iloc[0]["diff_lo"]
        < 0
        < c[c["term"] == "common_mid_states"].iloc[0]["diff_hi"]
    )
    assert sl.group_slope_contrasts(fit.idata, fit.spec, 999).empty
    slopes = sl.group_slopes(fit.idata, fit.spec)
    assert set(slopes["level"]) == {"2", "200", "365", "710"}


def test_threat_scores_and_balancing_counts(specs):
    scores = bal.threat_scores(toy_table4())
    assert list(scores["score"]) == [0.5, 0.75, 1.0] and list(scores["year"]) == [1954, 1957, 1969]
    assert list(scores["printed"]) == ["+"] * 3 and list(scores["conclusion"]) == ["+"] * 3
    rng = np.random.default_rng(9)
    panel = toy_dyads(rng, [365])
    threat_panel = toy_dyads(rng, [710])
    # the claim's window, not only the rivalry years (toy rivalry from 1958: tss_rival)
    assert bal.threat_years(panel, 365, 710, (1954, 1969)) == list(range(1954, 1970))
    assert bal.threat_years(panel, 365, 710, (1946, 1991))[0] < 1958
    fit = make_fit(specs["ussr_onset-cinc"], panel, TRUTH["ussr_onset-cinc"])
    b = bal.balancing_numbers(fit, threat_panel, 365, 710, (1946, 1991), max_draws=200)
    adv = bal.threat_adversaries(threat_panel, 710)
    yrs = bal.threat_years(panel, 365, 710, (1946, 1991))
    rows = fit.rows[fit.rows["year"].isin(yrs) & (fit.rows["ccode2"] != 710)]
    key = set(zip(adv["ccode2"], adv["year"]))
    is_adv = np.array([(c, y) in key for c, y in zip(rows["ccode2"], rows["year"])])
    assert b["n_adv"] == is_adv.sum() and b["n_other"] == (~is_adv).sum()
    assert b["onsets_adv"] == rows.loc[is_adv, "atop_defense_onset"].sum()
    assert b["years"] == "1946-1991" and 0 <= b["p_rate_adv_gt_other"] <= 1 and b["draws"] == 200
    # without the full model the with-threat prediction is absent, and not in the text
    assert np.isnan(b["expected_adv_with"]) and "with the threat terms" not in cf_text.balancing_text(
        {**b, "outcome": "atop_defense_onset"}
    )
    # the full model given: its predictive count for the same dyad-years (the baseline itself here,
    # so the two expectations agree exactly)
    w = bal.balancing_numbers(fit, threat_panel, 365, 710, (1946, 1991), max_draws=200, with_threat=fit)
    assert w["expected_adv_with"] == pytest.approx(w["expected_adv_mean"], rel=1e-12)
    assert w["rep_adv_with_lo"] <= w["expected_adv_with"] <= w["rep_adv_with_hi"] and w["with_threat_status"] == "ok"
    assert "the model with the threat terms expects" in cf_text.balancing_text({**w, "outcome": "atop_defense_onset"})


def test_surface_and_case_predictions(specs, cases):
    fit = make_fit(specs["cases_allied-cinc"], cases, TRUTH["cases_allied-cinc"])
    assert cf.surface_axes(fit.spec, cases.columns) == ("log_cinc_ratio", "threat_high")
    g = cf.surface_grid(fit, "log_cinc_ratio", "threat_high", n=10, max_draws=50)
    assert len(g) == 20 and set(g["y"]) == {0.0, 1.0} and g["draws"].iloc[0] == 50
    hi = g[g["y"] == 1].sort_values("x")["p_mean"].to_numpy()
    assert (np.diff(hi) > 0).all()  # known positive disparity effect
    # a 0/1 variable takes its two values on either axis (the figure draws a line per value)
    gx = cf.surface_grid(fit, "threat_high", "log_cinc_ratio", n=10, max_draws=50)
    assert len(gx) == 20 and set(gx["x"]) == {0.0, 1.0} and gx["y"].nunique() == 10
    pred = cf.case_predictions(fit, {710: "CHN"}, {"ccode1": 365, "ccode2": 710, "years": [1950, 1954, 1957, 1969]})
    assert pred["p_mean"].is_monotonic_increasing and len(pred) == len(cases)
    assert pred["annotated"].sum() == 4
    assert (pred["p_lo"] <= pred["p_mean"]).all() and (pred["p_mean"] <= pred["p_hi"]).all()


def test_balancing_leaves_out_multilateral_years_and_counts_deepening(specs):
    """A focal year with a multilateral signing (decision size >= multilateral_min)
    drops out of the balancing counts, its onsets with adversaries reported as
    excluded; an onset with a partner already bound by another obligation
    counts as deepening, not new."""
    rng = np.random.default_rng(11)
    panel = toy_dyads(rng, [365])
    threat_panel = toy_dyads(rng, [710])
    adv = bal.threat_adversaries(threat_panel, 710)
    key = set(zip(adv["ccode2"], adv["year"]))
    is_adv = np.array([(c, y) in key for c, y in zip(panel["ccode2"], panel["year"])])
    at_risk = (panel["atop_defense"] == 0).to_numpy()
    # 1962: onsets with two adversaries in one multilateral signing (7 partners in all)
    in62 = (panel["year"] == 1962).to_numpy()
    conf = np.flatnonzero(in62 & is_adv & at_risk)[:2]
    assert len(conf) == 2
    panel.loc[panel.index[conf], "atop_defense_onset"] = 1.0
    panel["decision_size_defense"] = np.where(in62, 7, 1)
    # one adversary onset in another threat year is a deepening: an obligation of another type was in force
    panel["atop_any_onset"] = panel["atop_defense_onset"]
    other = np.flatnonzero(~in62 & (panel["year"] >= 1958).to_numpy() & is_adv & at_risk)[0]
    panel.loc[panel.index[other], ["atop_defense_onset", "atop_any_onset"]] = [1.0, 0.0]
    fit = make_fit(specs["ussr_onset-cinc"], panel, TRUTH["ussr_onset-cinc"])

    b = bal.balancing_numbers(fit, threat_panel, 365, 710, (1946, 1991), multilateral_min=5, max_draws=100)
    yrs = bal.threat_years(panel, 365, 710, (1946, 1991))
    rows = fit.rows[fit.rows["year"].isin(yrs) & (fit.rows["ccode2"] != 710)]
    y = rows["atop_defense_onset"].to_numpy()
    adv_rows = np.array([(c, t) in key for c, t in zip(rows["ccode2"], rows["year"])])
    in_conf = (rows["year"] == 1962).to_numpy()
    assert b["multilateral_years"] == "1962"
    assert b["multilateral_onsets_excluded"] == y[adv_rows & in_conf].sum() >= 2
    assert b["onsets_adv"] == y[adv_rows & ~in_conf].sum()
    assert b["n_adv"] == (adv_rows & ~in_conf).sum() and b["n_other"] == (~adv_rows & ~in_conf).sum()
    deep = adv_rows & ~in_conf & (y == 1) & (rows["atop_any_onset"].to_numpy() != 1)
    assert b["onsets_adv_deepening"] == deep.sum() >= 1
    assert b["onsets_adv_new"] + b["onsets_adv_deepening"] == b["onsets_adv"]
    # with the threshold above the conference's size, 1962 counts like any year
    b_all = bal.balancing_numbers(fit, threat_panel, 365, 710, (1946, 1991), multilateral_min=8, max_draws=100)
    assert b_all["multilateral_years"] == "" and b_all["multilateral_onsets_excluded"] == 0
    assert b_all["onsets_adv"] == y[adv_rows].sum() == b["onsets_adv"] + b["multilateral_onsets_excluded"]
