"""Varying-slope parameterization benchmark: the data-driven rule
(``parameterization: auto``, models/bayes.py: slope_centring) against the
baseline it replaced, every varying slope non-centred (intercepts as before:
centred where a level has >= 10 events and non-events), on the same declared
model, data, seed and sampling settings as the pipeline.

    .venv/bin/python bench/bench_parameterization.py [--models majors_onset-cinc,majors_onset-gdp]

Needs the model's data (data/processed/dyad_year_majors.parquet: run
`snakemake data/processed/dyad_year_majors.parquet` first). Each fit runs in
its own subprocess. Prints, per model and rule: seconds of the NUTS call
(compile, warmup, draws and any extension), mean leapfrog steps per draw,
draws per chain, min bulk ESS over the gated parameters, bulk ESS per second,
divergences and the gate's verdict, and the ESS/s ratio against the baseline
measured in the same run. Writes bench/parameterization.csv.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, time
sys.path.insert(0, {workflow!r})
import numpy as np, yaml
from alliance_models.models import bayes
from alliance_models.models.spec import load_model_specs
from alliance_models.models.matrix import build_model_data
from alliance_models.models.diagnostics import diagnose
from alliance_models.models.spec import load_model_frame
args = json.loads({args!r})
if args["rule"] == "slopes_noncentred":
    # the rule before slope_centring: no level's slope is ever centred
    bayes.slope_centring = lambda md, g: {{s: (np.full(len(g["levels"]), np.inf), 0.0) for s in g["slopes"]}}
cfg = yaml.safe_load(open("config/config.yaml"))
spec = {{s.name: s for s in load_model_specs(cfg["models"])}}[args["model"]]
md = build_model_data(spec, load_model_frame(spec, spec.data_path()))
choice = {{g["by"]: {{t or "intercept": bayes.parameterization(md, g, t)
                     for t in ([None] if g["intercept"] else []) + g["slopes"]}} for g in md.groups}}
idata = bayes.fit_bayes(md, {{**cfg["sampling"], "progress": False}}, seed=args["seed"], gate=cfg["diagnostics"])
d = diagnose(idata, cfg["diagnostics"])
nuts = json.loads(idata.attrs["timing_seconds"])["nuts"]
print("RESULT " + json.dumps({{"seconds": nuts, "steps": float(idata.sample_stats["n_steps"].mean()),
    "draws": d["draws"], "min_ess_bulk": d["min_ess_bulk"], "divergences": d["divergences"],
    "status": d["status"], "parameterization": choice}}))
"""

RULES = ["slopes_noncentred", "auto"]


def run(model: str, rule: str) -> dict:
    import yaml

    base_seed = int(yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["seed"])
    seed = base_seed + zlib.crc32(model.encode()) % 100_000  # as workflow/rules/models.smk
    code = CHILD.format(workflow=str(ROOT / "workflow"), args=json.dumps({"model": model, "rule": rule, "seed": seed}))
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    line = [x for x in out.stdout.splitlines() if x.startswith("RESULT ")]
    if out.returncode or not line:
        raise SystemExit(f"{model} / {rule} failed:\n{out.stderr[-3000:]}")
    return json.loads(line[-1][len("RESULT ") :])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="majors_onset-cinc")
    a = ap.parse_args()
    rows = []
    for model in a.models.split(","):
        res = {rule: run(model, rule) for rule in RULES}
        base = res["slopes_noncentred"]
        for rule, r in res.items():
            ess_s = r["min_ess_bulk"] / r["seconds"]
            rows.append(
                {
                    "model": model,
                    "rule": rule,
                    "seconds": round(r["seconds"], 1),
                    "steps": round(r["steps"], 1),
                    "draws": r["draws"],
                    "min_ess_bulk": round(r["min_ess_bulk"]),
                    "ess_per_s": round(ess_s, 2),
                    "x_baseline": round(ess_s / (base["min_ess_bulk"] / base["seconds"]), 2),
                    "divergences": r["divergences"],
                    "status": r["status"],
                    "parameterization": json.dumps(r["parameterization"]),
                }
            )
    cols = list(rows[0])
    print(" | ".join(cols[:-1]))
    for r in rows:
        print(" | ".join(str(r[c]) for c in cols[:-1]))
        print("   ", r["parameterization"])
    with open(ROOT / "bench" / "parameterization.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


if __name__ == "__main__":
    main()
