"""Threat without balancing (the second seed's claim): the recomputed
threat score per year, the threat state's adversaries, and the onsets with
them against a baseline model without the threat terms.

Split from :mod:`.summaries` (which keeps the per-model frames): these are
the numbers of one claim, read by the claims stage.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .summaries import INTERVAL, Fit, _interval, _thinned_idata, predict


def threat_scores(table4: pd.DataFrame) -> pd.DataFrame:
    """Mean Walt-pillar score per year from the recomputed Table 4.

    A pillar coded + counts 1, - counts 0, +/- counts 0.5 (as the recomputed
    table's own conclusion rule). Rows: year, score, n_pillars, conclusion
    (recomputed), printed (the seed's own conclusion that year).
    """
    t = table4.copy()
    t = t[t["year"].notna()]
    t["year"] = t["year"].astype(float).astype(int)
    pillars = t[~t["pillar"].isin(["Conclusion", "Agreement"])]
    val = pillars["computed"].map({"+": 1.0, "-": 0.0, "+/-": 0.5})
    score = val.groupby(pillars["year"]).agg(["mean", "count"]).rename(columns={"mean": "score", "count": "n_pillars"})
    concl = t[t["pillar"] == "Conclusion"].set_index("year")
    score["conclusion"] = concl["computed"].reindex(score.index).astype(str)
    score["printed"] = concl["printed"].reindex(score.index).astype(str) if "printed" in concl else ""
    return score.reset_index()


def threat_years(focal_panel: pd.DataFrame, focal: int, threat_state: int, years) -> list[int]:
    """The years of the seed's puzzle: every year within ``years`` (the
    claim's window, e.g. Moura's 1954-1969) in which the focal state has a
    dyad with the threat state. Not only the years the two are strategic
    rivals: the second seed codes China a threat to the USSR in 1954 and
    1957, before the rivalry data's first year (1958)."""
    d = focal_panel[(focal_panel["ccode1"] == focal) & (focal_panel["ccode2"] == threat_state)]
    d = d[d["year"].between(int(years[0]), int(years[1]))]
    return sorted(int(y) for y in d["year"].unique())


def threat_adversaries(threat_panel: pd.DataFrame, threat_state: int) -> pd.DataFrame:
    """(ccode2, year) of states in conflict with the threat state that year:
    a MID with it in the panel's prior window, or a TSS strategic rivalry."""
    d = threat_panel[threat_panel["ccode1"] == threat_state]
    d = d[(d["mid_prior"] == 1) | (d["tss_rival"] == 1)]
    return d[["ccode2", "year"]].drop_duplicates()


def balancing_numbers(
    fit: Fit,
    threat_panel: pd.DataFrame,
    focal: int,
    threat_state: int,
    years,
    multilateral_min: int = 5,
    max_draws: int = 1000,
    interval: float = INTERVAL,
    seed: int = 0,
    renewals: pd.DataFrame | None = None,
    with_threat: Fit | None = None,
) -> dict:
    """Did the focal state balance the threat state by allying with its adversaries?

    ``fit``: a baseline onset model WITHOUT the threat terms (so that what
    the threat explains is not already in the prediction). In the years of
    the claim's window (:func:`threat_years`), among the baseline's at-risk
    dyad-years with the threat state's adversaries (:func:`threat_adversaries`):

    - the focal state-years whose onsets of the outcome's type number at
      least ``multilateral_min`` (a multilateral conference: the 1962 Laos
      neutrality signatories, Helsinki 1975) are left out: signing a
      conference's declaration is no balancing move;
    - an onset is *new* when no ATOP obligation of any type was in force
      with the partner the year before, *deepening* when one was (a new or
      stronger obligation with an existing partner); both count;
    - observed onsets against the baseline's posterior predictive for those
      same dyad-years, and the raw rate against every other partner's
      (Jeffreys posteriors).

    ``renewals``: case-file alignments with adversaries on top of an
    obligation of the same type already in force (the 1966 treaty with
    Mongolia), which ATOP's dyad-years cannot show; listed, not counted.

    ``with_threat``: the baseline's full model (with the threat terms): its
    posterior predictive for the same dyad-years (``expected_adv_with``,
    ``rep_adv_with_lo``/``_hi``, ``p_rep_le_obs_with``) says what the focal
    state's usual response to threat would have produced. Shown beside the
    baseline, not part of the verdict: fewer onsets than it predicts is the
    puzzle (a threat met without the balancing the model expects), not
    balancing."""
    rows = fit.rows
    yrs = threat_years(fit.frame, focal, threat_state, years)
    rows = rows[rows["year"].isin(yrs) & (rows["ccode2"] != threat_state)]
    outcome = fit.spec.outcome
    size_col = "decision_size_" + outcome.removeprefix("atop_").removesuffix("_onset")
    multi_years = (
        sorted(
            int(y)
            for y in rows.loc[rows.get(size_col, pd.Series(0, index=rows.index)) >= multilateral_min, "year"].unique()
        )
        if size_col in rows.columns
        else []
    )
    y = pd.Series(np.asarray(fit.md.y), index=fit.md.rows).loc[rows.index].to_numpy()
    adv = threat_adversaries(threat_panel, threat_state)
    key = set(zip(adv["ccode2"].astype(int), adv["year"].astype(int)))
    is_adv = np.array([(int(c), int(t)) in key for c, t in zip(rows["ccode2"], rows["year"])], dtype=bool)
    multi = rows["year"].isin(multi_years).to_numpy()
    excluded_onsets = int(y[is_adv & multi].sum())
    keep = ~multi
    rows, y, is_adv = rows[keep], y[keep], is_adv[keep]
    deepening = (
        (rows["atop_any_onset"].to_numpy() != 1) & (y == 1) if "atop_any_onset" in rows else np.zeros(len(y), bool)
    )
    ev = rows[is_adv & (y == 1)]
    out = {
        "model": fit.name,
        "fit_status": fit.status,
        "focal": focal,
        "threat_state": threat_state,
        "years": f"{yrs[0]}-{yrs[-1]}" if yrs else "",
        "n_threat_years": len(yrs),
        "multilateral_years": ", ".join(map(str, multi_years)),
        "multilateral_onsets_excluded": excluded_onsets,
        "n_adv": int(is_adv.sum()),
        "onsets_adv": int(y[is_adv].sum()),
        "onsets_adv_new": int((y[is_adv] == 1).sum() - deepening[is_adv].sum()),
        "onsets_adv_deepening": int(deepening[is_adv].sum()),
        "adv_partners": ", ".join(f"{int(c)} {int(t)}" for c, t in zip(ev["ccode2"], ev["year"])),
        "decisions_adv": int(ev["year"].nunique()),
        "n_other": int((~is_adv).sum()),
        "onsets_other": int(y[~is_adv].sum()),
        "interval": interval,
        "renewals_not_in_atop": ""
        if renewals is None or renewals.empty
        else ", ".join(f"{r.case_id} ({int(r.ccode2)}, {int(r.year)})" for r in renewals.itertuples()),
    }
    rng = np.random.default_rng(seed)
    base = _predictive_count(fit, rows[is_adv], out["onsets_adv"], max_draws, interval, rng)
    out.update(
        {
            "expected_adv_mean": base["expected"],
            "rep_adv_lo": base["lo"],
            "rep_adv_hi": base["hi"],
            "p_rep_ge_obs": base["p_ge"],
            "p_rep_le_obs": base["p_le"],
            "draws": base["draws"],
        }
    )
    out.update(_with_threat(with_threat, rows[is_adv], out["onsets_adv"], max_draws, interval, rng))
    ra = rng.beta(out["onsets_adv"] + 0.5, out["n_adv"] - out["onsets_adv"] + 0.5, 20000)
    ro = rng.beta(out["onsets_other"] + 0.5, out["n_other"] - out["onsets_other"] + 0.5, 20000)
    out.update(
        {
            "rate_adv": out["onsets_adv"] / max(out["n_adv"], 1),
            "rate_other": out["onsets_other"] / max(out["n_other"], 1),
            "p_rate_adv_gt_other": float((ra > ro).mean()),
        }
    )
    return out


def _predictive_count(fit: Fit | None, rows: pd.DataFrame, observed: int, max_draws: int, interval: float, rng) -> dict:
    """A fit's posterior predictive count of events on ``rows``: its mean
    (expected), the replicated count's interval (lo, hi), P(rep >= observed),
    P(rep <= observed) and the draws used; NaN (0 draws) without a fit or rows."""
    nan = float("nan")
    if fit is None or not len(rows):
        return {"expected": nan, "lo": nan, "hi": nan, "p_ge": nan, "p_le": nan, "draws": 0}
    p = predict(fit, rows, _thinned_idata(fit.idata, max_draws))
    rep = (rng.random(p.shape) < p).sum(axis=1)
    lo, hi = _interval(rep, interval)
    return {
        "expected": float(p.sum(axis=1).mean()),
        "lo": float(lo),
        "hi": float(hi),
        "p_ge": float((rep >= observed).mean()),
        "p_le": float((rep <= observed).mean()),
        "draws": int(p.shape[0]),
    }


def _with_threat(fit: Fit | None, rows: pd.DataFrame, observed: int, max_draws: int, interval: float, rng) -> dict:
    """The full model's posterior predictive count for ``rows`` (NaN
    without a fit or rows)."""
    c = _predictive_count(fit, rows, observed, max_draws, interval, rng)
    return {
        "with_threat_model": fit.name if fit is not None else "",
        "with_threat_status": fit.status if fit is not None else "",
        "expected_adv_with": c["expected"],
        "rep_adv_with_lo": c["lo"],
        "rep_adv_with_hi": c["hi"],
        "p_rep_le_obs_with": c["p_le"],
    }


def alignment_renewals(cases: pd.DataFrame, focal: int, years) -> pd.DataFrame:
    """Case-file alignments of the focal state in ``years`` made on top of a
    defence pledge already in force (a renewal or deepening ATOP's dyad-years
    cannot show, such as the 1966 treaty with Mongolia): case_id, ccode2, year."""
    c = cases[(cases["ccode1"] == focal) & (cases["event"] == "formed") & cases["year"].between(*years)]
    if "atop_defense" in c:
        c = c[c["atop_defense"] == 1]
    return c[["case_id", "ccode2", "year"]].reset_index(drop=True)
