"""Sidecar metadata: input hashes, code version, rows and units of each output."""

from __future__ import annotations

import datetime as _dt
import os
import subprocess
from pathlib import Path

import pandas as pd

from .io import sha256_file, write_yaml


def git_commit(root: str | os.PathLike = ".") -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def table_meta(df: pd.DataFrame, inputs, units: dict | None = None, **extra) -> dict:
    """Metadata for an output table. Holds no timestamp, so reruns are identical."""
    return {
        "rows": int(len(df)),
        "columns": {c: str(t) for c, t in df.dtypes.items()},
        "units": dict(units or {}),
        "inputs": {str(p): sha256_file(p) for p in inputs},
        **extra,
    }


def write_meta(output_path: str | os.PathLike, meta: dict) -> Path:
    """Write ``<output>.meta.yaml`` beside ``output_path``."""
    path = Path(str(output_path) + ".meta.yaml")
    write_yaml(meta, path)
    return path


def utc_now() -> str:
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
