from alliance_models.cases import run_moura_table4
from alliance_models.log import setup_log

setup_log(snakemake.log[0])
i, p = snakemake.input, snakemake.params
inputs = {k: i[k] for k in ("state_year", "contiguity", "mindist", "mids", "tss", "printed")}
run_moura_table4(inputs, p.sources, p.seed_dir, p.typology, snakemake.output[0])
