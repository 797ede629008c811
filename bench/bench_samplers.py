"""Sampler benchmark: bulk ESS per second of PyMC's default NUTS, NumPyro (JAX)
and nutpie on the same models, side by side from one run, with ratios against
PyMC's default sampler (the baseline).

Models: a simulated 200,000-row, 8-predictor logit (the issue's yardstick) and,
if data/processed/dyad_year_ussr.parquet exists, the USSR dyad-year onset model
with a varying intercept by partner (config/models.yaml: ussr_onset-cinc).

    .venv/bin/python bench/bench_samplers.py [--rows 200000] [--samplers pymc@float64,numpyro_parallel@float32,...]

Each entry is sampler[_chainmethod]@precision: precision float32 is the
pipeline's default (sampling.precision: the logit's design, linear predictor
and per-row log-likelihood in single precision, parameters and sums in
double), float64 all double. Ratios are printed against PyMC's default sampler
on the same model (same precision) and on the all-float64 model.

`numpyro` runs its chains vectorized in one process (sampling.chain_method:
vectorized); `numpyro_parallel` runs one chain per JAX CPU device
(sampling.chain_method: parallel, the pipeline's default, chosen from this
benchmark), so on two cores the two chains no longer wait for each other's
longest trajectory.

Every sampler gets the same PyMC model (models.bayes.build_pymc_model: the
pipeline's logit density, coefficients in the QR basis); the NUTS call samples
only, as in the pipeline, where the log-likelihood and the posterior
predictive are computed afterwards on thinned draws.

Each fit runs in its own subprocess so that one sampler's JIT/compile caches
and memory do not flatter the next. Prints a table; writes bench/samplers.csv.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow"))

CHILD = r"""
import json, sys, time
sys.path.insert(0, {workflow!r})
import numpy as np, pandas as pd, arviz as az
from alliance_models.models.spec import ModelSpec
from alliance_models.models.matrix import build_model_data
from alliance_models.models.bayes import fit_bayes
args = json.loads({args!r})
if args["model"] == "sim_logit":
    rng = np.random.default_rng(42)
    n, k = args["rows"], 8
    X = rng.normal(size=(n, k))
    beta = np.linspace(-0.8, 0.8, k)
    y = (rng.random(n) < 1 / (1 + np.exp(-(-1.0 + X @ beta)))).astype(int)
    df = pd.DataFrame(X, columns=[f"x{{j}}" for j in range(k)]).assign(y=y)
    spec = ModelSpec(name="sim", data="x.csv", outcome="y", formula="y ~ " + " + ".join(f"x{{j}}" for j in range(k)))
else:
    from alliance_models.models.spec import load_model_specs
    spec = next(s for s in load_model_specs({models!r}) if s.name == args["model"])
    df = pd.read_parquet(spec.data_path())
md = build_model_data(spec, df)
label, _, precision = args["sampler"].partition("@")
sampler, _, chain_method = label.partition("_")
settings = dict(draws=1000, tune=1000, chains=2, target_accept=0.9, sampler=sampler, cores=2,
                chain_method=chain_method or "vectorized", precision=precision or "float64")
if args.get("mass_matrix"):
    settings["mass_matrix"] = args["mass_matrix"]
t0 = time.perf_counter()
idata = fit_bayes(md, settings, seed=1, prior_draws=10)
wall = time.perf_counter() - t0
post = idata.posterior[[v for v in idata.posterior.data_vars if v in ("alpha", "beta") or v.startswith("sd_")]]
ess = az.ess(post, method="bulk")
min_ess = float(min(float(ess[v].min()) for v in ess.data_vars))
timing = json.loads(idata.attrs["timing_seconds"])
print("RESULT " + json.dumps(dict(wall=wall, sample_s=timing["nuts"], extras_s=wall - timing["nuts"], min_ess=min_ess,
      steps=float(idata.sample_stats["n_steps"].mean()) if "n_steps" in idata.sample_stats else None,
      n=len(md.y), means=[float(x) for x in idata.posterior["beta"].mean(("chain", "draw")).values.ravel()[:3]])))
"""


def _die_with_parent() -> None:  # runs in the child before exec
    """The child gets its own process group (so the whole tree can be killed at
    once) and SIGKILL if the benchmark itself dies (Linux PR_SET_PDEATHSIG)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1
    except OSError:
        pass


def _run_child(cmd: list[str], env: dict) -> subprocess.CompletedProcess:
    """Run one fit in a new session; on interrupt or SIGTERM kill its whole
    process group (PyMC's chain workers included) so nothing outlives us."""
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=_die_with_parent,
    )

    def _kill_group(signum=None, frame=None):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if signum is not None:
            raise SystemExit(128 + signum)

    old = signal.signal(signal.SIGTERM, _kill_group)
    try:
        out, err = proc.communicate()
    except BaseException:
        _kill_group()
        raise
    finally:
        signal.signal(signal.SIGTERM, old)
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def run_one(model: str, sampler: str, rows: int, mass_matrix: str | None = None) -> dict:
    args = json.dumps({"model": model, "sampler": sampler, "rows": rows, "mass_matrix": mass_matrix})
    code = CHILD.format(workflow=str(ROOT / "workflow"), args=args, models=str(ROOT / "config" / "models.yaml"))
    env = dict(os.environ, JAX_PLATFORMS=os.environ.get("JAX_PLATFORMS", ""))
    t0 = time.perf_counter()
    proc = _run_child([sys.executable, "-c", code], env)
    total = time.perf_counter() - t0
    line = next((l for l in proc.stdout.splitlines() if l.startswith("RESULT ")), None)
    if line is None:
        return {"model": model, "sampler": sampler, "error": proc.stderr[-800:]}
    r = json.loads(line[7:])
    r.update(
        model=model,
        sampler=sampler,
        process_s=total,
        ess_per_s=r["min_ess"] / r["sample_s"],
        ess_per_fit_s=r["min_ess"] / r["wall"],
    )
    return r


def _label(entry: str) -> tuple[str, str]:
    """(sampler[_chainmethod], precision) of a --samplers entry; no @ = float64."""
    sampler, _, precision = entry.partition("@")
    return sampler, precision or "float64"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument(
        "--samplers",
        default="pymc@float64,pymc@float32,numpyro@float32,numpyro_parallel@float32,"
        "numpyro_parallel@float64,nutpie@float32",
        help="sampler[_chainmethod][@precision], comma-separated",
    )
    ap.add_argument("--panel-model", default="ussr_onset-cinc")
    ap.add_argument("--out", default=str(ROOT / "bench" / "samplers.csv"))
    a = ap.parse_args()
    samplers = a.samplers.split(",")
    models = ["sim_logit"]
    if (ROOT / "data" / "processed" / "dyad_year_ussr.parquet").exists():
        models.append(a.panel_model)
    rows = []
    for model in models:
        for s in samplers:
            r = run_one(model, s, a.rows)
            rows.append(r)
            print(json.dumps(r), flush=True)
    print()
    print("NUTS s: the sample call (compile + warm-up + draws); fit s: also the prior predictive draws and the")
    print("log-likelihood and posterior predictive on 1000 thinned draws, the same work whichever sampler ran.")
    print("sampler@precision: the model's logit likelihood in float64 or float32 (sampling.precision).")
    print("x pymc: ESS/s against PyMC's default sampler on the same model (same precision);")
    print("x pymc64: against PyMC's default sampler on the all-float64 model.")
    print(
        f"{'model':24s} {'sampler':26s} {'n':>7s} {'NUTS s':>7s} {'fit s':>7s} {'min ESS':>7s} {'ESS/s':>7s} "
        f"{'x pymc':>6s} {'x pymc64':>8s} {'fit ESS/s':>9s} {'x pymc':>6s}"
    )
    for model in models:
        ok = {_label(r["sampler"]): r for r in rows if r["model"] == model and "error" not in r}
        for r in (r for r in rows if r["model"] == model):
            if "error" in r:
                print(f"{model:24s} {r['sampler']:26s} ERROR {r['error'][-200:]!r}")
                continue
            same, b64 = ok.get(("pymc", _label(r["sampler"])[1])), ok.get(("pymc", "float64"))
            ratio = r["ess_per_s"] / same["ess_per_s"] if same else float("nan")
            r64 = r["ess_per_s"] / b64["ess_per_s"] if b64 else float("nan")
            fratio = r["ess_per_fit_s"] / same["ess_per_fit_s"] if same else float("nan")
            print(
                f"{model:24s} {r['sampler']:26s} {r['n']:7d} {r['sample_s']:7.1f} {r['wall']:7.1f} "
                f"{r['min_ess']:7.0f} {r['ess_per_s']:7.1f} {ratio:6.1f} {r64:8.1f} {r['ess_per_fit_s']:9.1f} "
                f"{fratio:6.1f}"
            )
    import csv

    with open(a.out, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=sorted({k for r in rows for k in r}))
        w.writeheader()
        w.writerows(rows)


if __name__ == "__main__":
    main()
