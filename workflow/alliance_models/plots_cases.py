"""The case table's figures: the disparity x threat surface with every case
placed on it, and each case's predicted probability against what happened.
Style and helpers come from :mod:`.plots`."""

from __future__ import annotations

import matplotlib.patheffects as pe
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from .plots import BLUE, ORANGE, RED, _stamp_failed


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


def _surface_panel(ax, grid: pd.DataFrame, points: pd.DataFrame, binary_y: bool, highlight=None, cmap="viridis"):
    """Heat map of p_mean over the grid with the cases on it.

    ``highlight``: None = every case filled and labelled; a category = only
    the cases coded in it filled and labelled (others hollow). Annotated
    cases are always labelled, in bold red. Returns the mesh, the merged
    points and their plotted y.
    """
    xs = np.sort(grid["x"].unique())
    ys = np.sort(grid["y"].unique())
    z = grid.pivot_table(index="y", columns="x", values="p_mean").loc[ys, xs].to_numpy()
    if binary_y:
        xe = np.r_[xs[0] - (xs[1] - xs[0]) / 2, (xs[1:] + xs[:-1]) / 2, xs[-1] + (xs[1] - xs[0]) / 2]
        mesh = ax.pcolormesh(xe, np.array([-0.5, 0.5, 1.5]), z, vmin=0, vmax=1, cmap=cmap, shading="flat")
        ax.axhline(0.5, color="white", lw=1.5)
    else:
        mesh = ax.pcolormesh(xs, ys, z, vmin=0, vmax=1, cmap=cmap, shading="nearest")
    pts = _dedupe_points(points)
    py = pts["y"].to_numpy(float) + (_band_offsets(pts) if binary_y else 0.0)
    hl = np.ones(len(pts), bool) if highlight is None else pts["outcome"].astype(str).eq(str(highlight)).to_numpy()
    ax.scatter(pts["x"][hl], py[hl], s=28, c="white", edgecolors="black", lw=0.8, zorder=3)
    ax.scatter(pts["x"][~hl], py[~hl], s=14, facecolors="none", edgecolors="#dddddd", lw=0.6, zorder=3)
    ann = pts["annotated"].to_numpy(bool)
    for xv, yv, lab, a, h in zip(pts["x"], py, pts["label"], ann, hl):
        if h or a:
            ax.annotate(
                lab,
                (xv, yv),
                xytext=(4, 2),
                textcoords="offset points",
                fontsize=7 if a else 6.2,
                color="#ff9d9d" if a else "white",
                fontweight="bold" if a else "normal",
                zorder=4,
                path_effects=_halo(),
            )
    return mesh, pts, py


def _axis_label(var: str) -> str:
    if var.startswith("log_") and var.endswith("_ratio"):
        return f"{var}  (log of focal/partner; right: the focal state is stronger)"
    return var


def _halo():
    return [pe.withStroke(linewidth=1.6, foreground="black")]


def surface(
    grid: pd.DataFrame, points: pd.DataFrame, title: str, failed: bool = False, outcome_names: dict | None = None
) -> plt.Figure:
    """The disparity x threat surface: posterior P(alliance), or P(each
    category), over a grid, with every observed case placed on it.

    Bernoulli: heat map plus the curves with their intervals. Categorical:
    one heat map per category; the cases coded in that category are filled
    and labelled.
    """
    x_var, y_var = grid["x_var"].iloc[0], grid["y_var"].iloc[0]
    binary_y = set(np.round(grid["y"].unique(), 9)) <= {0.0, 1.0}
    cats = list(dict.fromkeys(grid["category"]))
    ylabels = ["low (0)", "high (1)"] if binary_y else None
    if len(cats) == 1:
        fig, (ax, ax2) = plt.subplots(
            2, 1, figsize=(10, 9), gridspec_kw={"height_ratios": [1.6, 1]}, layout="constrained"
        )
        mesh, pts, py = _surface_panel(ax, grid, points, binary_y)
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
        if binary_y:
            ax.set_yticks([0, 1], ylabels)
        ax.set_ylabel(y_var)
        ax.set_xlabel(_axis_label(x_var))
        ax.set_title(title)
        g = grid.sort_values("x")
        for yv, col in zip(np.sort(g["y"].unique())[[0, -1]], (ORANGE, BLUE)):
            gg = g[np.isclose(g["y"], yv)]
            lab = f"{y_var} = {ylabels[int(yv)] if binary_y else f'{yv:.3g}'}"
            ax2.fill_between(gg["x"], gg["p_lo"], gg["p_hi"], color=col, alpha=0.2)
            ax2.plot(gg["x"], gg["p_mean"], color=col, lw=2, label=lab)
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
            mesh, _, _ = _surface_panel(ax, grid[grid["category"] == cat], points, binary_y, highlight=cat)
            k = int((points["outcome"].astype(str) == str(cat)).sum())
            ax.set_title(f"P({cat})   — {k} cases coded {cat} (filled, labelled)", fontsize=9)
            if binary_y:
                ax.set_yticks([0, 1], ylabels)
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
