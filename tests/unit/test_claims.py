"""Verdicts on synthetic posteriors built to produce each label."""

import math

import pandas as pd
import pytest
from alliance_models import claim_findings as cf
from alliance_models import claim_plan as cp
from alliance_models import claims as cl
from alliance_models.claims import Cell


def cell(p, axis="primary", label="latent", status="ok", decisions=12, measure="latent", sample="own", model="m"):
    return Cell(
        model=model,
        term="x",
        axis=axis,
        label=label,
        status=status,
        median=0.5 if p > 0.5 else -0.5,
        lo=-1.0,
        hi=1.0,
        p_positive=p,
        n_events=40,
        n_decisions=decisions,
        measure=measure,
        sample=sample,
    )


def common(m, p, decisions=12):
    return [
        cell(p, "measure", f"{m}, common sample", measure=m, sample="common", decisions=decisions),
        cell(p, "sample", f"{m}, common sample", measure=m, sample="common", decisions=decisions),
    ]


def own(m, p, decisions=12):
    return cell(p, "sample", f"{m}, own sample", measure=m, decisions=decisions)


def verdict(primary, strip, expected=+1):
    return cl.directional_verdict(primary, strip, expected, prob=0.95, min_decisions=10)


def test_supported_not_supported_and_opposite_sign():
    stable = [*common("cinc", 0.99), *common("latent", 0.99), own("cinc", 0.99), own("latent", 0.99)]
    assert verdict(cell(0.99), stable).label == cl.SUPPORTED
    unclear = [*common("cinc", 0.7), *common("latent", 0.6), own("cinc", 0.8), own("latent", 0.6)]
    v = verdict(cell(0.6), unclear)
    assert v.label == cl.NOT_SUPPORTED and "interval includes 0" in v.reason
    neg = [*common("cinc", 0.01), own("cinc", 0.02)]
    v = verdict(cell(0.01), neg)
    assert v.label == cl.OPPOSITE and "negative, not positive" in v.reason
    assert verdict(cell(0.01), neg, expected=-1).label == cl.SUPPORTED


def test_depends_on_measure_is_read_on_the_common_sample():
    strip = [*common("cinc", 0.99), *common("milex", 0.01), own("cinc", 0.99), own("milex", 0.01)]
    v = verdict(cell(0.99, measure="cinc"), strip)
    assert v.label == cl.DEPENDS_MEASURE and "milex, common sample: negative" in v.reason
    assert "measure" in v.splits and "sample" not in v.splits


def test_depends_on_sample():
    # on the common sample the measures agree; gdp's own (larger) sample says otherwise
    strip = [*common("cinc", 0.99), *common("gdp", 0.99), own("cinc", 0.99), own("gdp", 0.5)]
    v = verdict(cell(0.99, measure="cinc"), strip)
    assert v.label == cl.DEPENDS_SAMPLE and "gdp: unclear (own) / positive (common)" in v.splits["sample"]


def test_depends_on_alliance_type_and_specification():
    base = [*common("latent", 0.99), own("latent", 0.99)]
    any_ = cell(0.02, "alliance type", "any obligation")
    assert verdict(cell(0.99), base + [any_]).label == cl.DEPENDS_TYPE
    spec = cell(0.5, "specification", "without the largest cluster")
    v = verdict(cell(0.99), base + [spec])
    assert v.label == cl.DEPENDS_SPEC and "without the largest cluster: unclear" in v.reason
    # several axes split: the label names an axis on which the sign reverses
    # (here the alliance type: positive vs negative) before one where a signed
    # cell stands beside an unclear one (the measure); the splits list all
    both = [*common("latent", 0.99), *common("cinc", 0.5), own("latent", 0.99), any_]
    v = verdict(cell(0.99), both)
    assert v.label == cl.DEPENDS_TYPE and set(v.splits) == {"measure", "alliance type"}
    assert "primary fit m: positive, any obligation: negative" in v.splits["alliance type"]
    # without a reversal the first axis in order names it (measure before alliance type)
    v = verdict(cell(0.99), [*common("latent", 0.99), *common("cinc", 0.5), own("latent", 0.99), spec])
    assert v.label == cl.DEPENDS_MEASURE and set(v.splits) == {"measure", "specification"}


def test_too_few_decisions_and_failed_fits():
    v = verdict(cell(0.999, decisions=4), [])
    assert v.label == cl.TOO_FEW and "from 4 decisions" in v.reason
    assert verdict(cell(0.999, status="failed"), []).label == cl.NO_VERDICT
    assert verdict(Cell(model="m", term="x", axis="primary", label="latent"), []).label == cl.NOT_FITTED
    # a robustness cell with too few decisions (GDP's small common sample) cannot split the verdict
    strip = [*common("latent", 0.99), *common("gdp", 0.01, decisions=4), own("latent", 0.99)]
    v = verdict(cell(0.99), strip)
    assert v.label == cl.SUPPORTED and any("too few decisions to read gdp, common sample" in n for n in v.notes)
    # nor can a failed one
    v = verdict(cell(0.99), [cell(0.01, "alliance type", "any obligation", status="failed")])
    assert v.label == cl.SUPPORTED


def test_every_label_is_reachable():
    made = {
        verdict(cell(0.99), [*common("latent", 0.99), own("latent", 0.99)]).label,
        verdict(cell(0.6), []).label,
        verdict(cell(0.01), []).label,
        verdict(cell(0.99), [*common("latent", 0.99), *common("gdp", 0.01)]).label,
        verdict(cell(0.99), [*common("gdp", 0.99), own("gdp", 0.5)]).label,
        verdict(cell(0.99), [cell(0.5, "alliance type", "any")]).label,
        verdict(cell(0.99), [cell(0.5, "specification", "side-blind")]).label,
        verdict(cell(0.99, decisions=3), []).label,
        verdict(cell(0.99, status="failed"), []).label,
    }
    assert made == set(cl.LABELS) - {cl.NOT_FITTED, cl.INCONCLUSIVE}  # inconclusive: the difference rule


def _dev(label, lo, hi, status="ok"):
    return cl.Cell(model="s", term=label, axis="specification", label=label, status=status, lo=lo, hi=hi)


def test_rope_call_follows_kruschke():
    assert cl.rope_call(0.15, 0.8, 0.1) == cl.DIFFERENT
    assert cl.rope_call(-0.9, -0.2, 0.1) == cl.DIFFERENT
    assert cl.rope_call(-0.05, 0.08, 0.1) == cl.EQUIVALENT
    assert cl.rope_call(0.02, 0.8, 0.1) == cl.UNDECIDED  # excludes 0, but reaches into the margin
    assert cl.rope_call(math.nan, 0.8, 0.1) == cl.UNDECIDED


def test_difference_rule_reads_the_deviations():
    v = cl.difference_verdict([_dev("x", 0.3, 0.9), _dev("z", -0.2, 0.2)], "ok", 0.1, 3.0, 4.0, 0.4, "USSR")
    assert v.label == cl.SUPPORTED and "x: different" in v.reason and "z: undecided" in v.reason
    assert "ΔELPD +3.0 (SE 4.0)" in v.reason and "not counted" in v.reason  # shown beside, not counted
    v = cl.difference_verdict([_dev("x", -0.05, 0.05), _dev("z", -0.02, 0.09)], "ok", 0.1)
    assert v.label == cl.NOT_SUPPORTED and "within ±0.1" in v.reason
    # the default run's case: both deviations exclude 0 but reach into the margin
    v = cl.difference_verdict([_dev("x", 0.02, 0.80), _dev("z", 0.02, 0.14)], "ok", 0.1, -3.2, 2.9, 0.11, "USSR")
    assert v.label == cl.INCONCLUSIVE and "no deviation is shown to exceed the margin" in v.reason
    assert cl.difference_verdict([_dev("x", 0.3, 0.9)], "failed").label == cl.NO_VERDICT
    assert cl.difference_verdict([], "ok").label == cl.NOT_FITTED
    assert cl.difference_verdict([_dev("x", 0.3, 0.9)], None).label == cl.NOT_FITTED


def test_rope_power_against_the_normal_formula():
    """The simulated power against its closed form: P(est - z sd > m) +
    P(est + z sd < -m) with est ~ N(delta, sd)."""
    from statistics import NormalDist

    N, z = NormalDist(), NormalDist().inv_cdf(0.95)
    for sd, delta, m in ((0.2, 0.5, 0.1), (0.05, 0.3, 0.1), (0.4, 0.0, 0.1), (0.1, 0.12, 0.1)):
        exact = 1 - N.cdf((m + z * sd - delta) / sd) + N.cdf((-m - z * sd - delta) / sd)
        assert cl.rope_power(sd, delta, m, 0.9, sims=200_000) == pytest.approx(exact, abs=0.005)
    # no deviation: the rule almost never says "different"; a large one measured precisely: almost always
    assert cl.rope_power(0.1, 0.0, 0.1) < 0.01 and cl.rope_power(0.05, 1.0, 0.1) > 0.99
    assert math.isnan(cl.rope_power(math.nan, 0.5, 0.1))


def test_balancing_rule():
    assert cl.balancing_verdict(True, 0.6, 0.4, "ok", 12).label == cl.SUPPORTED
    v = cl.balancing_verdict(True, 0.01, 0.4, "ok", 12)
    assert v.label == cl.NOT_SUPPORTED and "balanced: more onsets" in v.reason
    assert cl.balancing_verdict(True, 0.6, 0.99, "ok", 12).label == cl.NOT_SUPPORTED
    assert cl.balancing_verdict(False, 0.6, 0.4, "ok", 12).reason.endswith("a threat in every year")
    assert cl.balancing_verdict(True, 0.6, 0.4, "ok", 3).label == cl.TOO_FEW
    # no onset with the adversaries at all (0 decisions) is too few, not "did not balance";
    # nor does a handful of decisions show balancing
    assert cl.balancing_verdict(True, 1.0, 0.1, "ok", 0).label == cl.TOO_FEW
    assert cl.balancing_verdict(True, 0.01, 0.99, "ok", 2).label == cl.TOO_FEW


def test_alliance_types_combine_without_the_unreadable_ones():
    assert cf.combine_types([cl.SUPPORTED, cl.TOO_FEW]) == cl.SUPPORTED
    assert cf.combine_types([cl.TOO_FEW, cl.TOO_FEW]) == cl.TOO_FEW
    assert cf.combine_types([cl.SUPPORTED, cl.NOT_SUPPORTED]) == cl.DEPENDS_TYPE
    assert cf.combine_types([cl.NO_VERDICT, cl.NOT_SUPPORTED, cl.TOO_FEW]) == cl.NOT_SUPPORTED
    assert cf.combine_types([cl.NO_VERDICT]) == cl.NO_VERDICT
    assert cl.balancing_verdict(True, 0.6, 0.4, "failed", 12).label == cl.NO_VERDICT


def test_plan_reads_the_declared_fits(root):
    from alliance_models.models.spec import load_model_specs

    specs = load_model_specs(root / "config" / "models.yaml")
    cfg = {
        "model": "ussr_onset",
        "term": "$disparity",
        "any": "ussr_onset_any",
        "specification": ["ussr_onset_nolargest", {"model": "ussr_onset_sideblind", "term": "common_mid_states"}],
    }
    plan = cp.plan_directional(specs, cfg, "latent")
    assert plan["primary"] == {
        "model": "ussr_onset-latent",
        "term": "log_latent_ratio",
        "axis": "primary",
        "label": "latent",
        "measure": "latent",
        "sample": "own",
        "block": "",
        "terms": "log_latent_ratio",
    }
    axes = pd.DataFrame(plan["strip"])
    meas = axes[axes.axis == "measure"]
    assert set(meas.model) == {f"ussr_onset-{m}-common" for m in ("cinc", "gdp", "milex", "latent")}
    assert set(meas.term) == {"log_cinc_ratio", "log_gdp_ratio", "log_milex_ratio", "log_latent_ratio"}
    samp = axes[axes.axis == "sample"]
    assert len(samp) == 8 and set(samp["sample"]) == {"own", "common"}
    assert axes[axes.axis == "alliance type"].model.tolist() == ["ussr_onset_any-latent"]
    spec = axes[axes.axis == "specification"]
    assert dict(zip(spec.model, spec.term)) == {
        "ussr_onset_nolargest-latent": "log_latent_ratio",
        "ussr_onset_sideblind-latent": "common_mid_states",
    }


def test_a_block_claim_reads_the_block_and_lists_its_terms(root):
    from alliance_models.models.spec import load_model_specs

    specs = load_model_specs(root / "config" / "models.yaml")
    cfg = {
        "model": "ussr_timing",
        "term": "mids_targeted",
        "block": "threat",
        "any": "ussr_timing_any",
        "specification": [
            {"model": "ussr_timing_noclock", "label": "no clock"},
            {"model": "ussr_timing_noclock", "term": "at_war", "label": "no clock, at war"},
        ],
    }
    plan = cp.plan_directional(specs, cfg, "latent")
    block = {s.name: s for s in specs}["ussr_timing"].drop["threat"]
    assert len(block) > 1
    assert plan["primary"]["term"] == "threat" and plan["primary"]["terms"] == ", ".join(block)
    axes = pd.DataFrame(plan["strip"])
    # the primary's terms one by one, on their own axis
    assert axes[axes.axis == "terms"].term.tolist() == block
    # the alliance type reads the same block; a specification naming a term reads that term
    assert axes[axes.axis == "alliance type"].term.tolist() == ["threat"]
    spec = axes[axes.axis == "specification"]
    assert spec.term.tolist() == ["threat", "at_war"] and spec.block.tolist() == ["threat", ""]
    # the no-clock model declares no threat block (nothing would be left): it reads the primary's terms
    assert spec.terms.tolist()[0] == ", ".join(block)


def test_a_block_the_primary_model_does_not_declare_is_refused(root):
    from alliance_models.errors import ConfigError
    from alliance_models.models.spec import load_model_specs

    specs = load_model_specs(root / "config" / "models.yaml")
    with pytest.raises(ConfigError, match="block 'threats' of model 'ussr_timing'.*declares: threat"):
        cp.plan_directional(specs, {"model": "ussr_timing", "term": "at_war", "block": "threats"}, "latent")


def _joint(p_effect, n=30):
    c = cl.Cell("m", "threat", "primary", "l", status="ok", n_decisions=n, block="threat", terms="a, b")
    return c.with_effect(
        {
            "quantity": "probability of y per year",
            "shift": "a 0->1 (0->1); b 1->4 (median->p90)",
            "base": 0.1,
            "shifted": 0.2,
            "pp": 10.0,
            "pp_lo": -1.0,
            "pp_hi": 22.0,
            "rr": 2.0,
            "rr_lo": 0.9,
            "rr_hi": 4.1,
            "p_effect_positive": p_effect,
        }
    )


def test_a_joint_block_is_called_by_its_contrast_not_a_coefficient():
    c = _joint(0.97)
    assert c.joint and c.p_sign == 0.97 and c.call() == cl.POSITIVE
    assert c.text() == "threat block, +10.0 pp [-1.0, +22.0], P(>0) 0.97, 30 decisions"
    assert c.how_much() == "probability of y per year 10% -> 20% (+10.0 pp [-1.0, +22.0]; RR 2 [0.9, 4.1])"
    assert _joint(0.9).call() == cl.UNCLEAR
    # the terms axis is shown, never a split: a signed term beside an unclear block leaves the verdict alone
    term = cl.Cell("m", "a", "terms", "one term", status="ok", n_decisions=30, p_positive=0.99, median=1.0)
    v = cl.directional_verdict(_joint(0.9), [term], +1)
    assert v.label == cl.NOT_SUPPORTED and not v.splits
    v = cl.directional_verdict(_joint(0.99), [term], +1)
    assert v.label == cl.SUPPORTED


def test_finding_says_how_much_and_what_leaving_the_block_out_costs():
    c = _joint(0.97)
    summ = pd.DataFrame(
        {"parameter": ["beta[a]"], "median": [0.3], "eti_5%": [-0.1], "eti_95%": [0.7], "p_positive": [0.9]}
    )
    plan = {
        "primary": {k: getattr(c, k) for k in ("model", "term", "axis", "label", "block", "terms")},
        "strip": [{"model": "m", "term": "a", "axis": "terms", "label": "one term of the block: a"}],
    }
    diag = {"status": "ok", "n_events": 14, "n_decisions": 13, "unit": "signing years"}
    row, strip = cf.assess_directional(
        "threat",
        plan,
        lambda m: (summ, diag),
        effect=lambda cell: None if cell.axis == "terms" else {**vars(c), "p_effect_positive": 0.97},
        elpd=lambda model, block: (1.9, 2.3, "PSIS-LOO; one year left out at a time"),
    )
    assert row["verdict"] == cl.SUPPORTED and row["primary"] == "m, threat block (a, b)"
    assert row["how_much"].startswith("probability of y per year 10% -> 20%")
    text = cf.finding(row, strip)
    assert "How much: probability of y per year 10% -> 20% (+10.0 pp" in text
    assert "from 13 signing years" in text
    assert "the model with the threat block minus the one without: ELPD -1.9 (SE 2.3; PSIS-LOO; one year left" in text
    assert "neither predicts clearly better" in text
    assert "one by one (collinear; not the verdict's basis): a +0.30 [-0.10, +0.70] (unclear)" in text
    # the terms axis is not a robustness cell
    assert "Robustness:" not in text


def test_read_cell_from_a_summary():
    summ = pd.DataFrame(
        {"parameter": ["beta[x]"], "median": [0.3], "eti_5%": [-0.1], "eti_95%": [0.7], "p_positive": [0.9]}
    )
    c = cl.read_cell(
        {"model": "m", "term": "x", "axis": "primary", "label": "l", "measure": "cinc", "sample": "own"},
        summ,
        {"status": "ok", "n_events": 51, "n_decisions": 12},
    )
    assert (c.median, c.lo, c.hi, c.p_positive, c.n_decisions) == (0.3, -0.1, 0.7, 0.9, 12)
    assert c.text() == "+0.30 [-0.10, +0.70], P(>0) 0.90, 12 decisions"
    gone = cl.read_cell(
        {"model": "m", "term": "y", "axis": "primary", "label": "l", "measure": "", "sample": "own"},
        summ,
        {"status": "ok"},
    )
    assert gone.call() == cl.MISSING


def test_robustness_sentence_names_each_cell_once_and_keeps_labels_whole():
    """A cell that sits on two axes (a measure's common-sample fit is on the
    measure and the sample axis) is named once; labels with commas stay
    readable because cells are split by ';' and calls by '|'."""
    rows = [
        {"claim_id": "threat", "role": "primary evidence", "axis": a, "call": c, "label": lab}
        for a, c, lab in [
            ("primary", "unclear", "latent, own sample"),
            ("measure", "too few decisions", "cinc, common sample"),
            ("measure", "too few decisions", "gdp, common sample"),
            ("sample", "too few decisions", "cinc, common sample"),
            ("type", "positive", "any obligation"),
        ]
    ]
    rows.append(
        {"claim_id": "threat", "role": "the seeds' own coding, checked", "axis": "measure", "call": "x", "label": "y"}
    )
    assert cf._strip_sentence(rows, "threat") == (
        "too few decisions under cinc, common sample; gdp, common sample | positive under any obligation"
    )


def test_level_specific_coefficients_are_shown_beside_the_joint_rule():
    """The interaction terms of the level-specific model are read from its
    summary (standardized rows only) and named in the finding, with how many
    have a sign by themselves; the verdict stays the joint rule's."""
    summary = pd.DataFrame(
        {
            "parameter": [
                "beta[x:I(ccode1 == 365)]",
                "beta[z:I(ccode1 == 365)]",
                "beta_orig[x:I(ccode1 == 365)]",
                "beta[x]",
            ],
            "scale": ["standardized", "standardized", "original", "standardized"],
            "median": [0.41, 0.08, 0.2, 1.0],
            "eti_5%": [0.02, -0.01, 0.0, 0.5],
            "eti_95%": [0.78, 0.13, 0.4, 1.5],
            "p_positive": [0.96, 0.93, 0.96, 1.0],
        }
    )
    terms = cf.specific_terms("s", summary, {"status": "ok"}, 365)
    assert [t.label for t in terms] == ["x", "z"] and terms[0].lo == 0.02
    loo = pd.DataFrame(
        {
            "delta_elpd": [-3.2],
            "delta_se": [2.9],
            "full_status": ["ok"],
            "reduced_status": ["ok"],
            "note": ["Pareto k > 0.7: 448 (full), 213 (reduced) rows"],
        }
    )
    d = {"level": 365, "specific_model": "s", "slopes_model": "v", "margin": 0.1, "power_at": 0.5}
    row, nums, text = cf.assess_different(d, {"p_outside": 0.11, "terms": "x"}, loo, ["ok"], {365: "USSR"}, 0.95, terms)
    # x reaches into the margin, z crosses 0: the rule cannot tell
    assert row["verdict"] == cl.INCONCLUSIVE
    assert "x: undecided (its interval excludes 0 but reaches into ±0.1); z: undecided:" in row["why"]
    assert "ΔELPD +3.2 (SE 2.9)" in row["why"]
    assert "x +0.41 [+0.02, +0.78], P(>0) 0.96" in row["note"]
    assert "PSIS-LOO is approximate here (Pareto k > 0.7: 448" in text
    assert [t["label"] for t in nums["specific_terms"]] == ["x", "z"]
    # the power of the rule at a deviation of 0.5, from each deviation's interval width
    sd_x = (0.78 - 0.02) / (2 * 1.6448536)
    assert nums["power"]["x"] == pytest.approx(cl.rope_power(sd_x, 0.5, 0.1, 0.9), abs=1e-9)
    assert nums["power"]["z"] > nums["power"]["x"]  # z is measured more precisely
    assert "would call a true deviation of 0.5 different" in text


def test_default_claims_read_treaties_and_years_with_dyad_years_as_robustness(root):
    """Issue 24: the disparity verdict reads the partner choice (one choice
    set per treaty), the threat verdict the yearly timing model; the
    dyad-year onset models are specification cells, labelled as such."""
    import yaml
    from alliance_models.models.spec import load_model_specs

    specs = load_model_specs(root / "config" / "models.yaml")
    by_name = {s.name: s for s in specs}
    cfg = yaml.safe_load((root / "config" / "config.yaml").read_text())["report"]
    plan = cp.plan_claims(specs, cfg)
    d, t = plan["disparity"], plan["threat"]
    assert (d["primary"]["model"], d["primary"]["term"]) == ("ussr_choice-latent", "log_latent_ratio")
    assert by_name["ussr_choice-latent"].family == "conditional" and by_name["ussr_choice-latent"].unit == "treaties"
    # issue 25: threat is judged as a block (the timing model's threat terms together), its terms listed
    assert (t["primary"]["model"], t["primary"]["term"], t["primary"]["block"]) == ("ussr_timing", "threat", "threat")
    assert t["primary"]["terms"] == "at_war, mids_targeted, log1p_rival_ratio, rival_gain"
    assert [c["term"] for c in t["strip"] if c["axis"] == "terms"] == t["primary"]["terms"].split(", ")
    assert by_name["ussr_timing"].data == "focal_year_ussr" and by_name["ussr_timing"].unit == "signing years"
    # when and with whom are two claims (a referee: the threat verdict mixed them)
    w = plan["threat_partner"]
    assert (w["primary"]["model"], w["primary"]["block"]) == ("ussr_choice-latent", "threat")
    assert not [c for c in t["strip"] if c["model"].startswith(("ussr_choice", "ussr_onset"))]
    for p in (d, w):
        spec_cells = [c for c in p["strip"] if c["axis"] == "specification"]
        robust = [c for c in spec_cells if c["model"] == "ussr_onset-latent"]
        assert len(robust) == 1 and "robustness" in robust[0]["label"]
    # the dyad-year models count decision-years, the case models cases
    assert by_name["ussr_onset-latent"].unit == "decision-years"
    assert by_name["cases_allied-latent"].unit == "cases"


def test_a_cell_names_its_unit_of_evidence():
    summ = pd.DataFrame(
        {"parameter": ["beta[x]"], "median": [0.3], "eti_5%": [-0.1], "eti_95%": [0.7], "p_positive": [0.9]}
    )
    spec = {"model": "m", "term": "x", "axis": "primary", "label": "l", "measure": "latent", "sample": "own"}
    c = cl.read_cell(spec, summ, {"status": "ok", "n_events": 35, "n_decisions": 16, "unit": "treaties"})
    assert c.text() == "+0.30 [-0.10, +0.70], P(>0) 0.90, 16 treaties"
    few = cl.read_cell(spec, summ, {"status": "ok", "n_events": 9, "n_decisions": 6, "unit": "treaties"})
    v = cl.directional_verdict(few, [], +1)
    assert v.label == cl.TOO_FEW and "9 events from 6 treaties" in v.reason


def test_the_seed_coding_and_the_recomputed_one_side_by_side():
    scores = pd.DataFrame(
        {"year": [1954, 1957, 1969], "score": [0.5, 0.75, 1.0], "conclusion": ["+", "+", "+"], "printed": "+"}
    )
    assert cf.threat_present(scores)
    assert cf.threat_codings(scores) == (
        "the seed's Table 4: 1954 +, 1957 +, 1969 +; recomputed from public data: 1954 + (0.50), 1957 + (0.75), "
        "1969 + (1.00)"
    )
    # a year the recomputed coding does not find the threat: the premise fails, whatever the seed printed
    assert not cf.threat_present(scores.assign(conclusion=["-", "+", "+"]))


def test_the_verdict_table_names_each_split_axis_once():
    """The reason names the first split axis ("...; but <axis>: <cells>"); the
    table's "splits" note adds only the others (a referee found it twice)."""
    from alliance_models.report_views import other_splits

    any_ = cell(0.02, "alliance type", "any obligation")
    both = [*common("latent", 0.99), *common("cinc", 0.5), own("latent", 0.99), any_]
    v = verdict(cell(0.99), both)
    joined = "; ".join(f"{a}: {t}" for a, t in v.splits.items())  # as claim_findings writes verdicts.csv
    rest = other_splits(joined, v.reason)
    assert rest.startswith("measure: ") and "alliance type" not in rest
    assert ("; but alliance type: " + v.splits["alliance type"]) in v.reason
    # one split axis: named in the reason, nothing left to add
    one = verdict(cell(0.99), [*common("latent", 0.99), own("latent", 0.99), any_])
    assert other_splits("; ".join(f"{a}: {t}" for a, t in one.splits.items()), one.reason) == ""
    # no split, or a reason that does not name it: unchanged
    assert other_splits(float("nan"), "x") == "" and other_splits("measure: a", "x") == "measure: a"


def test_an_undecided_deviation_that_excludes_zero_is_named_so():
    """The run of 441ed79: common_enemy +0.08 [+0.02, +0.13] against ±0.1 differs
    from 0 but cannot be told from the margin; a referee read the old wording
    ("cannot tell a deviation of that size from none") as wrong for it."""
    v = cl.difference_verdict([_dev("x", -0.24, 0.48), _dev("z", 0.02, 0.13)], "ok", 0.1)
    assert v.label == cl.INCONCLUSIVE
    assert "x: undecided; z: undecided (its interval excludes 0 but reaches into ±0.1)" in v.reason
    assert "from none" not in v.reason and "no deviation is shown to exceed the margin" in v.reason
