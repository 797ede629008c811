# Directed dyad-year panels (issue 5): one per focal set in config key `panel`.
import re

from alliance_models.config import config_where
from alliance_models.data.panel import MID_SOURCES, check_panel_config, set_eras
from alliance_models.errors import PipelineError

# A bad focal code, set name, year range or era stops the run here, before any job.
# Membership comes from the fetched cow_states if present, else the mirror's
# when its sha256 is the declared one (usable_source); with neither, only the
# set names are checked (the rule checks codes again on the verified files).
try:
    PANEL_FOCAL = check_panel_config(
        config["panel"],
        usable_source("cow_states"),
        usable_source("cow_majors"),
        eras_where=config_where(["panel", "eras"], CONFIGFILES, workflow.config_settings.config),
    )
except PipelineError as exc:
    raise WorkflowError(str(exc)) from None


rule dyad_year:
    """Directed dyad-year panel for focal set {set}: alliances, capabilities, threats."""
    input:
        state_year="data/processed/state_year.parquet",
        latent="data/processed/latent_capability.parquet",
        atop=source_path("atop"),
        cow_ddy=source_path("cow_ddy"),
        cow_states=source_path("cow_states"),
        cow_majors=source_path("cow_majors"),
        contiguity=source_path("contiguity"),
        mindist=source_path("mindist"),
        capitals=source_path("capitals"),
        mids=source_path(MID_SOURCES[config["panel"]["mid_source"]]),
        tss=source_path("tss_rivalries"),
        td=source_path("td_rivalries"),
        terrthreat=source_path("terrthreat"),
        wars=source_path("cow_war_inter"),
        code=code("dyad_year"),
    output:
        panel="data/processed/dyad_year_{set}.parquet",
        meta="data/processed/dyad_year_{set}.parquet.meta.yaml",
    wildcard_constraints:
        set="|".join(re.escape(s) for s in config["panel"]["focal_sets"]),
    params:
        sources=SOURCES,
        focal=lambda wc: config["panel"]["focal_sets"][wc.set],
        years=config["panel"]["years"],
        mid_source=config["panel"]["mid_source"],
        threat_window=config["panel"]["threat_window"],
        atop_directed=config["panel"]["atop_directed"],
        # only the eras of this set's focal states: another state's eras do not rebuild it
        eras=lambda wc: set_eras(config["panel"]["eras"], PANEL_FOCAL.get(wc.set)),
    log:
        "logs/dyad_year_{set}.log",
    benchmark:
        "benchmarks/dyad_year_{set}.tsv"
    conda:
        "../../environment.yml"
    script:
        "../scripts/build_dyad_year.py"


FINAL_OUTPUTS += [f"data/processed/dyad_year_{s}.parquet" for s in config["panel"]["build"]]
