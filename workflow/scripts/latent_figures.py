from alliance_models.log import setup_log
from alliance_models.stages.latent_figures import run

setup_log(snakemake.log[0])
o, p = snakemake.output, snakemake.params
inputs = {k: v for k, v in snakemake.input.items() if k != "code"}  # the data, not the code files
run(
    inputs,
    p.settings,
    {"series": o.series, "loadings": o.loadings, "ratios": o.ratios, "figure_stem": p.figure_stem},
    p.seed_dir,
)
