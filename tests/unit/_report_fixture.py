"""Small fixture fits and tables for the report tests: everything SYNTHETIC.

Everything here is synthetic (seeded random draws), built to exercise the
report code, never presented as real: toy case and dyad-year tables (real
COW codes only as labels), posteriors drawn around chosen parameter values
with arviz.from_dict (no sampling), the real pipeline functions for the
per-model frames and figures (stages.model_figures.run), the holdout
predictions and the out-of-sample scores (stages.out_of_sample.run, on the toy
holdout model and on two synthetic forecast holdouts), and SYNTHETIC claims
tables: verdicts.csv, robustness.csv, verdict_numbers.json, balancing.csv,
threat_scores.csv and ussr_contrasts.csv in the claims rule's formats, their
directional rows built by the claims module's own functions from synthetic
posterior summaries (:func:`synthetic_read`), the others written here.

Chosen truths (what the tests rely on):
  disparity        cinc positive, gdp negative on the common sample -> depends on measure;
                   the any-obligation cell not fitted, the specification cell failed;
                   the seeds' coding checked on 6 decisions           -> too few decisions to tell
  threat           positive everywhere                                -> supported
  narrowing        the primary fit failed the gate                    -> no verdict (fit failed)
  balancing        a threat every year, no excess onsets              -> supported
  ussr_different   the level's slopes outside the powers'             -> supported
  ussr_termination-* fits: chains disagree (R-hat >> 1.01), failed in the model sections too
  majors_onset-*   level 365's disparity slope +1.0 above the others
A second report (:func:`build_other_focal`) reuses the fits for another
focal state (the United States, COW 2, against Russia, 365) with generic
claim texts.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "workflow"))

THRESHOLDS = {"rhat_max": 1.01, "ess_bulk_min": 400, "ess_tail_min": 400, "divergences_max": 0}
PARTNERS = [2, 200, 220, 255, 290, 310, 315, 339, 345, 355, 360, 710, 731, 740, 750, 816, 651, 652, 645, 530]
ABB = {
    2: "USA",
    200: "UKG",
    220: "FRN",
    255: "GMY",
    290: "POL",
    310: "HUN",
    315: "CZE",
    339: "ALB",
    345: "YUG",
    355: "BUL",
    360: "ROM",
    365: "RUS",
    710: "CHN",
    731: "PRK",
    740: "JPN",
    750: "IND",
    816: "DRV",
    651: "EGY",
    652: "SYR",
    645: "IRQ",
    530: "ETH",
}

MODELS_YAML = {
    "defaults": {"family": "bernoulli"},
    "models": [
        {
            "name": "cases_allied",
            "description": "Toy: allied on disparity and threat.",
            "data": "cases",
            "outcome": "allied",
            "formula": "allied ~ $disparity + threat_high",
            "variants": {"disparity": {"cinc": "log_cinc_ratio", "gdp": "log_gdp_ratio"}},
            "drop": {"disparity": ["$disparity"], "threat": ["threat_high"]},
            "cluster": "case_id",
        },
        {
            "name": "cases_category",
            "description": "Toy: Table 1 category.",
            "data": "cases",
            "outcome": "category",
            "family": "categorical",
            "categories": ["no_alliance", "affiliation", "unstable_alliance", "strong_alliance"],
            "formula": "category ~ log_cinc_ratio + threat_high",
            "drop": {"disparity": ["log_cinc_ratio"], "threat": ["threat_high"]},
            "cluster": "case_id",
        },
        {
            "name": "ussr_onset",
            "description": "Toy: onset.",
            "data": "dyad_year_toy",
            "outcome": "atop_defense_onset",
            "formula": "atop_defense_onset ~ $disparity + common_mid_states + mid_prior + tss_rival",
            "subset": "atop_defense == 0 or atop_defense_onset == 1",
            "group": [{"by": "ccode2", "intercept": True}],
            "variants": {"disparity": {"cinc": "log_cinc_ratio", "gdp": "log_gdp_ratio"}},
            "sample": "common",
            "drop": {"disparity": ["$disparity"], "threat": ["common_mid_states", "mid_prior", "tss_rival"]},
            "cluster": "ccode2",
        },
        {
            "name": "ussr_onset_oos",
            "description": "Toy: fitted before 1970, predicts after.",
            "data": "dyad_year_toy",
            "outcome": "atop_defense_onset",
            "formula": "atop_defense_onset ~ log_cinc_ratio + mid_prior",
            "subset": "atop_defense == 0 or atop_defense_onset == 1",
            "holdout": "year >= 1970",
            "cluster": "ccode2",
        },
        {
            "name": "ussr_termination",
            "description": "Toy: termination (deliberately failed fits).",
            "data": "dyad_year_toy",
            "outcome": "atop_defense_end",
            "formula": "atop_defense_end ~ $change + mid_prior",
            "subset": "atop_defense == 1",
            "variants": {"change": {"cinc": "log_cinc_ratio_change5", "gdp": "log_gdp_ratio_change5"}},
            "drop": {"disparity_change": ["$change"]},
            "cluster": "ccode2",
        },
        {
            "name": "majors_onset",
            "description": "Toy: majors with varying slopes.",
            "data": "dyad_year_toymajors",
            "outcome": "atop_defense_onset",
            "formula": "atop_defense_onset ~ $disparity + common_mid_states",
            "subset": "major1 == 1 and (atop_defense == 0 or atop_defense_onset == 1)",
            "group": [{"by": "ccode1", "intercept": True, "slopes": ["$disparity", "common_mid_states"]}],
            "variants": {"disparity": {"cinc": "log_cinc_ratio", "gdp": "log_gdp_ratio"}},
            "cluster": "dyad_id",
        },
    ],
}

SETTINGS = {
    "interval": 0.9,
    "verdict_prob": 0.95,
    "min_decisions": 10,
    "measure": "cinc",
    "multilateral_min": 5,
    "draws": 100,
    "loo_draws": 200,
    "grid_size": 12,
    "seed": 1,
    "annotate": {"ccode1": 365, "ccode2": 710, "years": [1950, 1954, 1957, 1969]},
    "claims": {
        "disparity": {"model": "ussr_onset", "term": "$disparity", "secondary": "cases_allied"},
        "threat": {
            "model": "ussr_onset",
            "term": "common_mid_states",
            "secondary": {"model": "cases_allied", "term": "threat_high"},
        },
        "narrowing": {"model": "ussr_termination", "term": "$change", "measure": "cinc"},
        "balancing": {
            "model": ["ussr_onset"],
            "focal": 365,
            "threat_state": 710,
            "years": [1946, 1991],
            "threat_panel": "dyad_year_toymajors",
        },
        "ussr_different": {"slopes": "majors_onset", "specific": "majors_onset", "level": 365},
    },
}
ERAS = {365: {"tsarist": [1816, 1917], "soviet": [1922, 1991], "federation": [1992, None]}}

# the other focal state's configuration (same fits, other names)
OTHER = {
    "annotate": {"ccode1": 2, "ccode2": 365, "years": [1950, 1969]},
    "balancing": {
        "model": ["ussr_onset"],
        "focal": 2,
        "threat_state": 365,
        "years": [1946, 1991],
        "threat_panel": "dyad_year_toymajors",
    },
    "level": 2,
}
GENERIC_CLAIMS = {
    "disparity": ("Wider power disparity makes an alliance more likely", "first seed, Table 1"),
    "threat": ("An imminent external threat makes an alliance more likely", "first seed, abstract"),
    "narrowing": ("A narrowing power gap breaks alliances", "first seed, section 3"),
    "balancing": ("The focal state saw the threat state as a threat but did not balance against it", "second seed"),
    "ussr_different": ("The focal state's alliance behaviour differs from the other major powers'", "first seed"),
}

# true standardized coefficients per model (missing terms: 0)
TRUTH = {
    "cases_allied-cinc": {"alpha": 1.0, "beta": {"log_cinc_ratio": 0.9, "threat_high": 1.2}},
    "cases_allied-gdp": {"alpha": 1.0, "beta": {"log_gdp_ratio": -0.9, "threat_high": 1.2}},
    "cases_category": {
        "alpha": [0.5, 0.5, 1.0],
        "beta": {"log_cinc_ratio": [1.0, -0.8, 0.8], "threat_high": [-0.8, 1.0, 1.5]},
    },
    "ussr_onset-cinc": {"alpha": -3.5, "beta": {"log_cinc_ratio": -0.4, "common_mid_states": 0.5, "mid_prior": 0.3}},
    "ussr_onset-gdp": {"alpha": -3.5, "beta": {"log_gdp_ratio": -0.2, "common_mid_states": 0.5, "mid_prior": 0.3}},
    "ussr_onset_oos": {"alpha": -3.5, "beta": {"log_cinc_ratio": -0.4, "mid_prior": 0.3}},
    "ussr_termination-cinc": {"alpha": -2.0, "beta": {"log_cinc_ratio_change5": -0.5}, "shift": 1.0},
    "ussr_termination-gdp": {"alpha": -2.0, "beta": {"log_gdp_ratio_change5": -0.5}, "shift": 1.0},
    "majors_onset-cinc": {
        "alpha": -3.0,
        "beta": {"log_cinc_ratio": -0.2, "common_mid_states": 0.4},
        "slopes": {"365": {"log_cinc_ratio": 1.0}},
    },
    "majors_onset-gdp": {
        "alpha": -3.0,
        "beta": {"log_gdp_ratio": -0.2, "common_mid_states": 0.4},
        "slopes": {"365": {"log_gdp_ratio": 1.0}},
    },
}


# --------------------------------------------------------------------------
# synthetic data


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def toy_cases(rng) -> pd.DataFrame:
    n = 60
    c2 = rng.choice([p for p in PARTNERS if p != 710], n)
    years = rng.integers(1922, 1991, n)
    c2[:5], years[:5] = 710, [1950, 1954, 1957, 1969, 1960]
    cinc = rng.normal(2.0, 1.5, n)
    threat = rng.binomial(1, 0.6, n)
    allied = rng.binomial(1, _sigmoid(0.3 + 0.5 * cinc + 1.0 * threat))
    high = cinc > 1.5
    cat = np.where(
        threat == 1,
        np.where(high, "strong_alliance", "unstable_alliance"),
        np.where(high, "affiliation", "no_alliance"),
    )
    flip = rng.random(n) < 0.15
    cat[flip] = rng.choice(["no_alliance", "affiliation", "unstable_alliance", "strong_alliance"], flip.sum())
    return pd.DataFrame(
        {
            "case_id": [f"toy-case-{i:02d}" for i in range(n)],
            "ccode1": 365,
            "ccode2": c2.astype("int64"),
            "year": years.astype("int64"),
            "event": np.where(allied == 1, "formed", "failed"),
            "allied": allied,
            "category": cat,
            "threat_high": threat,
            "log_cinc_ratio": cinc,
            "log_gdp_ratio": cinc + rng.normal(0, 0.5, n),
        }
    )


def toy_dyads(rng, focal: list[int], years=range(1946, 1992)) -> pd.DataFrame:
    rows = []
    for f in focal:
        for p in PARTNERS + [365]:
            if p == f:
                continue
            for y in years:
                rows.append((f, p, y))
    d = pd.DataFrame(rows, columns=["ccode1", "ccode2", "year"]).astype("int64")
    n = len(d)
    d["dyad_id"] = d["ccode1"] * 1000 + d["ccode2"]
    d["log_cinc_ratio"] = rng.normal(1.5, 1.5, n)
    d["log_gdp_ratio"] = d["log_cinc_ratio"] + rng.normal(0, 0.5, n)
    d["log_cinc_ratio_change5"] = rng.normal(0, 0.2, n)
    d["log_gdp_ratio_change5"] = rng.normal(0, 0.2, n)
    d["common_mid_states"] = rng.poisson(1.0, n).astype(float)
    d["mid_prior"] = rng.binomial(1, 0.1, n).astype(float)
    d["tss_rival"] = rng.binomial(1, 0.05, n).astype(float)
    # focal and China are rivals from 1958 on (the threat years of the balancing claim)
    china = (d["ccode2"] == 710) | (d["ccode1"] == 710) & (d["ccode2"] == 365)
    d.loc[china, "tss_rival"] = (d.loc[china, "year"] >= 1958).astype(float)
    d["atop_defense"] = rng.binomial(1, 0.25, n).astype(float)
    d["atop_defense_onset"] = ((d["atop_defense"] == 0) & (rng.random(n) < 0.03)).astype(float)
    d["atop_defense_end"] = ((d["atop_defense"] == 1) & (rng.random(n) < 0.08)).astype(float)
    d["major1"] = 1.0
    return d


def toy_table4() -> pd.DataFrame:
    rows = []
    codes = {1954: ["+", "+", "-", "-"], 1957: ["+", "+", "+", "-"], 1969: ["+", "+", "+", "+"]}
    for y, cs in codes.items():
        for pillar, c in zip(["Aggregate power", "Proximity", "Offensive capabilities", "Offensive intentions"], cs):
            rows.append({"pillar": pillar, "year": y, "focal": 365, "partner": 710, "computed": c})
        rows.append({"pillar": "Conclusion", "year": y, "focal": 365, "partner": 710, "computed": "+", "printed": "+"})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------
# fake posteriors


def fake_idata(md, truth: dict, rng, chains: int = 2, draws: int = 1000, sd: float = 0.08):
    """InferenceData shaped like bayes.fit_bayes output, draws around ``truth``."""
    import arviz as az
    from alliance_models.models.bayes import _safe, add_original_scale, posterior_probabilities

    names = md.coef_names
    coords = {"coef": names, "obs": np.arange(len(md.y))}
    dims = {"beta": ["coef"], "y": ["obs"]}
    post = {}
    if md.spec.family == "bernoulli":
        post["alpha"] = rng.normal(truth["alpha"], sd, (chains, draws))
        mu = np.array([truth["beta"].get(n, 0.0) for n in names])
        post["beta"] = rng.normal(mu, sd, (chains, draws, len(names)))
        if truth.get("shift"):
            post["beta"][1] += truth["shift"]
            post["alpha"][1] += truth["shift"]
    else:
        K1 = len(md.categories) - 1
        coords["category_free"] = md.categories[1:]
        dims.update({"alpha": ["category_free"], "beta": ["coef", "category_free"]})
        post["alpha"] = rng.normal(truth["alpha"], sd, (chains, draws, K1))
        mu = np.array([truth["beta"].get(n, [0.0] * K1) for n in names])
        post["beta"] = rng.normal(mu, sd, (chains, draws, len(names), K1))
    for g in md.groups:
        dim = f"{g['by']}_level"
        coords[dim] = g["levels"]
        L = len(g["levels"])
        if g["intercept"]:
            post[f"a_{g['by']}"] = rng.normal(0, 0.3, L) + rng.normal(0, sd, (chains, draws, L))
            post[f"sd_a_{g['by']}"] = np.abs(rng.normal(0.3, 0.02, (chains, draws)))
            dims[f"a_{g['by']}"] = [dim]
        for s in g["slopes"]:
            dev = np.array([truth.get("slopes", {}).get(lev, {}).get(s, 0.0) for lev in g["levels"]])
            dev = dev - dev.mean()
            post[f"b_{g['by']}_{_safe(s)}"] = dev + rng.normal(0, sd, (chains, draws, L))
            post[f"sd_b_{g['by']}_{_safe(s)}"] = np.abs(rng.normal(0.5, 0.02, (chains, draws)))
            dims[f"b_{g['by']}_{_safe(s)}"] = [dim]
    base = az.from_dict(posterior=post, coords=coords, dims=dims)
    groups = {g["by"]: np.asarray(g["levels"])[g["codes"]] for g in md.groups}
    p = posterior_probabilities(base, md, md.X, groups)  # (S, n) or (S, n, K)
    y = np.asarray(md.y)
    if p.ndim == 2:
        ll = np.where(y == 1, np.log(p), np.log1p(-p))
        rep = (rng.random(p.shape) < p).astype("int64")
    else:
        ll = np.log(p[:, np.arange(len(y)), y])
        cum = p.cumsum(axis=2)
        rep = (rng.random(p.shape[:2])[:, :, None] > cum).sum(axis=2).astype("int64")
    S, n = ll.shape
    idata = az.from_dict(
        posterior=post,
        log_likelihood={"y": ll.reshape(chains, draws, n)},
        posterior_predictive={"y": rep.reshape(chains, draws, n)},
        observed_data={"y": y},
        sample_stats={"diverging": np.zeros((chains, draws), dtype=bool)},
        coords=coords,
        dims=dims,
    )
    add_original_scale(idata, md)
    idata.attrs.update(
        {
            "model_spec": md.spec.to_json(),
            "seed": 1,
            "sampler": "fake",
            "n_obs": int(n),
            "coef_means": json.dumps(md.means.to_dict()),
            "coef_sds": json.dumps(md.sds.to_dict()),
            "categories": json.dumps(md.categories),
            "sampling_seconds": 0.0,
        }
    )
    return idata


def _truth_for(spec) -> dict:
    if spec.name in TRUTH:
        return TRUTH[spec.name]
    if spec.variant.get("sample") == "common":  # a common-sample refit: its model's truth
        return TRUTH[spec.name.removesuffix("-common")]
    full = TRUTH[spec.reduced_from]
    return dict(full, shift=0.0)


# --------------------------------------------------------------------------
# the project


def write_results(spec, frame, out: Path, rng) -> None:
    """results/<model>/: posterior.nc, summary.csv, diagnostics.json, frequentist.csv."""
    from alliance_models import io
    from alliance_models.models.bayes import summarize
    from alliance_models.models.diagnostics import diagnose
    from alliance_models.models.logit import fit_frequentist
    from alliance_models.models.matrix import build_model_data

    md = build_model_data(spec, frame)
    idata = fake_idata(md, _truth_for(spec), rng)
    diag = diagnose(idata, THRESHOLDS)
    diag.update(
        {
            "model": spec.name,
            "n_obs": int(len(md.y)),
            "n_dropped": 0,
            "sampling_seconds": 0.0,
            "n_events": int(md.y.sum()) if spec.family == "bernoulli" else None,
            "n_decisions": md.n_decisions,
        }
    )
    # SYNTHETIC sampler telemetry, shaped as models.bayes.fit_until_gate records it
    par = {g["by"]: {"(intercept)": "noncentered"} for g in md.groups}

    def attempt(i, target, status):
        return {
            "attempt": i,
            "target_accept": target,
            "parameterization": par,
            "seconds": 8.0,
            "timing": {"compile": 2.0, "nuts": 5.0, "predictive": 1.0},
            "status": status,
            "reasons": diag["reasons"] if status != "ok" else [],
            "divergences": 0,
            "draws": 1000,
            "mean_leapfrog_steps": 15.0,
            "tree_depth_hits": 0,
            "step_size": [0.31, 0.29],
            "mean_acceptance": 0.91,
        }

    diag["attempts"] = (
        [attempt(1, 0.9, "failed"), attempt(2, 0.99, "failed")] if diag["status"] != "ok" else [attempt(1, 0.9, "ok")]
    )
    idata.attrs["diagnostics_status"] = diag["status"]
    d = out / spec.name
    d.mkdir(parents=True, exist_ok=True)
    idata.to_netcdf(str(d / "posterior.nc"), engine="h5netcdf")
    summ = summarize(idata)
    summ.insert(0, "fit_status", diag["status"])
    summ.insert(0, "model", spec.name)
    io.write_csv(summ, d / "summary.csv")
    io.write_json(diag, d / "diagnostics.json")
    tidy, _ = fit_frequentist(md)
    io.write_csv(tidy, d / "frequentist.csv")


# --------------------------------------------------------------------------
# SYNTHETIC claims tables, in the claims rule's formats


def _cell(model, term, axis, label, measure, sample="own"):
    return {"model": model, "term": term, "axis": axis, "label": label, "measure": measure, "sample": sample}


def _strip(model, term, any_model=None, spec_model=None):
    """The robustness cells of an onset-model claim: both measures on the
    common sample, each on its own sample, alliance type, specification."""
    t = {"cinc": term.replace("$", "log_cinc_ratio"), "gdp": term.replace("$", "log_gdp_ratio")}
    out = [_cell(f"{model}-{m}-common", t[m], "measure", f"{m}, common sample", m, "common") for m in ("cinc", "gdp")]
    out += [_cell(f"{model}-{m}", t[m], "sample", f"{m}, own sample", m) for m in ("cinc", "gdp")]
    out += [_cell(f"{model}-{m}-common", t[m], "sample", f"{m}, common sample", m, "common") for m in ("cinc", "gdp")]
    if any_model:
        out.append(_cell(f"{any_model}-cinc", t["cinc"], "alliance type", "any obligation", "cinc"))
    if spec_model:
        out.append(
            _cell(f"{spec_model}-cinc", t["cinc"], "specification", "without the largest multilateral cluster", "cinc")
        )
    return out


PLANS = {
    "disparity": {
        "primary": _cell("ussr_onset-cinc", "log_cinc_ratio", "primary", "cinc", "cinc"),
        "strip": _strip("ussr_onset", "$", "ussr_onset_any", "ussr_onset_nolargest"),
        "secondary": {
            "primary": _cell("cases_allied-cinc", "log_cinc_ratio", "primary", "cinc", "cinc"),
            "strip": [_cell("cases_allied-gdp", "log_gdp_ratio", "measure", "gdp", "gdp")],
        },
    },
    "threat": {
        "primary": _cell("ussr_onset-cinc", "common_mid_states", "primary", "cinc", "cinc"),
        "strip": _strip("ussr_onset", "common_mid_states"),
        "secondary": {"primary": _cell("cases_allied-cinc", "threat_high", "primary", "cinc", "cinc"), "strip": []},
    },
    "narrowing": {
        "primary": _cell("ussr_termination-cinc", "log_cinc_ratio_change5", "primary", "cinc", "cinc"),
        "strip": [_cell("ussr_termination-gdp", "log_gdp_ratio_change5", "measure", "gdp", "gdp")],
    },
}

# SYNTHETIC posterior summaries: (model, term) -> (median, P(> 0)); per model status, events, decisions
SUMMARIES = {
    ("ussr_onset-cinc", "log_cinc_ratio"): (0.41, 0.99),
    ("ussr_onset-gdp", "log_gdp_ratio"): (-0.35, 0.02),
    ("ussr_onset-cinc-common", "log_cinc_ratio"): (0.44, 0.99),
    ("ussr_onset-gdp-common", "log_gdp_ratio"): (-0.38, 0.01),
    ("ussr_onset_nolargest-cinc", "log_cinc_ratio"): (0.2, 0.8),
    ("cases_allied-cinc", "log_cinc_ratio"): (0.1, 0.6),
    ("cases_allied-gdp", "log_gdp_ratio"): (0.3, 0.9),
    ("cases_allied-cinc", "threat_high"): (1.1, 0.995),
    ("ussr_termination-cinc", "log_cinc_ratio_change5"): (-0.4, 0.2),
    ("ussr_termination-gdp", "log_gdp_ratio_change5"): (-0.3, 0.25),
}
for _m in ("ussr_onset-cinc", "ussr_onset-gdp", "ussr_onset-cinc-common", "ussr_onset-gdp-common"):
    SUMMARIES[(_m, "common_mid_states")] = (0.5, 0.995)
FITS = {
    "ussr_onset-cinc": ("ok", 54, 12),
    "ussr_onset-gdp": ("ok", 50, 11),
    "ussr_onset-cinc-common": ("ok", 48, 11),
    "ussr_onset-gdp-common": ("ok", 48, 11),
    "ussr_onset_nolargest-cinc": ("failed", 36, 11),
    "cases_allied-cinc": ("ok", 35, 60),
    "cases_allied-gdp": ("ok", 35, 60),
    "ussr_termination-cinc": ("failed", 30, 20),
    "ussr_termination-gdp": ("failed", 30, 20),
}


def synthetic_read(model):
    """(summary, diagnostics) of a SYNTHETIC fit, as claim_findings.assess_directional reads them."""
    if model not in FITS:
        return None, None
    status, events, decisions = FITS[model]
    rows = [
        {"parameter": f"beta[{t}]", "median": med, "p_positive": p, "eti_5%": med - 0.3, "eti_95%": med + 0.3}
        for (m, t), (med, p) in SUMMARIES.items()
        if m == model
    ]
    return pd.DataFrame(rows), {"status": status, "n_events": events, "n_decisions": decisions}


def write_claims_tables(out: Path, fits: dict, settings: dict, generic: bool = False) -> None:
    """verdicts.csv, robustness.csv, verdict_numbers.json, balancing.csv,
    threat_scores.csv and ussr_contrasts.csv (SYNTHETIC numbers; the
    directional rows from the claims module's functions). ``fits``: the
    fixture's varying-slopes fit (idata, spec, status) for the contrasts.
    ``generic``: claim texts without any state's name."""
    from alliance_models import balancing as bal
    from alliance_models import claim_findings as cf
    from alliance_models import claims as cl
    from alliance_models import io, registry
    from alliance_models import slopes as sl

    cfg = settings["claims"]
    out.mkdir(parents=True, exist_ok=True)

    def texts(cid):
        if generic:
            c, s = GENERIC_CLAIMS[cid]
            return {"claim": c, "seed": s, "reads": "the claim's quantity in the primary fit (synthetic)"}
        return {k: cl.CLAIMS[cid][k] for k in ("claim", "seed", "reads")}

    def swap(text, cid):
        if not generic:
            return text
        return text.replace(cl.CLAIMS[cid]["claim"], GENERIC_CLAIMS[cid][0]).replace(
            cl.CLAIMS[cid]["seed"], GENERIC_CLAIMS[cid][1]
        )

    rows, strip, findings = [], [], {}
    for cid, plan in PLANS.items():
        row, cells = cf.assess_directional(
            cid, plan, synthetic_read, settings["verdict_prob"], settings["min_decisions"], settings["interval"]
        )
        findings[cid] = swap(cf.finding(row, cells), cid)
        row.update(texts(cid))
        rows.append(row)
        strip += cells

    focal, threat = cfg["balancing"]["focal"], cfg["balancing"]["threat_state"]
    scores = bal.threat_scores(toy_table4())
    score_text = " -> ".join(f"{int(y)}: {v:.2f}" for y, v in zip(scores["year"], scores["score"]))
    bal = []
    for outcome, onsets, expected in (("atop_defense_onset", 14, 15.2), ("atop_any_onset", 21, 22.8)):
        r = {
            "model": f"{'ussr_onset' if outcome.startswith('atop_def') else 'ussr_onset_any'}-cinc--drop-threat",
            "fit_status": "ok",
            "focal": focal,
            "threat_state": threat,
            "years": "1958-1991",
            "n_threat_years": 34,
            "multilateral_years": "1962",
            "multilateral_onsets_excluded": 2,
            "n_adv": 410,
            "onsets_adv": onsets,
            "onsets_adv_new": onsets - 3,
            "onsets_adv_deepening": 3,
            "adv_partners": "2 1960, 200 1964, 220 1971, 740 1978",
            "decisions_adv": 12,
            "n_other": 2900,
            "onsets_other": 110,
            "interval": 0.9,
            "renewals_not_in_atop": "toy-case-07 (290, 1966)",
            "expected_adv_mean": expected,
            "rep_adv_lo": expected - 6,
            "rep_adv_hi": expected + 6,
            "p_rep_ge_obs": 0.64,
            "rate_adv": onsets / 410,
            "rate_other": 110 / 2900,
            "p_rate_adv_gt_other": 0.31,
        }
        v = cl.balancing_verdict(True, r["p_rep_ge_obs"], r["p_rate_adv_gt_other"], "ok", r["decisions_adv"])
        why = (
            ("a threat; no more onsets with the threat state's adversaries than the no-threat baseline predicts")
            if generic
            else v.reason
        )
        r.update(verdict=v.label, why=why, outcome=outcome)
        bal.append(r)
    rows.append(
        {
            "claim_id": "balancing",
            **texts("balancing"),
            "verdict": bal[0]["verdict"],
            "why": " | ".join(f"{r['outcome']}: {r['why']}" for r in bal),
            "primary": ", ".join(r["model"] for r in bal) + " (baselines without the threat terms)",
            "estimate": " | ".join(cf.balancing_text(r) for r in bal),
            "n_events": bal[0]["onsets_adv"],
            "n_decisions": bal[0]["decisions_adv"],
            "splits": "",
            "note": f"recomputed threat score {score_text}",
        }
    )
    findings["balancing"] = (
        f"**{rows[-1]['claim']}** ({rows[-1]['seed']}): **{rows[-1]['verdict']}**. The "
        f"recomputed threat score rose ({score_text}); {bal[0]['onsets_adv']} onsets with the "
        f"threat state's adversaries against {bal[0]['expected_adv_mean']:.1f} expected "
        "(synthetic)."
    )

    idata, spec, status = fits["slopes"]
    level = cfg["ussr_different"]["level"]
    contrasts = sl.group_slope_contrasts(idata, spec, level, settings["interval"], status)
    dev = cl.Cell(model="s", term="x", axis="specification", label="x", status="ok", lo=0.3, hi=0.9)
    v = cl.difference_verdict([dev], "ok", 0.1, 6.2, 2.1, 0.93, "the level")
    why = (
        (
            "ΔELPD +6.2 (SE 2.1) for the level's own slopes; P(the level outside the central 90% of the powers' "
            "slopes) 0.93"
        )
        if generic
        else v.reason
    )
    rows.append(
        {
            "claim_id": "ussr_different",
            **texts("ussr_different"),
            "verdict": v.label,
            "why": why,
            "primary": f"{spec.name} vs its drop refit; {spec.name}",
            "estimate": "ΔELPD +6.2 (SE 2.1); P(outside) 0.93 (synthetic)",
            "n_events": None,
            "n_decisions": None,
            "splits": "",
            "note": "synthetic row",
        }
    )
    findings["ussr_different"] = f"**{rows[-1]['claim']}** ({rows[-1]['seed']}): **{v.label}**. {why}."

    io.write_csv(pd.DataFrame(rows), registry.table("verdicts").path(out))
    io.write_csv(pd.DataFrame(strip), registry.table("robustness").path(out))
    io.write_json({"findings": findings, "rows": rows}, registry.table("numbers").path(out))
    io.write_csv(pd.DataFrame(bal), registry.table("balancing").path(out))
    io.write_csv(scores, registry.table("threat_scores").path(out))
    io.write_csv(contrasts, registry.table("contrasts").path(out))


def synthetic_forecast(rng, variant: str) -> pd.DataFrame:
    """A SYNTHETIC holdout frame of a forecast: one focal state's later era,
    predicted by a model of the earlier one (some partners under-, some
    over-predicted)."""
    rows = [(365, c, y) for c in PARTNERS for y in range(1992, 2017)]
    d = pd.DataFrame(rows, columns=["ccode1", "ccode2", "year"])
    base = -3.2 if variant == "defense" else -2.6
    eff = {c: rng.normal(0, 0.8) for c in PARTNERS}
    d["p_mean"] = _sigmoid(base + d["ccode2"].map(eff))
    truth = _sigmoid(base + 0.4 + 1.5 * d["ccode2"].map(eff) + rng.normal(0, 0.5, len(d)))
    d["observed"] = (rng.random(len(d)) < truth).astype(int)
    d["p_lo90"], d["p_hi90"] = d["p_mean"] * 0.5, np.minimum(d["p_mean"] * 1.8, 1)
    d["era"], d["decision"] = "federation", d["ccode1"] * 10000 + d["year"]
    d["train_base_rate"] = 0.03 if variant == "defense" else 0.06
    return d


# --------------------------------------------------------------------------
# the project


def build_project(root: Path, seed: int = 20261123) -> dict:
    """Write the toy data, fits, per-model tables and figures, the synthetic
    claims tables, the OOS scores and the report under ``root``; then the
    other focal state's report under ``root/other``. Return the paths."""
    from alliance_models import io, plots, registry
    from alliance_models import slopes as sl
    from alliance_models import summaries as sm
    from alliance_models.case_frames import surface_axes
    from alliance_models.models.spec import load_model_specs
    from alliance_models.stages import model_figures, out_of_sample, predict_holdout, report

    rng = np.random.default_rng(seed)
    root = Path(root)
    proc = root / "data" / "processed"
    proc.mkdir(parents=True, exist_ok=True)
    cases = toy_cases(rng)
    io.write_parquet(cases, proc / "cases.parquet")
    io.write_parquet(toy_dyads(rng, [365]), proc / "dyad_year_toy.parquet")
    io.write_parquet(
        toy_dyads(rng, [2, 200, 365, 710], years=range(1950, 1992, 2)), proc / "dyad_year_toymajors.parquet"
    )
    sy = pd.DataFrame([(c, 1950, a) for c, a in ABB.items()], columns=["ccode", "year", "stateabb"])
    state_year = proc / "state_year.parquet"
    io.write_parquet(sy.astype({"ccode": "int64", "year": "int64"}), state_year)
    tabs = root / "reports" / "tables"
    tabs.mkdir(parents=True, exist_ok=True)
    t4 = tabs / "moura_table4.csv"
    io.write_csv(toy_table4(), t4)
    (root / "config").mkdir(exist_ok=True)
    (root / "config" / "models.yaml").write_text(yaml.safe_dump(MODELS_YAML, sort_keys=False))
    specs = {s.name: s for s in load_model_specs(root / "config" / "models.yaml")}

    def path(p):
        return str(root / p)

    frames = {}
    for s in specs.values():
        if s.data_path() not in frames:
            frames[s.data_path()] = pd.read_parquet(path(s.data_path()))
        write_results(s, frames[s.data_path()], root / "results", rng)
    shown = registry.shown_in_full(specs.values())
    reduced = [m for m, s in specs.items() if s.reduced_from]
    refits = [m for m, s in specs.items() if not s.reduced_from and m not in shown]
    fig_dir, tab_dir = root / "reports" / "figures", tabs / "models"
    case_models = []
    for m in shown:
        s = specs[m]
        res = root / "results" / m
        inputs = {
            "nc": str(res / "posterior.nc"),
            "summary": str(res / "summary.csv"),
            "diagnostics": str(res / "diagnostics.json"),
            "frequentist": str(res / "frequentist.csv"),
            "data": path(s.data_path()),
            "spec": s.to_json(),
        }
        red = [
            {
                "label": r.dropped,
                "name": r.name,
                "spec": r.to_json(),
                "nc": str(root / "results" / r.name / "posterior.nc"),
                "diagnostics": str(root / "results" / r.name / "diagnostics.json"),
            }
            for r in specs.values()
            if r.reduced_from == m
        ]
        axes = surface_axes(s, frames[s.data_path()].columns) if s.data == "cases" else None
        case = {"x": axes[0], "y": axes[1], "state_year": str(state_year)} if axes else None
        if case:
            case_models.append(m)
        model_figures.run(m, inputs, red, SETTINGS, str(fig_dir), str(tab_dir), case)
        if s.holdout:
            predict_holdout.run(str(res / "posterior.nc"), path(s.data_path()), str(res / "holdout.csv"))

    # the varying-slopes figure (the claims rule draws it) and the synthetic claims tables
    slopes = "majors_onset-cinc"
    idata = sm.open_idata(root / "results" / slopes / "posterior.nc")
    status = json.loads((root / "results" / slopes / "diagnostics.json").read_text())["status"]
    names = sm.state_names(sy)
    plots.save(
        plots.group_slopes(
            sl.group_slopes(idata, specs[slopes], 0.9, status),
            "365",
            f"{slopes}: effects by focal state",
            names,
            status != "ok",
        ),
        registry.figure("slopes").pattern(fig_dir).format(model=slopes),
    )
    fits = {"slopes": (idata, specs[slopes], status)}
    write_claims_tables(tabs, fits, SETTINGS)

    # out of sample: the toy holdout model and two SYNTHETIC forecasts
    holdouts = [
        {
            "name": m,
            "csv": str(root / "results" / m / "holdout.csv"),
            "diagnostics": str(root / "results" / m / "diagnostics.json"),
            "description": specs[m].description,
        }
        for m in shown
        if specs[m].holdout
    ]
    forecasts = []
    for variant in ("defense", "any"):
        name = f"ussr_forecast-{variant}"
        d = root / "results" / name
        d.mkdir(parents=True, exist_ok=True)
        io.write_csv(synthetic_forecast(rng, variant), d / "holdout.csv")
        io.write_json({"status": "ok"}, d / "diagnostics.json")
        holdouts.append(
            {
                "name": name,
                "csv": str(d / "holdout.csv"),
                "diagnostics": str(d / "diagnostics.json"),
                "description": "Yu's forecast for post-Soviet Russia: SYNTHETIC holdout rows of the later "
                "era, predicted by a toy model of the earlier one.",
            }
        )
        forecasts.append(name)
    oos_out = {k: registry.table(f"oos_{k}").path(tabs) for k in ("scores", "worst", "calibration", "partners")}
    out_of_sample.run(
        holdouts, str(state_year), registry.figure("oos-calibration").pattern(fig_dir), oos_out, n_boot=200, seed=1
    )

    info = {
        m: {k: getattr(specs[m], k) for k in ("description", "data", "family", "formula", "subset", "holdout", "base")}
        for m in shown
    }
    paths = {
        "results": str(root / "results"),
        "figures": str(fig_dir),
        "model_tables": str(tab_dir),
        "tables": str(tabs),
        "benchmarks": str(root / "benchmarks"),
        "case_models": case_models,
        "slope_models": [slopes],
        "forecast_models": forecasts,
        "refits": refits,
        "model_info": info,
        "state_year": str(state_year),
        "eras": ERAS,
    }
    meta = {
        "config sha256": "toy",
        "seed": seed,
        "data versions": "synthetic fixture",
        "packages": "see environment",
        "model seeds": {m: 1 for m in specs},
    }
    outputs = {"html": str(root / "reports" / "index.html"), "md": str(root / "reports" / "summary.md")}
    cwd = Path.cwd()
    report.run(shown, reduced, SETTINGS, paths, {"Recomputed Table 4 (toy)": str(t4)}, meta, outputs)
    assert Path.cwd() == cwd
    build_other_focal(root, paths, shown, reduced, fits, meta)
    return _info(root, specs)


def other_settings() -> dict:
    import copy

    s = copy.deepcopy(SETTINGS)
    s["annotate"] = OTHER["annotate"]
    s["claims"]["balancing"] = OTHER["balancing"]
    s["claims"]["ussr_different"]["level"] = OTHER["level"]
    return s


def build_other_focal(root: Path, paths: dict, shown, reduced, fits, meta) -> None:
    """The same fits reported for another focal state (the United States,
    COW 2, against Russia, 365): other settings, generic claim texts, the
    out-of-sample tables with a generic forecast description."""
    from alliance_models import registry
    from alliance_models.stages import report

    out = root / "other"
    tabs = out / "tables"
    settings = other_settings()
    write_claims_tables(tabs, fits, settings, generic=True)
    for key in ("oos_scores", "oos_worst", "oos_calibration", "oos_partners"):
        df = pd.read_csv(registry.table(key).path(paths["tables"]))
        if "description" in df:
            df["description"] = [
                "The forecast for the later era: synthetic holdout rows." if "forecast" in m else d
                for m, d in zip(df["model"], df["description"])
            ]
        df.to_csv(registry.table(key).path(tabs), index=False)
    other_paths = dict(paths, tables=str(tabs), eras={})
    report.run(
        shown,
        reduced,
        settings,
        other_paths,
        {},
        meta,
        {"html": str(out / "index.html"), "md": str(out / "summary.md")},
    )


def _info(root: Path, specs: dict) -> dict:
    from alliance_models import registry

    shown = registry.shown_in_full(specs.values())
    return {
        "root": root,
        "specs": specs,
        "full": shown,
        "shown": shown,
        "reduced": [m for m, s in specs.items() if s.reduced_from],
        "refits": [m for m, s in specs.items() if not s.reduced_from and m not in shown],
        "case_models": [m for m in shown if specs[m].data == "cases"],
        "html": root / "reports" / "index.html",
        "md": root / "reports" / "summary.md",
        "figures": root / "reports" / "figures",
        "tables": root / "reports" / "tables",
        "verdicts": root / "reports" / "tables" / "verdicts.csv",
        "slope_models": ["majors_onset-cinc"],
        "other_html": root / "other" / "index.html",
        "other_md": root / "other" / "summary.md",
        "forecasts": ["ussr_forecast-defense", "ussr_forecast-any"],
    }


def shared_project(tmp_path_factory) -> dict:
    """Build once per test session (both report test modules use it)."""
    base = tmp_path_factory.getbasetemp() / "report_fixture"
    done = base / ".built"
    if not done.exists():
        build_project(base)
        done.write_text("ok")
    from alliance_models.models.spec import load_model_specs

    return _info(base, {s.name: s for s in load_model_specs(base / "config" / "models.yaml")})


def toy_cases_fit(tmp_dir, draws: int):
    """A Fit of cases_allied-cinc (MODELS_YAML) on the toy cases with a fake
    posterior around TRUTH: for tests of what is computed from a fit."""
    from alliance_models import summaries as sm
    from alliance_models.models.matrix import build_model_data
    from alliance_models.models.spec import load_model_specs

    p = Path(tmp_dir) / "models.yaml"
    p.write_text(yaml.safe_dump(MODELS_YAML))
    spec = {s.name: s for s in load_model_specs(p)}["cases_allied-cinc"]
    frame = toy_cases(np.random.default_rng(3))
    md = build_model_data(spec, frame)
    idata = fake_idata(md, TRUTH["cases_allied-cinc"], np.random.default_rng(0), draws=draws)
    return sm.Fit(spec.name, idata, md, frame, "ok", {"status": "ok"})
