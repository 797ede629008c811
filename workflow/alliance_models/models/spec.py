"""Model declarations: read ``config/models.yaml``, validate, expand variants.

A model is data, not code: a user adds one by declaring its data, outcome,
formula, family, group effects and priors. Everything is checked when the
workflow loads; an error names the model and the field.
"""

from __future__ import annotations

import ast
import copy
import functools
import itertools
import json
import re
import string
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from ..config import read_yaml, schema_errors
from ..errors import ConfigError

SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "models.schema.json"

DEFAULT_PRIORS = {
    # On standardized predictors (mean 0, sd 1), logit scale.
    "intercept": {"dist": "normal", "mu": 0.0, "sigma": 2.5},
    "coefficients": {"dist": "normal", "mu": 0.0, "sigma": 1.0},
    "group_sd": {"dist": "halfnormal", "sigma": 1.0},
}
TABLE_PATTERN = re.compile(r"^(cases|(dyad_year|focal_year|treaty_choice|alliance_spells)_[a-z0-9_]+)$")
# a user's data file, by suffix: text (comma or tab separated), parquet, R
# (one data frame per file), Stata
USER_DATA_SUFFIXES = (".csv", ".tsv", ".tab", ".parquet", ".rda", ".rdata", ".rds", ".dta")


def read_user_table(path, header_only: bool = False):
    """A user's data file as a data frame (``header_only``: no rows where the
    format allows). R files must hold exactly one data frame; Stata value
    labels are not applied (a 0/1 outcome stays 0/1). Errors name the file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in USER_DATA_SUFFIXES:
        raise ValueError(
            f"'{path}': unsupported file type '{path.suffix}' (use one of {', '.join(USER_DATA_SUFFIXES)})"
        )
    n = 0 if header_only else None
    if suffix == ".parquet":
        if header_only:
            return pd.DataFrame(columns=pq.read_schema(path).names)
        return pd.read_parquet(path)
    if suffix in (".csv", ".tsv", ".tab"):
        return pd.read_csv(path, sep="," if suffix == ".csv" else "\t", nrows=n)
    if suffix == ".dta":
        with pd.read_stata(path, convert_categoricals=False, iterator=True) as reader:
            # the variable names, in order, without reading a row
            return pd.DataFrame(columns=list(reader.variable_labels())) if header_only else reader.read()
    import pyreadr  # heavy (pyreadr): only R files need it

    objects = pyreadr.read_r(str(path))
    frames = {k: v for k, v in objects.items() if isinstance(v, pd.DataFrame)}
    if len(frames) != 1:
        raise ValueError(
            f"'{path}': an R data file must hold exactly one data frame; it holds "
            f"{len(frames)} ({', '.join(map(str, frames)) or 'none'})"
        )
    return next(iter(frames.values()))


# Names usable in formulas besides columns (functions formulae evaluates).
FORMULA_FUNCTIONS = {"np", "C", "I", "log", "exp", "sqrt", "scale", "center", "standardize", "abs"}


@dataclass
class ModelSpec:
    name: str
    data: str
    outcome: str
    formula: str
    family: str = "bernoulli"
    group: list = field(default_factory=list)
    priors: dict = field(default_factory=lambda: copy.deepcopy(DEFAULT_PRIORS))
    subset: str | None = None
    holdout: str | None = None
    cluster: str | None = None
    categories: list | None = None
    sampling: dict = field(default_factory=dict)
    # eras of the focal state's history to fit (the data's `era` column;
    # config panel.eras); empty = every row
    eras: list = field(default_factory=list)
    # column identifying independent decisions: outcome events sharing a
    # value count as one decision (a multilateral treaty, one year's onsets)
    decisions: str | None = None
    # errors in variables: {column: [{mean, sd, unit: [columns], sign}]}: the
    # column is the signed sum of latent unit values, each N(mean, sd) (see
    # models.matrix.measurement_terms); applies when the formula uses it
    measurement: dict = field(default_factory=dict)
    description: str = ""
    base: str = ""
    variant: dict = field(default_factory=dict)
    # the value each variant placeholder took ({disparity: log_cinc_ratio})
    variant_terms: dict = field(default_factory=dict)
    drop: dict = field(default_factory=dict)
    reduced_from: str = ""
    dropped: str = ""
    # columns that must be present for a row to be used (a reduced model keeps
    # the full model's rows, so their LOO comparison is on the same data)
    complete_on: list = field(default_factory=list)
    # family conditional: the column naming each choice (a treaty), and how
    # its chosen alternatives count: stratum (1/k each: a treaty is one
    # vote) or row (each chosen alternative a choice); see models.choice
    strata: str | None = None
    weighting: str = "stratum"
    # what one value of ``decisions`` is, in words (plural): treaties,
    # signing years, cases; the report names the evidence by it
    unit: str = "decisions"

    @property
    def is_table(self) -> bool:
        """True when ``data`` names a table the pipeline builds."""
        return bool(TABLE_PATTERN.match(self.data))

    def data_path(self) -> str:
        return f"data/processed/{self.data}.parquet" if self.is_table else self.data

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ModelSpec:
        return cls(**json.loads(text))


def _names_in_query(query: str) -> set[str]:
    try:
        tree = ast.parse(query, mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"not a valid pandas query ({exc.msg})") from None
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - {"True", "False", "None"}


def formula_variables(formula: str) -> set[str]:
    """Column names a formula refers to (response and predictors)."""
    return set(_formula_variables(formula))


@functools.cache  # the workflow load asks for each of the ~400 declared formulas several times
def _formula_variables(formula: str) -> frozenset[str]:
    from formulae import model_description  # heavy (formulae, ~2 s): the Snakefile imports this module

    try:
        desc = model_description(formula)
    except Exception as exc:  # formulae raises several parser errors
        raise ValueError(f"cannot parse formula '{formula}' ({exc})") from None
    names = {v for v in desc.var_names if v and v.isidentifier()}
    return frozenset(names - FORMULA_FUNCTIONS)


def spec_columns(spec: ModelSpec) -> dict[str, set[str]]:
    """Columns each field needs, by field name."""
    cols = {"outcome": {spec.outcome}, "formula": formula_variables(spec.formula)}
    if spec.group:
        cols["group"] = {g["by"] for g in spec.group}
    if spec.cluster:
        cols["cluster"] = {spec.cluster}
    if spec.eras:
        cols["eras"] = {"era"}
    if spec.decisions:
        cols["decisions"] = {spec.decisions}
    if spec.strata:
        cols["strata"] = {spec.strata}
    measured = active_measurement(spec)
    if measured:
        cols["measurement"] = {
            c for parts in measured.values() for p in parts for c in [p["mean"], p["sd"], *p["unit"]]
        }
    for key in ("subset", "holdout"):
        q = getattr(spec, key)
        if q:
            cols[key] = _names_in_query(q)
    return cols


def active_measurement(spec: ModelSpec) -> dict:
    """The spec's ``measurement`` entries whose column the formula uses."""
    if not spec.measurement:
        return {}
    used = formula_variables(spec.formula)
    return {col: parts for col, parts in spec.measurement.items() if col in used}


def check_columns(spec: ModelSpec, columns, where: str) -> None:
    """Raise ConfigError naming the model and field for any unknown column."""
    columns = set(columns)
    problems = []
    for fld, names in spec_columns(spec).items():
        for name in sorted(names - columns):
            problems.append(f"model '{spec.name}': field '{fld}': column '{name}' is not in {where}")
    if problems:
        raise ConfigError("\n".join(problems))


def read_model_data(spec: ModelSpec, path, header_only: bool = False):
    """:func:`read_user_table`, any failure a ConfigError naming the model,
    the field and the file."""
    try:
        return read_user_table(path, header_only)
    except Exception as exc:  # noqa: BLE001 - pandas, pyarrow and pyreadr raise many types
        raise ConfigError(f"model '{spec.name}': field 'data': cannot read '{path}' ({exc})") from None


def _expand(model: dict) -> list[dict]:
    variants = model.get("variants") or {}
    if not variants:
        return [dict(model, base=model["name"], variant={})]
    keys = sorted(variants)
    out = []
    for combo in itertools.product(*(sorted(variants[k].items()) for k in keys)):
        labels = [lab for lab, _ in combo]
        values = {k: v for k, (_, v) in zip(keys, combo)}
        m = {k: v for k, v in model.items() if k != "variants"}
        for fld in ("formula", "subset", "holdout", "outcome"):
            if fld in m:
                m[fld] = string.Template(m[fld]).substitute(values)
        if "drop" in m:
            m["drop"] = {
                lab: [string.Template(t).substitute(values) for t in terms] for lab, terms in m["drop"].items()
            }
        if "group" in m:
            m["group"] = [
                dict(g, slopes=[string.Template(s).substitute(values) for s in g.get("slopes", [])]) for g in m["group"]
            ]
        m["name"] = "-".join([model["name"], *labels])
        m["base"] = model["name"]
        m["variant"] = {k: lab for k, (lab, _) in zip(keys, combo)}
        m["variant_terms"] = dict(values)
        out.append(m)
    if model.get("sample") == "common":
        out += [_common_sample(m, variants) for m in out]
    return out


def _common_sample(m: dict, variants: dict) -> dict:
    """The variant refitted on the rows where every variant's columns exist
    (``sample: common``): named <name>-common, no drop refits, so measures
    are compared on one sample and a measurement effect is not a sample
    effect."""
    cols = set()
    for values in variants.values():
        for v in values.values():
            cols |= formula_variables(f"y ~ {v}") - {"y"}
    c = {k: copy.deepcopy(v) for k, v in m.items() if k != "drop"}
    c["name"] = f"{m['name']}-common"
    c["variant"] = {**m["variant"], "sample": "common"}
    c["complete_on"] = sorted(set(c.get("complete_on", [])) | cols)
    return c


def _unknown_variants(models: list[dict], keep: dict, where: str) -> list[str]:
    """Dimensions and labels of the config's ``variants`` that no model has."""
    labels: dict[str, set] = {}
    for m in models:
        for d, vals in (m.get("variants") or {}).items():
            labels.setdefault(d, set()).update(vals)
    out = []
    for d, wanted in keep.items():
        if d not in labels:
            out.append(
                f"config key 'variants.{d}': no model in {where} has a '{d}' variant "
                f"(dimensions: {', '.join(sorted(labels)) or 'none'})"
            )
            continue
        for lab in wanted:
            if lab not in labels[d]:
                out.append(
                    f"config key 'variants.{d}': no model in {where} has the label '{lab}' "
                    f"(labels: {', '.join(sorted(labels[d]))})"
                )
    return out


def _reduced(m: dict) -> list[dict]:
    """One reduced model per entry of ``drop``: the formula minus those terms."""
    out = []
    if m.get("variant", {}).get("sample") == "common":
        return out
    for label, terms in (m.get("drop") or {}).items():
        r = {k: copy.deepcopy(v) for k, v in m.items() if k != "drop"}
        r["formula"] = m["formula"] + "".join(f" - {t}" for t in terms)
        r["name"] = f"{m['name']}--drop-{label}"
        r["reduced_from"] = m["name"]
        r["dropped"] = label
        r["complete_on"] = sorted(formula_variables(m["formula"]))
        r["group"] = [dict(g, slopes=[s for s in g.get("slopes", []) if s not in terms]) for g in m.get("group") or []]
        r.pop("holdout", None)
        out.append(r)
    return out


def _check_one(m: dict, where: str) -> list[str]:
    """Checks beyond the schema: formula, placeholders, queries, priors."""
    problems = []
    name = m["name"]
    fields = {k: m.get(k) for k in ("formula", "outcome", "subset", "holdout")}
    fields["drop"] = " ".join(t for terms in (m.get("drop") or {}).values() for t in terms)
    fields["group"] = " ".join(s for g in m.get("group") or [] for s in g.get("slopes", []))
    unfilled = {
        fld: sorted(set(re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", text or ""))) for fld, text in fields.items()
    }
    for fld, names in unfilled.items():
        for ph in names:
            problems.append(
                f"{where}: model '{name}': field '{fld}': placeholder '${ph}' has no value "
                f"(declare it under 'variants', e.g. variants: {{{ph}: {{label: column}}}})"
            )
    if unfilled["formula"]:  # the formula cannot be parsed: say only that
        return problems
    try:
        lhs = m["formula"].split("~")[0].strip()
        if "~" not in m["formula"]:
            problems.append(f"{where}: model '{name}': field 'formula': needs 'outcome ~ terms'")
        elif lhs != m["outcome"]:
            problems.append(
                f"{where}: model '{name}': field 'formula': left-hand side '{lhs}' is not the outcome '{m['outcome']}'"
            )
        else:
            formula_variables(m["formula"])
    except ValueError as exc:
        problems.append(f"{where}: model '{name}': field 'formula': {exc}")
    for key in ("subset", "holdout"):
        if m.get(key):
            try:
                _names_in_query(m[key])
            except ValueError as exc:
                problems.append(f"{where}: model '{name}': field '{key}': {exc}")
    data = m["data"]
    if not TABLE_PATTERN.match(data) and not data.lower().endswith(USER_DATA_SUFFIXES):
        problems.append(
            f"{where}: model '{name}': field 'data': '{data}' is neither a pipeline table "
            "(cases, dyad_year_<set>, focal_year_<set>, treaty_choice_<set>, alliance_spells_<set>) nor a data file "
            f"({', '.join(USER_DATA_SUFFIXES)})"
        )
    for role, prior in (m.get("priors") or {}).items():
        if prior["dist"] in ("halfnormal", "halfcauchy", "exponential") and role != "group_sd":
            problems.append(
                f"{where}: model '{name}': field 'priors.{role}': {prior['dist']} is positive-only; "
                "use normal, student_t or cauchy for a coefficient"
            )
        if prior["dist"] in ("normal", "student_t", "cauchy", "halfnormal", "halfcauchy") and "sigma" not in prior:
            problems.append(f"{where}: model '{name}': field 'priors.{role}': '{prior['dist']}' needs 'sigma'")
        if prior["dist"] == "student_t" and "nu" not in prior:
            problems.append(f"{where}: model '{name}': field 'priors.{role}': 'student_t' needs 'nu'")
        if prior["dist"] == "exponential" and "lam" not in prior:
            problems.append(f"{where}: model '{name}': field 'priors.{role}': 'exponential' needs 'lam'")
    if m.get("sample") == "common" and not m.get("variants") and not m.get("variant"):
        problems.append(
            f"{where}: model '{name}': field 'sample': 'common' needs variants (the measures whose "
            "columns must all exist); this model declares none"
        )
    if m.get("family") == "conditional":
        if not m.get("strata"):
            problems.append(
                f"{where}: model '{name}': field 'strata': the conditional family needs the column naming "
                "each choice (e.g. stratum: one treaty's choice set)"
            )
        if m.get("group"):
            problems.append(
                f"{where}: model '{name}': field 'group': group effects are not supported for the conditional "
                "family (anything constant within a choice cancels)"
            )
    elif m.get("strata"):
        problems.append(f"{where}: model '{name}': field 'strata': only the conditional family has strata")
    if m.get("family") == "categorical" and m.get("group"):
        problems.append(
            f"{where}: model '{name}': field 'group': group effects are not supported for the categorical family"
        )
    if m.get("family") == "categorical" and any(c in m["formula"] for c in (m.get("measurement") or {})):
        problems.append(
            f"{where}: model '{name}': field 'measurement': errors in variables are not supported for the "
            "categorical family"
        )
    return problems


def load_model_specs(path, keep_variants: dict | None = None) -> list[ModelSpec]:
    """Read, validate and expand the model declarations in ``path``.

    ``keep_variants`` (the config key ``variants``): {dimension: [labels]};
    a model with that variant dimension keeps only those labels (e.g.
    ``{disparity: [cinc]}`` fits each model under CINC alone). A dimension no
    model declares, or a label none of its models has, is a ConfigError."""
    where = f"models file '{path}'"
    doc = read_yaml(path, "models file")
    if doc is None:
        raise ConfigError(f"{where}: the file is empty")
    schema = json.loads(SCHEMA.read_text())
    problems = schema_errors(doc, schema, where)
    if problems:
        # name the model, not only its index, where we can
        named = []
        for p in problems:
            m = re.search(r"key 'models\.(\d+)", p)
            if m and isinstance(doc.get("models"), list):
                i = int(m.group(1))
                item = doc["models"][i] if i < len(doc["models"]) else {}
                mname = item.get("name", f"#{i + 1}") if isinstance(item, dict) else f"#{i + 1}"
                p = p.replace(f"models.{i}", f"models[{mname}]")
            named.append(p)
        raise ConfigError("invalid model declarations:\n  " + "\n  ".join(named))
    defaults = doc.get("defaults") or {}
    specs, problems, seen = [], [], {}
    if keep_variants:
        problems += _unknown_variants(doc["models"], keep_variants, where)
    for i, raw in enumerate(doc["models"]):
        try:
            expanded = _expand(raw)
        except (KeyError, ValueError) as exc:
            problems.append(f"{where}: model '{raw['name']}': field 'variants': placeholder {exc} has no value")
            continue
        if keep_variants:
            expanded = [
                m
                for m in expanded
                if all(lab in keep_variants[d] for d, lab in m["variant"].items() if d in keep_variants)
            ]
            # a common sample compares measures: with one measure left there is nothing to compare
            kept = {d: {m["variant"][d] for m in expanded if d in m["variant"]} for d in raw.get("variants") or {}}
            if all(len(v) < 2 for v in kept.values()):
                expanded = [m for m in expanded if m["variant"].get("sample") != "common"]
        expanded = expanded + [r for m in expanded for r in _reduced(m)]
        for m in expanded:
            m.setdefault("family", defaults.get("family", "bernoulli"))
            m["measurement"] = copy.deepcopy({**(defaults.get("measurement") or {}), **(m.get("measurement") or {})})
            priors = copy.deepcopy(DEFAULT_PRIORS)
            priors.update(copy.deepcopy(defaults.get("priors") or {}))
            priors.update(copy.deepcopy(m.get("priors") or {}))
            m["priors"] = priors
            m["group"] = [
                {
                    "by": g["by"],
                    "intercept": g.get("intercept", True),
                    "slopes": list(g.get("slopes", [])),
                    "parameterization": g.get("parameterization", "auto"),
                }
                for g in m.get("group") or []
            ]
            problems += _check_one(m, where)
            if m["name"] in seen:
                problems.append(
                    f"{where}: model '{m['name']}': field 'name': declared twice (items {seen[m['name']]} and {i + 1})"
                )
            seen[m["name"]] = i + 1
            fields = {k: v for k, v in m.items() if k in ModelSpec.__dataclass_fields__}
            specs.append(ModelSpec(**fields))
    if problems:
        raise ConfigError("invalid model declarations:\n  " + "\n  ".join(problems))
    return specs


def n_decisions(spec: ModelSpec, frame, y) -> int | None:
    """Independent decisions behind a fitted 0/1 outcome: distinct values of
    the spec's ``decisions`` column among the event rows (None if the model
    declares none)."""
    if not spec.decisions or spec.family not in ("bernoulli", "conditional"):
        return None
    events = frame[spec.decisions].to_numpy()[y == 1]
    return int(len(set(events.tolist())))


def select_rows(spec: ModelSpec, frame, part: str = "fit"):
    """Rows for fitting (eras, subset, minus holdout) or the holdout rows."""

    def query(df, key):
        try:
            return df.query(getattr(spec, key), engine="python")
        except Exception as exc:  # noqa: BLE001 - pandas raises many types here
            raise ConfigError(
                f"model '{spec.name}': field '{key}': cannot evaluate "
                f"'{getattr(spec, key)}' on the data ({type(exc).__name__}: {exc})"
            ) from None

    df = frame
    if spec.eras:
        df = df[df["era"].isin(list(spec.eras))]
    if spec.subset:
        df = query(df, "subset")
    if spec.holdout:
        held = query(df, "holdout")
        df = held if part == "holdout" else df.drop(index=held.index)
    elif part == "holdout":
        df = df.iloc[0:0]
    return df


def load_model_frame(spec: ModelSpec, path) -> pd.DataFrame:
    """A model's data (a pipeline parquet or a user's data file, see
    :func:`read_user_table`), its columns checked against the declaration."""
    frame = read_model_data(spec, path)
    check_columns(spec, frame.columns, f"'{path}'")
    return frame
