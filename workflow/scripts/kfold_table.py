from alliance_models.log import setup_log
from alliance_models.stages.kfold_table import run

setup_log(snakemake.log[0])
i, p = snakemake.input, snakemake.params
n = p.folds
reduced = [dict(r, files=i.reduced[j * n : (j + 1) * n]) for j, r in enumerate(p.reduced)]
run(snakemake.wildcards.model, p.spec, list(i.full), reduced, n, snakemake.output[0])
