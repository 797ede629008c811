"""Cost per rule from a run's benchmark files, and the predicted wall time of a
configuration on 1, 4, 16 and 64 nodes of 32 cores.

    python bench/cost_table.py [--benchmarks benchmarks] [--configfile config/full.yaml]
        [--targets all sbc] [--time wall|cpu] [--job-overhead 10] [--notice-delay 10]
        [--out bench/cost]

1. Every job of the configuration comes from a forced dry run
   (``snakemake -n -F --profile profiles/slurm --workflow-profile none``, with
   the local executor so that each job's threads are printed):
   rule, wildcards, benchmark file, threads, input and output files. Without
   ``--configfile``, the full configuration is the default config with every
   focal set's panel built (``panel.build`` = all of ``panel.focal_sets``, the
   global panel included), every model variant of the models file and the
   full SBC (``all`` and ``sbc``).
2. A job whose benchmark file exists under ``--benchmarks`` is *measured*
   (median over repeats of wall seconds ``s``, max RSS, CPU seconds). Its
   time is the wall time, or with ``--time cpu`` its CPU seconds divided by
   the cores it kept busy while measured (CPU / wall, between 1 and its
   threads): on a shared, loaded machine the wall time mostly measures the
   wait for a core, the CPU time does not (it is a lower bound on a dedicated
   core: input/output waits are left out). Any
   other job is *estimated* from measured jobs of the same class: same rule and
   same wildcards once numbers (batch indices) and model variants (the text
   after the first ``-`` of a model name) are dropped; failing that, from all
   measured jobs of the rule (the largest, to stay on the safe side). A job of
   a rule never measured counts as zero and is listed as such.
3. Scheduling model: every job runs as its own SLURM job (rules marked
   ``localrule: True`` run on the submit host, with no overhead). A job holds
   its threads' cores for its time plus ``--job-overhead`` (Snakemake starts
   twice inside a SLURM job: in the batch script and in its ``srun`` step),
   and its dependents start ``--notice-delay`` later still (the executor sees
   a finished job at its next status check). W is the total work
   (core-seconds: (time + job overhead) x threads, summed) and C the critical
   path (the longest chain of dependent jobs, each counting time + job
   overhead + notice delay). P cores finish no later than C + W/P (Graham's
   bound for greedy list scheduling) and no sooner than max(C, W/P); the table
   gives both, and the prediction is the upper bound. Memory is not a
   constraint in the model (every job fits a node).

Writes ``rules.csv``, ``rules.md``, ``prediction.csv``, ``prediction.md`` and
``resources.yaml`` (suggested per-rule threads, mem_mb and runtime for the
profiles: memory = 1.5 x max RSS + 500 MB rounded up to 500 MB; runtime = 3 x
the longest measured wall time + 5 min, rounded up to 5 min) under ``--out`` and
prints the tables.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
NODES = (1, 4, 16, 64)
CORES_PER_NODE = 32
# Per-job costs on SLURM (s), from the single-node test cluster
# (tests/e2e/test_slurm.py prints them; docs/cluster.md): SLURM's elapsed time
# minus the rule's own time (two Snakemake start-ups, about 4-5 s each on an
# idle machine; 15-24 s measured on a loaded one), and the delay between a
# job's end and the executor noticing it (median 8.5-13 s measured).
DEFAULT_JOB_OVERHEAD = 10.0
DEFAULT_NOTICE_DELAY = 10.0


@dataclass
class Job:
    jobid: int
    rule: str
    wildcards: str = ""
    benchmark: str = ""
    threads: int = 1
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    wall: float = 0.0  # the job's time in the model (wall, or CPU / threads)
    measured_wall: float = 0.0
    rss: float = 0.0
    cpu: float = 0.0
    source: str = "none"  # measured | class | rule | none


# ---------------------------------------------------------------------------
# The configuration's jobs
# ---------------------------------------------------------------------------


def full_config(root: Path) -> dict:
    """Default config with every focal set's panel built."""
    cfg = yaml.safe_load((root / "config" / "config.yaml").read_text())
    panel = cfg.get("panel") or {}
    if "focal_sets" in panel:
        panel["build"] = list(panel["focal_sets"])
    return cfg


def dry_run(root: Path, configfile: Path, targets: list[str]) -> str:
    snakemake = str(Path(sys.executable).with_name("snakemake"))
    # The slurm profile's threads and resources; the local executor (with room
    # for any job) makes the dry run print each job's threads.
    cmd = [
        snakemake,
        *targets,
        "-n",
        "-F",
        "--profile",
        "profiles/slurm",
        "--workflow-profile",
        "none",
        "--executor",
        "local",
        "--cores",
        str(CORES_PER_NODE),
        "--configfile",
        str(configfile),
    ]
    env = dict(os.environ, PYTHONPATH=str(root / "workflow"))
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, env=env, timeout=600)
    if proc.returncode != 0:
        raise SystemExit(f"dry run failed ({' '.join(cmd)}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc.stdout + proc.stderr


def parse_jobs(text: str) -> dict[int, Job]:
    """The 'rule x:' blocks of a dry run."""
    jobs, cur = {}, None
    for line in text.splitlines():
        m = re.match(r"^\s*(?:local)?rule (\w+):\s*$", line)
        if m:
            cur = {"rule": m.group(1)}
            continue
        if cur is None:
            continue
        m = re.match(r"^\s+(\w+): (.*)$", line)
        if not m:
            if "jobid" in cur:
                j = Job(
                    jobid=int(cur["jobid"]),
                    rule=cur["rule"],
                    wildcards=cur.get("wildcards", ""),
                    benchmark=cur.get("benchmark", ""),
                    threads=int(cur.get("threads", 1)),
                    inputs=_files(cur.get("input", "")),
                    outputs=_files(cur.get("output", "")),
                )
                jobs[j.jobid] = j
            cur = None
            continue
        cur[m.group(1)] = m.group(2).strip()
    return jobs


def _files(text: str) -> list[str]:
    return [f.strip() for f in text.split(",") if f.strip()]


def local_rules(root: Path) -> set[str]:
    """Rules declared with ``localrule: True`` in the Snakefile and workflow/rules/*.smk."""
    names = set()
    for path in [root / "Snakefile", *sorted((root / "workflow" / "rules").glob("*.smk"))]:
        text = path.read_text()
        for m in re.finditer(r"^rule (\w+):\n((?:[ \t]+.*\n|\n)*)", text, flags=re.M):
            if re.search(r"^\s+localrule:\s*True", m.group(2), flags=re.M):
                names.add(m.group(1))
        for m in re.finditer(r"^localrules:\s*(.+)$", text, flags=re.M):
            names.update(n.strip() for n in m.group(1).split(","))
    return names


# ---------------------------------------------------------------------------
# Measured costs
# ---------------------------------------------------------------------------


def read_benchmark(path: Path) -> tuple[float, float, float] | None:
    """(wall s, max RSS MB, CPU s): medians over the file's repeats."""
    try:
        df = pd.read_csv(path, sep="\t")
    except (OSError, ValueError, pd.errors.EmptyDataError):
        return None
    if df.empty or "s" not in df.columns:
        return None
    num = lambda c: pd.to_numeric(df.get(c), errors="coerce").dropna()  # noqa: E731
    med = lambda s: float(statistics.median(s)) if len(s) else 0.0  # noqa: E731
    return med(num("s")), med(num("max_rss")), med(num("cpu_time"))


def job_class(job: Job) -> str:
    parts = []
    for item in filter(None, (w.strip() for w in job.wildcards.split(","))):
        key, _, val = item.partition("=")
        if val.isdigit():
            continue
        if key == "model":
            val = val.split("-")[0]
        parts.append(f"{key}={val}")
    return job.rule + ("[" + ",".join(parts) + "]" if parts else "")


def assign_costs(jobs: dict[int, Job], bench_dir: Path, time_from: str = "wall") -> None:
    by_class, by_rule = defaultdict(list), defaultdict(list)
    for job in jobs.values():
        if not job.benchmark:
            continue
        rel = Path(job.benchmark)
        path = bench_dir / rel.relative_to("benchmarks") if rel.parts[0] == "benchmarks" else bench_dir / rel
        got = read_benchmark(path)
        if got:
            job.measured_wall = got[0]
            if time_from == "cpu":
                busy = min(max(got[2] / got[0], 1.0), max(job.threads, 1)) if got[0] > 0 else 1.0
                got = (got[2] / busy, got[1], got[2])
            job.wall, job.rss, job.cpu = got
            job.source = "measured"
            by_class[job_class(job)].append((*got, job.measured_wall))
            by_rule[job.rule].append((*got, job.measured_wall))
    for job in jobs.values():
        if job.source == "measured" or not job.benchmark:
            continue
        same = by_class.get(job_class(job))
        if same:
            job.wall = statistics.mean(g[0] for g in same)
            job.rss = max(g[1] for g in same)
            job.cpu = statistics.mean(g[2] for g in same)
            job.measured_wall = max(g[3] for g in same)
            job.source = "class"
        elif by_rule.get(job.rule):
            job.wall, job.rss, job.cpu, job.measured_wall = max(by_rule[job.rule])
            job.source = "rule"


# ---------------------------------------------------------------------------
# Scheduling
# ---------------------------------------------------------------------------


def critical_path(jobs: dict[int, Job], cost) -> tuple[float, list[Job]]:
    """Length of the longest chain of dependent jobs, and the chain."""
    producer = {out: j.jobid for j in jobs.values() for out in j.outputs}
    deps = {j.jobid: {producer[f] for f in j.inputs if f in producer and producer[f] != j.jobid} for j in jobs.values()}
    finish: dict[int, float] = {}
    before: dict[int, int | None] = {}

    def done(jid: int, stack=()) -> float:
        if jid in finish:
            return finish[jid]
        if jid in stack:
            raise SystemExit(f"cycle in the DAG at job {jid}")
        prev = max(deps[jid], key=lambda d: done(d, stack + (jid,)), default=None)
        before[jid] = prev
        finish[jid] = (finish[prev] if prev is not None else 0.0) + cost(jobs[jid])
        return finish[jid]

    sys.setrecursionlimit(max(10000, 4 * len(jobs)))
    if not jobs:
        return 0.0, []
    last = max(jobs, key=done)
    chain = [last]
    while before.get(chain[-1]) is not None:
        chain.append(before[chain[-1]])
    return finish[last], [jobs[j] for j in reversed(chain)]


def predict(jobs: dict[int, Job], local: set[str], job_overhead: float, notice_delay: float) -> pd.DataFrame:
    def busy(job: Job) -> float:
        if not job.benchmark:  # target rules: nothing runs
            return 0.0
        return job.wall + (0.0 if job.rule in local else job_overhead)

    def path(job: Job) -> float:
        return busy(job) + (notice_delay if job.benchmark and job.rule not in local else 0.0)

    work = sum(busy(j) * j.threads for j in jobs.values())
    cpath, chain = critical_path(jobs, path)
    chain_text = " -> ".join(
        f"{j.rule}{'[' + j.wildcards + ']' if j.wildcards else ''} ({path(j):.0f} s)" for j in chain if j.benchmark
    )
    rows = []
    for n in NODES:
        p = n * CORES_PER_NODE
        rows.append(
            {
                "nodes": n,
                "cores": p,
                "work_core_h": round(work / 3600, 2),
                "critical_path_min": round(cpath / 60, 1),
                "lower_bound_min": round(max(cpath, work / p) / 60, 1),
                "predicted_min": round((cpath + work / p) / 60, 1),
            }
        )
    return pd.DataFrame(rows), chain_text


def rule_table(jobs: dict[int, Job], local: set[str]) -> pd.DataFrame:
    rows = []
    for rule in sorted({j.rule for j in jobs.values() if j.benchmark}):
        js = [j for j in jobs.values() if j.rule == rule]
        measured = [j for j in js if j.source == "measured"]
        walls = [j.wall for j in js if j.source != "none"]
        rows.append(
            {
                "rule": rule,
                "jobs": len(js),
                "measured": len(measured),
                "estimated": sum(j.source in ("class", "rule") for j in js),
                "threads": max(j.threads for j in js),
                "local": "yes" if rule in local else "",
                "time_s_median": round(statistics.median(walls), 1) if walls else None,
                "time_s_max": round(max(walls), 1) if walls else None,
                "measured_wall_s_max": round(max(j.measured_wall for j in js), 1) if walls else None,
                "cpu_s_median": round(statistics.median([j.cpu for j in js if j.source != "none"]), 1)
                if walls
                else None,
                "max_rss_mb": int(round(max(j.rss for j in js))) if walls else None,
                "total_time_s": int(round(sum(j.wall for j in js))),
            }
        )
    df = pd.DataFrame(rows)
    df["max_rss_mb"] = df["max_rss_mb"].astype("Int64")
    return df


def suggest_resources(table: pd.DataFrame) -> dict:
    out = {"set-threads": {}, "set-resources": {}}
    for r in table.itertuples():
        if r.local or r.max_rss_mb is None or pd.isna(r.max_rss_mb):
            continue
        mem = int(math.ceil((1.5 * r.max_rss_mb + 500) / 500) * 500)
        longest = max(r.time_s_max, r.measured_wall_s_max)
        runtime = int(math.ceil((3 * longest / 60 + 5) / 5) * 5)
        out["set-resources"][r.rule] = {"mem_mb": mem, "runtime": runtime}
        if r.threads > 1:
            out["set-threads"][r.rule] = int(r.threads)
    return out


def to_markdown(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join("" if v is None or pd.isna(v) else str(v) for v in row) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", type=Path, default=ROOT, help="project folder (default: this repository)")
    ap.add_argument("--benchmarks", type=Path, default=None, help="benchmark folder (default: ROOT/benchmarks)")
    ap.add_argument(
        "--configfile",
        type=Path,
        default=None,
        help="configuration to predict (default: the full configuration, see above)",
    )
    ap.add_argument("--targets", nargs="+", default=["all", "sbc"])
    ap.add_argument(
        "--dry-run-output",
        type=Path,
        default=None,
        help="read the jobs from this saved dry-run output instead of running snakemake",
    )
    ap.add_argument(
        "--job-overhead",
        type=float,
        default=DEFAULT_JOB_OVERHEAD,
        help="seconds a SLURM job holds its cores beyond the rule's own time",
    )
    ap.add_argument(
        "--notice-delay",
        type=float,
        default=DEFAULT_NOTICE_DELAY,
        help="seconds between a SLURM job's end and its dependents' start",
    )
    ap.add_argument(
        "--time",
        choices=["wall", "cpu"],
        default="wall",
        dest="time_from",
        help="job time: measured wall seconds, or CPU seconds / threads (for a loaded machine)",
    )
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "cost")
    args = ap.parse_args(argv)
    root = args.root.resolve()
    bench = (args.benchmarks or root / "benchmarks").resolve()

    if args.dry_run_output:
        text = args.dry_run_output.read_text()
    else:
        with tempfile.TemporaryDirectory() as tmp:
            cfg = args.configfile
            if cfg is None:
                cfg = Path(tmp) / "full.yaml"
                cfg.write_text(yaml.safe_dump(full_config(root), sort_keys=False))
            text = dry_run(root, cfg.resolve(), args.targets)
    jobs = parse_jobs(text)
    if not jobs:
        raise SystemExit("no jobs found in the dry run")
    local = local_rules(root)
    assign_costs(jobs, bench, args.time_from)
    table = rule_table(jobs, local)
    pred, chain = predict(jobs, local, args.job_overhead, args.notice_delay)
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "rules.csv", index=False)
    pred.to_csv(args.out / "prediction.csv", index=False)
    (args.out / "rules.md").write_text(to_markdown(table))
    (args.out / "prediction.md").write_text(to_markdown(pred) + f"\nCritical path: {chain}\n")
    (args.out / "resources.yaml").write_text(yaml.safe_dump(suggest_resources(table), sort_keys=True))
    unmeasured = sorted(table.loc[table["measured"] + table["estimated"] < table["jobs"], "rule"])
    print(
        f"{len(jobs)} jobs; benchmarks from {bench}; job time from {args.time_from}; "
        f"per SLURM job: {args.job_overhead:g} s overhead, {args.notice_delay:g} s notice delay\n"
    )
    print(to_markdown(table))
    print(to_markdown(pred))
    print(f"critical path: {chain}\n")
    if unmeasured:
        print(f"no measurement for some jobs of: {', '.join(unmeasured)} (counted as 0 s)")
    print(f"written to {args.out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
