"""The pipeline on a real single-node SLURM cluster, through profiles/slurm.

A cluster (munge, MariaDB + slurmdbd for accounting, slurmctld, slurmd) comes
up on localhost (tests/e2e/slurm_cluster.py); a reduced configuration (fetch,
state_year, cases, the USSR panel, two small fits, an SBC fan-out of 8 jobs
and one deliberately broken model) runs through
``snakemake --profile profiles/slurm --workflow-profile none --keep-going``
in one copy of the project while the same configuration runs locally in
another. Checks: every job but the `localrule`s ran as a SLURM job with the
profile's resources; the broken model's failure is reported with its rule,
SLURM job id and log while the other jobs complete; the outputs equal the
local run's. Last, slurmctld restarts without accounting and a job runs with
``--slurm-status-command squeue``. The cluster is torn down at the end.

Skipped (with the reason) where the daemons cannot start: not root, not
Linux, no packages and no apt-get, or a machine with its own
/etc/slurm/slurm.conf. ALLIANCE_SKIP_SLURM=1 skips it by choice.
"""

import hashlib
import io
import os
import re
import resource
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from e2e_helpers import MIRROR, ROOT, SNAKEMAKE, copy_project
from slurm_cluster import ClusterError, SlurmCluster, ensure_packages, unavailable_reason

pytestmark = pytest.mark.slow

CONFIG = "config/slurm_test.yaml"
MODELS = "config/slurm_test_models.yaml"
FITS = ["cases_allied", "ussr_defense_onset"]
BROKEN = "broken_log_of_zero"
SBC_MODEL = "logit_varying_intercept"
SBC_JOBS = 8
# Rules that run on the submit host by design (`localrule: True`, or target
# rules with nothing to run).
LOCAL_RULES = {"fetch", "sbc"}
RUN_TIMEOUT = 900  # s, each snakemake run: a bound for a hang, far above the usual 2-4 min

# Two small fits on the pipeline's own tables, and one that loads fine (its
# columns exist) but fails when fitted: log(0) in most rows of the panel.
TEST_MODELS = {
    "models": [
        {
            "name": "cases_allied",
            "data": "cases",
            "outcome": "allied",
            "formula": "allied ~ log_cinc_ratio + threat_high",
            "cluster": "case_id",
        },
        {
            "name": "ussr_defense_onset",
            "data": "dyad_year_ussr",
            "outcome": "atop_defense_onset",
            "formula": "atop_defense_onset ~ log_cinc_ratio + mid_prior + tss_rival",
            "subset": "year >= 1946 and year <= 1991 and (atop_defense == 0 or atop_defense_onset == 1)",
            "cluster": "ccode2",
        },
        {
            "name": BROKEN,
            "data": "dyad_year_ussr",
            "outcome": "atop_defense",
            "description": "Deliberately broken (tests/e2e/test_slurm.py): log of a count that is 0 in most rows.",
            "formula": "atop_defense ~ np.log(mid_prior_count)",
        },
    ]
}
SBC_SMALL = {
    "models": [SBC_MODEL],
    "n_sims": SBC_JOBS,
    "n_batches": SBC_JOBS,
    "n_obs": 40,
    "n_groups": 4,
    "n_predictors": 1,
    "draws": 100,
    "tune": 100,
    "chains": 1,
    "n_ranks": 19,
    "n_bins": 4,
}


def has_sbc(wd: Path) -> bool:
    return (wd / "workflow" / "rules" / "sbc.smk").is_file()


def write_config(wd: Path) -> None:
    cfg = yaml.safe_load((wd / "config" / "config.yaml").read_text())
    cfg["data_mirror"] = str(MIRROR)
    cfg["models"] = MODELS
    cfg["sampling"] = {**cfg["sampling"], "draws": 300, "tune": 300, "chains": 2, "retry": []}
    cfg["panel"]["build"] = ["ussr"]
    if has_sbc(wd) and "sbc" in cfg:
        cfg["sbc"] = {**cfg["sbc"], **{k: v for k, v in SBC_SMALL.items() if k in cfg["sbc"]}}
    (wd / CONFIG).write_text(yaml.safe_dump(cfg, sort_keys=False))
    (wd / MODELS).write_text(yaml.safe_dump(TEST_MODELS, sort_keys=False))


def targets(wd: Path, broken: bool) -> list[str]:
    out = ["data/processed/state_year.parquet", "data/processed/cases.parquet", "data/processed/dyad_year_ussr.parquet"]
    out += [f"results/{m}/summary.csv" for m in FITS + ([BROKEN] if broken else [])]
    if has_sbc(wd):
        out.append("sbc")
    return out


class Run:
    """A snakemake process with a deadline; stopped with SIGINT (SIGTERM does not stop it)."""

    def __init__(self, wd: Path, args: list[str], env: dict, name: str):
        self.wd, self.name, self.t0 = wd, name, time.monotonic()
        self.log = wd.parent / f"{name}.out"
        self._out = open(self.log, "w")
        self.proc = subprocess.Popen(
            [SNAKEMAKE, *args],
            cwd=wd,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            env=dict(env, PYTHONPATH=str(wd / "workflow")),
            start_new_session=True,
        )
        self.seconds = None

    def stop(self) -> None:
        """SIGINT to the process group, then SIGKILL after 30 s; a no-op once it has ended."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)
        self._out.close()

    def wait(self, timeout: float = RUN_TIMEOUT) -> tuple[int, str]:
        try:
            rc = self.proc.wait(timeout=max(timeout - (time.monotonic() - self.t0), 1))
        except subprocess.TimeoutExpired:
            self.stop()
            raise AssertionError(
                f"{self.name}: snakemake did not finish within {timeout} s; output:\n{self.log.read_text()[-5000:]}"
            ) from None
        self._out.close()
        if self.seconds is None:
            self.seconds = round(time.monotonic() - self.t0, 1)
        return rc, self.log.read_text()


def slurm_args(targets: list[str], *extra: str) -> list[str]:
    """Targets first: --configfile and --forcerun take several values."""
    return [
        *targets,
        "--profile",
        "profiles/slurm",
        "--workflow-profile",
        "none",
        "--configfile",
        CONFIG,
        "--slurm-init-seconds-before-status-checks",
        "5",
        *extra,
    ]


# ---------------------------------------------------------------------------
# The bring-up helper's failure messages (no cluster needed)
# ---------------------------------------------------------------------------


@pytest.fixture
def bare_cluster():
    try:
        c = SlurmCluster(accounting=False)
    except ClusterError as exc:  # a machine with its own /etc/slurm/slurm.conf
        pytest.skip(str(exc))
    yield c
    c.stop()


def test_a_daemon_that_dies_is_named_with_its_output(bare_cluster):
    bare_cluster._spawn("slurmd", ["sh", "-c", "echo 'fatal: Unable to bind listen port' >&2; exit 3"])
    with pytest.raises(ClusterError, match=r"slurmd exited with status 3 before node vm-x idle(?s:.*)Unable to bind"):
        bare_cluster._wait("slurmd", lambda: False, time.monotonic() + 20, "node vm-x idle")


def test_a_daemon_that_never_gets_ready_fails_at_its_deadline(bare_cluster):
    bare_cluster._spawn("slurmctld", ["sleep", "60"])
    t0 = time.monotonic()
    with pytest.raises(ClusterError, match=r"slurmctld did not come up: 'scontrol ping' answering UP not reached"):
        bare_cluster._wait("slurmctld", lambda: False, time.monotonic() + 1.5, "'scontrol ping' answering UP")
    assert time.monotonic() - t0 < 10
    bare_cluster.stop()
    assert "slurmctld" not in bare_cluster.procs and not bare_cluster.root.exists()


# ---------------------------------------------------------------------------
# Fixtures: the cluster, the two projects, the two runs
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def projects(tmp_path_factory, mirror_dir):
    base = tmp_path_factory.mktemp("slurm")
    local, remote = copy_project(base / "local"), copy_project(base / "slurm")
    for wd in (local, remote):
        write_config(wd)
    return local, remote


@pytest.fixture(scope="module")
def can_start():
    if os.environ.get("ALLIANCE_SKIP_SLURM"):
        pytest.skip("ALLIANCE_SKIP_SLURM is set")
    reason = unavailable_reason(accounting=True)
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="module")
def local_run(can_start, projects):
    """The reference: same config, same targets but the broken one, local executor.

    Started before the cluster comes up, so it overlaps the bring-up and the
    SLURM run's waits; :meth:`Run.wait` collects it.
    """
    local, _ = projects
    run = Run(local, [*targets(local, broken=False), "--cores", "2", "--configfile", CONFIG], dict(os.environ), "local")
    yield run
    run.stop()


@pytest.fixture(scope="module")
def cluster(local_run):
    t0 = time.monotonic()
    ensure_packages(accounting=True)
    installed = round(time.monotonic() - t0, 1)
    c = SlurmCluster(accounting=True).start()
    c.timings["packages"] = installed
    print(f"SLURM cluster up: {c.timings} (s)")
    yield c
    t0 = time.monotonic()
    c.stop()
    own = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        f"SLURM cluster down in {time.monotonic() - t0:.1f} s; CPU of pytest's child processes so far "
        f"(local run, snakemake main processes, daemons): {own.ru_utime + own.ru_stime:.0f} s"
    )


@pytest.fixture(scope="module")
def slurm_run(projects, cluster):
    _, wd = projects
    started = time.strftime("%Y-%m-%dT%H:%M:%S")
    run = Run(wd, slurm_args(targets(wd, broken=True), "--keep-going"), cluster.env, "slurm")
    rc, out = run.wait()
    print(f"SLURM run: {run.seconds} s")
    return wd, rc, out, started


@pytest.fixture(scope="module")
def local_done(local_run):
    rc, out = local_run.wait()
    assert rc == 0, f"the local reference run failed:\n{out[-5000:]}"
    print(f"local run: {local_run.seconds} s")
    return local_run.wd


# ---------------------------------------------------------------------------
# Parsing snakemake's output
# ---------------------------------------------------------------------------


def own_output(out: str) -> str:
    """Snakemake's output without the logs it quotes (--show-failed-logs), which hold
    the inner snakemake's own 'rule' blocks."""
    return re.sub(r"^Logfile [^\n]*:\n={80}\n.*?\n={80}$", "", out, flags=re.S | re.M)


def job_blocks(out: str) -> dict[int, dict]:
    """Snakemake jobid -> {rule, local, log, wildcards} from the 'rule x:' blocks it prints."""
    jobs, cur = {}, None
    for line in own_output(out).splitlines():
        m = re.match(r"^\s*(localrule|rule) (\w+):\s*$", line)
        if m:
            cur = {"rule": m.group(2), "local": m.group(1) == "localrule"}
            continue
        if cur is None:
            continue
        m = re.match(r"^\s+(\w+): (.*)$", line)
        if not m:
            cur = None
            continue
        key, val = m.groups()
        if key == "jobid":
            jobs[int(val)] = cur
        elif key in ("log", "wildcards", "benchmark"):
            cur[key] = val.strip()
    return jobs


def submissions(out: str) -> dict[int, tuple[str, str]]:
    """Snakemake jobid -> (SLURM job id, SLURM log) from the executor's submission lines."""
    return {
        int(j): (sid, logp)
        for j, sid, logp in re.findall(r"Job (\d+) has been submitted with SLURM jobid (\d+) \(log: (\S+?)\)\.", out)
    }


def finished_at(out: str) -> dict[int, pd.Timestamp]:
    """Snakemake jobid -> when the main process saw it finish."""
    return {
        int(j): pd.Timestamp(ts)
        for ts, j in re.findall(
            r"^\[(\w{3} \w{3} +\d+ [\d:]+ \d{4})\]\nFinished jobid: (\d+)", own_output(out), flags=re.M
        )
    }


def error_block(out: str, needle: str) -> str:
    """The indented 'Error in rule ...' block of snakemake's report that mentions ``needle``."""
    for m in re.finditer(r"^Error in rule \w+:\n(?:[ \t]+.*\n)+", own_output(out), flags=re.M):
        if needle in m.group(0):
            return m.group(0)
    return ""


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def profile_resources() -> dict:
    prof = yaml.safe_load((ROOT / "profiles" / "slurm" / "config.yaml").read_text())
    return prof


def expected(rule: str) -> dict:
    """Threads, mem_mb and runtime a rule's jobs should request under profiles/slurm."""
    prof = profile_resources()
    res = {**prof["default-resources"], **(prof.get("set-resources") or {}).get(rule, {})}
    return {
        "threads": (prof.get("set-threads") or {}).get(rule),
        "mem_mb": int(res["mem_mb"]),
        "runtime": int(res["runtime"]),
    }


def sacct_jobs(cluster: SlurmCluster, since: str) -> pd.DataFrame:
    """One row per SLURM job (its steps left out, but counted in TotalCPU)."""
    fields = (
        "JobIDRaw,JobName%60,Comment%200,State,ReqCPUS,ReqMem,TimelimitRaw,ExitCode,Submit,Start,End,"
        "ElapsedRaw,TotalCPU"
    )
    res = cluster.run("sacct", "-P", "-S", since, f"--format={fields}", timeout=30)
    df = pd.read_csv(io.StringIO(res.stdout), sep="|", dtype=str)
    return df[~df["JobIDRaw"].str.contains(".", regex=False)]


def seconds(slurm_time: str) -> float:
    """SLURM's [D-][HH:]MM:SS[.mmm] as seconds."""
    days, _, rest = slurm_time.rpartition("-")
    parts = [float(p) for p in rest.split(":")]
    while len(parts) < 3:
        parts.insert(0, 0.0)
    return (int(days) if days else 0) * 86400 + parts[0] * 3600 + parts[1] * 60 + parts[2]


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------


def test_every_job_ran_as_a_slurm_job(slurm_run, cluster):
    wd, rc, out, since = slurm_run
    blocks, subs = job_blocks(out), submissions(out)
    assert blocks, f"no job blocks in snakemake's output:\n{out[-3000:]}"
    remote = {j: b for j, b in blocks.items() if not b["local"]}
    rules = {b["rule"] for b in remote.values()}
    assert {"state_year", "encode_cases", "dyad_year", "fit_bayes"} <= rules, rules
    if has_sbc(wd):
        assert sum(b["rule"] == "sbc_batch" for b in remote.values()) >= SBC_JOBS
    missing = {j: b["rule"] for j, b in remote.items() if j not in subs}
    assert not missing, f"jobs that were not submitted to SLURM: {missing}"
    local = {b["rule"] for b in blocks.values() if b["local"]}
    assert local <= LOCAL_RULES, f"rules run on the submit host: {local}"
    # SLURM's own record: every job, its rule (the plugin's --comment) and state.
    acct = sacct_jobs(cluster, since).set_index("JobIDRaw")
    for j, b in remote.items():
        sid, slurm_log = subs[j]
        assert sid in acct.index, f"SLURM job {sid} ({b['rule']}) not in sacct:\n{acct}"
        assert acct.loc[sid, "Comment"].startswith(f"rule_{b['rule']}"), acct.loc[sid].to_dict()
        state = acct.loc[sid, "State"]
        failed = b["rule"] == "fit_bayes" and BROKEN in b.get("wildcards", "")
        assert state == ("FAILED" if failed else "COMPLETED"), (sid, b, state)
        assert (wd / slurm_log).is_file(), f"SLURM log {slurm_log} of job {sid} is missing"
        assert slurm_log.endswith(f"/{sid}.log")
    print_overheads(wd, remote, subs, acct, finished_at(out))


def print_overheads(wd: Path, remote: dict, subs: dict, acct: pd.DataFrame, seen: dict) -> None:
    """Per job: SLURM's elapsed time minus the rule's own (benchmark) time, and how
    long after SLURM's end the main snakemake noticed; written beside the project."""
    rows = []
    for j, b in remote.items():
        sid = subs[j][0]
        row = acct.loc[sid]
        bench = wd / b.get("benchmark", "-")
        rule_s = float(pd.read_csv(bench, sep="\t")["s"].iloc[0]) if bench.is_file() else float("nan")
        end = pd.Timestamp(row["End"])
        rows.append(
            {
                "rule": b["rule"],
                "wildcards": b.get("wildcards", ""),
                "slurm_id": sid,
                "queued_s": (pd.Timestamp(row["Start"]) - pd.Timestamp(row["Submit"])).total_seconds(),
                "elapsed_s": int(row["ElapsedRaw"]),
                "rule_s": rule_s,
                "cpu_s": round(seconds(row["TotalCPU"]), 1),
                "noticed_after_s": (seen[j] - end).total_seconds() if j in seen else float("nan"),
            }
        )
    df = pd.DataFrame(rows).sort_values("slurm_id", key=lambda s: s.astype(int))
    df.to_csv(wd.parent / "slurm_jobs.csv", index=False)
    print(df.to_string(index=False))
    print(
        f"median in-job overhead (elapsed - rule) {(df['elapsed_s'] - df['rule_s']).median():.1f} s, "
        f"median notice delay {df['noticed_after_s'].median():.1f} s, CPU of all SLURM jobs {df['cpu_s'].sum():.0f} s"
    )


def test_jobs_requested_the_profiles_resources(slurm_run, cluster):
    wd, rc, out, since = slurm_run
    acct = sacct_jobs(cluster, since).set_index("JobIDRaw")
    blocks, subs = job_blocks(out), submissions(out)
    checked = set()
    for j, (sid, _) in subs.items():
        rule = blocks[j]["rule"]
        want = expected(rule)
        row = acct.loc[sid]
        assert int(row["TimelimitRaw"]) == want["runtime"], (rule, row.to_dict(), want)
        assert row["ReqMem"] in (f"{want['mem_mb']}M", f"{want['mem_mb'] // 1024}G"), (rule, row.to_dict(), want)
        if want["threads"]:
            assert int(row["ReqCPUS"]) == want["threads"], (rule, row.to_dict(), want)
        checked.add(rule)
    assert "fit_bayes" in checked and "dyad_year" in checked


def test_broken_model_is_reported_and_independent_jobs_complete(slurm_run):
    wd, rc, out, _ = slurm_run
    assert rc != 0, "the run with a broken model must fail"
    blocks, subs = job_blocks(out), submissions(out)
    (jid,) = [j for j, b in blocks.items() if b["rule"] == "fit_bayes" and BROKEN in b.get("wildcards", "")]
    sid, _ = subs[jid]
    log = f"logs/fit_bayes/{BROKEN}.log"
    err = error_block(out, BROKEN)
    assert err.startswith("Error in rule fit_bayes:"), f"no error report for {BROKEN}:\n{out[-4000:]}"
    assert f"log: {log}" in err, err
    assert re.search(rf"SLURM-job '{sid}' failed", err) and re.search(rf"external_jobid: {sid}\b", err), err
    assert "is not finite" in (wd / log).read_text()
    assert not (wd / "results" / BROKEN / "summary.csv").exists()
    for t in targets(wd, broken=False):
        if t != "sbc":
            assert (wd / t).is_file(), f"{t} was not built although it does not depend on {BROKEN}"
    if has_sbc(wd):
        assert (wd / "reports" / "tables" / f"sbc_{SBC_MODEL}.csv").is_file()


def test_outputs_equal_the_local_run(slurm_run, local_done):
    wd, *_ = slurm_run
    tables = sorted(p.relative_to(local_done) for p in (local_done / "data" / "processed").iterdir())
    assert len(tables) >= 6, tables
    for rel in tables:
        assert sha(wd / rel) == sha(local_done / rel), f"{rel} differs between the SLURM and the local run"
    for m in FITS:
        rel = Path("results") / m / "summary.csv"
        assert (wd / rel).read_bytes() == (local_done / rel).read_bytes(), f"{rel} differs"
    if has_sbc(wd):
        batches = sorted((local_done / "results" / "sbc").rglob("*.csv"))
        assert len(batches) == SBC_JOBS
        for b in batches:
            rel = b.relative_to(local_done)
            # each batch records its own sampling time ("seconds"): compare the rest
            a, c = pd.read_csv(b), pd.read_csv(wd / rel)
            timing = [col for col in a.columns if "second" in col]
            pd.testing.assert_frame_equal(a.drop(columns=timing), c.drop(columns=timing), check_exact=True)


def test_status_by_squeue_without_accounting(slurm_run, local_done, cluster):
    """slurmctld restarted without accounting: sacct cannot work, squeue status does."""
    wd, *_ = slurm_run
    cluster.restart_controller(accounting=False)
    res = cluster.run("sacct", "-X", check=False)
    assert "accounting storage is disabled" in (res.stdout + res.stderr).lower(), res
    target = "data/processed/state_year.parquet"
    run = Run(
        wd, slurm_args([target], "--slurm-status-command", "squeue", "--forcerun", "state_year"), cluster.env, "squeue"
    )
    rc, out = run.wait(timeout=180)
    print(f"squeue-status run: {run.seconds} s")
    assert rc == 0, out[-4000:]
    assert len(submissions(out)) == 1, out[-3000:]
    assert sha(wd / target) == sha(local_done / target)
