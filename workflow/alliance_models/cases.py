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
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import yaml

from .errors import CaseError
from .seeds import load_seed_tables

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
    "case_id",
    "file",
    "item",
    "focal",
    "partners",
    "year",
    "end_year",
    "event",
    "allied",
    "threat",
    "expert_disparity",
    "expert_threat",
    "expert_note",
    "category",
    "sources",
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
                "while constructing a mapping",
                node.start_mark,
                f"found duplicate key '{key}' (first at line {seen[key] + 1})",
                key_node.start_mark,
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
            n_before = len(problems)

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
            if (
                ok("category")
                and ok("event")
                and case["category"] == "no_alliance"
                and EVENTS_ALLIED[case["event"]] == 1
            ):
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
            if len(problems) == n_before:
                expert = case["expert"]
                rows.append(
                    {
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
                    }
                )
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


def case_partner_rows(cases: pd.DataFrame) -> pd.DataFrame:
    """One row per (case, partner): case_id, ccode1 (focal), ccode2 (partner), year."""
    rows = [
        (r.case_id, int(r.focal), int(p), int(r.year), i)
        for r in cases.itertuples(index=False)
        for i, p in enumerate(r.partners, start=1)
    ]
    out = pd.DataFrame(rows, columns=["case_id", "ccode1", "ccode2", "year", "partner_no"])
    for c in ("ccode1", "ccode2", "year", "partner_no"):
        out[c] = out[c].astype("int64")
    return out


def case_threat_rows(cases: pd.DataFrame) -> pd.DataFrame:
    """One row per (case, named threat): case_id, ccode1 (focal), ccode2 (threat), year."""
    rows = [(r.case_id, int(r.focal), int(t), int(r.year)) for r in cases.itertuples(index=False) for t in r.threat]
    out = pd.DataFrame(rows, columns=["case_id", "ccode1", "ccode2", "year"])
    for c in ("ccode1", "ccode2", "year"):
        out[c] = out[c].astype("int64")
    return out


# ---------------------------------------------------------------------------
# Encoding: every indicator from state_year and the cleaned dyad sources
# ---------------------------------------------------------------------------

SEED_GDP_VARIABLE = "gdp_nominal"
SEED_GDP_COLUMNS = ["ccode", "year", "seed_gdp", "seed_gdp_unit", "seed_gdp_label"]

ENCODED_DOCS = {
    "case_id": "case id (data/raw/cases/*.yaml)",
    "ccode1": "focal state (COW code)",
    "ccode2": "partner state (COW code); one row per partner",
    "year": "year of the event; every indicator is for this year unless named otherwise",
    "end_year": "last year of the episode (case file), missing when not given",
    "partner_no": "position of the partner in the case's partner list (1-based)",
    "n_partners": "number of partners of the case",
    "event": "formed | failed | held | broke | punished",
    "allied": "1 for formed, held, punished; 0 for failed, broke",
    "category": "Yu's Table 1 cell the literature places the relationship in",
    "expert_disparity": "the literature's disparity code (high/low)",
    "expert_threat": "threat measure (i): the literature's threat code (high/low)",
    "threat_high": "1 if expert_threat is high, else 0",
    "disparity_high": "1 if expert_disparity is high, else 0",
    "expert_cell": "Yu's Table 1 cell implied by the two expert codes",
    "threat_codes": "COW codes of the named threats, ';'-separated ('' when none)",
    "n_threats": "number of named threats (0: every threat measure is missing, not zero)",
    "file": "case file the case comes from",
    "sources": "citations, ' | '-separated",
    "cinc1": "focal CINC (COW NMC)",
    "cinc2": "partner CINC; Walt aggregate power",
    "cinc_ratio": "disparity (i): focal/partner CINC",
    "log_cinc_ratio": "log of cinc_ratio",
    "cinc_prop": "weaker/stronger CINC, in (0, 1]",
    "bremer_cat": "Bremer (1992) category of stronger/weaker CINC: parity (<=3), medium (<=10), preponderance",
    "gdp1": "focal GDP, millions of 2011 int'l $ (Maddison 2023, PPP)",
    "gdp2": "partner GDP, millions of 2011 int'l $; Walt aggregate power",
    "gdp_ratio": "disparity (ii): focal/partner Maddison GDP",
    "log_gdp_ratio": "log of gdp_ratio",
    "milex1": "focal military expenditure (NMC, thousands; currency in milex_currency)",
    "milex2": "partner military expenditure; Walt offensive capability",
    "milex_ratio": "disparity (iii): focal/partner military expenditure (same year, so same currency)",
    "log_milex_ratio": "log of milex_ratio",
    "milex_currency": "NMC milex unit in the case year (GBP_thousands before 1914, USD_thousands_current from 1914)",
    "latent1": "focal latent log capability (measurement model of CINC, GDP, milex; posterior mean, log-CINC scale)",
    "latent2": "partner latent log capability",
    "latent_sd1": "posterior sd of latent1",
    "latent_sd2": "posterior sd of latent2",
    "log_latent_ratio": "disparity (iv): latent1 - latent2, the latent log capability ratio",
    "log_latent_ratio_sd": "its posterior sd",
    "tpop1": "focal total population (NMC, thousands)",
    "tpop2": "partner total population (NMC, thousands); Walt aggregate power",
    "seed_gdp1": "focal nominal GDP printed in a seed table (see seed_gdp_label; unit in seed_gdp_unit)",
    "seed_gdp2": "partner nominal GDP printed in a seed table",
    "seed_gdp_ratio": "disparity (iv): focal/partner seed nominal GDP, nearest printed year within the configured gap",
    "log_seed_gdp_ratio": "log of seed_gdp_ratio",
    "seed_gdp_year": "printed year used for the seed GDP (nearest to year, ties to the earlier)",
    "seed_gdp_label": "which seed table the nominal GDP comes from",
    "seed_gdp_unit": "unit of the seed GDP as recorded in the seed table",
    "threat_cinc": "threat measure (ii): largest CINC among the named threats",
    "threat_cinc_rel": "threat measure (ii): largest threat CINC / focal CINC",
    "threat_cinc_ccode": "named threat with the largest CINC",
    "threat_mid": "threat measure (iii): 1 if any named threat had a MID with the focal state in the prior window",
    "threat_mid_hostlev": "threat measure (iii): highest hostility level (1-5) of those MIDs, 0 if none",
    "threat_tss_rival": (
        "threat measure (iv): 1 if any named threat is a TSS strategic rival of the focal state in the year"
    ),
    "power_cinc_rel": "Walt aggregate power: partner/focal CINC",
    "power_gdp_rel": "Walt aggregate power: partner/focal Maddison GDP",
    "power_tpop_rel": "Walt aggregate power: partner/focal population",
    "conttype": "Walt proximity: COW direct contiguity type (0 none, 1 land, 2-5 water up to 12/24/150/400 miles)",
    "mindist": "Walt proximity: minimum distance in km (cshapes; from 1886)",
    "milex2_growth5": (
        "Walt offensive capability: partner milex growth over 5 years (t-5 to t); NaN across the 1914 currency change"
    ),
    "milex1_growth5": "focal milex growth over 5 years, for comparison",
    "mid_prior": "1 if focal and partner had a MID in the prior window",
    "mid_prior_count": "number of such MIDs",
    "mid_prior_hostlev": "highest hostility level of such MIDs, 0 if none",
    "mid_prior_init2": (
        "Walt offensive intentions: MIDs the partner initiated against the focal state in the prior window"
    ),
    "mid_prior_init2_hostlev": "Walt offensive intentions: highest hostility level of those, 0 if none",
    "tss_rival": "1 if focal and partner are TSS strategic rivals in the year",
    "atop_defense": "ATOP defence obligation in force between focal and partner in the year",
    "atop_offense": "ATOP offence obligation in force",
    "atop_neutral": "ATOP neutrality obligation in force",
    "atop_nonagg": "ATOP non-aggression obligation in force",
    "atop_consul": "ATOP consultation obligation in force",
    "atop_any": "any ATOP obligation in force",
}

# Indicators whose missing values are counted (identifiers and codes are never missing).
INDICATORS = [
    "cinc_ratio",
    "gdp_ratio",
    "milex_ratio",
    "seed_gdp_ratio",
    "threat_cinc",
    "threat_cinc_rel",
    "threat_mid",
    "threat_mid_hostlev",
    "threat_tss_rival",
    "cinc2",
    "gdp2",
    "tpop2",
    "power_cinc_rel",
    "power_gdp_rel",
    "power_tpop_rel",
    "conttype",
    "mindist",
    "milex2",
    "milex2_growth5",
    "mid_prior_init2",
    "mid_prior_init2_hostlev",
    "atop_any",
]
THREAT_INDICATORS = ["threat_cinc", "threat_cinc_rel", "threat_mid", "threat_mid_hostlev", "threat_tss_rival"]


def _seed_short_label(source: str, table: str) -> str:
    short = str(source).split(" (")[0].strip()
    return f"seed nominal GDP ({short} {table})"


def seed_gdp_levels(seed_dir: str | os.PathLike) -> pd.DataFrame:
    """Nominal GDP levels printed in the seed tables (variable ``gdp_nominal``).

    Uses :func:`alliance_models.seeds.load_seed_tables` (which validates the
    transcriptions). Returns columns ccode, year, seed_gdp (the printed value),
    seed_gdp_unit, seed_gdp_label (e.g. "seed nominal GDP (Moura Table 1)").
    Only printed *levels* are used, never the paper's derived figures.
    """
    tables = load_seed_tables(seed_dir)
    printed = [v for k, v in tables.items() if not k.endswith("_derivations")]
    if not printed:
        return pd.DataFrame(columns=SEED_GDP_COLUMNS)
    df = pd.concat(printed, ignore_index=True)
    df = df[(df["variable"] == SEED_GDP_VARIABLE) & (df["kind"] == "level") & df["value"].notna()]
    out = pd.DataFrame(
        {
            "ccode": df["country"].astype("int64").to_numpy(),
            "year": df["year"].astype("int64").to_numpy(),
            "seed_gdp": df["value"].astype("float64").to_numpy(),
            "seed_gdp_unit": df["unit"].astype("str").to_numpy(),
            "seed_gdp_label": [_seed_short_label(s, t) for s, t in zip(df["source"], df["table"])],
        }
    )
    dup = out.duplicated(["ccode", "year"])
    if dup.any():
        log.warning("seed GDP: %d (ccode, year) printed by more than one table; the first is used", int(dup.sum()))
        out = out[~dup]
    return out.sort_values(["ccode", "year"]).reset_index(drop=True)


def _match_seed_gdp(frame: pd.DataFrame, levels: pd.DataFrame | None, max_gap: int) -> dict[str, np.ndarray]:
    """Seed GDP of both sides in the printed year nearest to ``year`` (|gap| <= max_gap).

    Both sides must be printed for the same year; ties go to the earlier year.
    """
    n = len(frame)
    out = {
        "seed_gdp1": np.full(n, np.nan),
        "seed_gdp2": np.full(n, np.nan),
        "seed_gdp_year": np.full(n, np.nan),
        "seed_gdp_label": np.array([""] * n, dtype=object),
        "seed_gdp_unit": np.array([""] * n, dtype=object),
    }
    if levels is None or levels.empty:
        return out
    lv = {(int(c), int(y)): (v, lab, unit) for c, y, v, unit, lab in levels[SEED_GDP_COLUMNS].itertuples(index=False)}
    years_of = levels.groupby("ccode")["year"].apply(lambda s: set(int(y) for y in s)).to_dict()
    for i, (c1, c2, y) in enumerate(zip(frame["ccode1"], frame["ccode2"], frame["year"])):
        common = sorted(years_of.get(int(c1), set()) & years_of.get(int(c2), set()))
        if not common:
            continue
        best = min(common, key=lambda py: (abs(py - y), py))
        if abs(best - y) > max_gap:
            continue
        v1, lab, unit = lv[(int(c1), best)]
        v2 = lv[(int(c2), best)][0]
        out["seed_gdp1"][i], out["seed_gdp2"][i], out["seed_gdp_year"][i] = v1, v2, best
        out["seed_gdp_label"][i], out["seed_gdp_unit"][i] = lab, unit
    return out


def _safe_ratio(a, b) -> np.ndarray:
    a, b = np.asarray(a, dtype="float64"), np.asarray(b, dtype="float64")
    out = np.full(a.shape, np.nan)
    ok = (a > 0) & (b > 0)
    out[ok] = a[ok] / b[ok]
    return out


def _currency_of(state_year: pd.DataFrame, years: np.ndarray) -> np.ndarray:
    """NMC milex unit for each year (from state_year if it has the column)."""
    if "milex_currency" in state_year.columns:
        m = state_year.drop_duplicates("year").set_index("year")["milex_currency"]
        known = m.reindex(years).to_numpy(dtype=object)
        fallback = np.where(years < 1914, "GBP_thousands", "USD_thousands_current")
        return np.where(pd.isna(known), fallback, known).astype(object)
    return np.where(years < 1914, "GBP_thousands", "USD_thousands_current").astype(object)


def measure_dyads(
    frame: pd.DataFrame,
    state_year: pd.DataFrame,
    *,
    mids: pd.DataFrame,
    tss: pd.DataFrame,
    contdir: pd.DataFrame,
    mindist: pd.DataFrame,
    atop: pd.DataFrame | None = None,
    window: int = 5,
) -> pd.DataFrame:
    """Disparity and Walt's pillars for (ccode1 = focal, ccode2 = partner, year) rows.

    Calls the dyad verbs of :mod:`alliance_models.data.dyads`: add_capabilities
    (this year and five years before, for milex growth), add_contiguity,
    add_mindist, add_rivalry (TSS), add_mids (``window`` years before, partner-initiated MIDs
    give offensive intentions) and, if ``atop`` is given, add_atop. ``mids``
    is :func:`alliance_models.data.dyads.load_mids` output; the others are
    the raw source frames. Adds power_*_rel (partner/focal), milex growth
    (NaN when the two years' milex are in different currencies) and the
    milex currency. Nothing missing is filled in.
    """
    from .data import dyads  # heavy (pyreadr, via .sources): the case-table stages do not need it

    keys = frame[["ccode1", "ccode2", "year"]].reset_index(drop=True).astype("int64")
    out = dyads.add_capabilities(keys, state_year)
    lag = dyads.add_capabilities(keys.assign(year=keys["year"] - 5), state_year)
    years = keys["year"].to_numpy()
    same_cur = _currency_of(state_year, years) == _currency_of(state_year, years - 5)
    for side in ("1", "2"):
        g = _safe_ratio(out[f"milex{side}"], lag[f"milex{side}"]) - 1.0
        g[~same_cur] = np.nan
        out[f"milex{side}_growth5"] = g
    out["milex_currency"] = pd.Series(_currency_of(state_year, years), dtype="str")
    out["power_cinc_rel"] = _safe_ratio(out["cinc2"], out["cinc1"])
    out["power_gdp_rel"] = _safe_ratio(out["gdp2"], out["gdp1"])
    out["power_tpop_rel"] = _safe_ratio(out["tpop2"], out["tpop1"])
    out = dyads.add_contiguity(out, contdir)
    out = dyads.add_mindist(out, mindist)
    out = dyads.add_mids(out, mids, window=window)
    out = dyads.add_rivalry(out, tss)
    if atop is not None:
        out = dyads.add_atop(out, atop)
    return out


def measure_threats(
    cases: pd.DataFrame,
    state_year: pd.DataFrame,
    *,
    mids: pd.DataFrame,
    tss: pd.DataFrame,
    window: int = 5,
) -> pd.DataFrame:
    """Threat measures (ii)-(iv) per case, the maximum over its named threats.

    One row per case_id: threat_cinc, threat_cinc_rel (threat CINC / focal
    CINC), threat_cinc_ccode, threat_mid, threat_mid_hostlev, threat_tss_rival.
    A case with no named threat gets NaN in all of them (not 0).
    """
    from .data import dyads  # heavy (pyreadr, via .sources)

    rows = case_threat_rows(cases)
    ids = cases["case_id"].astype("str").to_numpy()
    out = pd.DataFrame({"case_id": pd.Series(ids, dtype="str")})
    for c in THREAT_INDICATORS:
        out[c] = np.nan
    out["threat_cinc_ccode"] = pd.array([pd.NA] * len(out), dtype="Int64")
    if rows.empty:
        return out
    m = dyads.add_capabilities(rows, state_year)
    m = dyads.add_mids(m, mids, window=window)
    m = dyads.add_rivalry(m, tss)
    m["threat_cinc"] = m["cinc2"]
    m["threat_cinc_rel"] = _safe_ratio(m["cinc2"], m["cinc1"])
    m["threat_mid"] = m["mid_prior"]
    m["threat_mid_hostlev"] = m["mid_prior_hostlev"]
    m["threat_tss_rival"] = m["tss_rival"]
    # max over threats; all-NaN stays NaN
    agg = m.groupby("case_id", sort=False)[THREAT_INDICATORS].max(min_count=1)
    best = m.dropna(subset=["threat_cinc"]).sort_values("threat_cinc", ascending=False).drop_duplicates("case_id")
    agg["threat_cinc_ccode"] = best.set_index("case_id")["ccode2"].reindex(agg.index).astype("Int64")
    out = out[["case_id"]].merge(agg.reset_index(), on="case_id", how="left", validate="one_to_one")
    out["threat_cinc_ccode"] = out["threat_cinc_ccode"].astype("Int64")
    return out


def encode_cases(
    cases: pd.DataFrame,
    state_year: pd.DataFrame,
    *,
    mids: pd.DataFrame,
    tss: pd.DataFrame,
    contdir: pd.DataFrame,
    mindist: pd.DataFrame,
    atop: pd.DataFrame | None = None,
    seed_gdp: pd.DataFrame | None = None,
    window: int = 5,
    seed_gdp_max_gap: int = 2,
    latent: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Measure every (case, partner) pair; one row each, columns in ENCODED_DOCS.

    ``cases`` is :func:`validate_case_files` output; ``state_year`` the
    state-year panel (ccode, year, cinc, gdp, milex, tpop, milex_currency);
    ``mids`` :func:`alliance_models.data.dyads.load_mids` output; ``tss``,
    ``contdir``, ``mindist``, ``atop`` the raw peacesciencer frames;
    ``seed_gdp`` :func:`seed_gdp_levels` output (or None); ``latent`` the
    latent capability table (or None: no latent columns). ``window`` is the
    MID look-back (years t-window .. t-1). The seed nominal GDP is used only
    where both states are printed for a year within ``seed_gdp_max_gap`` of
    the case year (nearest; ties to the earlier year).
    """
    pairs = case_partner_rows(cases)
    measured = measure_dyads(
        pairs, state_year, mids=mids, tss=tss, contdir=contdir, mindist=mindist, atop=atop, window=window
    )
    seed = _match_seed_gdp(pairs, seed_gdp, seed_gdp_max_gap)
    threats = measure_threats(cases, state_year, mids=mids, tss=tss, window=window)

    meta = cases.set_index("case_id")
    ids = pairs["case_id"]
    out = pd.DataFrame(
        {
            "case_id": ids.astype("str"),
            "ccode1": pairs["ccode1"],
            "ccode2": pairs["ccode2"],
            "year": pairs["year"],
            "end_year": pd.array(meta["end_year"].reindex(ids).to_numpy(), dtype="Int64"),
            "partner_no": pairs["partner_no"],
            "n_partners": meta["partners"].map(len).reindex(ids).astype("int64").to_numpy(),
            "event": meta["event"].reindex(ids).to_numpy(),
            "allied": meta["allied"].reindex(ids).astype("int64").to_numpy(),
            "category": meta["category"].reindex(ids).to_numpy(),
            "expert_disparity": meta["expert_disparity"].reindex(ids).to_numpy(),
            "expert_threat": meta["expert_threat"].reindex(ids).to_numpy(),
        }
    )
    out["expert_cell"] = [YU_CELLS[(d, t)] for d, t in zip(out["expert_disparity"], out["expert_threat"])]
    # 0/1 versions of the expert codes, for model formulas
    out["threat_high"] = (out["expert_threat"] == "high").astype("int64")
    out["disparity_high"] = (out["expert_disparity"] == "high").astype("int64")
    out["threat_codes"] = meta["threat"].map(lambda t: ";".join(map(str, t))).reindex(ids).to_numpy()
    out["n_threats"] = meta["threat"].map(len).reindex(ids).astype("int64").to_numpy()
    out["file"] = meta["file"].reindex(ids).to_numpy()
    out["sources"] = meta["sources"].map(lambda s: " | ".join(s)).reindex(ids).to_numpy()
    for c in (
        "cinc1",
        "cinc2",
        "cinc_ratio",
        "log_cinc_ratio",
        "cinc_prop",
        "bremer_cat",
        "gdp1",
        "gdp2",
        "gdp_ratio",
        "log_gdp_ratio",
        "milex1",
        "milex2",
        "milex_ratio",
        "log_milex_ratio",
        "milex_currency",
        "tpop1",
        "tpop2",
    ):
        out[c] = measured[c].to_numpy()
    if latent is not None:
        from .data import dyads  # heavy (pyreadr, via .sources)

        lat = dyads.add_latent(pairs[["ccode1", "ccode2", "year"]].reset_index(drop=True).astype("int64"), latent)
        for c in ("latent1", "latent2", "latent_sd1", "latent_sd2", "log_latent_ratio", "log_latent_ratio_sd"):
            out[c] = lat[c].to_numpy()
    out["seed_gdp1"], out["seed_gdp2"] = seed["seed_gdp1"], seed["seed_gdp2"]
    out["seed_gdp_ratio"] = _safe_ratio(seed["seed_gdp1"], seed["seed_gdp2"])
    out["log_seed_gdp_ratio"] = np.log(out["seed_gdp_ratio"])
    out["seed_gdp_year"] = pd.array([pd.NA if np.isnan(v) else int(v) for v in seed["seed_gdp_year"]], dtype="Int64")
    out["seed_gdp_label"] = pd.Series(seed["seed_gdp_label"], dtype="str")
    out["seed_gdp_unit"] = pd.Series(seed["seed_gdp_unit"], dtype="str")
    t = threats.set_index("case_id").reindex(ids)
    for c in (
        "threat_cinc",
        "threat_cinc_rel",
        "threat_cinc_ccode",
        "threat_mid",
        "threat_mid_hostlev",
        "threat_tss_rival",
    ):
        out[c] = t[c].to_numpy()
    out["threat_cinc_ccode"] = out["threat_cinc_ccode"].astype("Int64")
    for c in (
        "power_cinc_rel",
        "power_gdp_rel",
        "power_tpop_rel",
        "conttype",
        "mindist",
        "milex2_growth5",
        "milex1_growth5",
        "mid_prior",
        "mid_prior_count",
        "mid_prior_hostlev",
        "mid_prior_init2",
        "mid_prior_init2_hostlev",
        "tss_rival",
    ):
        out[c] = measured[c].to_numpy()
    if atop is not None:
        for c in ("atop_defense", "atop_offense", "atop_neutral", "atop_nonagg", "atop_consul", "atop_any"):
            out[c] = measured[c].to_numpy()
    for c in (
        "case_id",
        "event",
        "category",
        "expert_disparity",
        "expert_threat",
        "expert_cell",
        "threat_codes",
        "file",
        "sources",
        "bremer_cat",
        "milex_currency",
    ):
        out[c] = out[c].astype("str")
    out.loc[out["cinc_ratio"].isna(), "bremer_cat"] = pd.NA
    log.info("encoded %d case-partner rows from %d cases", len(out), out["case_id"].nunique())
    for c in INDICATORS:
        if c in out.columns:
            n = int(out[c].isna().sum())
            if n:
                log.info("missing %s: %d of %d rows", c, n, len(out))
    return out.reset_index(drop=True)


def missing_counts(encoded: pd.DataFrame) -> pd.DataFrame:
    """How many (case, partner) rows and cases lack each indicator, and why for threats."""
    rows = []
    no_threat = encoded["n_threats"] == 0
    for c in INDICATORS:
        if c not in encoded.columns:
            continue
        miss = encoded[c].isna()
        note = ""
        if c in THREAT_INDICATORS:
            note = f"{int((miss & no_threat).sum())} of them: the case names no threat"
        elif c == "seed_gdp_ratio":
            note = "the seed tables print nominal GDP for few states and years only"
        elif c == "milex2_growth5":
            note = "NaN also across the 1914 milex currency change"
        rows.append(
            {
                "indicator": c,
                "description": ENCODED_DOCS.get(c, ""),
                "n_rows": int(len(encoded)),
                "n_missing": int(miss.sum()),
                "share_missing": float(miss.mean()) if len(encoded) else float("nan"),
                "n_cases_missing": int(encoded.loc[miss, "case_id"].nunique()),
                "note": note,
            }
        )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------
# Yu's Table 1 as data
# ---------------------------------------------------------------------------

# measure key -> (ratio column in the encoded frame, label)
DISPARITY_MEASURES = {
    "cinc": ("cinc_ratio", "CINC (COW NMC)"),
    "gdp": ("gdp_ratio", "GDP (Maddison 2023, PPP)"),
    "milex": ("milex_ratio", "military expenditure (COW NMC)"),
    "seed_gdp": ("seed_gdp_ratio", "seed nominal GDP (Moura Table 1)"),
}
YU_LABELS = {
    "strong_alliance": "Strong alliance",
    "unstable_alliance": "Unstable alliance (distrust and discords)",
    "affiliation": "Affiliated/control (extra burden may emerge)",
    "no_alliance": "No alliance",
}


def disparity_level(ratio, threshold: float, symmetric: bool = True) -> pd.Series:
    """'high' where the ratio exceeds ``threshold``, 'low' where not, NA where missing.

    ``symmetric``: compare stronger/weaker (max(r, 1/r)), i.e. the size of the
    gap whichever side is stronger; otherwise focal/partner as it stands.
    """
    r = pd.Series(np.asarray(ratio, dtype="float64"))
    gap = np.maximum(r, 1.0 / r) if symmetric else r
    out = pd.Series(np.where(gap > threshold, "high", "low"), dtype="str")
    return out.mask(r.isna() | ~np.isfinite(r))


def measured_threat(encoded: pd.DataFrame, rules: Mapping) -> pd.Series:
    """'high' if a named threat meets any rule, 'low' if none, NA if no threat is named.

    Rules (config typology.threat): cinc_rel_min (threat CINC / focal CINC at
    least this), mid_hostlev_min (a MID with the focal state in the prior
    window at least this hostile), tss_rival (a TSS strategic rival counts).
    A rule whose indicator is missing does not count; if every indicator is
    missing the result is NA.
    """
    rel = encoded["threat_cinc_rel"].to_numpy("float64")
    host = encoded["threat_mid_hostlev"].to_numpy("float64")
    riv = encoded["threat_tss_rival"].to_numpy("float64")
    high = (rel >= rules["cinc_rel_min"]) | (host >= rules["mid_hostlev_min"])
    known = ~np.isnan(rel) | ~np.isnan(host)
    if rules.get("tss_rival", True):
        high |= riv == 1
        known |= ~np.isnan(riv)
    out = pd.Series(np.where(high, "high", "low"), dtype="str")
    return out.mask(~known | (encoded["n_threats"].to_numpy() == 0))


def _cell(disparity: pd.Series, threat: pd.Series) -> pd.Series:
    vals = [
        YU_CELLS.get((d, t)) if isinstance(d, str) and isinstance(t, str) else None for d, t in zip(disparity, threat)
    ]
    return pd.Series(vals, dtype="str")


def typology_table(encoded: pd.DataFrame, thresholds: Mapping) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Yu's Table 1 as data.

    ``thresholds`` is the config key ``typology``: ``disparity_ratio`` (one
    threshold per measure in DISPARITY_MEASURES), ``symmetric`` and
    ``threat`` (see :func:`measured_threat`).

    Returns ``(cells, per_case)``. ``per_case`` has one row per (case,
    partner): for each measure m the ratio (ratio_m), its level
    (disparity_m) and the cell it gives with the expert threat code
    (cell_m); the measured threat level and the cell it gives with CINC
    disparity; ``cells_differ`` (the measures available put the pair in more
    than one cell), ``differs_from_expert`` (some measure's cell is not the
    expert cell) and ``n_measures``. ``cells`` has one row per cell of Table
    1: the cases the literature puts there (expert codes; ids and counts,
    with how many were allied) and how many case-partner rows each measure
    puts there, plus a last row counting rows a measure could not place.
    """
    disp = thresholds["disparity_ratio"]
    symmetric = thresholds.get("symmetric", True)
    per = (
        encoded[
            [
                "case_id",
                "ccode1",
                "ccode2",
                "year",
                "event",
                "allied",
                "category",
                "expert_disparity",
                "expert_threat",
                "expert_cell",
            ]
        ]
        .reset_index(drop=True)
        .copy()
    )
    expert_threat = per["expert_threat"]
    cell_cols = []
    for m, (col, _label) in DISPARITY_MEASURES.items():
        ratio = encoded[col].reset_index(drop=True)
        per[f"ratio_{m}"] = ratio.to_numpy("float64")
        per[f"disparity_{m}"] = disparity_level(ratio, disp[m], symmetric)
        per[f"cell_{m}"] = _cell(per[f"disparity_{m}"], expert_threat)
        cell_cols.append(f"cell_{m}")
    per["seed_gdp_year"] = pd.array(encoded["seed_gdp_year"].reset_index(drop=True), dtype="Int64")
    per["threat_measured"] = measured_threat(encoded.reset_index(drop=True), thresholds["threat"])
    per["cell_cinc_measured_threat"] = _cell(per["disparity_cinc"], per["threat_measured"])
    cells = per[cell_cols]
    per["n_measures"] = cells.notna().sum(axis=1).astype("int64")
    per["cells_differ"] = cells.apply(lambda r: r.dropna().nunique() > 1, axis=1).astype(bool)
    per["differs_from_expert"] = cells.apply(
        lambda r: bool((r.dropna() != per.loc[r.name, "expert_cell"]).any()), axis=1
    ).astype(bool)
    per["category_is_expert_cell"] = (per["category"] == per["expert_cell"]).astype(bool)

    rows = []
    for (d, t), cell in YU_CELLS.items():
        ex = encoded.drop_duplicates("case_id")
        ex = ex[ex["expert_cell"] == cell]
        row = {
            "disparity": d,
            "threat": t,
            "cell": cell,
            "yu_label": YU_LABELS[cell],
            "n_cases_expert": int(len(ex)),
            "n_allied_expert": int(ex["allied"].sum()),
            "cases_expert": "; ".join(sorted(ex["case_id"])),
            "n_cases_category": int((encoded.drop_duplicates("case_id")["category"] == cell).sum()),
        }
        for m in DISPARITY_MEASURES:
            row[f"n_rows_{m}"] = int((per[f"cell_{m}"] == cell).sum())
        row["n_rows_cinc_measured_threat"] = int((per["cell_cinc_measured_threat"] == cell).sum())
        rows.append(row)
    na = {
        "disparity": "",
        "threat": "",
        "cell": "(not placed: indicator missing)",
        "yu_label": "",
        "n_cases_expert": 0,
        "n_allied_expert": 0,
        "cases_expert": "",
        "n_cases_category": 0,
    }
    for m in DISPARITY_MEASURES:
        na[f"n_rows_{m}"] = int(per[f"cell_{m}"].isna().sum())
    na["n_rows_cinc_measured_threat"] = int(per["cell_cinc_measured_threat"].isna().sum())
    rows.append(na)
    cells_df = pd.DataFrame(rows)
    log.info(
        "typology: %d case-partner rows, %d placed differently by the measures, %d differ from the expert cell",
        len(per),
        int(per["cells_differ"].sum()),
        int(per["differs_from_expert"].sum()),
    )
    return cells_df, per


# ---------------------------------------------------------------------------
# Moura's Table 4 recomputed
# ---------------------------------------------------------------------------

PILLARS = ["Aggregate power", "Proximity", "Offensive capabilities", "Offensive intentions", "Conclusion"]
SIGNS = {"+", "-", "+/-"}
TABLE4_COLUMNS = ["source", "table", "row", "column", "year", "focal", "partner", "printed", "citation", "note"]
_POWER_COLUMNS = {
    "cinc": "power_cinc_rel",
    "gdp": "power_gdp_rel",
    "tpop": "power_tpop_rel",
    "seed_gdp": "seed_gdp_rel",
}


def load_moura_table4(path: str | os.PathLike) -> pd.DataFrame:
    """Read the transcription of Moura's printed Table 4 and check it."""
    path = Path(path)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError) as exc:
        raise CaseError(f"{path}: cannot be read as CSV ({exc})") from None
    missing = [c for c in TABLE4_COLUMNS if c not in df.columns]
    if missing:
        raise CaseError(f"{path}: missing column(s) {', '.join(missing)}")
    problems = []
    for i, r in enumerate(df.to_dict("records"), start=1):
        if r["row"] not in PILLARS:
            problems.append(f"{path}: row {i}: field 'row': '{r['row']}' is not one of {', '.join(PILLARS)}")
        if r["printed"] not in SIGNS:
            problems.append(f"{path}: row {i}: field 'printed': '{r['printed']}' is not one of + - +/-")
        for f in ("year", "focal", "partner"):
            if not r[f].isdigit():
                problems.append(f"{path}: row {i}: field '{f}': '{r[f]}' is not an integer")
    if problems:
        raise CaseError("\n  ".join(problems))
    for f in ("year", "focal", "partner"):
        df[f] = df[f].astype("int64")
    if df.duplicated(["row", "year"]).any():
        raise CaseError(f"{path}: a (row, year) pair appears twice")
    return df


def _sign_power(r: Mapping, rules: Mapping) -> tuple[str | None, str]:
    parts, signs = [], []
    for m in rules["power_measures"]:
        v = r.get(_POWER_COLUMNS[m], np.nan)
        if v is None or pd.isna(v):
            parts.append(f"{m} n/a")
            continue
        s = "+" if v >= rules["power_ratio_min"] else "-"
        signs.append(s)
        parts.append(f"{m} {v:.2f} ({s})")
    ev = "partner/focal " + ", ".join(parts) + f"; + when >= {rules['power_ratio_min']}"
    if not signs:
        return None, ev
    return (signs[0] if len(set(signs)) == 1 else "+/-"), ev


def _sign_proximity(r: Mapping, rules: Mapping) -> tuple[str | None, str]:
    ct, md = r.get("conttype", np.nan), r.get("mindist", np.nan)
    ev = (
        f"conttype {'n/a' if pd.isna(ct) else int(ct)}, mindist {'n/a' if pd.isna(md) else f'{md:.0f} km'}; "
        f"+ when 1 <= conttype <= {rules['proximity_conttype_max']}"
    )
    if pd.isna(ct):
        return None, ev
    return ("+" if 1 <= ct <= rules["proximity_conttype_max"] else "-"), ev


def _sign_capability(r: Mapping, rules: Mapping) -> tuple[str | None, str]:
    g2, g1 = r.get("milex2_growth5", np.nan), r.get("milex1_growth5", np.nan)
    fmt = lambda v: "n/a" if pd.isna(v) else f"{100 * v:.0f}%"  # noqa: E731
    ev = (
        f"5-year milex growth partner {fmt(g2)} vs focal {fmt(g1)}; + when partner's exceeds focal's "
        f"by more than {rules['capability_growth_margin']}"
    )
    if pd.isna(g2) or pd.isna(g1):
        return None, ev
    return ("+" if g2 - g1 > rules["capability_growth_margin"] else "-"), ev


def _sign_intentions(r: Mapping, rules: Mapping) -> tuple[str | None, str]:
    n, h = r.get("mid_prior_init2", np.nan), r.get("mid_prior_init2_hostlev", np.nan)
    ev = (
        f"MIDs initiated by partner against focal in prior window: {'n/a' if pd.isna(n) else int(n)}"
        f" (highest hostility {'n/a' if pd.isna(h) else int(h)}); + when >= 1 at hostility >= "
        f"{rules['intentions_hostlev_min']}"
    )
    if pd.isna(n):
        return None, ev
    return ("+" if n >= 1 and h >= rules["intentions_hostlev_min"] else "-"), ev


def moura_table4(indicators: pd.DataFrame, thresholds: Mapping, printed: pd.DataFrame | None = None) -> pd.DataFrame:
    """Moura's Table 4 (+/- per Walt pillar and year) computed from the measures.

    ``indicators`` has rows (ccode1, ccode2, year) with the columns of
    :func:`measure_dyads` (the encoded case frame will do, or
    :func:`moura_indicators` output); ``thresholds`` is the config key
    ``typology``, of which ``moura`` gives focal, partner, years and the rules:

    - aggregate power: each measure in power_measures (partner/focal ratio) is
      + at or above power_ratio_min; all + -> +, all - -> -, mixed -> +/-;
    - proximity: + when COW contiguity type is between 1 and
      proximity_conttype_max;
    - offensive capabilities: + when the partner's 5-year military
      expenditure growth exceeds the focal state's by more than
      capability_growth_margin;
    - offensive intentions: + when the partner initiated at least one MID
      against the focal state in the prior window at hostility of at least
      intentions_hostlev_min;
    - conclusion: + when the mean score of the four pillars (+ 1, +/- 0.5,
      - 0; missing pillars skipped) reaches conclusion_plus_share_min.

    ``printed`` (from :func:`load_moura_table4`) adds the paper's own coding,
    an ``agree`` column, and per-year and overall agreement counts (rows with
    row 'Agreement'; counts over the four pillars and the conclusion).
    """
    rules = thresholds["moura"]
    focal, partner, years = int(rules["focal"]), int(rules["partner"]), [int(y) for y in rules["years"]]
    ind = indicators[(indicators["ccode1"] == focal) & (indicators["ccode2"] == partner)]
    ind = ind.drop_duplicates("year").set_index("year")
    if "seed_gdp_ratio" in ind.columns:
        ind = ind.assign(seed_gdp_rel=1.0 / ind["seed_gdp_ratio"])
    printed_map = {}
    if printed is not None:
        printed_map = {
            (r["row"], int(r["year"])): r["printed"]
            for r in printed.to_dict("records")
            if int(r["focal"]) == focal and int(r["partner"]) == partner
        }
    funcs = {
        "Aggregate power": _sign_power,
        "Proximity": _sign_proximity,
        "Offensive capabilities": _sign_capability,
        "Offensive intentions": _sign_intentions,
    }
    score = {"+": 1.0, "+/-": 0.5, "-": 0.0}
    rows = []
    for y in years:
        r = ind.loc[y].to_dict() if y in ind.index else {}
        signs = []
        for pillar, f in funcs.items():
            s, ev = f(r, rules) if r else (None, "no indicators for this dyad-year")
            signs.append(s)
            rows.append({"pillar": pillar, "year": y, "evidence": ev, "computed": s})
        known = [score[s] for s in signs if s is not None]
        share = float(np.mean(known)) if known else np.nan
        concl = None if not known else ("+" if share >= rules["conclusion_plus_share_min"] else "-")
        rows.append(
            {
                "pillar": "Conclusion",
                "year": y,
                "evidence": f"mean pillar score {share:.2f} over {len(known)} pillar(s); + when >= "
                f"{rules['conclusion_plus_share_min']}",
                "computed": concl,
            }
        )
    out = pd.DataFrame(rows)
    out.insert(2, "focal", focal)
    out.insert(3, "partner", partner)
    out["printed"] = [printed_map.get((p, y)) for p, y in zip(out["pillar"], out["year"])]
    out["agree"] = [None if c is None or p is None else bool(c == p) for c, p in zip(out["computed"], out["printed"])]
    out["n_agree"] = pd.NA
    out["n_compared"] = pd.NA
    summary = []
    for y in years + [None]:
        sub = out if y is None else out[out["year"] == y]
        comp = sub["agree"].dropna()
        summary.append(
            {
                "pillar": "Agreement",
                "year": y if y is not None else pd.NA,
                "focal": focal,
                "partner": partner,
                "evidence": "all years" if y is None else f"year {y}",
                "computed": None,
                "printed": None,
                "agree": None,
                "n_agree": int(sum(comp)),
                "n_compared": int(len(comp)),
            }
        )
    out = pd.concat([out, pd.DataFrame(summary)], ignore_index=True)
    out["year"] = out["year"].astype("Int64")
    out["n_agree"] = out["n_agree"].astype("Int64")
    out["n_compared"] = out["n_compared"].astype("Int64")
    out["agree"] = out["agree"].astype("boolean")
    for c in ("pillar", "evidence", "computed", "printed"):
        out[c] = out[c].astype("str")
    return out


def moura_indicators(state_year: pd.DataFrame, thresholds: Mapping, **sources) -> pd.DataFrame:
    """:func:`measure_dyads` for the focal-partner dyad in the years of ``typology.moura``.

    ``sources`` are the keyword frames of :func:`measure_dyads` (mids, tss,
    contdir, mindist, atop) plus optional ``seed_gdp`` and ``seed_gdp_max_gap``.
    Independent of the case files, so the table can be made from any case set.
    """
    rules = thresholds["moura"]
    frame = pd.DataFrame(
        {"ccode1": int(rules["focal"]), "ccode2": int(rules["partner"]), "year": [int(y) for y in rules["years"]]}
    ).astype("int64")
    seed_gdp = sources.pop("seed_gdp", None)
    gap = sources.pop("seed_gdp_max_gap", thresholds.get("seed_gdp_max_gap", 2))
    sources.setdefault("window", thresholds.get("mid_window", 5))
    out = measure_dyads(frame, state_year, **sources)
    seed = _match_seed_gdp(frame, seed_gdp, gap)
    out["seed_gdp_ratio"] = _safe_ratio(seed["seed_gdp1"], seed["seed_gdp2"])
    return out


# ---------------------------------------------------------------------------
# reading the sources the encoding needs (the stages: alliance_models.stages)
# ---------------------------------------------------------------------------

# rule input name -> source name in config/sources.yaml
CASE_INPUT_SOURCES = {
    "cow_states": "cow_states",
    "atop": "atop",
    "contiguity": "contiguity",
    "mindist": "mindist",
    "mids": "cow_mid_directed",
    "tss": "tss_rivalries",
}


def read_dyad_sources(inputs: Mapping, sources: Mapping) -> dict[str, pd.DataFrame]:
    # heavy (pyreadr): only reading the dyad sources needs it
    from .data.dyads import load_mids
    from .sources import read_source

    def read(name):
        return read_source(inputs[name], sources[CASE_INPUT_SOURCES[name]])

    out = {
        "tss": read("tss"),
        "contdir": read("contiguity"),
        "mindist": read("mindist"),
        "mids": load_mids(read("mids"), "cow", str(inputs["mids"])),
    }
    if "atop" in inputs:
        out["atop"] = read("atop")
    return out


def seed_levels_or_none(seed_dir) -> pd.DataFrame | None:
    if seed_dir is None or not Path(seed_dir).is_dir() or not any(Path(seed_dir).glob("*.csv")):
        log.warning("no seed tables in %s: the seed nominal GDP measure is missing for every case", seed_dir)
        return None
    return seed_gdp_levels(seed_dir)
