# Seed-table reproduction, per-model figures and tables, the verdicts on the
# seeds' claims, out-of-sample scores and the HTML report (issue 7).


rule model_figures:
    """Per model: odds ratios, AMEs, LOO, PPC, frequentist vs Bayesian, rank plots."""
    input:
        unpack(figure_inputs),
        code=code("model_figures"),
    output:
        figures=_figures(registry.MODEL),
        tables=_tables(registry.MODEL),
    wildcard_constraints:
        model=_alternatives(OTHER_MODELS),
    params:
        spec=lambda wc: MODELS[wc.model].to_json(),
        reduced=figure_params,
        settings=FIGURE_SETTINGS,
        fig_dir=folder_of("figures", "output"),
        table_dir=folder_of("tables", "output"),
        case=None,
    log:
        "logs/model_figures/{model}.log",
    benchmark:
        "benchmarks/model_figures/{model}.tsv"
    conda:
        "../../environment.yml"
    script:
        "../scripts/model_figures.py"


rule case_model_figures:
    """As model_figures, plus the disparity x threat surface and the case predictions."""
    input:
        unpack(figure_inputs),
        code=code("model_figures"),
    output:
        figures=_figures(registry.MODEL, registry.CASE),
        tables=_tables(registry.MODEL, registry.CASE),
    wildcard_constraints:
        model=_alternatives(CASE_MODELS),
    params:
        spec=lambda wc: MODELS[wc.model].to_json(),
        reduced=figure_params,
        settings=FIGURE_SETTINGS,
        fig_dir=folder_of("figures", "output"),
        table_dir=folder_of("tables", "output"),
        case=lambda wc: {"x": CASE_AXES[wc.model][0], "y": CASE_AXES[wc.model][1]},
    log:
        "logs/model_figures/{model}.log",
    benchmark:
        "benchmarks/model_figures/{model}.tsv"
    conda:
        "../../environment.yml"
    script:
        "../scripts/model_figures.py"


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
        findings=_report(
            multiext(f"{FIG}/findings", ".png", ".svg"),
            caption=registry.figure("findings").rule_caption(),
            category=registry.figure("findings").category,
            labels={"figure": registry.figure("findings").label},
        ),
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
    conda:
        "../../environment.yml"
    script:
        "../scripts/claims.py"


rule out_of_sample:
    """Out-of-sample scores with decision-bootstrap intervals, baselines, calibration and each forecast's verdict."""
    input:
        csv=[f"results/{m}/holdout.csv" for m in HOLDOUT_MODELS],
        ppc=[f"results/{m}/holdout_ppc.json" for m in HOLDOUT_MODELS],
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
        nulls=NULL_OF,
        fig_stem=stem_of("figure"),
        seed=config["seed"],
    log:
        "logs/out_of_sample.log",
    benchmark:
        "benchmarks/out_of_sample.tsv"
    conda:
        "../../environment.yml"
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
        seed_dir=folder_of("tables", default=config["seed_tables"]),
    log:
        "logs/seed_reproduction.log",
    benchmark:
        "benchmarks/seed_reproduction.tsv"
    conda:
        "../../environment.yml"
    script:
        "../scripts/seed_reproduction.py"


rule robustness:
    """The fits the default report does not read (the other measures' drop refits, the other variants of
    models no claim reads) and their figures: `snakemake robustness`."""
    input:
        fit_outputs(ROBUSTNESS_FITS),
        [f.path(FIG, model=m) for m in SHOWN_MODELS if m not in REPORT_MODELS for f in registry.figures(registry.MODEL)],


rule treaty_ledger:
    """Every treaty of the focal state in the modelled eras: in the partner-choice model or why not, and its onsets."""
    input:
        unpack(ledger_inputs),
        code=code("treaty_ledger"),
    output:
        table="reports/tables/treaty_ledger.csv",
        counts="reports/tables/treaty_ledger.json",
    params:
        eras=lambda wc: list(ledger_model().eras),
        obligations=["defense", "any"],
    log:
        "logs/treaty_ledger.log",
    benchmark:
        "benchmarks/treaty_ledger.tsv"
    conda:
        "../../environment.yml"
    script:
        "../scripts/treaty_ledger.py"


rule report:
    """Self-contained HTML report (embedded figures, no external fetches) and summary.md."""
    input:
        results=fit_outputs(sorted(DEFAULT_FITS)),
        **report_inputs(),
        tables=list(REPORT_TABLES.values()),
        states=source_path("cow_states"),
        state_year="data/processed/state_year.parquet",
        templates=registry.report_files(),
        treaty_ledger=[f"{RTAB}/treaty_ledger.csv", f"{RTAB}/treaty_ledger.json"] if ledger_model() else [],
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
            "fits": sorted(DEFAULT_FITS),
            "model_info": _model_info(),
            # states are named from COW's state list (focal and threat state of report.claims)
            "state_names": source_path("cow_states"),
            "states_object": SOURCES["cow_states"].get("object", "cow_states"),
            "state_year": "data/processed/state_year.parquet",
            "eras": {str(k): v for k, v in (config["panel"].get("eras") or {}).items()},
            "treaty_ledger": f"{RTAB}/treaty_ledger.csv" if ledger_model() else None,
            "treaty_counts": f"{RTAB}/treaty_ledger.json" if ledger_model() else None,
        },
        tables=REPORT_TABLES,
        meta=report_meta(),
    log:
        "logs/report.log",
    benchmark:
        "benchmarks/report.tsv"
    conda:
        "../../environment.yml"
    script:
        "../scripts/build_report.py"


FINAL_OUTPUTS += fit_outputs(sorted(DEFAULT_FITS))
FINAL_OUTPUTS += ["reports/tables/seed_reproduction.csv", "reports/index.html", "reports/summary.md"]
