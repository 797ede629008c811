"""Run metadata for the report: the jobs' benchmark times by rule and model."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd


def benchmark_times(bench_dir) -> pd.DataFrame:
    """Every job's run time from Snakemake's benchmark files (rule, job, s)."""
    rows = []
    base = Path(bench_dir)
    for f in sorted(base.rglob("*.tsv")):
        try:
            b = pd.read_csv(f, sep="\t")
        except (OSError, ValueError, pd.errors.EmptyDataError):
            continue
        if "s" not in b or b.empty:
            continue
        rel = f.relative_to(base)
        rows.append(
            {
                "rule": rel.parts[0].removesuffix(".tsv"),
                "job": str(rel.with_suffix("")),
                "seconds": float(b["s"].iloc[-1]),
                "finished": f.stat().st_mtime,
            }
        )
    return pd.DataFrame(rows, columns=["rule", "job", "seconds", "finished"])


def run_time_summary(times: pd.DataFrame) -> dict:
    """Sum of job times, the span from the first job's start to the last end."""
    if times.empty:
        return {"jobs": 0, "job_seconds": 0.0, "span_seconds": float("nan")}
    start = (times["finished"] - times["seconds"]).min()
    return {
        "jobs": int(len(times)),
        "job_seconds": float(times["seconds"].sum()),
        "span_seconds": float(times["finished"].max() - start),
        "by_rule": times.groupby("rule")["seconds"].sum().sort_values(ascending=False).round(1).to_dict(),
    }


def parse_model_name(name: str) -> tuple[str, str]:
    """(full model, dropped factor) from '<full>--drop-<label>'."""
    m = re.match(r"^(.*)--drop-(.+)$", name)
    return (m.group(1), m.group(2)) if m else (name, "")
