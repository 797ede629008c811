from alliance_models.log import setup_log
from alliance_models.stages.model_figures import run

setup_log(snakemake.log[0])
i, p = snakemake.input, snakemake.params
reduced = [dict(r, nc=nc, diagnostics=d) for r, nc, d in zip(p.reduced, i.reduced_nc, i.reduced_diag)]
inputs = dict({k: i[k] for k in ("nc", "summary", "diagnostics", "frequentist", "data")}, spec=p.spec)
case = dict(p.case, state_year=i.state_year) if p.case else None
run(snakemake.wildcards.model, inputs, reduced, p.settings, p.fig_dir, p.table_dir, case)
