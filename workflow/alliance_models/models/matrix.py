"""Turn a model spec and a data frame into arrays both estimators share."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import ConfigError
from .spec import ModelSpec, active_measurement, formula_variables, n_decisions, select_rows

logger = logging.getLogger(__name__)

NAMESPACE = {"np": np, "log": np.log, "exp": np.exp, "sqrt": np.sqrt, "abs": np.abs}


@dataclass
class ModelData:
    spec: ModelSpec
    y: np.ndarray  # 0/1 (bernoulli) or category codes 0..K-1
    X: pd.DataFrame  # design on the original scale, with Intercept
    means: pd.Series  # per column (0 for the intercept)
    sds: pd.Series  # per column (1 for the intercept)
    rows: pd.Index  # index labels of the rows used
    n_dropped: int  # rows dropped for missing values
    categories: list = field(default_factory=list)
    groups: list = field(default_factory=list)  # dicts: by, codes, levels, slopes, parameterization
    cluster: np.ndarray | None = None
    rhs: str = ""
    n_decisions: int | None = None  # independent decisions behind the events (spec.decisions)
    measurement: list = field(default_factory=list)  # errors in variables (measurement_terms)
    terms: object = None  # formulae terms of X: new rows are evaluated with them
    strata: np.ndarray | None = None  # conditional family: stratum code 0..S-1 per row
    weights: np.ndarray | None = None  # conditional family: each chosen row's weight (models.choice)
    stratum_labels: list = field(default_factory=list)
    n_strata_dropped: int = 0  # conditional: strata left with no choice to explain

    @property
    def X_std(self) -> pd.DataFrame:
        return (self.X - self.means) / self.sds

    @property
    def coef_names(self) -> list[str]:
        return [c for c in self.X.columns if c != "Intercept"]


def _rhs(spec: ModelSpec) -> str:
    return spec.formula.split("~", 1)[1].strip()


def design(frame: pd.DataFrame, rhs: str, spec_name: str = "", terms=None) -> pd.DataFrame:
    """Evaluate the right-hand side of a formula on ``frame`` (no missing
    values); see :func:`design_terms`."""
    return design_terms(frame, rhs, spec_name, terms)[0]


def design_terms(frame: pd.DataFrame, rhs: str, spec_name: str = "", terms=None):
    """(design, formula terms). With ``terms`` (those of a design built
    before) the rows are evaluated as new data of that design: stateful
    transforms such as ``scale(x)`` keep the mean and sd of the rows they
    were built on, and the columns are the same."""
    from formulae import design_matrices  # heavy (formulae, ~2 s): the Snakefile imports this module

    try:
        if terms is not None:
            X = terms.evaluate_new_data(frame).as_dataframe().astype("float64")
        else:
            tmp = frame.assign(am_placeholder_response=0.0)
            dm = design_matrices(f"am_placeholder_response ~ {rhs}", tmp, na_action="error", extra_namespace=NAMESPACE)
            terms = dm.common
            X = terms.as_dataframe().astype("float64")
    except Exception as exc:
        raise ConfigError(f"model '{spec_name}': field 'formula': cannot evaluate '{rhs}' ({exc})") from None
    X.index = frame.index
    bad = ~np.isfinite(X.to_numpy())
    if bad.any():
        col = X.columns[bad.any(axis=0)][0]
        row = X.index[bad.any(axis=1)][0]
        raise ConfigError(
            f"model '{spec_name}': field 'formula': term '{col}' is not finite at row {row} "
            "(e.g. log of zero or a negative number)"
        )
    return X, terms


def _plain(v):
    """A numpy scalar as the Python value it holds (for messages)."""
    return v.item() if hasattr(v, "item") else v


def needed_columns(spec: ModelSpec, frame_columns) -> list[str]:
    """The columns a row must have to be fitted: the formula's, the outcome,
    groups, cluster, strata, ``complete_on`` and the measurement columns."""
    measured = active_measurement(spec)
    return sorted(
        (
            formula_variables(spec.formula)
            | {spec.outcome}
            | {g["by"] for g in spec.group}
            | ({spec.cluster} if spec.cluster else set())
            | ({spec.strata} if spec.strata else set())
            | set(spec.complete_on)
            | {c for parts in measured.values() for p in parts for c in [p["mean"], p["sd"], *p["unit"]]}
        )
        & set(frame_columns)
    )


def missing_table(spec: ModelSpec, frame: pd.DataFrame, part: str = "fit") -> pd.DataFrame:
    """What listwise deletion costs a model: per needed column with missing
    values, the rows missing it and the events (outcome = 1; for a
    categorical outcome, rows not in the first category) on those rows; then
    a row ``(any column)``: the rows and events dropped in all, of how many;
    for a conditional logit also the choice sets left without a choice."""
    df = select_rows(spec, frame, part)
    needed = needed_columns(spec, frame.columns)
    y = pd.to_numeric(df[spec.outcome], errors="coerce") if spec.outcome in df else pd.Series(np.nan, index=df.index)
    if spec.family == "categorical":
        event = df[spec.outcome].notna() & (
            df[spec.outcome].astype(str) != str(sorted(df[spec.outcome].dropna().astype(str))[0])
        )
    else:
        event = y == 1
    rows = []
    for c in needed:
        miss = df[c].isna()
        if miss.any():
            rows.append({"column": c, "rows_missing": int(miss.sum()), "events_missing": int((miss & event).sum())})
    incomplete = ~df[needed].notna().all(axis=1)
    total = {
        "column": "(any column)",
        "rows_missing": int(incomplete.sum()),
        "events_missing": int((incomplete & event).sum()),
        "rows": len(df),
        "events": int(event.sum()),
    }
    if spec.family == "conditional" and spec.strata in df:
        from .choice import informative_strata, stratum_codes

        kept = df[~incomplete]
        before = df.loc[event, spec.strata].nunique()
        if len(kept):
            codes, _ = stratum_codes(kept[spec.strata])
            ok = informative_strata(codes, pd.to_numeric(kept[spec.outcome], errors="coerce").fillna(0).to_numpy())
            after = kept.loc[ok & (pd.to_numeric(kept[spec.outcome], errors="coerce") == 1).to_numpy(), spec.strata]
            after = after.nunique()
        else:
            after = 0
        total["choice_sets_lost"] = int(before - after)
        total["choice_sets"] = int(before)
    out = pd.DataFrame([*rows, total])
    out.insert(0, "model", spec.name)
    return out


def build_model_data(spec: ModelSpec, frame: pd.DataFrame, part: str = "fit") -> ModelData:
    """Select rows, drop incomplete ones (logged, and tabled by
    :func:`missing_table`), build and standardize X."""
    df = select_rows(spec, frame, part)
    measured = active_measurement(spec)
    needed = needed_columns(spec, frame.columns)
    complete = df[needed].notna().all(axis=1)
    n_dropped = int((~complete).sum())
    if n_dropped:
        counts = df[needed].isna().sum()
        logger.info(
            "model %s: dropping %d of %d rows with missing values (%s)",
            spec.name,
            n_dropped,
            len(df),
            ", ".join(f"{c}: {n}" for c, n in counts[counts > 0].items()),
        )
    df = df[complete]
    n_strata_dropped = 0
    if spec.family == "conditional" and len(df):
        from .choice import informative_strata, stratum_codes

        # a choice set that lost its chosen rows (or all its others) to missing
        # values has nothing left to explain
        codes_all, _ = stratum_codes(df[spec.strata])
        y_all = pd.to_numeric(df[spec.outcome], errors="coerce").fillna(0).to_numpy()
        ok = informative_strata(codes_all, y_all)
        n_strata_dropped = int(len(np.unique(codes_all)) - len(np.unique(codes_all[ok])))
        if n_strata_dropped:
            logger.info(
                "model %s: %d choice set(s) left with no chosen or no unchosen row after missing values; dropped",
                spec.name,
                n_strata_dropped,
            )
        df = df[ok]
    if len(df) == 0:
        raise ConfigError(f"model '{spec.name}': field 'data': no complete rows left after subset and missing values")
    rhs = _rhs(spec)
    X, terms = design_terms(df, rhs, spec.name)
    categories: list = []
    yraw = df[spec.outcome]
    if spec.family in ("bernoulli", "conditional"):
        vals = pd.to_numeric(yraw, errors="coerce")
        if vals.isna().any() or not vals.isin([0, 1]).all():
            off = yraw[~vals.isin([0, 1])]
            raise ConfigError(
                f"model '{spec.name}': field 'outcome': {spec.family} needs 0/1 values in "
                f"'{spec.outcome}', found {_plain(off.iloc[0])!r} at row {off.index[0]} "
                f"({len(off)} such row(s))"
            )
        y = vals.to_numpy(dtype="int64")
    else:
        categories = list(spec.categories) if spec.categories else sorted(map(str, yraw.unique()))
        # a value outside the categories gets code -1 (pd.Categorical with such
        # values is deprecated in pandas 3 and will raise)
        lookup = {c: i for i, c in enumerate(categories)}
        codes = np.array([lookup.get(v, -1) for v in yraw.astype(str)], dtype="int64")
        if (codes < 0).any():
            off = yraw[codes < 0]
            raise ConfigError(
                f"model '{spec.name}': field 'outcome': value {_plain(off.iloc[0])!r} at row "
                f"{off.index[0]} is not among categories {categories} ({len(off)} such row(s))"
            )
        y = codes.astype("int64")
    from ._design import rank_problem  # heavy (scipy.linalg): the Snakefile imports this module

    # the rows a model is fitted on must identify every coefficient, the
    # intercept included, which the models always carry (rows it only
    # predicts need not)
    full = X if "Intercept" in X.columns else X.assign(Intercept=1.0)
    if spec.family == "conditional":
        # within-stratum contrasts identify a conditional logit, never a level
        from .choice import stratum_codes

        sc = stratum_codes(df[spec.strata])[0]
        Xv = X.drop(columns=["Intercept"], errors="ignore")
        centred = Xv - Xv.groupby(sc).transform("mean")
        full = centred.assign(Intercept=1.0)
    problem = part == "fit" and rank_problem(full.to_numpy(), list(full.columns))
    if problem:
        raise ConfigError(f"model '{spec.name}': field 'formula': on the {len(X)} rows fitted, the {problem}")
    means = X.mean()
    sds = X.std(ddof=0)
    const = sds == 0
    means[const] = 0.0
    sds[const] = 1.0
    groups = []
    for g in spec.group:
        levels, codes = np.unique(df[g["by"]].astype(str).to_numpy(), return_inverse=True)
        missing = [s for s in g["slopes"] if s not in X.columns]
        if missing:
            raise ConfigError(
                f"model '{spec.name}': field 'group': slope '{missing[0]}' is not a design column "
                f"(columns: {', '.join(X.columns)})"
            )
        groups.append(
            {
                "by": g["by"],
                "codes": codes,
                "levels": list(levels),
                "intercept": g["intercept"],
                "slopes": list(g["slopes"]),
                "parameterization": g["parameterization"],
            }
        )
    cluster = df[spec.cluster].to_numpy() if spec.cluster else None
    strata = weights = None
    labels: list = []
    if spec.family == "conditional":
        from .choice import choice_weights, stratum_codes

        strata, labels = stratum_codes(df[spec.strata])
        weights = choice_weights(strata, y, spec.weighting)
    measurement = [measurement_terms(spec, df, X, col, parts, terms) for col, parts in measured.items()]
    return ModelData(
        spec,
        y,
        X,
        means,
        sds,
        df.index,
        n_dropped,
        categories,
        groups,
        cluster,
        rhs,
        n_decisions(spec, df, y),
        measurement,
        terms,
        strata,
        weights,
        labels,
        n_strata_dropped,
    )


def measurement_terms(spec: ModelSpec, df: pd.DataFrame, X: pd.DataFrame, col: str, parts: list, terms=None) -> dict:
    """Errors in variables for design column source ``col``.

    ``col`` is declared as the signed sum of latent parts, each a value per
    unit (e.g. a state-year) with prior N(mean, sd) read from the data; a
    unit that appears in several rows or parts (the USSR's 1950 capability,
    as ccode1 in one dyad and ccode2 in another) is one latent value. Returns
    the units (index per part and row, sign), their prior means and sds, the
    observed column (the sum of the means, checked against the data) and
    ``D``: how much each design column moves per unit of ``col`` on each row
    (the formula is evaluated at col + 1 and col + 2; a column must move
    linearly, so main effects and interactions qualify and log(col) does
    not). The Bayesian model then replaces the observed column by the latent
    sum (see bayes.build_pymc_model); everything else uses the observed one.
    """
    where = f"model '{spec.name}': field 'measurement': column '{col}'"

    def unit_values(c):
        v = df[c]
        return v.astype("int64") if pd.api.types.is_numeric_dtype(v) and (v == v.round()).all() else v.astype(str)

    keys = [
        pd.MultiIndex.from_arrays(
            [unit_values(c).to_numpy() for c in p["unit"]], names=[f"u{i}" for i in range(len(p["unit"]))]
        )
        for p in parts
    ]
    lens = {len(p["unit"]) for p in parts}
    if len(lens) != 1:
        raise ConfigError(f"{where}: every part needs the same number of unit columns")
    allk = keys[0].append(keys[1:]) if len(keys) > 1 else keys[0]
    codes, uniq = pd.factorize(allk)
    n = len(df)
    idx = [codes[i * n : (i + 1) * n] for i in range(len(parts))]
    means = np.full(len(uniq), np.nan)
    sds = np.full(len(uniq), np.nan)
    for p, ix in zip(parts, idx):
        m, sd = df[p["mean"]].to_numpy("float64"), df[p["sd"]].to_numpy("float64")
        if (sd <= 0).any():
            row = df.index[int(np.argmax(sd <= 0))]
            raise ConfigError(f"{where}: sd column '{p['sd']}' is not positive at row {row}")
        for arr, v in ((means, m), (sds, sd)):
            seen = ~np.isnan(arr[ix])
            if seen.any() and not np.allclose(arr[ix][seen], v[seen], rtol=0, atol=1e-9):
                row = df.index[int(np.flatnonzero(seen & ~np.isclose(arr[ix], v, rtol=0, atol=1e-9))[0])]
                raise ConfigError(
                    f"{where}: one unit has two different values of '{p['mean']}' or '{p['sd']}' (row {row})"
                )
            arr[ix] = v
    signs = [int(p.get("sign", 1)) for p in parts]
    x_obs = sum(s * means[ix] for s, ix in zip(signs, idx))
    data = df[col].to_numpy("float64")
    if not np.allclose(x_obs, data, rtol=1e-9, atol=1e-9):
        row = df.index[int(np.argmax(~np.isclose(x_obs, data, rtol=1e-9, atol=1e-9)))]
        raise ConfigError(
            f"{where}: the signed sum of the parts' means ({', '.join(p['mean'] for p in parts)}) is "
            f"not '{col}' at row {row}"
        )
    rhs = _rhs(spec)
    d1 = design(df.assign(**{col: data + 1.0}), rhs, spec.name, terms) - X
    d2 = design(df.assign(**{col: data + 2.0}), rhs, spec.name, terms) - X
    names = [c for c in X.columns if c != "Intercept"]
    D = d1[names].to_numpy("float64")
    if not np.allclose(d2[names].to_numpy("float64"), 2 * D, rtol=1e-6, atol=1e-9):
        bad = [c for c in names if not np.allclose(d2[c], 2 * d1[c], rtol=1e-6, atol=1e-9)]
        raise ConfigError(
            f"{where}: term(s) {', '.join(bad)} are not linear in '{col}'; errors in variables need "
            "it as a main effect or in interactions"
        )
    if not np.any(D):
        raise ConfigError(f"{where}: no design column moves with '{col}'")
    return {
        "column": col,
        "index": idx,
        "signs": signs,
        "prior_mean": means,
        "prior_sd": sds,
        "x_obs": x_obs,
        "D": D,
        "columns": [j for j in range(len(names)) if np.any(D[:, j])],
    }


def new_design(md: ModelData, frame: pd.DataFrame) -> pd.DataFrame:
    """The design for new rows: the fitted design's formula terms evaluated
    on them (formulae's new-data evaluation), so stateful transforms keep
    their training parameters and the columns are the fitted ones."""
    X = design(frame, md.rhs, md.spec.name, md.terms)
    return X.reindex(columns=md.X.columns, fill_value=0.0)
