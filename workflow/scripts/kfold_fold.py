from alliance_models.log import setup_log
from alliance_models.models._jax import use_compile_cache
from alliance_models.stages.kfold_fold import run

setup_log(snakemake.log[0])
use_compile_cache(snakemake.config.get("compile_cache"))  # not a param: where the cache lives changes no result
p, out = snakemake.params, snakemake.output
sampling = {**p.sampling, "cores": snakemake.threads}
fold = int(snakemake.wildcards.fold)
run(p.spec, snakemake.input[0], p.folds, fold, sampling, p.seed, p.fold_seed, p.thresholds, out.csv, out.diagnostics)
