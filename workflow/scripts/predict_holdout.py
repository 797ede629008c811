from alliance_models.log import setup_log
from alliance_models.stages.predict_holdout import run

setup_log(snakemake.log[0])
run(snakemake.input.nc, snakemake.input.data, snakemake.output.csv, snakemake.output.ppc)
