"""How much of a model's explained variation each part carries (issue 25,
item 2): year-level (timing) effects, partner effects, each block of
predictors.

A decomposition on the latent (logit) scale, in the spirit of Nakagawa and
Schielzeth's R² for mixed models (2013) and Gelman et al.'s Bayesian R²
(2019): per posterior draw, the linear predictor over the fitted rows is a
sum of parts, and each part's variance across those rows is computed:

- a **block** of fixed terms (the model's ``drop`` blocks: disparity,
  threat, ...): X_b beta_b over the design columns built from the block's
  terms;
- the **duration clock** (design columns of ``*since*`` / ``spell_years``
  terms) and the **other terms** (controls);
- each grouping's **varying effects** (intercept and slopes): the
  decision-year effects (``focal_year``: when), partner effects
  (``ccode2``), focal-state effects (``ccode1``), dyad effects.

The share of a part is its variance over the sum of the parts' variances
(median and interval over draws). Parts are not independent, so the sum
differs from the variance of the whole linear predictor; the difference (the
covariance between parts) is reported as a share of that variance. The
latent R² is var(eta) / (var(eta) + pi^2/3), pi^2/3 being the logistic
residual variance.

A conditional logit is decomposed within its choice sets (each set's mean is
removed: a constant of the set cancels in the likelihood), with no residual
line. The categorical family is not decomposed (an empty table). An
errors-in-variables term enters at its observed value, as in every
prediction from new rows (:func:`.models.bayes.posterior_linear_predictor`).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

INTERVAL = 0.9
RESIDUAL = np.pi**2 / 3
COLUMNS = (
    "part",
    "kind",
    "columns",
    "variance",
    "variance_lo",
    "variance_hi",
    "share",
    "share_lo",
    "share_hi",
    "draws",
)
GROUP_WORDS = {
    "focal_year": "decision-year effects (when)",
    "year": "year effects (when)",
    "ccode2": "partner effects",
    "ccode1": "focal-state effects",
    "dyad_id": "dyad effects",
}
CLOCK = re.compile(r"since|spell_years")
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


def _tokens(name: str) -> set[str]:
    return set(_TOKEN.findall(str(name)))


def assign_parts(coef_names: list[str], blocks: dict[str, list[str]]) -> dict[str, list[int]]:
    """Design column index per part: a column goes to the first block one of
    whose terms' variables it is built of, else to the duration clock (a
    ``since`` or ``spell_years`` column), else to "other terms". Parts with
    no column are left out."""
    block_vars = {b: set().union(*(_tokens(t) for t in terms)) if terms else set() for b, terms in blocks.items()}
    parts: dict[str, list[int]] = {}
    for j, name in enumerate(coef_names):
        toks = _tokens(name)
        part = next((f"block: {b}" for b, v in block_vars.items() if toks & v), None)
        if part is None:
            part = "duration clock" if CLOCK.search(str(name)) else "other terms"
        parts.setdefault(part, []).append(j)
    return parts


def _centre_within(a: np.ndarray, strata: np.ndarray) -> np.ndarray:
    """Subtract each stratum's mean (per draw; a: (S, n))."""
    codes, inv = np.unique(strata, return_inverse=True)
    sums = np.zeros((a.shape[0], len(codes)))
    np.add.at(sums.T, inv, a.T)
    counts = np.bincount(inv, minlength=len(codes))
    return a - (sums / counts)[:, inv]


def decompose(
    Xs: np.ndarray,
    beta: np.ndarray,
    parts: dict[str, list[int]],
    groups: list[tuple[str, np.ndarray]] | None = None,
    strata: np.ndarray | None = None,
    interval: float = INTERVAL,
    coef_names: list[str] | None = None,
) -> pd.DataFrame:
    """The decomposition from arrays: ``Xs`` (n, k) the design as the sampler
    sees it, ``beta`` (S, k) its coefficients, ``parts`` column indices per
    part, ``groups`` (label, (S, n) contribution of that grouping's varying
    effects per row), ``strata`` (n,) choice sets of a conditional logit."""
    comps: list[tuple[str, str, str, np.ndarray]] = []
    for name, idx in parts.items():
        kind = "block" if name.startswith("block: ") else ("clock" if name == "duration clock" else "terms")
        cols = ", ".join(coef_names[j] for j in idx) if coef_names else ""
        comps.append((name, kind, cols, beta[:, idx] @ Xs[:, idx].T))
    for label, contrib in groups or []:
        comps.append((label, "group", "", contrib))
    if strata is not None:
        comps = [(n, k, c, _centre_within(a, strata)) for n, k, c, a in comps]
    eta = np.sum([a for *_, a in comps], axis=0)
    var = {n: a.var(axis=1) for n, _, _, a in comps}
    total = np.sum(list(var.values()), axis=0)
    lo_q, hi_q = (1 - interval) / 2, 1 - (1 - interval) / 2

    def row(part, kind, cols, v, share):
        return {
            "part": part,
            "kind": kind,
            "columns": cols,
            "variance": float(np.median(v)),
            "variance_lo": float(np.quantile(v, lo_q)),
            "variance_hi": float(np.quantile(v, hi_q)),
            "share": float(np.median(share)) if share is not None else np.nan,
            "share_lo": float(np.quantile(share, lo_q)) if share is not None else np.nan,
            "share_hi": float(np.quantile(share, hi_q)) if share is not None else np.nan,
            "draws": int(len(v)),
        }

    with np.errstate(invalid="ignore", divide="ignore"):
        rows = [row(n, k, c, var[n], var[n] / total) for n, k, c, _ in comps]
        v_eta = eta.var(axis=1)
        rows.append(row("linear predictor (all parts)", "total", "", v_eta, None))
        rows.append(
            row(
                "covariance between parts (share of the total)",
                "covariance",
                "",
                v_eta - total,
                (v_eta - total) / v_eta,
            )
        )
        if strata is None:
            r2 = v_eta / (v_eta + RESIDUAL)
            rows.append(row("latent R2 = total / (total + pi^2/3)", "r2", "", np.full_like(r2, RESIDUAL), r2))
    return pd.DataFrame(rows, columns=list(COLUMNS))


def variance_decomposition(fit, max_draws: int = 1000, interval: float = INTERVAL) -> pd.DataFrame:
    """The decomposition of a fitted model (:class:`.summaries.Fit`): its
    blocks are the declaration's ``drop`` entries; groups by
    :data:`GROUP_WORDS`."""
    from .models.bayes import _safe  # heavy: models.bayes imports PyMC
    from .summaries import _thinned_idata, loo_budget_draws

    md, spec = fit.md, fit.spec
    if spec.family not in ("bernoulli", "conditional"):
        return pd.DataFrame(columns=list(COLUMNS))
    n = len(md.y)
    # fewer draws for very many rows: every part is a (draws, rows) array
    idt = _thinned_idata(fit.idata, min(max_draws, loo_budget_draws(n, max_draws, budget=1e7)))
    post = idt.posterior.stack(sample=("chain", "draw"))
    names = md.coef_names
    Xs = ((md.X[names] - md.means[names]) / md.sds[names]).to_numpy("float64")
    beta = post["beta"].transpose("sample", "coef").values
    groups = []
    for g in md.groups:
        dim, codes = f"{g['by']}_level", np.asarray(g["codes"])
        contrib = np.zeros((beta.shape[0], n))
        if g["intercept"]:
            contrib += post[f"a_{g['by']}"].transpose("sample", dim).values[:, codes]
        for s in g["slopes"]:
            d = post[f"b_{g['by']}_{_safe(s)}"].transpose("sample", dim).values
            contrib += d[:, codes] * Xs[:, names.index(s)]
        groups.append((GROUP_WORDS.get(g["by"], f"varying effects by {g['by']}"), contrib))
    parts = assign_parts(names, dict(spec.drop or {}))
    strata = md.strata if spec.family == "conditional" else None
    return decompose(Xs, beta, parts, groups, strata, interval, names)
