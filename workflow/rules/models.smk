# Fit every declared model: statsmodels (frequentist.csv) and PyMC
# (posterior.nc, summary.csv, diagnostics.json) under results/<model>/.
import zlib

from alliance_models.data.panel import era_names
from alliance_models.models.checks import check_all_columns, check_model_eras
from alliance_models.models.spec import load_model_specs

try:
    MODELS = {s.name: s for s in load_model_specs(config["models"], config.get("variants"))}
    check_all_columns(list(MODELS.values()), config["models"])
    check_model_eras(list(MODELS.values()), era_names(config["panel"]["eras"]), config["models"])
except PipelineError as exc:
    raise WorkflowError(str(exc)) from None


def model_data(wildcards):
    return MODELS[wildcards.model].data_path()


def model_seed(name):
    """Per-model seed: the config seed plus a stable hash of the model name."""
    return int(config["seed"]) + zlib.crc32(name.encode()) % 100_000


wildcard_constraints:
    model="|".join(re.escape(m) for m in MODELS),


rule fit_frequentist:
    """Logit / multinomial logit with cluster-robust SEs; Firth under separation."""
    input:
        model_data,
        code=code("fit_frequentist"),
    output:
        csv="results/{model}/frequentist.csv",
        json="results/{model}/frequentist.json",
    params:
        spec=lambda wc: MODELS[wc.model].to_json(),
    log:
        "logs/fit_frequentist/{model}.log",
    benchmark:
        "benchmarks/fit_frequentist/{model}.tsv"
    script:
        "../scripts/fit_frequentist.py"


rule fit_bayes:
    """NUTS sampling with prior and posterior predictive draws; convergence gate."""
    input:
        model_data,
        code=code("fit_bayes"),
    output:
        nc="results/{model}/posterior.nc",
        summary="results/{model}/summary.csv",
        diagnostics="results/{model}/diagnostics.json",
    params:
        spec=lambda wc: MODELS[wc.model].to_json(),
        sampling=config["sampling"],
        seed=lambda wc: model_seed(wc.model),
        thresholds=config["diagnostics"],
    # small case tables fit on one core (two fits side by side); panels use two
    threads: lambda wc: 1 if MODELS[wc.model].data == "cases" else 2
    resources:
        mem_mb=4000,
    log:
        "logs/fit_bayes/{model}.log",
    benchmark:
        "benchmarks/fit_bayes/{model}.tsv"
    script:
        "../scripts/fit_bayes.py"


MODEL_OUTPUTS = expand(
    "results/{model}/{file}",
    model=list(MODELS),
    file=["frequentist.csv", "summary.csv", "diagnostics.json"],
)


rule predict_holdout:
    """Out-of-sample predictions for the rows a model's `holdout` set aside."""
    input:
        nc="results/{model}/posterior.nc",
        data=model_data,
        code=code("predict_holdout"),
    output:
        "results/{model}/holdout.csv",
    log:
        "logs/predict_holdout/{model}.log",
    benchmark:
        "benchmarks/predict_holdout/{model}.tsv"
    script:
        "../scripts/predict_holdout.py"


HOLDOUT_OUTPUTS = [f"results/{m}/holdout.csv" for m, s in MODELS.items() if s.holdout]
# which fits the default run makes (the rest: `snakemake robustness`) is
# decided in report.smk, by what the report reads
