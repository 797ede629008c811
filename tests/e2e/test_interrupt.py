"""Interruption and reruns.

* A run killed with SIGKILL (snakemake and every process it started) in the
  middle of a fit, then rerun, ends with the same outputs as a run never
  interrupted: byte-identical processed tables and posterior summaries.
* Two runs from the same config and seeds give byte-identical processed
  tables and identical posterior summaries.

The reduced project (one case model, no panel) runs the whole default DAG;
the fit uses PyMC's own NUTS here because it logs progress lines
("draws (all chains") the test waits for before it kills.
"""

import time
from pathlib import Path

import pytest
from e2e_helpers import snakemake
from trust_helpers import (
    group_members,
    kill_group,
    output_hashes,
    partial_files,
    reduced_project,
    sha256,
    start_snakemake,
)

SAMPLING = {"draws": 1500, "tune": 1500, "chains": 2, "target_accept": 0.9, "sampler": "pymc", "retry": []}
RUN = ["--cores", "2", "--configfile", "config/test.yaml"]
MODEL = "cases_allied"
FIT_LOG = f"logs/fit_bayes/{MODEL}.log"
PROGRESS = "draws (all chains"
# What must come out the same: processed tables and posterior summaries.
COMPARED = [
    "data/processed/state_year.parquet",
    "data/processed/cases.parquet",
    f"results/{MODEL}/summary.csv",
    f"results/{MODEL}/frequentist.csv",
]


def _compared(wd):
    return {p: sha256(wd / p) for p in COMPARED}


@pytest.fixture(scope="module")
def reference(tmp_path_factory, mirror_dir):
    """An uninterrupted run, then a second full run of the same config (--forceall)."""
    wd = reduced_project(tmp_path_factory.mktemp("reference") / "proj", sampling=SAMPLING)
    snakemake(wd, *RUN)
    first = _compared(wd)
    first_all = output_hashes(wd, ("data/processed", "results"))
    snakemake(wd, *RUN, "--forceall")
    return wd, first, first_all


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory, mirror_dir):
    """A run SIGKILLed in the middle of the fit, then unlocked and rerun."""
    wd = reduced_project(tmp_path_factory.mktemp("interrupted") / "proj", sampling=SAMPLING)
    log = wd.parent / "killed_run.log"
    proc = start_snakemake(wd, *RUN, log_path=log)
    fit_log = wd / FIT_LOG
    deadline = time.monotonic() + 900
    seen = ""
    while time.monotonic() < deadline and proc.poll() is None:
        seen = fit_log.read_text() if fit_log.exists() else ""
        if PROGRESS in seen:
            break
        time.sleep(0.02)
    alive = proc.poll() is None
    pgid = proc.pid
    if alive:
        kill_group(proc)
    state = {
        "killed_while_running": alive,
        "progress_seen": PROGRESS in seen,
        "fit_finished_before_kill": "sampled in" in seen,
        "fit_outputs_after_kill": sorted(
            str(p.relative_to(wd))
            for p in (wd / "results" / MODEL).glob("*")
            if p.name in ("posterior.nc", "summary.csv", "diagnostics.json")
        ),
        "partial_after_kill": partial_files(wd),
        "survivors": group_members(pgid),
        "log": log.read_text()[-3000:],
    }
    # A SIGKILLed snakemake leaves its lock behind: unlock, as a user would, and rerun.
    snakemake(wd, "--unlock", *RUN)
    rerun = snakemake(wd, *RUN)
    state["rerun_log"] = rerun.stdout + rerun.stderr
    return wd, state


def temp_target(part: str) -> str:
    """The output a temporary file was for: '.x.svg.ab12cd34.part' -> 'x.svg'."""
    p = Path(part)
    return str(p.parent / p.name[1:].removesuffix(".part").rsplit(".", 1)[0])


def test_kill_happened_in_the_middle_of_the_fit(interrupted):
    wd, s = interrupted
    assert s["killed_while_running"], s["log"]
    assert s["progress_seen"] and not s["fit_finished_before_kill"]
    assert s["survivors"] == []
    # Nothing of the fit under its final name. A job writing when the kill
    # came (another job beside the fit) may leave its temporary file, never
    # a file under the final name; the rerun clears it (next test).
    assert s["fit_outputs_after_kill"] == []
    assert all(Path(p).name.startswith(".") for p in s["partial_after_kill"]), s["partial_after_kill"]
    assert not any((wd / temp_target(p)).exists() for p in s["partial_after_kill"])


def test_rerun_after_kill_equals_an_uninterrupted_run(reference, interrupted):
    _, first, first_all = reference
    wd, s = interrupted
    assert "fit_bayes" in s["rerun_log"]
    assert _compared(wd) == first
    # Every processed table and every result file (posterior.nc aside: netCDF
    # embeds creation times; diagnostics.json holds the sampling time).
    ours = output_hashes(wd, ("data/processed", "results"))
    skip = ("posterior.nc", "diagnostics.json")
    assert {k: v for k, v in ours.items() if not k.endswith(skip)} == {
        k: v for k, v in first_all.items() if not k.endswith(skip)
    }
    assert partial_files(wd) == []


def test_two_runs_of_the_same_config_are_identical(reference):
    wd, first, _ = reference
    assert _compared(wd) == first


def test_rerun_after_kill_then_runs_nothing(interrupted):
    wd, _ = interrupted
    proc = snakemake(wd, "-n", *RUN)
    assert "Nothing to be done" in proc.stdout + proc.stderr
