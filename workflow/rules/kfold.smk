# K-fold cross-validation by decision (alliance_models.kfold): each fold
# refits a model without one fold of its decisions and scores them. Run for
# the primary fits whose ΔELPD a verdict quotes (their drop refits too) and
# for the models in report.kfold.models; report.kfold.folds 0 turns it off.

rule kfold_fold:
    """One fold: the model fitted without it, its decisions scored."""
    input:
        model_data,
        code=code("kfold_fold"),
    output:
        csv="results/{model}/kfold/fold{fold}.csv",
        diagnostics="results/{model}/kfold/fold{fold}.json",
    wildcard_constraints:
        fold=r"\d+",
    params:
        spec=lambda wc: MODELS[wc.model].to_json(),
        sampling=config["sampling"],
        seed=lambda wc: model_seed(wc.model),
        # the folds depend on the data table and the rows the model selects,
        # not its formula: a model and its drop refits leave out the same decisions
        fold_seed=config["seed"],
        folds=KFOLD_FOLDS,
        thresholds=config["diagnostics"],
    threads: lambda wc: 1 if MODELS[wc.model].data == "cases" else 2
    resources:
        mem_mb=4000,
    log:
        "logs/kfold_fold/{model}-{fold}.log",
    benchmark:
        "benchmarks/kfold_fold/{model}-{fold}.tsv"
    conda:
        "../../environment.yml"
    script:
        "../scripts/kfold_fold.py"


rule kfold_table:
    """A model's K-fold ΔELPD for each block it drops."""
    input:
        full=lambda wc: kfold_files(wc.model),
        reduced=lambda wc: [f for _, r in REDUCED_OF[wc.model] for f in kfold_files(r)],
        code=code("kfold_table"),
    output:
        f"{MTAB}/{{model}}-kfold.csv",
    wildcard_constraints:
        model="|".join(re.escape(m) for m in KFOLD_MODELS) or "^$",
    params:
        spec=lambda wc: MODELS[wc.model].to_json(),
        reduced=lambda wc: [{"label": lab, "name": r} for lab, r in REDUCED_OF[wc.model]],
        folds=KFOLD_FOLDS,
    log:
        "logs/kfold_table/{model}.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/kfold_table.py"
