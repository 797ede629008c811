# alliance-models: public IR data -> dyad-years and cases -> logit and Bayesian
# models -> posterior report. Run `snakemake` (the default profile in
# profiles/default sets cores and resources). See README.md.

from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


# Our own check first (it names the key), then Snakemake's (fills defaults).
include: "workflow/rules/common.smk"


validate(config, "config/config.schema.json")


include: "workflow/rules/data.smk"
include: "workflow/rules/cases.smk"
include: "workflow/rules/panel.smk"
include: "workflow/rules/treaties.smk"
include: "workflow/rules/plan.smk"
include: "workflow/rules/models.smk"
include: "workflow/rules/kfold.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/sbc.smk"


onstart:
    # what a killed run's atomic writes left behind (alliance_models.leftovers)
    from alliance_models.leftovers import remove_stale_parts

    for _p in remove_stale_parts(["data", "results", "reports"]):
        print(f"alliance-models: removed {_p}, left by an interrupted run")


onerror:
    print("alliance-models: a job failed; its log is under logs/ (see above).")


rule all:
    input:
        get_final_output(),
    default_target: True
