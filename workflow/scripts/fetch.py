from pathlib import Path

from alliance_models.fetch import resolve_mirror
from alliance_models.log import setup_log
from alliance_models.stages import fetch

setup_log(snakemake.log[0])
p = snakemake.params
mirror = resolve_mirror(snakemake.config["data_mirror"], Path(snakemake.scriptdir).parents[1])
fetch(p.name, p.source, snakemake.output[0], str(mirror) if mirror else None)
