"""A model's figures and tables: every frame and figure the registry
declares for the model's scope, each frame built on first use by the name of
the :mod:`.summaries` function an entry gives."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd

from . import case_frames as cf
from . import io, plots, plots_cases, registry
from . import slopes as sl
from . import summaries as sm
from .models.choice import stratum_loglik
from .models.matrix import build_model_data, missing_table
from .models.spec import ModelSpec
from .variance import variance_decomposition

log = logging.getLogger(__name__)


class _Lazy(dict):
    """Named values computed on first use (frames and title fields)."""

    def __init__(self, builders: dict):
        super().__init__()
        self.builders = builders

    def __missing__(self, key):
        if key not in self.builders:
            raise KeyError(f"no frame or title field '{key}' (registry entry names one model_figures cannot build)")
        value = self[key] = self.builders[key]()
        return value


def plot_function(name: str):
    """The function a registry entry of the model scopes names: a model's own
    figures are in :mod:`.plots`, the case table's in :mod:`.plots_cases`."""
    for module in (plots, plots_cases):
        if hasattr(module, name):
            return getattr(module, name)
    raise AttributeError(f"no plotting function '{name}' in plots or plots_cases")


def _prior_words(prior: dict) -> str:
    args = [f"{prior[k]:g}" for k in ("nu", "mu", "sigma", "lam") if k in prior]
    return f"{prior.get('dist', '?')}({', '.join(args)})"


def bayes_words(spec, md) -> dict:
    """What the Bayesian model adds to the pooled frequentist fit, in words
    (the attrs :func:`.plots.freq_bayes_note` reads): its varying effects,
    its prior on a standardized coefficient, the columns it takes as
    measured with error, and the frequentist SEs' cluster column."""
    by = [g["by"] for g in md.groups if g.get("intercept", True)]
    groups = [f"intercepts by {' and '.join(by)}"] if by else []
    groups += [f"slopes of {', '.join(g['slopes'])} by {g['by']}" for g in md.groups if g.get("slopes")]
    prior = spec.priors.get("coefficients")
    return {
        "groups": groups,
        "prior": _prior_words(prior) if prior else "",
        "measured": [m["column"] for m in md.measurement],
        "cluster": spec.cluster or "",
    }


def loo_unit(spec) -> str:
    """What PSIS-LOO leaves out at a time, in words."""
    if spec.family == "conditional":
        return "one treaty's choice set left out at a time"
    if spec.data.startswith("focal_year"):
        return "one year left out at a time"
    if spec.data.startswith("cases"):
        return "one case row left out at a time"
    return "one row left out at a time, not grouped by decision"


def write_model_figures(
    model: str,
    fit,
    frequentist: str,
    reduced: list[dict],
    settings: dict,
    fig_dir: str,
    table_dir: str,
    case: dict | None = None,
) -> None:
    """Every per-model frame (reports/tables/models/) and figure (PNG and SVG)
    that the registry declares for the model's scope (``model``; plus
    ``case model`` when ``case`` is given).

    ``fit``: the model (summaries.Fit); ``frequentist``: its frequentist.csv.
    ``reduced``: one
    dict per dropped factor (label, name, nc, diagnostics, spec) for the LOO
    comparison. ``case``: for models of the case table, the surface axes
    (x, y) and the state_year path (state abbreviations for labels).
    Frames are built on first use, by the name of the summaries function a
    registry entry gives.
    """
    iv, draws = settings["interval"], settings["draws"]
    spec, failed = fit.spec, fit.failed

    def reduced_fits():
        out = []
        for r in reduced:
            rdiag = json.loads(Path(r["diagnostics"]).read_text())
            rspec = ModelSpec.from_json(r["spec"]) if r.get("spec") else None
            rmd = build_model_data(rspec, fit.frame) if rspec else None
            rows = rmd.rows if rmd is not None else None
            ridata = sm.open_idata(r["nc"])
            if spec.family == "conditional" and rmd is not None:
                ridata = stratum_loglik(ridata, rmd.strata)
            out.append(
                {
                    "label": r["label"],
                    "name": r["name"],
                    "idata": ridata,
                    "status": rdiag["status"],
                    "rows": rows,
                }
            )
        return out

    def freqbayes():
        fb = sm.frequentist_vs_bayes(fit, pd.read_csv(frequentist, keep_default_na=False, na_values=[""]))
        fb["predictor_sd"] = [float(fit.md.sds.get(t, 1.0)) for t in fb["term"]]
        fb.attrs.update(bayes_words(spec, fit.md))  # for the figure's note on what the two fits are
        return fb

    def names():
        return sm.state_names(pd.read_parquet(case["state_year"], columns=["ccode", "year", "stateabb"]))

    def grid():
        g = cf.surface_grid(fit, case["x"], case["y"], n=settings["grid_size"], max_draws=draws, interval=iv)
        g.attrs["interval"] = iv
        return g

    def predictions():
        pred = cf.case_predictions(
            fit, v["names"], settings.get("annotate"), max_draws=settings["loo_draws"], interval=iv
        )
        pred.attrs["interval"] = iv
        return pred

    v = _Lazy(
        {
            # frames, by the summaries function that builds them
            "coefficient_table": lambda: sm.coefficient_table(fit, iv),
            "missing_table": lambda: missing_table(spec, fit.frame),
            "variance_decomposition": lambda: variance_decomposition(fit, max_draws=draws, interval=iv),
            "average_marginal_effects": lambda: sm.average_marginal_effects(fit, max_draws=draws, interval=iv),
            # a conditional logit leaves out a choice set (a treaty), not a row
            "loo_comparison": lambda: sm.loo_comparison(
                model,
                stratum_loglik(fit.idata, fit.md.strata) if spec.family == "conditional" else fit.idata,
                fit.status,
                reduced_fits(),
                max_draws=settings["loo_draws"],
                full_rows=None if spec.family == "conditional" else fit.md.rows,
                unit=loo_unit(spec),
            ),
            "ppc_frames": lambda: sm.ppc_frames(fit, max_draws=settings["loo_draws"], interval=iv),
            "frequentist_vs_bayes": freqbayes,
            "group_slopes": lambda: sl.group_slopes(fit.idata, spec, iv, fit.status),
            "idata": lambda: fit.idata,
            "names": names,
            "surface_grid": grid,
            "case_points": lambda: cf.case_points(fit, case["x"], case["y"], v["names"], settings.get("annotate")),
            "case_predictions": predictions,
            # title fields and keyword arguments
            "model": lambda: model,
            "ref": lambda: f" (each category vs '{fit.md.categories[0]}')" if spec.family == "categorical" else "",
            "ame_draws": lambda: (
                v["average_marginal_effects"]["draws"].max() if len(v["average_marginal_effects"]) else 0
            ),
            "loo_draws": lambda: int(v["loo_comparison"]["draws"].iloc[0]),
            "grid_draws": lambda: int(v["surface_grid"]["draws"].iloc[0]),
            "what": lambda: "P(each category)" if spec.family == "categorical" else f"P({spec.outcome} = 1)",
            "x": lambda: case["x"],
            "y": lambda: case["y"],
            "outcome_names": lambda: {0: f"{spec.outcome} = 0 (observed)"},
        }
    )
    scopes = (registry.MODEL, registry.CASE) if case else (registry.MODEL,)
    for t in registry.tables(*scopes):
        frame = v[t.frame].get(t.part) if t.part else v[t.frame]
        if frame is None:  # a part this family has not (no calibration bins for a categorical model)
            frame = sm.calibration_bins([], []) if t.part == "calibration" else pd.DataFrame()
        io.write_csv(frame, t.path(table_dir, model=model))
    for f in registry.figures(*scopes):
        fig = plot_function(f.plot)(
            *[v[n] for n in f.frames], f.title.format_map(v), failed, **{k: v[name] for k, name in f.kwargs}
        )
        plots.save(fig, Path(f.pattern(fig_dir).format(model=model)))
    log.info("model %s: figures and tables written (status %s)", model, fit.status)
