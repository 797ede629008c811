from alliance_models.fetch import project_root, resolve_mirror
from alliance_models.log import setup_log
from alliance_models.stages.fetch import run

setup_log(snakemake.log[0])
p = snakemake.params
mirror = resolve_mirror(snakemake.config["data_mirror"], project_root(snakemake.scriptdir))
run(p.name, p.source, snakemake.output[0], str(mirror) if mirror else None)
