from alliance_models.log import setup_log
from alliance_models.models._jax import use_compile_cache
from alliance_models.stages.fit_bayes import run

setup_log(snakemake.log[0])
use_compile_cache(snakemake.config.get("compile_cache"))  # not a param: where the cache lives changes no result
p, out = snakemake.params, snakemake.output
sampling = {**p.sampling, "cores": snakemake.threads}
run(p.spec, snakemake.input[0], sampling, p.seed, p.thresholds, out.nc, out.summary, out.diagnostics)
