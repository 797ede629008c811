from alliance_models.log import setup_log
from alliance_models.stages import build_report

setup_log(snakemake.log[0])
p = snakemake.params
build_report(p.models, p.reduced, p.settings, p.paths, p.tables, p.meta, dict(snakemake.output.items()))
