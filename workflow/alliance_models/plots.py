"""Figures. Each function takes frames (from :mod:`.summaries`) or
InferenceData and returns a Figure; nothing here computes a statistic the
summaries do not already hold. A fit that failed the convergence gate is
stamped across every figure that shows it."""

from __future__ import annotations

import textwrap

import matplotlib

matplotlib.use("Agg")

import arviz as az  # noqa: E402
import matplotlib.patheffects as pe  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator  # noqa: E402

from .io import atomic_path  # noqa: E402

FAILED_NOTE = "FIT FAILED THE CONVERGENCE GATE: not a finding"
BLUE, ORANGE, GREY, RED = "#1f5fa8", "#d9731a", "#888888", "#b2182b"

# svg.fonttype none: text stays text in the SVG (smaller, much faster to write;
# the viewer's sans-serif font draws it, nothing is fetched)
plt.rcParams.update(
    {
        "font.size": 9,
        "axes.titlesize": 10,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "svg.hashsalt": "alliance-models",
        "svg.fonttype": "none",
        "figure.dpi": 100,
    }
)


def _stamp_failed(fig, failed: bool):
    if failed:
        fig.text(
            0.5,
            0.5,
            FAILED_NOTE,
            ha="center",
            va="center",
            fontsize=14,
            color="red",
            alpha=0.35,
            rotation=20,
            transform=fig.transFigure,
        )


def _empty(title: str, message: str, failed: bool = False) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(6.5, 1.6))
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=10, color="#444", wrap=True)
    ax.set_title(title)
    _stamp_failed(fig, failed)
    return fig


def _pretty(term: str) -> str:
    return term.replace("beta[", "").rstrip("]")


def forest(coefs: pd.DataFrame, title: str, failed: bool = False) -> plt.Figure:
    """Standardized coefficients: posterior mean and equal-tailed interval,
    coloured by whether the interval excludes 0 (the verdicts' rule)."""
    if coefs.empty:
        return _empty(title, "no coefficients", failed)
    s = coefs.iloc[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.4 * len(s) + 1.4))
    y = np.arange(len(s))
    col = np.where(s["beta_std_lo"] > 0, BLUE, np.where(s["beta_std_hi"] < 0, ORANGE, GREY))
    ax.hlines(y, s["beta_std_lo"], s["beta_std_hi"], color=col, lw=2.2)
    ax.scatter(s["beta_std_mean"], y, color=col, zorder=3)
    ax.axvline(0, color="grey", lw=0.8, ls="--")
    ax.set_yticks(y, _rows_label(s))
    for yi, p in zip(y, s["p_positive"]):
        ax.annotate(
            f"P(>0)={p:.2f}",
            (1.0, yi),
            xycoords=("axes fraction", "data"),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=7.5,
            color="#444",
        )
    iv = int(round(100 * float(s["interval"].iloc[0])))
    ax.set_xlabel(f"log-odds change per 1 SD of the predictor (posterior mean, {iv}% interval)")
    ax.set_title(title)
    fig.tight_layout()
    _stamp_failed(fig, failed)
    return fig


def _log_ticks(ax, max_ticks: int = 9):
    """Readable ticks (…, 0.1, 0.2, 0.5, 1, 2, 5, …) on a log x axis."""
    lo, hi = ax.get_xlim()
    cands = [m * 10.0**e for e in range(-12, 13) for m in (1, 2, 5)]
    ticks = [t for t in cands if lo <= t <= hi]
    while len(ticks) > max_ticks:
        ticks = [t for t in ticks if np.isclose(np.log10(t) % 1, 0)] if len(ticks) > 2 * max_ticks else ticks[::2]
        if 1.0 not in ticks and lo <= 1 <= hi:
            ticks = sorted(set(ticks) | {1.0})
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))


def posterior_densities(idata, title: str, failed: bool = False) -> plt.Figure:
    beta = idata.posterior["beta"]
    n = int(np.prod([beta.sizes[d] for d in beta.dims if d not in ("chain", "draw")]))
    cols = min(3, n)
    rows = int(np.ceil(n / cols))
    axes = az.plot_posterior(
        idata, var_names=["beta"], hdi_prob=0.9, ref_val=0, textsize=8, figsize=(3.6 * cols, 2.3 * rows + 0.5)
    )
    fig = np.atleast_1d(axes).ravel()[0].figure
    fig.suptitle(title, fontsize=10)
    _stamp_failed(fig, failed)
    return fig


def _rows_label(df: pd.DataFrame) -> list[str]:
    return [f"{t} [{c}]" if c else t for t, c in zip(df["term"], df["category"].astype("object").fillna(""))]


def odds_ratios(coefs: pd.DataFrame, title: str, failed: bool = False) -> plt.Figure:
    """Odds ratio per SD of each predictor, median and interval, log axis."""
    if coefs.empty:
        return _empty(title, "no coefficients", failed)
    c = coefs.iloc[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.4 * len(c) + 1.4))
    y = np.arange(len(c))
    col = np.where(c["or_sd_lo"] > 1, BLUE, np.where(c["or_sd_hi"] < 1, ORANGE, GREY))
    ax.hlines(y, c["or_sd_lo"], c["or_sd_hi"], color=col, lw=2.2)
    ax.scatter(c["or_sd_median"], y, color=col, zorder=3)
    ax.axvline(1, color="grey", lw=0.8, ls="--")
    ax.set_xscale("log")
    _log_ticks(ax)
    ax.set_yticks(y, _rows_label(c))

    def f(v):
        return f"{v:.5f}" if abs(v - 1) < 0.01 else f"{v:.3g}"

    for yi, (m, lo, hi) in zip(y, c[["or_unit_median", "or_unit_lo", "or_unit_hi"]].to_numpy()):
        ax.annotate(
            f"per unit {f(m)} [{f(lo)}, {f(hi)}]",
            (1.0, yi),
            xycoords=("axes fraction", "data"),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=7,
            color="#444",
        )
    iv = int(round(100 * float(c["interval"].iloc[0])))
    ax.set_xlabel(f"odds ratio per 1 SD of the predictor (median, {iv}% interval; log scale)")
    ax.set_title(title)
    fig.tight_layout()
    _stamp_failed(fig, failed)
    return fig


def marginal_effects(ame: pd.DataFrame, title: str, failed: bool = False) -> plt.Figure:
    """Average marginal effects on the probability scale, with intervals."""
    if ame.empty:
        return _empty(title, "no factors declared (`drop` in config/models.yaml)", failed)
    a = ame.iloc[::-1]
    fig, ax = plt.subplots(figsize=(7.5, 0.5 * len(a) + 1.6))
    y = np.arange(len(a))
    col = np.where(a["ame_lo"] > 0, BLUE, np.where(a["ame_hi"] < 0, ORANGE, GREY))
    ax.hlines(y, a["ame_lo"], a["ame_hi"], color=col, lw=2.4)
    ax.scatter(a["ame_mean"], y, color=col, zorder=3)
    ax.axvline(0, color="grey", lw=0.8, ls="--")
    labels = [f"{f}" + (f" [{c}]" if c != "P(y=1)" else "") for f, c in zip(a["factor"], a["category"])]
    ax.set_yticks(y, labels)
    base = a["base_rate"] if "base_rate" in a else pd.Series(np.nan, index=a.index)
    for yi, p, b in zip(y, a["p_positive"].to_numpy(), base.to_numpy()):
        ax.annotate(
            f"P(>0)={p:.2f}" + (f", base {100 * b:.2g}%" if b == b else ""),
            (1.0, yi),
            xycoords=("axes fraction", "data"),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=7.5,
            color="#444",
        )
    shifts = "moved: " + "; ".join(dict.fromkeys(a["shift"].iloc[::-1]))
    iv = int(round(100 * float(a["interval"].iloc[0])))
    ax.set_xlabel(
        f"change in predicted probability, averaged over the observed rows (mean, {iv}% interval); "
        "binaries 0->1, others median->p90"
    )
    ax.set_title(title + "\n" + textwrap.fill(shifts, 120), fontsize=9)
    fig.tight_layout()
    _stamp_failed(fig, failed)
    return fig


def loo_deltas(loo: pd.DataFrame, title: str, failed: bool = False) -> plt.Figure:
    """ΔELPD (reduced - full) with ±2 SE when each factor is dropped."""
    d = loo[loo["dropped"].astype(str) != ""]
    if d.empty:
        return _empty(title, "no reduced models: declare `drop` factors in config/models.yaml", failed)
    d = d.iloc[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.75 * len(d) + 1.6))
    y = np.arange(len(d))
    ok = d["delta_elpd"].notna().to_numpy()
    ax.hlines(
        y[ok], (d["delta_elpd"] - 2 * d["delta_se"])[ok], (d["delta_elpd"] + 2 * d["delta_se"])[ok], color=BLUE, lw=2.2
    )
    ax.scatter(d["delta_elpd"][ok], y[ok], color=BLUE, zorder=3)
    ax.axvline(0, color="grey", lw=0.8, ls="--")
    ax.set_yticks(y, [f"drop {x}" for x in d["dropped"]])
    for yi, (note, st) in zip(y, d[["note", "reduced_status"]].astype("object").fillna("").to_numpy()):
        text = ("reduced fit FAILED; " if st != "ok" else "") + str(note)
        if text:
            ax.annotate(
                textwrap.fill(text, 95),
                (0.0, yi),
                xycoords=("axes fraction", "data"),
                xytext=(0, 7),
                textcoords="offset points",
                fontsize=6.5,
                color=RED,
                va="bottom",
            )
    ax.set_xlabel("ΔELPD (PSIS-LOO): reduced minus full model, ±2 SE   (< 0: the factor improves prediction)")
    ax.set_title(title)
    ax.margins(y=0.2)
    fig.tight_layout()
    _stamp_failed(fig, failed)
    return fig


def ppc(frames: dict, title: str, failed: bool = False) -> plt.Figure:
    """Replicated outcome counts against the observed; calibration (bernoulli)."""
    stats, draws = frames["stats"], frames["draws"]
    cal = frames.get("calibration")
    k = len(stats)
    ncol = k + (1 if cal is not None else 0)
    fig, axes = plt.subplots(1, ncol, figsize=(min(3.0 * ncol, 12), 2.9), squeeze=False)
    axes = axes.ravel()
    for ax, (_, s) in zip(axes, stats.iterrows()):
        r = draws.loc[draws["category"] == s["category"], "count"].to_numpy()
        bins = np.arange(r.min() - 0.5, r.max() + 1.5) if r.max() - r.min() < 60 else 40
        ax.hist(r, bins=bins, color="#9bbbe0", edgecolor="white")
        ax.axvline(s["observed"], color=RED, lw=2)
        ax.set_title(f"{s['category']}\nobserved {s['observed']}, P(rep≥obs)={s['p_rep_ge_obs']:.2f}", fontsize=8)
        ax.set_yticks([])
        ax.set_xlabel("replicated count")
    if cal is not None:
        ax = axes[-1]
        hi = float(max(cal["p_mean"].max(), cal["rate_hi"].max(), 1e-3)) * 1.1
        ax.plot([0, hi], [0, hi], color="grey", lw=0.8, ls="--")
        ax.errorbar(
            cal["p_mean"],
            cal["observed_rate"],
            yerr=[cal["observed_rate"] - cal["rate_lo"], cal["rate_hi"] - cal["observed_rate"]],
            fmt="o",
            color=BLUE,
            ms=4,
            lw=1,
        )
        ax.set_xlim(0, hi)
        ax.set_ylim(0, hi)
        ax.set_xlabel("fitted P(y=1), bin mean")
        ax.set_ylabel("observed rate")
        ax.set_title("in-sample calibration\n(equal-count bins, 90% Jeffreys)", fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    _stamp_failed(fig, failed)
    return fig


def rank_plot(idata, title: str, failed: bool = False, max_panels: int = 16) -> plt.Figure:
    """Rank plots (uniform bars = chains agree) of the population parameters."""
    post = idata.posterior
    names = [v for v in post.data_vars if v in ("alpha", "beta") or v.startswith("sd_")]
    sizes = [int(np.prod([post[v].sizes[d] for d in post[v].dims if d not in ("chain", "draw")])) for v in names]
    keep, total = [], 0
    for v, s in zip(names, sizes):
        if total + s > max_panels and keep:
            break
        keep.append(v)
        total += s
    axes = az.plot_rank(
        idata, var_names=keep, kind="bars", figsize=(10, 2.0 * int(np.ceil(min(total, max_panels) / 3)) + 0.8)
    )
    fig = np.atleast_1d(axes).ravel()[0].figure
    for ax in np.atleast_1d(axes).ravel():
        ax.title.set_fontsize(8)
        ax.xaxis.label.set_fontsize(8)
        ax.yaxis.label.set_fontsize(8)
        ax.tick_params(labelsize=7)
    fig.suptitle(title + ("" if len(keep) == len(names) else f" (first {total} panels)"), fontsize=10)
    fig.tight_layout()
    _stamp_failed(fig, failed)
    return fig


def freq_vs_bayes(fb: pd.DataFrame, title: str, failed: bool = False) -> plt.Figure:
    """Frequentist and Bayesian estimates of the same coefficients, per SD of
    the predictor so the terms share one axis."""
    d = fb[fb["term"] != "Intercept"].copy()
    if d.empty:
        return _empty(title, "no coefficients", failed)
    sd = d["predictor_sd"].to_numpy(float)
    d = d.iloc[::-1]
    sd = sd[::-1]
    fig, ax = plt.subplots(figsize=(7.5, 0.5 * len(d) + 1.6))
    y = np.arange(len(d))
    ax.hlines(y + 0.13, d["bayes_lo"] * sd, d["bayes_hi"] * sd, color=BLUE, lw=2.2, label="Bayesian (posterior)")
    ax.scatter(d["bayes_mean"] * sd, y + 0.13, color=BLUE, zorder=3)
    fl, fh, fe = d["freq_lo"] * sd, d["freq_hi"] * sd, d["freq_estimate"] * sd
    ax.hlines(y - 0.13, fl, fh, color=ORANGE, lw=2.2, label="frequentist (statsmodels / Firth)")
    ax.scatter(fe, y - 0.13, color=ORANGE, marker="s", zorder=3)
    ax.axvline(0, color="grey", lw=0.8, ls="--")
    ax.set_yticks(y, _rows_label(d))
    meth = ", ".join(sorted(set(map(str, d["freq_method"].dropna()))))
    lev = int(round(100 * float(d["level"].iloc[0])))
    ax.set_xlabel(f"log-odds per 1 SD of the predictor ({lev}% intervals; frequentist method: {meth})")
    ax.legend(fontsize=7.5, loc="best", frameon=False)
    finite = np.isfinite(np.r_[fl, fh, d["bayes_lo"] * sd, d["bayes_hi"] * sd])
    vals = np.r_[fl, fh, d["bayes_lo"] * sd, d["bayes_hi"] * sd][finite]
    if vals.size:
        span = np.percentile(np.abs(vals), 100)
        ax.set_xlim(-min(span, 25) * 1.05, min(span, 25) * 1.05)
    ax.set_title(title)
    fig.tight_layout()
    _stamp_failed(fig, failed)
    return fig


# --------------------------------------------------------------------------
# the seeds' questions


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


def group_slopes(
    slopes: pd.DataFrame,
    level: str,
    title: str,
    names: dict | None = None,
    failed: bool = False,
    max_levels: int = 40,
) -> plt.Figure:
    """Each group level's total slope per varying term, one panel per group
    and term; ``level`` highlighted. A group of more than ``max_levels``
    levels (hundreds of decision-year intercepts) is not drawn: the title
    says so and the table has it."""
    if slopes.empty:
        return _empty(title, "no varying slopes in this model", failed)
    sizes = slopes.groupby(["group", "term"], sort=False)["level"].nunique()
    panels = [k for k, n in sizes.items() if n <= max_levels]
    left = [f"{g} {t} ({n} levels)" for (g, t), n in sizes.items() if n > max_levels]
    if left:
        title += "\nnot drawn (more than " + str(max_levels) + " levels; in the table): " + ", ".join(left)
    if not panels:
        return _empty(title, "every group has too many levels to draw; see the table", failed)
    n_rows = max(int(sizes[k]) for k in panels)
    fig, axes = plt.subplots(
        1, len(panels), figsize=(3.6 * len(panels) + 0.5, 0.35 * n_rows + 2.0), squeeze=False, sharey=False
    )
    for ax, (group, term) in zip(axes.ravel(), panels):
        d = slopes[(slopes["group"] == group) & (slopes["term"] == term)].reset_index(drop=True)
        y = np.arange(len(d))
        hl = d["level"].astype(str).eq(str(level)).to_numpy()
        col = np.where(hl, RED, BLUE)
        ax.hlines(y, d["lo"], d["hi"], color=col, lw=2)
        ax.scatter(d["mean"], y, color=col, zorder=3)
        ax.axvline(0, color="grey", lw=0.8, ls="--")
        ax.set_yticks(y, [f"{(names or {}).get(int(v), v) if str(v).isdigit() else v} ({v})" for v in d["level"]])
        ax.set_title(f"{term} by {group}" if len({g for g, _ in panels}) > 1 else term, fontsize=9)
        ax.set_xlabel("total effect, standardized (90%)")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    _stamp_failed(fig, failed)
    return fig


CALL_COLOURS = {"positive": BLUE, "negative": ORANGE, "unclear": GREY}


def findings_strip(strip: pd.DataFrame, verdicts: pd.DataFrame, title: str) -> plt.Figure:
    """The findings in one figure: per directional claim, the primary
    evidence (a large marker) and each robustness cell (a dot) as the change
    in the probability in percentage points with its interval, coloured by
    the cell's call (cells that cannot be read, hollow), labelled with the
    units of evidence behind it; the claim's verdict in its heading."""
    need = {"pp", "pp_lo", "pp_hi", "claim_id", "role", "axis"}
    if strip.empty or not need <= set(strip.columns) or strip["pp"].isna().all():
        return _empty(title, "no claim has an effect on the probability scale")
    s = strip[(strip["role"] == "primary evidence") & (strip["axis"] != "terms")]
    # a cell on two axes (a measure's common-sample fit is on both) is drawn once
    s = s.drop_duplicates(subset=[c for c in ("claim_id", "model", "term", "label") if c in s.columns])
    claims = [c for c in dict.fromkeys(s["claim_id"]) if s.loc[s["claim_id"] == c, "pp"].notna().any()]
    if not claims:  # only the seeds' own coding, or no cell with an effect
        return _empty(title, "no claim's primary evidence has an effect on the probability scale")
    verdict = dict(zip(verdicts.get("claim_id", []), verdicts.get("verdict", [])))
    n = sum(len(s[s["claim_id"] == c]) for c in claims)
    fig, axes = plt.subplots(
        len(claims),
        1,
        figsize=(9.0, 0.34 * n + 1.0 * len(claims) + 0.6),
        squeeze=False,
        gridspec_kw={"height_ratios": [len(s[s["claim_id"] == c]) + 1 for c in claims]},
    )
    for ax, cid in zip(axes.ravel(), claims):
        d = s[s["claim_id"] == cid].reset_index(drop=True).iloc[::-1].reset_index(drop=True)
        y = np.arange(len(d))
        for yi, r in zip(y, d.to_dict("records")):
            call = str(r.get("call", ""))
            col = CALL_COLOURS.get(call, GREY)
            readable = call in CALL_COLOURS
            big = r["axis"] == "primary"
            if r["pp"] == r["pp"]:
                ax.hlines(yi, r["pp_lo"], r["pp_hi"], color=col, lw=3.0 if big else 1.6, alpha=1 if readable else 0.5)
                ax.scatter(
                    r["pp"],
                    yi,
                    s=90 if big else 30,
                    color=col if readable else "white",
                    edgecolor=col,
                    zorder=3,
                    marker="D" if big else "o",
                )
        units = [
            f"{int(r['n_decisions'])} {r.get('unit', '')}" if r.get("n_decisions") == r.get("n_decisions") else ""
            for r in d.to_dict("records")
        ]
        labels = [
            f"{'PRIMARY: ' if r['axis'] == 'primary' else ''}{r['label']} — {r['model']}"
            + (f" ({u})" if u else "")
            + ("" if str(r.get("call", "")) in CALL_COLOURS else f" [{r.get('call', '')}]")
            for r, u in zip(d.to_dict("records"), units)
        ]
        ax.set_yticks(y, [textwrap.shorten(lab, 95) for lab in labels], fontsize=7.5)
        ax.axvline(0, color="grey", lw=0.8, ls="--")
        ax.set_title(f"{cid}: {verdict.get(cid, '')}", fontsize=9.5, loc="left", fontweight="bold")
        ax.set_xlabel("change in the probability, percentage points (90% interval)", fontsize=8)
    handles = [Line2D([], [], marker="o", ls="", color=c, label=k) for k, c in CALL_COLOURS.items()]
    handles.append(Line2D([], [], marker="o", ls="", color=GREY, markerfacecolor="white", label="cannot be read"))
    fig.legend(handles=handles, loc="upper right", fontsize=7.5, ncol=4, frameon=False)
    fig.suptitle(title, fontsize=10, x=0.01, ha="left")
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return fig


def oos_calibration(bins: dict[str, pd.DataFrame], scores: pd.DataFrame, title: str) -> plt.Figure:
    """Out-of-sample calibration, one panel per holdout model: observed rate
    (Jeffreys interval) against mean predicted probability per bin, each bin
    labelled with its rows and events; the test period's own rate and the
    training rate as lines; the scores with their intervals."""
    if not bins:
        return _empty(title, "no holdout models declared (`holdout` in config/models.yaml)")
    n = len(bins)
    fig, axes = plt.subplots(1, n, figsize=(5.0 * n, 4.8), squeeze=False)
    for ax, (name, cal) in zip(axes.ravel(), bins.items()):
        s = scores[scores["model"] == name].iloc[0]
        hi = float(max(cal["p_mean"].max(), cal["rate_hi"].max(), s.get("train_base_rate", 0) or 0, 1e-3)) * 1.1
        ax.plot([0, hi], [0, hi], color="grey", lw=0.8, ls="--", label="perfect calibration")
        ax.axhline(s["test_base_rate"], color=ORANGE, lw=1, ls=":", label="test period's own rate")
        if s.get("train_base_rate") == s.get("train_base_rate"):
            ax.axhline(s["train_base_rate"], color="grey", lw=1, ls="-.", label="training rate")
        ax.errorbar(
            cal["p_mean"],
            cal["observed_rate"],
            yerr=[cal["observed_rate"] - cal["rate_lo"], cal["rate_hi"] - cal["observed_rate"]],
            fmt="o",
            color=BLUE,
            ms=4,
            lw=1,
            label="model (90% Jeffreys)",
        )
        for r in cal.itertuples():
            ax.annotate(
                f"{int(r.events)}/{int(r.n)}",
                (r.p_mean, r.observed_rate),
                fontsize=6,
                xytext=(3, 3),
                textcoords="offset points",
            )
        ax.set_xlim(0, hi)
        ax.set_ylim(0, hi)
        ax.set_xlabel("predicted probability (bin mean)")
        ax.set_ylabel("observed rate (events/rows per bin)")

        def iv(k):
            return f"{s[k]:.2f} [{s.get(k + '_lo', float('nan')):.2f}, {s.get(k + '_hi', float('nan')):.2f}]"

        txt = "\n".join(
            [
                f"n={int(s['n'])}, events={int(s['events'])} from {int(s['event_clusters'])} decisions",
                f"expected {s['expected']:.1f} (E/O {iv('expected_observed')})",
                f"AUC {iv('auc')}",
                f"log-score skill vs test rate {iv('log_skill_test_rate')}",
            ]
        )
        ax.text(
            0.03,
            0.97,
            txt,
            transform=ax.transAxes,
            va="top",
            fontsize=7,
            bbox=dict(boxstyle="round", fc="white", ec="#ccc"),
        )
        ax.set_title(
            name + ("  [FIT FAILED: not a finding]" if s["fit_status"] != "ok" else ""),
            fontsize=9,
            color=RED if s["fit_status"] != "ok" else "black",
        )
        ax.legend(fontsize=6, loc="lower right", frameon=False)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def latent_capability(series: pd.DataFrame, ratios: pd.DataFrame, title: str) -> plt.Figure:
    """Left: each state's latent log capability over time with its 90% band.
    Right: the dyad's latent log ratio (90% interval) beside the measured log
    ratios in the years compared."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(12, 4.6), gridspec_kw={"width_ratios": [2.2, 1]})
    for (state, g), color in zip(series.groupby("state", sort=False), plt.cm.tab10.colors):
        g = g.sort_values("year").set_index("year")
        g = g.reindex(range(int(g.index.min()), int(g.index.max()) + 1)).reset_index()  # gaps stay gaps
        ax.plot(g["year"], g["mean"], color=color, lw=1.2, label=state)
        ax.fill_between(g["year"], g["lo"], g["hi"], color=color, alpha=0.18, lw=0)
    ax.set_xlabel("year")
    ax.set_ylabel("latent log capability (log-CINC scale)")
    ax.legend(fontsize=7, ncol=3, frameon=False)
    ax.set_title("latent capability, posterior mean and 90% band", fontsize=9)
    x = np.arange(len(ratios))
    marks = [
        ("log_cinc_ratio", "CINC", "o"),
        ("log_gdp_ratio", "PPP GDP", "s"),
        ("log_milex_ratio", "milex", "^"),
        ("log_seed_nominal_gdp_ratio", "seed nominal GDP", "D"),
    ]
    for k, (col, lab, m) in enumerate(marks):
        if col in ratios:
            bx.scatter(x + 0.08 * (k - 1.5), ratios[col], marker=m, s=22, label=lab, zorder=3)
    bx.errorbar(
        x,
        ratios["log_latent_ratio"],
        yerr=[ratios["log_latent_ratio"] - ratios["latent_lo"], ratios["latent_hi"] - ratios["log_latent_ratio"]],
        fmt="_",
        color="black",
        ms=14,
        lw=1.5,
        label="latent (90%)",
        zorder=4,
    )
    bx.axhline(0, color="grey", lw=0.6)
    bx.set_xticks(x, [str(int(y)) for y in ratios["year"]])
    bx.set_ylabel("log ratio (focal / partner)")
    bx.legend(fontsize=6.5, frameon=False)
    bx.set_title("the dyad's log capability ratio", fontsize=9)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def save(fig: plt.Figure, stem, dpi: int = 100) -> list[str]:
    """Write ``stem``.png and ``stem``.svg; return both paths."""
    paths = []
    # one tight bounding box for both formats (saving with "tight" draws twice per file)
    engine = fig.get_layout_engine()
    if engine is not None:  # constrained layout runs at draw time: run it once, freeze it, then measure
        fig.canvas.draw()
        fig.set_layout_engine("none")
    bbox = fig.get_tightbbox(fig.canvas.get_renderer()).padded(0.1)
    for ext in ("png", "svg"):
        target = f"{stem}.{ext}"
        with atomic_path(target) as tmp:
            fig.savefig(
                tmp,
                format=ext,
                dpi=dpi,
                bbox_inches=bbox,
                metadata={"Date": None} if ext == "svg" else {"Software": None},
            )
        paths.append(target)
    plt.close(fig)
    return paths
