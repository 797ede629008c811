from alliance_models.log import setup_log
from alliance_models.stages.latent_capability import run

setup_log(snakemake.log[0])
out = snakemake.output
run(snakemake.input[0], snakemake.params.latent, out.table, out.diagnostics)
