"""The whole default DAG on the real mirror, in a temporary copy of the project."""

import hashlib
import json
import re

import pandas as pd
import pytest
from e2e_helpers import copy_project, dry_run_jobs, snakemake, write_test_config


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def run(tmp_path_factory, mirror_dir):
    wd = copy_project(tmp_path_factory.mktemp("pipeline") / "proj")
    # every stage of the default DAG, on a reduced model set (see the file)
    write_test_config(wd, kfold_folds=2, models="tests/e2e/config/models_small.yaml")
    # ~15 min on an idle 2-core machine (K-fold adds 10 small fits); margin for a loaded one
    proc = snakemake(wd, "--cores", "2", "--configfile", "config/test.yaml", timeout=3600)
    return wd, proc


def test_report_and_tables_exist(run):
    wd, _ = run
    html = (wd / "reports" / "index.html").read_text()
    assert "<img" in html and "data:image/png;base64," in html
    assert not re.search(r"""(src|href)=["']https?://""", html)
    for table in ("seed_reproduction.csv", "nmc_6_vs_7.csv"):
        assert (wd / "reports" / "tables" / table).stat().st_size > 0
    sy = pd.read_parquet(wd / "data" / "processed" / "state_year.parquet")
    assert sy["year"].min() == 1816 and sy["year"].max() == 2022
    fetched = sorted(p.name for p in (wd / "data" / "raw" / "external").rglob("*") if p.is_file())
    assert "cow_nmc.rda" in fetched and not any(n.endswith(".part") for n in fetched)


def test_every_model_has_results_and_a_gate(run):
    wd, _ = run
    for diag in (wd / "results").glob("*/diagnostics.json"):
        d = json.loads(diag.read_text())
        assert d["status"] in ("ok", "failed")
        summary = pd.read_csv(diag.parent / "summary.csv")
        assert (summary["fit_status"] == d["status"]).all()
        assert (diag.parent / "frequentist.csv").exists() and (diag.parent / "posterior.nc").exists()


def test_treaties_are_built_fitted_and_named_as_the_unit(run):
    """Issue 24 end to end: the treaty table, the onsets matched to treaties,
    the year and choice tables, a conditional-logit fit counted in treaties,
    and the report's section on the unit of evidence."""
    wd, _ = run
    proc = wd / "data" / "processed"
    t = pd.read_parquet(proc / "treaties.parquet")
    assert set(t.loc[t["atopid"] == 2550, "member"]) >= {365, 2, 200}
    onsets = pd.read_parquet(proc / "onset_treaties_ussr.parquet")
    soviet = onsets[(onsets["era"] == "soviet") & (onsets["obligation"] == "defense")]
    assert len(soviet) > 0 and soviet["atopid"].notna().all()
    fy = pd.read_parquet(proc / "focal_year_ussr.parquet")
    assert fy.loc[fy["era"] == "soviet", "year"].agg(["min", "max"]).tolist() == [1922, 1991]
    diag = json.loads((wd / "results" / "ussr_choice" / "diagnostics.json").read_text())
    assert diag["unit"] == "treaties" and diag["n_decisions"] >= 10
    freq = pd.read_csv(wd / "results" / "ussr_choice" / "frequentist.csv")
    assert "Intercept" not in set(freq["term"]) and freq["method"].str.startswith("conditional-logit").all()
    html = (wd / "reports" / "index.html").read_text()
    assert "The unit of evidence: treaties" in html and "choice sets of the partner-choice model" in html
    md = (wd / "reports" / "summary.md").read_text()
    assert "## The unit of evidence: treaties" in md


def test_rerun_runs_nothing(run):
    wd, _ = run
    proc = snakemake(wd, "--cores", "2", "--configfile", "config/test.yaml")
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_processed_tables_are_byte_identical_on_rebuild(run):
    wd, _ = run
    target = wd / "data" / "processed" / "state_year.parquet"
    before = _sha(target)
    snakemake(
        wd, "--cores", "2", "--configfile", "config/test.yaml", "--forcerun", "state_year", "--until", "state_year"
    )
    assert _sha(target) == before


def test_snakemake_report_zip(run):
    wd, _ = run
    snakemake(wd, "--cores", "1", "--configfile", "config/test.yaml", "--report", "report.zip")
    assert (wd / "report.zip").stat().st_size > 10_000


def _dry_run_after_editing(wd, module):
    """The rules a dry run schedules once ``module`` (a package file) has been
    edited: its content changes (Snakemake's mtime trigger also compares the
    input's checksum, so a mere touch reruns nothing). Its old bytes and mtime
    are restored afterwards."""
    import os

    path = wd / "workflow" / "alliance_models" / module
    before, text = path.stat(), path.read_bytes()
    try:
        path.write_bytes(text + b"\n# edited by a test\n")
        proc = snakemake(wd, "-n", "--configfile", "config/test.yaml")
    finally:
        path.write_bytes(text)
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    return dry_run_jobs(proc.stdout)


def test_editing_the_plots_reruns_figures_and_report_not_fits(run):
    wd, _ = run
    jobs = _dry_run_after_editing(wd, "plots.py")
    assert "report" in jobs and {"model_figures", "case_model_figures"} & jobs, jobs
    assert not {"fit_bayes", "fit_frequentist", "dyad_year", "state_year"} & jobs, jobs


def test_editing_a_data_module_reruns_the_panels_and_everything_downstream(run):
    wd, _ = run
    jobs = _dry_run_after_editing(wd, "data/dyads.py")
    assert {"dyad_year", "fit_bayes", "report"} <= jobs, jobs
    assert "state_year" not in jobs  # state_year does not run the dyad verbs


def test_verdicts_read_blocks_and_say_how_much(run):
    """Issue 25 end to end: the threat verdict reads the timing model's threat
    block (a joint contrast, PSIS-LOO without it, its terms listed), every
    verdict row says how much on the probability scale, the findings figure
    and each model's missing-values table exist, and a holdout has its count
    check."""
    wd, _ = run
    v = pd.read_csv(wd / "reports" / "tables" / "verdicts.csv").set_index("claim_id")
    assert v.loc["threat", "primary"] == "ussr_timing, threat block (at_war, mids_targeted)"
    assert v.loc["threat", "how_much"].startswith("yearly probability of a new defence treaty")
    assert "pp [" in v.loc["disparity", "how_much"] and "RR" in v.loc["disparity", "how_much"]
    assert pd.notna(v.loc["threat", "elpd_drop"])
    strip = pd.read_csv(wd / "reports" / "tables" / "robustness.csv")
    terms = strip[(strip["claim_id"] == "threat") & (strip["axis"] == "terms")]
    assert terms["term"].tolist() == ["at_war", "mids_targeted"]
    assert (wd / "reports" / "figures" / "findings.png").is_file()
    miss = pd.read_csv(wd / "reports" / "tables" / "models" / "ussr_choice-missing.csv")
    assert miss["column"].iloc[-1] == "(any column)" and miss["rows"].iloc[-1] > 0
    ppc = json.loads((wd / "results" / "ussr_onset_oos" / "holdout_ppc.json").read_text())
    assert set(ppc) >= {"observed", "population", "new_levels"} and ppc["observed"]["events"] >= 0
    var = pd.read_csv(wd / "reports" / "tables" / "models" / "ussr_timing-variance.csv").set_index("part")
    assert {"block: threat", "duration clock", "linear predictor (all parts)"} <= set(var.index)
    assert 0 <= var.loc["block: threat", "share"] <= 1


def test_the_quoted_elpd_is_kfold_by_decision(run):
    """Issue 25 item 5: the ΔELPD a verdict quotes comes from K-fold
    cross-validation by decision (2 folds here), every decision of the fit
    held out once, PSIS-LOO's figure named beside it."""
    wd, _ = run
    tables = wd / "reports" / "tables" / "models"
    kt = pd.read_csv(tables / "ussr_timing-kfold.csv")
    assert kt["dropped"].tolist() == ["threat"] and (kt["folds"] == 2).all()
    assert kt["delta_elpd"].notna().all() and (kt["delta_se"] > 0).all()
    fitted = pd.read_csv(wd / "results" / "ussr_timing" / "summary.csv")["n_obs"].iloc[0]
    folds = pd.concat(pd.read_csv(wd / "results" / "ussr_timing" / "kfold" / f"fold{k}.csv") for k in (0, 1))
    assert folds["decision"].is_unique and len(folds) == kt["n_decisions"].iloc[0] == fitted
    v = pd.read_csv(wd / "reports" / "tables" / "verdicts.csv").set_index("claim_id")
    note = v.loc["threat", "elpd_note"]
    assert note.startswith("K-fold; 2-fold cross-validation, one fold of signing years") and "PSIS-LOO gave" in note
    assert v.loc["threat", "elpd_drop"] == pytest.approx(kt["delta_elpd"].iloc[0])
    choice = pd.read_csv(tables / "ussr_choice-kfold.csv").set_index("dropped")
    assert set(choice.index) == {"disparity", "threat"} and choice["loo_unit"].str.contains("treaties").all()


def test_breaks_are_the_case_files_political_breaks(run):
    """Issue 25 item 3 end to end: the alliance spells carry the case files'
    breaks as events (China 1960, not ATOP's 1980), the break model is fitted
    counting break cases, and the narrowing verdict reads it."""
    wd, _ = run
    at = pd.read_parquet(wd / "data" / "processed" / "alliance_spells_ussr.parquet")
    china = at[(at["ccode2"] == 710) & (at["era"] == "soviet")]  # a new spell opens with the 2001 treaty
    assert china["year"].max() == 1960 and china["political_break"].sum() == 1
    assert (at.loc[at["political_break"] == 1, "break_case"] != "").all()
    diag = json.loads((wd / "results" / "ussr_breaks" / "diagnostics.json").read_text())
    assert diag["unit"] == "break cases" and 1 <= diag["n_decisions"] <= diag["n_events"]


def test_declaring_a_focal_state_plans_only_its_jobs(run):
    """Issue 26 item 2: another focal state (India: not a major power, so the
    major-power panel's rows do not change) with its eras and one model on
    its panel plans that panel, that model's jobs and the report's, no fit of
    another model and no other panel; the same mirror in another folder
    reruns nothing."""
    import yaml

    wd, _ = run
    cfg = yaml.safe_load((wd / "config" / "test.yaml").read_text())
    cfg["panel"]["focal_sets"]["ind"] = [750]
    cfg["panel"]["eras"][750] = {"republic": [1947, 2016]}
    models = yaml.safe_load((wd / cfg["models"]).read_text())
    models["models"].append(
        {
            "name": "ind_onset",
            "data": "dyad_year_ind",
            "eras": ["republic"],
            "outcome": "atop_defense_onset",
            "formula": "atop_defense_onset ~ log_cinc_ratio + common_enemy",
            "subset": "atop_defense == 0 or atop_defense_onset == 1",
        }
    )
    (wd / "config" / "models_ind.yaml").write_text(yaml.safe_dump(models, sort_keys=False))
    cfg["models"] = "config/models_ind.yaml"
    (wd / "config" / "ind.yaml").write_text(yaml.safe_dump(cfg))
    proc = snakemake(wd, "-n", "--configfile", "config/ind.yaml")
    outputs = " ".join(re.findall(r"^\s*output: (.*)$", proc.stdout, flags=re.M))
    assert set(re.findall(r"results/([^/\s,]+)/", outputs)) == {"ind_onset"}, outputs
    panels = set(re.findall(r"data/processed/(dyad_year_[a-z]+)\.parquet", outputs))
    assert panels == {"dyad_year_ind"}, panels
    assert {"fit_bayes", "fit_frequentist", "dyad_year", "report"} <= dry_run_jobs(proc.stdout)

    cfg = yaml.safe_load((wd / "config" / "test.yaml").read_text())
    moved = wd.parent / "mirror_link"
    if not moved.exists():
        moved.symlink_to(cfg["data_mirror"], target_is_directory=True)
    cfg["data_mirror"] = str(moved)
    (wd / "config" / "moved.yaml").write_text(yaml.safe_dump(cfg))
    proc = snakemake(wd, "-n", "--configfile", "config/moved.yaml")
    assert "Nothing to be done" in proc.stdout + proc.stderr, proc.stdout[-3000:]
