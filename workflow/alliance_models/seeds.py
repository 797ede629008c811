"""Seed-paper tables: load the hand transcriptions and recompute every
printed derived figure, from the paper's own levels and from public data.

A seed folder holds two kinds of CSV file:

* printed tables (any ``*.csv`` not ending in ``_derivations.csv``): one
  printed cell a row, columns ``PRINTED_COLUMNS``. ``kind`` says whether the
  paper presents the cell as a level (an input it reports) or as a figure
  derived from other printed cells (growth, ratio). ``printed`` is the cell
  exactly as printed; ``value`` its number in ``unit``, blank only for a
  printed dash.
* derivations (``*_derivations.csv``): for each printed cell to check, our
  reconstruction of how the paper computed it (``formula``, over the paper's
  own levels) and the same figure from the state-year panel
  (``public_formula``). Columns ``DERIVATION_COLUMNS``.

Formulas are arithmetic (+ - * / and numbers) over references
``variable[ccode, year]``. In ``formula`` a reference names a *level* cell of
the same source (its ``variable``, ``country`` and ``year``); in
``public_formula`` it names a state-year column at (ccode, year).
"""

from __future__ import annotations

import ast
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import SourceFormatError

PRINTED_COLUMNS = [
    "source",
    "table",
    "row",
    "column",
    "year",
    "country",
    "country2",
    "variable",
    "kind",
    "value",
    "unit",
    "printed",
]
DERIVATION_COLUMNS = [
    "source",
    "table",
    "row",
    "column",
    "formula",
    "public_formula",
    "public_source",
    "public_unit",
    "public_comparable",
    "note",
]
KEY = ["source", "table", "row", "column"]
KINDS = {"level", "derived"}
DASHES = {"-", "\u2013", "\u2014"}
EPS = 1e-9

OUTPUT_COLUMNS = [
    "source",
    "table",
    "row",
    "column",
    "year",
    "years_used",
    "country",
    "country2",
    "variable",
    "unit",
    "printed",
    "printed_value",
    "formula",
    "recomputed_from_paper_levels",
    "diff_paper",
    "tolerance",
    "matches_paper_within_rounding",
    "public_formula",
    "public_source",
    "public_unit",
    "recomputed_from_public",
    "diff_public",
    "note",
]

_NUMBER = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?|[-+]?\.\d+")


class SeedTableError(SourceFormatError):
    """A seed-table CSV is malformed or inconsistent."""


def _where(path: Path, i: int, field: str) -> str:
    # i is the 0-based data row; line 1 of the file is the header.
    return f"'{path}', row {i + 1} (line {i + 2}), field '{field}'"


# --------------------------------------------------------------------------
# formulas


@dataclass(frozen=True)
class Formula:
    text: str
    tree: ast.Expression
    refs: tuple[tuple[str, int, int], ...]  # (variable, ccode, year)


_BINOPS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b if b != 0 else math.nan,
}


def _ref(node: ast.Subscript) -> tuple[str, int, int]:
    if not isinstance(node.value, ast.Name):
        raise ValueError("a reference must look like variable[ccode, year]")
    sl = node.slice
    if not (
        isinstance(sl, ast.Tuple)
        and len(sl.elts) == 2
        and all(isinstance(e, ast.Constant) and type(e.value) is int for e in sl.elts)
    ):
        raise ValueError(f"'{node.value.id}[...]' must hold two integers: [ccode, year]")
    return node.value.id, sl.elts[0].value, sl.elts[1].value


def parse_formula(text: str) -> Formula:
    """Parse an arithmetic formula over ``variable[ccode, year]`` references."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"not a valid formula ({exc.msg})") from None
    refs: list[tuple[str, int, int]] = []

    def check(node):
        if isinstance(node, ast.Expression):
            check(node.body)
        elif isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            check(node.left)
            check(node.right)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            check(node.operand)
        elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
            pass
        elif isinstance(node, ast.Subscript):
            refs.append(_ref(node))
        else:
            raise ValueError(f"'{ast.unparse(node)}' is not allowed (only numbers, + - * / and variable[ccode, year])")

    check(tree)
    if not refs:
        raise ValueError("the formula references no value")
    return Formula(text, tree, tuple(refs))


def evaluate_formula(formula: Formula, lookup) -> float:
    """Evaluate with ``lookup(variable, ccode, year) -> float`` (NaN propagates)."""

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.BinOp):
            return _BINOPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp):
            v = ev(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.Constant):
            return float(node.value)
        return float(lookup(*_ref(node)))

    return float(ev(formula.tree))


# --------------------------------------------------------------------------
# loading and validation


def _read_raw(path: Path, columns: list[str]) -> pd.DataFrame:
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    except Exception as exc:
        raise SeedTableError(f"'{path}': cannot be read as CSV ({exc})") from exc
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SeedTableError(
            f"'{path}': missing column(s) {', '.join(repr(c) for c in missing)} "
            f"(header row, line 1); columns present: {', '.join(map(str, df.columns))}"
        )
    return df[columns].apply(lambda s: s.str.strip())


def _int(path, i, field, raw, blank_ok=False):
    if raw == "" and blank_ok:
        return pd.NA
    try:
        return int(raw)
    except ValueError:
        raise SeedTableError(f"{_where(path, i, field)}: '{raw}' is not an integer") from None


def _decimals(printed: str) -> int | None:
    m = _NUMBER.search(printed)
    if m is None:
        return None
    num = m.group(0)
    return len(num.split(".")[1]) if "." in num else 0


def _check_printed(path: Path, df: pd.DataFrame) -> pd.DataFrame:
    years, countries, countries2, values = [], [], [], []
    for i, r in enumerate(df.to_dict("records")):
        for field in ("source", "table", "row", "column", "variable", "unit", "printed"):
            if r[field] == "":
                raise SeedTableError(f"{_where(path, i, field)}: empty")
        if r["kind"] not in KINDS:
            raise SeedTableError(f"{_where(path, i, 'kind')}: '{r['kind']}' is not one of {sorted(KINDS)}")
        year = _int(path, i, "year", r["year"])
        if not 1000 <= year <= 2100:
            raise SeedTableError(f"{_where(path, i, 'year')}: {year} is not a plausible year")
        years.append(year)
        countries.append(_int(path, i, "country", r["country"]))
        countries2.append(_int(path, i, "country2", r["country2"], blank_ok=True))
        raw = r["value"]
        if raw == "":
            if r["printed"] not in DASHES:
                raise SeedTableError(
                    f"{_where(path, i, 'value')}: empty, but the printed cell is "
                    f"'{r['printed']}' (only a printed dash may have no value)"
                )
            values.append(math.nan)
            continue
        try:
            value = float(raw)
        except ValueError:
            raise SeedTableError(f"{_where(path, i, 'value')}: '{raw}' is not a number") from None
        if not math.isfinite(value):
            raise SeedTableError(f"{_where(path, i, 'value')}: '{raw}' is not a finite number")
        m = _NUMBER.search(r["printed"])
        if m is None or not math.isclose(float(m.group(0).replace(",", "")), value, abs_tol=EPS):
            raise SeedTableError(
                f"{_where(path, i, 'value')}: {raw} does not match the printed cell '{r['printed']}' (field 'printed')"
            )
        values.append(value)
    out = df.copy()
    out["year"] = pd.array(years, dtype="int64")
    out["country"] = pd.array(countries, dtype="int64")
    out["country2"] = pd.array(countries2, dtype="Int64")
    out["value"] = np.array(values, dtype="float64")
    dup = out.duplicated(KEY, keep=False)
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise SeedTableError(f"{_where(path, i, 'row')}: cell {tuple(out.loc[i, KEY])} appears more than once")
    return out


def _check_derivations(path: Path, df: pd.DataFrame) -> pd.DataFrame:
    comparable = []
    for i, r in enumerate(df.to_dict("records")):
        for field in ("source", "table", "row", "column", "public_formula", "public_source", "public_unit"):
            if r[field] == "":
                raise SeedTableError(f"{_where(path, i, field)}: empty")
        for field in ("formula", "public_formula"):
            if r[field] == "":
                continue
            try:
                parse_formula(r[field])
            except ValueError as exc:
                raise SeedTableError(f"{_where(path, i, field)}: {exc}") from None
        flag = r["public_comparable"].lower()
        if flag not in ("true", "false"):
            raise SeedTableError(
                f"{_where(path, i, 'public_comparable')}: '{r['public_comparable']}' is not true/false"
            )
        comparable.append(flag == "true")
    out = df.copy()
    out["public_comparable"] = np.array(comparable, dtype=bool)
    dup = out.duplicated(KEY, keep=False)
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise SeedTableError(
            f"{_where(path, i, 'row')}: derivation for {tuple(out.loc[i, KEY])} appears more than once"
        )
    return out


def _cross_check(tables: dict[str, pd.DataFrame], paths: dict[str, Path]) -> None:
    printed = {k: v for k, v in tables.items() if not k.endswith("_derivations")}
    derivs = {k: v for k, v in tables.items() if k.endswith("_derivations")}
    cells = {}
    levels = {}
    for name, df in printed.items():
        for i, r in enumerate(df.to_dict("records")):
            cells[tuple(r[k] for k in KEY)] = (name, i, r)
            if r["kind"] == "level" and not math.isnan(r["value"]):
                lkey = (r["source"], r["variable"], r["country"], r["year"])
                if lkey in levels:
                    other = levels[lkey]
                    raise SeedTableError(
                        f"{_where(paths[name], i, 'variable')}: level {lkey[1]}[{lkey[2]}, {lkey[3]}] "
                        f"of '{lkey[0]}' is also given in '{paths[other[0]]}', row {other[1] + 1}; "
                        "formulas could not tell them apart"
                    )
                levels[lkey] = (name, i)
    derived_keys = set()
    for name, df in derivs.items():
        path = paths[name]
        for i, r in enumerate(df.to_dict("records")):
            key = tuple(r[k] for k in KEY)
            if key not in cells:
                raise SeedTableError(f"{_where(path, i, 'column')}: no printed cell {key} in the seed tables")
            cell = cells[key][2]
            if cell["kind"] == "derived" and r["formula"] == "":
                raise SeedTableError(f"{_where(path, i, 'formula')}: empty, but {key} is a derived figure")
            if r["formula"]:
                for var, cc, yr in parse_formula(r["formula"]).refs:
                    if (r["source"], var, cc, yr) not in levels:
                        raise SeedTableError(
                            f"{_where(path, i, 'formula')}: {var}[{cc}, {yr}] is not a printed level of '{r['source']}'"
                        )
            derived_keys.add(key)
    for key, (name, i, r) in cells.items():
        if r["kind"] == "derived" and not math.isnan(r["value"]) and key not in derived_keys:
            raise SeedTableError(
                f"{_where(paths[name], i, 'kind')}: derived figure {key} has no derivation in any *_derivations.csv"
            )


def load_seed_tables(seed_dir: str | os.PathLike) -> dict[str, pd.DataFrame]:
    """Read and validate every CSV in ``seed_dir``.

    Returns ``{file stem: frame}``; derivation files keep their
    ``*_derivations`` stem. Raises :class:`SeedTableError` naming the file,
    row and field of the first problem found.
    """
    seed_dir = Path(seed_dir)
    files = sorted(seed_dir.glob("*.csv"))
    if not files:
        raise SeedTableError(f"'{seed_dir}': no seed-table CSV files found")
    tables: dict[str, pd.DataFrame] = {}
    paths: dict[str, Path] = {}
    for path in files:
        if path.stem.endswith("_derivations"):
            tables[path.stem] = _check_derivations(path, _read_raw(path, DERIVATION_COLUMNS))
        else:
            tables[path.stem] = _check_printed(path, _read_raw(path, PRINTED_COLUMNS))
        paths[path.stem] = path
    _cross_check(tables, paths)
    return tables


# --------------------------------------------------------------------------
# reproduction


def _tolerance(printed: str) -> float:
    """Half a unit in the last printed digit, plus float eps."""
    d = _decimals(printed)
    return 0.5 * 10.0 ** (-(d or 0)) + EPS


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def reproduce_seed_tables(seed_dir: str | os.PathLike, state_year: pd.DataFrame) -> pd.DataFrame:
    """Recompute every printed derived figure (and compare listed levels).

    One row per derivation, in the order of the printed tables. Columns
    ``OUTPUT_COLUMNS``: ``recomputed_from_paper_levels`` evaluates
    ``formula`` on the paper's printed levels; ``matches_paper_within_rounding``
    is ``|diff_paper| <= tolerance`` (half a unit in the last printed digit,
    e.g. 0.5 pp for an integer percent, plus 1e-9), NA for a plain level.
    ``recomputed_from_public`` evaluates ``public_formula`` on ``state_year``
    (NaN where it lacks a value); ``diff_public`` is left NaN when the
    derivation marks the two as not comparable (different units).
    """
    tables = load_seed_tables(seed_dir)
    missing = [c for c in ("ccode", "year") if c not in state_year.columns]
    if missing:
        raise SeedTableError(f"state_year: missing column(s) {', '.join(missing)}")
    printed = pd.concat([v for k, v in tables.items() if not k.endswith("_derivations")], ignore_index=True)
    derivs = pd.concat([v for k, v in tables.items() if k.endswith("_derivations")], ignore_index=True)
    levels = {
        (r["source"], r["variable"], r["country"], r["year"]): r["value"]
        for r in printed.to_dict("records")
        if r["kind"] == "level"
    }
    sy = state_year.assign(
        ccode=state_year["ccode"].astype("int64"), year=state_year["year"].astype("int64")
    ).set_index(["ccode", "year"])
    if not sy.index.is_unique:
        raise SeedTableError("state_year: (ccode, year) is not unique")

    deriv_by_key = {tuple(r[k] for k in KEY): r for r in derivs.to_dict("records")}
    out = []
    for cell in printed.to_dict("records"):
        key = tuple(cell[k] for k in KEY)
        d = deriv_by_key.get(key)
        if d is None:
            continue
        notes = [d["note"]] if d["note"] else []
        tol = _tolerance(cell["printed"])
        # -- from the paper's own levels
        if d["formula"]:
            f = parse_formula(d["formula"])
            paper = evaluate_formula(f, lambda v, c, y: levels[(cell["source"], v, c, y)])
            diff = paper - cell["value"]
            match = bool(abs(diff) <= tol)
            years_used = sorted({y for _, _, y in f.refs})
            formula_text = d["formula"]
            if not match:
                notes.append(
                    f"The paper's arithmetic disagrees with its own levels: {formula_text} = "
                    f"{_fmt(paper)}, printed {cell['printed']} (|diff| {_fmt(abs(diff))} > {_fmt(tol)})."
                )
        else:
            paper, diff, match = math.nan, math.nan, pd.NA
            years_used = [cell["year"]]
            formula_text = "printed level (not derived)"
        if cell["year"] not in years_used:
            notes.append(f"Labelled {cell['year']}, but computed from levels of {', '.join(map(str, years_used))}.")
        # -- from public data
        pf = parse_formula(d["public_formula"])
        lacking = []
        currencies = set()
        interpolated = []

        def public(v, c, y):
            if v not in sy.columns:
                raise SeedTableError(f"public_formula '{pf.text}' for {key}: state_year has no column '{v}'")
            if (c, y) not in sy.index:
                lacking.append(f"{v}[{c}, {y}]")
                return math.nan
            row = sy.loc[(c, y)]
            val = row[v]
            if pd.isna(val):
                lacking.append(f"{v}[{c}, {y}]")
                return math.nan
            if v == "milex" and "milex_currency" in sy.columns:
                currencies.add(row["milex_currency"])
            if v == "gdp" and "gdp_flag" in sy.columns and row["gdp_flag"] == "interpolated":
                interpolated.append(f"gdp[{c}, {y}]")
            return float(val)

        pub = evaluate_formula(pf, public)
        if lacking:
            pub = math.nan
            notes.append(f"state_year lacks {', '.join(lacking)}: public figure is NaN.")
        if len(currencies) > 1:
            pub = math.nan
            notes.append(
                f"milex is in different currencies ({', '.join(sorted(map(str, currencies)))}): public figure is NaN."
            )
        if interpolated:
            notes.append(f"Public value uses interpolated Maddison {', '.join(interpolated)}.")
        if d["public_comparable"]:
            diff_pub = pub - cell["value"]
        else:
            diff_pub = math.nan
        out.append(
            {
                "source": cell["source"],
                "table": cell["table"],
                "row": cell["row"],
                "column": cell["column"],
                "year": cell["year"],
                "years_used": ";".join(map(str, years_used)),
                "country": cell["country"],
                "country2": cell["country2"],
                "variable": cell["variable"],
                "unit": cell["unit"],
                "printed": cell["printed"],
                "printed_value": cell["value"],
                "formula": formula_text,
                "recomputed_from_paper_levels": paper,
                "diff_paper": diff,
                "tolerance": tol,
                "matches_paper_within_rounding": match,
                "public_formula": d["public_formula"],
                "public_source": d["public_source"],
                "public_unit": d["public_unit"],
                "recomputed_from_public": pub,
                "diff_public": diff_pub,
                "note": " ".join(notes),
            }
        )
    res = pd.DataFrame(out, columns=OUTPUT_COLUMNS)
    res["year"] = res["year"].astype("int64")
    res["country"] = res["country"].astype("int64")
    res["country2"] = res["country2"].astype("Int64")
    for c in (
        "printed_value",
        "recomputed_from_paper_levels",
        "diff_paper",
        "tolerance",
        "recomputed_from_public",
        "diff_public",
    ):
        res[c] = res[c].astype("float64")
    res["matches_paper_within_rounding"] = res["matches_paper_within_rounding"].astype("boolean")
    return res
