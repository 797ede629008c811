from alliance_models.log import setup_log
from alliance_models.stages.report import run

setup_log(snakemake.log[0])
p = snakemake.params
run(p.models, p.reduced, p.settings, p.paths, p.tables, p.meta, dict(snakemake.output.items()))
