from alliance_models.log import setup_log
from alliance_models.stages import latent_figures

setup_log(snakemake.log[0])
o, p = snakemake.output, snakemake.params
latent_figures(dict(snakemake.input), p.settings, {"series": o.series, "loadings": o.loadings, "ratios": o.ratios,
                                                   "figure_stem": p.figure_stem}, p.seed_dir)
