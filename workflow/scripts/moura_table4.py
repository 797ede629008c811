from alliance_models.log import setup_log
from alliance_models.stages.moura_table4 import run

setup_log(snakemake.log[0])
i, p = snakemake.input, snakemake.params
inputs = {k: i[k] for k in ("state_year", "contiguity", "mindist", "mids", "tss", "printed")}
run(inputs, p.sources, p.seed_dir, p.typology, snakemake.output[0])
