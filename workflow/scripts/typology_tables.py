from alliance_models.log import setup_log
from alliance_models.stages.typology_tables import run

setup_log(snakemake.log[0])
o = snakemake.output
run(snakemake.input[0], snakemake.params.typology, o.cells, o.cases)
