"""The case table's figures: the disparity x threat surface with every case
placed on it, and each case's predicted probability against what happened.
Style and helpers come from :mod:`.plots`."""

from __future__ import annotations

import matplotlib.patheffects as pe
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from .plots import BLUE, GREY, ORANGE, RED, _stamp_failed


def _band_offsets(points: pd.DataFrame, levels: int = 7, half: float = 0.38) -> np.ndarray:
    """Vertical offsets within a 0/1 band so neighbours in x do not overlap."""
    off = np.zeros(len(points))
    offsets = np.linspace(-half, half, levels)
    order = np.lexsort((points["x"].to_numpy(), points["y"].to_numpy()))
    cycle = [3, 0, 6, 2, 5, 1, 4][:levels] if levels == 7 else list(range(levels))
    for i, idx in enumerate(order):
        off[idx] = offsets[cycle[i % levels]]
    return off


def _dedupe_points(points: pd.DataFrame) -> pd.DataFrame:
    """Merge cases at identical positions with identical outcome into one labelled point."""
    keys = ["x", "y", "outcome"]
    g = points.groupby(keys, sort=False, dropna=False)
    out = g.agg(
        label=("label", lambda s: " / ".join(dict.fromkeys(s))), annotated=("annotated", "max"), n=("label", "size")
    ).reset_index()
    return out


def _binary_axis(grid: pd.DataFrame) -> str | None:
    """The grid column ("y" first, then "x") whose variable takes only 0 and
    1 (a 0/1 threat such as ``threat_high``), or None when both are
    continuous."""
    for k in ("y", "x"):
        v = pd.to_numeric(grid[k], errors="coerce").dropna().unique()
        if len(v) and set(np.round(v, 9)) <= {0.0, 1.0}:
            return k
    return None


def _case_marks(ax, pts: pd.DataFrame, py: np.ndarray, highlight=None, dark: bool = True) -> np.ndarray:
    """The cases at (x, ``py``): ``highlight`` None = every case filled and
    labelled; a category = only the cases coded in it (others hollow).
    Annotated cases are always labelled, in bold red. ``dark``: drawn on a
    heat map (white labels), else on a light background. Returns the
    highlighted mask."""
    hl = np.ones(len(pts), bool) if highlight is None else pts["outcome"].astype(str).eq(str(highlight)).to_numpy()
    ax.scatter(pts["x"][hl], py[hl], s=28, c="white", edgecolors="black", lw=0.8, zorder=3)
    ax.scatter(pts["x"][~hl], py[~hl], s=14, facecolors="none", edgecolors="#dddddd" if dark else GREY, lw=0.6)
    ann = pts["annotated"].to_numpy(bool)
    for xv, yv, lab, a, h in zip(pts["x"], py, pts["label"], ann, hl):
        if h or a:
            ax.annotate(
                lab,
                (xv, yv),
                xytext=(4, 2),
                textcoords="offset points",
                fontsize=7 if a else 6.2,
                color=("#ff9d9d" if dark else RED) if a else ("white" if dark else "#222"),
                fontweight="bold" if a else "normal",
                zorder=4,
                path_effects=_halo("black" if dark else "white"),
            )
    return hl


def _surface_panel(ax, grid: pd.DataFrame, points: pd.DataFrame, highlight=None, cmap="viridis"):
    """Heat map of p_mean over a grid of two continuous variables with the
    cases on it (``highlight``: see :func:`_case_marks`). Returns the mesh,
    the merged points and their plotted y."""
    xs = np.sort(grid["x"].unique())
    ys = np.sort(grid["y"].unique())
    z = grid.pivot_table(index="y", columns="x", values="p_mean").loc[ys, xs].to_numpy()
    mesh = ax.pcolormesh(xs, ys, z, vmin=0, vmax=1, cmap=cmap, shading="nearest")
    pts = _dedupe_points(points)
    py = pts["y"].to_numpy(float)
    _case_marks(ax, pts, py, highlight)
    return mesh, pts, py


def _probability_lines(
    ax, grid: pd.DataFrame, points: pd.DataFrame, b: str, var: str, hit: np.ndarray, label: bool = True
) -> None:
    """P against the continuous variable, one line per value of the binary
    variable (grid column ``b``, named ``var``), each with its credible
    band; the cases as ticks at 1 (``hit``: the outcome drawn) or 0, in the
    colour of their value, the annotated ones red (and, with ``label``,
    named: neighbours in one label)."""
    c = "x" if b == "y" else "y"
    for v, col in ((0.0, ORANGE), (1.0, BLUE)):
        g = grid[np.isclose(grid[b].astype(float), v)].sort_values(c)
        ax.fill_between(g[c], g["p_lo"], g["p_hi"], color=col, alpha=0.2, lw=0)
        ax.plot(g[c], g["p_mean"], color=col, lw=2, label=f"{var} = {int(v)}")
        at = np.isclose(points[b].astype(float).to_numpy(), v)
        ax.scatter(points[c][at], np.where(hit[at], 1.02, -0.02), color=col, s=16, alpha=0.7, marker="|")
    ann = points["annotated"].to_numpy(bool)
    ax.scatter(points[c][ann], np.where(hit[ann], 1.02, -0.02), color=RED, s=60, marker="|", zorder=4)
    ax.set_ylim(-0.05, 1.05)
    if not label:
        return
    ax.set_ylim(-0.13, 1.1)  # room for the names inside the panel
    span = float(np.ptp(grid[c])) or 1.0
    for h in (True, False):
        d = points[ann & (hit == h)].sort_values(c)
        groups = np.cumsum(np.r_[0, np.diff(d[c].to_numpy(float)) > 0.06 * span]) if len(d) else []
        for _, gd in d.groupby(groups):
            ax.annotate(
                " / ".join(dict.fromkeys(gd["label"])),
                (float(gd[c].mean()), 1.02 if h else -0.02),
                xytext=(0, 4 if h else -10),
                textcoords="offset points",
                ha="center",
                fontsize=7,
                color=RED,
                fontweight="bold",
            )


def _binary_surface(grid, points, title, b, outcome_names=None) -> plt.Figure:
    """The surface when one axis is a 0/1 variable: no heat map over it, but
    P against the other variable, one line and band per value. Bernoulli:
    the lines above, the cases labelled below in one row per value.
    Categorical: one panel of lines per category."""
    c = "x" if b == "y" else "y"
    var_b, var_c = grid[f"{b}_var"].iloc[0], grid[f"{c}_var"].iloc[0]
    cats = list(dict.fromkeys(grid["category"]))
    iv = int(round(100 * grid.attrs.get("interval", 0.9)))
    held = f"posterior mean and {iv}% interval, the other predictors at typical values"
    if len(cats) == 1:
        fig, (ax, axc) = plt.subplots(
            2, 1, figsize=(10, 9), gridspec_kw={"height_ratios": [1, 1.3]}, layout="constrained"
        )
        hit = points["outcome"].astype(float).to_numpy() == 1
        _probability_lines(ax, grid, points, b, var_b, hit, label=False)  # the panel below names them
        ax.set_ylabel("P(y=1)")
        ax.set_xlabel(_axis_label(var_c))
        ax.legend(fontsize=7.5, loc="center right", frameon=False)
        ax.set_title(f"{title}\n{held}; ticks at 0/1 = observed outcomes", fontsize=9.5)
        # the cases, one row per value of the binary variable (its curve's colour)
        pts = _dedupe_points(points.assign(x=points[c], y=points[b]))
        py = pts["y"].to_numpy(float) + _band_offsets(pts)
        for v, col in ((0, ORANGE), (1, BLUE)):
            axc.axhspan(v - 0.5, v + 0.5, color=col, alpha=0.07, lw=0)
        _case_marks(axc, pts, py, dark=False)
        no = pts["outcome"].astype(float).to_numpy() == 0
        if no.any():
            label = (outcome_names or {}).get(0, "observed y = 0")
            axc.scatter(pts["x"][no], py[no], marker="x", s=34, c=RED, lw=1.6, zorder=5, label=label)
            axc.legend(loc="upper left", fontsize=7, framealpha=0.85)
        axc.set_ylim(-0.5, 1.5)
        axc.set_yticks([0, 1], [f"{var_b} = 0", f"{var_b} = 1"])
        axc.set_xlim(ax.get_xlim())
        axc.set_xlabel(_axis_label(var_c))
        axc.set_title(f"the cases, by {var_b}", fontsize=9)
        return fig
    ncol = 2
    nrow = int(np.ceil(len(cats) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(12.5, 4.0 * nrow), squeeze=False, layout="constrained")
    for ax, cat in zip(axes.ravel(), cats):
        hit = points["outcome"].astype(str).eq(str(cat)).to_numpy()
        _probability_lines(ax, grid[grid["category"] == cat], points, b, var_b, hit)
        ax.set_title(f"P({cat})   — {int(hit.sum())} cases coded {cat} (ticks at 1)", fontsize=9)
        ax.set_ylabel(f"P({cat})")
        ax.set_xlabel(_axis_label(var_c))
    for ax in axes.ravel()[len(cats) :]:
        ax.axis("off")
    axes.ravel()[0].legend(fontsize=7.5, loc="best", frameon=False)
    fig.suptitle(f"{title}\n{held}", fontsize=10)
    return fig


def _axis_label(var: str) -> str:
    if var.startswith("log_") and var.endswith("_ratio"):
        return f"{var}  (log of focal/partner; right: the focal state is stronger)"
    return var


def _halo(colour: str = "black"):
    return [pe.withStroke(linewidth=1.6, foreground=colour)]


def surface(
    grid: pd.DataFrame, points: pd.DataFrame, title: str, failed: bool = False, outcome_names: dict | None = None
) -> plt.Figure:
    """The disparity x threat surface: posterior P(alliance), or P(each
    category), over a grid, with every observed case placed on it.

    One axis a 0/1 variable (``threat_high``): no surface over it, but one
    line with its band per value (:func:`_binary_surface`). Both continuous:
    Bernoulli, a heat map plus the curves at the lowest and highest value of
    the y variable; categorical, one heat map per category, the cases coded
    in that category filled and labelled.
    """
    b = _binary_axis(grid)
    if b is not None:
        fig = _binary_surface(grid, points, title, b, outcome_names)
        _stamp_failed(fig, failed)
        return fig
    x_var, y_var = grid["x_var"].iloc[0], grid["y_var"].iloc[0]
    cats = list(dict.fromkeys(grid["category"]))
    if len(cats) == 1:
        fig, (ax, ax2) = plt.subplots(
            2, 1, figsize=(10, 9), gridspec_kw={"height_ratios": [1.6, 1]}, layout="constrained"
        )
        mesh, pts, py = _surface_panel(ax, grid, points)
        no = pts["outcome"].astype(float).to_numpy() == 0
        if no.any():
            ax.scatter(
                pts["x"][no],
                py[no],
                marker="x",
                s=34,
                c=RED,
                lw=1.6,
                zorder=5,
                label=(outcome_names or {}).get(0, "observed y = 0"),
            )
            ax.legend(loc="upper left", fontsize=7, framealpha=0.85)
        fig.colorbar(mesh, ax=[ax, ax2], label="posterior mean P(y=1) (heat map)", fraction=0.04, pad=0.01)
        ax.set_ylabel(y_var)
        ax.set_xlabel(_axis_label(x_var))
        ax.set_title(title)
        g = grid.sort_values("x")
        for yv, col in zip(np.sort(g["y"].unique())[[0, -1]], (ORANGE, BLUE)):
            gg = g[np.isclose(g["y"], yv)]
            ax2.fill_between(gg["x"], gg["p_lo"], gg["p_hi"], color=col, alpha=0.2)
            ax2.plot(gg["x"], gg["p_mean"], color=col, lw=2, label=f"{y_var} = {yv:.3g}")
            obs = points[np.isclose(points["y"].astype(float), yv)]
            ax2.scatter(obs["x"], obs["outcome"].astype(float) * 1.04 - 0.02, color=col, s=12, alpha=0.7, marker="|")
        iv = grid.attrs.get("interval", 0.9)
        ax2.set_ylim(-0.05, 1.05)
        ax2.set_xlim(ax.get_xlim())
        ax2.set_xlabel(_axis_label(x_var))
        ax2.set_ylabel("P(y=1)")
        ax2.legend(fontsize=7.5, loc="center right", frameon=False)
        ax2.set_title(f"posterior mean and {int(iv * 100)}% interval; ticks at 0/1 = observed outcomes", fontsize=8.5)
    else:
        n = len(cats)
        ncol = 2
        nrow = int(np.ceil(n / ncol))
        fig, axes = plt.subplots(nrow, ncol, figsize=(12.5, 4.6 * nrow), squeeze=False, layout="constrained")
        for ax, cat in zip(axes.ravel(), cats):
            mesh, _, _ = _surface_panel(ax, grid[grid["category"] == cat], points, highlight=cat)
            k = int((points["outcome"].astype(str) == str(cat)).sum())
            ax.set_title(f"P({cat})   — {k} cases coded {cat} (filled, labelled)", fontsize=9)
            ax.set_ylabel(y_var)
            ax.set_xlabel(_axis_label(x_var))
        for ax in axes.ravel()[n:]:
            ax.axis("off")
        fig.colorbar(mesh, ax=axes.ravel().tolist(), label="posterior mean probability", fraction=0.03, pad=0.01)
        fig.suptitle(title, fontsize=11)
    _stamp_failed(fig, failed)
    return fig


def case_predictions(pred: pd.DataFrame, title: str, failed: bool = False) -> plt.Figure:
    """Each case's posterior predicted probability with interval, sorted,
    against what happened; annotated cases in red."""
    p = pred.reset_index(drop=True)
    n = len(p)
    fig, ax = plt.subplots(figsize=(9, 0.17 * n + 1.8))
    y = np.arange(n)
    binary = p["quantity"].iloc[0] == "P(y=1)"
    if binary:
        hit = p["observed"].astype(int).to_numpy() == 1
        col = np.where(hit, BLUE, ORANGE)
    else:
        col = np.full(n, BLUE)
    ax.hlines(y, p["p_lo"], p["p_hi"], color=col, lw=1.6, alpha=0.8)
    ax.scatter(p["p_mean"], y, color=col, s=14, zorder=3)
    if binary:
        ax.scatter(np.where(hit, 1.02, -0.02), y, marker="s", s=12, color=col, clip_on=False, zorder=3)
        ax.legend(
            handles=[
                Line2D([], [], color=BLUE, marker="o", label="allied (observed 1)"),
                Line2D([], [], color=ORANGE, marker="o", label="not allied (observed 0)"),
            ],
            loc="lower right",
            fontsize=7.5,
            frameon=True,
        )
    labels = [f"{lab}" + ("" if binary else f" → {o}") for lab, o in zip(p["label"], p["observed"])]
    ax.set_yticks(y, labels, fontsize=6.5)
    for t, ann in zip(ax.get_yticklabels(), p["annotated"]):
        if ann:
            t.set_color(RED)
            t.set_fontweight("bold")
    for yi in y[p["annotated"].to_numpy(bool)]:
        ax.annotate(
            "◀",
            (1.0, yi),
            xycoords=("axes fraction", "data"),
            xytext=(10, 0),
            textcoords="offset points",
            va="center",
            color=RED,
            fontsize=8,
        )
    ax.set_xlim(-0.05, 1.05)
    ax.set_ylim(-1, n)
    iv = int(round(100 * float(p.attrs.get("interval", 0.9))))
    ax.set_xlabel(f"posterior predicted {p['quantity'].iloc[0]} (mean, {iv}% interval), in sample")
    ax.set_title(title)
    fig.tight_layout()
    _stamp_failed(fig, failed)
    return fig
