"""Figures. Each function takes frames or InferenceData and returns a Figure;
nothing here computes a statistic the summaries do not already hold."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import arviz as az  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

FAILED_NOTE = "FIT FAILED THE CONVERGENCE GATE: not a finding"


def _stamp_failed(fig, failed: bool):
    if failed:
        fig.text(0.5, 0.5, FAILED_NOTE, ha="center", va="center", fontsize=14, color="red",
                 alpha=0.35, rotation=20, transform=fig.transFigure)


def forest(summary: pd.DataFrame, title: str, failed: bool = False) -> plt.Figure:
    """Standardized coefficients: posterior mean and 90% interval."""
    s = summary[(summary["scale"] == "standardized") & summary["parameter"].str.startswith("beta")]
    s = s.iloc[::-1]
    lo = [c for c in s.columns if c.startswith("hdi_") and c.endswith("%")]
    fig, ax = plt.subplots(figsize=(6.5, 0.45 * len(s) + 1.4))
    y = np.arange(len(s))
    ax.hlines(y, s[lo[0]], s[lo[1]], color="tab:blue", lw=2)
    ax.plot(s["mean"], y, "o", color="tab:blue")
    ax.axvline(0, color="grey", lw=0.8, ls="--")
    ax.set_yticks(y, [p.replace("beta[", "").rstrip("]") for p in s["parameter"]])
    ax.set_xlabel("effect per SD of predictor (log-odds), mean and 90% HDI")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    _stamp_failed(fig, failed)
    return fig


def posterior_densities(idata, title: str, failed: bool = False) -> plt.Figure:
    axes = az.plot_posterior(idata, var_names=["beta"], hdi_prob=0.9, ref_val=0, textsize=8)
    fig = np.atleast_1d(axes).ravel()[0].figure
    fig.suptitle(title, fontsize=10)
    _stamp_failed(fig, failed)
    return fig


def save(fig: plt.Figure, stem) -> list[str]:
    """Write ``stem``.png and ``stem``.svg; return both paths."""
    from .io import atomic_path

    paths = []
    for ext in ("png", "svg"):
        target = f"{stem}.{ext}"
        with atomic_path(target) as tmp:
            fig.savefig(tmp, format=ext, dpi=110, metadata={"Date": None} if ext == "svg" else {"Software": None})
        paths.append(target)
    plt.close(fig)
    return paths
