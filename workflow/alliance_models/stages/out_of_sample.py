"""Rule out_of_sample: honest out-of-sample scores of every holdout model
and each forecast's verdict (the logic: :mod:`alliance_models.oos`)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from .. import io, oos, plots, plots_report
from .. import summaries as sm


def run(
    holdouts: list[dict],
    state_year: str,
    fig_stem: str,
    outputs: dict,
    n_boot: int = 1000,
    seed: int = 0,
    nulls: dict | None = None,
) -> None:
    """``holdouts``: dicts with name, csv (results/<name>/holdout.csv),
    diagnostics, description and ppc (results/<name>/holdout_ppc.json, or
    None). ``nulls``: forecast model -> its null (oos.against_null)."""
    names = sm.state_names(pd.read_parquet(state_year, columns=["ccode", "year", "stateabb"]))
    models = [
        {
            "name": h["name"],
            "frame": pd.read_csv(h["csv"]),
            "description": h.get("description", ""),
            "status": json.loads(Path(h["diagnostics"]).read_text())["status"],
            "ppc": json.loads(Path(h["ppc"]).read_text()) if h.get("ppc") else None,
        }
        for h in holdouts
    ]
    out = oos.score_models(models, names, n_boot, seed, nulls)
    for key in ("scores", "worst", "calibration", "partners"):
        io.write_csv(out[key], outputs[key])
    bins = (
        {m: g.drop(columns="model") for m, g in out["calibration"].groupby("model", sort=False)}
        if len(out["calibration"])
        else {}
    )
    plots.save(
        plots_report.oos_calibration(
            bins, out["scores"], "Out of sample: observed against predicted, with the count per bin"
        ),
        fig_stem,
    )
