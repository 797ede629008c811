from alliance_models.log import setup_log
from alliance_models.stages.dyad_year import run

setup_log(snakemake.log[0])
p = snakemake.params
inputs = {k: v for k, v in snakemake.input.items() if k != "code"}  # the data, not the code files
run(
    inputs,
    p.sources,
    snakemake.wildcards.set,
    p.focal,
    p.years,
    p.mid_source,
    p.threat_window,
    p.atop_directed,
    p.eras,
    dict(snakemake.output.items()),
)
