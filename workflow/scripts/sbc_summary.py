from alliance_models.log import setup_log
from alliance_models.stages.sbc_summary import run

setup_log(snakemake.log[0])
o = snakemake.output
run(list(snakemake.input.batches), snakemake.wildcards.model, snakemake.params.settings, o.table, [o.png, o.svg])
