"""A user's main loop, timed: add one case file to a finished run and rerun.

Usage::

    python bench/bench_add_case.py RUN_DIR [--case-file soviet_alignments.yaml] [--keep]

RUN_DIR is a project folder where ``snakemake`` (the default run) has
finished. The bench copies it (its ``.venv`` is linked, not copied) and, in
the copy:

1. times a no-op rerun (``Nothing to be done``; issue 20 asks <= 3 s);
2. takes the last case out of ``--case-file`` and reruns, untimed: the run
   as it stood before the case existed;
3. writes that case, unchanged, to a new file ``data/raw/cases/zz_added.yaml``
   and times the rerun to an updated report (issue 26 asks <= 30 s, bar 60 s;
   issue 20 measured 275 s, other code on another machine).

The case is a real one from the project's files, so the case table the
timed rerun fits is the real table, and the fits it reruns see new data
(their compiled programs are not in the compile cache), as a user's new
case would. Prints the seconds, the jobs each rerun ran and the ratios to
the targets; writes nothing in RUN_DIR.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ADD_TARGET_S = 30.0  # issue 26's goal (its bar: 60 s)
ADD_BAR_S = 60.0
NOOP_TARGET_S = 3.0
ISSUE_ADD_S = 275.0  # issue 20's measurement: adding one case file, before the change


def _snakemake(workdir: Path, venv: Path, log: Path) -> tuple[float, int]:
    """Run the default target; (wall seconds, jobs run)."""
    t0 = time.perf_counter()
    with open(log, "w") as fh:
        rc = subprocess.call([str(venv / "bin" / "snakemake")], cwd=workdir, stdout=fh, stderr=subprocess.STDOUT)
    wall = time.perf_counter() - t0
    text = log.read_text()
    if rc != 0:
        sys.exit(f"snakemake failed (rc {rc}); its log: {log}")
    done = re.findall(r"(\d+) of (\d+) steps", text)
    return wall, int(done[-1][1]) if done else 0


def _split_last_case(path: Path) -> tuple[str, str]:
    """(the file's text without its last case, that case as YAML text). The
    file's comments and the other cases' text stay as written."""
    text = path.read_text()
    starts = [m.start() for m in re.finditer(r"(?m)^- id: ", text)]
    if not starts:
        sys.exit(f"{path}: no case ('- id: ...') to take out")
    head, last = text[: starts[-1]], text[starts[-1] :]
    case = yaml.safe_load(last)
    if not (isinstance(case, list) and len(case) == 1 and "id" in case[0]):
        sys.exit(f"{path}: the text after the last '- id:' is not one case")
    return head, last


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--case-file", default="soviet_alignments.yaml", help="file under data/raw/cases/ to take from")
    ap.add_argument("--keep", action="store_true", help="keep the copy (its path is printed)")
    a = ap.parse_args(argv)
    run = a.run_dir.resolve()
    venv = run / ".venv"
    if not (run / "reports" / "index.html").is_file() or not (venv / "bin" / "snakemake").is_file():
        sys.exit(f"{run}: not a finished run (needs reports/index.html and .venv/bin/snakemake)")
    tmp = Path(tempfile.mkdtemp(prefix="bench-add-case-"))
    work = tmp / run.name
    # the mirror is found as ../shared/data from the project folder (data_mirror: auto)
    if (run.parent / "shared").exists():
        os.symlink(run.parent / "shared", tmp / "shared")
    shutil.copytree(run, work, symlinks=True, ignore=shutil.ignore_patterns(".venv"))
    os.symlink(venv, work / ".venv")
    try:
        noop_s, noop_jobs = _snakemake(work, venv, tmp / "noop.log")
        cases = work / "data" / "raw" / "cases" / a.case_file
        head, last = _split_last_case(cases)
        case_id = yaml.safe_load(last)[0]["id"]
        cases.write_text(head)
        prep_s, prep_jobs = _snakemake(work, venv, tmp / "without.log")
        (cases.parent / "zz_added.yaml").write_text(
            f"# bench/bench_add_case.py: {case_id}, from {a.case_file}\n\n{last}"
        )
        add_s, add_jobs = _snakemake(work, venv, tmp / "add.log")
    finally:
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"run: {run}  case added: {case_id} (from {a.case_file})  load average: {os.getloadavg()[0]:.1f}")
    print(
        f"no-op rerun           {noop_s:7.1f} s  {noop_jobs:3d} jobs   "
        f"ratio to the {NOOP_TARGET_S:.0f} s target {noop_s / NOOP_TARGET_S:.2f}"
    )
    print(f"case taken out (prep) {prep_s:7.1f} s  {prep_jobs:3d} jobs")
    print(
        f"case file added       {add_s:7.1f} s  {add_jobs:3d} jobs   ratio to the {ADD_TARGET_S:.0f} s goal "
        f"{add_s / ADD_TARGET_S:.2f}, to the {ADD_BAR_S:.0f} s bar {add_s / ADD_BAR_S:.2f}; "
        f"to issue 20's {ISSUE_ADD_S:.0f} s (other code and machine) "
        f"{add_s / ISSUE_ADD_S:.2f}"
    )
    if a.keep:
        print(f"copy kept: {work} (logs beside it)")


if __name__ == "__main__":
    main()
