"""Checks shared by the frequentist estimators: turn (X, y) into float arrays.

Both :mod:`alliance_models.models.firth` and :mod:`alliance_models.models.separation`
take a design matrix that already holds the intercept column (if one is wanted)
and a 0/1 outcome. Bad input raises ``ValueError`` naming the column and row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.linalg


@dataclass(frozen=True)
class Design:
    X: np.ndarray  # (n, k) float64
    y: np.ndarray  # (n,) float64 of 0.0 / 1.0
    names: tuple[str, ...]


def _row_label(index, pos: int) -> str:
    if index is None:
        return f"row {pos}"
    return f"row {pos} (index {index[pos]!r})"


def as_design(X, y, names=None) -> Design:
    """Validate and convert ``X`` (2-D array or DataFrame) and ``y`` (0/1).

    ``names`` overrides the column names; by default DataFrame columns are used,
    and ``x0, x1, ...`` for plain arrays. Raises ``ValueError`` for missing or
    non-finite values, a non-binary outcome, mismatched lengths and a design
    matrix without full column rank (naming the collinear columns).
    """
    index = None
    if isinstance(X, pd.DataFrame):
        default_names = [str(c) for c in X.columns]
        index = X.index
        try:
            Xa = X.to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"design matrix: all columns must be numeric ({exc})") from exc
    else:
        Xa = np.asarray(X, dtype=np.float64)
        default_names = None
    if Xa.ndim != 2:
        raise ValueError(f"design matrix must be 2-D, got {Xa.ndim} dimension(s)")
    n, k = Xa.shape
    if k == 0:
        raise ValueError("design matrix has no columns")
    if names is None:
        names = default_names if default_names is not None else [f"x{j}" for j in range(k)]
    names = tuple(str(s) for s in names)
    if len(names) != k:
        raise ValueError(f"{len(names)} names given for {k} design columns")
    if len(set(names)) != k:
        dup = sorted({s for s in names if names.count(s) > 1})
        raise ValueError(f"duplicate column names: {', '.join(dup)}")

    if isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise ValueError("outcome must be one column")
        y = y.iloc[:, 0]
    if isinstance(y, pd.Series):
        if index is None:
            index = y.index
        y_raw = y.to_numpy()
        to_float = lambda: y.to_numpy(dtype=np.float64, na_value=np.nan)  # noqa: E731
    else:
        y_raw = np.asarray(y)
        to_float = lambda: y_raw.astype(np.float64)  # noqa: E731
    if y_raw.ndim != 1:
        raise ValueError(f"outcome must be 1-D, got shape {y_raw.shape}")
    if y_raw.shape[0] != n:
        raise ValueError(f"outcome has {y_raw.shape[0]} rows, design matrix has {n}")
    try:
        ya = to_float()
    except (TypeError, ValueError) as exc:
        raise ValueError(f"outcome must be 0/1 or boolean ({exc})") from exc

    bad = ~np.isfinite(Xa)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValueError(
            f"design matrix: {int(bad.sum())} missing or non-finite value(s); "
            f"first at {_row_label(index, int(i))}, column {names[j]!r}"
        )
    bad_y = ~np.isin(ya, (0.0, 1.0))
    if bad_y.any():
        i = int(np.flatnonzero(bad_y)[0])
        raise ValueError(
            f"outcome must be 0/1: {int(bad_y.sum())} other value(s); first at {_row_label(index, i)}: {y_raw[i]}"
        )
    if n < k:
        raise ValueError(f"{n} rows cannot identify {k} coefficients")

    problem = rank_problem(Xa, names)
    if problem:
        raise ValueError(problem)
    return Design(X=Xa, y=ya, names=names)


def rank_problem(Xa: np.ndarray, names: list[str]) -> str | None:
    """None when ``Xa`` has full column rank, else a sentence naming the
    columns that are zero or linear combinations of the others (column-pivoted
    QR with a scale-free tolerance)."""
    n, k = Xa.shape
    scale = np.max(np.abs(Xa), axis=0)
    scale[scale == 0] = 1.0
    _, R, piv = scipy.linalg.qr(Xa / scale, mode="economic", pivoting=True)
    diag = np.abs(np.diag(R))
    tol = max(n, k) * np.finfo(float).eps * (diag[0] if diag.size else 0.0)
    rank = int(np.sum(diag > tol))
    if rank >= k:
        return None
    dependent = [names[j] for j in piv[rank:]]
    return (
        f"design matrix has rank {rank} < {k} columns: column(s) "
        f"{', '.join(repr(d) for d in dependent)} are all zero or linear combinations "
        "of the others (e.g. a second constant column, or dummies for every category "
        "next to an intercept)"
    )
