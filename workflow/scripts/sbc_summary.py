from alliance_models.log import setup_log
from alliance_models.sbc import write_sbc_summary

setup_log(snakemake.log[0])
o = snakemake.output
write_sbc_summary(list(snakemake.input), snakemake.wildcards.model, snakemake.params.settings, o.table, [o.png, o.svg])
