"""The HTML report and its Markdown summary.

reports/index.html is self-contained: styles inline, every image embedded as
a data URI, no script, no font or other URL to fetch. A reader meets the
findings first (one paragraph per claim), then the verdict table and each
claim's robustness strip, the sections on balancing, on whether the focal
state differs from the other powers and on out-of-sample prediction, then
each model in full, the diagnostics and the provenance.

The layout lives in Jinja2 templates (``workflow/report/templates``: one
base template, one per section, macros for tables, figures and badges;
autoescaped). This module only gathers what they show: it reads the
tables, turns them into plain rows, embeds the figures and renders each
figure's caption from its rst file (the registry names it; the same file
captions ``snakemake --report``). Which figures and tables exist, and where,
comes from :mod:`.registry`. States are named from COW (the focal and the
threat state of the configuration), never by a fixed name.
"""

from __future__ import annotations

import html
import inspect
import json
import logging
import re
from functools import cache
from pathlib import Path

import jinja2
import pandas as pd
from docutils.core import publish_parts

from . import claims as cl
from . import registry, runtimes
from . import summaries as sm
from .oos import MIN_CLUSTERS
from .report_format import (
    BADGES,
    data_uri,
    frame_table,
    md_bold,
    md_cell,
    missing,
    num,
    read_csv,
    read_json,
    state_label,
)
from .report_views import (
    SECONDARY,
    balancing_view,
    evidence_units,
    forecast_view,
    measures_of,
    missing_overview,
    oos_rows,
    treaty_view,
    verdict_rows,
)

log = logging.getLogger(__name__)

SECTIONS = (
    ("findings", "Findings", "findings.html.j2"),
    ("verdicts", "Verdicts on the seeds' claims", "verdicts.html.j2"),
    ("treaties", "The unit of evidence: treaties, not dyad-years", "treaties.html.j2"),
    ("balancing", "Threat without balancing: {focal} and {threat}", "balancing.html.j2"),
    ("different", "Is {level} different from the other major powers?", "different.html.j2"),
    ("latent", "Power: one latent capability instead of three measures", "latent.html.j2"),
    ("surface", "Disparity x threat: the first seed's Table 1 as a picture", "surface.html.j2"),
    ("cases", "Each case: predicted against what happened", "cases.html.j2"),
    ("oos", "Out of sample", "oos.html.j2"),
    ("models", "Each model in full", "models.html.j2"),
    ("diagnostics", "Convergence diagnostics (every fit, refits included)", "diagnostics.html.j2"),
    ("tables", "Data tables", "tables.html.j2"),
    ("appendix", "Appendix: rank plots", "appendix.html.j2"),
    ("provenance", "Provenance", "provenance.html.j2"),
)
TITLE = "alliance-models: power disparity, threat and alliances"


_TOKEN = "MODELTOKENZQ"


@cache
def _rst_html(rst: str) -> str:
    return publish_parts(
        rst,
        writer_name="html",
        settings_overrides={
            "report_level": 5,
            "halt_level": 5,
            "input_encoding": "unicode",
            "output_encoding": "unicode",
        },
    )["body"]


def render_caption(entry, settings: dict, model: str = "") -> str:
    """An entry's caption: its rst with the Jinja placeholders snakemake
    fills (``snakemake.wildcards.model``, ``snakemake.config['report']``)
    filled the same way, converted to HTML by docutils."""
    raw = registry.caption_text(entry)
    if not raw:
        return ""
    key = (entry.key, json.dumps(settings, sort_keys=True, default=str))
    text = _caption_cache.get(key)
    if text is None:
        snakemake = {"wildcards": {"model": _TOKEN}, "config": {"report": settings}, "params": {}, "rule": ""}
        env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True)  # snakemake --report's settings
        rst = env.from_string(raw).render(snakemake=snakemake)
        text = _caption_cache[key] = _rst_html(rst)
    return text.replace(_TOKEN, html.escape(model))


_caption_cache: dict = {}


def figure(entry, settings: dict, directory, model: str = "", alt: str = "") -> dict:
    """One figure for the figure macro: its data URI (None when the file is
    missing), its file name and its caption (HTML from the rst)."""
    path = Path(entry.path(directory, model=model))
    return {
        "uri": data_uri(path) if path.is_file() else None,
        "name": path.name,
        "alt": alt or (f"{model}: {entry.label}" if model else entry.label),
        "caption": render_caption(entry, settings, model),
        "key": entry.key,
        "placement": entry.placement,
    }


def decision_rule(settings: dict) -> str:
    """The verdict rule as the claims module's docstring states it (its
    labels and how a split is read), with this run's settings."""
    doc = inspect.cleandoc(cl.__doc__ or "")
    paras = doc.split("\n\n")
    start = next((i for i, p in enumerate(paras) if p.startswith("The labels")), 1)
    end = next((i for i, p in enumerate(paras) if p.startswith("The functions here")), len(paras))
    rst = "\n\n".join(paras[start:end])
    rst = re.sub(r":\w+:`~?([^`]+)`", r"``\1``", rst)
    prob, mind = settings.get("verdict_prob", 0.95), settings.get("min_decisions", 10)
    rst += (
        f"\n\nIn this run ``prob`` = {prob:g} (``report.verdict_prob``: the central "
        f"{100 * (2 * prob - 1):.0f}% interval excludes 0) and ``min_decisions`` = {mind} "
        "(``report.min_decisions``)."
    )
    return _rst_html(rst)


# --------------------------------------------------------------------------
# names


def state_names(paths: dict) -> dict[int, str]:
    """COW code -> state name: from the COW state list (``state_names``: the
    source's .rda, object ``states_object``), else the state-year table's
    abbreviations (``state_year``)."""
    src = paths.get("state_names")
    try:
        if src and str(src).endswith((".rda", ".rdata", ".RData")) and Path(src).is_file():
            # heavy (pyreadr, via .sources): only an .rda state list needs it
            from .data.states import load_system
            from .data.states import state_names as cow_names

            return cow_names(load_system(src, paths.get("states_object", "cow_states")))
    except Exception as e:  # noqa: BLE001 - a name is a label: fall back to the abbreviations
        log.warning("state names from %s unreadable (%s); using abbreviations", src, e)
    sy = paths.get("state_year") or (src if src and str(src).endswith(".parquet") else None)
    if sy and Path(sy).is_file():
        return sm.state_names(pd.read_parquet(sy, columns=["ccode", "year", "stateabb"]))
    return {}


def fit_status(diag: dict) -> dict:
    """The status line of a fit: ok, and the sentence."""
    if diag.get("status") != "ok":
        return {
            "ok": False,
            "text": (
                f"Fit failed the convergence gate ({'; '.join(diag.get('reasons', []))}). "
                "Its estimates are shown for diagnosis only and are not a finding; verdicts "
                'that would rest on it say "no verdict (fit failed)".'
            ),
        }
    first, draws = diag.get("draws_first"), diag.get("draws", "?")
    more = (
        f", continued from {first} until the gate passed"
        if isinstance(first, int) and isinstance(draws, int) and draws > first
        else ""
    )
    units = evidence_units(diag.get("n_events"), diag.get("n_decisions"), diag.get("unit"))
    return {
        "ok": True,
        "text": (
            f"Converged: max R-hat {diag['max_rhat']:.3f}, min bulk ESS {diag['min_ess_bulk']:.0f}, "
            f"min tail ESS {diag['min_ess_tail']:.0f}, {diag['divergences']} divergences "
            f"({diag.get('chains', '?')} chains x {draws} draws{more}; {diag.get('n_obs', '?')} rows"
            + (f", {units}" if units else "")
            + ")."
        ),
    }


def model_view(name: str, info: dict, diag: dict, paths: dict, settings: dict, case: bool, shown: set) -> dict:
    """One model in full: its figures by placement, its tables, its diagnostics."""
    fig_dir, tab = paths["figures"], paths["model_tables"]
    scopes = (registry.MODEL, registry.CASE) if case else (registry.MODEL,)
    figs = [
        figure(f, settings, fig_dir, name)
        for f in registry.figures(*scopes)
        if f.placement in ("grid", "wide") and f"{name}-{f.key}" not in shown
    ]
    tables = []
    for t in registry.tables(*scopes):
        if not t.show:
            continue
        df = read_csv(t.path(tab, model=name))
        if not df.empty:
            tables.append({"title": t.title, "table": frame_table(df, t.columns)})
    summ = read_csv(Path(paths["results"]) / name / "summary.csv")
    if not summ.empty and "scale" in summ:
        summ = summ[summ["scale"] != "original"]
    tables.append(
        {
            "title": "Diagnostics per parameter",
            "table": frame_table(
                summ, ["parameter", "scale", "mean", "sd", "r_hat", "ess_bulk", "ess_tail", "mcse_mean"], max_rows=40
            ),
        }
    )
    keys = ("description", "data", "family", "formula", "subset", "holdout")
    return {
        "name": name,
        "info": {k: ("" if missing(info.get(k)) else str(info[k])) for k in keys},
        "status": fit_status(diag),
        "grid": [f for f in figs if f["placement"] == "grid"],
        "wide": [f for f in figs if f["placement"] == "wide"],
        "tables": tables,
    }


def provenance_rows(meta: dict, run: dict) -> list[tuple[str, str]]:
    rows = [(k, str(v)) for k, v in meta.items() if k != "model seeds"]
    rt = (
        (
            f"{run['jobs']} jobs; sum of job run times {run['job_seconds']:.0f} s; first job start to last job end "
            f"{run['span_seconds']:.0f} s (from benchmarks/*.tsv of the run that wrote them)"
        )
        if run.get("jobs")
        else "no benchmark files found"
    )
    rows.append(("run time", rt))
    if run.get("by_rule"):
        rows.append(("time by rule (s)", ", ".join(f"{k} {v:g}" for k, v in run["by_rule"].items())))
    return rows


# --------------------------------------------------------------------------
# the whole report


def environment():
    """The Jinja2 environment: autoescaped HTML templates, plain Markdown ones."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(registry.TEMPLATE_DIR)),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(md_bold=md_bold, num=num, md_cell=md_cell)
    return env


def context(models: list[str], reduced: list[str], settings: dict, paths: dict, tables: dict, meta: dict) -> dict:
    """Everything the templates show."""
    res, fig_dir, tdir = Path(paths["results"]), paths["figures"], paths.get("tables", "reports/tables")
    info = paths.get("model_info", {})
    refits = [m for m in paths.get("refits", []) if (res / m / "diagnostics.json").is_file()]
    # every fit the run made is counted and listed in the diagnostics table,
    # the robustness cells' fits included (``fits``: all of them, when given)
    listed = {*models, *reduced, *refits}
    others = [m for m in paths.get("fits", []) if m not in listed and (res / m / "diagnostics.json").is_file()]
    diags = {m: json.loads((res / m / "diagnostics.json").read_text()) for m in [*models, *reduced, *refits, *others]}
    claims_cfg = settings.get("claims") or {}
    names = state_names(paths)
    eras = paths.get("eras") or {}
    bal_cfg = claims_cfg.get("balancing") or {}
    annotate = settings.get("annotate") or {}
    focal_code = bal_cfg.get("focal", annotate.get("ccode1", (claims_cfg.get("ussr_different") or {}).get("level")))
    threat_code = bal_cfg.get("threat_state", annotate.get("ccode2"))
    level_code = (claims_cfg.get("ussr_different") or {}).get("level", focal_code)
    years = bal_cfg.get("years")
    who = {
        "focal": state_label(focal_code, names, eras, years),
        "threat": state_label(threat_code, names),
        "level": state_label(level_code, names, eras, years),
        "focal_code": focal_code,
        "threat_code": threat_code,
        "level_code": level_code,
    }

    def t(key):
        return registry.table(key).path(tdir)

    verdicts = read_csv(t("verdicts"), text=True)
    strips = read_csv(t("robustness"))
    numbers = read_json(t("numbers"))
    findings = numbers.get("findings") or {}
    claims = verdict_rows(verdicts, strips, findings, settings)
    order = [c["claim_id"] for c in claims] + [k for k in findings if k not in {c["claim_id"] for c in claims}]
    by_id = {c["claim_id"]: c for c in claims}

    # the seeds' questions: surfaces and cases
    case_models = [m for m in paths.get("case_models", []) if m in models]
    sec = (claims_cfg.get("disparity") or {}).get("secondary")
    sec = sec.get("model") if isinstance(sec, dict) else sec
    main_cases = [
        m for m in case_models if info.get(m, {}).get("family") == "bernoulli" and info.get(m, {}).get("base") == sec
    ] or case_models
    shown = {f"{m}-cases" for m in main_cases} | {f"{m}-surface" for m in case_models}
    surface = [figure(registry.figure("surface"), settings, fig_dir, m) for m in case_models]
    cases = [figure(registry.figure("cases"), settings, fig_dir, m) for m in main_cases]

    # out of sample
    scores = read_csv(t("oos_scores"))
    partners = read_csv(t("oos_partners"))
    forecasts = paths.get("forecast_models")
    if forecasts is None:
        forecasts = [m for m in (scores["model"] if "model" in scores else []) if "forecast" in str(m)]
    oos = {
        "readings": [
            {
                "model": r.get("model", ""),
                "reading": r.get("reading", ""),
                "description": "" if missing(r.get("description")) else r["description"],
                "failed": r.get("fit_status") != "ok",
            }
            for r in scores.to_dict("records")
        ],
        "scores": oos_rows(scores),
        "figure": figure(registry.figure("oos-calibration"), settings, fig_dir),
        "calibration": frame_table(read_csv(t("oos_calibration")), fmt="{:.3g}", max_rows=120),
        "worst": frame_table(
            read_csv(t("oos_worst")),
            [
                "model",
                "state1",
                "state2",
                "ccode1",
                "ccode2",
                "year",
                "observed",
                "p_mean",
                "p_lo90",
                "p_hi90",
                "log_loss",
            ],
        ),
        "forecast": forecast_view(scores, partners, list(forecasts), info),
        "interval": f"{100 * settings.get('interval', 0.9):.0f}%",
    }

    slope_models = paths.get("slope_models", [])
    different = {
        "claim": by_id.get("ussr_different"),
        "figures": [figure(registry.figure("slopes"), settings, fig_dir, m) for m in slope_models],
        "contrasts": frame_table(
            read_csv(t("contrasts")),
            [
                "model",
                "term",
                "level",
                "level_total_mean",
                "level_total_lo",
                "level_total_hi",
                "others_total_mean",
                "diff_mean",
                "diff_lo",
                "diff_hi",
                "p_positive",
                "fit_status",
            ],
        ),
    }
    bal = read_csv(t("balancing"))
    balancing = {
        "claim": by_id.get("balancing"),
        "table": balancing_view(bal, names, settings),
        "scores": frame_table(read_csv(t("threat_scores"))),
        "years": years,
        "multilateral_min": settings.get("multilateral_min"),
    }

    lat = {
        "figure": figure(registry.figure("latent-capability"), settings, fig_dir),
        "loadings": frame_table(read_csv(t("latent_loadings")), list(registry.table("latent_loadings").columns)),
        "ratios": frame_table(read_csv(t("latent_ratios")), list(registry.table("latent_ratios").columns)),
        "pair": f"{state_label(annotate.get('ccode1'), names)}/{state_label(annotate.get('ccode2'), names)}"
        if annotate.get("ccode1") and annotate.get("ccode2")
        else "",
    }

    treaties = treaty_view(paths.get("treaty_ledger"), paths.get("treaty_counts"), names)
    views = [model_view(m, info.get(m, {}), diags[m], paths, settings, m in case_models, shown) for m in models]
    run = runtimes.run_time_summary(runtimes.benchmark_times(paths["benchmarks"])) if paths.get("benchmarks") else {}
    dt = sm.diagnostics_table(diags)
    data_tables = [
        {"title": title, "path": str(path), "table": frame_table(read_csv(path))} for title, path in tables.items()
    ]
    seeds = meta.get("model seeds", {})
    n_failed = sum(d.get("status") != "ok" for d in diags.values())
    measures = measures_of(strips)
    present = {
        "balancing": bool(balancing["claim"]) or not bal.empty,
        "different": bool(different["claim"]) or bool(slope_models),
        "surface": bool(surface),
        "cases": bool(cases),
        "oos": not scores.empty,
        "latent": lat["figure"]["uri"] is not None,
        "tables": bool(data_tables),
        "treaties": bool(treaties),
    }
    sections = [
        {"anchor": a, "title": title.format(**who), "template": tpl}
        for a, title, tpl in SECTIONS
        if present.get(a, True)
    ]
    return {
        "title": TITLE,
        "sections": sections,
        "who": who,
        "settings": settings,
        "interval": f"{100 * settings.get('interval', 0.9):.0f}%",
        "findings": [{"claim_id": k, "text": findings[k], "claim": by_id.get(k)} for k in order],
        "findings_figure": figure(registry.figure("findings"), settings, fig_dir),
        "claims": claims,
        "rule": decision_rule(settings),
        "measures": measures,
        "one_measure": len(measures) == 1,
        "labels": [(lab, "b-" + cls) for lab, cls in BADGES.items()],
        "verdict_caption": render_caption(registry.table("verdicts"), settings),
        "balancing": balancing,
        "different": different,
        "surface": surface,
        "cases": cases,
        "annotate_names": {
            "focal": state_label(annotate.get("ccode1"), names) if annotate.get("ccode1") else "",
            "partner": state_label(annotate.get("ccode2"), names) if annotate.get("ccode2") else "",
            "years": ", ".join(map(str, annotate.get("years", []))),
        },
        "oos": oos,
        "models": views,
        "latent": lat,
        "treaties": treaties,
        "counts": {
            "models": len(models),
            "reduced": len(reduced),
            "refits": len(refits),
            "fits": len(diags),
            "failed": n_failed,
            "failed_names": [m for m, d in diags.items() if d.get("status") != "ok"],
        },
        "diagnostics": frame_table(
            dt, max_rows=1000, row_class=lambda r: "failed-row" if r.get("status") != "ok" else ""
        ),
        "missing": missing_overview(models, paths["model_tables"]),
        "data_tables": data_tables,
        "rank": [figure(registry.figure("rank"), settings, fig_dir, m) for m in models],
        "provenance": provenance_rows(meta, run),
        "run": run,
        "seeds": frame_table(pd.DataFrame([{"model": k, "seed": v} for k, v in seeds.items()]), max_rows=1000),
        "meta": {k: v for k, v in meta.items() if k != "model seeds"},
        "secondary_label": SECONDARY,
        "min_clusters": MIN_CLUSTERS,
    }


def build(
    models: list[str], reduced: list[str], settings: dict, paths: dict, tables: dict, meta: dict
) -> tuple[str, str]:
    """(index.html text, summary.md text).

    ``models``: the models shown in full; ``reduced``: the ``--drop-``
    refits. ``paths``: results, figures, model_tables, tables (the claims'
    and out-of-sample tables, named by the registry), benchmarks;
    case_models, slope_models, forecast_models, refits (fits shown only in
    the diagnostics: the common-sample refits), model_info; state_names
    (COW's state list, .rda, or a state-year parquet) and eras (the
    config's panel.eras) for the names. ``tables``: title -> CSV of the
    data tables shown at the end."""
    ctx = context(models, reduced, settings, paths, tables, meta)
    env = environment()
    html_text = env.get_template("base.html.j2").render(**ctx)
    md_text = env.get_template("summary.md.j2").render(**ctx)
    return html_text, md_text
