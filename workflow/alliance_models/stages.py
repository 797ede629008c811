"""One function per pipeline stage: read the inputs, call the logic, write outputs.

Rule scripts call exactly one of these; tests call them without Snakemake.
All writes are atomic (see :mod:`.io`).
"""

from __future__ import annotations

import json
import logging

import numpy as np
import pandas as pd

from . import io
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


MODEL_FIGURES = ["forest", "odds", "ame", "loo", "ppc", "freqbayes", "posterior", "rank"]
MODEL_TABLES = ["coefficients", "ame", "loo", "ppc", "calibration", "freqbayes", "slopes"]
CASE_FIGURES = ["surface", "cases"]
CASE_TABLES = ["surface", "case_predictions"]


def model_figures(model: str, inputs: dict, reduced: list[dict], settings: dict, fig_dir: str, table_dir: str,
                  case: dict | None = None) -> None:
    """Every per-model frame (reports/tables/models/) and figure (PNG and SVG).

    ``inputs``: nc, summary, diagnostics, frequentist, data, spec (the
    declaration as JSON; else the posterior's copy). ``reduced``: one
    dict per dropped factor (label, name, nc, diagnostics, spec) for the LOO
    comparison. ``case``: for models of the case table, the surface axes
    (x, y) and the state_year path (state abbreviations for labels).
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
    failed, fig, tab = fit.failed, Path(fig_dir) / model, Path(table_dir) / model

    def out(kind, frame_or_fig):
        if kind in MODEL_TABLES + CASE_TABLES and isinstance(frame_or_fig, pd.DataFrame):
            io.write_csv(frame_or_fig, f"{tab}-{kind}.csv")
        else:
            plots.save(frame_or_fig, f"{fig}-{kind}")

    coefs = sm.coefficient_table(fit, iv)
    out("coefficients", coefs)
    ref = f" (each category vs '{fit.md.categories[0]}')" if spec.family == "categorical" else ""
    out("forest", plots.forest(coefs, f"{model}: standardized effects{ref}", failed))
    out("odds", plots.odds_ratios(coefs, f"{model}: odds ratios{ref}", failed))
    ame = sm.average_marginal_effects(fit, max_draws=draws, interval=iv)
    out("ame", ame)
    out("ame", plots.marginal_effects(ame, f"{model}: average marginal effects ({ame['draws'].max() if len(ame) else 0} draws)", failed))
    red = []
    for r in reduced:
        rdiag = json.loads(Path(r["diagnostics"]).read_text())
        rspec = ModelSpec.from_json(r["spec"]) if r.get("spec") else None
        rows = build_model_data(rspec, fit.frame).rows if rspec else None
        red.append({"label": r["label"], "name": r["name"], "idata": sm.open_idata(r["nc"]), "status": rdiag["status"],
                    "rows": rows})
    loo = sm.loo_comparison(model, fit.idata, fit.status, red, max_draws=settings["loo_draws"], full_rows=fit.md.rows)
    out("loo", loo)
    out("loo", plots.loo_deltas(loo, f"{model}: what each factor adds (PSIS-LOO, {int(loo['draws'].iloc[0])} draws)", failed))
    pp = sm.ppc_frames(fit, max_draws=settings["loo_draws"], interval=iv)
    out("ppc", pp["stats"])
    out("calibration", pp.get("calibration", sm.calibration_bins([], [])))
    out("ppc", plots.ppc(pp, f"{model}: posterior predictive check", failed))
    fb = sm.frequentist_vs_bayes(fit, pd.read_csv(inputs["frequentist"], keep_default_na=False, na_values=[""]))
    fb["predictor_sd"] = [float(fit.md.sds.get(t, 1.0)) for t in fb["term"]]
    out("freqbayes", fb)
    out("freqbayes", plots.freq_vs_bayes(fb, f"{model}: frequentist and Bayesian estimates", failed))
    out("slopes", sm.group_slopes(fit.idata, spec, iv, fit.status))
    out("posterior", plots.posterior_densities(fit.idata, f"{model}: posterior densities", failed))
    out("rank", plots.rank_plot(fit.idata, f"{model}: rank plots", failed))
    if case:
        names = sm.state_names(pd.read_parquet(case["state_year"], columns=["ccode", "year", "stateabb"]))
        grid = sm.surface_grid(fit, case["x"], case["y"], n=settings["grid_size"], max_draws=draws, interval=iv)
        grid.attrs["interval"] = iv
        out("surface", grid)
        points = sm.case_points(fit, case["x"], case["y"], names, settings.get("annotate"))
        what = "P(each category)" if spec.family == "categorical" else f"P({spec.outcome} = 1)"
        out("surface", plots.surface(grid, points, f"{model}: {what} over {case['x']} x {case['y']} "
                                     f"({int(grid['draws'].iloc[0])} draws)", failed,
                                     outcome_names={0: f"{spec.outcome} = 0 (observed)"}))
        pred = sm.case_predictions(fit, names, settings.get("annotate"), max_draws=settings["loo_draws"], interval=iv)
        pred.attrs["interval"] = iv
        out("case_predictions", pred)
        out("cases", plots.case_predictions(pred, f"{model}: each case's predicted probability against what happened", failed))
    log.info("model %s: figures and tables written (status %s)", model, fit.status)


def build_report(models: list[str], reduced: list[str], settings: dict, paths: dict, tables: dict,
                 meta: dict, outputs: dict) -> None:
    """Assemble reports/index.html and reports/summary.md.

    ``paths``: results, figures, tables (per-model tables), claims (verdict
    tables), oos (out-of-sample tables), benchmarks. ``tables``: title ->
    CSV of the data tables shown at the end.
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
    p = posterior_probabilities(idata, md, new_design(md, frame.loc[held.rows]), groups)
    keys = [c for c in ("case_id", "ccode1", "ccode2", "year") if c in frame.columns]
    out = frame.loc[held.rows, keys].reset_index(drop=True)
    out["observed"] = held.y
    if spec.family == "bernoulli":
        out["p_mean"] = p.mean(axis=0)
        out["p_lo90"], out["p_hi90"] = np.quantile(p, [0.05, 0.95], axis=0)
        out["train_base_rate"] = float(md.y.mean())
    else:
        for k, cat in enumerate(md.categories):
            out[f"p_{cat}"] = p[:, :, k].mean(axis=0)
    log.info("model %s: %d holdout rows predicted (%d fitted)", spec.name, len(out), len(md.y))
    io.write_csv(out, output)


def claims(settings: dict, claim_map: dict, dirs: dict, data: dict, extra: dict, outputs: dict) -> None:
    """The verdict table and the numbers behind it (reports/tables/verdicts.csv).

    ``claim_map``: summaries.claim_models output. ``dirs``: results, tables
    (per-model tables), figures. ``data``: model -> data path. ``extra``:
    table4 (recomputed Moura Table 4), threat_panel (dyad-years with the
    threat state as focal), state_year.
    """
    import json
    from pathlib import Path

    import arviz as az

    from . import plots, summaries as sm, verdicts as vd
    from .models.spec import ModelSpec

    cfg, iv, prob = settings["claims"], settings["interval"], settings["verdict_prob"]
    res, tab = Path(dirs["results"]), Path(dirs["tables"])
    measures = list(dict.fromkeys(m["measure"] for rows in claim_map.values() for m in rows))
    numbers: dict = {"measures": measures}

    def status(name):
        return json.loads((res / name / "diagnostics.json").read_text())["status"]

    declared = {m["name"]: m["spec"] for rows in claim_map.values() for m in rows if m.get("spec")}

    def spec_of(name):
        text = declared.get(name) or az.from_netcdf(str(res / name / "posterior.nc")).attrs["model_spec"]
        return ModelSpec.from_json(text)

    for cid in ("disparity", "threat", "narrowing"):
        if not claim_map.get(cid):
            continue
        factor, by, used = cfg[cid]["factor"], {}, []
        for m in claim_map[cid]:
            coefs = pd.read_csv(tab / f"{m['name']}-coefficients.csv", keep_default_na=False, na_values=[""])
            ame = pd.read_csv(tab / f"{m['name']}-ame.csv", keep_default_na=False, na_values=[""])
            term = sm.claim_term(spec_of(m["name"]), factor, coefs["term"])
            by[m["measure"]] = sm.effect_evidence(coefs, ame, status(m["name"]), term, factor) if term else {"status": "missing"}
            used.append(f"{m['name']} ({term})")
        numbers[cid] = {"by_measure": by, "label": "β(std)",
                        "evidence": f"{cfg[cid]['model']}: standardized coefficient of the '{factor}' factor and its "
                                    f"average marginal effect; {'; '.join(used)}"}
    bal_rows, scores = [], pd.DataFrame(columns=["year", "score", "n_pillars", "conclusion"])
    if claim_map.get("balancing"):
        b = cfg["balancing"]
        t4 = pd.read_csv(extra["table4"], keep_default_na=False, na_values=[""])
        scores = sm.threat_scores(t4[(t4["focal"] == b["focal"]) & (t4["partner"] == b["threat_state"])])
        panel = pd.read_parquet(extra["threat_panel"], columns=["ccode1", "ccode2", "year", "mid_prior", "tss_rival"])
        by = {}
        for m in claim_map["balancing"]:
            spec = spec_of(m["name"])
            fit = sm.load_fit(res / m["name"] / "posterior.nc", load_model_frame(spec, data[m["name"]]),
                              json.loads((res / m["name"] / "diagnostics.json").read_text()), spec)
            nums = sm.balancing_numbers(fit, panel, b["focal"], b["threat_state"], b["years"],
                                        max_draws=settings["loo_draws"], interval=iv, seed=settings.get("seed", 0))
            nums.update(measure=m["measure"], kind=m["kind"], status=fit.status)
            by.setdefault(m["measure"], {})[m["kind"] or "all"] = nums
            bal_rows.append(nums)
        score_text = " → ".join(f"{int(y)}: {v:.2f}" for y, v in zip(scores["year"], scores["score"]))
        numbers["balancing"] = {
            "by_measure": by, "rising": vd.threat_rising(list(zip(scores["year"], scores["score"]))),
            "scores": f"mean Walt-pillar score, recomputed Table 4: {score_text}",
            "evidence": (f"threat: recomputed Moura Table 4 ({b['focal']} vs {b['threat_state']}); balancing: ATOP pledge "
                         f"onsets of {b['focal']} with states in conflict with {b['threat_state']} (a MID in the prior "
                         f"window or a TSS rivalry) in the years {b['focal']} and {b['threat_state']} were TSS rivals "
                         f"within {b['years'][0]}-{b['years'][1]}, against the onset models' ({', '.join(r['name'] for r in claim_map['balancing'])}) "
                         "prediction and the rate with every other partner")}
    io.write_csv(scores, outputs["threat_scores"])
    io.write_csv(pd.DataFrame(bal_rows), outputs["balancing"])
    con_rows = []
    if claim_map.get("ussr_different"):
        level = cfg["ussr_different"]["level"]
        names = sm.state_names(pd.read_parquet(extra["state_year"], columns=["ccode", "year", "stateabb"]))
        contrasts, statuses = {}, {}
        for m in claim_map["ussr_different"]:
            idata = az.from_netcdf(str(res / m["name"] / "posterior.nc"))
            spec, st = spec_of(m["name"]), status(m["name"])
            c = sm.group_slope_contrasts(idata, spec, level, iv, st)
            con_rows.append(c)
            contrasts[m["measure"]] = [r for r in c.to_dict("records") if r["term"] != "(intercept)"]
            statuses[m["measure"]] = st
            slopes = sm.group_slopes(idata, spec, iv, st)
            plots.save(plots.group_slopes(slopes, str(level), f"{m['name']}: effects by focal state "
                                          f"({names.get(int(level), level)} in red)", names, st != "ok"),
                       Path(dirs["figures"]) / f"{m['name']}-slopes")
        numbers["ussr_different"] = {"contrasts": contrasts, "status": statuses,
                                     "evidence": f"{cfg['ussr_different']['model']}: the varying slopes of level "
                                                 f"{level} minus the mean of the other levels (standardized)"}
    io.write_csv(pd.concat(con_rows, ignore_index=True) if con_rows else pd.DataFrame(), outputs["contrasts"])
    io.write_csv(pd.DataFrame(vd.verdict_table(numbers, prob)), outputs["verdicts"])
    io.write_json(numbers, outputs["numbers"])


def out_of_sample(holdouts: list[dict], state_year: str, fig_stem: str, outputs: dict) -> None:
    """Scores, calibration and the worst-predicted rows of every holdout model.

    ``holdouts``: dicts with name, csv (results/<name>/holdout.csv),
    diagnostics.
    """
    import json
    from pathlib import Path

    from . import plots, summaries as sm

    names = sm.state_names(pd.read_parquet(state_year, columns=["ccode", "year", "stateabb"]))
    scores, worst, bins = [], [], {}
    for h in holdouts:
        st = json.loads(Path(h["diagnostics"]).read_text())["status"]
        df = pd.read_csv(h["csv"])
        if "p_mean" not in df:
            continue
        scores.append(sm.holdout_scores(df, h["name"], st))
        worst.append(sm.worst_predicted(df, h["name"], names))
        cal = sm.calibration_bins(df["p_mean"].to_numpy(), df["observed"].to_numpy())
        cal.insert(0, "model", h["name"])
        bins[h["name"]] = cal
    scores = pd.DataFrame(scores)
    io.write_csv(scores, outputs["scores"])
    io.write_csv(pd.concat(worst, ignore_index=True) if worst else pd.DataFrame(), outputs["worst"])
    io.write_csv(pd.concat(bins.values(), ignore_index=True) if bins else pd.DataFrame(), outputs["calibration"])
    plots.save(plots.oos_calibration(bins, scores, "Out of sample: calibration against the base-rate model"), fig_stem)
