from alliance_models.log import setup_log
from alliance_models.stages.seed_reproduction import run

setup_log(snakemake.log[0])
run(snakemake.params.seed_dir, snakemake.input.state_year, snakemake.output[0])
