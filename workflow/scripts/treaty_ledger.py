from alliance_models.log import setup_log
from alliance_models.stages.treaty_ledger import run

setup_log(snakemake.log[0])
inputs = {k: v for k, v in snakemake.input.items() if k != "code"}  # the data, not the code files
run(inputs, snakemake.params.eras, snakemake.params.obligations, dict(snakemake.output.items()))
