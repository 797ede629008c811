"""Turn a model spec and a data frame into arrays both estimators share."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import ConfigError
from .spec import ModelSpec, formula_variables, n_decisions, select_rows

logger = logging.getLogger(__name__)

NAMESPACE = {"np": np, "log": np.log, "exp": np.exp, "sqrt": np.sqrt, "abs": np.abs}


@dataclass
class ModelData:
    spec: ModelSpec
    y: np.ndarray                 # 0/1 (bernoulli) or category codes 0..K-1
    X: pd.DataFrame               # design on the original scale, with Intercept
    means: pd.Series              # per column (0 for the intercept)
    sds: pd.Series                # per column (1 for the intercept)
    rows: pd.Index                # index labels of the rows used
    n_dropped: int                # rows dropped for missing values
    categories: list = field(default_factory=list)
    groups: list = field(default_factory=list)  # dicts: by, codes, levels, slopes, parameterization
    cluster: np.ndarray | None = None
    rhs: str = ""
    n_decisions: int | None = None   # independent decisions behind the events (spec.decisions)

    @property
    def X_std(self) -> pd.DataFrame:
        return (self.X - self.means) / self.sds

    @property
    def coef_names(self) -> list[str]:
        return [c for c in self.X.columns if c != "Intercept"]


def _rhs(spec: ModelSpec) -> str:
    return spec.formula.split("~", 1)[1].strip()


def design(frame: pd.DataFrame, rhs: str, spec_name: str = "") -> pd.DataFrame:
    """Evaluate the right-hand side of a formula on ``frame`` (no missing values)."""
    from formulae import design_matrices

    tmp = frame.assign(am_placeholder_response=0.0)
    try:
        dm = design_matrices(f"am_placeholder_response ~ {rhs}", tmp, na_action="error", extra_namespace=NAMESPACE)
    except Exception as exc:
        raise ConfigError(f"model '{spec_name}': field 'formula': cannot evaluate '{rhs}' ({exc})") from None
    X = dm.common.as_dataframe().astype("float64")
    X.index = frame.index
    bad = ~np.isfinite(X.to_numpy())
    if bad.any():
        col = X.columns[bad.any(axis=0)][0]
        row = X.index[bad.any(axis=1)][0]
        raise ConfigError(
            f"model '{spec_name}': field 'formula': term '{col}' is not finite at row {row} "
            "(e.g. log of zero or a negative number)"
        )
    return X


def _plain(v):
    """A numpy scalar as the Python value it holds (for messages)."""
    return v.item() if hasattr(v, "item") else v


def build_model_data(spec: ModelSpec, frame: pd.DataFrame, part: str = "fit") -> ModelData:
    """Select rows, drop incomplete ones (logged), build and standardize X."""
    df = select_rows(spec, frame, part)
    needed = sorted(
        (formula_variables(spec.formula) | {spec.outcome} | {g["by"] for g in spec.group}
         | ({spec.cluster} if spec.cluster else set()) | set(spec.complete_on)) & set(frame.columns)
    )
    complete = df[needed].notna().all(axis=1)
    n_dropped = int((~complete).sum())
    if n_dropped:
        counts = df[needed].isna().sum()
        logger.info("model %s: dropping %d of %d rows with missing values (%s)", spec.name, n_dropped,
                 len(df), ", ".join(f"{c}: {n}" for c, n in counts[counts > 0].items()))
    df = df[complete]
    if len(df) == 0:
        raise ConfigError(f"model '{spec.name}': field 'data': no complete rows left after subset and missing values")
    rhs = _rhs(spec)
    X = design(df, rhs, spec.name)
    categories: list = []
    yraw = df[spec.outcome]
    if spec.family == "bernoulli":
        vals = pd.to_numeric(yraw, errors="coerce")
        if vals.isna().any() or not vals.isin([0, 1]).all():
            off = yraw[~vals.isin([0, 1])]
            raise ConfigError(f"model '{spec.name}': field 'outcome': bernoulli needs 0/1 values in "
                              f"'{spec.outcome}', found {_plain(off.iloc[0])!r} at row {off.index[0]} "
                              f"({len(off)} such row(s))")
        y = vals.to_numpy(dtype="int64")
    else:
        categories = list(spec.categories) if spec.categories else sorted(map(str, yraw.unique()))
        codes = pd.Categorical(yraw.astype(str), categories=categories).codes
        if (codes < 0).any():
            off = yraw[codes < 0]
            raise ConfigError(f"model '{spec.name}': field 'outcome': value {_plain(off.iloc[0])!r} at row "
                              f"{off.index[0]} is not among categories {categories} ({len(off)} such row(s))")
        y = codes.astype("int64")
    from ._design import rank_problem

    # the rows a model is fitted on must identify every coefficient, the
    # intercept included, which the models always carry (rows it only
    # predicts need not)
    full = X if "Intercept" in X.columns else X.assign(Intercept=1.0)
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
        groups.append({"by": g["by"], "codes": codes, "levels": list(levels), "intercept": g["intercept"],
                       "slopes": list(g["slopes"]), "parameterization": g["parameterization"]})
    cluster = df[spec.cluster].to_numpy() if spec.cluster else None
    return ModelData(spec, y, X, means, sds, df.index, n_dropped, categories, groups, cluster, rhs,
                     n_decisions(spec, df, y))


def new_design(md: ModelData, frame: pd.DataFrame) -> pd.DataFrame:
    """The design for new rows, with the fitted data's columns."""
    X = design(frame, md.rhs, md.spec.name)
    return X.reindex(columns=md.X.columns, fill_value=0.0)
