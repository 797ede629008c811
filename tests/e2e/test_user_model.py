"""A model declared on a user's own CSV fits through snakemake with no code change."""

import json

import numpy as np
import pandas as pd
import pyreadr
import yaml
from e2e_helpers import copy_project, snakemake, write_test_config


def _user_csv(mirror, path):
    """US dyad-years 1950-1990 cut from the mirror: defence pledge ~ log CINC ratio."""
    atop = pyreadr.read_r(mirror / "peacesciencer/atop_alliance.rda")["atop_alliance"]
    nmc = pyreadr.read_r(mirror / "peacesciencer/cow_nmc.rda")["cow_nmc"]
    nmc = nmc.astype({"ccode": int, "year": int})
    years = nmc[(nmc.year >= 1950) & (nmc.year <= 1990) & (nmc.ccode != 2)][["ccode", "year", "cinc"]]
    us = nmc[nmc.ccode == 2].set_index("year")["cinc"]
    df = years.rename(columns={"ccode": "partner"})
    df["log_cinc_ratio"] = np.log(df["year"].map(us) / df["cinc"])
    a = atop[(atop.ccode1 == 2)].astype({"ccode2": int, "year": int})
    pledged = set(zip(a.loc[a.atop_defense == 1, "ccode2"], a.loc[a.atop_defense == 1, "year"]))
    df["us_defense"] = [int((p, y) in pledged) for p, y in zip(df.partner, df.year)]
    df = df.dropna().sample(n=600, random_state=1).sort_values(["partner", "year"])
    df.to_csv(path, index=False)
    return df


def test_user_csv_model_fits(tmp_path, mirror_dir):
    wd = copy_project(tmp_path / "proj")
    df = _user_csv(mirror_dir, wd / "my_dyads.csv")
    models = {
        "models": [
            {
                "name": "us_pledges",
                "data": "my_dyads.csv",
                "outcome": "us_defense",
                "formula": "us_defense ~ log_cinc_ratio",
                "cluster": "partner",
            }
        ]
    }
    (wd / "my_models.yaml").write_text(yaml.safe_dump(models))
    write_test_config(wd, models="my_models.yaml")
    proc = snakemake(
        wd,
        "results/us_pledges/summary.csv",
        "results/us_pledges/frequentist.csv",
        "--cores",
        "2",
        "--configfile",
        "config/test.yaml",
    )
    assert "fetch" not in proc.stdout  # a user file needs no source
    summary = pd.read_csv(wd / "results/us_pledges/summary.csv").set_index("parameter")
    freq = pd.read_csv(wd / "results/us_pledges/frequentist.csv").set_index("term")
    assert freq.loc["log_cinc_ratio", "n"] == len(df)
    # the posterior mean of the original-scale slope is close to the MLE on 600 rows
    assert abs(summary.loc["beta_orig[log_cinc_ratio]", "mean"] - freq.loc["log_cinc_ratio", "estimate"]) < 0.1
    diag = json.loads((wd / "results/us_pledges/diagnostics.json").read_text())
    assert diag["n_obs"] == len(df)


def test_user_csv_with_unknown_column_fails_at_load(tmp_path, mirror_dir):
    wd = copy_project(tmp_path / "proj")
    (wd / "mine.csv").write_text("y,x\n0,1\n1,2\n")
    models = {"models": [{"name": "mine", "data": "mine.csv", "outcome": "y", "formula": "y ~ x + z"}]}
    (wd / "my_models.yaml").write_text(yaml.safe_dump(models))
    write_test_config(wd, models="my_models.yaml")
    proc = snakemake(wd, "-n", "--configfile", "config/test.yaml", check=False)
    assert proc.returncode != 0
    assert "model 'mine': field 'formula': column 'z' is not in 'mine.csv'" in proc.stdout + proc.stderr
