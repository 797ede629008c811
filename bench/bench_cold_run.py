"""The cold run, timed: a fresh clone of this repository's HEAD, the README's
command (``./run.sh``: install, then ``snakemake`` on the default config).

Usage::

    python bench/bench_cold_run.py [--repo .] [--venv PATH] [--keep]

Clones ``--repo`` (its committed HEAD) into a temporary folder with
``../shared`` linked beside it, as CI does, and runs ``./run.sh``. With
``--venv`` an existing environment is linked instead of installed (the
install is then not timed: a first run on a fresh machine pays it once).
Prints the install and snakemake wall times, the jobs run, the ratios to
issue 26's goal (20 min on 2 cores) and target (10 min), and the ten
slowest jobs from the run's benchmark files. Writes nothing in ``--repo``.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_S = 20 * 60.0
TARGET_S = 10 * 60.0


def _slowest(bench: Path, k: int = 10) -> list[tuple[float, str]]:
    out = []
    for f in bench.rglob("*.tsv"):
        with open(f) as fh:
            rows = list(csv.DictReader(fh, delimiter="\t"))
        if rows:
            out.append((float(rows[-1]["s"]), str(f.relative_to(bench).with_suffix(""))))
    return sorted(out, reverse=True)[:k]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[1])
    ap.add_argument("--venv", type=Path, help="link this environment instead of installing one")
    ap.add_argument("--keep", action="store_true", help="keep the clone (its path is printed)")
    a = ap.parse_args(argv)
    repo = a.repo.resolve()
    shared = repo.parent / "shared"
    if not shared.is_dir():
        sys.exit(f"{shared}: the shared data folder is not beside the repository")
    tmp = Path(tempfile.mkdtemp(prefix="bench-cold-run-"))
    work = tmp / "main"
    head = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    subprocess.run(["git", "clone", "-q", str(repo), str(work)], check=True)
    os.symlink(shared, tmp / "shared")
    try:
        t0 = time.perf_counter()
        if a.venv:
            os.symlink(a.venv.resolve(), work / ".venv")
        else:
            subprocess.run(["./setup_env.sh"], cwd=work, check=True, stdout=subprocess.DEVNULL)
        install_s = time.perf_counter() - t0
        log = tmp / "snakemake.log"
        t1 = time.perf_counter()
        with open(log, "w") as fh:
            rc = subprocess.call([str(work / ".venv" / "bin" / "snakemake")], cwd=work, stdout=fh, stderr=fh)
        run_s = time.perf_counter() - t1
        if rc != 0:
            sys.exit(f"snakemake failed (rc {rc}); its log: {log}")
        done = re.findall(r"(\d+) of (\d+) steps", log.read_text())
        jobs = int(done[-1][1]) if done else 0
        slow = _slowest(work / "benchmarks")
    finally:
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    total = install_s + run_s
    print(f"commit {head.stdout.strip()}  cores {os.cpu_count()}  load average now {os.getloadavg()[0]:.1f}")
    print(f"install              {install_s:8.1f} s" + ("  (linked, not installed)" if a.venv else ""))
    print(f"snakemake            {run_s:8.1f} s  {jobs} jobs")
    print(
        f"cold run             {total:8.1f} s  ratio to the {GOAL_S / 60:.0f}-min goal {total / GOAL_S:.2f}, "
        f"to the {TARGET_S / 60:.0f}-min target {total / TARGET_S:.2f}"
    )
    print("slowest jobs (wall s):")
    for s, name in slow:
        print(f"  {s:8.1f}  {name}")
    if a.keep:
        print(f"clone kept: {work}")


if __name__ == "__main__":
    main()
