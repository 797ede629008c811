"""The DAG: dry runs with each profile, config errors before any job."""

import pytest
from e2e_helpers import copy_project, dry_run_jobs, snakemake, write_test_config


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, mirror_dir):
    wd = copy_project(tmp_path_factory.mktemp("dag") / "proj")
    write_test_config(wd)
    return wd


@pytest.mark.parametrize("profile", ["profiles/default", "profiles/slurm"])
def test_dry_run_lists_every_stage(workdir, profile):
    proc = snakemake(workdir, "-n", "--profile", profile, "--configfile", "config/test.yaml")
    jobs = dry_run_jobs(proc.stdout)
    for rule in (
        "fetch",
        "state_year",
        "nmc_comparison",
        "seed_reproduction",
        "encode_cases",
        "fit_frequentist",
        "fit_bayes",
        "model_figures",
        "report",
        "all",
    ):
        assert rule in jobs, f"{rule} missing from the dry run with {profile}: {sorted(jobs)}"


def test_unknown_config_key_stops_before_any_job(workdir):
    bad = workdir / "config" / "bad.yaml"
    bad.write_text((workdir / "config" / "test.yaml").read_text() + "\ncolour: red\n")
    proc = snakemake(workdir, "-n", "--configfile", "config/bad.yaml", check=False)
    assert proc.returncode != 0
    assert "unknown key 'colour'" in proc.stdout + proc.stderr
    assert not (workdir / "data" / "raw" / "external").exists()


def test_wrong_type_names_the_key(workdir):
    bad = workdir / "config" / "bad2.yaml"
    bad.write_text((workdir / "config" / "test.yaml").read_text().replace("draws: 300", "draws: lots"))
    proc = snakemake(workdir, "-n", "--configfile", "config/bad2.yaml", check=False)
    assert proc.returncode != 0
    assert "key 'sampling.draws': 'lots' is not of type 'integer'" in proc.stdout + proc.stderr


def test_moving_the_mirror_reruns_nothing(workdir, tmp_path):
    """A source is identified by its sha256, not by where the mirror is: the
    same bytes in another folder leave every fetched file up to date."""
    import shutil

    import yaml

    target = "data/raw/external/peacesciencer/cow_states.rda"
    snakemake(workdir, target, "--cores", "1", "--configfile", "config/test.yaml")
    moved = tmp_path / "elsewhere" / "data"
    (moved / "peacesciencer").mkdir(parents=True)
    cfg = yaml.safe_load((workdir / "config" / "test.yaml").read_text())
    shutil.copy2(f"{cfg['data_mirror']}/peacesciencer/cow_states.rda", moved / "peacesciencer" / "cow_states.rda")
    (workdir / "config" / "moved.yaml").write_text(yaml.safe_dump({**cfg, "data_mirror": str(moved)}))
    proc = snakemake(workdir, target, "-n", "--configfile", "config/moved.yaml")
    assert "Nothing to be done" in proc.stdout + proc.stderr, proc.stdout[-2000:]
