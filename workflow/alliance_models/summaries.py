"""Frames for the report: coefficients and odds ratios, average marginal
effects, LOO comparisons, posterior predictive checks, prediction grids, case
predictions, the numbers behind the verdicts and out-of-sample scores.

Everything here returns pandas frames (or dicts of them); :mod:`.plots` draws
them and :mod:`.report` lays them out. Posterior draws are thinned evenly
(every k-th draw of every chain) where predictions over many rows or grid
points are needed; the number of draws used is written into each frame.
"""

from __future__ import annotations

import json
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .effects import shift_rule
from .errors import PipelineError
from .models.draws import n_draws, thin
from .models.matrix import build_model_data, new_design
from .models.spec import formula_variables

log = logging.getLogger(__name__)

INTERVAL = 0.9


# --------------------------------------------------------------------------
# loading fits


@dataclass
class Fit:
    """A fitted model: its posterior, rebuilt design and gate status."""

    name: str
    idata: object  # arviz.InferenceData
    md: object  # models.matrix.ModelData
    frame: pd.DataFrame  # the model's whole data frame
    status: str  # "ok" | "failed"
    diag: dict

    @property
    def spec(self):
        return self.md.spec

    @property
    def rows(self) -> pd.DataFrame:
        """The fitted rows of the data frame."""
        return self.frame.loc[self.md.rows]

    @property
    def failed(self) -> bool:
        return self.status != "ok"


def read_diagnostics(path) -> dict:
    return json.loads(Path(path).read_text())


def open_idata(path):
    """A posterior file read into memory. ArviZ opens groups lazily; every
    later selection of draws (thinning, stacking) then went back to the HDF5
    file through xarray's indexers: on an 84k-row panel that was a third of
    the figure job (majors_onset-cinc: 37 s)."""
    import arviz as az  # heavy (ArviZ): the Snakefile imports this module

    idata = az.from_netcdf(str(path))
    for group in idata.groups():
        getattr(idata, group).load()
    return idata


def load_fit(posterior_nc, frame: pd.DataFrame, diagnostics: dict | None = None, spec=None) -> Fit:
    """Open a posterior and rebuild the fitted design from its spec.

    ``spec``: the model's current declaration (its ``drop`` factors and
    description may be newer than the posterior's copy); its design must
    have the posterior's coefficients.
    """

    from .models.bayes import model_data_from_idata  # heavy: models.bayes imports PyMC

    idata = open_idata(posterior_nc)
    md = build_model_data(spec, frame) if spec is not None else model_data_from_idata(idata, frame)
    fitted = [str(c) for c in idata.posterior["coef"].values] if "coef" in idata.posterior.coords else []
    if md.coef_names != fitted:
        raise PipelineError(
            f"model '{md.spec.name}': {posterior_nc} has coefficients {fitted}, the declaration "
            f"gives {md.coef_names}: refit the model"
        )
    if diagnostics is not None:
        status = diagnostics.get("status", "failed")
    else:
        status = str(idata.attrs.get("diagnostics_status", "failed"))
    return Fit(md.spec.name, idata, md, frame, status, diagnostics or {"status": status})


def _thinned_idata(idata, max_draws: int):
    import arviz as az  # heavy (ArviZ)

    return az.InferenceData(posterior=thin(idata.posterior, max_draws))


def _q(interval: float) -> tuple[float, float]:
    a = (1 - interval) / 2
    return a, 1 - a


def _interval(samples: np.ndarray, interval: float, axis=0):
    lo, hi = _q(interval)
    return np.quantile(samples, lo, axis=axis), np.quantile(samples, hi, axis=axis)


def model_columns(spec, frame_columns) -> list[str]:
    """Data columns a model's formula, groups and cluster use (that exist)."""
    cols = formula_variables(spec.formula) | {g["by"] for g in spec.group}
    if spec.cluster:
        cols.add(spec.cluster)
    return sorted(c for c in cols if c in set(frame_columns))


def factor_columns(spec, frame_columns) -> dict[str, list[str]]:
    """The plain data columns of each factor in the spec's ``drop`` mapping.

    Interaction terms (``a:b``) and transforms (``I(x == 1)``) are not data
    columns; they follow from the columns they are built of.
    """
    cols = set(frame_columns)
    out = {}
    for label, terms in (spec.drop or {}).items():
        plain = [t for t in dict.fromkeys(terms) if t in cols]
        if plain:
            out[label] = plain
    return out


def effect_factors(spec, frame_columns) -> dict[str, list[str]]:
    """Factors for marginal effects: the ``drop`` factors, or, for a model
    that declares none, each data column entering the formula as a term of
    its own -- except families of polynomial columns (``x``, ``x_sq``, ...),
    which cannot move one at a time."""
    f = factor_columns(spec, frame_columns)
    if f:
        return f
    rhs = spec.formula.split("~", 1)[1]
    terms = [t.strip() for t in rhs.replace("\n", " ").split("+")]
    cols = [t for t in terms if t in set(frame_columns)]
    family = {c for c in cols for d in cols if d != c and d.startswith(c + "_")}
    family |= {d for c in family for d in cols if d.startswith(c + "_")}
    return {c: [c] for c in cols if c not in family}


# --------------------------------------------------------------------------
# coefficients, odds ratios, frequentist beside Bayesian


def _coef_draws(post, var: str) -> tuple[np.ndarray, list[str], list[str]]:
    """Draws (S, k, C) of beta-like variable, coef names, category names ('' for bernoulli)."""
    da = post[var].stack(sample=("chain", "draw"))
    if "category_free" in da.dims:
        arr = da.transpose("sample", "coef", "category_free").values
        cats = [str(c) for c in da["category_free"].values]
    else:
        arr = da.transpose("sample", "coef").values[:, :, None]
        cats = [""]
    return arr, [str(c) for c in da["coef"].values], cats


def coefficient_table(fit: Fit, interval: float = INTERVAL) -> pd.DataFrame:
    """Per coefficient: standardized effect, P(effect > 0), odds ratios.

    ``or_sd``: odds ratio for a one-SD increase of the predictor;
    ``or_unit``: for a one-unit increase on its original scale. Intervals are
    equal-tailed posterior intervals (exp is monotone, so they map exactly).
    """
    post = fit.idata.posterior
    b, names, cats = _coef_draws(post, "beta")
    bo, _, _ = _coef_draws(post, "beta_orig")
    rows = []
    for j, term in enumerate(names):
        for c, cat in enumerate(cats):
            s, so = b[:, j, c], bo[:, j, c]
            lo, hi = _interval(s, interval)
            olo, ohi = _interval(so, interval)
            rows.append(
                {
                    "model": fit.name,
                    "term": term,
                    "category": cat,
                    "beta_std_mean": s.mean(),
                    "beta_std_lo": lo,
                    "beta_std_hi": hi,
                    "p_positive": float((s > 0).mean()),
                    "or_sd_median": float(np.exp(np.median(s))),
                    "or_sd_lo": float(np.exp(lo)),
                    "or_sd_hi": float(np.exp(hi)),
                    "beta_orig_mean": so.mean(),
                    "or_unit_median": float(np.exp(np.median(so))),
                    "or_unit_lo": float(np.exp(olo)),
                    "or_unit_hi": float(np.exp(ohi)),
                    "predictor_sd": float(fit.md.sds[term]),
                    "interval": interval,
                    "fit_status": fit.status,
                }
            )
    return pd.DataFrame(rows)


def _coef_rows(b, names, c, cat, level) -> list[dict]:
    out = []
    for j, term in enumerate(names):
        s = b[:, j, c]
        lo, hi = _interval(s, level)
        out.append(
            {
                "term": term,
                "category": cat,
                "bayes_mean": s.mean(),
                "bayes_lo": lo,
                "bayes_hi": hi,
                "bayes_p_positive": float((s > 0).mean()),
            }
        )
    return out


def frequentist_vs_bayes(fit: Fit, freq: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """The same model's frequentist and Bayesian estimates, original scale, side by side.

    Both intervals at ``level`` (frequentist: its Wald / profile CI as
    written by the fit; Bayesian: equal-tailed posterior interval).
    """
    post = fit.idata.posterior
    b, names, cats = _coef_draws(post, "beta_orig")
    rows = []
    a = post["alpha_orig"].stack(sample=("chain", "draw")) if "alpha_orig" in post else None
    a = a.transpose("sample", ...).values if a is not None else None
    a = a[:, None] if a is not None and a.ndim == 1 else a
    for c, cat in enumerate(cats):
        if a is None:  # a conditional logit has no intercept
            rows += _coef_rows(b, names, c, cat, level)
            continue
        lo, hi = _interval(a[:, c], level)
        rows.append(
            {
                "term": "Intercept",
                "category": cat,
                "bayes_mean": a[:, c].mean(),
                "bayes_lo": lo,
                "bayes_hi": hi,
                "bayes_p_positive": float((a[:, c] > 0).mean()),
            }
        )
        rows += _coef_rows(b, names, c, cat, level)
    bay = pd.DataFrame(rows)
    f = freq.copy()
    # a frequentist table read back has an all-empty category column as float NaN:
    # cast before filling (filling a float column with a string is deprecated in pandas 3)
    f["category"] = (
        f["category"].astype("object").where(f["category"].notna(), "").astype(str) if "category" in f else ""
    )
    keep = {
        "estimate": "freq_estimate",
        "ci_lower": "freq_lo",
        "ci_upper": "freq_hi",
        "p_value": "freq_p_value",
        "method": "freq_method",
        "se_type": "freq_se_type",
        "separation": "separation",
    }
    f = f[["term", "category", *[k for k in keep if k in f.columns]]].rename(columns=keep)
    out = bay.merge(f, on=["term", "category"], how="left")
    extra = f.merge(bay[["term", "category"]], on=["term", "category"], how="left", indicator=True)
    extra = extra[extra["_merge"] == "left_only"].drop(columns="_merge")
    if len(extra):
        out = pd.concat([out, extra], ignore_index=True)
    out.insert(0, "model", fit.name)
    out["level"] = level
    out["fit_status"] = fit.status
    return out


# --------------------------------------------------------------------------
# average marginal effects


def _group_values(fit: Fit, rows: pd.DataFrame) -> dict:
    return {g["by"]: rows[g["by"]].astype(str).to_numpy() for g in fit.md.groups}


def predict(fit: Fit, rows: pd.DataFrame, idata_thin=None, groups: bool = True, chunk: int = 20000) -> np.ndarray:
    """Posterior draws of P(y=1) (S, n) or of each category (S, n, K) for ``rows``."""
    from .models.bayes import posterior_probabilities  # heavy: models.bayes imports PyMC

    idata_thin = idata_thin if idata_thin is not None else fit.idata
    parts = []
    for i in range(0, len(rows), chunk):
        part = rows.iloc[i : i + chunk]
        g = _group_values(fit, part) if groups else None
        parts.append(posterior_probabilities(idata_thin, fit.md, new_design(fit.md, part), g))
    return np.concatenate(parts, axis=1)


def average_marginal_effects(
    fit: Fit,
    factors: dict[str, list[str]] | None = None,
    max_draws: int = 400,
    interval: float = INTERVAL,
    chunk: int = 20000,
) -> pd.DataFrame:
    """Average marginal effect of each factor on the probability scale.

    Every column of a factor is moved from its low to its high value (one
    rule for every factor: :func:`.effects.shift_rule`) while each observed
    row keeps its other values; the change in P(y=1) (or in each category's
    probability) is averaged over the fitted rows, per posterior draw. Group
    effects of seen levels are kept. ``base_rate``: the mean probability with
    the factor at its low values.
    """
    if factors is None:
        factors = effect_factors(fit.spec, fit.frame.columns)
    if fit.spec.family == "conditional":
        return _choice_effects(fit, factors, max_draws, interval)
    need = model_columns(fit.spec, fit.frame.columns)
    rows = fit.rows[need]
    idt = _thinned_idata(fit.idata, max_draws)
    S = n_draws(idt.posterior)
    cats = fit.md.categories if fit.spec.family == "categorical" else ["P(y=1)"]
    out = []
    for label, cols in factors.items():
        lo_rows, hi_rows = rows.copy(), rows.copy()
        shifts = []
        for c in cols:
            lo, hi, how = shift_rule(rows[c])
            lo_rows[c], hi_rows[c] = lo, hi
            shifts.append(f"{c} {lo:.3g}->{hi:.3g} ({how})")
        total = base = None
        for i in range(0, len(rows), chunk):
            p_lo = predict(fit, lo_rows.iloc[i : i + chunk], idt, chunk=chunk)
            p_hi = predict(fit, hi_rows.iloc[i : i + chunk], idt, chunk=chunk)
            d = (p_hi - p_lo).sum(axis=1)  # (S,) or (S, K)
            total = d if total is None else total + d
            base = p_lo.sum(axis=1) if base is None else base + p_lo.sum(axis=1)
        ame, base = total / len(rows), base / len(rows)
        ame = ame[:, None] if ame.ndim == 1 else ame
        base = base[:, None] if base.ndim == 1 else base
        for k, cat in enumerate(cats):
            s = ame[:, k]
            lo, hi = _interval(s, interval)
            out.append(
                {
                    "model": fit.name,
                    "factor": label,
                    "variables": ", ".join(cols),
                    "shift": "; ".join(shifts),
                    "category": cat,
                    "ame_mean": s.mean(),
                    "ame_lo": lo,
                    "ame_hi": hi,
                    "p_positive": float((s > 0).mean()),
                    "n_rows": len(rows),
                    "draws": S,
                    "interval": interval,
                    "fit_status": fit.status,
                    "base_rate": float(base[:, k].mean()),
                }
            )
    cols = [
        "model",
        "factor",
        "variables",
        "shift",
        "category",
        "ame_mean",
        "ame_lo",
        "ame_hi",
        "p_positive",
        "n_rows",
        "draws",
        "interval",
        "fit_status",
        "base_rate",
    ]
    return pd.DataFrame(out, columns=cols)


def _choice_effects(fit: Fit, factors: dict, max_draws: int, interval: float) -> pd.DataFrame:
    """A conditional logit's effects on the probability that a state is the
    partner chosen from its choice set (models.choice.shifted_choice_probability):
    each single-column factor moved by :func:`.effects.shift_rule`, the
    others as observed; the base rate is the mean probability at the low value."""
    from .models.choice import shifted_choice_probability

    idt = _thinned_idata(fit.idata, max_draws)
    post = idt.posterior.stack(sample=("chain", "draw"))
    names = fit.md.coef_names
    B = post["beta_orig"].transpose("sample", "coef").values
    X = fit.md.X[names].to_numpy("float64")
    out = []
    # a factor of several columns (the threat block) is shown column by column:
    # moving them together has no single meaning for one alternative
    pairs = [(label if len(cols) == 1 else f"{label}: {c}", c) for label, cols in factors.items() for c in cols]
    for label, c in pairs:
        if c not in names:
            continue
        lo, hi, how = shift_rule(fit.md.X[c])
        p_lo, p_hi = shifted_choice_probability(B, X, fit.md.strata, names.index(c), lo, hi)
        s = p_hi - p_lo
        qlo, qhi = _interval(s, interval)
        out.append(
            {
                "model": fit.name,
                "factor": label,
                "variables": c,
                "shift": f"{c} {lo:.3g}->{hi:.3g} ({how})",
                "category": "P(chosen from its set)",
                "ame_mean": s.mean(),
                "ame_lo": qlo,
                "ame_hi": qhi,
                "p_positive": float((s > 0).mean()),
                "n_rows": len(X),
                "draws": len(s),
                "interval": interval,
                "fit_status": fit.status,
                "base_rate": float(p_lo.mean()),
            }
        )
    return pd.DataFrame(out)


# --------------------------------------------------------------------------
# PSIS-LOO


def loo_budget_draws(n_obs: int, max_draws: int = 1000, budget: float = 4e7, floor: int = 200) -> int:
    """Draws used for PSIS-LOO: at most max_draws, fewer for very many rows."""
    return int(max(floor, min(max_draws, budget // max(n_obs, 1))))


def elpd_loo(idata, max_draws: int = 1000):
    """az.loo on evenly thinned draws of the log-likelihood (and the same
    posterior draws, for the relative efficiency)."""
    import arviz as az  # heavy (ArviZ)

    n_obs = int(np.prod([s for d, s in idata.log_likelihood["y"].sizes.items() if d not in ("chain", "draw")]))
    S = loo_budget_draws(n_obs, max_draws)
    ll = thin(idata.log_likelihood, S).astype("float64")
    # the stored log-likelihood may cover every k-th posterior draw only
    # (models.bayes.predictive_draws): take the posterior draws it belongs to
    sub = az.InferenceData(posterior=idata.posterior.sel(draw=ll["draw"].values), log_likelihood=ll)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the Pareto-k warning is recorded in the frame instead
        res = az.loo(sub, pointwise=True)
    return res, n_draws(sub.posterior)


def loo_comparison(
    name: str,
    idata,
    status: str,
    reduced: list[dict],
    max_draws: int = 1000,
    k_threshold: float = 0.7,
    full_rows=None,
    unit: str = "",
) -> pd.DataFrame:
    """ΔELPD (PSIS-LOO) when each factor is dropped: reduced minus full.

    ``reduced``: dicts with label, name, idata, status (and rows: the index
    labels it was fitted on; ``full_rows`` likewise). Negative ΔELPD means
    the dropped factor improves out-of-sample prediction. SE of the
    difference from az.compare; Pareto-k above ``k_threshold`` is counted
    for both models (their LOO estimate is then unreliable). A comparison
    with a failed fit, or with different rows, is refused and says why.
    ``unit``: what one left-out observation is (``loo_unit``, in words).
    """
    import arviz as az  # heavy (ArviZ)

    full, S = elpd_loo(idata, max_draws)
    kf = np.asarray(full.pareto_k).ravel()
    base = {
        "model": name,
        "elpd_full": float(full.elpd_loo),
        "se_full": float(full.se),
        "p_loo_full": float(full.p_loo),
        "k_bad_full": int((kf > k_threshold).sum()),
        "k_max_full": float(np.nanmax(kf)),
        "draws": S,
        "n_obs": int(full.n_data_points),
        "full_status": status,
        "loo_unit": unit,
    }
    rows = []
    for r in reduced:
        row = dict(base, dropped=r["label"], reduced_model=r["name"], reduced_status=r["status"])
        red, _ = elpd_loo(r["idata"], max_draws)
        kr = np.asarray(red.pareto_k).ravel()
        row.update(
            {
                "elpd_reduced": float(red.elpd_loo),
                "se_reduced": float(red.se),
                "k_bad_reduced": int((kr > k_threshold).sum()),
                "k_max_reduced": float(np.nanmax(kr)),
            }
        )
        notes = []
        nf, nr = int(full.n_data_points), int(red.n_data_points)
        if nf == nr:
            cmp = az.compare({name: full, r["name"]: red}, ic="loo")
            row["delta_elpd"] = float(cmp.loc[r["name"], "elpd_loo"] - cmp.loc[name, "elpd_loo"])
            row["delta_se"] = float(cmp["dse"].max())
        elif full_rows is not None and r.get("rows") is not None and set(full_rows) <= set(r["rows"]):
            # the reduced model kept rows the full one drops (missing values in
            # the dropped columns): compare on the full model's rows, as az.compare does
            pos = pd.Index(r["rows"]).get_indexer(pd.Index(full_rows))
            diff = np.asarray(red.loo_i).ravel()[pos] - np.asarray(full.loo_i).ravel()
            row["delta_elpd"] = float(diff.sum())
            row["delta_se"] = float(np.sqrt(len(diff) * np.var(diff)))
            notes.append(f"compared on the full model's {nf} rows (the reduced model was fitted on {nr})")
        else:
            row["delta_elpd"] = row["delta_se"] = float("nan")
            notes.append(f"not comparable: {nr} vs {nf} rows")
        if status != "ok" or r["status"] != "ok":
            notes.append("a fit failed the convergence gate: not a finding")
        if row["k_bad_full"] or row["k_bad_reduced"]:
            notes.append(
                f"Pareto k > {k_threshold}: {row['k_bad_full']} (full), {row['k_bad_reduced']} (reduced) observations"
            )
        row["note"] = "; ".join(notes)
        rows.append(row)
    if not rows:
        rows.append(
            dict(
                base,
                dropped="",
                reduced_model="",
                reduced_status="",
                elpd_reduced=float("nan"),
                se_reduced=float("nan"),
                k_bad_reduced=0,
                k_max_reduced=float("nan"),
                delta_elpd=float("nan"),
                delta_se=float("nan"),
                note="no factors declared in `drop`",
            )
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------
# posterior predictive checks


def fitted_probabilities(idata, y: np.ndarray, max_draws: int = 1000) -> np.ndarray:
    """Posterior mean P(y=1) of each fitted row, from the stored log-likelihood."""
    ll = thin(idata.log_likelihood, max_draws)["y"]
    lik = np.exp(ll.stack(sample=("chain", "draw")).transpose("sample", ...).values)  # P(observed y)
    p_obs = lik.mean(axis=0)
    return np.where(y == 1, p_obs, 1 - p_obs)


def ppc_frames(fit: Fit, max_draws: int = 1000, interval: float = INTERVAL, bins: int = 10) -> dict[str, pd.DataFrame]:
    """Posterior predictive check frames.

    ``stats``: per outcome category, the observed count and the replicated
    counts' mean, interval and P(replicated >= observed).
    ``draws``: the replicated counts per draw (for histograms).
    ``calibration`` (bernoulli): rows binned by fitted probability, mean
    fitted vs observed rate.
    ``decades`` (bernoulli, rows with a ``year``): :func:`decade_ppc`.
    """
    pp = thin(fit.idata.posterior_predictive, max_draws)["y"]
    rep = pp.stack(sample=("chain", "draw")).transpose("sample", ...).values.astype("int64")  # (S, n)
    y = np.asarray(fit.md.y)
    if fit.spec.family == "conditional":
        return _choice_ppc(fit, rep, y, interval)
    if fit.spec.family == "bernoulli":
        cats, codes = ["events (y=1)"], [1]
    else:
        cats, codes = list(fit.md.categories), list(range(len(fit.md.categories)))
    stats, draws = [], []
    for cat, code in zip(cats, codes):
        r = (rep == code).sum(axis=1)
        obs = int((y == code).sum())
        lo, hi = _interval(r, interval)
        stats.append(
            {
                "model": fit.name,
                "category": cat,
                "observed": obs,
                "rep_mean": r.mean(),
                "rep_lo": lo,
                "rep_hi": hi,
                "p_rep_ge_obs": float((r >= obs).mean()),
                "draws": len(r),
                "n_rows": len(y),
                "fit_status": fit.status,
            }
        )
        draws.append(pd.DataFrame({"category": cat, "count": r}))
    out = {"stats": pd.DataFrame(stats), "draws": pd.concat(draws, ignore_index=True)}
    if fit.spec.family == "bernoulli":
        p = fitted_probabilities(fit.idata, y, max_draws)
        out["calibration"] = calibration_bins(p, y, bins)
        if "year" in fit.frame.columns:
            out["decades"] = decade_ppc(rep, y, fit.rows["year"].to_numpy(), interval)
    return out


def decade_ppc(rep: np.ndarray, y: np.ndarray, years, interval: float = INTERVAL) -> pd.DataFrame:
    """A check the total count cannot fail: per decade of ``years`` (one per
    row), the events (y = 1) and the years with an event, observed against
    the replicated (``rep``: draws x rows): mean, interval, P(replicated >=
    observed) and whether the observed falls outside the interval (the
    years with an event only where a year has several rows). A model can
    match the total with its events in the wrong decades."""
    yr = pd.to_numeric(pd.Series(years), errors="coerce").to_numpy(float)
    ok = np.flatnonzero(np.isfinite(yr))
    years_seen = np.unique(yr[ok].astype(int))
    # per year, one pass over the draws (no draws x rows copy of the panel)
    rep_y = np.column_stack([(rep[:, ok[yr[ok] == v]] == 1).sum(axis=1) for v in years_seen]) if ok.size else None
    obs_y = np.array([int((y[ok[yr[ok] == v]] == 1).sum()) for v in years_seen])
    several = ok.size > years_seen.size  # one row per year: the years with an event are the events
    rows = []
    for d in np.unique(years_seen // 10 * 10):
        m = years_seen // 10 * 10 == d
        checks = [("events", rep_y[:, m].sum(axis=1), obs_y[m].sum())]
        if several:
            checks.append(("years with an event", (rep_y[:, m] > 0).sum(axis=1), (obs_y[m] > 0).sum()))
        for what, r, o in checks:
            lo, hi = _interval(r, interval)
            rows.append(
                {"decade": int(d), "statistic": what, "observed": int(o), "rep_mean": float(r.mean()), "rep_lo": lo}
                | {"rep_hi": hi, "p_rep_ge_obs": float((r >= o).mean()), "outside": bool(o < lo or o > hi)}
                | {"years": int(m.sum()), "interval": interval}
            )
    return pd.DataFrame(rows)


def _choice_ppc(fit: Fit, rep: np.ndarray, y: np.ndarray, interval: float) -> dict[str, pd.DataFrame]:
    """A conditional logit chooses as many partners per set as were chosen,
    so the count of chosen rows cannot fail a check; what can is whom it
    chooses: per binary predictor, the chosen partners that have it
    (observed against replicated), and the chosen partners' mean of each
    continuous one."""
    stats, draws = [], []
    for c in fit.md.coef_names:
        x = fit.md.X[c].to_numpy("float64")
        binary = set(np.unique(x)) <= {0.0, 1.0}
        obs = float(x @ y) if binary else float(x @ y / max(y.sum(), 1))
        r = rep @ x if binary else rep @ x / np.maximum(rep.sum(axis=1), 1)
        cat = f"chosen with {c} = 1" if binary else f"mean {c} of the chosen"
        lo, hi = _interval(r, interval)
        stats.append(
            {
                "model": fit.name,
                "category": cat,
                "observed": obs,
                "rep_mean": r.mean(),
                "rep_lo": lo,
                "rep_hi": hi,
                "p_rep_ge_obs": float((r >= obs).mean()),
                "draws": len(r),
                "n_rows": len(y),
                "fit_status": fit.status,
            }
        )
        draws.append(pd.DataFrame({"category": cat, "count": r}))
    return {"stats": pd.DataFrame(stats), "draws": pd.concat(draws, ignore_index=True)}


def _jeffreys(k, n, interval):
    from scipy import stats  # heavy (scipy.stats): only the intervals need it

    lo, hi = _q(interval)
    k, n = np.asarray(k, float), np.asarray(n, float)
    a, b = k + 0.5, n - k + 0.5
    # Brown, Cai & DasGupta (2001): the bound at an observed 0 or n is 0 or 1
    return np.where(k == 0, 0.0, stats.beta.ppf(lo, a, b)), np.where(k == n, 1.0, stats.beta.ppf(hi, a, b))


def calibration_bins(p: np.ndarray, y: np.ndarray, bins: int = 10, interval: float = INTERVAL) -> pd.DataFrame:
    """Rows in (up to) ``bins`` equal-count bins of predicted probability:
    mean prediction, observed rate and its Jeffreys interval."""
    p, y = np.asarray(p, float), np.asarray(y, float)
    order = np.argsort(p, kind="stable")
    groups = np.array_split(order, min(bins, len(p))) if len(p) else []
    rows = []
    for i, g in enumerate(groups):
        if len(g) == 0:
            continue
        k, n = y[g].sum(), len(g)
        lo, hi = _jeffreys(k, n, interval)
        rows.append(
            {
                "bin": i + 1,
                "n": n,
                "events": int(k),
                "p_mean": p[g].mean(),
                "observed_rate": k / n,
                "rate_lo": float(lo),
                "rate_hi": float(hi),
                "p_min": p[g].min(),
                "p_max": p[g].max(),
            }
        )
    return pd.DataFrame(
        rows, columns=["bin", "n", "events", "p_mean", "observed_rate", "rate_lo", "rate_hi", "p_min", "p_max"]
    )


# --------------------------------------------------------------------------
# diagnostics


def diagnostics_row(name: str, diag: dict) -> dict:
    """One row of the report's diagnostics table: the gate's numbers, the
    evidence behind the fit (rows, events, decisions), how many attempts the
    escalation ladder needed (and each one's target acceptance rate and
    outcome) and the sampler's telemetry for the fit kept."""
    attempts = diag.get("attempts") or []
    last = attempts[-1] if attempts else {}
    timing = last.get("timing") or {}
    return {
        "model": name,
        "status": diag.get("status", "missing"),
        "max_rhat": diag.get("max_rhat"),
        "min_ess_bulk": diag.get("min_ess_bulk"),
        "min_ess_tail": diag.get("min_ess_tail"),
        "divergences": diag.get("divergences"),
        "chains": diag.get("chains"),
        "draws": diag.get("draws"),
        "draws_first": diag.get("draws_first", diag.get("draws")),
        "n_obs": diag.get("n_obs"),
        "n_events": diag.get("n_events"),
        "n_decisions": diag.get("n_decisions"),
        "sampling_seconds": diag.get("sampling_seconds"),
        "attempts": len(attempts) or None,
        "ladder": "; ".join(
            f"{a['target_accept']}{' ' + _short_par(a) if _short_par(a) else ''}: "
            f"{a['status']}" + (f" ({a['divergences']} div.)" if a.get("divergences") else "")
            for a in attempts
        ),
        "leapfrog_steps": last.get("mean_leapfrog_steps"),
        "tree_depth_hits": last.get("tree_depth_hits"),
        "step_size": ", ".join(f"{x:.3g}" for x in last.get("step_size", [])) or None,
        "compile_s": timing.get("compile"),
        "nuts_s": timing.get("nuts"),
        "predictive_s": timing.get("predictive"),
        "parameterization": "; ".join(
            f"{by}: " + ", ".join(f"{t} {p}" for t, p in terms.items())
            for by, terms in (last.get("parameterization") or {}).items()
        )
        or None,
        "reasons": "; ".join(diag.get("reasons", [])),
    }


def _short_par(attempt: dict) -> str:
    """'noncentered' when every group term of an attempt is non-centred, etc.; '' if there are none."""
    kinds = {p for terms in (attempt.get("parameterization") or {}).values() for p in terms.values()}
    return "/".join(sorted(kinds)) if len(kinds) == 1 and "mixed" not in kinds else ""


def diagnostics_table(diags: dict[str, dict]) -> pd.DataFrame:
    return pd.DataFrame([diagnostics_row(m, d) for m, d in diags.items()])


def state_names(state_year: pd.DataFrame) -> dict:
    """COW code -> the latest state abbreviation (from state_year)."""
    s = state_year.sort_values("year").drop_duplicates("ccode", keep="last")
    return {int(c): str(a) for c, a in zip(s["ccode"], s["stateabb"])}
