from alliance_models.log import setup_log
from alliance_models.stages import fit_frequentist

setup_log(snakemake.log[0])
out = snakemake.output
fit_frequentist(snakemake.params.spec, snakemake.input[0], out.csv, out.json)
