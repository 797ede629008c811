from alliance_models.cases import CASE_INPUT_SOURCES
from alliance_models.log import setup_log
from alliance_models.stages.encode_cases import run

setup_log(snakemake.log[0])
i, o, p = snakemake.input, snakemake.output, snakemake.params
inputs = {name: i[name] for name in ["state_year", "latent", *CASE_INPUT_SOURCES]}
run(list(i.cases), inputs, p.sources, o.cases, o.missing, p.seed_dir, p.typology)
