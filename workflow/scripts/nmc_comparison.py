from alliance_models.log import setup_log
from alliance_models.stages import nmc_comparison

setup_log(snakemake.log[0])
nmc_comparison(dict(snakemake.input), snakemake.params.sources, snakemake.output[0])
