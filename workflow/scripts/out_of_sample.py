from alliance_models.log import setup_log
from alliance_models.stages.out_of_sample import run

setup_log(snakemake.log[0])
i, p = snakemake.input, snakemake.params
holdouts = [
    {"name": m, "csv": c, "diagnostics": d, "ppc": q, "description": p.descriptions[m]}
    for m, c, d, q in zip(p.models, i.csv, i.diagnostics, i.ppc)
]
run(holdouts, i.state_year, p.fig_stem, dict(snakemake.output.items()), seed=p.seed, nulls=p.nulls)
