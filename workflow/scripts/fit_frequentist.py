from alliance_models.log import setup_log
from alliance_models.stages.fit_frequentist import run

setup_log(snakemake.log[0])
out = snakemake.output
run(snakemake.params.spec, snakemake.input[0], out.csv, out.json)
