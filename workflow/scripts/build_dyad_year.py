from alliance_models import io
from alliance_models.data.panel import build_dyad_year_from_files
from alliance_models.log import setup_log

setup_log(snakemake.log[0])
p = snakemake.params
df, meta = build_dyad_year_from_files(dict(snakemake.input), p.sources, snakemake.wildcards.set, p.focal,
                                      p.years, p.mid_source, p.threat_window, p.atop_directed, p.eras)
io.write_parquet(df, snakemake.output.panel)
io.write_yaml(meta, snakemake.output.meta)
