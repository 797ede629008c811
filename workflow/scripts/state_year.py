from alliance_models.log import setup_log
from alliance_models.stages import state_year

setup_log(snakemake.log[0])
p = snakemake.params
state_year(dict(snakemake.input), p.sources, snakemake.output[0], p.start, p.end, p.capabilities, p.max_gap)
