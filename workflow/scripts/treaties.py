from alliance_models.log import setup_log
from alliance_models.stages.treaties import run

setup_log(snakemake.log[0])
run(snakemake.input.members, snakemake.input.alliances, snakemake.output.table)
