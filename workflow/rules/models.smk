# Fit every declared model: statsmodels (frequentist.csv) and PyMC
# (posterior.nc, summary.csv, diagnostics.json) under results/<model>/.

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
    conda:
        "../../environment.yml"
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
    conda:
        "../../environment.yml"
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
        csv="results/{model}/holdout.csv",
        ppc="results/{model}/holdout_ppc.json",
    log:
        "logs/predict_holdout/{model}.log",
    benchmark:
        "benchmarks/predict_holdout/{model}.tsv"
    conda:
        "../../environment.yml"
    script:
        "../scripts/predict_holdout.py"


HOLDOUT_OUTPUTS = [f"results/{m}/holdout.csv" for m, s in MODELS.items() if s.holdout]
# which fits the default run makes (the rest: `snakemake robustness`) is
# decided in plan.smk, by what the report reads
