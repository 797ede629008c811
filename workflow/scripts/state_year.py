from alliance_models.log import setup_log
from alliance_models.stages.state_year import run

setup_log(snakemake.log[0])
p = snakemake.params
inputs = {k: v for k, v in snakemake.input.items() if k != "code"}  # the data, not the code files
run(inputs, p.sources, snakemake.output[0], p.start, p.end, p.capabilities, p.max_gap)
