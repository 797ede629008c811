from alliance_models.log import setup_log
from alliance_models.stages.claims import run

setup_log(snakemake.log[0])
p, i = snakemake.params, snakemake.input
run(
    p.plan,
    p.settings,
    p.dirs,
    p.data,
    {k: i.get(k) for k in ("table4", "threat_panel", "state_year", "cow_states", "cases")},
    dict(snakemake.output.items()),
)
