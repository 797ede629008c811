from alliance_models.log import setup_log
from alliance_models.stages.alliance_spells import run

setup_log(snakemake.log[0])
inputs = {k: v for k, v in snakemake.input.items() if k != "code"}  # the data, not the code files
run(inputs, dict(snakemake.output.items()), snakemake.params.obligation)
