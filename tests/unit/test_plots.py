"""Figures built from small frames: what they draw and what they leave out."""

import numpy as np
import pandas as pd
from alliance_models import plots, plots_report


def _slopes():
    rows = []
    for term in ("(intercept)", "log_latent_ratio", "common_enemy"):
        for lev in range(8):
            rows.append({"group": "ccode1", "term": term, "level": str(lev), "mean": 0.1, "lo": -0.2, "hi": 0.4})
    for lev in range(384):
        rows.append({"group": "focal_year", "term": "(intercept)", "level": str(lev), "mean": 0.0, "lo": -1, "hi": 1})
    return pd.DataFrame(rows)


def test_group_slopes_leave_hundreds_of_intercepts_out():
    fig = plots.group_slopes(_slopes(), "3", "majors")
    w, h = fig.get_size_inches() * fig.dpi
    # one panel per (group, term) of at most 40 levels: the powers' three, not 384 year intercepts
    assert len(fig.axes) == 3 and h < 800
    assert "focal_year (intercept) (384 levels)" in fig._suptitle.get_text()
    assert [len(ax.get_yticks()) for ax in fig.axes] == [8, 8, 8]


def test_findings_strip_draws_each_claim_with_its_cells():
    strip = pd.DataFrame(
        {
            "claim_id": ["threat"] * 4 + ["disparity"] * 2,
            "role": "primary evidence",
            "axis": ["primary", "terms", "specification", "alliance type", "primary", "specification"],
            "label": ["latent", "one term", "no clock", "any obligation", "latent", "bilateral"],
            "model": "m",
            "pp": [10.0, 3.0, 8.0, np.nan, 1.0, -0.5],
            "pp_lo": [-1.0, -2.0, 1.0, np.nan, -0.5, -2.0],
            "pp_hi": [22.0, 9.0, 15.0, np.nan, 2.5, 1.0],
            "call": ["unclear", "unclear", "positive", "too few decisions", "unclear", "unclear"],
            "n_decisions": [13, 13, 13, 6, 16, 9],
            "unit": ["signing years"] * 4 + ["treaties"] * 2,
        }
    )
    verdicts = pd.DataFrame({"claim_id": ["threat", "disparity"], "verdict": ["not supported", "not supported"]})
    fig = plots_report.findings_strip(strip, verdicts, "findings")
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["threat: not supported", "disparity: not supported"]
    # the terms axis is not drawn; a cell without an effect keeps its row, named with why it cannot be read
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(labels) == 3 and any("[too few decisions]" in lab for lab in labels)
    assert any(lab.startswith("PRIMARY: latent") and "(13 signing years)" in lab for lab in labels)
    assert plots_report.findings_strip(pd.DataFrame(), verdicts, "x").axes[0].texts  # an empty figure says why
    # effects only on the seeds' own coding (a run without the treaty models): an empty figure, not an error
    only_secondary = strip.assign(role="the seeds' own coding, checked")
    assert plots_report.findings_strip(only_secondary, verdicts, "x").axes[0].texts
    # a cell on two axes is drawn once
    twice = pd.concat([strip, strip.iloc[[2]].assign(axis="sample")], ignore_index=True)
    assert len(plots_report.findings_strip(twice, verdicts, "x").axes[0].get_yticks()) == 3
