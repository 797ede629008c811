"""Figures. Each function takes frames (from :mod:`.summaries`) or
InferenceData and returns a Figure; nothing here computes a statistic the
summaries do not already hold. A fit that failed the convergence gate is
stamped across every figure that shows it.

This module holds the shared style and helpers, :func:`save` and each
model's own figures; the case table's figures are in :mod:`.plots_cases`,
the report-level ones (findings, out of sample, latent capability) in
:mod:`.plots_report`."""

from __future__ import annotations

import re
import textwrap

import matplotlib

matplotlib.use("Agg")

import arviz as az  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator  # noqa: E402

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


_SINCE = re.compile(r"(?:^|_)since_")


def _power_base(term: str) -> str:
    return term[:-3] if term.endswith(("_sq", "_cu")) else term


def clock_terms(terms) -> list[str]:
    """The spell-clock terms among ``terms``: a years-since variable
    (``atop_since_onset``, ``since_defense``) entered with its ``_sq`` or
    ``_cu`` power (Carter & Signorino's cubic). A year more moves every
    power at once, so no one of them has a scale of its own."""
    terms = list(dict.fromkeys(map(str, terms)))
    have = set(terms)
    poly = {b for b in map(_power_base, terms) if _SINCE.search(b) and {f"{b}_sq", f"{b}_cu"} & have}
    return [t for t in terms if _power_base(t) in poly]


def _without_clock(df: pd.DataFrame, column: str, title: str) -> tuple[pd.DataFrame, str]:
    """``df`` without the rows whose ``column`` (a term, or a comma-separated
    list of variables) is made of spell-clock terms only, and ``title`` with a
    line naming what was left out."""
    parts = df[column].astype(str).str.split(",").map(lambda vs: [v.strip() for v in vs])
    clock = set(clock_terms(v for vs in parts for v in vs))
    out = parts.map(lambda vs: bool(clock) and set(vs) <= clock).to_numpy(bool)
    if not out.any():
        return df, title
    left = ", ".join(dict.fromkeys(v for vs in parts[out] for v in vs))
    note = f"spell-clock terms not shown: {left} (a polynomial in the years since the last event; no per-term scale)"
    return df[~out], title + "\n" + textwrap.fill(note, 95)


def forest(coefs: pd.DataFrame, title: str, failed: bool = False) -> plt.Figure:
    """Standardized coefficients: posterior mean and equal-tailed interval,
    coloured by whether the interval excludes 0 (the verdicts' rule). The
    spell-clock terms are left out (:func:`clock_terms`), the title says so."""
    coefs, title = _without_clock(coefs, "term", title)
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


def _calibration_points(ax, cal: pd.DataFrame, label: str | None = None) -> None:
    """Each bin's observed rate against its mean prediction, with the rate's
    interval (``rate_lo``, ``rate_hi``)."""
    ax.errorbar(
        cal["p_mean"],
        cal["observed_rate"],
        yerr=[cal["observed_rate"] - cal["rate_lo"], cal["rate_hi"] - cal["observed_rate"]],
        fmt="o",
        color=BLUE,
        ms=4,
        lw=1,
        label=label,
    )


def _calibration_axes(ax, cal: pd.DataFrame, extra_y=()) -> None:
    """Axes of a calibration panel. x: from the bins' mean predictions, every
    bin inside; a log scale (1-2-5 ticks) when they span more than a factor of
    20, as rare-event predictions do (most bins near 0.001, one at 0.1), else
    linear from 0 with at most five ticks. y: linear from 0 to the highest
    interval end or reference rate, with headroom for the text box. The
    perfect-calibration line y = x is drawn over the x range."""
    p = cal["p_mean"].to_numpy(float)
    p = p[np.isfinite(p)]
    lo, hi = (float(p.min()), float(p.max())) if p.size else (0.0, 1e-3)
    if lo > 0 and hi / lo > 20:
        ax.set_xscale("log")
        x0, x1 = lo / 1.6, max(min(hi * 1.6, 1.0), hi)
        ax.set_xlim(x0, x1)
        _log_ticks(ax, max_ticks=5)
        diag = np.geomspace(x0, x1, 200)
    else:
        x1 = max(min(hi * 1.15, 1.0), hi, 1e-3)
        ax.set_xlim(0, x1)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
        diag = np.array([0, x1])
    ax.plot(diag, diag, color="grey", lw=0.8, ls="--", label="perfect calibration")
    ys = np.r_[cal["rate_hi"].to_numpy(float), cal["observed_rate"].to_numpy(float), np.asarray(extra_y, float)]
    ys = ys[np.isfinite(ys)]
    ax.set_ylim(0, max(float(ys.max()) if ys.size else 0.0, 1e-3) * 1.3)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5))


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
    """Odds ratio per SD of each predictor, median and interval, log axis;
    the spell-clock terms left out, as in :func:`forest`."""
    coefs, title = _without_clock(coefs, "term", title)
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
    """Average marginal effects on the probability scale, with intervals; a
    factor made of spell-clock terms only is left out, as in :func:`forest`."""
    if ame.empty:
        return _empty(title, "no factors declared (`drop` in config/models.yaml)", failed)
    ame, title = _without_clock(ame, "variables", title) if "variables" in ame else (ame, title)
    if ame.empty:
        return _empty(title, "no factor other than the spell clock", failed)
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


def _decade_panel(ax, d: pd.DataFrame, what: str) -> None:
    """Observed per decade against the replicated interval; a decade whose
    observed count falls outside it marked in red."""
    d = d.sort_values("decade").reset_index(drop=True)
    x = np.arange(len(d))
    out = d["outside"].to_numpy(bool)
    iv = int(round(100 * float(d["interval"].iloc[0])))
    ax.vlines(x, d["rep_lo"], d["rep_hi"], color="#9bbbe0", lw=7, label=f"replicated, {iv}% interval")
    ax.scatter(x, d["rep_mean"], marker="_", s=90, color=BLUE, zorder=3, label="replicated mean")
    obs = d["observed"].to_numpy(float)
    ax.scatter(x[~out], obs[~out], s=20, color="black", zorder=4, label="observed")
    ax.scatter(x[out], obs[out], s=34, marker="D", color=RED, zorder=5, label="observed, outside the interval")
    ax.set_xticks(x, [f"{v}s" for v in d["decade"]], rotation=45 if len(x) > 10 else 0, fontsize=7.5)
    for t, o in zip(ax.get_xticklabels(), out):
        if o:
            t.set_color(RED)
    ax.set_ylim(bottom=0)
    ax.set_ylabel("count")
    ax.set_title(f"{what} per decade: {int(out.sum())} of {len(d)} outside the {iv}% interval", fontsize=8)


def ppc(frames: dict, title: str, failed: bool = False) -> plt.Figure:
    """Replicated outcome counts against the observed; calibration
    (bernoulli); where the rows carry a year, the events and the years with
    an event per decade against their predictive intervals (a check a model
    that matches the total can still fail)."""
    stats, draws = frames["stats"], frames["draws"]
    cal = frames.get("calibration")
    dec = frames.get("decades")
    dec = dec if dec is not None and len(dec) else None
    k = len(stats)
    ncol = k + (1 if cal is not None else 0)
    if dec is None:
        fig, axes = plt.subplots(1, ncol, figsize=(min(3.0 * ncol, 12), 2.9), squeeze=False)
        axes = axes.ravel()
    else:
        whats = list(dict.fromkeys(dec["statistic"]))
        fig = plt.figure(figsize=(max(min(3.0 * ncol, 12), 9.0), 6.2))
        gs = fig.add_gridspec(2, ncol * len(whats))
        axes = [fig.add_subplot(gs[0, i * len(whats) : (i + 1) * len(whats)]) for i in range(ncol)]
        for j, what in enumerate(whats):
            bx = fig.add_subplot(gs[1, j * ncol : (j + 1) * ncol])
            _decade_panel(bx, dec[dec["statistic"] == what], what)
        handles, labels = bx.get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=7, frameon=False)
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
        _calibration_axes(ax, cal)
        _calibration_points(ax, cal)
        ax.set_xlabel("fitted P(y=1), bin mean" + (" (log scale)" if ax.get_xscale() == "log" else ""))
        ax.set_ylabel("observed rate")
        ax.set_title("in-sample calibration\n(equal-count bins, 90% Jeffreys)", fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0 if dec is None else 0.04, 1, 1))
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


FREQ_METHODS = {
    "logit": "pooled logit by maximum likelihood (statsmodels)",
    "firth": "pooled logit by Firth's penalized likelihood (the data are separated)",
    "multinomial-logit": "pooled multinomial logit by maximum likelihood (statsmodels)",
    "firth-individualized": "Firth-penalized logits, each category against the reference (the data are separated)",
    "conditional-logit": "conditional logit by maximum likelihood",
}


def freq_bayes_note(fb: pd.DataFrame) -> str:
    """What the two fits of :func:`freq_vs_bayes` are and when they should
    differ, from the frame's method columns and its ``attrs`` (``groups``:
    the Bayesian model's varying effects in words; ``prior``: its prior on a
    coefficient; ``measured``: columns it takes as measured with error;
    ``cluster``: the column the frequentist SEs are clustered by)."""
    a = fb.attrs
    meth = [str(m) for m in dict.fromkeys(fb.get("freq_method", pd.Series(dtype=object)).dropna())]
    words = [FREQ_METHODS.get(m.split(" (")[0], m) + (" (" + m.split(" (", 1)[1] if " (" in m else "") for m in meth]
    se = [str(v) for v in dict.fromkeys(fb.get("freq_se_type", pd.Series(dtype=object)).dropna()) if str(v)]
    se_words = [
        f"cluster-robust SEs by {a['cluster']}" if v == "cluster-robust" and a.get("cluster") else f"{v} SEs"
        for v in se
    ] or ["penalized-likelihood intervals"]
    groups, measured = list(a.get("groups") or []), list(a.get("measured") or [])
    freq = f"Frequentist: {' / '.join(words) or 'no fit'}, {', '.join(se_words)}; no group effects, no priors."
    bayes = "Bayesian: the same terms" + (f", {a['prior']} priors per SD" if a.get("prior") else ", with priors")
    bayes += "".join(f", varying {g}" for g in groups)
    bayes += f"; {', '.join(measured)} measured with error" if measured else ""
    if groups:
        why = (
            "They should differ where the group effects matter: the Bayesian coefficients are within a group "
            "(given its own intercept), the pooled ones averaged over the groups, so smaller in size when the "
            "groups differ much"
        )
    else:
        why = "Without group effects they differ only by the priors"
    why += "; also where the measured values are uncertain (the pooled fit takes them as exact)" if measured else ""
    why += "; and where events are few or the data separate, the priors pull the Bayesian estimates toward 0."
    return " ".join([freq, bayes + ".", why])


def freq_vs_bayes(fb: pd.DataFrame, title: str, failed: bool = False) -> plt.Figure:
    """Frequentist and Bayesian estimates of the same coefficients, per SD of
    the predictor so the terms share one axis; under the title, what the two
    fits are and when they should differ (:func:`freq_bayes_note`)."""
    d, title = _without_clock(fb[fb["term"] != "Intercept"], "term", title)
    d = d.copy()
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
    fig.suptitle(title, fontsize=10)
    ax.set_title(textwrap.fill(freq_bayes_note(fb), 120), fontsize=7, loc="left", color="#333")
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
