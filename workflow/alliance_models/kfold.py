"""K-fold cross-validation by decision: what leaving a block of terms out
costs in out-of-sample prediction, where PSIS-LOO is unreliable.

PSIS-LOO approximates leaving one unit out from a single fit; where the
posterior moves a lot without a unit (Pareto k above 0.7) the approximation
fails. K-fold refits the model K times, each time without one fold of
*decisions* (a treaty's choice set, a focal state's year of onsets: the
spec's ``decisions`` column, else its choice sets, else the row), and scores
the held-out decisions with the posterior of the fit that never saw them
(Vehtari, Gelman & Gabry 2017, section 4.2; Vehtari et al.'s grouped
K-fold for hierarchical data).

A held-out decision's log predictive density is that of all its rows
together, log mean_s prod_i p(y_i | theta_s): the rows of one decision share
its group effects (a decision year's intercept), which the training fit has
never seen, so each posterior draw gets a fresh effect from the population
(``new_levels="sample"``). A conditional logit scores each held-out choice
set as its likelihood does (the chosen rows' weighted log-probabilities
within the set).

The folds are a function of the data table and the rows the model selects
(its subset and eras: its decisions and their outcomes), not of its
formula: a model and its refit without a block are scored on the same
decisions, and each fold holds about as many events as
any other (decisions are dealt to folds in order of their events, ties
broken by a seeded permutation). The comparison is the sum over decisions
of the reduced minus the full model's log predictive density; its standard
error is sqrt(G var(difference)) over the G held-out decisions.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from scipy.special import logsumexp

log = logging.getLogger(__name__)

FOLD_COLUMNS = ["model", "fold", "decision", "n_rows", "n_events", "lpd", "status"]


def decision_key(spec) -> str | None:
    """The column whose values are the independent decisions K-fold leaves
    out together (None: each row is its own)."""
    return spec.decisions or spec.strata or None


def decisions_of(spec, frame: pd.DataFrame) -> pd.Series:
    """Each row's decision label (a string; the row's index where the spec
    names no decision column)."""
    key = decision_key(spec)
    if key is None:
        return pd.Series(frame.index.astype(str), index=frame.index)
    if key not in frame.columns:
        raise ValueError(f"model {spec.name}: K-fold needs the decision column {key!r}, not in the data")
    return frame[key].astype(str)


def assign_folds(decisions: pd.Series, y, k: int, seed: int) -> dict[str, int]:
    """Fold (0..k-1) of each decision: decisions sorted by their number of
    events (most first, ties in a seeded random order) and dealt in turn,
    so every fold holds about as many events as the others."""
    if k < 2:
        raise ValueError(f"K-fold needs at least 2 folds, not {k}")
    d = pd.DataFrame({"decision": decisions.to_numpy(), "y": pd.to_numeric(pd.Series(np.asarray(y)), errors="coerce")})
    events = d.groupby("decision", sort=True)["y"].sum(min_count=1).fillna(0.0)
    if len(events) < k:
        raise ValueError(f"K-fold with {k} folds needs at least {k} decisions, not {len(events)}")
    rng = np.random.default_rng(seed)
    order = pd.DataFrame({"events": events.to_numpy(), "tie": rng.permutation(len(events))}, index=events.index)
    order = order.sort_values(["events", "tie"], ascending=[False, True])
    return {dec: i % k for i, dec in enumerate(order.index)}


def fold_rows(spec, frame: pd.DataFrame, k: int, seed: int) -> pd.Series:
    """The fold of every row of the model's data table, by its decision,
    dealt among the rows the model selects (its subset, eras and holdout;
    a refit without a block selects the same): -1 for the others."""
    from .models.spec import select_rows

    sel = select_rows(spec, frame, "fit")
    dec = decisions_of(spec, sel)
    y = sel[spec.outcome] if spec.outcome in sel.columns else pd.Series(0, index=sel.index)
    folds = assign_folds(dec, y, k, seed)
    return dec.map(folds).astype("int64").reindex(frame.index, fill_value=-1)


def _row_loglik(
    spec, md_train, idata, frame_test: pd.DataFrame, y: np.ndarray, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Log-likelihood draws (S, units) of the held-out rows and each unit's
    position in ``frame_test``'s rows: a row (bernoulli) or a choice set
    (conditional, returned at its first row)."""
    from .models.bayes import posterior_linear_predictor
    from .models.matrix import new_design

    X = new_design(md_train, frame_test)
    groups = {g["by"]: frame_test[g["by"]].astype(str).to_numpy() for g in md_train.groups}
    eta = posterior_linear_predictor(idata, md_train, X, groups, new_levels="sample", seed=seed)
    if spec.family == "bernoulli":
        return y[None, :] * eta - np.logaddexp(0.0, eta), np.arange(len(y))
    if spec.family == "conditional":
        from .models.choice import choice_weights, stratum_codes

        strata, _ = stratum_codes(frame_test[spec.strata])
        w = choice_weights(strata, y, spec.weighting)
        S = int(strata.max()) + 1
        out = np.empty((eta.shape[0], S))
        for s in range(S):
            rows = strata == s
            e = eta[:, rows]
            out[:, s] = ((e - logsumexp(e, axis=1, keepdims=True)) * w[rows]).sum(axis=1)
        first = np.array([np.flatnonzero(strata == s)[0] for s in range(S)])
        return out, first
    raise ValueError(f"model {spec.name}: K-fold scores bernoulli and conditional models, not {spec.family}")


def heldout_lpd(spec, md_train, idata, frame_test: pd.DataFrame, y: np.ndarray, seed: int = 0) -> pd.DataFrame:
    """Log predictive density of each held-out decision under the posterior
    ``idata`` fitted on ``md_train`` (module docstring): columns decision,
    n_rows, n_events, lpd."""
    ll, pos = _row_loglik(spec, md_train, idata, frame_test, np.asarray(y, "float64"), seed)
    dec = decisions_of(spec, frame_test).to_numpy()
    codes, labels = pd.factorize(dec[pos], sort=True)
    summed = np.zeros((ll.shape[0], len(labels)))
    np.add.at(summed.T, codes, ll.T)
    lpd = logsumexp(summed, axis=0) - np.log(ll.shape[0])
    all_codes = pd.Index(labels).get_indexer(dec)
    return pd.DataFrame(
        {
            "decision": labels,
            "n_rows": np.bincount(all_codes, minlength=len(labels)),
            "n_events": np.bincount(all_codes, weights=np.asarray(y, "float64"), minlength=len(labels)),
            "lpd": lpd,
        }
    )


def fit_fold(spec, frame: pd.DataFrame, k: int, fold: int, sampling: dict, seed: int, gate: dict, fold_seed: int):
    """Fit ``spec`` without fold ``fold`` of ``k`` and score the held-out
    decisions: (the fold's frame of FOLD_COLUMNS, the fit's diagnostics).
    The rows scored are the full fit's rows in those decisions."""
    from .models.bayes import fit_until_gate
    from .models.matrix import build_model_data

    folds = fold_rows(spec, frame, k, fold_seed)
    md_all = build_model_data(spec, frame)
    test = pd.Index(md_all.rows)[folds.loc[md_all.rows].to_numpy() == fold]
    if not len(test):
        raise ValueError(f"model {spec.name}: fold {fold} of {k} holds none of the fitted rows")
    md_train = build_model_data(spec, frame.loc[folds != fold])
    idata, diag = fit_until_gate(md_train, sampling, seed + 7919 * (fold + 1), gate)
    y = pd.Series(md_all.y, index=md_all.rows).loc[test].to_numpy()
    out = heldout_lpd(spec, md_train, idata, frame.loc[test], y, seed=seed + fold)
    out.insert(0, "fold", fold)
    out.insert(0, "model", spec.name)
    out["status"] = diag["status"]
    log.info(
        "model %s, fold %d of %d: fitted on %d rows, scored %d held-out decisions (%d rows), fit %s",
        spec.name,
        fold,
        k,
        len(md_train.y),
        len(out),
        len(test),
        diag["status"],
    )
    return out[FOLD_COLUMNS], diag


def kfold_comparison(
    name: str, full: pd.DataFrame, reduced: list[dict], k: int, unit: str = "decisions"
) -> pd.DataFrame:
    """ΔELPD by K-fold when each block is dropped: reduced minus full, summed
    over the held-out decisions both scored (columns as the PSIS-LOO table's
    where they mean the same). ``full``: the full model's fold frames
    concatenated; ``reduced``: dicts with label, name and frame."""
    base = {
        "model": name,
        "method": "K-fold",
        "folds": int(k),
        "elpd_full": float(full["lpd"].sum()),
        "n_decisions": int(len(full)),
        "failed_folds_full": int(full.loc[full["status"] != "ok", "fold"].nunique()),
        "loo_unit": f"{k}-fold cross-validation, one fold of {unit} left out at a time",
    }
    rows = []
    for r in reduced:
        red = r["frame"]
        both = full.merge(red, on="decision", suffixes=("_full", "_red"))
        diff = (both["lpd_red"] - both["lpd_full"]).to_numpy()
        row = dict(
            base,
            dropped=r["label"],
            reduced_model=r["name"],
            elpd_reduced=float(red["lpd"].sum()),
            failed_folds_reduced=int(red.loc[red["status"] != "ok", "fold"].nunique()),
            delta_elpd=float(diff.sum()),
            delta_se=float(np.sqrt(len(diff) * np.var(diff))) if len(diff) > 1 else float("nan"),
        )
        notes = []
        if len(both) != len(full) or len(both) != len(red):
            notes.append(f"compared on the {len(both)} decisions both scored ({len(full)} full, {len(red)} reduced)")
        if row["failed_folds_full"] or row["failed_folds_reduced"]:
            notes.append(
                f"fold fits outside the convergence gate: {row['failed_folds_full']} (full), "
                f"{row['failed_folds_reduced']} (reduced): not a finding"
            )
        row["note"] = "; ".join(notes)
        rows.append(row)
    return pd.DataFrame(rows)
