"""The HTML report and its Markdown summary.

reports/index.html is self-contained: styles inline, every image embedded as
a data URI, no script, no font or other URL to fetch. It is laid out so a
reader meets the answers first (the verdicts), then the pictures behind
them, then each model in full, then the diagnostics and provenance.
"""

from __future__ import annotations

import base64
import html
import json
import logging
from pathlib import Path

import pandas as pd

log = logging.getLogger(__name__)

CSS = """
:root{--ink:#1d1d1f;--mute:#5a5a5f;--line:#d9d9de;--ok:#1b7f3b;--bad:#b2182b;--warn:#a35c00}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;max-width:1180px;
margin:1.5em auto;padding:0 1.2em;color:var(--ink);line-height:1.45}
h1{font-size:1.7em;margin-bottom:.2em}h2{border-bottom:2px solid var(--line);padding-bottom:.2em;margin-top:2.2em}
h3{margin-top:1.6em}h4{margin:1.2em 0 .3em}
table{border-collapse:collapse;font-size:.82em;margin:.8em 0;display:block;overflow-x:auto;max-width:100%}
td,th{border:1px solid var(--line);padding:.3em .5em;text-align:right;vertical-align:top}
th{background:#f3f3f6;position:sticky;top:0}td:first-child,th:first-child{text-align:left}
td.text,th.text{text-align:left}
.verdicts td{text-align:left;font-size:.95em}.verdicts td.num{font-size:.86em;color:#333;min-width:14em}
.badge{display:inline-block;padding:.1em .5em;border-radius:.8em;font-weight:600;white-space:nowrap}
.b-supported{background:#dff3e4;color:var(--ok)}.b-not{background:#fde4e4;color:var(--bad)}
.b-depends{background:#fff1d6;color:var(--warn)}.b-none{background:#ececec;color:#555}
.failed{background:#fde2e2;color:#900;padding:.5em .7em;border-left:4px solid #c00}
.ok{color:var(--ok)}.note{color:var(--mute);font-size:.9em}
figure{margin:1em 0}figcaption{color:var(--mute);font-size:.88em;margin-top:.3em}
img{max-width:100%;height:auto;border:1px solid #eee}
nav.toc{background:#f7f7f9;border:1px solid var(--line);padding:.6em 1em;font-size:.92em}
nav.toc ol{margin:.2em 0;padding-left:1.4em}nav.toc li{margin:.1em 0}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:1em}
@media (max-width:900px){.grid2{grid-template-columns:1fr}}
code{background:#f3f3f6;padding:0 .25em;border-radius:3px}
footer{margin-top:3em;border-top:1px solid var(--line);padding-top:1em}
"""


# --------------------------------------------------------------------------
# small builders


def esc(x) -> str:
    return html.escape(str(x))


def img_tag(path: str | Path, alt: str) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode()
    return f'<img alt="{esc(alt)}" src="data:image/png;base64,{data}">'


def figure(path: str | Path, caption: str) -> str:
    if not Path(path).is_file():
        return f'<p class="note">(figure {esc(Path(path).name)} missing)</p>'
    return f"<figure>{img_tag(path, caption)}<figcaption>{esc(caption)}</figcaption></figure>"


def table_html(df: pd.DataFrame, max_rows: int = 60, floatfmt: str = "{:.3g}", cls: str = "") -> str:
    if df is None or df.empty:
        return '<p class="note">(no rows)</p>'
    shown = df.head(max_rows)
    out = shown.to_html(index=False, na_rep="NA", float_format=lambda x: floatfmt.format(x), escape=True, border=0,
                        classes=cls or None)
    if len(df) > max_rows:
        out += f'<p class="note">{len(df) - max_rows} more rows in the CSV.</p>'
    return out


def section(title: str, body: str, anchor: str = "") -> str:
    a = f' id="{esc(anchor)}"' if anchor else ""
    return f"<h2{a}>{esc(title)}</h2>\n{body}\n"


def page(title: str, sections: list[str], footer: str, toc: list[tuple[str, str]] | None = None) -> str:
    nav = ""
    if toc:
        nav = '<nav class="toc"><b>Contents</b><ol>' + "".join(
            f'<li><a href="#{esc(a)}">{esc(t)}</a></li>' for a, t in toc) + "</ol></nav>"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>\n"
        f"<h1>{esc(title)}</h1>\n{nav}\n" + "\n".join(sections)
        + f"\n<footer class=\"note\">{footer}</footer></body></html>\n"
    )


def badge(verdict: str) -> str:
    v = str(verdict)
    cls = ("b-supported" if v == "supported" else "b-not" if v.startswith("not supported")
           else "b-depends" if v.startswith("depends") else "b-none")
    return f'<span class="badge {cls}">{esc(v)}</span>'


def status_line(diag: dict) -> str:
    if diag.get("status") != "ok":
        return (f'<p class="failed"><b>Fit failed the convergence gate</b> '
                f'({esc("; ".join(diag.get("reasons", [])))}). Its estimates are shown for diagnosis only '
                "and are not a finding; verdicts that would rest on it say \"no verdict (fit failed)\".</p>")
    first, draws = diag.get("draws_first"), diag.get("draws", "?")
    more = (f", continued from {first} until the gate passed" if isinstance(first, int) and isinstance(draws, int)
            and draws > first else "")
    return (f'<p class="ok">Converged: max R-hat {diag["max_rhat"]:.3f}, min bulk ESS {diag["min_ess_bulk"]:.0f}, '
            f'min tail ESS {diag["min_ess_tail"]:.0f}, {diag["divergences"]} divergences '
            f'({diag.get("chains", "?")} chains x {draws} draws{more}; {diag.get("n_obs", "?")} rows'
            f'{evidence_units(diag)}).</p>')


def evidence_units(diag: dict) -> str:
    """", 54 events from 12 decisions" (the units of independent evidence), or ""."""
    ev, dec = diag.get("n_events"), diag.get("n_decisions")
    if ev is None:
        return ""
    return f", {ev} events" + (f" from {dec} decisions" if dec is not None else "")


def read_csv(path, text: bool = False) -> pd.DataFrame:
    """A CSV, or an empty frame if absent. ``text``: keep empty cells as ''."""
    p = Path(path)
    if not p.is_file() or p.stat().st_size == 0:
        return pd.DataFrame()
    try:
        if text:
            return pd.read_csv(p, keep_default_na=False)
        return pd.read_csv(p, keep_default_na=False, na_values=[""])
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def _round(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    return df[[c for c in cols if c in df.columns]]


# --------------------------------------------------------------------------
# sections


FIXED_VERDICT_COLUMNS = {"claim_id", "claim", "seed", "evidence", "verdict", "favoured_sign", "note"}


def verdict_measures(verdicts: pd.DataFrame) -> list[str]:
    """The measure columns of the verdict table (each has a '<m> verdict' twin)."""
    return [c for c in verdicts.columns if c not in FIXED_VERDICT_COLUMNS and not c.endswith(" verdict")]


def verdict_section(verdicts: pd.DataFrame, settings: dict) -> str:
    if verdicts.empty:
        return '<p class="note">No claims configured (config key report.claims).</p>'
    measures = verdict_measures(verdicts)
    head = "".join(f"<th class=text>{esc(h)}</th>" for h in ["claim", "verdict", *[f"under {m}" for m in measures]])
    rows = []
    for _, r in verdicts.iterrows():
        claim = f"<b>{esc(r['claim'])}</b><br><span class=note>{esc(r['seed'])}</span>"
        v = badge(r["verdict"])
        if str(r.get("favoured_sign", "") or ""):
            v += f"<br><span class=note>sign the data favour: <b>{esc(r['favoured_sign'])}</b></span>"
        if str(r.get("note", "") or ""):
            v += f"<br><span class=note>{esc(r['note'])}</span>"
        cells = "".join(f"<td class=num><b>{esc(r[f'{m} verdict'])}</b><br>{esc(r[m])}</td>" for m in measures)
        rows.append(f"<tr><td>{claim}<br><span class=note>evidence: {esc(r['evidence'])}</span></td><td>{v}</td>{cells}</tr>")
    p = settings["verdict_prob"]
    rule = (f"<p class=note>Decision rule: an effect has a sign when the posterior probability of that sign is at "
            f"least {p:g} (the {int(round(100 * (2 * p - 1)))}% central interval excludes 0). Each claim is judged "
            "under every disparity measure (columns); agreement gives that verdict, disagreement \"depends on "
            "measurement\". A fit that failed the convergence gate gives \"no verdict (fit failed)\" and is left "
            "out of the combined verdict (the note names it). β(std): log-odds per SD of the predictor; AME: change "
            "in the predicted probability when the factor moves from its 25th to its 75th percentile (see each "
            "model's AME table for the exact values), averaged over the observed rows.</p>")
    if len(measures) == 1:
        rule += (f"<p class=note><b>One disparity measure ({esc(measures[0])}) in this run</b> (config key "
                 "<code>variants</code>): a verdict here cannot show that the measures disagree; the default run "
                 "judges each claim under CINC, GDP and military spending.</p>")
    return f'<table class="verdicts"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>{rule}'


def model_section(name: str, info: dict, diag: dict, paths: dict, settings: dict, shown: set = frozenset()) -> str:
    """One model in full; ``shown``: figure stems already shown elsewhere in the report."""
    fig, tab = Path(paths["figures"]), Path(paths["model_tables"])
    parts = [f'<h3 id="m-{esc(name)}">{esc(name)}</h3>']
    if info.get("description"):
        parts.append(f"<p>{esc(info['description'])}</p>")
    parts.append(f"<p class=note>data <code>{esc(info.get('data', ''))}</code>; family {esc(info.get('family', ''))}; "
                 f"formula <code>{esc(info.get('formula', ''))}</code>"
                 + (f"; rows: <code>{esc(info['subset'])}</code>" if info.get("subset") else "")
                 + (f"; held out: <code>{esc(info['holdout'])}</code>" if info.get("holdout") else "") + "</p>")
    parts.append(status_line(diag))
    iv = int(round(100 * settings["interval"]))
    caps = {
        "forest": f"Standardized effects: posterior mean and {iv}% equal-tailed interval, log-odds per SD; "
                  "P(effect > 0) at the right.",
        "odds": f"Odds ratios per SD of each predictor (median, {iv}% interval); per-unit odds ratios at the right.",
        "ame": f"Average marginal effects on the probability scale ({iv}% intervals).",
        "loo": "Change in expected log predictive density (PSIS-LOO) when each factor is dropped, ±2 SE; "
               "Pareto-k warnings in red.",
        "ppc": "Posterior predictive check: replicated outcome counts (red line: observed) and in-sample calibration.",
        "freqbayes": "Frequentist (statsmodels logit, Firth under separation; cluster-robust SEs) and Bayesian "
                     "estimates of the same coefficients, per SD of the predictor, 95% intervals.",
        "posterior": "Posterior densities of the standardized coefficients (90% HDI, share of mass above 0).",
    }
    imgs = [figure(fig / f"{name}-{k}.png", f"{name}: {c}") for k, c in caps.items()]
    parts.append('<div class="grid2">' + "".join(imgs[:6]) + "</div>" + imgs[6])
    if (fig / f"{name}-cases.png").is_file() and f"{name}-cases" not in shown:
        parts.append(figure(fig / f"{name}-cases.png", f"{name}: each case's predicted probability against what happened"))
    coefs = read_csv(tab / f"{name}-coefficients.csv")
    parts.append("<h4>Coefficients, P(effect &gt; 0) and odds ratios</h4>" + table_html(_round(coefs, [
        "term", "category", "beta_std_mean", "beta_std_lo", "beta_std_hi", "p_positive", "or_sd_median", "or_sd_lo",
        "or_sd_hi", "beta_orig_mean", "or_unit_median", "or_unit_lo", "or_unit_hi"])))
    ame = read_csv(tab / f"{name}-ame.csv")
    parts.append("<h4>Average marginal effects</h4>" + table_html(_round(ame, [
        "factor", "category", "shift", "ame_mean", "ame_lo", "ame_hi", "p_positive", "n_rows", "draws"])))
    loo = read_csv(tab / f"{name}-loo.csv")
    parts.append("<h4>PSIS-LOO: what each factor adds</h4>" + table_html(_round(loo, [
        "dropped", "elpd_full", "se_full", "elpd_reduced", "delta_elpd", "delta_se", "k_bad_full", "k_bad_reduced",
        "k_max_full", "k_max_reduced", "draws", "reduced_status", "note"])))
    ppc = read_csv(tab / f"{name}-ppc.csv")
    parts.append("<h4>Posterior predictive check</h4>" + table_html(_round(ppc, [
        "category", "observed", "rep_mean", "rep_lo", "rep_hi", "p_rep_ge_obs", "draws"])))
    summ = read_csv(Path(paths["results"]) / name / "summary.csv")
    if not summ.empty:
        summ = summ[summ["scale"] != "original"]
    parts.append("<h4>Diagnostics per parameter</h4>" + table_html(_round(summ, [
        "parameter", "scale", "mean", "sd", "r_hat", "ess_bulk", "ess_tail", "mcse_mean"]), max_rows=40))
    fb = read_csv(tab / f"{name}-freqbayes.csv")
    parts.append("<h4>Frequentist and Bayesian, original scale</h4>" + table_html(_round(fb, [
        "term", "category", "bayes_mean", "bayes_lo", "bayes_hi", "freq_estimate", "freq_lo", "freq_hi",
        "freq_p_value", "freq_method", "separation"])))
    return "\n".join(parts)


def provenance(meta: dict, run: dict, seeds: dict) -> str:
    rows = [(k, v) for k, v in meta.items() if k != "model seeds"]
    rt = (f"{run['jobs']} jobs; sum of job run times {run['job_seconds']:.0f} s; first job start to last job end "
          f"{run['span_seconds']:.0f} s (from benchmarks/*.tsv of the run that wrote them)") if run.get("jobs") else \
        "no benchmark files found"
    rows.append(("run time", rt))
    if run.get("by_rule"):
        rows.append(("time by rule (s)", ", ".join(f"{k} {v:g}" for k, v in run["by_rule"].items())))
    body = "<table><tbody>" + "".join(f"<tr><th>{esc(k)}</th><td class=text>{esc(v)}</td></tr>" for k, v in rows) + "</tbody></table>"
    if seeds:
        body += "<h4>Sampler seeds per model</h4>" + table_html(pd.DataFrame(
            [{"model": k, "seed": v} for k, v in seeds.items()]), max_rows=500)
    return body


# --------------------------------------------------------------------------
# the whole report


def build(models: list[str], reduced: list[str], settings: dict, paths: dict, tables: dict, meta: dict) -> tuple[str, str]:
    """(index.html text, summary.md text)."""
    from . import summaries as sm

    res, fig = Path(paths["results"]), Path(paths["figures"])
    info = paths.get("model_info", {})
    diags = {m: json.loads((res / m / "diagnostics.json").read_text()) for m in [*models, *reduced]}
    verdicts = read_csv(paths["verdicts"], text=True)
    sections, toc = [], []

    def add(anchor, title, body):
        toc.append((anchor, title))
        sections.append(section(title, body, anchor))

    n_failed = sum(d.get("status") != "ok" for d in diags.values())
    intro = ("<p>When does a state form, keep or break an alliance, and how much do power disparity and external "
             "threat matter? Bayesian (PyMC) and frequentist (statsmodels) models fitted on public data (COW NMC, "
             "Maddison, ATOP, COW MIDs, Thompson's strategic rivalries) and on the alliance cases the two seed "
             "papers discuss (Yu: Soviet alliances; Moura: Sino-Soviet relations 1954/1957/1969). "
             f"{len(models)} models (+{len(reduced)} reduced models for the LOO comparisons); "
             f"{len(diags) - n_failed} passed the convergence gate, {n_failed} failed"
             + (" (marked wherever they appear)" if n_failed else "") + ".</p>")
    sections.append(intro)
    add("verdicts", "Verdicts on the seeds' claims", verdict_section(verdicts, settings))

    # the seeds' questions
    case_models = paths.get("case_models", [])
    body = ("<p>Posterior predicted probability over a grid of disparity (x) and threat (y), other predictors at "
            "typical values; every case the model was fitted on is placed on the surface and labelled with the "
            "partner and year (identical positions merged). The categorical model gives one panel per category "
            "of the first seed's Table 1, with the cases coded in it filled. Sino-Soviet cases are in bold red.</p>")
    for m in case_models:
        body += figure(fig / f"{m}-surface.png", f"{m}: disparity x threat surface")
    add("surface", "Disparity x threat: the first seed's Table 1 as a picture", body)
    main_cases = [m for m in case_models if info.get(m, {}).get("family") == "bernoulli"
                  and info.get(m, {}).get("base") == settings["claims"].get("disparity", {}).get("model")]
    body = ("<p>In-sample posterior predicted probability of each case (mean and interval), sorted, against what "
            "happened (colour and the square at 0 or 1). Annotated in red: the Sino-Soviet cases of "
            f"{', '.join(map(str, settings.get('annotate', {}).get('years', [])))}. The other case models' plots are "
            "in their model sections.</p>")
    for m in main_cases or case_models:
        body += figure(fig / f"{m}-cases.png", f"{m}: each case's predicted probability")
    add("cases", "Each case: predicted against what happened", body)

    body = ("<p><b>Operationalisation.</b> <i>Perceived threat</i>: the four Walt pillars of the second seed's "
            "Table 4 recomputed from public data (aggregate power, proximity, offensive capabilities, offensive "
            "intentions; + = 1, +/- = 0.5, - = 0), averaged per year; the threat is <i>rising</i> when the last year's "
            "score exceeds the first. <i>Balancing</i>: an ATOP pledge onset between the USSR and a state in conflict "
            "with China (a MID with China in the prior window, or a TSS strategic rivalry with China) in the years the "
            "USSR and China were TSS strategic rivals. The USSR <i>balanced</i> if such onsets were credibly more "
            "frequent than with other partners in the same years, or more numerous than the USSR's own onset model "
            "predicts for those dyad-years (posterior predictive). Shown per alliance type (defence pact; any "
            "obligation) and disparity measure.</p>")
    ts = read_csv(paths["threat_scores"])
    body += "<h4>Recomputed threat score per year</h4>" + table_html(ts)
    bal = read_csv(paths["balancing"])
    body += "<h4>Balancing numbers</h4>" + table_html(_round(bal, [
        "model", "measure", "kind", "status", "years", "n_threat_years", "n_adv", "onsets_adv", "expected_adv_mean",
        "rep_adv_lo", "rep_adv_hi", "p_rep_ge_obs", "n_other", "onsets_other", "rate_adv", "rate_other",
        "p_rate_adv_gt_other"]))
    add("balancing", "Threat without balancing: the USSR and China", body)

    body = ("<p>Major-power defence-pact onsets with the slopes of disparity and common threat varying by focal "
            "major power. The contrast is the USSR's deviation minus the mean deviation of the other major powers "
            "(standardized scale).</p>")
    for p in paths.get("slope_figures", []):
        body += figure(p, Path(p).stem + ": effects by focal major power")
    body += table_html(_round(read_csv(paths["contrasts"]), [
        "model", "term", "level", "level_total_mean", "level_total_lo", "level_total_hi", "others_total_mean",
        "diff_mean", "diff_lo", "diff_hi", "p_positive", "fit_status"]))
    add("majors", "Is the USSR different from the other major powers?", body)

    scores = read_csv(paths["oos_scores"])
    body = ("<p>Models fitted on part of the data predict the rest: the USSR dyad-year onset model fitted up to 1945 "
            "predicts 1946 on; the major-power model fitted without the USSR predicts the USSR's dyad-years. Scores "
            "against a base-rate model that predicts the training event rate for every row. Brier: mean squared "
            "error (lower is better); log score: mean log probability of what happened (higher is better).</p>")
    body += figure(paths["oos_figure"], "out-of-sample calibration")
    body += "<h4>Scores</h4>" + table_html(scores, floatfmt="{:.4g}")
    body += "<h4>Worst-predicted dyad-years (largest log loss)</h4>" + table_html(_round(read_csv(paths["oos_worst"]), [
        "model", "state1", "state2", "ccode1", "ccode2", "year", "observed", "p_mean", "p_lo90", "p_hi90", "log_loss"]))
    add("oos", "Out of sample", body)

    shown = {f"{m}-cases" for m in (main_cases or case_models)}
    body = "".join(model_section(m, info.get(m, {}), diags[m], paths, settings, shown) for m in models)
    add("models", "Each model in full", body)
    dt = sm.diagnostics_table(diags)
    add("diagnostics", "Convergence diagnostics (every fit, reduced models included)", table_html(dt, max_rows=1000))
    body = ""
    for title, path in tables.items():
        body += f"<h3>{esc(title)}</h3><p class=note>Source: {esc(path)}</p>" + table_html(read_csv(path))
    if body:
        add("tables", "Data tables", body)
    body = "<p>Rank plots: for each parameter, the ranks of each chain's draws; flat bars mean the chains agree.</p>"
    body += "".join(figure(fig / f"{m}-rank.png", f"{m}: rank plots") for m in models)
    add("appendix", "Appendix: rank plots", body)
    run = sm.run_time_summary(sm.benchmark_times(paths["benchmarks"])) if paths.get("benchmarks") else {}
    add("provenance", "Provenance", provenance(meta, run, meta.get("model seeds", {})))
    footer = "Generated by the alliance-models pipeline (snakemake). Figures as PNG and SVG in reports/figures/."
    html_text = page("alliance-models: power disparity, threat and alliances", sections, footer, toc)
    return html_text, summary_markdown(verdicts, scores, meta, run, diags, paths)


def _md_table(df: pd.DataFrame, floatfmt="{:.3g}") -> str:
    if df is None or df.empty:
        return "(no rows)\n"

    def cell(v):
        if isinstance(v, float):
            return floatfmt.format(v)
        return str(v).replace("|", "\\|").replace("\n", " ")

    head = "| " + " | ".join(map(str, df.columns)) + " |\n| " + " | ".join("---" for _ in df.columns) + " |\n"
    return head + "".join("| " + " | ".join(cell(v) for v in r) + " |\n" for r in df.itertuples(index=False))


def summary_markdown(verdicts: pd.DataFrame, scores: pd.DataFrame, meta: dict, run: dict, diags: dict, paths: dict) -> str:
    out = ["# alliance-models: summary\n\n", "Full report: `reports/index.html` (self-contained). "
           "Figures: `reports/figures/*.png` and `.svg`.\n\n", "## Verdicts\n\n"]
    if not verdicts.empty:
        v = verdicts[["claim", "verdict", "favoured_sign", "note"]].copy()
        for m in verdict_measures(verdicts):
            v[m] = verdicts[f"{m} verdict"] + ": " + verdicts[m]
        out.append(_md_table(v))
    out.append("\n## Out of sample\n\n")
    out.append(_md_table(_round(scores, ["model", "fit_status", "n", "events", "brier", "brier_base", "brier_skill",
                                         "log_score", "log_score_base", "auc"]), "{:.4g}"))
    failed = [m for m, d in diags.items() if d.get("status") != "ok"]
    out.append(f"\n## Fits\n\n{len(diags)} fits, {len(failed)} failed the convergence gate"
               + (": " + ", ".join(failed) if failed else "") + ".\n")
    out.append("\n## Provenance\n\n" + "".join(f"- {k}: {v}\n" for k, v in meta.items() if k != "model seeds"))
    if run.get("jobs"):
        out.append(f"- run time: {run['jobs']} jobs, sum of job times {run['job_seconds']:.0f} s, "
                   f"first start to last end {run['span_seconds']:.0f} s\n")
    return "".join(out)
