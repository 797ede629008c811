"""Alliance cases: validated case files, their measurement against the cleaned
indicators, and the two seed coding tables.

* :func:`validate_case_files` reads every case file, checks it against
  ``workflow/schemas/case.schema.json`` and the cross-field and COW-membership
  rules, and raises one :class:`~alliance_models.errors.CaseError` listing every
  problem in every file (``<file>: case '<id>' (item N): field '<f>': <problem>``).
* :func:`encode_cases` measures each (case, partner) pair: disparity, threat and
  Walt's four pillars, from ``state_year`` and the dyad verbs of
  :mod:`alliance_models.data.dyads`; nothing is typed in, missing stays missing.
* :func:`typology_table` is Yu's Table 1 as data; :func:`moura_table4` recomputes
  Moura's Table 4 next to the printed coding.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import yaml

from .errors import CaseError

log = logging.getLogger(__name__)

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "case.schema.json"
DEFAULT_FOCAL = 365
YEAR_MIN, YEAR_MAX = 1816, 2022
EVENTS_ALLIED = {"formed": 1, "held": 1, "punished": 1, "failed": 0, "broke": 0}
CATEGORIES = ("strong_alliance", "unstable_alliance", "affiliation", "no_alliance")
# Yu (Table 1): (disparity, threat) -> cell.
YU_CELLS = {
    ("high", "high"): "strong_alliance",
    ("low", "high"): "unstable_alliance",
    ("high", "low"): "affiliation",
    ("low", "low"): "no_alliance",
}

CASE_COLUMNS = [
    "case_id", "file", "item", "focal", "partners", "year", "end_year", "event", "allied",
    "threat", "expert_disparity", "expert_threat", "expert_note", "category", "sources",
]


# ---------------------------------------------------------------------------
# Reading and validation
# ---------------------------------------------------------------------------


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key repeated within one mapping."""


def _construct_mapping(loader, node, deep=False):
    seen = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark,
                f"found duplicate key '{key}' (first at line {seen[key] + 1})", key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_case_schema(path: str | os.PathLike | None = None) -> dict:
    return json.loads(Path(path or SCHEMA_PATH).read_text(encoding="utf-8"))


def _read_case_file(path: Path) -> tuple[object, str | None]:
    """Return (data, problem): problem is a file-level message or None."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, "file does not exist"
    except OSError as exc:
        return None, f"cannot be read ({exc.strerror})"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"not valid UTF-8 text ({exc.reason} at byte {exc.start}); save the file as UTF-8"
    if not text.strip():
        return None, "empty file (expected a YAML list of cases)"
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        return None, f"YAML syntax error{where}: {problem}"
    if data is None:
        return None, "empty file (only comments; expected a YAML list of cases)"
    if not isinstance(data, list):
        kind = "a mapping" if isinstance(data, dict) else f"a {type(data).__name__}"
        return None, f"the top level must be a list of cases ('- id: ...'), got {kind}"
    if not data:
        return None, "the list of cases is empty"
    return data, None


def _field_name(path) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _describe(value) -> str:
    if isinstance(value, bool):
        return f"boolean {value}"
    if value is None:
        return "nothing (null)"
    if isinstance(value, str):
        return f"text '{value}'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"{type(value).__name__} {value!r}"


def _schema_problem(err: jsonschema.ValidationError) -> tuple[str, str]:
    """(field, problem) for one jsonschema error on one case."""
    path = list(err.absolute_path)
    field = _field_name(path)
    v = err.validator
    if v == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        return _field_name(path + [missing]), "missing required field"
    if v == "additionalProperties":
        allowed = sorted(err.schema.get("properties", {}))
        extra = sorted(set(err.instance) - set(allowed))
        name = _field_name(path + [extra[0]]) if len(extra) == 1 else ", ".join(_field_name(path + [e]) for e in extra)
        return name, f"unknown field (allowed here: {', '.join(allowed)})"
    if v == "enum":
        return field, f"unknown word {err.instance!r} (allowed: {', '.join(err.validator_value)})"
    if v == "type":
        want = err.validator_value
        want = " or ".join(want) if isinstance(want, list) else want
        article = "an" if want[0] in "aeiou" else "a"
        return field, f"wrong type: expected {article} {want}, got {_describe(err.instance)}"
    if v in ("minimum", "maximum"):
        sub = err.schema
        lo, hi = sub.get("minimum"), sub.get("maximum")
        if field.split("[")[0].split(".")[-1] in ("year", "end_year"):
            return field, f"year {err.instance} is outside {lo}-{hi}"
        return field, f"{err.instance} is not a COW code (COW codes run from {lo} to {hi})"
    if v == "pattern":
        return field, (
            f"'{err.instance}' is not a valid id (lowercase letters and digits, words joined by "
            f"single '-', e.g. sino-soviet-treaty-1950)"
        )
    if v == "minItems":
        return field, "must not be empty"
    if v == "uniqueItems":
        return field, "lists the same code twice"
    if v == "minLength":
        return field, "must not be empty text"
    return field, err.message


def _span_text(spells: pd.DataFrame, code: int) -> str:
    s = spells[spells["ccode"] == code]
    return ", ".join(f"{a}-{b}" for a, b in zip(s["start_year"], s["end_year"]))


def validate_case_files(
    paths: Iterable[str | os.PathLike],
    spells: pd.DataFrame | None = None,
    schema: dict | str | os.PathLike | None = None,
) -> pd.DataFrame:
    """Read and check every case file; return one row per case.

    ``spells`` (from :func:`alliance_models.data.states.load_system`) enables the
    checks that need the COW list: a code that is no COW state, and a state that
    is not a system member in the case's year. Without it only the schema-level
    and cross-field checks run (codes must still lie in 2-990).

    Every problem in every file is collected; if there is any, one
    :class:`CaseError` is raised whose message lists them all, one per line, as
    ``<file>: case '<id>' (item N): field '<field>': <problem>``.
    Returned columns: case_id, file, item (1-based), focal, partners (list),
    year, end_year (Int64), event, allied (1 formed/held/punished, 0 failed/broke),
    threat (list), expert_disparity, expert_threat, expert_note, category,
    sources (list).
    """
    paths = sorted(Path(p) for p in paths)
    if not paths:
        raise CaseError("no case files found (config key 'cases' matched nothing)")
    if not isinstance(schema, dict):
        schema = load_case_schema(schema)
    item_schema = schema["items"]
    validator = jsonschema.Draft202012Validator(item_schema)
    known = set(int(c) for c in spells["ccode"].unique()) if spells is not None else None
    names = dict(zip(spells["ccode"].astype(int), spells["statenme"])) if spells is not None else {}

    problems: list[str] = []
    rows: list[dict] = []
    seen_ids: dict[str, str] = {}

    for path in paths:
        data, problem = _read_case_file(path)
        if problem:
            problems.append(f"{path}: {problem}")
            continue
        for n, case in enumerate(data, start=1):
            if not isinstance(case, dict):
                problems.append(
                    f"{path}: case '?' (item {n}): expected a mapping of fields "
                    f"('id: ...', 'partners: ...'), got {_describe(case)}"
                )
                continue
            cid = case.get("id") if isinstance(case.get("id"), str) else "?"

            def bad(field: str, msg: str) -> None:
                problems.append(f"{path}: case '{cid}' (item {n}): field '{field}': {msg}")

            errs = sorted(validator.iter_errors(case), key=lambda e: [str(p) for p in e.absolute_path])
            bad_fields = set()
            for err in errs:
                field, msg = _schema_problem(err)
                bad(field, msg)
                top = list(err.absolute_path)[:1]
                bad_fields.add(top[0] if top else field)
            ok = lambda f: f in case and f not in bad_fields  # noqa: E731

            if ok("id"):
                if cid in seen_ids:
                    bad("id", f"duplicate id: also used by {seen_ids[cid]}")
                else:
                    seen_ids[cid] = f"{path} (item {n})"
            focal = case.get("focal", DEFAULT_FOCAL) if ("focal" not in case or ok("focal")) else None
            year = case["year"] if ok("year") else None
            if ok("end_year") and year is not None and case["end_year"] < year:
                bad("end_year", f"end_year {case['end_year']} is before year {year}")
            partners = list(case["partners"]) if ok("partners") else []
            threat = list(case["threat"]) if ok("threat") else []
            if focal is not None:
                if focal in partners:
                    bad("partners", f"lists the focal state {focal} among its partners")
                if focal in threat:
                    bad("threat", f"lists the focal state {focal} among its threats")
            both = [c for c in threat if c in partners]
            if both:
                bad("threat", f"{', '.join(map(str, both))} also named as a partner")
            if ok("category") and ok("event") and case["category"] == "no_alliance" and EVENTS_ALLIED[case["event"]] == 1:
                bad(
                    "category",
                    f"no_alliance contradicts event '{case['event']}' (an alliance was made, held or "
                    f"enforced); use it only with failed or broke",
                )
            if known is not None:
                labelled = [("focal", focal)] if focal is not None else []
                labelled += [("partners", c) for c in partners] + [("threat", c) for c in threat]
                for field, code in labelled:
                    if code not in known:
                        bad(field, f"unknown COW code {code} (not in the COW state list)")
                    elif year is not None and not _member(spells, code, year):
                        bad(
                            field,
                            f"COW code {code} ({names.get(code, '?')}) is not a system member in {year} "
                            f"(member {_span_text(spells, code)})",
                        )
            if not any(p.startswith(f"{path}: case '{cid}' (item {n}):") for p in problems):
                expert = case["expert"]
                rows.append({
                    "case_id": case["id"],
                    "file": str(path),
                    "item": n,
                    "focal": int(focal),
                    "partners": [int(c) for c in partners],
                    "year": int(year),
                    "end_year": int(case["end_year"]) if case.get("end_year") is not None else pd.NA,
                    "event": case["event"],
                    "allied": EVENTS_ALLIED[case["event"]],
                    "threat": [int(c) for c in threat],
                    "expert_disparity": expert["disparity"],
                    "expert_threat": expert["threat"],
                    "expert_note": expert["note"],
                    "category": case["category"],
                    "sources": list(case["sources"]),
                })
    if problems:
        raise CaseError(
            f"{len(problems)} problem(s) in the case files; nothing downstream is run until they are fixed:\n  "
            + "\n  ".join(problems)
        )
    out = pd.DataFrame(rows, columns=CASE_COLUMNS)
    out["end_year"] = out["end_year"].astype("Int64")
    for c in ("focal", "year", "item", "allied"):
        out[c] = out[c].astype("int64")
    log.info("case files: %d file(s), %d case(s) valid", len(paths), len(out))
    return out


def _member(spells: pd.DataFrame, code: int, year: int) -> bool:
    s = spells[spells["ccode"] == code]
    return bool(((s["start_year"] <= year) & (s["end_year"] >= year)).any())
