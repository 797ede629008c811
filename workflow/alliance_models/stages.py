"""One function per pipeline stage: read the inputs, call the logic, write outputs.

Rule scripts call exactly one of these; tests call them without Snakemake.
All writes are atomic (see :mod:`.io`).
"""

from __future__ import annotations

import json
import logging

import numpy as np
import pandas as pd

from . import io, registry
from .data import maddison, nmc, polity, states
from .data.state_year import UNITS, build_state_year
from .fetch import fetch_source
from .provenance import table_meta, write_meta
from .sources import read_source

log = logging.getLogger(__name__)


def fetch(name: str, source: dict, output: str, mirror: str | None) -> None:
    fetch_source(name, source, output, mirror or None)


def state_year(inputs: dict, sources: dict, output: str, start: int, end: int,
               capabilities: str, max_gap: int) -> None:
    """Build data/processed/state_year.parquet from NMC, COW states, Maddison and Polity5."""
    spells = states.load_system(inputs["cow_states"], sources["cow_states"]["object"])
    n7 = nmc.clean_nmc7(read_source(inputs["nmc7"], sources["nmc7"]), inputs["nmc7"])
    n6 = nmc.clean_nmc6(read_source(inputs["nmc6"], sources["nmc6"]), inputs["nmc6"])
    mapping = maddison.load_mapping(inputs["mapping"])
    gdp = maddison.clean_maddison(
        read_source(inputs["maddison"], sources["maddison"]), mapping, inputs["maddison"], max_gap
    )
    pol = polity.clean_polity5(read_source(inputs["polity5"], sources["polity5"]), inputs["polity5"])
    df = build_state_year(spells, n7, n6, gdp, start, end, capabilities, pol)
    io.write_parquet(df, output)
    versions = {"capabilities": df["cap_source"].iloc[0], "gdp": "Maddison Project Database 2023",
                "membership": "COW State System Membership v2016", "regime": "Polity5 (Marshall & Gurr 2020)"}
    write_meta(output, table_meta(df, inputs.values(), UNITS, keys=["ccode", "year"],
                                  sources=versions))


def latent_capability(state_year_path: str, settings: dict, out_table: str, out_diagnostics: str) -> None:
    """Fit the latent capability measurement model on the state-year table;
    write each state-year's posterior mean and sd and the fit's diagnostics."""
    from .data.latent import fit_latent_capability

    sy = io.read_parquet(state_year_path)
    table, diag = fit_latent_capability(sy, settings["indicators"], settings["anchor"], smooth=settings["smooth"],
                                        multistart=settings["multistart"])
    log.info("latent capability: %d state-years, loadings %s, error sd %s, converged %s in %d iterations (%.1f s)",
             len(table), diag["loadings"], diag["error_sd"], diag["converged"], diag["iterations"], diag["seconds"])
    io.write_parquet(table, out_table)
    write_meta(out_table, table_meta(table, [state_year_path], {
        "latent_mean": f"posterior mean of the state-year's latent log capability (scale: log {settings['anchor']})",
        "latent_sd": "its posterior sd (given the fitted loadings, intercepts and error scales)",
        "n_indicators": "indicators observed in the state-year"}, keys=["ccode", "year"], model=dict(settings)))
    io.write_json(diag, out_diagnostics)


def latent_figures(inputs: dict, settings: dict, outputs: dict, seed_dir: str | None = None) -> None:
    """The latent capability of the states in ``settings['states']`` over
    time, the indicators' loadings, and the focal dyad's latent ratio in the
    annotated years beside the measured ratios and the seed's nominal one."""
    import json

    from . import plots, summaries as sm
    from .cases import seed_gdp_levels
    from .data.latent import capability_series, loadings_table, ratio_comparison

    table = io.read_parquet(inputs["latent"])
    names = sm.state_names(pd.read_parquet(inputs["state_year"], columns=["ccode", "year", "stateabb"]))
    series = capability_series(table, settings["states"], names)
    panel = pd.read_parquet(inputs["panel"])
    seed = seed_gdp_levels(seed_dir) if seed_dir else None
    ratios = ratio_comparison(panel, settings["focal"], settings["partner"], settings["years"], seed)
    io.write_csv(series, outputs["series"])
    io.write_csv(loadings_table(json.loads(open(inputs["diagnostics"]).read())), outputs["loadings"])
    io.write_csv(ratios, outputs["ratios"])
    f, p = names.get(int(settings["focal"]), settings["focal"]), names.get(int(settings["partner"]), settings["partner"])
    plots.save(plots.latent_capability(series, ratios, f"Latent capability (measurement model of CINC, GDP, military "
                                                       f"spending); {f}/{p} ratio"), outputs["figure_stem"])


def nmc_comparison(inputs: dict, sources: dict, output: str) -> None:
    """Write every NMC 6.0 vs 7.0 difference on overlapping years."""
    n7 = nmc.clean_nmc7(read_source(inputs["nmc7"], sources["nmc7"]), inputs["nmc7"])
    n6 = nmc.clean_nmc6(read_source(inputs["nmc6"], sources["nmc6"]), inputs["nmc6"])
    spells = states.load_system(inputs["cow_states"], sources["cow_states"]["object"])
    diff = nmc.compare_nmc(n6, n7)
    abb = spells.drop_duplicates("ccode").set_index("ccode")["stateabb"]
    diff.insert(1, "stateabb", diff["ccode"].map(abb).astype("str"))
    log.info("NMC 6.0 vs 7.0: %d differing cells in %d state-years", len(diff),
             len(diff.drop_duplicates(["ccode", "year"])))
    io.write_csv(diff, output)


def seed_reproduction(seed_dir: str, state_year_path: str, output: str) -> None:
    """Recompute the seed paper's derived figures from its levels and from public data."""
    from .seeds import reproduce_seed_tables

    table = reproduce_seed_tables(seed_dir, io.read_parquet(state_year_path))
    mismatches = int((table["matches_paper_within_rounding"] == False).sum())  # noqa: E712
    log.info("seed reproduction: %d figures, %d disagree with the paper's own levels", len(table), mismatches)
    io.write_csv(table, output)


def load_model_frame(spec, path: str) -> pd.DataFrame:
    """Read a model's data (a pipeline parquet or a user's data file, see
    spec.read_user_table) and check columns."""
    from .models.spec import check_columns, read_model_data

    frame = read_model_data(spec, path)
    check_columns(spec, frame.columns, f"'{path}'")
    return frame


def fit_frequentist(spec_json: str, data_path: str, out_csv: str, out_json: str) -> None:
    from .models.logit import fit_frequentist as fit
    from .models.matrix import build_model_data
    from .models.spec import ModelSpec

    spec = ModelSpec.from_json(spec_json)
    md = build_model_data(spec, load_model_frame(spec, data_path))
    tidy, summary = fit(md)
    io.write_csv(tidy, out_csv)
    io.write_json(summary, out_json)


def fit_bayes(spec_json: str, data_path: str, sampling: dict, seed: int, thresholds: dict,
              out_nc: str, out_summary: str, out_diag: str) -> None:
    """Sample a model; write posterior.nc, summary.csv and diagnostics.json."""
    from .models.bayes import fit_until_gate, summarize
    from .models.matrix import build_model_data
    from .models.spec import ModelSpec

    spec = ModelSpec.from_json(spec_json)
    md = build_model_data(spec, load_model_frame(spec, data_path))
    idata, diag = fit_until_gate(md, sampling, seed, thresholds)
    events = int(md.y.sum()) if spec.family == "bernoulli" else None
    diag.update({"model": spec.name, "sampling_seconds": idata.attrs["sampling_seconds"],
                 "n_obs": int(len(md.y)), "n_dropped": int(md.n_dropped),
                 "n_events": events, "n_decisions": md.n_decisions,
                 "draws_first": int(idata.attrs["draws_first"]), "extension": json.loads(idata.attrs["extension"])})
    if diag["status"] == "failed":
        log.warning("model %s FAILED the convergence gate in all %d attempts: %s", spec.name,
                    len(diag["attempts"]), "; ".join(diag["reasons"]))
    idata.attrs["diagnostics_status"] = diag["status"]
    summary = summarize(idata)
    summary.insert(0, "fit_status", diag["status"])
    summary.insert(0, "model", spec.name)
    summary["n_obs"], summary["n_events"], summary["n_decisions"] = len(md.y), events, md.n_decisions
    io.write_idata(idata, out_nc)
    io.write_csv(summary, out_summary)
    io.write_json(diag, out_diag)


# The per-model figures and tables (names, scopes, captions, the frames and
# plots behind each) are declared in .registry; these lists are its keys.
MODEL_FIGURES = registry.keys(registry.figures(registry.MODEL))
MODEL_TABLES = registry.keys(registry.tables(registry.MODEL))
CASE_FIGURES = registry.keys(registry.figures(registry.CASE))
CASE_TABLES = registry.keys(registry.tables(registry.CASE))


class _Lazy(dict):
    """Named values computed on first use (frames and title fields)."""

    def __init__(self, builders: dict):
        super().__init__()
        self.builders = builders

    def __missing__(self, key):
        if key not in self.builders:
            raise KeyError(f"no frame or title field '{key}' (registry entry names one model_figures cannot build)")
        value = self[key] = self.builders[key]()
        return value


def model_figures(model: str, inputs: dict, reduced: list[dict], settings: dict, fig_dir: str, table_dir: str,
                  case: dict | None = None) -> None:
    """Every per-model frame (reports/tables/models/) and figure (PNG and SVG)
    that the registry declares for the model's scope (``model``; plus
    ``case model`` when ``case`` is given).

    ``inputs``: nc, summary, diagnostics, frequentist, data, spec (the
    declaration as JSON; else the posterior's copy). ``reduced``: one
    dict per dropped factor (label, name, nc, diagnostics, spec) for the LOO
    comparison. ``case``: for models of the case table, the surface axes
    (x, y) and the state_year path (state abbreviations for labels).
    Frames are built on first use, by the name of the summaries function a
    registry entry gives.
    """
    import json
    from pathlib import Path

    import arviz as az

    from . import plots, summaries as sm
    from .models.matrix import build_model_data
    from .models.spec import ModelSpec

    iv, draws = settings["interval"], settings["draws"]
    diag = json.loads(Path(inputs["diagnostics"]).read_text())
    spec = ModelSpec.from_json(inputs["spec"]) if inputs.get("spec") else \
        ModelSpec.from_json(az.from_netcdf(inputs["nc"]).attrs["model_spec"])
    fit = sm.load_fit(inputs["nc"], load_model_frame(spec, inputs["data"]), diag, spec)
    failed = fit.failed

    def reduced_fits():
        out = []
        for r in reduced:
            rdiag = json.loads(Path(r["diagnostics"]).read_text())
            rspec = ModelSpec.from_json(r["spec"]) if r.get("spec") else None
            rows = build_model_data(rspec, fit.frame).rows if rspec else None
            out.append({"label": r["label"], "name": r["name"], "idata": sm.open_idata(r["nc"]),
                        "status": rdiag["status"], "rows": rows})
        return out

    def freqbayes():
        fb = sm.frequentist_vs_bayes(fit, pd.read_csv(inputs["frequentist"], keep_default_na=False, na_values=[""]))
        fb["predictor_sd"] = [float(fit.md.sds.get(t, 1.0)) for t in fb["term"]]
        return fb

    def names():
        return sm.state_names(pd.read_parquet(case["state_year"], columns=["ccode", "year", "stateabb"]))

    def grid():
        g = sm.surface_grid(fit, case["x"], case["y"], n=settings["grid_size"], max_draws=draws, interval=iv)
        g.attrs["interval"] = iv
        return g

    def predictions():
        pred = sm.case_predictions(fit, v["names"], settings.get("annotate"), max_draws=settings["loo_draws"],
                                   interval=iv)
        pred.attrs["interval"] = iv
        return pred

    v = _Lazy({
        # frames, by the summaries function that builds them
        "coefficient_table": lambda: sm.coefficient_table(fit, iv),
        "average_marginal_effects": lambda: sm.average_marginal_effects(fit, max_draws=draws, interval=iv),
        "loo_comparison": lambda: sm.loo_comparison(model, fit.idata, fit.status, reduced_fits(),
                                                    max_draws=settings["loo_draws"], full_rows=fit.md.rows),
        "ppc_frames": lambda: sm.ppc_frames(fit, max_draws=settings["loo_draws"], interval=iv),
        "frequentist_vs_bayes": freqbayes,
        "group_slopes": lambda: sm.group_slopes(fit.idata, spec, iv, fit.status),
        "idata": lambda: fit.idata,
        "names": names,
        "surface_grid": grid,
        "case_points": lambda: sm.case_points(fit, case["x"], case["y"], v["names"], settings.get("annotate")),
        "case_predictions": predictions,
        # title fields and keyword arguments
        "model": lambda: model,
        "ref": lambda: f" (each category vs '{fit.md.categories[0]}')" if spec.family == "categorical" else "",
        "ame_draws": lambda: v["average_marginal_effects"]["draws"].max() if len(v["average_marginal_effects"]) else 0,
        "loo_draws": lambda: int(v["loo_comparison"]["draws"].iloc[0]),
        "grid_draws": lambda: int(v["surface_grid"]["draws"].iloc[0]),
        "what": lambda: "P(each category)" if spec.family == "categorical" else f"P({spec.outcome} = 1)",
        "x": lambda: case["x"],
        "y": lambda: case["y"],
        "outcome_names": lambda: {0: f"{spec.outcome} = 0 (observed)"},
    })
    scopes = (registry.MODEL, registry.CASE) if case else (registry.MODEL,)
    for t in registry.tables(*scopes):
        frame = v[t.frame].get(t.part) if t.part else v[t.frame]
        if frame is None:  # a part this family has not (no calibration bins for a categorical model)
            frame = sm.calibration_bins([], []) if t.part == "calibration" else pd.DataFrame()
        io.write_csv(frame, t.path(table_dir, model=model))
    for f in registry.figures(*scopes):
        fig = getattr(plots, f.plot)(*[v[n] for n in f.frames], f.title.format_map(v), failed,
                                     **{k: v[name] for k, name in f.kwargs})
        plots.save(fig, Path(f.pattern(fig_dir).format(model=model)))
    log.info("model %s: figures and tables written (status %s)", model, fit.status)


def build_report(models: list[str], reduced: list[str], settings: dict, paths: dict, tables: dict,
                 meta: dict, outputs: dict) -> None:
    """Assemble reports/index.html and reports/summary.md.

    ``models``: the models shown in full (registry.shown_in_full);
    ``reduced``: the --drop- refits. ``paths``: results, figures,
    model_tables, tables (the claims' and out-of-sample tables, named by the
    registry), benchmarks, case_models, slope_models, forecast_models, refits
    (the common-sample refits, in the diagnostics only), model_info,
    state_names (COW's state list) and eras (see report.build). ``tables``:
    title -> CSV of the data tables shown at the end.
    """
    from . import report

    html_text, md_text = report.build(models, reduced, settings, paths, tables, meta)
    io.write_text(html_text, outputs["html"])
    io.write_text(md_text, outputs["md"])


def predict_holdout(posterior_nc: str, data_path: str, output: str) -> None:
    """Posterior predictions for a model's holdout rows (out of sample)."""
    import arviz as az

    from .models.bayes import posterior_probabilities
    from .models.matrix import build_model_data, new_design
    from .models.spec import ModelSpec

    idata = az.from_netcdf(posterior_nc)
    spec = ModelSpec.from_json(idata.attrs["model_spec"])
    frame = load_model_frame(spec, data_path)
    md = build_model_data(spec, frame)
    held = build_model_data(spec, frame, part="holdout")
    groups = {g["by"]: frame.loc[held.rows, g["by"]].astype(str).to_numpy() for g in md.groups}
    # an unseen decision year or partner is a new draw from its population
    p = posterior_probabilities(idata, md, new_design(md, frame.loc[held.rows]), groups, new_levels="sample",
                                seed=int(idata.attrs.get("seed", 0)))
    keys = [c for c in ("case_id", "ccode1", "ccode2", "year", "era") if c in frame.columns]
    out = frame.loc[held.rows, keys].reset_index(drop=True)
    out["observed"] = held.y
    if spec.decisions:
        out["decision"] = frame.loc[held.rows, spec.decisions].to_numpy()
    if spec.family == "bernoulli":
        out["p_mean"] = p.mean(axis=0)
        out["p_lo90"], out["p_hi90"] = np.quantile(p, [0.05, 0.95], axis=0)
        out["train_base_rate"] = float(md.y.mean())
    else:
        for k, cat in enumerate(md.categories):
            out[f"p_{cat}"] = p[:, :, k].mean(axis=0)
    log.info("model %s: %d holdout rows predicted (%d fitted)", spec.name, len(out), len(md.y))
    io.write_csv(out, output)


def claims(plan: dict, settings: dict, dirs: dict, data: dict, extra: dict, outputs: dict) -> None:
    """The verdict on each of the seeds' claims, its robustness strip, the
    findings in words, and the numbers behind them.

    ``plan``: claims.plan_claims output (which fit answers what). ``dirs``:
    results, tables (per-model tables), figures. ``data``: model -> data
    path. ``extra``: table4 (recomputed Moura Table 4), threat_panel
    (dyad-years with the threat state as focal), state_year, cases.
    """
    import json
    from pathlib import Path

    import arviz as az

    from . import claims as cl, plots, summaries as sm
    from .models.spec import ModelSpec

    iv, prob, mind = settings["interval"], settings["verdict_prob"], settings["min_decisions"]
    res, tab = Path(dirs["results"]), Path(dirs["tables"])

    def read(model):
        d = res / model
        if not (d / "diagnostics.json").is_file():
            return None, None
        return pd.read_csv(d / "summary.csv"), json.loads((d / "diagnostics.json").read_text())

    rows, strip, numbers = [], [], {"findings": {}}
    names = states.state_names(states.load_system(extra["cow_states"])) if extra.get("cow_states") else \
        sm.state_names(pd.read_parquet(extra["state_year"], columns=["ccode", "year", "stateabb"]))
    for cid in ("disparity", "threat", "narrowing"):
        if cid in plan:
            row, cells = cl.assess_directional(cid, plan[cid], read, prob, mind, iv)
            rows.append(row)
            strip += cells
            numbers["findings"][cid] = cl.finding(row, cells)

    def fit_of(name):
        diag = json.loads((res / name / "diagnostics.json").read_text())
        spec = ModelSpec.from_json(az.from_netcdf(str(res / name / "posterior.nc")).attrs["model_spec"])
        return sm.load_fit(res / name / "posterior.nc", load_model_frame(spec, data[name]), diag, spec)

    bal_rows, scores = [], pd.DataFrame(columns=["year", "score", "n_pillars", "conclusion"])
    if plan.get("balancing", {}).get("baselines"):
        b = plan["balancing"]
        t4 = pd.read_csv(extra["table4"], keep_default_na=False, na_values=[""])
        scores = sm.threat_scores(t4[(t4["focal"] == b["focal"]) & (t4["partner"] == b["threat_state"])])
        rising = cl_rising(scores)
        panel = pd.read_parquet(extra["threat_panel"], columns=["ccode1", "ccode2", "year", "mid_prior", "tss_rival"])
        renewals = balancing_renewals(extra.get("cases"), b, data)
        for name in b["baselines"]:
            fit = fit_of(name)
            nums = sm.balancing_numbers(fit, panel, b["focal"], b["threat_state"], b["years"],
                                        settings["multilateral_min"], settings["loo_draws"], iv, settings.get("seed", 0),
                                        renewals)
            v = cl.balancing_verdict(rising, nums["p_rep_ge_obs"], nums["p_rate_adv_gt_other"], fit.status,
                                     nums["decisions_adv"] or None, prob, mind, names.get(int(b["focal"]), "the focal state"),
                                     names.get(int(b["threat_state"]), "the threat state"))
            nums.update(verdict=v.label, why=v.reason, outcome=fit.spec.outcome)
            bal_rows.append(nums)
        first = bal_rows[0] if bal_rows else {}
        score_text = " -> ".join(f"{int(y)}: {v:.2f}" for y, v in zip(scores["year"], scores["score"]))
        verdicts = {r["verdict"] for r in bal_rows}
        label = verdicts.pop() if len(verdicts) == 1 else cl.DEPENDS_TYPE
        rows.append({"claim_id": "balancing", "claim": cl.CLAIMS["balancing"]["claim"],
                     "seed": cl.CLAIMS["balancing"]["seed"], "verdict": label,
                     "why": " | ".join(f"{r['outcome']}: {r['why']}" for r in bal_rows),
                     "primary": ", ".join(b["baselines"]) + " (baselines without the threat terms)",
                     "estimate": " | ".join(balancing_text(r) for r in bal_rows),
                     "n_events": first.get("onsets_adv"), "n_decisions": first.get("decisions_adv"),
                     "splits": "", "note": f"recomputed threat score {score_text}", "reads": cl.CLAIMS["balancing"]["reads"]})
        numbers["findings"]["balancing"] = balancing_finding(rows[-1], bal_rows, score_text, rising,
                                                             names.get(int(b["threat_state"]), "the threat state"))
    io.write_csv(scores, outputs["threat_scores"])
    io.write_csv(pd.DataFrame(bal_rows), outputs["balancing"])

    con_rows = []
    if plan.get("ussr_different", {}).get("slopes_model") or plan.get("ussr_different", {}).get("specific_model"):
        d = plan["ussr_different"]
        level = d.get("level", 365)
        lname = names.get(int(level), str(level))
        slopes_fit, loo = d.get("slopes_model"), d.get("loo_table")
        out = {"p_outside": float("nan"), "terms": ""}
        status = []
        if slopes_fit and (res / slopes_fit / "posterior.nc").is_file():
            idata = sm.open_idata(res / slopes_fit / "posterior.nc")
            spec = ModelSpec.from_json(idata.attrs["model_spec"])
            st = json.loads((res / slopes_fit / "diagnostics.json").read_text())["status"]
            status.append(st)
            out = sm.outside_population(idata, spec, level)
            c = sm.group_slope_contrasts(idata, spec, level, iv, st)
            con_rows.append(c)
            plots.save(plots.group_slopes(sm.group_slopes(idata, spec, iv, st), str(level),
                                          f"{slopes_fit}: effects by focal state ({names.get(int(level), level)} in red)",
                                          names, st != "ok"), Path(dirs["figures"]) / f"{slopes_fit}-slopes")
        elpd, se = float("nan"), float("nan")
        if loo and Path(loo).is_file():
            lt = pd.read_csv(loo)
            if len(lt) and lt["delta_elpd"].notna().any():
                r = lt.iloc[0]
                elpd, se = -float(r["delta_elpd"]), float(r["delta_se"])
                status += [r["full_status"], r["reduced_status"]]
        worst = "missing" if not status else "ok" if all(x == "ok" for x in status) else "failed"
        v = cl.difference_verdict(elpd, se, out["p_outside"], worst, prob, level=lname)
        rows.append({"claim_id": "ussr_different", "claim": cl.CLAIMS["ussr_different"]["claim"],
                     "seed": cl.CLAIMS["ussr_different"]["seed"], "verdict": v.label, "why": v.reason,
                     "primary": f"{d.get('specific_model')} vs its drop refit; {slopes_fit}",
                     "estimate": f"ΔELPD {elpd:+.1f} (SE {se:.1f}); P(outside) {out['p_outside']:.2f} ({out['terms']})",
                     "n_events": None, "n_decisions": None, "splits": "",
                     "note": f"rule: supported when slopes specific to {lname} improve PSIS-LOO by more than 2 SE and "
                             f"{lname}'s slopes lie outside the central 90% of the powers' slopes with probability >= 0.9",
                     "reads": cl.CLAIMS["ussr_different"]["reads"]})
        numbers["ussr_different"] = {"elpd_diff": elpd, "elpd_se": se, **out}
        numbers["findings"]["ussr_different"] = (
            f"**{cl.CLAIMS['ussr_different']['claim']}** ({cl.CLAIMS['ussr_different']['seed']}): **{v.label}**. "
            f"{v.reason}. The rule: supported when slopes specific to {lname} improve the expected log predictive "
            f"density by more than twice its standard error and {lname}'s slopes lie outside the central 90% of the "
            "major powers' slopes with probability at least 0.9 (a typical power: about 0.1).")
    io.write_csv(pd.concat(con_rows, ignore_index=True) if con_rows else pd.DataFrame(), outputs["contrasts"])
    io.write_csv(pd.DataFrame(rows), outputs["verdicts"])
    io.write_csv(pd.DataFrame(strip), outputs["robustness"])
    numbers["rows"] = rows
    io.write_json(numbers, outputs["numbers"])


def cl_rising(scores: pd.DataFrame) -> bool:
    """Perceived threat rose: the last year's recomputed pillar score above the first's."""
    s = sorted((int(y), float(v)) for y, v in zip(scores["year"], scores["score"]) if v == v)
    return len(s) >= 2 and s[-1][1] > s[0][1]


def balancing_renewals(cases_path, b: dict, data: dict) -> pd.DataFrame | None:
    """Case-file alignments of the focal state in the balancing years made on
    top of a defence pledge already in force (invisible in ATOP's dyad-years)."""
    if not cases_path:
        return None
    cases = pd.read_parquet(cases_path)
    c = cases[(cases["ccode1"] == b["focal"]) & (cases["event"] == "formed")
              & cases["year"].between(*b["years"]) & (cases.get("atop_defense", 0) == 1)]
    prior = c[["case_id", "ccode2", "year"]]
    return prior.reset_index(drop=True)


def balancing_text(r: dict) -> str:
    return (f"{r['outcome']}: {r['onsets_adv']} onsets with the threat's adversaries ({r['onsets_adv_new']} new, "
            f"{r['onsets_adv_deepening']} deepening) in {r['n_adv']} dyad-years; the no-threat baseline expects "
            f"{r['expected_adv_mean']:.1f} (90% [{r['rep_adv_lo']:.0f}, {r['rep_adv_hi']:.0f}], P(rep >= obs) "
            f"{r['p_rep_ge_obs']:.2f}); other partners {r['onsets_other']}/{r['n_other']}; multilateral "
            f"conferences left out: {r['multilateral_years'] or 'none'}")


def balancing_finding(row: dict, bal: list[dict], score_text: str, rising: bool, threat: str) -> str:
    """The balancing claim in words, from its numbers."""
    parts = []
    for r in bal:
        more = r["p_rep_ge_obs"] <= 0.05
        parts.append(f"{r['outcome'].replace('_onset', '').replace('atop_', '')} obligations: {r['onsets_adv']} "
                     f"onsets with {threat}'s adversaries against {r['expected_adv_mean']:.1f} expected by a model "
                     f"without the threat terms ({'more than' if more else 'not more than'} it predicts)")
    return (f"**{row['claim']}** ({row['seed']}): **{row['verdict']}**. The recomputed Walt-pillar threat score "
            f"{'rose' if rising else 'did not rise'} ({score_text}); " + "; ".join(parts) + ". " + row["why"] + ".")


def out_of_sample(holdouts: list[dict], state_year: str, fig_stem: str, outputs: dict, n_boot: int = 1000,
                  seed: int = 0) -> None:
    """Honest out-of-sample scores of every holdout model, and the forecasts' verdicts.

    ``holdouts``: dicts with name, csv (results/<name>/holdout.csv),
    diagnostics, description. Scores (oos.score_holdout): Brier, log score
    and AUC with intervals from a bootstrap over decisions (a focal state's
    year), against the test period's own base rate and the training rate;
    expected against observed events; calibration intercept and slope; a
    generated sentence per model (oos.reading); per forecast, the partners
    it most over- and under-predicts and whether the framework carries over
    (oos.carries_over)."""
    import json
    from pathlib import Path

    from . import oos, plots, summaries as sm

    names = sm.state_names(pd.read_parquet(state_year, columns=["ccode", "year", "stateabb"]))
    scores, worst, bins, partners = [], [], {}, []
    for h in holdouts:
        st = json.loads(Path(h["diagnostics"]).read_text())["status"]
        df = pd.read_csv(h["csv"])
        if "p_mean" not in df:
            continue
        cluster = "decision" if "decision" in df else "year"
        s = oos.score_holdout(df, cluster=cluster, n_boot=n_boot, seed=seed)
        s = {"model": h["name"], "fit_status": st, **s, "reading": oos.reading(s, h["name"]),
             "carries_over": oos.carries_over(s), "description": h.get("description", "")}
        if st != "ok":
            s["reading"] = "FIT FAILED (not a finding): " + s["reading"]
        scores.append(s)
        worst.append(sm.worst_predicted(df, h["name"], names))
        cal = oos.calibration_table(df)
        cal.insert(0, "model", h["name"])
        bins[h["name"]] = cal
        if "ccode2" in df:
            partners.append(oos.partner_errors(df, names).assign(model=h["name"]))
    scores = pd.DataFrame(scores)
    io.write_csv(scores, outputs["scores"])
    io.write_csv(pd.concat(worst, ignore_index=True) if worst else pd.DataFrame(), outputs["worst"])
    io.write_csv(pd.concat(bins.values(), ignore_index=True) if bins else pd.DataFrame(), outputs["calibration"])
    io.write_csv(pd.concat(partners, ignore_index=True) if partners else pd.DataFrame(), outputs["partners"])
    plots.save(plots.oos_calibration(bins, scores, "Out of sample: observed against predicted, with the count per bin"),
               fig_stem)
