from alliance_models.log import setup_log
from alliance_models.stages import model_figures

setup_log(snakemake.log[0])
i = snakemake.input
model_figures(i.summary, i.diagnostics, i.nc, snakemake.wildcards.model, list(snakemake.output))
