"""Read fetched source files into data frames, checking their structure."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pyreadr

from .errors import SourceFormatError


def read_rda(path: str | os.PathLike, obj: str) -> pd.DataFrame:
    """Read R object ``obj`` from an ``.rda`` file."""
    path = Path(path)
    try:
        result = pyreadr.read_r(str(path))
    except Exception as exc:  # pyreadr raises its own LibrdataError / PyreadrError
        raise SourceFormatError(f"'{path}': cannot be read as R data ({exc})") from exc
    if obj not in result:
        raise SourceFormatError(
            f"'{path}': R object '{obj}' not found (objects present: {', '.join(result) or 'none'})"
        )
    return result[obj]


def require_columns(df: pd.DataFrame, columns, path: str | os.PathLike) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SourceFormatError(
            f"'{path}': missing column(s) {', '.join(repr(c) for c in missing)}; "
            f"columns present: {', '.join(map(str, df.columns))}"
        )


def read_source(path: str | os.PathLike, source: dict, columns=()) -> pd.DataFrame:
    """Read a fetched source per its ``sources.yaml`` entry and check columns."""
    if source["format"] == "rda":
        df = read_rda(path, source["object"])
    else:
        try:
            df = pd.read_csv(path)
        except Exception as exc:
            raise SourceFormatError(f"'{path}': cannot be read as CSV ({exc})") from exc
    require_columns(df, columns, path)
    return df
