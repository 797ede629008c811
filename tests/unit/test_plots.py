"""Figures built from small frames: what they draw and what they leave out."""

import numpy as np
import pandas as pd
from alliance_models import plots, plots_report


def _slopes():
    rows = []
    for term in ("(intercept)", "log_latent_ratio", "common_enemy"):
        for lev in range(8):
            rows.append({"group": "ccode1", "term": term, "level": str(lev), "mean": 0.1, "lo": -0.2, "hi": 0.4})
    for lev in range(384):
        rows.append({"group": "focal_year", "term": "(intercept)", "level": str(lev), "mean": 0.0, "lo": -1, "hi": 1})
    return pd.DataFrame(rows)


def test_group_slopes_leave_hundreds_of_intercepts_out():
    fig = plots.group_slopes(_slopes(), "3", "majors")
    w, h = fig.get_size_inches() * fig.dpi
    # one panel per (group, term) of at most 40 levels: the powers' three, not 384 year intercepts
    assert len(fig.axes) == 3 and h < 800
    assert "focal_year (intercept) (384 levels)" in fig._suptitle.get_text()
    assert [len(ax.get_yticks()) for ax in fig.axes] == [8, 8, 8]


def test_findings_strip_draws_each_claim_with_its_cells():
    strip = pd.DataFrame(
        {
            "claim_id": ["threat"] * 4 + ["disparity"] * 2,
            "role": "primary evidence",
            "axis": ["primary", "terms", "specification", "alliance type", "primary", "specification"],
            "label": ["latent", "one term", "no clock", "any obligation", "latent", "bilateral"],
            "model": "m",
            "pp": [10.0, 3.0, 8.0, np.nan, 1.0, -0.5],
            "pp_lo": [-1.0, -2.0, 1.0, np.nan, -0.5, -2.0],
            "pp_hi": [22.0, 9.0, 15.0, np.nan, 2.5, 1.0],
            "call": ["unclear", "unclear", "positive", "too few decisions", "unclear", "unclear"],
            "n_decisions": [13, 13, 13, 6, 16, 9],
            "unit": ["signing years"] * 4 + ["treaties"] * 2,
        }
    )
    verdicts = pd.DataFrame({"claim_id": ["threat", "disparity"], "verdict": ["not supported", "not supported"]})
    fig = plots_report.findings_strip(strip, verdicts, "findings")
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["threat: not supported", "disparity: not supported"]
    # the terms axis is not drawn; a cell without an effect keeps its row, named with why it cannot be read
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(labels) == 3 and any("[too few decisions]" in lab for lab in labels)
    assert any(lab.startswith("PRIMARY: latent") and "(13 signing years)" in lab for lab in labels)
    assert plots_report.findings_strip(pd.DataFrame(), verdicts, "x").axes[0].texts  # an empty figure says why
    # effects only on the seeds' own coding (a run without the treaty models): an empty figure, not an error
    only_secondary = strip.assign(role="the seeds' own coding, checked")
    assert plots_report.findings_strip(only_secondary, verdicts, "x").axes[0].texts
    # a cell on two axes is drawn once
    twice = pd.concat([strip, strip.iloc[[2]].assign(axis="sample")], ignore_index=True)
    assert len(plots_report.findings_strip(twice, verdicts, "x").axes[0].get_yticks()) == 3


def _freqbayes(method="logit", se="cluster-robust"):
    fb = pd.DataFrame(
        {
            "term": ["Intercept", "log_cinc_ratio", "threat_high"],
            "category": "",
            "bayes_mean": [-1.0, 0.3, 1.2],
            "bayes_lo": [-2.0, 0.1, 0.2],
            "bayes_hi": [0.0, 0.5, 2.2],
            "freq_estimate": [-0.8, 0.2, 0.7],
            "freq_lo": [-1.5, 0.05, 0.1],
            "freq_hi": [-0.1, 0.35, 1.3],
            "freq_method": method,
            "freq_se_type": se,
            "level": 0.95,
            "predictor_sd": [1.0, 2.0, 0.5],
        }
    )
    return fb


def _note(fig) -> str:
    return " ".join(fig.axes[0].get_title(loc="left").split())


def test_freq_vs_bayes_says_what_the_two_fits_are_and_when_they_differ():
    fb = _freqbayes()
    fb.attrs.update(groups=["intercepts by case_id"], prior="normal(0, 1)", measured=[], cluster="case_id")
    fig = plots.freq_vs_bayes(fb, "cases_allied: frequentist and Bayesian estimates")
    assert fig._suptitle.get_text() == "cases_allied: frequentist and Bayesian estimates"
    note = _note(fig)
    assert "Frequentist: pooled logit by maximum likelihood (statsmodels), cluster-robust SEs by case_id" in note
    assert "no group effects, no priors" in note
    assert "Bayesian: the same terms, normal(0, 1) priors per SD, varying intercepts by case_id." in note
    assert "They should differ where the group effects matter" in note and "averaged over the groups" in note
    assert "measured with error" not in note
    # the two rows per term: Bayesian above, frequentist below, both per SD of the predictor
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["threat_high", "log_cinc_ratio"]


def test_freq_vs_bayes_without_group_effects_differs_only_by_the_priors():
    fb = _freqbayes(method="firth", se=np.nan)
    fb.attrs.update(groups=[], prior="normal(0, 1)", measured=["log_latent_ratio"], cluster="")
    note = _note(plots.freq_vs_bayes(fb, "m"))
    assert (
        "pooled logit by Firth's penalized likelihood (the data are separated), penalized-likelihood intervals" in note
    )
    assert "varying" not in note and "Without group effects they differ only by the priors" in note
    assert "log_latent_ratio measured with error" in note and "takes them as exact" in note


def test_bayes_words_name_the_varying_effects_and_the_prior():
    from types import SimpleNamespace

    from alliance_models.figures import bayes_words

    spec = SimpleNamespace(priors={"coefficients": {"dist": "normal", "mu": 0.0, "sigma": 1.0}}, cluster="ccode2")
    md = SimpleNamespace(
        groups=[
            {"by": "ccode2", "intercept": True, "slopes": []},
            {"by": "focal_year", "intercept": True, "slopes": []},
            {"by": "ccode1", "intercept": False, "slopes": ["threat"]},
        ],
        measurement=[{"column": "log_latent_ratio"}],
    )
    assert bayes_words(spec, md) == {
        "groups": ["intercepts by ccode2 and focal_year", "slopes of threat by ccode1"],
        "prior": "normal(0, 1)",
        "measured": ["log_latent_ratio"],
        "cluster": "ccode2",
    }


CLOCK = ["atop_since_onset", "atop_since_onset_sq", "atop_since_onset_cu"]


def _coefs(terms):
    k = len(terms)
    v = np.linspace(-0.5, 0.5, k)
    return pd.DataFrame(
        {
            "term": terms,
            "category": "",
            "beta_std_mean": v,
            "beta_std_lo": v - 0.3,
            "beta_std_hi": v + 0.3,
            "p_positive": 0.5,
            "or_sd_median": np.exp(v),
            "or_sd_lo": np.exp(v - 0.3),
            "or_sd_hi": np.exp(v + 0.3),
            "or_unit_median": np.exp(v),
            "or_unit_lo": np.exp(v - 0.3),
            "or_unit_hi": np.exp(v + 0.3),
            "interval": 0.9,
        }
    )


def test_clock_terms_are_the_years_since_polynomials():
    terms = ["log_cinc_ratio", *CLOCK, "since_defense", "since_defense_sq", "since_war", "years_since"]
    # a years-since variable with its powers; a lone years-since term keeps its own scale
    assert plots.clock_terms(terms) == [*CLOCK, "since_defense", "since_defense_sq"]
    assert plots.clock_terms(["log_cinc_ratio", "since_war"]) == []


def _labels(ax):
    return [t.get_text() for t in ax.get_yticklabels()]


def test_coefficient_figures_leave_the_spell_clock_out_and_say_so():
    coefs = _coefs(["log_latent_ratio", "common_rival", *CLOCK])
    note = "spell-clock terms not shown: atop_since_onset, atop_since_onset_sq, atop_since_onset_cu"
    for draw in (plots.forest, plots.odds_ratios):
        ax = draw(coefs, "m: effects").axes[0]
        assert _labels(ax) == ["common_rival", "log_latent_ratio"], draw.__name__
        assert ax.get_title().startswith("m: effects\n") and note in " ".join(ax.get_title().split()), draw.__name__
    fb = _freqbayes()
    fb = pd.concat([fb, fb.iloc[[1, 1, 1]].assign(term=CLOCK)], ignore_index=True)
    fig = plots.freq_vs_bayes(fb, "m: freq")
    assert _labels(fig.axes[0]) == ["threat_high", "log_cinc_ratio"] and note in " ".join(
        fig._suptitle.get_text().split()
    )
    # no clock, no note
    ax = plots.forest(_coefs(["log_latent_ratio", "common_rival"]), "m: effects").axes[0]
    assert ax.get_title() == "m: effects" and len(_labels(ax)) == 2
    # only the clock: an empty figure that says so
    assert note in " ".join(plots.forest(_coefs(CLOCK), "m").axes[0].get_title().split())


def test_marginal_effects_leave_a_clock_factor_out():
    ame = pd.DataFrame(
        {
            "factor": ["threat", "clock"],
            "variables": ["at_war, rival_gain", "since_defense, since_defense_sq, since_defense_cu"],
            "shift": ["at_war 0->1", "since_defense 3->12"],
            "category": "P(y=1)",
            "ame_mean": [0.05, -0.02],
            "ame_lo": [0.01, -0.05],
            "ame_hi": [0.09, 0.01],
            "p_positive": [0.99, 0.1],
            "interval": 0.9,
            "base_rate": 0.1,
        }
    )
    ax = plots.marginal_effects(ame, "m: AME").axes[0]
    assert _labels(ax) == ["threat"]
    title = " ".join(ax.get_title().split())
    assert "spell-clock terms not shown: since_defense, since_defense_sq, since_defense_cu" in title
    assert "since_defense 3->12" not in title  # the shifts line names only what is drawn


def _ppc_frames(decades=True):
    rng = np.random.default_rng(0)
    stats = pd.DataFrame({"category": ["events (y=1)"], "observed": [20], "p_rep_ge_obs": [0.5]})
    draws = pd.DataFrame({"category": "events (y=1)", "count": rng.poisson(20, 400)})
    p = np.array([0.001, 0.002, 0.004, 0.01, 0.05])
    cal = pd.DataFrame({"p_mean": p, "observed_rate": p, "rate_lo": p / 2, "rate_hi": p * 2})
    frames = {"stats": stats, "draws": draws, "calibration": cal}
    if decades:
        frames["decades"] = pd.DataFrame(
            {
                "decade": [1950, 1960, 1970, 1980, 1990],
                "statistic": "events",
                "observed": [9, 4, 0, 4, 3],
                "rep_mean": [4.0, 4.0, 4.0, 4.0, 4.0],
                "rep_lo": [1.0, 1.0, 1.0, 1.0, 1.0],
                "rep_hi": [8.0, 8.0, 8.0, 8.0, 8.0],
                "outside": [True, False, True, False, False],
                "interval": 0.9,
            }
        )
    return frames


def test_ppc_draws_the_events_per_decade_against_their_intervals():
    fig = plots.ppc(_ppc_frames(), "m: posterior predictive check")
    assert len(fig.axes) == 3  # total count, calibration, and the decades below
    ax = fig.axes[2]
    assert ax.get_title() == "events per decade: 2 of 5 outside the 90% interval"
    # one interval per decade, from rep_lo to rep_hi
    (bars,) = [c for c in ax.collections if type(c).__name__ == "LineCollection"]
    segs = bars.get_segments()
    assert len(segs) == 5 and all(s[0][1] == 1.0 and s[1][1] == 8.0 for s in segs)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1950s", "1960s", "1970s", "1980s", "1990s"]
    # the decades outside their interval marked in red: their points and their labels
    outside = [c for c in ax.collections if c.get_label() == "observed, outside the interval"]
    assert len(outside) == 1 and outside[0].get_offsets().tolist() == [[0, 9], [2, 0]]
    red = [t.get_text() for t in ax.get_xticklabels() if t.get_color() == plots.RED]
    assert red == ["1950s", "1970s"]
    assert [t.get_text() for t in fig.legends[0].get_texts()][-1] == "observed, outside the interval"
    # rows without a year: the total and the calibration only
    assert len(plots.ppc(_ppc_frames(decades=False), "m").axes) == 2
