from alliance_models.cases import run_typology_tables
from alliance_models.log import setup_log

setup_log(snakemake.log[0])
o = snakemake.output
run_typology_tables(snakemake.input[0], snakemake.params.typology, o.cells, o.cases)
