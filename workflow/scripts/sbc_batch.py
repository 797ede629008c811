from alliance_models.log import setup_log
from alliance_models.sbc import write_sbc_batch

setup_log(snakemake.log[0])
p = snakemake.params
write_sbc_batch(snakemake.wildcards.model, p.settings, int(snakemake.wildcards.batch), p.seed, p.priors, snakemake.output[0])
