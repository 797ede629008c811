"""Frequentist fits with statsmodels; Firth's penalized logit under separation.

Logit (bernoulli) and multinomial logit (categorical) with cluster-robust
standard errors when the spec names a ``cluster`` column. Complete or
quasi-complete separation is detected first (linear programming, see
:mod:`.separation`); a separated binary model is refitted with Firth's
penalized likelihood and marked as such. A separated categorical model is
refitted category by category against the reference (Begg & Gray 1984
individualized logits, each Firth-penalized), also marked.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from .choice import fit_clogit_mle
from .firth import firth_logit
from .matrix import ModelData
from .separation import detect_separation

log = logging.getLogger(__name__)

COLUMNS = [
    "model",
    "term",
    "category",
    "estimate",
    "std_error",
    "ci_lower",
    "ci_upper",
    "odds_ratio",
    "or_ci_lower",
    "or_ci_upper",
    "p_value",
    "method",
    "se_type",
    "n",
    "events",
    "loglik",
    "aic",
    "bic",
    "separation",
    "separating_terms",
    "converged",
]


def _cov_kwargs(md: ModelData) -> dict:
    if md.cluster is None:
        return {}
    groups = pd.factorize(pd.Series(md.cluster))[0]
    return {"cov_type": "cluster", "cov_kwds": {"groups": groups}}


def _tidy_sm(res, names, category, level=0.95) -> pd.DataFrame:
    params = np.asarray(res.params).reshape(len(names), -1)
    bse = np.asarray(res.bse).reshape(len(names), -1)
    pvals = np.asarray(res.pvalues).reshape(len(names), -1)
    z = stats.norm.ppf(0.5 + level / 2)
    rows = []
    for k in range(params.shape[1]):
        for j, term in enumerate(names):
            est, se = params[j, k], bse[j, k]
            rows.append(
                {
                    "term": term,
                    "category": category[k] if category else "",
                    "estimate": est,
                    "std_error": se,
                    "ci_lower": est - z * se,
                    "ci_upper": est + z * se,
                    "p_value": pvals[j, k],
                }
            )
    return pd.DataFrame(rows)


def _firth_frame(X, y, names, category="") -> tuple[pd.DataFrame, dict]:
    # A pairwise subset (categorical) can make a column constant: drop it there
    # and report NaN for that term rather than failing the whole fit.
    X = pd.DataFrame(X, columns=names)
    keep = [c for c in names if c == "Intercept" or X[c].nunique() > 1]
    fr = firth_logit(X[keep], y, names=keep)
    f = fr.to_frame()[["term", "estimate", "std_error", "ci_lower", "ci_upper", "p_value", "ci_method", "p_method"]]
    f = f.set_index("term").reindex(names).reset_index()
    f["se_type"] = [
        f"penalized-likelihood ({m} CI)" if isinstance(m, str) else "not estimable (constant in subset)"
        for m in f["ci_method"]
    ]
    f = f.drop(columns=["ci_method", "p_method"])
    f.insert(1, "category", category)
    k = len(names)
    info = {
        "loglik": fr.loglik_unpenalized,
        "aic": -2 * fr.loglik_unpenalized + 2 * k,
        "bic": -2 * fr.loglik_unpenalized + np.log(fr.n) * k,
        "converged": fr.converged,
    }
    return f, info


def _clogit_frame(md: ModelData, level=0.95) -> tuple[pd.DataFrame, dict]:
    """The conditional logit by (weighted) maximum likelihood (models.choice),
    sandwich standard errors clustered by choice set."""
    names = md.coef_names
    fit = fit_clogit_mle(md.X[names].to_numpy("float64"), md.strata, md.y, md.weights, names)
    z = stats.norm.ppf(0.5 + level / 2)
    est, se = fit["params"], fit["se_robust"]
    tidy = pd.DataFrame(
        {
            "term": names,
            "category": "",
            "estimate": est,
            "std_error": se,
            "ci_lower": est - z * se,
            "ci_upper": est + z * se,
            "p_value": 2 * stats.norm.sf(np.abs(est / np.where(se > 0, se, np.nan))),
        }
    )
    k = len(names)
    info = {
        "loglik": fit["loglik"],
        "aic": -2 * fit["loglik"] + 2 * k,
        "bic": -2 * fit["loglik"] + np.log(fit["strata"]) * k,
        "converged": fit["converged"],
    }
    return tidy, info


def fit_frequentist(md: ModelData) -> tuple[pd.DataFrame, dict]:
    """Fit the spec's frequentist model; return a tidy table and a summary dict."""
    spec = md.spec
    X = md.X
    names = list(X.columns)
    n = len(md.y)
    sep_terms: list[str] = []
    if spec.family == "conditional":
        events = int(md.y.sum())
        status = "not checked"
        tidy, info = _clogit_frame(md)
        method = "conditional-logit" + (
            " (weighted: each choice set counts once)" if spec.weighting == "stratum" else ""
        )
        se_type = "cluster-robust (choice set)"
    elif spec.family == "bernoulli":
        sep = detect_separation(X, md.y, names=names)
        events = int(md.y.sum())
        status = sep.status
        sep_terms = list(sep.separating_terms)
        if sep.separated:
            log.info("model %s: %s; fitting Firth's penalized logit", spec.name, sep.summary())
            tidy, info = _firth_frame(X, md.y, names)
            method, se_type = "firth", None
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = sm.Logit(md.y, X).fit(disp=0, maxiter=200, **_cov_kwargs(md))
            tidy = _tidy_sm(res, names, None)
            info = {"loglik": res.llf, "aic": res.aic, "bic": res.bic, "converged": bool(res.mle_retvals["converged"])}
            method, se_type = "logit", "cluster-robust" if md.cluster is not None else "model-based"
    else:
        K = len(md.categories)
        events = int((md.y != 0).sum())
        pair_status = {}
        for k in range(1, K):
            keep = np.isin(md.y, [0, k])
            if keep.sum() == 0:
                continue
            Xk = X[keep]
            cols = [c for c in names if c == "Intercept" or Xk[c].nunique() > 1]
            s = detect_separation(Xk[cols], (md.y[keep] == k).astype(int), names=cols)
            pair_status[md.categories[k]] = s
            sep_terms += [f"{md.categories[k]}:{t}" for t in s.separating_terms]
        worst = [s.status for s in pair_status.values()]
        status = "complete" if "complete" in worst else "quasi-complete" if "quasi-complete" in worst else "none"
        if status != "none":
            log.info(
                "model %s: %s separation in the categorical outcome; Firth logits per category vs '%s'",
                spec.name,
                status,
                md.categories[0],
            )
            frames, ll = [], 0.0
            conv = True
            for k in range(1, K):
                keep = np.isin(md.y, [0, k])
                f, inf = _firth_frame(X[keep], (md.y[keep] == k).astype(int), names, md.categories[k])
                frames.append(f)
                ll += inf["loglik"]
                conv &= inf["converged"]
            tidy = pd.concat(frames, ignore_index=True)
            info = {"loglik": np.nan, "aic": np.nan, "bic": np.nan, "converged": conv}
            method, se_type = "firth-individualized", None
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = sm.MNLogit(md.y, X).fit(disp=0, maxiter=500, method="bfgs", **_cov_kwargs(md))
            tidy = _tidy_sm(res, names, md.categories[1:])
            info = {"loglik": res.llf, "aic": res.aic, "bic": res.bic, "converged": bool(res.mle_retvals["converged"])}
            method, se_type = "multinomial-logit", "cluster-robust" if md.cluster is not None else "model-based"
    tidy["odds_ratio"] = np.exp(tidy["estimate"])
    tidy["or_ci_lower"] = np.exp(tidy["ci_lower"])
    tidy["or_ci_upper"] = np.exp(tidy["ci_upper"])
    tidy["model"] = spec.name
    tidy["method"] = method
    if se_type is not None:
        tidy["se_type"] = se_type
    tidy["n"] = n
    tidy["events"] = events
    for key in ("loglik", "aic", "bic", "converged"):
        tidy[key] = info[key]
    tidy["separation"] = status
    tidy["separating_terms"] = ";".join(sep_terms)
    summary = {
        "model": spec.name,
        "method": method,
        "se_type": se_type or "penalized-likelihood",
        "n": n,
        "events": events,
        "separation": status,
        "separating_terms": sep_terms,
        "n_dropped": md.n_dropped,
        **info,
    }
    log.info("model %s: %s fit, n=%d, events=%d, separation=%s", spec.name, method, n, events, status)
    return tidy[COLUMNS], summary
