"""The case models' frames: the disparity x threat prediction grid, each
case's point and its prediction. Split from :mod:`.summaries` (the per-model
frames every family shares)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .models.draws import n_draws
from .summaries import INTERVAL, Fit, _interval, _thinned_idata, factor_columns, model_columns, predict


def typical_row(rows: pd.DataFrame) -> dict:
    """Median of numeric columns, most common value of the others."""
    out = {}
    for c in rows.columns:
        s = rows[c].dropna()
        if s.empty:
            out[c] = np.nan
        elif pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            out[c] = float(s.median())
        else:
            out[c] = s.mode().iloc[0]
    return out


def _is_binary(s: pd.Series) -> bool:
    v = pd.to_numeric(s, errors="coerce").dropna().unique()
    return len(v) > 0 and set(np.round(v, 12)) <= {0.0, 1.0}


def surface_grid(
    fit: Fit, x: str, y: str, n: int = 60, max_draws: int = 400, interval: float = INTERVAL
) -> pd.DataFrame:
    """Posterior P(y=1) (or each category) over a grid of ``x`` by ``y``.

    Other predictors are held at typical values (median / most common) of
    the fitted rows; group effects are left out (population-level). A 0/1
    variable on either axis takes its two values only (the surface figure
    draws one line per value, not a surface over it); a continuous one spans
    its observed range (``x`` padded by 5%).
    """
    need = model_columns(fit.spec, fit.frame.columns)
    rows = fit.rows[need]
    base = typical_row(rows)
    xv = pd.to_numeric(rows[x], errors="coerce")
    pad = 0.05 * float(xv.max() - xv.min() or 1.0)
    xs = np.array([0.0, 1.0]) if _is_binary(xv) else np.linspace(float(xv.min()) - pad, float(xv.max()) + pad, n)
    yv = pd.to_numeric(rows[y], errors="coerce")
    ys = np.array([0.0, 1.0]) if _is_binary(yv) else np.linspace(float(yv.min()), float(yv.max()), n)
    gx, gy = np.meshgrid(xs, ys)
    grid = pd.DataFrame({c: [base[c]] * gx.size for c in need})
    grid[x], grid[y] = gx.ravel(), gy.ravel()
    idt = _thinned_idata(fit.idata, max_draws)
    p = predict(fit, grid, idt, groups=False)
    p = p[:, :, None] if p.ndim == 2 else p
    cats = fit.md.categories if fit.spec.family == "categorical" else ["P(y=1)"]
    lo, hi = _interval(p, interval)
    out = []
    for k, cat in enumerate(cats):
        out.append(
            pd.DataFrame(
                {
                    "x": gx.ravel(),
                    "y": gy.ravel(),
                    "category": cat,
                    "p_mean": p[:, :, k].mean(axis=0),
                    "p_lo": lo[:, k],
                    "p_hi": hi[:, k],
                }
            )
        )
    df = pd.concat(out, ignore_index=True)
    df.insert(0, "model", fit.name)
    df["x_var"], df["y_var"], df["draws"], df["fit_status"] = x, y, n_draws(idt.posterior), fit.status
    return df


def case_label(row, names: dict) -> str:
    abb = names.get(int(row["ccode2"]), str(int(row["ccode2"])))
    return f"{abb} {int(row['year'])}"


def is_annotated(frame: pd.DataFrame, annotate: dict | None) -> np.ndarray:
    """Rows matching the report's annotate rule (ccode1, ccode2, years)."""
    if not annotate:
        return np.zeros(len(frame), dtype=bool)
    m = np.ones(len(frame), dtype=bool)
    for key in ("ccode1", "ccode2"):
        if key in annotate and key in frame:
            m &= frame[key].to_numpy() == annotate[key]
    if "years" in annotate and "year" in frame:
        m &= frame["year"].isin(annotate["years"]).to_numpy()
    return m


def case_points(fit: Fit, x: str, y: str, names: dict, annotate: dict | None = None) -> pd.DataFrame:
    """The fitted cases as points on the surface: position, outcome, label."""
    rows = fit.rows
    out = pd.DataFrame(
        {
            "case_id": rows["case_id"].astype(str).to_numpy() if "case_id" in rows else rows.index.astype(str),
            "x": pd.to_numeric(rows[x]).to_numpy(),
            "y": pd.to_numeric(rows[y]).to_numpy(),
            "outcome": [fit.md.categories[c] for c in fit.md.y] if fit.spec.family == "categorical" else fit.md.y,
        }
    )
    for c in ("ccode1", "ccode2", "year"):
        if c in rows:
            out[c] = rows[c].to_numpy()
    out["label"] = (
        [case_label(r, names) for _, r in out.iterrows()] if {"ccode2", "year"} <= set(out) else out["case_id"]
    )
    out["annotated"] = is_annotated(out, annotate)
    out["x_var"], out["y_var"] = x, y
    return out


def case_predictions(
    fit: Fit, names: dict | None = None, annotate: dict | None = None, max_draws: int = 1000, interval: float = INTERVAL
) -> pd.DataFrame:
    """Each fitted case's posterior predicted probability against what happened.

    Bernoulli: P(y=1). Categorical: P(the observed category). In-sample,
    sorted by the posterior mean.
    """
    rows = fit.rows
    idt = _thinned_idata(fit.idata, max_draws)
    p = predict(fit, rows, idt)
    if p.ndim == 3:
        p = p[:, np.arange(p.shape[1]), np.asarray(fit.md.y)]
        observed = [fit.md.categories[c] for c in fit.md.y]
        what = "P(observed category)"
    else:
        observed = list(fit.md.y)
        what = "P(y=1)"
    lo, hi = _interval(p, interval)
    out = pd.DataFrame(
        {
            "model": fit.name,
            "case_id": rows["case_id"].astype(str).to_numpy() if "case_id" in rows else rows.index.astype(str),
        }
    )
    for c in ("ccode1", "ccode2", "year", "event"):
        if c in rows:
            out[c] = rows[c].to_numpy()
    out["observed"] = observed
    out["quantity"] = what
    out["p_mean"], out["p_lo"], out["p_hi"] = p.mean(axis=0), lo, hi
    names = names or {}
    out["label"] = (
        [f"{cid} ({names.get(int(c2), int(c2))})" for cid, c2 in zip(out["case_id"], out["ccode2"])]
        if "ccode2" in out
        else out["case_id"]
    )
    out["annotated"] = is_annotated(out, annotate)
    out["draws"], out["fit_status"] = n_draws(idt.posterior), fit.status
    return out.sort_values("p_mean", kind="stable").reset_index(drop=True)


def surface_axes(spec, columns) -> tuple[str, str] | None:
    """(x, y) of a model's disparity x threat surface: the first data column of
    its ``disparity`` and ``threat`` factors (``drop``), if it has both."""
    f = factor_columns(spec, columns)
    if "disparity" in f and "threat" in f:
        return f["disparity"][0], f["threat"][0]
    return None
