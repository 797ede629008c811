"""Report-level figures (findings, out of sample, latent capability): what
they draw, checked on small frames."""

import itertools

import numpy as np
import pandas as pd
from alliance_models import plots_report


def _bins(p: list[float], n: int = 400) -> pd.DataFrame:
    p = np.asarray(p, float)
    events = np.round(p * n * 2).astype(int)
    rate = events / n
    return pd.DataFrame(
        {
            "bin": np.arange(1, len(p) + 1),
            "n": n,
            "events": events,
            "p_mean": p,
            "observed_rate": rate,
            "rate_lo": rate / 2,
            "rate_hi": rate + 0.01,
        }
    )


def _scores(models: list[str]) -> pd.DataFrame:
    row = {"test_base_rate": 0.01, "train_base_rate": 0.02, "n": 4000, "events": 40, "event_clusters": 9}
    row |= {"expected": 30.0, "fit_status": "ok"}
    for k, v in {"expected_observed": 0.75, "auc": 0.7, "log_skill_test_rate": -0.1}.items():
        row |= {k: v, f"{k}_lo": v - 0.1, f"{k}_hi": v + 0.1}
    return pd.DataFrame([{"model": m, **row} for m in models])


def _overlap(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1


def test_oos_calibration_x_axis_holds_every_bin_with_readable_ticks():
    # rare events: nine bins near 0.001 and one far beyond them (0.3); a second model in a narrow range
    bins = {
        "rare": _bins([0.0004, 0.0008, 0.001, 0.0012, 0.0015, 0.002, 0.003, 0.004, 0.006, 0.3]),
        "common": _bins([0.20, 0.25, 0.30, 0.35, 0.40]),
        "third": _bins([0.01, 0.02]),
        "fourth": _bins([0.05, 0.06]),
    }
    fig = plots_report.oos_calibration(bins, _scores(list(bins)), "oos")
    drawn = [ax for ax in fig.axes if ax.axison]
    assert len(drawn) == 4 and len(fig.axes) == 6  # three panels to a row; the two spare ones blank
    fig.canvas.draw()
    for ax, (name, cal) in zip(drawn, bins.items()):
        lo, hi = ax.get_xlim()
        assert all(lo <= p <= hi for p in cal["p_mean"]), (name, ax.get_xlim())
        assert ax.get_ylim()[1] >= cal["rate_hi"].max()
        labels = [
            t for t in ax.get_xticklabels() if t.get_visible() and t.get_text() and lo <= t.get_position()[0] <= hi
        ]
        assert 3 <= len(labels) <= 6, name
        boxes = [t.get_window_extent() for t in labels]
        assert not any(_overlap(a, b) for a, b in itertools.combinations(boxes, 2)), name
    # a span of three orders of magnitude is drawn on a log axis; a narrow one on a linear axis from 0
    assert drawn[0].get_xscale() == "log" and "log scale" in drawn[0].get_xlabel()
    assert drawn[1].get_xscale() == "linear" and drawn[1].get_xlim()[0] == 0
    # one legend for the figure, not one per panel over the bins
    assert len(fig.legends) == 1 and not any(ax.get_legend() for ax in fig.axes)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["perfect calibration", "test period's own rate", "training rate", "model (90% Jeffreys)"]
