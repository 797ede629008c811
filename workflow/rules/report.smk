# Seed-table reproduction, per-model figures and tables, the verdicts on the
# seeds' claims, out-of-sample scores and the HTML report (issue 7).
from alliance_models import registry
from alliance_models.claims import cells_of, plan_claims, report_fits
from alliance_models.models.checks import table_columns
from alliance_models.summaries import surface_axes

REPORT = config["report"]
FIG = "reports/figures"
MTAB = "reports/tables/models"
FULL_MODELS = [m for m, s in MODELS.items() if not s.reduced_from]
REDUCED_MODELS = [m for m, s in MODELS.items() if s.reduced_from]
REDUCED_OF = {m: [(s.dropped, r) for r, s in MODELS.items() if s.reduced_from == m] for m in FULL_MODELS}


def _case_axes(spec):
    """(x, y) of the disparity x threat surface for models of a case table."""
    known = table_columns(spec)
    if known is None or "case_id" not in known[0]:
        return None
    return surface_axes(spec, known[0])


# The models the report shows in full get per-model figures and tables: every
# full model but the common-sample refits (their summaries feed the robustness
# strips; figures for them would cost ~20 s each and be shown nowhere).
SHOWN_MODELS = registry.shown_in_full(MODELS.values())
REFIT_MODELS = [m for m in FULL_MODELS if m not in SHOWN_MODELS]
CASE_AXES = {m: _case_axes(MODELS[m]) for m in SHOWN_MODELS}
CASE_MODELS = [m for m in SHOWN_MODELS if CASE_AXES[m]]
OTHER_MODELS = [m for m in SHOWN_MODELS if not CASE_AXES[m]]
CLAIM_PLAN = plan_claims(list(MODELS.values()), REPORT)
# The default run fits what the report reads (claims.report_fits: every
# claim's cells, baselines and comparisons, the holdouts, each declared model
# under the primary measure with its drop refits); the other variants and
# their refits are the `robustness` target.
DEFAULT_FITS = set(report_fits(list(MODELS.values()), CLAIM_PLAN, REPORT["measure"]))
ROBUSTNESS_FITS = [m for m in MODELS if m not in DEFAULT_FITS]


def fit_outputs(models):
    out = [f"results/{m}/{f}" for m in models for f in ("frequentist.csv", "summary.csv", "diagnostics.json")]
    return out + [f"results/{m}/holdout.csv" for m in models if MODELS[m].holdout]
HOLDOUT_MODELS = [m for m in FULL_MODELS if MODELS[m].holdout and MODELS[m].family == "bernoulli"]
SLOPE_MODELS = [m for m in [CLAIM_PLAN.get("ussr_different", {}).get("slopes_model")] if m]
# holdout models of a later era (ussr_forecast-*): the report's forecast section
FORECAST_MODELS = [m for m in HOLDOUT_MODELS if "forecast" in MODELS[m].base]


def _alternatives(names):
    return "|".join(re.escape(n) for n in names) or "(?!x)x"


# The figures and tables, their captions and categories: alliance_models/registry.py.
RTAB = "reports/tables"

# (an alias: the word `report` opening a line is Snakemake's report keyword)
_report = report


def _figures(*scopes):
    """A model's figures of these registry scopes, each with its rst caption."""
    return [
        _report(
            multiext(f.pattern(FIG), *f.formats),
            caption=f.rule_caption(),
            category=f.category,
            subcategory="{model}",
            labels={"model": "{model}", "figure": f.label},
        )
        for f in registry.figures(*scopes)
    ]


def _tables(*scopes):
    return [t.path(MTAB, model="{model}") for t in registry.tables(*scopes)]


def figure_inputs(wc):
    reduced = [r for _, r in REDUCED_OF[wc.model]]
    out = {
        "nc": f"results/{wc.model}/posterior.nc",
        "summary": f"results/{wc.model}/summary.csv",
        "diagnostics": f"results/{wc.model}/diagnostics.json",
        "frequentist": f"results/{wc.model}/frequentist.csv",
        "data": MODELS[wc.model].data_path(),
        "reduced_nc": [f"results/{r}/posterior.nc" for r in reduced],
        "reduced_diag": [f"results/{r}/diagnostics.json" for r in reduced],
    }
    if CASE_AXES.get(wc.model):
        out["state_year"] = "data/processed/state_year.parquet"
    return out


def figure_params(wc):
    return [{"label": lab, "name": r, "spec": MODELS[r].to_json()} for lab, r in REDUCED_OF[wc.model]]


rule model_figures:
    """Per model: odds ratios, AMEs, LOO, PPC, frequentist vs Bayesian, rank plots."""
    input:
        unpack(figure_inputs),
        code=code("model_figures"),
    output:
        *_figures(registry.MODEL),
        _tables(registry.MODEL),
    wildcard_constraints:
        model=_alternatives(OTHER_MODELS),
    params:
        spec=lambda wc: MODELS[wc.model].to_json(),
        reduced=figure_params,
        settings=REPORT,
        fig_dir=FIG,
        table_dir=MTAB,
        case=None,
    log:
        "logs/model_figures/{model}.log",
    benchmark:
        "benchmarks/model_figures/{model}.tsv"
    script:
        "../scripts/model_figures.py"


rule case_model_figures:
    """As model_figures, plus the disparity x threat surface and the case predictions."""
    input:
        unpack(figure_inputs),
        code=code("model_figures"),
    output:
        *_figures(registry.MODEL, registry.CASE),
        _tables(registry.MODEL, registry.CASE),
    wildcard_constraints:
        model=_alternatives(CASE_MODELS),
    params:
        spec=lambda wc: MODELS[wc.model].to_json(),
        reduced=figure_params,
        settings=REPORT,
        fig_dir=FIG,
        table_dir=MTAB,
        case=lambda wc: {"x": CASE_AXES[wc.model][0], "y": CASE_AXES[wc.model][1]},
    log:
        "logs/model_figures/{model}.log",
    benchmark:
        "benchmarks/model_figures/{model}.tsv"
    script:
        "../scripts/model_figures.py"


def _claim_fits():
    """Every fit the claims read: the cells' summaries, the balancing
    baselines' and the varying-slopes model's posteriors, the USSR-specific
    model's LOO table."""
    cells = [c["model"] for cid in ("disparity", "threat", "narrowing") if cid in CLAIM_PLAN
             for c in cells_of(CLAIM_PLAN[cid])]
    cells = [m for m in dict.fromkeys(cells) if m in MODELS]
    bal = CLAIM_PLAN.get("balancing", {}).get("baselines", [])
    diff = CLAIM_PLAN.get("ussr_different", {})
    post = [m for m in [*bal, diff.get("slopes_model")] if m in MODELS]
    loo = [f"{MTAB}/{diff['specific_model']}-loo.csv"] if diff.get("specific_model") in MODELS else []
    return cells, post, loo


def claim_inputs(wildcards):
    cells, post, loo = _claim_fits()
    out = {
        "summaries": [f"results/{m}/summary.csv" for m in cells],
        "diagnostics": [f"results/{m}/diagnostics.json" for m in dict.fromkeys(cells + post)],
        "nc": [f"results/{m}/posterior.nc" for m in post],
        "loo": loo,
        "data": sorted({MODELS[m].data_path() for m in post}),
        "state_year": "data/processed/state_year.parquet",
        "cow_states": source_path("cow_states"),
        "cases": "data/processed/cases.parquet",
    }
    if CLAIM_PLAN.get("balancing", {}).get("baselines"):
        out["table4"] = "reports/tables/moura_table4.csv"
        out["threat_panel"] = f"data/processed/{CLAIM_PLAN['balancing'].get('threat_panel', 'dyad_year_majors')}.parquet"
    return out


def claim_plan():
    plan = dict(CLAIM_PLAN)
    if "ussr_different" in plan and plan["ussr_different"].get("specific_model"):
        plan["ussr_different"] = dict(plan["ussr_different"],
                                      loo_table=f"{MTAB}/{plan['ussr_different']['specific_model']}-loo.csv")
    return plan


rule claims:
    """The verdict on each of the seeds' claims, its robustness strip and the findings in words."""
    input:
        unpack(claim_inputs),
        code=code("claims"),
    output:
        verdicts=report(
            "reports/tables/verdicts.csv",
            caption=registry.table("verdicts").rule_caption(),
            category=registry.table("verdicts").category,
            labels={"table": "verdicts"},
        ),
        robustness="reports/tables/robustness.csv",
        numbers="reports/tables/verdict_numbers.json",
        balancing="reports/tables/balancing.csv",
        threat_scores="reports/tables/threat_scores.csv",
        contrasts="reports/tables/ussr_contrasts.csv",
        slopes=[
            _report(
                multiext(f"{FIG}/{m}-slopes", ".png", ".svg"),
                caption=registry.figure("slopes").rule_caption(),
                category=registry.figure("slopes").category,
                labels={"model": m, "figure": registry.figure("slopes").label},
            )
            for m in SLOPE_MODELS
        ],
    params:
        plan=claim_plan(),
        settings=dict(REPORT, seed=config["seed"]),
        dirs={"results": "results", "tables": MTAB, "figures": FIG},
        data={m: MODELS[m].data_path() for m in _claim_fits()[1]},
    log:
        "logs/claims.log",
    benchmark:
        "benchmarks/claims.tsv"
    script:
        "../scripts/claims.py"


rule out_of_sample:
    """Out-of-sample scores with decision-bootstrap intervals, baselines, calibration and each forecast's verdict."""
    input:
        csv=[f"results/{m}/holdout.csv" for m in HOLDOUT_MODELS],
        diagnostics=[f"results/{m}/diagnostics.json" for m in HOLDOUT_MODELS],
        state_year="data/processed/state_year.parquet",
        code=code("out_of_sample"),
    output:
        figure=report(
            multiext(f"{FIG}/oos-calibration", ".png", ".svg"),
            caption=registry.figure("oos-calibration").rule_caption(),
            category=registry.figure("oos-calibration").category,
            labels={"figure": "calibration"},
        ),
        scores="reports/tables/oos_scores.csv",
        worst="reports/tables/oos_worst.csv",
        calibration="reports/tables/oos_calibration.csv",
        partners="reports/tables/oos_partners.csv",
    params:
        models=HOLDOUT_MODELS,
        descriptions={m: MODELS[m].description for m in HOLDOUT_MODELS},
        fig_stem=f"{FIG}/oos-calibration",
        seed=config["seed"],
    log:
        "logs/out_of_sample.log",
    benchmark:
        "benchmarks/out_of_sample.tsv"
    script:
        "../scripts/out_of_sample.py"


rule seed_reproduction:
    """Recompute the second seed's derived figures from its levels and public data."""
    input:
        tables=sorted(glob.glob(f"{config['seed_tables']}/*.csv")),
        state_year="data/processed/state_year.parquet",
        code=code("seed_reproduction"),
    output:
        "reports/tables/seed_reproduction.csv",
    params:
        seed_dir=config["seed_tables"],
    log:
        "logs/seed_reproduction.log",
    benchmark:
        "benchmarks/seed_reproduction.tsv"
    script:
        "../scripts/seed_reproduction.py"


REPORT_TABLES = {
    "Yu's Table 1 as data: cases per cell": "reports/tables/yu_typology_cells.csv",
    "Each case's cell under each disparity measure": "reports/tables/yu_typology_cases.csv",
    "Moura's Table 4 recomputed from the measures, beside the printed coding": "reports/tables/moura_table4.csv",
    "Seed tables reproduced (Moura, Tables 1-3)": "reports/tables/seed_reproduction.csv",
    "Missing indicators in the encoded cases": "reports/tables/cases_missing.csv",
    "NMC 6.0 vs 7.0 differences": "reports/tables/nmc_6_vs_7.csv",
}


def report_meta():
    import hashlib
    import importlib.metadata as md
    import json as _json

    pkgs = ("pandas", "numpy", "pymc", "arviz", "statsmodels", "snakemake", "matplotlib", "formulae", "numpyro", "jax")
    versions = {}
    for p in pkgs:
        try:
            versions[p] = md.version(p)
        except md.PackageNotFoundError:
            pass
    return {
        "config sha256": hashlib.sha256(_json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:16],
        "seed": config["seed"],
        "data versions": ", ".join(f"{n} {s['version']}" for n, s in SOURCES.items()),
        "packages": ", ".join(f"{k} {v}" for k, v in versions.items()),
        "sampling": ", ".join(f"{k} {v}" for k, v in config["sampling"].items()),
        "variants fitted": "; ".join(f"{d}: {', '.join(v)}" for d, v in (config.get("variants") or {}).items())
        or "all declared",
        "model seeds": {m: model_seed(m) for m in MODELS},
    }


def _model_info():
    keys = ("description", "data", "family", "formula", "subset", "holdout", "base")
    return {m: {k: getattr(MODELS[m], k) for k in keys} for m in FULL_MODELS}


def report_inputs():
    """Every figure (PNG) and table the report shows, by the registry."""
    figs = [f.path(FIG, model=m) for m in REPORT_MODELS for f in registry.figures(registry.MODEL)]
    figs += [f.path(FIG, model=m) for m in CASE_MODELS if m in REPORT_MODELS for f in registry.figures(registry.CASE)]
    for f in registry.figures(registry.CLAIMS, registry.OOS):
        figs += [f.path(FIG, model=m) for m in SLOPE_MODELS] if "{model}" in f.stem else [f.path(FIG)]
    tabs = [t.path(MTAB, model=m) for m in REPORT_MODELS for t in registry.tables(registry.MODEL)]
    tabs += [t.path(MTAB, model=m) for m in CASE_MODELS if m in REPORT_MODELS for t in registry.tables(registry.CASE)]
    tabs += [t.path(RTAB) for t in registry.tables(registry.CLAIMS, registry.OOS, registry.LATENT)]
    figs += [f.path(FIG) for f in registry.figures(registry.LATENT)]
    return {"figures": figs, "model_tables": tabs}


# shown in full: the default fits whose drop refits are default fits too (the
# other measures' own-sample fits enter the robustness strips as numbers)
REPORT_MODELS = [m for m in SHOWN_MODELS if m in DEFAULT_FITS and all(r in DEFAULT_FITS for _, r in REDUCED_OF[m])]


rule robustness:
    """The fits the default report does not read (the other measures' drop refits, the other variants of
    models no claim reads) and their figures: `snakemake robustness`."""
    input:
        fit_outputs(ROBUSTNESS_FITS),
        [f.path(FIG, model=m) for m in SHOWN_MODELS if m not in REPORT_MODELS for f in registry.figures(registry.MODEL)],


rule report:
    """Self-contained HTML report (embedded figures, no external fetches) and summary.md."""
    input:
        results=fit_outputs(sorted(DEFAULT_FITS)),
        **report_inputs(),
        tables=list(REPORT_TABLES.values()),
        states=source_path("cow_states"),
        state_year="data/processed/state_year.parquet",
        templates=registry.report_files(),
        code=code("report"),
    output:
        html="reports/index.html",
        md="reports/summary.md",
    params:
        models=REPORT_MODELS,
        reduced=[m for m in REDUCED_MODELS if m in DEFAULT_FITS],
        settings=REPORT,
        paths={
            "results": "results",
            "figures": FIG,
            "model_tables": MTAB,
            "tables": RTAB,
            "benchmarks": "benchmarks",
            "case_models": CASE_MODELS,
            "slope_models": SLOPE_MODELS,
            "forecast_models": FORECAST_MODELS,
            "refits": [m for m in REFIT_MODELS if m in DEFAULT_FITS],
            "model_info": _model_info(),
            # states are named from COW's state list (focal and threat state of report.claims)
            "state_names": source_path("cow_states"),
            "states_object": SOURCES["cow_states"].get("object", "cow_states"),
            "state_year": "data/processed/state_year.parquet",
            "eras": {str(k): v for k, v in (config["panel"].get("eras") or {}).items()},
        },
        tables=REPORT_TABLES,
        meta=report_meta(),
    log:
        "logs/report.log",
    benchmark:
        "benchmarks/report.tsv"
    script:
        "../scripts/build_report.py"


FINAL_OUTPUTS += fit_outputs(sorted(DEFAULT_FITS))
FINAL_OUTPUTS += ["reports/tables/seed_reproduction.csv", "reports/index.html", "reports/summary.md"]
