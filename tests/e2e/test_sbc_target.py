"""`snakemake sbc`: simulation-based calibration as its own target, fanned out
into batch jobs; a small run (8 simulations in 4 batches, short fits)."""

import pandas as pd
import pytest
from e2e_helpers import copy_project, snakemake, write_test_config

SBC = {
    "models": ["logit_varying_intercept", "categorical"],
    "n_sims": 8,
    "n_batches": 4,
    "n_obs": 60,
    "n_groups": 4,
    "n_predictors": 2,
    "n_categories": 3,
    "draws": 60,
    "tune": 60,
    "chains": 2,
    "target_accept": 0.9,
    "n_ranks": 19,
    "n_bins": 4,
    "seed_offset": 0,
}


def _jobs(stdout: str) -> dict[str, int]:
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("job") and "count" in line)
    out = {}
    for line in lines[start + 2 :]:
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit():
            break
        out[parts[0]] = int(parts[1])
    return out


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, mirror_dir):
    wd = copy_project(tmp_path_factory.mktemp("sbc") / "proj")
    write_test_config(wd, sbc=SBC)
    return wd


def test_sbc_is_not_in_the_default_run(workdir):
    jobs = _jobs(snakemake(workdir, "-n", "--configfile", "config/test.yaml").stdout)
    assert not {"sbc", "sbc_batch", "sbc_summary"} & set(jobs)


def test_sbc_fans_out_one_job_per_batch_and_model(workdir):
    jobs = _jobs(snakemake(workdir, "-n", "sbc", "--configfile", "config/test.yaml").stdout)
    assert jobs["sbc_batch"] == 2 * 4 and jobs["sbc_summary"] == 2 and jobs["sbc"] == 1
    assert "fit_bayes" not in jobs and "fetch" not in jobs


@pytest.fixture(scope="module")
def sbc_run(workdir):
    snakemake(workdir, "sbc", "--cores", "2", "--configfile", "config/test.yaml")
    return workdir


@pytest.mark.parametrize("model,n_params", [("logit_varying_intercept", 1 + 2 + 1 + 4), ("categorical", 2 + 2 * 2)])
def test_sbc_table_and_figures(sbc_run, model, n_params):
    table = pd.read_csv(sbc_run / "reports" / "tables" / f"sbc_{model}.csv")
    assert len(table) == n_params and table["parameter"].is_unique
    assert (table["n_sims"] == 8).all() and (table["n_ranks"] == 19).all() and (table["df"] == 3).all()
    # chi-square over 4 bins of 8 ranks: a statistic and a p-value in [0, 1]
    assert table["chi2"].notna().all() and (table["chi2"] >= 0).all()
    assert table["p_value"].between(0, 1).all()
    for ext in ("png", "svg"):
        assert (sbc_run / "reports" / "figures" / f"sbc_{model}.{ext}").stat().st_size > 1000
    ranks = pd.concat(pd.read_csv(p) for p in sorted((sbc_run / "results" / "sbc" / model).glob("batch_*.csv")))
    assert sorted(ranks["sim"].unique()) == list(range(8))
    assert ranks["rank"].between(0, 19).all()
    # the table's statistic is the one the ranks give
    from alliance_models.sbc import chi2_uniform, rank_counts

    first = table.iloc[0]
    r = ranks[ranks["parameter"] == first["parameter"]]["rank"].to_numpy()
    assert chi2_uniform(rank_counts(r, 19, 4))[0] == pytest.approx(first["chi2"])


def test_sbc_rerun_runs_nothing(sbc_run):
    proc = snakemake(sbc_run, "-n", "sbc", "--configfile", "config/test.yaml")
    assert "Nothing to be done" in proc.stdout + proc.stderr
