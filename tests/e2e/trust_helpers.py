"""A reduced project for the trust tests (bad inputs, interruption, reruns):
one small case model, no dyad-year panel, short sampling; output hashing."""

import hashlib
import os
import signal
import subprocess
import time
from pathlib import Path

import yaml
from e2e_helpers import ROOT, SNAKEMAKE, copy_project, write_test_config

REDUCED_MODELS = ROOT / "tests" / "fixtures" / "trust" / "models_reduced.yaml"
# Everything a run writes that a later bad input must leave alone.
OUTPUT_DIRS = ("data/processed", "results", "reports", "data/raw/external")


def reduced_project(dest: Path, sampling: dict | None = None, **overrides) -> Path:
    """A project copy with config/test.yaml: the reduced models, no panel, short sampling."""
    wd = copy_project(dest)
    (wd / "config" / "models_reduced.yaml").write_text(REDUCED_MODELS.read_text())
    panel = yaml.safe_load((wd / "config" / "config.yaml").read_text())["panel"]
    write_test_config(
        wd,
        models="config/models_reduced.yaml",
        panel={**panel, "build": []},
        sampling=sampling or {"draws": 200, "tune": 200, "chains": 2, "target_accept": 0.9, "retry": []},
        **overrides,
    )
    return wd


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def output_hashes(wd: Path, dirs=OUTPUT_DIRS) -> dict[str, str]:
    """relative path -> sha256 of every file under the output folders."""
    out = {}
    for d in dirs:
        base = wd / d
        if base.is_dir():
            for p in sorted(base.rglob("*")):
                if p.is_file():
                    out[str(p.relative_to(wd))] = sha256(p)
    return out


def partial_files(wd: Path) -> list[str]:
    """Temporary files an interrupted write would leave (atomic writes use .part)."""
    skip = {".snakemake", ".git", ".venv"}
    return sorted(str(p.relative_to(wd)) for p in wd.rglob("*.part") if not skip & set(p.relative_to(wd).parts))


def start_snakemake(wd: Path, *args, log_path: Path) -> subprocess.Popen:
    """Start snakemake in its own process group (so the whole tree can be killed)."""
    env = dict(os.environ, PYTHONPATH=str(wd / "workflow"))
    fh = open(log_path, "w")
    return subprocess.Popen(
        [SNAKEMAKE, *args], cwd=wd, stdout=fh, stderr=subprocess.STDOUT, env=env, start_new_session=True
    )


def group_members(pgid: int) -> list[int]:
    """PIDs of live processes in process group ``pgid`` (Linux /proc)."""
    pids = []
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            fields = (p / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # fields: state ppid pgrp ...; a zombie (Z) is already dead
        if int(fields[2]) == pgid and fields[0] != "Z":
            pids.append(int(p.name))
    return pids


def kill_group(proc: subprocess.Popen, timeout: float = 30) -> None:
    """SIGKILL snakemake and every process it started, and wait until none is left."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=timeout)
    deadline = time.monotonic() + timeout
    while group_members(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = group_members(proc.pid)
    if left:
        raise AssertionError(f"processes {left} of the killed run survived SIGKILL")
