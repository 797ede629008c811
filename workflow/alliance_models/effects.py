"""How much: one shift rule for every factor, and the joint contrast of a
block of terms on the probability scale.

The mission asks *how much* power disparity and threat matter, so every
factor is moved by the same rule and read on the same scale:

- :func:`shift_rule`: a binary column (values 0 and 1 only) moves from 0 to
  1; a count or continuous column from its median to its 90th percentile
  over the rows the model was fitted on (the rows at risk); where those
  coincide (a count that is mostly 0), from the median to the maximum.
- :func:`block_contrast`: every column of a block (the threat terms of a
  model, its disparity term) moves together by that rule while each row
  keeps its other values; the change in the probability of the event is
  averaged over the rows, per posterior draw. This is the average
  predictive comparison at the observed profiles: the rows are the
  realistic profiles, so nothing is evaluated at a combination of values
  the data never show. The base rate (the mean probability with the block
  at its low values), the shifted rate, the difference in percentage points
  and the relative risk come with their posterior intervals.

For a bernoulli model the probability is of the outcome in one row (a year
of the focal state, a dyad-year, a case); for a conditional logit it is the
probability that one alternative is the one chosen from its set (a state
chosen as a partner by a treaty), every other alternative as observed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

INTERVAL = 0.9


def shift_rule(x) -> tuple[float, float, str]:
    """The values a column is moved between: (low, high, how)."""
    vals = pd.to_numeric(pd.Series(x), errors="coerce").dropna()
    if vals.empty:
        return float("nan"), float("nan"), "no values"
    if set(np.unique(vals)) <= {0.0, 1.0} and vals.nunique() == 2:
        return 0.0, 1.0, "0->1"
    med, p90 = (float(v) for v in vals.quantile([0.5, 0.9]))
    if p90 > med:
        return med, p90, "median->p90"
    top = float(vals.max())
    if top > med:
        return med, top, "median->max"
    return med, med, "constant"


def block_columns(terms, frame_columns) -> list[str]:
    """The data columns of a block's terms: plain columns as they are, an
    interaction ``a:b`` by the columns it is built of (moving them moves it);
    transforms that are not columns are left out."""
    cols = set(frame_columns)
    out: dict[str, None] = {}
    for t in terms:
        for part in str(t).split(":"):
            if part.strip() in cols:
                out[part.strip()] = None
    return list(out)


OUTCOME_WORDS = {
    "new_defense": "a new defence treaty",
    "new_any": "a new treaty of any obligation",
    "atop_defense_onset": "a new defence pledge with the partner",
    "atop_any_onset": "a new pledge of any obligation with the partner",
    "atop_defense_end": "a defence pledge ending",
    "allied": "an alliance",
}


def _quantity(spec) -> str:
    """What the contrast's probability is, in words."""
    if spec.family == "conditional":
        return "chance that a state in a treaty's choice set is chosen"
    what = OUTCOME_WORDS.get(spec.outcome, spec.outcome)
    if spec.data.startswith("cases"):
        return f"probability of {what} per case"
    if spec.data.startswith("dyad_year"):
        return f"yearly probability of {what} (per dyad)"
    return f"yearly probability of {what}"


def _summarise(p_lo: np.ndarray, p_hi: np.ndarray, interval: float) -> dict:
    a = (1 - interval) / 2
    d = p_hi - p_lo
    rr = p_hi / np.where(p_lo > 0, p_lo, np.nan)

    def q(s):
        s = s[np.isfinite(s)]
        return (float(np.quantile(s, a)), float(np.quantile(s, 1 - a))) if len(s) else (np.nan, np.nan)

    return {
        "base": float(np.median(p_lo)),
        "base_lo": q(p_lo)[0],
        "base_hi": q(p_lo)[1],
        "shifted": float(np.median(p_hi)),
        "shifted_lo": q(p_hi)[0],
        "shifted_hi": q(p_hi)[1],
        "pp": float(np.median(d)) * 100,
        "pp_lo": q(d)[0] * 100,
        "pp_hi": q(d)[1] * 100,
        "rr": float(np.nanmedian(rr)),
        "rr_lo": q(rr)[0],
        "rr_hi": q(rr)[1],
        "p_effect_positive": float((d > 0).mean()),
        "draws": int(len(d)),
    }


def shifted_probabilities(fit, cols: list[str], lo: dict, hi: dict, max_draws: int = 1000):
    """Per posterior draw, the mean probability over the fitted rows with the
    columns ``cols`` at ``lo`` and at ``hi`` (dicts column -> value)."""
    from .summaries import _thinned_idata, predict

    spec = fit.spec
    if spec.family == "conditional":
        from .models.choice import shifted_choice_probability

        idt = _thinned_idata(fit.idata, max_draws)
        post = idt.posterior.stack(sample=("chain", "draw"))
        names = fit.md.coef_names
        B = post["beta_orig"].transpose("sample", "coef").values
        X = fit.md.X[names].to_numpy("float64")
        j = [names.index(c) for c in cols]
        return shifted_choice_probability(
            B, X, fit.md.strata, j, np.array([lo[c] for c in cols]), np.array([hi[c] for c in cols])
        )
    if spec.family != "bernoulli":
        raise ValueError(f"model {spec.name}: a block contrast needs a bernoulli or conditional model")
    from .summaries import model_columns

    rows = fit.rows[model_columns(spec, fit.frame.columns)]
    idt = _thinned_idata(fit.idata, max_draws)
    lo_rows, hi_rows = rows.copy(), rows.copy()
    for c in cols:
        lo_rows[c], hi_rows[c] = lo[c], hi[c]
    return predict(fit, lo_rows, idt).mean(axis=1), predict(fit, hi_rows, idt).mean(axis=1)


def block_contrast(fit, terms, max_draws: int = 1000, interval: float = INTERVAL) -> dict:
    """The joint contrast of the block ``terms`` (see the module docstring):
    a dict with the columns moved and how (``shift``), the quantity, the
    base and shifted probabilities, the difference in percentage points
    (``pp``), the relative risk (``rr``), each with its interval, and
    P(difference > 0). Columns of the block the model does not use are left
    out; a block with none is an error."""
    frame_cols = fit.md.X.columns if fit.spec.family == "conditional" else fit.frame.columns
    cols = block_columns(terms, frame_cols)
    if fit.spec.family == "conditional":
        cols = [c for c in cols if c in fit.md.coef_names]
    if not cols:
        raise ValueError(f"model {fit.name}: none of {list(terms)} is a data column it uses")
    src = fit.md.X if fit.spec.family == "conditional" else fit.rows
    lo, hi, how = {}, {}, []
    for c in cols:
        lo[c], hi[c], h = shift_rule(src[c])
        how.append(f"{c} 0 -> 1" if h == "0->1" else f"{c} {lo[c]:.3g} -> {hi[c]:.3g} ({h.replace('->', ' -> ')})")
    p_lo, p_hi = shifted_probabilities(fit, cols, lo, hi, max_draws)
    return {
        "model": fit.name,
        "columns": ", ".join(cols),
        "shift": "; ".join(how),
        "quantity": _quantity(fit.spec),
        "n_rows": int(len(src)),
        "interval": interval,
        **_summarise(np.asarray(p_lo), np.asarray(p_hi), interval),
    }


def pct(p: float) -> str:
    """A probability as a percentage with sensible digits: 0.0063 -> '0.63%'."""
    if p != p:
        return "NA"
    v = 100 * p
    return f"{v:.2g}%" if v < 1 else f"{v:.1f}%" if v < 10 else f"{v:.0f}%"


def contrast_text(c: dict, label: str = "") -> str:
    """'annual probability of new_defense per year 12% -> 25% (+13 pp [-2, +30]; RR 2.1 [0.8, 4.9])'."""
    if not c or c.get("pp") is None or c["pp"] != c["pp"]:
        return ""
    what = f"{label}: " if label else ""
    return (
        f"{what}{c['quantity']} {pct(c['base'])} -> {pct(c['shifted'])} "
        f"({c['pp']:+.1f} pp [{c['pp_lo']:+.1f}, {c['pp_hi']:+.1f}]; RR {c['rr']:.2g} "
        f"[{c['rr_lo']:.2g}, {c['rr_hi']:.2g}])"
    )
