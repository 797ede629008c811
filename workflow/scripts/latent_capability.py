from alliance_models.log import setup_log
from alliance_models.stages import latent_capability

setup_log(snakemake.log[0])
out = snakemake.output
latent_capability(snakemake.input[0], snakemake.params.latent, out.table, out.diagnostics)
