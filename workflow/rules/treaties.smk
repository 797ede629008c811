# Treaties as the unit (issue 24): the ATOP 4.01 treaty table, and per focal
# set the treaty behind each onset, the focal-state-year table (when does it
# sign?) and the treaty choice sets (with whom?). Models read the last two
# as data: focal_year_<set> and treaty_choice_<set> (config/models.yaml).
# Alliance spells (alliance_spells_<set>): the years an obligation is in
# force, with the case files' political breaks as events (issue 25, item 3).
# The treaty ledger (a report table) is in report.smk.


rule treaties:
    """One row per ATOP 4.01 treaty and member: dates, original or adhesion, obligations, renewals."""
    input:
        members=source_path("atop4_members"),
        alliances=source_path("atop4_alliances"),
        code=code("treaties"),
    output:
        table="data/processed/treaties.parquet",
        meta="data/processed/treaties.parquet.meta.yaml",
    log:
        "logs/treaties.log",
    benchmark:
        "benchmarks/treaties.tsv"
    conda:
        "../../environment.yml"
    script:
        "../scripts/treaties.py"


rule treaty_tables:
    """For focal set {set}: the treaty behind each onset, the focal-year table and the treaty choice sets."""
    input:
        panel="data/processed/dyad_year_{set}.parquet",
        treaties="data/processed/treaties.parquet",
        members=source_path("atop4_members"),
        alliances=source_path("atop4_alliances"),
        wars=source_path("cow_war_inter"),
        code=code("treaty_tables"),
    output:
        onsets="data/processed/onset_treaties_{set}.parquet",
        onsets_meta="data/processed/onset_treaties_{set}.parquet.meta.yaml",
        focal_year="data/processed/focal_year_{set}.parquet",
        focal_year_meta="data/processed/focal_year_{set}.parquet.meta.yaml",
        choice="data/processed/treaty_choice_{set}.parquet",
        choice_meta="data/processed/treaty_choice_{set}.parquet.meta.yaml",
    wildcard_constraints:
        set="|".join(re.escape(s) for s in config["panel"]["focal_sets"]),
    params:
        window=config["panel"]["threat_window"],
    log:
        "logs/treaty_tables_{set}.log",
    benchmark:
        "benchmarks/treaty_tables_{set}.tsv"
    conda:
        "../../environment.yml"
    script:
        "../scripts/treaty_tables.py"


rule alliance_spells:
    """For focal set {set}: alliance spell-years, political breaks from the case files, every other end named."""
    input:
        panel="data/processed/dyad_year_{set}.parquet",
        cases="data/processed/cases.parquet",
        treaties="data/processed/treaties.parquet",
        code=code("alliance_spells"),
    output:
        table="data/processed/alliance_spells_{set}.parquet",
        meta="data/processed/alliance_spells_{set}.parquet.meta.yaml",
    wildcard_constraints:
        set="|".join(re.escape(s) for s in config["panel"]["focal_sets"]),
    params:
        obligation="any",
    log:
        "logs/alliance_spells_{set}.log",
    benchmark:
        "benchmarks/alliance_spells_{set}.tsv"
    conda:
        "../../environment.yml"
    script:
        "../scripts/alliance_spells.py"


FINAL_OUTPUTS += ["data/processed/treaties.parquet"]
FINAL_OUTPUTS += [f"data/processed/{t}_{s}.parquet" for s in config["panel"]["build"]
                  for t in ("onset_treaties", "focal_year", "treaty_choice")]
