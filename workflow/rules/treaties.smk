# Treaties as the unit (issue 24): the ATOP 4.01 treaty table, and per focal
# set the treaty behind each onset, the focal-state-year table (when does it
# sign?) and the treaty choice sets (with whom?). Models read the last two
# as data: focal_year_<set> and treaty_choice_<set> (config/models.yaml).


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


FINAL_OUTPUTS += ["data/processed/treaties.parquet"]
FINAL_OUTPUTS += [f"data/processed/{t}_{s}.parquet" for s in config["panel"]["build"]
                  for t in ("onset_treaties", "focal_year", "treaty_choice")]


def ledger_model():
    """The partner-choice model the report's treaty ledger describes: the
    disparity claim's primary fit if it reads treaty choice sets, else the
    first declared model that does (None: no ledger)."""
    prim = CLAIM_PLAN.get("disparity", {}).get("primary", {}).get("model")
    cands = [prim] if prim in MODELS else []
    cands += [m for m, s in MODELS.items() if not s.reduced_from]
    return next((MODELS[m] for m in cands if MODELS[m].data.startswith("treaty_choice_")), None)


def ledger_inputs(wildcards):
    spec = ledger_model()
    s = spec.data.removeprefix("treaty_choice_")
    return {
        "treaties": "data/processed/treaties.parquet",
        "choice": f"data/processed/treaty_choice_{s}.parquet",
        "choice_meta": f"data/processed/treaty_choice_{s}.parquet.meta.yaml",
        "onsets": f"data/processed/onset_treaties_{s}.parquet",
        "focal_year": f"data/processed/focal_year_{s}.parquet",
    }


rule treaty_ledger:
    """Every treaty of the focal state in the modelled eras: in the partner-choice model or why not, and its onsets."""
    input:
        unpack(ledger_inputs),
        code=code("treaty_ledger"),
    output:
        table="reports/tables/treaty_ledger.csv",
        counts="reports/tables/treaty_ledger.json",
    params:
        eras=lambda wc: list(ledger_model().eras),
        obligations=["defense", "any"],
    log:
        "logs/treaty_ledger.log",
    benchmark:
        "benchmarks/treaty_ledger.tsv"
    conda:
        "../../environment.yml"
    script:
        "../scripts/treaty_ledger.py"
