# Simulation-based calibration (issue 8): `snakemake sbc` only, never in the
# default run. Each model's simulations are split into config sbc.n_batches
# one-core jobs (so a run uses every core, or a cluster via profiles/slurm),
# then summarized into a uniformity table and rank histograms.
import re

from alliance_models.sbc import check_sbc_settings, default_priors

try:
    check_sbc_settings(config["sbc"])
except PipelineError as exc:
    raise WorkflowError(str(exc)) from None

SBC = config["sbc"]
SBC_BATCHES = [str(b) for b in range(SBC["n_batches"])]
# What a batch depends on (not the list of models: adding one reruns nothing).
SBC_SETTINGS = {k: v for k, v in SBC.items() if k != "models"}


rule sbc_batch:
    """One batch of SBC simulations: prior draw, simulated y, NUTS refit, ranks."""
    input:
        code=code("sbc_batch"),
    output:
        "results/sbc/{model}/batch_{batch}.csv",
    wildcard_constraints:
        model="|".join(re.escape(m) for m in SBC["models"]),
        batch=r"\d+",
    params:
        settings=SBC_SETTINGS,
        seed=config["seed"],
        priors=default_priors(config["models"]),
    threads: 1
    resources:
        mem_mb=1500,
        runtime=60,
    log:
        "logs/sbc/{model}/batch_{batch}.log",
    benchmark:
        "benchmarks/sbc/{model}/batch_{batch}.tsv"
    conda:
        "../../environment.yml"
    script:
        "../scripts/sbc_batch.py"


rule sbc_summary:
    """Chi-square uniformity test per parameter and rank histograms."""
    input:
        batches=expand("results/sbc/{{model}}/batch_{batch}.csv", batch=SBC_BATCHES),
        code=code("sbc_summary"),
    output:
        table="reports/tables/sbc_{model}.csv",
        png=report(
            "reports/figures/sbc_{model}.png",
            caption="../report/sbc.rst",
            category="Calibration",
            labels={"model": "{model}", "figure": "SBC ranks"},
        ),
        svg="reports/figures/sbc_{model}.svg",
    wildcard_constraints:
        model="|".join(re.escape(m) for m in SBC["models"]),
    params:
        settings=SBC_SETTINGS,
    log:
        "logs/sbc/{model}/summary.log",
    benchmark:
        "benchmarks/sbc/{model}/summary.tsv"
    conda:
        "../../environment.yml"
    script:
        "../scripts/sbc_summary.py"


rule sbc:
    """Target: `snakemake sbc` runs the calibration of every model in config sbc.models."""
    input:
        expand("reports/tables/sbc_{m}.csv", m=SBC["models"]),
        expand("reports/figures/sbc_{m}.{ext}", m=SBC["models"], ext=["png", "svg"]),
