"""Report-level figures, drawn once per run rather than per model: the
findings strip (every claim with its robustness cells), out-of-sample
calibration and the latent capability series. Style and helpers come from
:mod:`.plots`."""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from .plots import BLUE, GREY, ORANGE, RED, _calibration_axes, _calibration_points, _empty

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
    training rate as lines; the scores with their intervals. The x axis
    holds every bin, on a log scale where the predictions span orders of
    magnitude (:func:`.plots._calibration_axes`); three panels to a row."""
    if not bins:
        return _empty(title, "no holdout models declared (`holdout` in config/models.yaml)")
    n = len(bins)
    ncol = min(n, 3)
    nrow = int(np.ceil(n / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(5.0 * ncol, 4.6 * nrow), squeeze=False)
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    for ax, (name, cal) in zip(axes.ravel(), bins.items()):
        s = scores[scores["model"] == name].iloc[0]
        rates = [s.get("test_base_rate"), s.get("train_base_rate")]
        _calibration_axes(ax, cal, extra_y=[r for r in rates if r is not None])
        ax.axhline(s["test_base_rate"], color=ORANGE, lw=1, ls=":", label="test period's own rate")
        if s.get("train_base_rate") == s.get("train_base_rate"):
            ax.axhline(s["train_base_rate"], color="grey", lw=1, ls="-.", label="training rate")
        _calibration_points(ax, cal, label="model (90% Jeffreys)")
        for r in cal.itertuples():
            ax.annotate(
                f"{int(r.events)}/{int(r.n)}",
                (r.p_mean, r.observed_rate),
                fontsize=6,
                xytext=(3, 3),
                textcoords="offset points",
            )
        ax.set_xlabel("predicted probability (bin mean" + ("; log scale)" if ax.get_xscale() == "log" else ")"))
        ax.set_ylabel("observed rate (events/rows per bin)")

        def iv(k, s=s):
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
    # one legend for the figure, below the panels, where it covers no bin
    legend = {}
    for ax in axes.ravel()[:n]:
        legend.update(zip(*reversed(ax.get_legend_handles_labels())))
    fig.legend(legend.values(), legend.keys(), loc="lower center", ncol=len(legend), fontsize=7.5, frameon=False)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0.05 / nrow, 1, 1))
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
