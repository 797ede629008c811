"""Rule claims: the verdict on each of the seeds' claims, its robustness
strip, the findings in words and the numbers behind them (the logic:
:mod:`alliance_models.claims`, :mod:`alliance_models.claim_findings`)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import arviz as az
import pandas as pd

from .. import balancing as bal
from .. import claim_findings as cf
from .. import claims as cl
from .. import effects as ef
from .. import io, plots, plots_report
from .. import slopes as sl
from .. import summaries as sm
from ..data import states
from ..models.spec import ModelSpec, load_model_frame

log = logging.getLogger(__name__)


def run(plan: dict, settings: dict, dirs: dict, data: dict, extra: dict, outputs: dict) -> None:
    """``plan``: claim_plan.plan_claims output. ``dirs``: results, tables,
    figures. ``data``: model -> data path (the fits whose posteriors are
    read). ``extra``: table4 (recomputed Moura Table 4), threat_panel,
    state_year, cow_states, cases."""
    fits, names = _Fits(Path(dirs["results"])), _state_names(extra)
    rows, strip, numbers = _directional(plan, fits, settings, data, dirs["tables"])
    row, scores, bal_rows = _balancing(plan.get("balancing", {}), fits, data, extra, settings, names, numbers)
    rows += [row] if row else []
    row, con_rows = _different(plan.get("ussr_different", {}), fits, settings, names, dirs["figures"], numbers)
    rows += [row] if row else []
    io.write_csv(scores, outputs["threat_scores"])
    io.write_csv(pd.DataFrame(bal_rows), outputs["balancing"])
    io.write_csv(pd.concat(con_rows, ignore_index=True) if con_rows else pd.DataFrame(), outputs["contrasts"])
    io.write_csv(pd.DataFrame(rows), outputs["verdicts"])
    io.write_csv(pd.DataFrame(strip), outputs["robustness"])
    plots.save(
        plots_report.findings_strip(
            pd.DataFrame(strip),
            pd.DataFrame(rows),
            "How much each claim's factor moves the probability, with its robustness cells",
        ),
        Path(dirs["figures"]) / "findings",
    )
    io.write_json({**numbers, "rows": rows}, outputs["numbers"])


class _Fits:
    """The fits under ``results/``: their summaries, diagnostics and posteriors."""

    def __init__(self, results: Path):
        self.dir = results

    def diag(self, name):
        return json.loads((self.dir / name / "diagnostics.json").read_text())

    def read(self, name):
        """(summary, diagnostics) of a fit, or (None, None) if it did not run."""
        if not (self.dir / name / "diagnostics.json").is_file():
            return None, None
        return pd.read_csv(self.dir / name / "summary.csv"), self.diag(name)

    def nc(self, name) -> Path:
        return self.dir / name / "posterior.nc"


def _state_names(extra: dict) -> dict:
    if extra.get("cow_states"):
        return states.state_names(states.load_system(extra["cow_states"]))
    return sm.state_names(pd.read_parquet(extra["state_year"], columns=["ccode", "year", "stateabb"]))


def _directional(plan: dict, fits: _Fits, settings: dict, data: dict, tables: str) -> tuple[list, list, dict]:
    """Verdict rows, robustness cells and findings of the directional claims."""
    rows, strip, numbers = [], [], {"findings": {}}
    kfold = int((settings.get("kfold") or {}).get("folds", 0)) >= 2
    effect, elpd = _effect_reader(fits, data, settings), _elpd_reader(Path(tables), kfold)
    for cid in cl.DIRECTIONAL:
        if cid in plan:
            row, cells = cf.assess_directional(
                cid,
                plan[cid],
                fits.read,
                settings["verdict_prob"],
                settings["min_decisions"],
                settings["interval"],
                effect,
                elpd,
            )
            rows.append(row)
            strip += cells
            numbers["findings"][cid] = cf.finding(row, cells)
    return rows, strip, numbers


def _effect_reader(fits: _Fits, data: dict, settings: dict):
    """cell -> its contrast on the probability scale (effects.block_contrast),
    or None (no posterior, no data path, a family without one)."""
    loaded: dict = {}

    def fit_of(model):
        if model not in loaded:
            loaded[model] = None
            if model in data and fits.nc(model).is_file():
                spec = ModelSpec.from_json(az.from_netcdf(str(fits.nc(model))).attrs["model_spec"])
                loaded[model] = sm.load_fit(fits.nc(model), load_model_frame(spec, data[model]), fits.diag(model), spec)
        return loaded[model]

    def effect(cell):
        fit = fit_of(cell.model)
        if fit is None or fit.spec.family not in ("bernoulli", "conditional"):
            return None
        terms = [t.strip() for t in (cell.terms or cell.term).split(",")]
        try:
            return ef.block_contrast(fit, terms, settings["loo_draws"], settings["interval"])
        except ValueError as e:
            log.warning("no contrast for %s, %s: %s", cell.model, terms, e)
            return None

    return effect


def _elpd_reader(tables: Path, kfold: bool = False):
    """(model, block) -> (ΔELPD, SE, note) of the model's refit without the
    block: from its K-fold table when the run cross-validates (``kfold``;
    report.kfold.folds, ``{model}-kfold.csv``), else from its PSIS-LOO
    table; the note names the method. None if neither has the block."""
    methods = ([("K-fold", "kfold")] if kfold else []) + [("PSIS-LOO", "loo")]

    def elpd(model, block):
        for method, suffix in methods:
            r = _dropped_row(tables / f"{model}-{suffix}.csv", block)
            if r is None:
                continue
            notes = [method, r.get("loo_unit"), r.get("note")]
            if method == "K-fold":
                notes.append(_loo_note(tables / f"{model}-loo.csv", block))
            return (
                float(r["delta_elpd"]),
                float(r["delta_se"]),
                "; ".join(str(n) for n in notes if n is not None and not pd.isna(n) and n),
            )
        return None

    return elpd


def _dropped_row(path: Path, block: str):
    """The row of a ΔELPD table (PSIS-LOO or K-fold) for the refit without
    ``block``, or None (no table, no such row, or no difference)."""
    if not path.is_file():
        return None
    t = pd.read_csv(path, keep_default_na=False, na_values=[""])
    r = t[t["dropped"] == block]
    if r.empty or pd.isna(r["delta_elpd"].iloc[0]):
        return None
    return r.iloc[0]


def _loo_note(path: Path, block: str) -> str:
    """PSIS-LOO's ΔELPD for the same block, beside K-fold's, in words."""
    r = _dropped_row(path, block)
    if r is None:
        return ""
    bad = int(r.get("k_bad_full", 0) or 0) + int(r.get("k_bad_reduced", 0) or 0)
    return (
        f"PSIS-LOO gave {-float(r['delta_elpd']):+.1f} (SE {float(r['delta_se']):.1f}; {bad} units with Pareto k > 0.7)"
    )


def _balancing(b: dict, fits: _Fits, data: dict, extra: dict, settings: dict, names: dict, numbers: dict):
    """(verdict row or None, threat scores, balancing rows) of the balancing claim."""
    scores = pd.DataFrame(columns=["year", "score", "n_pillars", "conclusion"])
    if not b.get("baselines"):
        return None, scores, []
    t4 = pd.read_csv(extra["table4"], keep_default_na=False, na_values=[""])
    scores = bal.threat_scores(t4[(t4["focal"] == b["focal"]) & (t4["partner"] == b["threat_state"])])
    panel = pd.read_parquet(extra["threat_panel"], columns=["ccode1", "ccode2", "year", "mid_prior", "tss_rival"])
    renewals = (
        bal.alignment_renewals(pd.read_parquet(extra["cases"]), b["focal"], b["years"]) if extra.get("cases") else None
    )
    nums, statuses = [], []

    def load(name):
        spec = ModelSpec.from_json(az.from_netcdf(str(fits.nc(name))).attrs["model_spec"])
        return sm.load_fit(fits.nc(name), load_model_frame(spec, data[name]), fits.diag(name), spec)

    full = b.get("with_threat") or [None] * len(b["baselines"])
    for name, full_name in zip(b["baselines"], full):
        fit = load(name)
        with_threat = load(full_name) if full_name and fits.nc(full_name).is_file() else None
        n = bal.balancing_numbers(
            fit,
            panel,
            b["focal"],
            b["threat_state"],
            b["years"],
            settings["multilateral_min"],
            settings["loo_draws"],
            settings["interval"],
            settings.get("seed", 0),
            renewals,
            with_threat,
        )
        nums.append({**n, "outcome": fit.spec.outcome})
        statuses.append(fit.status)
    row, bal_rows, numbers["findings"]["balancing"] = cf.assess_balancing(
        b, scores, nums, statuses, names, settings["verdict_prob"], settings["min_decisions"]
    )
    return row, scores, bal_rows


def _different(d: dict, fits: _Fits, settings: dict, names: dict, figures: str, numbers: dict):
    """(verdict row or None, slope contrast rows) of "the focal state differs";
    draws the group-slopes figure."""
    if not (d.get("slopes_model") or d.get("specific_model")):
        return None, []
    iv, level, slopes_fit, statuses, con_rows = settings["interval"], d.get("level", 365), d.get("slopes_model"), [], []
    p_out = {"p_outside": float("nan"), "terms": ""}
    if slopes_fit and fits.nc(slopes_fit).is_file():
        idata = sm.open_idata(fits.nc(slopes_fit))
        spec = ModelSpec.from_json(idata.attrs["model_spec"])
        st = fits.diag(slopes_fit)["status"]
        statuses.append(st)
        p_out = sl.outside_population(idata, spec, level)
        con_rows.append(sl.group_slope_contrasts(idata, spec, level, iv, st))
        plots.save(
            plots.group_slopes(
                sl.group_slopes(idata, spec, iv, st),
                str(level),
                f"{slopes_fit}: effects by focal state ({names.get(int(level), level)} in red)",
                names,
                st != "ok",
            ),
            Path(figures) / f"{slopes_fit}-slopes",
        )
    loo = pd.read_csv(d["loo_table"]) if d.get("loo_table") and Path(d["loo_table"]).is_file() else None
    model = d.get("specific_model")
    terms = cf.specific_terms(model, *fits.read(model), level, iv) if model else []
    row, numbers["ussr_different"], numbers["findings"]["ussr_different"] = cf.assess_different(
        d, p_out, loo, statuses, names, settings["verdict_prob"], terms
    )
    return row, con_rows
