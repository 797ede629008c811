"""Out-of-sample scores with honest baselines and decision-level uncertainty.

Pure functions on a holdout frame (no I/O, no plotting). The frame has one row
per held-out observation with

* ``observed``: the outcome, 0 or 1;
* ``p_mean``: the posterior mean predicted probability;
* a cluster column naming the *decision*, the unit that is resampled whole
  (default ``decision_year``). In a dyad-year panel one decision is a focal
  state's year (:func:`decision_ids` builds ``ccode1 * 10000 + year``): a
  multilateral treaty makes many dyad-row events that are one choice, so the
  rows are not independent and the uncertainty must be counted in decisions;
* ``train_base_rate`` (optional): the training period's event rate, a constant
  column.

:func:`score_holdout` gives point scores (Brier, log score, AUC, expected vs
observed events, calibration intercept and slope), two labelled constant
baselines (the test period's own rate, an oracle, and the training rate),
skill against each, and percentile intervals from a cluster bootstrap.
:func:`calibration_table` bins the predictions; :func:`reading` turns the
scores into one English sentence by the rules in its docstring.

Reused from :mod:`.summaries`: ``_jeffreys`` (the interval for a binomial rate),
``_q`` (interval -> quantiles) and ``auc`` (Mann-Whitney with midranks).
:func:`calibration_table` supersedes ``summaries.calibration_bins``, whose
equal-count split can put rows with the same prediction into different bins.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd

from .summaries import INTERVAL, _jeffreys, _q

EPS = 1e-12
MIN_CLUSTERS = 5  # fewer decisions with an event than this: "too few decisions to tell"

# Scores that get a bootstrap interval (keys of score_holdout's dict).
BOOT_METRICS = (
    "auc",
    "brier",
    "log_score",
    "brier_skill_test_rate",
    "log_skill_test_rate",
    "brier_skill_train_rate",
    "log_skill_train_rate",
    "expected_observed",
    "calibration_slope",
    "calibration_intercept",
)


# --------------------------------------------------------------------------
# clusters


def decision_ids(df: pd.DataFrame, state: str = "ccode1", year: str = "year") -> pd.Series:
    """One id per focal state-year, ``state * 10000 + year``: the decision
    unit of a dyad-year panel (every onset of one state in one year)."""
    return (df[state].astype("int64") * 10000 + df[year].astype("int64")).rename("decision_year")


def _cluster_codes(clusters) -> np.ndarray:
    codes, _ = pd.factorize(pd.Series(np.asarray(clusters)), sort=True)
    if (codes < 0).any():
        raise ValueError("the cluster column has missing values: every row needs a decision id")
    return codes


def cluster_bootstrap_indices(clusters, n_boot: int, seed: int = 0) -> Iterator[np.ndarray]:
    """Row positions of ``n_boot`` cluster-bootstrap resamples.

    Each resample draws as many clusters as there are distinct values of
    ``clusters``, uniformly with replacement, and takes every row of each
    drawn cluster (a cluster drawn twice contributes its rows twice). The
    draws come from ``numpy.random.default_rng(seed)``, so the same seed and
    the same clusters give the same resamples.
    """
    codes = _cluster_codes(clusters)
    k = int(codes.max()) + 1 if len(codes) else 0
    if k == 0:
        return
    order = np.argsort(codes, kind="stable")
    sizes = np.bincount(codes, minlength=k)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    rng = np.random.default_rng(seed)
    for _ in range(int(n_boot)):
        draw = rng.integers(0, k, size=k)
        lens = sizes[draw]
        ends = np.cumsum(lens)
        # for each drawn cluster c: starts[c] + 0 .. sizes[c]-1, laid end to end
        offsets = np.repeat(starts[draw] - (ends - lens), lens) + np.arange(ends[-1])
        yield order[offsets]


# --------------------------------------------------------------------------
# scores


def _logit(p: np.ndarray, eps: float) -> np.ndarray:
    p = np.clip(p, eps, 1 - eps)
    return np.log(p) - np.log1p(-p)


def _log_score(p: np.ndarray, y: np.ndarray, eps: float) -> float:
    p = np.clip(p, eps, 1 - eps)
    return float(np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)))


def _skill(score: float, base: float) -> float:
    """1 - score / base; NaN where the baseline scores 0 (nothing to beat)."""
    if not np.isfinite(base) or base == 0:
        return float("nan")
    return float(1 - score / base)


def calibration_fit(p, y, eps: float = EPS, start: dict | None = None) -> dict:
    """Logistic recalibration of predictions ``p`` against outcomes ``y``.

    * slope: ``b`` in ``logit P(y=1) = a + b * logit(p)`` (1: the spread of
      the predictions is right; < 1: too extreme, overconfident; > 1: too
      timid);
    * intercept: calibration in the large, ``a`` in
      ``logit P(y=1) = a + offset(logit(p))`` (0: the right level; < 0:
      predictions too high; > 0: too low) -- Van Calster et al. (2019),
      Steyerberg (2019).

    Fitted by statsmodels' binomial GLM, p clipped to [eps, 1 - eps]. A
    value that cannot be estimated is NaN and its note says why: no events,
    no non-events, predictions that do not vary, perfect separation (every
    event predicted above, or below, every non-event: the slope's maximum
    likelihood is infinite) or a fit that did not converge. ``start``:
    starting values {"slope": (a, b), "intercept": a} (the bootstrap starts
    from the point estimates).
    """
    import statsmodels.api as smapi  # heavy (statsmodels): only the calibration fit needs it

    p, y = np.asarray(p, float), np.asarray(y, float)
    out = {
        "calibration_slope": float("nan"),
        "calibration_intercept": float("nan"),
        "calibration_slope_note": "",
        "calibration_intercept_note": "",
    }
    k, n = y.sum(), len(y)
    if k == 0 or k == n:
        note = "no events" if k == 0 else "no non-events"
        out["calibration_slope_note"] = out["calibration_intercept_note"] = note
        return out
    x = _logit(p, eps)
    x0, x1 = x[y == 0], x[y == 1]
    start = start or {}
    family = smapi.families.Binomial()

    def fit(exog, offset, sp):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                r = smapi.GLM(y, exog, family=family, offset=offset).fit(start_params=sp)
            except Exception as e:  # noqa: BLE001 - any failure is "not estimable"
                return None, f"fit failed ({type(e).__name__})"
        if not r.converged or not np.all(np.isfinite(r.params)):
            return None, "fit did not converge"
        return np.asarray(r.params, float), ""

    # calibration in the large: one parameter, estimable when both outcomes occur
    sp = start.get("intercept")
    params, note = fit(np.ones((n, 1)), x, None if sp is None or not np.isfinite(sp) else [sp])
    out["calibration_intercept"] = float(params[0]) if params is not None else float("nan")
    out["calibration_intercept_note"] = note

    if np.ptp(x) == 0:
        out["calibration_slope_note"] = "predictions do not vary"
    elif x0.max() <= x1.min() or x1.max() <= x0.min():
        out["calibration_slope_note"] = "perfect separation"
    else:
        sp = start.get("slope")
        sp = None if sp is None or not np.all(np.isfinite(sp)) else list(sp)
        params, note = fit(np.column_stack([np.ones(n), x]), None, sp)
        out["calibration_slope"] = float(params[1]) if params is not None else float("nan")
        out["calibration_slope_note"] = note
        if params is not None:
            out["_slope_params"] = (float(params[0]), float(params[1]))
    return out


def _scores(
    p: np.ndarray, y: np.ndarray, b: np.ndarray, eps: float, calibration: bool = True, start: dict | None = None
) -> dict:
    """Every point score of one set of rows (also each bootstrap resample)."""
    n, k = len(y), float(y.sum())
    rate = k / n
    expected = float(p.sum())
    brier = float(np.mean((p - y) ** 2))
    ls = _log_score(p, y, eps)
    # the test period's own rate: Brier r(1-r), log score r log r + (1-r) log(1-r)
    brier_test = float(np.mean((rate - y) ** 2))
    ls_test = _log_score(np.full(n, rate), y, eps) if 0 < k < n else float("nan")
    brier_train = float(np.mean((b - y) ** 2))
    ls_train = _log_score(b, y, eps)
    out = {
        "events": int(k),
        "expected": expected,
        "expected_observed": expected / k if k > 0 else float("inf"),
        "observed_expected": k / expected if expected > 0 else float("nan"),
        "test_base_rate": rate,
        "train_base_rate": float(np.mean(b)),
        "brier": brier,
        "log_score": ls,
        "auc": auc(p, y),
        "brier_test_rate": brier_test,
        "log_score_test_rate": ls_test,
        "brier_train_rate": brier_train,
        "log_score_train_rate": ls_train,
        "brier_skill_test_rate": _skill(brier, brier_test) if 0 < k < n else float("nan"),
        "log_skill_test_rate": _skill(ls, ls_test),
        "brier_skill_train_rate": _skill(brier, brier_train),
        "log_skill_train_rate": _skill(ls, ls_train),
    }
    if calibration:
        out.update(calibration_fit(p, y, eps, start))
    return out


def score_holdout(
    df: pd.DataFrame,
    cluster: str = "decision_year",
    n_boot: int = 2000,
    seed: int = 0,
    interval: float = INTERVAL,
    eps: float = EPS,
) -> dict:
    """Out-of-sample scores of one model with cluster-bootstrap intervals.

    ``df``: one row per held-out observation with ``observed`` (0/1),
    ``p_mean`` (predicted probability), the ``cluster`` column (rows with
    the same value are one decision and are resampled together) and
    optionally ``train_base_rate``. Returns a flat dict:

    * ``n``, ``clusters`` (distinct decisions), ``events``,
      ``event_clusters`` (decisions with at least one event), ``expected``
      (sum of p_mean), ``expected_observed`` (E/O; > 1 over-predicts, inf
      without events) and ``observed_expected``;
    * ``brier`` (mean squared error, lower is better), ``log_score`` (mean
      log predictive probability of what happened, p clipped to
      [eps, 1 - eps]; higher is better, 0 is perfect) and ``auc``
      (Mann-Whitney with midranks for ties; NaN with one class only);
    * two constant baselines, each with its Brier and log score:
      ``*_test_rate``: every row predicted at ``test_base_rate``, the
      observed rate of these very rows. It is an *oracle* -- not available
      at forecast time -- and the hardest constant to beat (it minimises
      both scores among constants); ``*_train_rate``: every row predicted at
      its ``train_base_rate`` (the training period's rate; NaN when the
      column is absent);
    * skill against each: ``brier_skill_*`` = 1 - brier / brier_baseline
      and ``log_skill_*`` = 1 - log_score / log_score_baseline (> 0: better
      than the baseline; NaN when the baseline is perfect, i.e. no events or
      no non-events);
    * ``calibration_slope`` and ``calibration_intercept`` with notes (see
      :func:`calibration_fit`);
    * for each score in :data:`BOOT_METRICS`: ``<score>_lo``/``<score>_hi``,
      the percentile interval (``interval``, default 90%) over the cluster
      bootstrap resamples where the score is defined, and
      ``<score>_boot_n``, how many resamples that was; ``boot_no_event``
      counts the resamples with no event at all (AUC, E/O, skill against the
      test rate and calibration undefined). ``n_boot=0`` skips the
      bootstrap (intervals NaN). Reproducible from ``seed`` (see
      :func:`cluster_bootstrap_indices`).
    """
    missing = [c for c in ("observed", "p_mean", cluster) if c not in df.columns]
    if missing:
        raise ValueError(f"holdout frame lacks column(s) {missing}")
    if len(df) == 0:
        raise ValueError("holdout frame has no rows")
    y = df["observed"].to_numpy(float)
    p = df["p_mean"].to_numpy(float)
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("'observed' must be 0 or 1")
    if not (np.isfinite(p).all() and (p >= 0).all() and (p <= 1).all()):
        raise ValueError("'p_mean' must be probabilities in [0, 1]")
    b = df["train_base_rate"].to_numpy(float) if "train_base_rate" in df.columns else np.full(len(df), np.nan)
    codes = _cluster_codes(df[cluster])

    out = {
        "cluster": cluster,
        "n": len(y),
        "clusters": int(codes.max()) + 1,
        "event_clusters": int(len(np.unique(codes[y == 1]))),
    }
    point = _scores(p, y, b, eps)
    start = {"intercept": point["calibration_intercept"], "slope": point.pop("_slope_params", None)}
    out.update(point)

    lo_q, hi_q = _q(interval)
    draws = {m: [] for m in BOOT_METRICS}
    no_event = 0
    for idx in cluster_bootstrap_indices(codes, n_boot, seed):
        yb = y[idx]
        s = _scores(p[idx], yb, b[idx], eps, start=start)
        no_event += int(yb.sum() == 0)
        for m in BOOT_METRICS:
            draws[m].append(s[m])
    for m in BOOT_METRICS:
        v = np.asarray(draws[m], float)
        v = v[np.isfinite(v)]
        out[f"{m}_lo"], out[f"{m}_hi"] = (
            (float(np.quantile(v, lo_q)), float(np.quantile(v, hi_q))) if len(v) else (float("nan"), float("nan"))
        )
        out[f"{m}_boot_n"] = int(len(v))
    out.update({"n_boot": int(n_boot), "seed": int(seed), "interval": float(interval), "boot_no_event": no_event})
    return out


# --------------------------------------------------------------------------
# calibration table


def calibration_table(df: pd.DataFrame, bins: int = 10, interval: float = INTERVAL) -> pd.DataFrame:
    """Rows binned by predicted probability: count, events, mean prediction,
    observed rate and its Jeffreys interval.

    Bin edges are the 0, 1/bins, ..., 1 quantiles of ``p_mean``; repeated
    edges are merged (many rows with one prediction make one bin, never
    split across two) and bins left empty are dropped, so there can be fewer
    than ``bins``. Bins are [edge_i, edge_i+1), the last one closed.
    Columns: bin, n, events, p_mean, observed_rate, rate_lo, rate_hi,
    p_min, p_max (those of ``summaries.calibration_bins``).
    """
    cols = ["bin", "n", "events", "p_mean", "observed_rate", "rate_lo", "rate_hi", "p_min", "p_max"]
    p = df["p_mean"].to_numpy(float)
    y = df["observed"].to_numpy(float)
    if len(p) == 0:
        return pd.DataFrame(columns=cols)
    edges = np.unique(np.quantile(p, np.linspace(0, 1, max(int(bins), 1) + 1)))
    which = np.searchsorted(edges[1:-1], p, side="right")
    rows = []
    for j in np.unique(which):
        g = which == j
        k, n = y[g].sum(), int(g.sum())
        lo, hi = _jeffreys(k, n, interval)
        rows.append(
            {
                "bin": len(rows) + 1,
                "n": n,
                "events": int(k),
                "p_mean": float(p[g].mean()),
                "observed_rate": k / n,
                "rate_lo": float(lo),
                "rate_hi": float(hi),
                "p_min": float(p[g].min()),
                "p_max": float(p[g].max()),
            }
        )
    return pd.DataFrame(rows, columns=cols)


# --------------------------------------------------------------------------
# reading


def _num(x: float) -> str:
    """Two significant figures, no exponent for the usual sizes."""
    if not np.isfinite(x):
        return "n/a"
    return f"{x:.2g}" if abs(x) < 100 else f"{x:.0f}"


def _iv(s: dict, m: str, fmt=_num) -> str:
    lo, hi = s.get(f"{m}_lo", float("nan")), s.get(f"{m}_hi", float("nan"))
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "no interval"
    return f"{fmt(lo)} to {fmt(hi)}"


def _side(s: dict, m: str, ref: float) -> str | None:
    """'above'/'below' when the interval of ``m`` excludes ``ref``, 'within'
    when it contains it, None without an interval."""
    lo, hi = s.get(f"{m}_lo", float("nan")), s.get(f"{m}_hi", float("nan"))
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return None
    return "above" if lo > ref else "below" if hi < ref else "within"


def reading(scores: dict, name: str) -> str:
    """One English sentence saying what the scores of model ``name`` support.

    Rules, in order (``pct`` is the interval, e.g. 90%):

    1. No held-out event: "{name}: no held-out events, so neither ranking
       nor calibration can be scored (it expected E events)."
    2. Events from fewer than :data:`MIN_CLUSTERS` (5) decisions
       (``event_clusters``): "{name}: too few decisions to tell: the O
       held-out events come from only c decision(s) (fewer than 5), so
       neither ranking nor calibration can be judged; as point estimates it
       expected E events (E/O x observed), AUC a and log-score skill s
       against the test period's own rate." No interval is read.
    3. Otherwise three clauses joined by "; ":

       * ranking, from the AUC interval: lower end > 0.5 "ranks events above
         non-events better than chance"; upper end < 0.5 "ranks worse than
         chance"; else "does not rank better than chance (the AUC interval
         includes 0.5)"; AUC undefined: "ranking cannot be scored";
       * calibration in the large, from the expected/observed interval:
         contains 1 "is calibrated in the large"; lower end > 1
         "over-predicts, expecting E events against O (Rx)"; upper end < 1
         "under-predicts, ...";
       * log score against the test period's own (oracle) base rate, from
         the interval of ``log_skill_test_rate``: lower end > 0 "beats the
         test period's own base rate in log score"; upper end < 0 "scores
         worse than the test period's own base rate in log score"; else "is
         not distinguishable from the test period's own base rate in log
         score".

       Each clause carries its point estimate and interval. Without an
       interval (``n_boot=0``) a clause says "cannot tell whether ... (no
       interval)".
    """
    s = scores
    pct = f"{100 * s.get('interval', INTERVAL):.0f}%"
    O, E, c = int(s["events"]), float(s["expected"]), int(s["event_clusters"])
    if O == 0:
        return (
            f"{name}: no held-out events, so neither ranking nor calibration can be scored "
            f"(it expected {_num(E)} events)."
        )
    if c < MIN_CLUSTERS:
        dec = "decision" if c == 1 else "decisions"
        return (
            f"{name}: too few decisions to tell: the {O} held-out events come from only {c} {dec} "
            f"(fewer than {MIN_CLUSTERS}), so neither ranking nor calibration can be judged; as point "
            f"estimates it expected {_num(E)} events ({_num(s['expected_observed'])}x observed), "
            f"AUC {_num(s['auc'])} and log-score skill {_num(s['log_skill_test_rate'])} "
            f"against the test period's own rate."
        )

    a = f"AUC {_num(s['auc'])}, {pct} {_iv(s, 'auc')}"
    side = _side(s, "auc", 0.5)
    if not np.isfinite(s["auc"]):
        rank = "ranking cannot be scored (one outcome class only)"
    elif side is None:
        rank = f"cannot tell whether it ranks better than chance (no interval; {a})"
    elif side == "above":
        rank = f"ranks events above non-events better than chance ({a})"
    elif side == "below":
        rank = f"ranks worse than chance ({a})"
    else:
        rank = f"does not rank better than chance (the AUC interval includes 0.5: {a})"

    r = s["expected_observed"]
    e = f"expected/observed {_num(r)}, {pct} {_iv(s, 'expected_observed')}"
    side = _side(s, "expected_observed", 1.0)
    if side is None:
        cal = f"cannot tell whether it is calibrated in the large (no interval; {e})"
    elif side == "within":
        cal = f"is calibrated in the large ({e})"
    else:
        word = "over-predicts" if side == "above" else "under-predicts"
        cal = f"{word}, expecting {_num(E)} events against {O} observed ({e})"

    k = f"skill {_num(s['log_skill_test_rate'])}, {pct} {_iv(s, 'log_skill_test_rate')}"
    side = _side(s, "log_skill_test_rate", 0.0)
    if side is None:
        ls = f"cannot tell whether it beats the test period's own base rate in log score (no interval; {k})"
    elif side == "above":
        ls = f"beats the test period's own base rate in log score ({k})"
    elif side == "below":
        ls = f"scores worse than the test period's own base rate in log score ({k})"
    else:
        ls = f"is not distinguishable from the test period's own base rate in log score ({k})"
    return f"{name}: {rank}; {cal}; {ls}."


# --------------------------------------------------------------------------
# a forecast's partners and verdict


def partner_errors(df: pd.DataFrame, names: dict | None = None, k: int = 5) -> pd.DataFrame:
    """The partners a forecast most over- and under-predicts: per partner
    (``ccode2``), observed onsets, expected (sum of p_mean) and observed
    minus expected; the ``k`` most over-predicted (most negative) and the
    ``k`` most under-predicted (most positive)."""
    g = (
        df.groupby("ccode2")
        .agg(rows=("observed", "size"), observed=("observed", "sum"), expected=("p_mean", "sum"))
        .reset_index()
    )
    g["observed_minus_expected"] = g["observed"] - g["expected"]
    g["partner"] = [names.get(int(c), str(int(c))) if names else str(int(c)) for c in g["ccode2"]]
    over = g.nsmallest(k, "observed_minus_expected").assign(side="over-predicted")
    under = g[g["observed_minus_expected"] > 0].nlargest(k, "observed_minus_expected").assign(side="under-predicted")
    cols = ["side", "ccode2", "partner", "rows", "observed", "expected", "observed_minus_expected"]
    return pd.concat([over, under], ignore_index=True)[cols]


def against_null(
    full: pd.DataFrame,
    null: pd.DataFrame,
    cluster: str = "decision",
    n_boot: int = 1000,
    seed: int = 0,
    interval: float = INTERVAL,
    eps: float = EPS,
) -> dict:
    """Does a forecast beat the same model without the framework's variables?

    ``full`` and ``null``: holdout frames (``observed``, ``p_mean``, the
    ``cluster`` column and keys ccode1/ccode2/year where present), compared
    on the rows both predict. The log-score difference per row (full minus
    null; > 0: the framework adds out-of-sample skill), summed over rows and
    divided by the rows (the mean difference), with a paired cluster
    bootstrap over decisions (both models resampled together). Also the
    Brier difference (null minus full; > 0 favours the framework)."""
    keys = [c for c in ("ccode1", "ccode2", "year") if c in full.columns and c in null.columns]
    m = full.merge(null[[*keys, "p_mean", "observed"]], on=keys, suffixes=("", "_null"))
    if m.empty:
        return {"null_rows": 0}
    if not (m["observed"] == m["observed_null"]).all():
        raise ValueError("the forecast and its null disagree on what happened in the same rows")
    y = m["observed"].to_numpy(float)
    pf = np.clip(m["p_mean"].to_numpy(float), eps, 1 - eps)
    pn = np.clip(m["p_mean_null"].to_numpy(float), eps, 1 - eps)
    d_log = y * (np.log(pf) - np.log(pn)) + (1 - y) * (np.log1p(-pf) - np.log1p(-pn))
    d_brier = (pn - y) ** 2 - (pf - y) ** 2
    codes = _cluster_codes(m[cluster] if cluster in m else m["year"])
    boot_log, boot_brier = [], []
    for idx in cluster_bootstrap_indices(codes, n_boot, seed):
        boot_log.append(d_log[idx].mean())
        boot_brier.append(d_brier[idx].mean())
    lo_q, hi_q = _q(interval)

    def iv(v):
        v = np.asarray(v, float)
        return (float(np.quantile(v, lo_q)), float(np.quantile(v, hi_q))) if len(v) else (np.nan, np.nan)

    out = {
        "null_rows": int(len(m)),
        "null_log_score": float(np.mean(y * np.log(pn) + (1 - y) * np.log1p(-pn))),
        "log_gain_vs_null": float(d_log.mean()),
        "brier_gain_vs_null": float(d_brier.mean()),
    }
    out["log_gain_vs_null_lo"], out["log_gain_vs_null_hi"] = iv(boot_log)
    out["brier_gain_vs_null_lo"], out["brier_gain_vs_null_hi"] = iv(boot_brier)
    return out


def carries_over(scores: dict) -> str:
    """Does a framework fitted on one period carry over to another? With a
    null declared (the same model without the framework's variables,
    :func:`against_null`): "supported" only when the framework's forecast
    beats the null's out of sample (the decision-bootstrap interval of the
    log-score gain above 0). Without one: when the forecast ranks better than
    chance (AUC interval above 0.5) and is calibrated in the large
    (expected/observed interval contains 1). "too few decisions to tell"
    when the held-out events come from fewer than MIN_CLUSTERS decisions;
    else "not supported", with why."""
    if int(scores["events"]) == 0 or int(scores["event_clusters"]) < MIN_CLUSTERS:
        return "too few decisions to tell"
    gain = scores.get("log_gain_vs_null")
    if gain is not None and gain == gain:
        lo, hi = scores["log_gain_vs_null_lo"], scores["log_gain_vs_null_hi"]
        if lo > 0:
            return "supported"
        if hi < 0:
            return "not supported (the framework's variables make the forecast worse than the null's)"
        # the gain's interval includes 0: skill is not established (not shown absent)
        return "not supported (skill over the same model without disparity and threat not established)"
    ranks = _side(scores, "auc", 0.5) == "above"
    cal = _side(scores, "expected_observed", 1.0) == "within"
    if ranks and cal:
        return "supported"
    why = [
        w for w, ok in (("does not rank better than chance", ranks), ("is not calibrated in the large", cal)) if not ok
    ]
    return "not supported (" + " and ".join(why) + ")"


def missing_words(s: dict) -> str:
    """The held-out rows listwise deletion left unscored, in words ('' if none)."""
    n = s.get("holdout_rows_missing")
    if not n:
        return ""
    return (
        f" Not scored: {int(n)} held-out rows with a missing covariate ({int(s['holdout_events_missing'])} with an "
        f"event; {s['holdout_missing_columns']})."
    )


def ppc_columns(ppc: dict) -> dict:
    """The holdout's count checks (stages.predict_holdout.holdout_ppc) as
    flat score columns: observed events and decisions with an event, and the
    median and interval of each under the population-level prediction and
    under new decision and partner effects."""
    out = {}
    miss = (ppc or {}).get("missing")
    if miss:
        out["holdout_rows_missing"] = miss["rows"]
        out["holdout_events_missing"] = miss["events"]
        out["holdout_missing_columns"] = ", ".join(f"{c}: {n}" for c, n in miss["by_column"].items())
    if not ppc or "observed" not in ppc:
        return out
    for stat, short in (("events", "events"), ("decisions_with_event", "decisions_ev")):
        out[f"ppc_{short}_obs"] = ppc["observed"][stat]
        for pred in ("population", "new_levels"):
            d = ppc.get(pred, {}).get(stat, {})
            for k in ("median", "lo", "hi", "p_rep_ge_obs"):
                out[f"ppc_{short}_{pred}_{k}"] = d.get(k, float("nan"))
    return out


def score_models(
    holdouts: list[dict], names: dict | None = None, n_boot: int = 1000, seed: int = 0, nulls: dict | None = None
) -> dict:
    """Every holdout model scored: ``holdouts`` holds dicts with name,
    frame (its holdout.csv), status (the fit's gate), description and ppc
    (its count checks, or None). ``nulls``: model -> the holdout model it is
    tested against (:func:`against_null`). Returns frames scores (one row per
    model: :func:`score_holdout`, the gain over its null, the count checks,
    the sentence of :func:`reading`, :func:`carries_over`), worst (the
    worst-predicted rows), calibration (:func:`calibration_table` per model)
    and partners (:func:`partner_errors` per model)."""
    frames = {h["name"]: h["frame"] for h in holdouts}
    null_of = {n: m for m, n in (nulls or {}).items()}
    scores, worst, bins, partners = [], [], [], []
    for h in holdouts:
        df, name = h["frame"], h["name"]
        if "p_mean" not in df:
            continue
        cluster = "decision" if "decision" in df else "year"
        s = score_holdout(df, cluster=cluster, n_boot=n_boot, seed=seed)
        null = (nulls or {}).get(name)
        if null and null in frames and "p_mean" in frames[null]:
            s.update({"null_model": null, **against_null(df, frames[null], cluster, n_boot, seed)})
        s.update(ppc_columns(h.get("ppc") or {}))
        s = {
            "model": name,
            "fit_status": h["status"],
            **s,
            "reading": reading(s, name) + missing_words(s),
            "carries_over": carries_over(s) if name not in null_of else f"(the null of {null_of[name]})",
            "description": h.get("description", ""),
        }
        if h["status"] != "ok":
            s["reading"] = "FIT FAILED (not a finding): " + s["reading"]
        scores.append(s)
        worst.append(worst_predicted(df, name, names))
        bins.append(calibration_table(df).assign(model=name))
        if "ccode2" in df:
            partners.append(partner_errors(df, names).assign(model=name))

    def cat(frames):
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    cal = cat(bins)
    if len(cal):
        cal = cal[["model", *[c for c in cal.columns if c != "model"]]]
    return {"scores": pd.DataFrame(scores), "worst": cat(worst), "calibration": cal, "partners": cat(partners)}


# --------------------------------------------------------------------------
# ranking and the worst-predicted rows (moved from summaries)


def auc(p: np.ndarray, y: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney, ties counted half)."""
    y = np.asarray(y).astype(bool)
    n1, n0 = int(y.sum()), int((~y).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = pd.Series(p).rank(method="average").to_numpy()
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def worst_predicted(
    holdout: pd.DataFrame, name: str, names: dict | None = None, k: int = 10, eps: float = 1e-12
) -> pd.DataFrame:
    """The ``k`` holdout rows with the largest log loss."""
    h = holdout.copy()
    p = np.clip(h["p_mean"].to_numpy(float), eps, 1 - eps)
    y = h["observed"].to_numpy(float)
    h["log_loss"] = -(y * np.log(p) + (1 - y) * np.log1p(-p))
    h = h.sort_values("log_loss", ascending=False, kind="stable").head(k)
    names = names or {}
    for c in ("ccode1", "ccode2"):
        if c in h:
            h[c.replace("ccode", "state")] = [names.get(int(v), str(v)) for v in h[c]]
    h.insert(0, "model", name)
    return h.reset_index(drop=True)
