"""Small fixture fits for the report tests: synthetic data, fake posteriors.

Everything here is SYNTHETIC (seeded random draws), built to exercise the
report code, never presented as real: toy case and dyad-year tables (real
COW codes only as labels), posteriors drawn around chosen parameter values
with arviz.from_dict (no sampling), and the real pipeline functions for
everything downstream (frequentist fits, summaries, diagnostics gate,
holdout predictions, figures, verdicts, the HTML report).

Chosen truths (what the verdict tests rely on):
  cases_allied-cinc      disparity +, threat +            -> disparity: depends on measurement
  cases_allied-gdp       disparity -, threat +               (cinc positive, gdp negative)
  ussr_termination-*     chains disagree (R-hat >> 1.01)  -> no verdict (fit failed)
  majors_onset-*         USSR (365) disparity slope +1.0 above the others
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
ABB = {2: "USA", 200: "UKG", 220: "FRN", 255: "GMY", 290: "POL", 310: "HUN", 315: "CZE", 339: "ALB", 345: "YUG",
       355: "BUL", 360: "ROM", 365: "RUS", 710: "CHN", 731: "PRK", 740: "JPN", 750: "IND", 816: "DRV", 651: "EGY",
       652: "SYR", 645: "IRQ", 530: "ETH"}

MODELS_YAML = {
    "defaults": {"family": "bernoulli"},
    "models": [
        {"name": "cases_allied", "description": "Toy: allied on disparity and threat.", "data": "cases",
         "outcome": "allied", "formula": "allied ~ $disparity + threat_high",
         "variants": {"disparity": {"cinc": "log_cinc_ratio", "gdp": "log_gdp_ratio"}},
         "drop": {"disparity": ["$disparity"], "threat": ["threat_high"]}, "cluster": "case_id"},
        {"name": "cases_category", "description": "Toy: Table 1 category.", "data": "cases", "outcome": "category",
         "family": "categorical", "categories": ["no_alliance", "affiliation", "unstable_alliance", "strong_alliance"],
         "formula": "category ~ log_cinc_ratio + threat_high",
         "drop": {"disparity": ["log_cinc_ratio"], "threat": ["threat_high"]}, "cluster": "case_id"},
        {"name": "ussr_onset", "description": "Toy: onset.", "data": "dyad_year_toy", "outcome": "atop_defense_onset",
         "formula": "atop_defense_onset ~ $disparity + common_mid_states + mid_prior + tss_rival",
         "subset": "atop_defense == 0 or atop_defense_onset == 1", "group": [{"by": "ccode2", "intercept": True}],
         "variants": {"disparity": {"cinc": "log_cinc_ratio", "gdp": "log_gdp_ratio"}},
         "drop": {"disparity": ["$disparity"], "threat": ["common_mid_states", "mid_prior", "tss_rival"]},
         "cluster": "ccode2"},
        {"name": "ussr_onset_oos", "description": "Toy: fitted before 1970, predicts after.", "data": "dyad_year_toy",
         "outcome": "atop_defense_onset", "formula": "atop_defense_onset ~ log_cinc_ratio + mid_prior",
         "subset": "atop_defense == 0 or atop_defense_onset == 1", "holdout": "year >= 1970", "cluster": "ccode2"},
        {"name": "ussr_termination", "description": "Toy: termination (deliberately failed fits).",
         "data": "dyad_year_toy", "outcome": "atop_defense_end", "formula": "atop_defense_end ~ $change + mid_prior",
         "subset": "atop_defense == 1",
         "variants": {"change": {"cinc": "log_cinc_ratio_change5", "gdp": "log_gdp_ratio_change5"}},
         "drop": {"disparity_change": ["$change"]}, "cluster": "ccode2"},
        {"name": "majors_onset", "description": "Toy: majors with varying slopes.", "data": "dyad_year_toymajors",
         "outcome": "atop_defense_onset", "formula": "atop_defense_onset ~ $disparity + common_mid_states",
         "subset": "major1 == 1 and (atop_defense == 0 or atop_defense_onset == 1)",
         "group": [{"by": "ccode1", "intercept": True, "slopes": ["$disparity", "common_mid_states"]}],
         "variants": {"disparity": {"cinc": "log_cinc_ratio", "gdp": "log_gdp_ratio"}}, "cluster": "dyad_id"},
    ],
}

SETTINGS = {
    "interval": 0.9, "verdict_prob": 0.95, "draws": 100, "loo_draws": 200, "grid_size": 12, "seed": 1,
    "annotate": {"ccode1": 365, "ccode2": 710, "years": [1950, 1954, 1957, 1969]},
    "claims": {
        "disparity": {"model": "cases_allied", "factor": "disparity"},
        "threat": {"model": "cases_allied", "factor": "threat"},
        "narrowing": {"model": "ussr_termination", "factor": "disparity_change"},
        "balancing": {"model": ["ussr_onset"], "focal": 365, "threat_state": 710, "years": [1946, 1991],
                      "threat_panel": "dyad_year_toymajors"},
        "ussr_different": {"model": "majors_onset", "level": 365},
    },
}

# true standardized coefficients per model (missing terms: 0)
TRUTH = {
    "cases_allied-cinc": {"alpha": 1.0, "beta": {"log_cinc_ratio": 0.9, "threat_high": 1.2}},
    "cases_allied-gdp": {"alpha": 1.0, "beta": {"log_gdp_ratio": -0.9, "threat_high": 1.2}},
    "cases_category": {"alpha": [0.5, 0.5, 1.0], "beta": {"log_cinc_ratio": [1.0, -0.8, 0.8],
                                                          "threat_high": [-0.8, 1.0, 1.5]}},
    "ussr_onset-cinc": {"alpha": -3.5, "beta": {"log_cinc_ratio": -0.4, "common_mid_states": 0.5, "mid_prior": 0.3}},
    "ussr_onset-gdp": {"alpha": -3.5, "beta": {"log_gdp_ratio": -0.2, "common_mid_states": 0.5, "mid_prior": 0.3}},
    "ussr_onset_oos": {"alpha": -3.5, "beta": {"log_cinc_ratio": -0.4, "mid_prior": 0.3}},
    "ussr_termination-cinc": {"alpha": -2.0, "beta": {"log_cinc_ratio_change5": -0.5}, "shift": 1.0},
    "ussr_termination-gdp": {"alpha": -2.0, "beta": {"log_gdp_ratio_change5": -0.5}, "shift": 1.0},
    "majors_onset-cinc": {"alpha": -3.0, "beta": {"log_cinc_ratio": -0.2, "common_mid_states": 0.4},
                          "slopes": {"365": {"log_cinc_ratio": 1.0}}},
    "majors_onset-gdp": {"alpha": -3.0, "beta": {"log_gdp_ratio": -0.2, "common_mid_states": 0.4},
                         "slopes": {"365": {"log_gdp_ratio": 1.0}}},
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
    cat = np.where(threat == 1, np.where(high, "strong_alliance", "unstable_alliance"),
                   np.where(high, "affiliation", "no_alliance"))
    flip = rng.random(n) < 0.15
    cat[flip] = rng.choice(["no_alliance", "affiliation", "unstable_alliance", "strong_alliance"], flip.sum())
    return pd.DataFrame({
        "case_id": [f"toy-case-{i:02d}" for i in range(n)], "ccode1": 365, "ccode2": c2.astype("int64"),
        "year": years.astype("int64"), "event": np.where(allied == 1, "formed", "failed"), "allied": allied,
        "category": cat, "threat_high": threat, "log_cinc_ratio": cinc,
        "log_gdp_ratio": cinc + rng.normal(0, 0.5, n),
    })


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
        rows.append({"pillar": "Conclusion", "year": y, "focal": 365, "partner": 710, "computed": "+"})
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
    p = posterior_probabilities(base, md, md.X, groups)          # (S, n) or (S, n, K)
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
        posterior=post, log_likelihood={"y": ll.reshape(chains, draws, n)},
        posterior_predictive={"y": rep.reshape(chains, draws, n)}, observed_data={"y": y},
        sample_stats={"diverging": np.zeros((chains, draws), dtype=bool)}, coords=coords, dims=dims)
    add_original_scale(idata, md)
    idata.attrs.update({"model_spec": md.spec.to_json(), "seed": 1, "sampler": "fake", "n_obs": int(n),
                        "coef_means": json.dumps(md.means.to_dict()), "coef_sds": json.dumps(md.sds.to_dict()),
                        "categories": json.dumps(md.categories), "sampling_seconds": 0.0})
    return idata


def _truth_for(spec) -> dict:
    if spec.name in TRUTH:
        return TRUTH[spec.name]
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
    diag.update({"model": spec.name, "n_obs": int(len(md.y)), "n_dropped": 0, "sampling_seconds": 0.0})
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


def build_project(root: Path, seed: int = 20261123) -> dict:
    """Write the toy data, fits, per-model tables and figures, verdicts, OOS
    scores and the report under ``root``; return the paths."""
    from alliance_models import io, stages
    from alliance_models.models.spec import load_model_specs
    from alliance_models.summaries import claim_models, surface_axes

    rng = np.random.default_rng(seed)
    root = Path(root)
    proc = root / "data" / "processed"
    proc.mkdir(parents=True, exist_ok=True)
    cases = toy_cases(rng)
    io.write_parquet(cases, proc / "cases.parquet")
    io.write_parquet(toy_dyads(rng, [365]), proc / "dyad_year_toy.parquet")
    io.write_parquet(toy_dyads(rng, [2, 200, 365, 710], years=range(1950, 1992, 2)), proc / "dyad_year_toymajors.parquet")
    sy = pd.DataFrame([(c, 1950, a) for c, a in ABB.items()], columns=["ccode", "year", "stateabb"])
    io.write_parquet(sy.astype({"ccode": "int64", "year": "int64"}), proc / "state_year.parquet")
    t4 = root / "reports" / "tables" / "moura_table4.csv"
    t4.parent.mkdir(parents=True, exist_ok=True)
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
    full = [m for m, s in specs.items() if not s.reduced_from]
    reduced = [m for m, s in specs.items() if s.reduced_from]
    fig_dir, tab_dir = root / "reports" / "figures", root / "reports" / "tables" / "models"
    case_models = []
    for m in full:
        s = specs[m]
        res = root / "results" / m
        inputs = {"nc": str(res / "posterior.nc"), "summary": str(res / "summary.csv"),
                  "diagnostics": str(res / "diagnostics.json"), "frequentist": str(res / "frequentist.csv"),
                  "data": path(s.data_path()), "spec": s.to_json()}
        red = [{"label": r.dropped, "name": r.name, "spec": r.to_json(),
                "nc": str(root / "results" / r.name / "posterior.nc"),
                "diagnostics": str(root / "results" / r.name / "diagnostics.json")}
               for r in specs.values() if r.reduced_from == m]
        axes = surface_axes(s, frames[s.data_path()].columns) if s.data == "cases" else None
        case = {"x": axes[0], "y": axes[1], "state_year": path("data/processed/state_year.parquet")} if axes else None
        if case:
            case_models.append(m)
        stages.model_figures(m, inputs, red, SETTINGS, str(fig_dir), str(tab_dir), case)
        if s.holdout:
            stages.predict_holdout(str(res / "posterior.nc"), path(s.data_path()), str(res / "holdout.csv"))
    cmap = claim_models(list(specs.values()), SETTINGS["claims"])
    tabs = root / "reports" / "tables"
    claim_out = {k: str(tabs / f"{k}.csv") for k in ("verdicts", "balancing", "threat_scores", "contrasts")}
    claim_out["numbers"] = str(tabs / "verdict_numbers.json")
    cwd = Path.cwd()
    stages.claims(SETTINGS, cmap, {"results": str(root / "results"), "tables": str(tab_dir), "figures": str(fig_dir)},
                  {m: path(specs[m].data_path()) for rows in cmap.values() for m in (r["name"] for r in rows)},
                  {"table4": str(t4), "threat_panel": path("data/processed/dyad_year_toymajors.parquet"),
                   "state_year": path("data/processed/state_year.parquet")}, claim_out)
    holdouts = [{"name": m, "csv": str(root / "results" / m / "holdout.csv"),
                 "diagnostics": str(root / "results" / m / "diagnostics.json")} for m in full if specs[m].holdout]
    oos_out = {k: str(tabs / f"oos_{k}.csv") for k in ("scores", "worst", "calibration")}
    stages.out_of_sample(holdouts, path("data/processed/state_year.parquet"), str(fig_dir / "oos-calibration"), oos_out)
    paths = {
        "results": str(root / "results"), "figures": str(fig_dir), "model_tables": str(tab_dir),
        "verdicts": claim_out["verdicts"], "balancing": claim_out["balancing"],
        "threat_scores": claim_out["threat_scores"], "contrasts": claim_out["contrasts"],
        "oos_scores": oos_out["scores"], "oos_worst": oos_out["worst"],
        "oos_figure": str(fig_dir / "oos-calibration.png"),
        "slope_figures": [str(fig_dir / f"{r['name']}-slopes.png") for r in cmap["ussr_different"]],
        "case_models": case_models,
        "model_info": {m: {k: getattr(specs[m], k) for k in ("description", "data", "family", "formula", "subset",
                                                             "holdout", "base")} for m in full},
        "benchmarks": str(root / "benchmarks"),
    }
    meta = {"config sha256": "toy", "seed": seed, "data versions": "synthetic fixture",
            "packages": "see environment", "model seeds": {m: 1 for m in specs}}
    outputs = {"html": str(root / "reports" / "index.html"), "md": str(root / "reports" / "summary.md")}
    stages.build_report(full, reduced, SETTINGS, paths, {"Recomputed Table 4 (toy)": str(t4)}, meta, outputs)
    assert Path.cwd() == cwd
    return {"root": root, "specs": specs, "full": full, "reduced": reduced, "case_models": case_models,
            "claims": cmap, "html": Path(outputs["html"]), "md": Path(outputs["md"]), "figures": fig_dir,
            "tables": tabs, "verdicts": Path(claim_out["verdicts"])}


def shared_project(tmp_path_factory) -> dict:
    """Build once per test session (both report test modules use it)."""
    base = tmp_path_factory.getbasetemp() / "report_fixture"
    done = base / ".built"
    if not done.exists():
        info = build_project(base)
        done.write_text("ok")
        return info
    from alliance_models.models.spec import load_model_specs

    specs = {s.name: s for s in load_model_specs(base / "config" / "models.yaml")}
    full = [m for m, s in specs.items() if not s.reduced_from]
    return {"root": base, "specs": specs, "full": full, "reduced": [m for m in specs if m not in full],
            "case_models": [m for m in full if specs[m].data == "cases"], "html": base / "reports" / "index.html",
            "md": base / "reports" / "summary.md", "figures": base / "reports" / "figures",
            "tables": base / "reports" / "tables", "verdicts": base / "reports" / "tables" / "verdicts.csv"}
