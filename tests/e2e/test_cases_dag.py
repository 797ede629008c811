"""Case files in the DAG: a new file reruns only encoding and what follows it;
an invalid case set stops the workflow before any job, leaving outputs alone."""

import hashlib

import pandas as pd
import pytest
from e2e_helpers import copy_project, dry_run_jobs, snakemake, write_test_config

TARGETS = ["reports/tables/yu_typology_cells.csv", "reports/tables/moura_table4.csv"]
OUTPUTS = [
    "data/processed/cases.parquet",
    "reports/tables/yu_typology_cells.csv",
    "reports/tables/yu_typology_cases.csv",
    "reports/tables/moura_table4.csv",
]

NEW_CASE = """\
- id: test-added-case-1962
  partners: [40]
  year: 1962
  event: held
  threat: [2]
  expert:
    disparity: high
    threat: high
    note: "Added by the test: the Cuban missile crisis as a test of the alignment."
  category: affiliation
  sources: ["Fursenko and Naftali (1997)"]
"""


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, mirror_dir):
    wd = copy_project(tmp_path_factory.mktemp("cases") / "proj")
    write_test_config(wd)
    snakemake(wd, *TARGETS, "--cores", "2", "--configfile", "config/test.yaml")
    return wd


def test_tables_written(workdir):
    enc = pd.read_parquet(workdir / "data/processed/cases.parquet")
    assert enc["case_id"].nunique() >= 30
    cells = pd.read_csv(workdir / "reports/tables/yu_typology_cells.csv")
    assert cells["n_cases_expert"].sum() == enc["case_id"].nunique()
    t4 = pd.read_csv(workdir / "reports/tables/moura_table4.csv")
    assert set(t4["year"].dropna().astype(int)) == {1954, 1957, 1969}


def test_invalid_case_file_stops_before_any_job(workdir):
    before = {p: _sha(workdir / p) for p in OUTPUTS}
    bad = workdir / "data/raw/cases/zz_bad.yaml"
    bad.write_text(
        NEW_CASE.replace("partners: [40]", "partners: [255]").replace("category: affiliation", "category: maybe")
    )
    try:
        proc = snakemake(workdir, *TARGETS, "--cores", "2", "--configfile", "config/test.yaml", check=False)
    finally:
        bad.unlink()
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "case 'test-added-case-1962' (item 1): field 'category': unknown word 'maybe'" in out
    assert "field 'partners': COW code 255 (Germany) is not a system member in 1962" in out
    assert {p: _sha(workdir / p) for p in OUTPUTS} == before


def test_new_case_file_schedules_only_encoding_and_downstream(workdir):
    new = workdir / "data/raw/cases/zz_added.yaml"
    new.write_text(NEW_CASE)
    try:
        proc = snakemake(workdir, *TARGETS, "-n", "--configfile", "config/test.yaml")
    finally:
        new.unlink()
    jobs = dry_run_jobs(proc.stdout)
    assert {"encode_cases", "typology_tables"} <= jobs
    assert not jobs & {"fetch", "state_year", "moura_table4"}, jobs
