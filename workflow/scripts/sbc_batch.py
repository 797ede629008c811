from alliance_models.log import setup_log
from alliance_models.stages.sbc_batch import run

setup_log(snakemake.log[0])
p = snakemake.params
run(snakemake.wildcards.model, p.settings, int(snakemake.wildcards.batch), p.seed, p.priors, snakemake.output[0])
