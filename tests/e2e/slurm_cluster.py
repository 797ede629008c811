"""A real single-node SLURM cluster on localhost, for tests: bring-up and teardown.

Debian's ``slurm-wlm`` and ``munge`` packages (plus ``slurmdbd`` and
``mariadb-server`` when accounting is wanted) are started by hand, without
systemd: munged, then (accounting) mariadbd and slurmdbd, then slurmctld and
slurmd. Everything they write lives under one private folder: our own munge key
and socket, free TCP ports, spool, state, pid and log files. Only slurm.conf
(and slurmdbd.conf) go to the default place, /etc/slurm, because the executor
plugin's job step clears every ``SLURM_*`` variable (``SLURM_CONF`` included)
before its inner ``srun``, which then finds no configuration anywhere else.
They carry a marker line; a machine with its own /etc/slurm/slurm.conf is
refused (see :func:`unavailable_reason`) and never touched.

Every wait has a deadline; a daemon that does not come up raises
:class:`ClusterError` naming it, with the tail of its log. :meth:`SlurmCluster.stop`
cancels the cluster's jobs, stops only the processes it started (by their
pid), waits for each with a deadline and removes pid files, sockets, state and
the configuration files it wrote. Each daemon also gets SIGTERM when the
process that started it dies (``PR_SET_PDEATHSIG``), so a killed test run
leaves none behind.

Run this file to check a machine by hand:
``python tests/e2e/slurm_cluster.py [--accounting]`` brings a cluster up, runs
``srun hostname`` and tears it down, printing the time each step took.
"""

from __future__ import annotations

import ctypes
import os
import platform
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PACKAGES = ("slurm-wlm", "munge")
ACCOUNTING_PACKAGES = ("slurmdbd", "mariadb-server")
# Executables each set of packages provides (all must be found to skip apt).
BINARIES = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "srun", "scontrol")
ACCOUNTING_BINARIES = ("slurmdbd", "sacct", "sacctmgr", "mariadbd", "mariadb-install-db", "mariadb")
SBIN = ("/usr/sbin", "/sbin", "/usr/bin", "/bin")
CONF_DIR = Path("/etc/slurm")
MARKER = "# written by alliance-models tests/e2e/slurm_cluster.py; removed on teardown"
CLUSTER_NAME = "alliance"
PARTITION = "main"
ACCOUNT = "alliance"


class ClusterError(RuntimeError):
    """A step of the bring-up failed; the message names the daemon or step."""


def which(name: str) -> str | None:
    path = os.environ.get("PATH", "") + os.pathsep + os.pathsep.join(SBIN)
    return shutil.which(name, path=path)


def missing_binaries(accounting: bool) -> list[str]:
    names = BINARIES + (ACCOUNTING_BINARIES if accounting else ())
    return [n for n in names if which(n) is None]


def unavailable_reason(accounting: bool) -> str | None:
    """Why this machine cannot start the daemons, or None when it can (or can after apt)."""
    if platform.system() != "Linux":
        return f"a local SLURM cluster needs Linux (this is {platform.system()})"
    if os.geteuid() != 0:
        return "starting munged/slurmctld/slurmd needs root (run the tests as root, e.g. in CI)"
    missing = missing_binaries(accounting)
    if missing and which("apt-get") is None:
        return f"{', '.join(missing)} not installed and no apt-get to install {_packages(accounting)}"
    for name in ("slurm.conf", "slurmdbd.conf"):
        if not _ours_or_absent(CONF_DIR / name):
            return f"this machine has its own {CONF_DIR / name}; the test cluster will not replace it"
    return None


def _ours_or_absent(path: Path) -> bool:
    try:
        return path.read_text(errors="replace").startswith(MARKER)
    except FileNotFoundError:
        return True


def _packages(accounting: bool) -> str:
    return " ".join(PACKAGES + (ACCOUNTING_PACKAGES if accounting else ()))


def ensure_packages(accounting: bool, timeout: float = 900) -> list[str]:
    """apt-get install the packages whose executables are missing (root only); return those installed."""
    if not missing_binaries(accounting):
        return []
    if os.geteuid() != 0 or which("apt-get") is None:
        raise ClusterError(f"apt: cannot install {_packages(accounting)} (needs root and apt-get)")
    pkgs = [p for p in PACKAGES + (ACCOUNTING_PACKAGES if accounting else ())]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    deadline = time.monotonic() + timeout
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *pkgs]):
        left = deadline - time.monotonic()
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=max(left, 1))
        except subprocess.TimeoutExpired:
            raise ClusterError(f"apt: '{' '.join(cmd)}' did not finish within {timeout:.0f} s") from None
        if proc.returncode != 0:
            raise ClusterError(f"apt: '{' '.join(cmd)}' failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    still = missing_binaries(accounting)
    if still:
        raise ClusterError(f"apt: installed {' '.join(pkgs)} but {', '.join(still)} still not found")
    return pkgs


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the test process dies, so that no
    daemon outlives a killed test run (Linux prctl PR_SET_PDEATHSIG)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def tail(path: Path, n: int = 2500) -> str:
    try:
        return path.read_text(errors="replace")[-n:]
    except OSError:
        return f"(no log at {path})"


def mem_total_mb() -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 4096


class SlurmCluster:
    """One node (this machine), one partition, optionally with slurmdbd accounting.

    ``cpus`` defaults to the machine's cores (at least 2, so a 2-thread job fits;
    ``SlurmdParameters=config_overrides`` lets slurmd accept that on one core);
    ``mem_mb`` to 80% of its memory, at least 16 GB (not enforced without cgroups).
    """

    def __init__(
        self, accounting: bool = True, cpus: int | None = None, mem_mb: int | None = None, root: Path | None = None
    ):
        self.accounting = accounting
        self.cpus = cpus or max(os.cpu_count() or 1, 2)
        # Memory is not enforced (no cgroups): declare enough for every job of the profile.
        self.mem_mb = mem_mb or max(int(mem_total_mb() * 0.8), 16000)
        self.node = socket.gethostname().split(".")[0]
        self.conf = CONF_DIR / "slurm.conf"
        self.dbd_conf = CONF_DIR / "slurmdbd.conf"
        for path in (self.conf, self.dbd_conf):
            if not _ours_or_absent(path):
                raise ClusterError(f"setup: {path} exists and was not written by this helper; not replacing it")
        self._own_root = root is None
        self.root = Path(root) if root else Path(tempfile.mkdtemp(prefix="am-slurm-"))
        # munged (user munge) and mariadbd must reach their folders: no 0700 parents.
        self.root.chmod(0o755)
        self.procs: dict[str, subprocess.Popen] = {}
        self._wrote: set[Path] = set()
        self._ctld_up = False
        self.timings: dict[str, float] = {}
        self.ports = {k: free_port() for k in ("slurmctld", "slurmd", "slurmdbd", "mariadb")}
        self.munge_socket = self.root / "munge" / "munge.socket"
        self.db_socket = self.root / "mariadb" / "mysqld.sock"

    # ------------------------------------------------------------------ public
    @property
    def env(self) -> dict[str, str]:
        """Environment for client commands and snakemake: SLURM_CONF and sbin on PATH."""
        path = os.environ.get("PATH", "")
        extra = [d for d in SBIN if d not in path.split(os.pathsep)]
        return dict(os.environ, SLURM_CONF=str(self.conf), PATH=os.pathsep.join([path, *extra]))

    def start(self, timeout: float = 60) -> SlurmCluster:
        """Start every daemon; wait (bounded) until the node is idle and a job runs."""
        try:
            self._step("munged", self._start_munge, timeout)
            if self.accounting:
                self._step("mariadbd", self._start_mariadb, timeout)
                self._step("slurmdbd", self._start_slurmdbd, timeout)
            self.write_conf()
            self._step("slurmctld", self._start_slurmctld, timeout)
            self._step("slurmd", self._start_slurmd, timeout)
            self._step("srun", self._smoke, timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, timeout: float = 15) -> None:
        """Cancel this cluster's jobs, stop the daemons this object started (reverse
        order), remove pid files, state and the configuration files it wrote.
        Never raises: every step is bounded and a failed step does not skip the next."""
        if self._ctld_up and self.procs.get("slurmctld") and self.procs["slurmctld"].poll() is None:
            # job steps outlive slurmd: end them through SLURM first (bounded)
            try:
                self.run(which("scancel") or "scancel", "--full", "--user", "root", timeout=10, check=False)
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline:
                    if not self.run(which("squeue") or "squeue", "-h", timeout=5, check=False).stdout.strip():
                        break
                    time.sleep(0.5)
            except ClusterError:
                pass
        for name in reversed(list(self.procs)):
            self._terminate(self.procs.pop(name), timeout)
        for pid in self.root.rglob("*.pid"):
            pid.unlink(missing_ok=True)
        for path in self._wrote:
            if path.exists() and _ours_or_absent(path):
                path.unlink()
        self._wrote.clear()
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    @staticmethod
    def _terminate(proc: subprocess.Popen, timeout: float) -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=timeout)

    def restart_controller(self, accounting: bool, timeout: float = 60) -> None:
        """Restart slurmctld with accounting on or off (slurmd keeps running)."""
        if accounting and "slurmdbd" not in self.procs:
            raise ClusterError("slurmctld: accounting asked for but slurmdbd was never started")
        self._terminate(self.procs.pop("slurmctld"), timeout)
        self._ctld_up = False
        self.accounting = accounting
        self.write_conf()
        self._step("slurmctld", self._start_slurmctld, timeout)
        self._step("slurmd", self._wait_idle, timeout)

    def run(self, *cmd: str, timeout: float = 30, check: bool = True) -> subprocess.CompletedProcess:
        """Run a client command (sinfo, sacct, ...) against this cluster, bounded."""
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, env=self.env, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise ClusterError(f"{cmd[0]}: '{' '.join(cmd)}' did not answer within {timeout} s") from None
        if check and proc.returncode != 0:
            raise ClusterError(f"{cmd[0]}: '{' '.join(cmd)}' failed ({proc.returncode}): {proc.stderr.strip()[-1500:]}")
        return proc

    def log(self, daemon: str) -> Path:
        return self.root / "log" / f"{daemon}.log"

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ------------------------------------------------------------ the steps
    def _step(self, name: str, fn, timeout: float) -> None:
        t0 = time.monotonic()
        fn(time.monotonic() + timeout)
        self.timings[name] = round(time.monotonic() - t0, 2)

    def _spawn(self, name: str, cmd: list[str]) -> subprocess.Popen:
        (self.root / "log").mkdir(exist_ok=True)
        out = open(self.root / "log" / f"{name}.out", "ab")
        proc = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=self.env,
            cwd=self.root,
            preexec_fn=_die_with_parent,
        )
        out.close()
        self.procs[name] = proc
        return proc

    def _wait(self, name: str, ready, deadline: float, what: str) -> None:
        """Poll ``ready()`` until true; fail naming the daemon if it dies or the deadline passes."""
        while True:
            proc = self.procs.get(name)
            if proc is not None and proc.poll() is not None:
                raise ClusterError(
                    f"{name} exited with status {proc.returncode} before {what}:\n"
                    f"{tail(self.log(name))}\n{tail(self.root / 'log' / f'{name}.out')}"
                )
            try:
                if ready():
                    return
            except (OSError, subprocess.SubprocessError):
                pass
            if time.monotonic() > deadline:
                raise ClusterError(
                    f"{name} did not come up: {what} not reached in time.\nlog:\n"
                    f"{tail(self.log(name))}\n{tail(self.root / 'log' / f'{name}.out')}"
                )
            time.sleep(0.3)

    def _start_munge(self, deadline: float) -> None:
        d = self.munge_socket.parent
        d.mkdir()
        d.chmod(0o755)  # clients must reach the socket; the key itself is 0400
        key = d / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        cmd = [
            which("munged"),
            "--foreground",
            f"--socket={self.munge_socket}",
            f"--key-file={key}",
            f"--pid-file={d / 'munged.pid'}",
            f"--log-file={self.log('munged')}",
            f"--seed-file={d / 'munged.seed'}",
            "--num-threads=2",
        ]
        (self.root / "log").mkdir(exist_ok=True)
        try:
            user = pwd.getpwnam("munge")
        except KeyError:
            user = None
        if user is not None and which("setpriv"):
            for p in (d, key):
                os.chown(p, user.pw_uid, user.pw_gid)
            self.log("munged").touch()
            os.chown(self.log("munged"), user.pw_uid, user.pw_gid)
            # setpriv's own --pdeathsig: a change of user clears the one set before
            cmd = [
                which("setpriv"),
                f"--reuid={user.pw_uid}",
                f"--regid={user.pw_gid}",
                "--init-groups",
                "--pdeathsig",
                "TERM",
                *cmd,
            ]
        else:
            cmd.append("--force")
        self._spawn("munged", cmd)

        def ready():
            cred = subprocess.run([which("munge"), "-n", "-S", str(self.munge_socket)], capture_output=True, timeout=5)
            if cred.returncode != 0:
                return False
            back = subprocess.run(
                [which("unmunge"), "-S", str(self.munge_socket)], input=cred.stdout, capture_output=True, timeout=5
            )
            return back.returncode == 0

        self._wait("munged", ready, deadline, "a credential encoded and decoded on its socket")

    def _start_mariadb(self, deadline: float) -> None:
        d = self.db_socket.parent
        data = d / "data"
        data.mkdir(parents=True)
        init = subprocess.run(
            [
                which("mariadb-install-db"),
                "--no-defaults",
                f"--datadir={data}",
                "--user=root",
                "--auth-root-authentication-method=socket",
                "--skip-test-db",
            ],
            capture_output=True,
            text=True,
            timeout=max(deadline - time.monotonic(), 5),
        )
        if init.returncode != 0:
            raise ClusterError(f"mariadbd: mariadb-install-db failed:\n{init.stderr[-2000:]}")
        self._spawn(
            "mariadbd",
            [
                which("mariadbd"),
                "--no-defaults",
                f"--datadir={data}",
                f"--socket={self.db_socket}",
                f"--port={self.ports['mariadb']}",
                "--bind-address=127.0.0.1",
                "--user=root",
                f"--pid-file={d / 'mariadbd.pid'}",
                f"--log-error={self.log('mariadbd')}",
                "--skip-log-bin",
                "--innodb-buffer-pool-size=64M",
                "--innodb-log-file-size=16M",
            ],
        )
        sql = (
            "CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY 'slurm';"
            "CREATE USER 'slurm'@'localhost' IDENTIFIED BY 'slurm';"
            "GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';"
            "GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';"
        )
        self._wait(
            "mariadbd", lambda: self._sql("SELECT 1").returncode == 0, deadline, "a query answered on its socket"
        )
        res = self._sql(sql)
        if res.returncode != 0:
            raise ClusterError(f"mariadbd: creating the slurm database user failed: {res.stderr}")

    def _sql(self, sql: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [which("mariadb"), "--no-defaults", f"--socket={self.db_socket}", "-uroot", "-e", sql],
            capture_output=True,
            text=True,
            timeout=10,
        )

    def _start_slurmdbd(self, deadline: float) -> None:
        conf = self.dbd_conf
        conf.parent.mkdir(parents=True, exist_ok=True)
        self._wrote.add(conf)
        conf.write_text(
            "\n".join(
                [
                    MARKER,
                    "AuthType=auth/munge",
                    f"AuthInfo=socket={self.munge_socket}",
                    "DbdHost=localhost",
                    "DbdAddr=127.0.0.1",
                    f"DbdPort={self.ports['slurmdbd']}",
                    "SlurmUser=root",
                    f"PidFile={self.root / 'slurmdbd.pid'}",
                    f"LogFile={self.log('slurmdbd')}",
                    "StorageType=accounting_storage/mysql",
                    "StorageHost=127.0.0.1",
                    f"StoragePort={self.ports['mariadb']}",
                    "StorageUser=slurm",
                    "StoragePass=slurm",
                    "StorageLoc=slurm_acct_db",
                    "",
                ]
            )
        )
        conf.chmod(0o600)
        # slurmdbd reads slurm.conf too (ClusterName, AuthInfo): write it first.
        self.write_conf()
        self._spawn("slurmdbd", [which("slurmdbd"), "-D"])  # reads slurmdbd.conf beside SLURM_CONF
        self._wait(
            "slurmdbd",
            lambda: port_open(self.ports["slurmdbd"]),
            deadline,
            f"listening on port {self.ports['slurmdbd']}",
        )
        for args in (
            ["add", "cluster", CLUSTER_NAME],
            ["add", "account", ACCOUNT, f"cluster={CLUSTER_NAME}"],
            ["add", "user", "root", f"account={ACCOUNT}", f"cluster={CLUSTER_NAME}"],
        ):
            res = self.run(which("sacctmgr"), "-i", *args, timeout=max(deadline - time.monotonic(), 5), check=False)
            if res.returncode != 0 and "already exists" not in (res.stdout + res.stderr).lower():
                raise ClusterError(f"slurmdbd: 'sacctmgr -i {' '.join(args)}' failed: {res.stderr.strip()}")

    def write_conf(self) -> None:
        for sub in ("state", "spool"):
            (self.root / sub).mkdir(exist_ok=True)
        if self.accounting:
            acct = [
                "AccountingStorageType=accounting_storage/slurmdbd",
                "AccountingStorageHost=127.0.0.1",
                f"AccountingStoragePort={self.ports['slurmdbd']}",
                "AccountingStoreFlags=job_comment",
                # the munge socket for slurmdbd traffic (sacct, sacctmgr, slurmctld)
                f"AccountingStoragePass={self.munge_socket}",
            ]
        else:
            acct = ["AccountingStorageType=accounting_storage/none"]
        self.conf.parent.mkdir(parents=True, exist_ok=True)
        self._wrote.add(self.conf)
        self.conf.write_text(
            "\n".join(
                [
                    MARKER,
                    f"ClusterName={CLUSTER_NAME}",
                    f"SlurmctldHost={self.node}(127.0.0.1)",
                    f"SlurmctldPort={self.ports['slurmctld']}",
                    f"SlurmdPort={self.ports['slurmd']}",
                    "AuthType=auth/munge",
                    "CredType=cred/munge",
                    f"AuthInfo=socket={self.munge_socket}",
                    "SlurmUser=root",
                    "SlurmdUser=root",
                    f"StateSaveLocation={self.root / 'state'}",
                    f"SlurmdSpoolDir={self.root / 'spool'}",
                    f"SlurmctldPidFile={self.root / 'slurmctld.pid'}",
                    f"SlurmdPidFile={self.root / 'slurmd.pid'}",
                    f"SlurmctldLogFile={self.log('slurmctld')}",
                    f"SlurmdLogFile={self.log('slurmd')}",
                    "ProctrackType=proctrack/linuxproc",
                    "TaskPlugin=task/none",
                    "MpiDefault=none",
                    # per-job CPU time and memory in sacct (polls /proc; no cgroups needed)
                    "JobAcctGatherType=jobacct_gather/linux",
                    "JobAcctGatherFrequency=5",
                    *acct,
                    "SelectType=select/cons_tres",
                    "SelectTypeParameters=CR_Core_Memory",
                    "SchedulerType=sched/backfill",
                    "ReturnToService=2",
                    "SlurmdParameters=config_overrides",
                    # squeue status needs finished jobs listed for longer than the
                    # executor plugin's polling interval (at most 180 s).
                    "MinJobAge=300",
                    "KillWait=5",
                    "InactiveLimit=0",
                    "SlurmctldTimeout=30",
                    "SlurmdTimeout=60",
                    f"NodeName={self.node} NodeAddr=127.0.0.1 CPUs={self.cpus} RealMemory={self.mem_mb} State=UNKNOWN",
                    f"PartitionName={PARTITION} Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
                    "",
                ]
            )
        )

    def _start_slurmctld(self, deadline: float) -> None:
        (self.root / "slurmctld.pid").unlink(missing_ok=True)
        self._spawn("slurmctld", [which("slurmctld"), "-D", "-i", "-f", str(self.conf)])
        self._wait(
            "slurmctld",
            lambda: "UP" in self.run(which("scontrol"), "ping", timeout=5, check=False).stdout,
            deadline,
            "'scontrol ping' answering UP",
        )
        self._ctld_up = True

    def _start_slurmd(self, deadline: float) -> None:
        (self.root / "slurmd.pid").unlink(missing_ok=True)
        self._spawn("slurmd", [which("slurmd"), "-D", "-N", self.node, "-f", str(self.conf)])
        self._wait_idle(deadline)

    def _wait_idle(self, deadline: float) -> None:
        def idle():
            state = self.run(which("sinfo"), "-h", "-o", "%t", timeout=5, check=False).stdout.strip()
            return state == "idle"

        self._wait("slurmd", idle, deadline, f"node {self.node} 'idle' in sinfo")

    def _smoke(self, deadline: float) -> None:
        left = max(deadline - time.monotonic(), 5)
        res = self.run(which("srun"), "-N1", "-n1", "-t", "1", "hostname", timeout=left, check=False)
        if res.returncode != 0 or not res.stdout.strip():
            raise ClusterError(
                f"srun: a one-task job did not run ({res.returncode}): {res.stderr.strip()}\n"
                f"slurmd log:\n{tail(self.log('slurmd'))}"
            )


def main(argv: list[str]) -> int:
    accounting = "--accounting" in argv
    reason = unavailable_reason(accounting)
    if reason:
        print(f"skip: {reason}")
        return 0
    t0 = time.monotonic()
    installed = ensure_packages(accounting)
    print(f"packages: {'installed ' + ' '.join(installed) if installed else 'present'} ({time.monotonic() - t0:.1f} s)")
    with SlurmCluster(accounting=accounting) as c:
        print(f"up in {sum(c.timings.values()):.1f} s: {c.timings}")
        print(c.run("sinfo").stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
