"""End-to-end runs: a copy of the project in a temp folder, run with snakemake."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
MIRROR = ROOT.parent / "shared" / "data"
IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv",
    ".snakemake",
    "__pycache__",
    ".pytest_cache",
    "results",
    "reports",
    "logs",
    "benchmarks",
    "processed",
    "external",
    "*.egg-info",
)
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))


def copy_project(dest: Path) -> Path:
    shutil.copytree(ROOT, dest, ignore=IGNORE)
    return dest


def write_test_config(workdir: Path, kfold_folds: int = 0, **overrides) -> Path:
    """The default config with a short sampler run, the real mirror, and
    overrides; K-fold cross-validation off unless ``kfold_folds`` asks (each
    fold is one more fit of every primary model and its drop refits)."""
    cfg = yaml.safe_load((workdir / "config" / "config.yaml").read_text())
    cfg["data_mirror"] = str(MIRROR)
    cfg["report"]["kfold"] = {"folds": kfold_folds, "models": []}
    # short chains fail the gate by design: no retries (the escalation ladder has its own test)
    cfg["sampling"] = {"draws": 300, "tune": 300, "chains": 2, "target_accept": 0.9, "retry": []}
    cfg.update(overrides)
    path = workdir / "config" / "test.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def snakemake(workdir: Path, *args, check=True, timeout=1500) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(workdir / "workflow"))
    proc = subprocess.run([SNAKEMAKE, *args], cwd=workdir, capture_output=True, text=True, env=env, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}")
    return proc


def dry_run_jobs(stdout: str) -> set[str]:
    """Rule names in the 'Job stats' table of a dry run (empty if it has none)."""
    lines = stdout.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("job") and "count" in line), None)
    if start is None:
        return set()
    names = set()
    for line in lines[start + 2 :]:
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit():
            break
        names.add(parts[0])
    return names
