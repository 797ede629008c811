from alliance_models.log import setup_log
from alliance_models.stages import seed_reproduction

setup_log(snakemake.log[0])
seed_reproduction(snakemake.params.seed_dir, snakemake.input.state_year, snakemake.output[0])
