"""Varying slopes: each level's slopes against the population's, the
contrast of one level with the others, and the probability that a level's
slope vector lies outside the population's central region (the "is the USSR
different?" claim). Split from :mod:`.summaries`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .summaries import INTERVAL, _interval


def _safe(term: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in term)


def _group_terms(idata, spec):
    """(by, dim, levels, [(term, variable)]) for each group with effects in the posterior."""
    post = idata.posterior
    out = []
    for g in spec.group:
        by, dim = g["by"], f"{g['by']}_level"
        if dim not in post.coords:
            continue
        terms = ([("(intercept)", f"a_{by}")] if g.get("intercept", True) else []) + [
            (s, f"b_{by}_{_safe(s)}") for s in g.get("slopes", [])
        ]
        terms = [(t, v) for t, v in terms if v in post]
        out.append((by, dim, [str(v) for v in post[dim].values], terms))
    return out


def _population(post, term):
    if term == "(intercept)":
        return post["alpha"].stack(sample=("chain", "draw")).values
    return post["beta"].sel(coef=term).stack(sample=("chain", "draw")).values


def group_slopes(idata, spec, interval: float = INTERVAL, status: str = "ok") -> pd.DataFrame:
    """Each group level's total intercept / slope (population + its deviation),
    standardized scale, with interval."""
    post = idata.posterior
    rows = []
    for by, dim, levels, terms in _group_terms(idata, spec):
        for term, var in terms:
            d = post[var].stack(sample=("chain", "draw")).transpose("sample", dim).values
            tot = _population(post, term)[:, None] + d
            lo, hi = _interval(tot, interval)
            for i, lev in enumerate(levels):
                rows.append(
                    {
                        "model": spec.name,
                        "group": by,
                        "term": term,
                        "level": lev,
                        "mean": tot[:, i].mean(),
                        "lo": lo[i],
                        "hi": hi[i],
                        "p_positive": float((tot[:, i] > 0).mean()),
                        "interval": interval,
                        "fit_status": status,
                    }
                )
    return pd.DataFrame(
        rows, columns=["model", "group", "term", "level", "mean", "lo", "hi", "p_positive", "interval", "fit_status"]
    )


def group_slope_contrasts(idata, spec, level, interval: float = INTERVAL, status: str = "ok") -> pd.DataFrame:
    """For each varying slope (and intercept): ``level``'s deviation minus the
    mean deviation of the other levels, on the standardized scale.

    The level's total slope (population slope plus its deviation) and the
    others' mean total slope are given as well.
    """
    post = idata.posterior
    rows = []
    for by, dim, levels, terms in _group_terms(idata, spec):
        if str(level) not in levels:
            continue
        i = levels.index(str(level))
        others = [j for j in range(len(levels)) if j != i]
        for term, var in terms:
            d = post[var].stack(sample=("chain", "draw")).transpose("sample", dim).values
            pop = _population(post, term)
            diff = d[:, i] - d[:, others].mean(axis=1)
            own, rest = pop + d[:, i], pop + d[:, others].mean(axis=1)
            lo, hi = _interval(diff, interval)
            olo, ohi = _interval(own, interval)
            rlo, rhi = _interval(rest, interval)
            rows.append(
                {
                    "model": spec.name,
                    "group": by,
                    "term": term,
                    "level": str(level),
                    "n_levels": len(levels),
                    "level_total_mean": own.mean(),
                    "level_total_lo": olo,
                    "level_total_hi": ohi,
                    "others_total_mean": rest.mean(),
                    "others_total_lo": rlo,
                    "others_total_hi": rhi,
                    "diff_mean": diff.mean(),
                    "diff_lo": lo,
                    "diff_hi": hi,
                    "p_positive": float((diff > 0).mean()),
                    "interval": interval,
                    "fit_status": status,
                }
            )
    cols = [
        "model",
        "group",
        "term",
        "level",
        "n_levels",
        "level_total_mean",
        "level_total_lo",
        "level_total_hi",
        "others_total_mean",
        "others_total_lo",
        "others_total_hi",
        "diff_mean",
        "diff_lo",
        "diff_hi",
        "p_positive",
        "interval",
        "fit_status",
    ]
    return pd.DataFrame(rows, columns=cols)


def outside_population(idata, spec, level, central: float = 0.9) -> dict:
    """P(the level's vector of varying slopes lies outside the central
    ``central`` region of the population distribution of slopes).

    For each posterior draw, the level's deviations from the population
    slopes, divided by the slopes' sds (the population distribution is
    N(mean, sd) per slope, independent), give a squared Mahalanobis distance
    d2; the central region is d2 <= the chi-square quantile with one degree
    of freedom per slope. About 1 - central for a typical level."""
    from scipy.stats import chi2  # heavy (scipy.stats)

    post = idata.posterior
    d2, terms = 0.0, []
    for _by, dim, levels, tl in _group_terms(idata, spec):
        if str(level) not in levels:
            continue
        i = levels.index(str(level))
        for term, var in tl:
            if term == "(intercept)":
                continue
            dev = post[var].stack(sample=("chain", "draw")).transpose("sample", dim).values[:, i]
            sd = post[f"sd_{var}"].stack(sample=("chain", "draw")).values
            d2 = d2 + (dev / sd) ** 2
            terms.append(term)
    if not terms:
        return {"p_outside": float("nan"), "terms": "", "cutoff": float("nan")}
    cut = float(chi2.ppf(central, len(terms)))
    return {
        "p_outside": float((np.asarray(d2) > cut).mean()),
        "terms": ", ".join(terms),
        "cutoff": cut,
        "central": central,
    }
