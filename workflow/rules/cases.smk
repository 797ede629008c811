# Alliance cases (issue 4): validated case files -> cases.parquet -> the
# seeds' coding tables (Yu's Table 1, Moura's Table 4).
#
# Every case file is checked when the workflow loads: one error lists every
# problem in every file, and nothing runs (earlier outputs stay untouched).
from alliance_models.cases import validate_case_files
from alliance_models.data.states import load_system


# COW membership spells: the fetched cow_states, else the mirror's copy if its
# checksum is right; with neither (first run, no mirror, corrupt mirror) only
# the schema and cross-field checks run here (encode_cases checks the rest).
CASE_SPELLS_FILE = usable_source("cow_states")
CASE_FILES = sorted(glob.glob(config["cases"]))
SEED_TABLE_FILES = sorted(glob.glob(f"{config['seed_tables']}/*.csv"))

try:
    CASES = validate_case_files(
        CASE_FILES,
        load_system(CASE_SPELLS_FILE, SOURCES["cow_states"]["object"]) if CASE_SPELLS_FILE else None,
    )
except PipelineError as exc:
    raise WorkflowError(str(exc)) from None


rule encode_cases:
    """Measure every (case, partner): disparity, threat and Walt's four pillars."""
    input:
        cases=CASE_FILES,
        state_year="data/processed/state_year.parquet",
        latent="data/processed/latent_capability.parquet",
        cow_states=source_path("cow_states"),
        atop=source_path("atop"),
        contiguity=source_path("contiguity"),
        mindist=source_path("mindist"),
        mids=source_path("cow_mid_directed"),
        tss=source_path("tss_rivalries"),
        seed_tables=SEED_TABLE_FILES,
        code=code("encode_cases"),
    output:
        cases="data/processed/cases.parquet",
        meta="data/processed/cases.parquet.meta.yaml",
        missing="reports/tables/cases_missing.csv",
    params:
        sources=SOURCES,
        seed_dir=folder_of("seed_tables"),
        typology=config["typology"],
    log:
        "logs/encode_cases.log",
    benchmark:
        "benchmarks/encode_cases.tsv"
    conda:
        "../../environment.yml"
    script:
        "../scripts/encode_cases.py"


rule typology_tables:
    """Yu's Table 1 as data: cases per cell and each case's cell under each disparity measure."""
    input:
        "data/processed/cases.parquet",
        code=code("typology_tables"),
    output:
        cells="reports/tables/yu_typology_cells.csv",
        cases="reports/tables/yu_typology_cases.csv",
    params:
        typology=config["typology"],
    log:
        "logs/typology_tables.log",
    benchmark:
        "benchmarks/typology_tables.tsv"
    conda:
        "../../environment.yml"
    script:
        "../scripts/typology_tables.py"


rule moura_table4:
    """Moura's Table 4 (+/- per Walt pillar, 1954/1957/1969) from the measures, beside the printed one."""
    input:
        state_year="data/processed/state_year.parquet",
        contiguity=source_path("contiguity"),
        mindist=source_path("mindist"),
        mids=source_path("cow_mid_directed"),
        tss=source_path("tss_rivalries"),
        printed=config["typology"]["moura_table4"],
        seed_tables=SEED_TABLE_FILES,
        code=code("moura_table4"),
    output:
        "reports/tables/moura_table4.csv",
    params:
        sources=SOURCES,
        seed_dir=folder_of("seed_tables"),
        typology=config["typology"],
    log:
        "logs/moura_table4.log",
    benchmark:
        "benchmarks/moura_table4.tsv"
    conda:
        "../../environment.yml"
    script:
        "../scripts/moura_table4.py"


FINAL_OUTPUTS += [
    "data/processed/cases.parquet",
    "reports/tables/cases_missing.csv",
    "reports/tables/yu_typology_cells.csv",
    "reports/tables/yu_typology_cases.csv",
    "reports/tables/moura_table4.csv",
]
