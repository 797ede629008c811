from alliance_models.log import setup_log
from alliance_models.stages import predict_holdout

setup_log(snakemake.log[0])
predict_holdout(snakemake.input.nc, snakemake.input.data, snakemake.output[0])
