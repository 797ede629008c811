from pathlib import Path

from alliance_models.fetch import resolve_mirror
from alliance_models.log import setup_log
from alliance_models.stages.fetch import run

setup_log(snakemake.log[0])
p = snakemake.params
mirror = resolve_mirror(snakemake.config["data_mirror"], Path(snakemake.scriptdir).parents[1])
run(p.name, p.source, snakemake.output[0], str(mirror) if mirror else None)
