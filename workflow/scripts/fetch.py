from alliance_models.log import setup_log
from alliance_models.stages import fetch

setup_log(snakemake.log[0])
p = snakemake.params
fetch(p.name, p.source, snakemake.output[0], p.mirror)
