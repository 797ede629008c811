# Fetch the public sources, then clean them into the state-year table.
import re

from alliance_models.config import config_where
from alliance_models.data.latent import check_latent_config
from alliance_models.data.maddison import load_mapping
from alliance_models import registry

# The ISO3 -> COW mapping is committed input: check it before any job runs,
# so a bad row never costs the last good state_year table; so are the latent
# model's indicators (state-year columns).
try:
    load_mapping(config["gdp"]["mapping"])
    check_latent_config(config["latent"], config_where(["latent"], CONFIGFILES, workflow.config_settings.config))
except PipelineError as exc:
    raise WorkflowError(str(exc)) from None


rule fetch:
    """Copy a source from the data mirror or download it; verify its sha256."""
    input:
        code=code("fetch"),
    output:
        f"{EXTERNAL}/{{file}}",
    wildcard_constraints:
        file="|".join(re.escape(f) for f in SOURCE_BY_FILE),
    # the source (its url and sha256) is a param; where the mirror lives is
    # not (the script reads it from the config): a file is identified by its
    # sha256, so moving the mirror reruns nothing
    params:
        name=lambda wc: SOURCE_BY_FILE[wc.file],
        source=lambda wc: SOURCES[SOURCE_BY_FILE[wc.file]],
    log:
        "logs/fetch/{file}.log",
    benchmark:
        "benchmarks/fetch/{file}.tsv"
    localrule: True
    retries: 1
    conda:
        "../../environment.yml"
    script:
        "../scripts/fetch.py"


rule state_year:
    """One row per COW state-year: NMC capabilities, Maddison GDP and Polity5 regime scores."""
    input:
        cow_states=source_path("cow_states"),
        nmc7=source_path("nmc7"),
        nmc6=source_path("nmc6"),
        maddison=source_path("maddison"),
        polity5=source_path("polity5"),
        mapping=config["gdp"]["mapping"],
        code=code("state_year"),
    output:
        "data/processed/state_year.parquet",
        "data/processed/state_year.parquet.meta.yaml",
    params:
        sources=SOURCES,
        start=config["years"]["start"],
        end=config["years"]["end"],
        capabilities=config["capabilities"],
        max_gap=config["gdp"]["max_gap"],
    log:
        "logs/state_year.log",
    benchmark:
        "benchmarks/state_year.tsv"
    conda:
        "../../environment.yml"
    script:
        "../scripts/state_year.py"


rule latent_capability:
    """One latent log capability per state-year from CINC, GDP and military spending (measurement model)."""
    input:
        "data/processed/state_year.parquet",
        code=code("latent_capability"),
    output:
        table="data/processed/latent_capability.parquet",
        meta="data/processed/latent_capability.parquet.meta.yaml",
        diagnostics="data/processed/latent_capability.diagnostics.json",
    params:
        latent=config["latent"],
    log:
        "logs/latent_capability.log",
    benchmark:
        "benchmarks/latent_capability.tsv"
    conda:
        "../../environment.yml"
    script:
        "../scripts/latent_capability.py"


rule latent_figures:
    """The latent capability of the major states over time, the loadings, and the focal dyad's ratio against the measures."""
    input:
        latent="data/processed/latent_capability.parquet",
        diagnostics="data/processed/latent_capability.diagnostics.json",
        state_year="data/processed/state_year.parquet",
        panel=f"data/processed/dyad_year_{config['latent']['panel']}.parquet",
        seed_tables=sorted(glob.glob(f"{config['seed_tables']}/*.csv")),
        code=code("latent_figures"),
    output:
        series=registry.table("latent_series").path("reports/tables"),
        loadings=registry.table("latent_loadings").path("reports/tables"),
        ratios=registry.table("latent_ratios").path("reports/tables"),
        figure=report(
            multiext(registry.figure("latent-capability").pattern("reports/figures"), ".png", ".svg"),
            caption=registry.figure("latent-capability").rule_caption(),
            category="Power",
            labels={"figure": "latent capability"},
        ),
    params:
        settings={"states": config["latent"]["show"], "focal": config["report"]["annotate"]["ccode1"],
                  "partner": config["report"]["annotate"]["ccode2"], "years": config["report"]["annotate"]["years"]},
        figure_stem=stem_of("figure"),
        seed_dir=folder_of("seed_tables"),
    log:
        "logs/latent_figures.log",
    benchmark:
        "benchmarks/latent_figures.tsv"
    conda:
        "../../environment.yml"
    script:
        "../scripts/latent_figures.py"


rule nmc_comparison:
    """Every cell where NMC 6.0 and 7.0 disagree on overlapping years."""
    input:
        cow_states=source_path("cow_states"),
        nmc7=source_path("nmc7"),
        nmc6=source_path("nmc6"),
        code=code("nmc_comparison"),
    output:
        "reports/tables/nmc_6_vs_7.csv",
    params:
        sources=SOURCES,
    log:
        "logs/nmc_comparison.log",
    benchmark:
        "benchmarks/nmc_comparison.tsv"
    conda:
        "../../environment.yml"
    script:
        "../scripts/nmc_comparison.py"


FINAL_OUTPUTS += ["data/processed/state_year.parquet", "data/processed/latent_capability.parquet",
                  "reports/tables/nmc_6_vs_7.csv"]
