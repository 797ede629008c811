# Seed-table reproduction, figures and the HTML report.


rule seed_reproduction:
    """Recompute the second seed's derived figures from its levels and public data."""
    input:
        tables=sorted(glob.glob(f"{config['seed_tables']}/*.csv")),
        state_year="data/processed/state_year.parquet",
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


rule model_figures:
    """Forest plot and posterior densities for one model."""
    input:
        summary="results/{model}/summary.csv",
        diagnostics="results/{model}/diagnostics.json",
        nc="results/{model}/posterior.nc",
    output:
        report(
            multiext("reports/figures/{model}-forest", ".png", ".svg"),
            caption="../report/forest.rst",
            category="Posterior",
            labels={"model": "{model}", "figure": "forest"},
        ),
        report(
            multiext("reports/figures/{model}-posterior", ".png", ".svg"),
            caption="../report/posterior.rst",
            category="Posterior",
            labels={"model": "{model}", "figure": "densities"},
        ),
    log:
        "logs/model_figures/{model}.log",
    benchmark:
        "benchmarks/model_figures/{model}.tsv"
    script:
        "../scripts/model_figures.py"


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

    versions = {p: md.version(p) for p in ("pandas", "numpy", "pymc", "arviz", "statsmodels", "snakemake")}
    return {
        "config sha256": hashlib.sha256(_json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:16],
        "seed": config["seed"],
        "data versions": ", ".join(f"{n} {s['version']}" for n, s in SOURCES.items()),
        "packages": ", ".join(f"{k} {v}" for k, v in versions.items()),
    }


rule report:
    """Self-contained HTML report with embedded figures."""
    input:
        results=MODEL_OUTPUTS,
        figures=expand("reports/figures/{model}-{kind}.png", model=list(MODELS), kind=["forest", "posterior"]),
        tables=list(REPORT_TABLES.values()),
    output:
        "reports/index.html",
    params:
        models=list(MODELS),
        tables=REPORT_TABLES,
        meta=report_meta(),
    log:
        "logs/report.log",
    benchmark:
        "benchmarks/report.tsv"
    script:
        "../scripts/build_report.py"


FINAL_OUTPUTS += ["reports/tables/seed_reproduction.csv", "reports/index.html"]
