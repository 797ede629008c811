"""The seeds' claims: which evidence answers each, by which rule, with which label.

One home for the verdicts. Every claim names its *primary evidence* (a
fitted model and a term) and a *robustness strip*: the same quantity in the
fits that vary one choice at a time. Each cell of the strip is a
:class:`Cell`: the posterior median, a 90% interval and P(sign) of one
coefficient in one fit, with the fit's status and the number of independent
decisions behind its events.

The labels (:data:`LABELS`) say *why* a verdict is what it is:

- ``supported`` / ``not supported`` / ``opposite sign``: the primary cell's
  sign is the claim's (posterior probability of that sign at least
  ``prob``, i.e. the central interval excludes 0), is unclear (the interval
  includes 0), or is the other one; and no robustness axis splits;
- ``depends on measure``: on the common sample (rows where every disparity
  measure exists) the measures give different calls;
- ``depends on sample``: a measure gives a different call on its own sample
  than on the common one;
- ``depends on alliance type``: defence pacts and any obligation differ;
- ``depends on specification``: leaving out the largest multilateral cluster
  or using the side-blind threat measure changes the call;
- ``too few decisions to tell``: the primary fit's events come from fewer
  than ``min_decisions`` decisions (a focal state's year of onsets, a case):
  whatever the posterior says, that is too little independent evidence;
- ``no verdict (fit failed)``: the primary fit failed the convergence gate
  (a failed fit is never a finding).

A split is read only between cells that are usable (passed the gate, enough
decisions); cells with too few decisions are shown and named in the note but
cannot split a verdict. When several axes split, the label names the first in
the order above and the note lists every split.

The functions here take plain numbers, so the tests build synthetic
posteriors for every label.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace

SUPPORTED = "supported"
NOT_SUPPORTED = "not supported"
OPPOSITE = "opposite sign"
DEPENDS_MEASURE = "depends on measure"
DEPENDS_SAMPLE = "depends on sample"
DEPENDS_TYPE = "depends on alliance type"
DEPENDS_SPEC = "depends on specification"
TOO_FEW = "too few decisions to tell"
NO_VERDICT = "no verdict (fit failed)"
NOT_FITTED = "no verdict (model not fitted)"
LABELS = (
    SUPPORTED,
    NOT_SUPPORTED,
    OPPOSITE,
    DEPENDS_MEASURE,
    DEPENDS_SAMPLE,
    DEPENDS_TYPE,
    DEPENDS_SPEC,
    TOO_FEW,
    NO_VERDICT,
    NOT_FITTED,
)

# robustness axes, in the order a split names the verdict
AXES = {
    "measure": DEPENDS_MEASURE,
    "sample": DEPENDS_SAMPLE,
    "alliance type": DEPENDS_TYPE,
    "specification": DEPENDS_SPEC,
}

POSITIVE, NEGATIVE, UNCLEAR = "positive", "negative", "unclear"
FAILED, MISSING, FEW = "fit failed", "not fitted", "too few decisions"


@dataclass
class Cell:
    """One coefficient in one fit. ``axis``: the strip row it belongs to
    ('primary', 'measure', 'sample', 'alliance type', 'specification');
    ``label``: what it varies ('cinc, common sample', 'any obligation', ...);
    ``measure`` and ``sample`` ('own' / 'common') pair a measure's two fits."""

    model: str
    term: str
    axis: str
    label: str
    status: str = "missing"
    median: float = math.nan
    lo: float = math.nan
    hi: float = math.nan
    p_positive: float = math.nan
    n_events: int | None = None
    n_decisions: int | None = None
    measure: str = ""
    sample: str = "own"
    # what one decision is (the model's ``unit``: treaties, signing years, decision-years)
    unit: str = "decisions"

    def call(self, prob: float = 0.95, min_decisions: int = 10) -> str:
        """positive / negative / unclear, or why the cell cannot be read."""
        if self.status in ("missing", None) or self.p_positive != self.p_positive:
            return MISSING
        if self.status != "ok":
            return FAILED
        if self.n_decisions is not None and self.n_decisions < min_decisions:
            return FEW
        return sign_of(self.p_positive, prob)

    def usable(self, prob: float = 0.95, min_decisions: int = 10) -> bool:
        return self.call(prob, min_decisions) in (POSITIVE, NEGATIVE, UNCLEAR)

    def text(self) -> str:
        """'+0.42 [-0.10, +0.95], P(>0) 0.93, 12 decisions' (or why not)."""
        if self.status in ("missing", None) or self.p_positive != self.p_positive:
            return "not fitted"
        s = f"{fmt(self.median)} [{fmt(self.lo)}, {fmt(self.hi)}], P(>0) {self.p_positive:.2f}" + (
            f", {self.n_decisions} {self.unit}" if self.n_decisions is not None else ""
        )
        return ("FIT FAILED (not a finding): " + s) if self.status != "ok" else s

    def as_row(self, prob: float = 0.95, min_decisions: int = 10) -> dict:
        return {**asdict(self), "call": self.call(prob, min_decisions), "text": self.text()}


def sign_of(p_positive: float, prob: float = 0.95) -> str:
    """positive / negative when that sign has posterior probability >= prob, else unclear."""
    if p_positive is None or p_positive != p_positive:
        return UNCLEAR
    if p_positive >= prob:
        return POSITIVE
    if p_positive <= 1 - prob:
        return NEGATIVE
    return UNCLEAR


def fmt(x, signed: bool = True) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "NA"
    return f"{x:+.2f}" if signed else f"{x:.2f}"


@dataclass
class Verdict:
    """A claim's label, the reason in one line, and the splits found."""

    label: str
    reason: str
    splits: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)


def _axis_split(cells: list[Cell], prob: float, min_decisions: int) -> tuple[bool, str]:
    usable = [c for c in cells if c.usable(prob, min_decisions)]
    calls = {c.call(prob, min_decisions) for c in usable}
    text = ", ".join(f"{c.label}: {c.call(prob, min_decisions)}" for c in cells)
    return len(calls) > 1, text


def _sample_split(cells: list[Cell], prob: float, min_decisions: int) -> tuple[bool, str]:
    """A measure's own-sample call against its common-sample call."""
    by = {}
    for c in cells:
        by.setdefault(c.measure, {})[c.sample] = c
    diff, parts = False, []
    for m, pair in by.items():
        own, com = pair.get("own"), pair.get("common")
        if own is None or com is None:
            continue
        a, b = own.call(prob, min_decisions), com.call(prob, min_decisions)
        parts.append(f"{m}: {a} (own) / {b} (common)")
        if own.usable(prob, min_decisions) and com.usable(prob, min_decisions) and a != b:
            diff = True
    return diff, "; ".join(parts)


def directional_verdict(
    primary: Cell, strip: list[Cell], expected: int, prob: float = 0.95, min_decisions: int = 10
) -> Verdict:
    """The verdict on "the effect has sign ``expected``" (+1 / -1).

    ``primary``: the claim's primary cell; ``strip``: the robustness cells
    (their ``axis`` says which axis each belongs to; the primary cell is
    added to the alliance-type and specification axes as their reference).
    See the module docstring for the rule."""
    call = primary.call(prob, min_decisions)
    want = POSITIVE if expected > 0 else NEGATIVE
    axes = {a: [c for c in strip if c.axis == a] for a in AXES}
    splits, notes, reversed_ = {}, [], set()
    for axis, cells in axes.items():
        if not cells:
            continue
        if axis == "sample":
            split, text = _sample_split(cells, prob, min_decisions)
        else:
            # the primary is the reference of these axes, named as such (not by its measure)
            ref = [replace(primary, label=f"primary fit {primary.model}")]
            ref = ref if axis in ("alliance type", "specification") else []
            split, text = _axis_split(ref + cells, prob, min_decisions)
            if {POSITIVE, NEGATIVE} <= {c.call(prob, min_decisions) for c in ref + cells}:
                reversed_.add(axis)
            few = [c.label for c in cells if c.call(prob, min_decisions) == FEW]
            if few:
                notes.append(f"{axis}: too few decisions to read {', '.join(few)}")
        if split:
            splits[axis] = text
    if call == FAILED:
        return Verdict(NO_VERDICT, f"{primary.model} failed the convergence gate", splits, notes)
    if call == MISSING:
        return Verdict(NOT_FITTED, f"{primary.model} was not fitted", splits, notes)
    if call == FEW:
        return Verdict(
            TOO_FEW,
            f"{primary.model}: {primary.n_events} events from {primary.n_decisions} {primary.unit} "
            f"(fewer than {min_decisions})",
            splits,
            notes,
        )
    base = SUPPORTED if call == want else NOT_SUPPORTED if call == UNCLEAR else OPPOSITE
    why = {
        SUPPORTED: f"{call} in {primary.model} (P = {max(primary.p_positive, 1 - primary.p_positive):.2f})",
        NOT_SUPPORTED: f"the interval includes 0 in {primary.model}",
        OPPOSITE: f"{call}, not {want}, in {primary.model}",
    }[base]
    if splits:
        # an axis on which the sign reverses names the verdict before one where
        # a signed cell stands beside an unclear one
        first = next((a for a in splits if a in reversed_), next(iter(splits)))
        return Verdict(AXES[first], f"{why}; but {first}: {splits[first]}", splits, notes)
    return Verdict(base, why, splits, notes)


def difference_verdict(
    elpd_diff: float,
    elpd_se: float,
    p_outside: float,
    status: str,
    prob: float = 0.95,
    z: float = 2.0,
    outside: float = 0.9,
    level: str = "the focal state",
) -> Verdict:
    """Is the USSR different from the other major powers?

    Two joint quantities: ``elpd_diff`` (PSIS-LOO expected log predictive
    density of the model with USSR-specific slopes minus the one without;
    ``elpd_se`` its standard error) and ``p_outside`` (the posterior
    probability that the USSR's slope vector lies outside the central 90% of
    the population distribution of the major powers' slopes; about 0.1 for a
    typical power). The rule: ``supported`` when the USSR-specific slopes
    predict better by more than ``z`` standard errors AND p_outside >=
    ``outside``; ``not supported`` otherwise (the reason says which quantity
    falls short). ``status``: the worst gate status of the fits involved;
    ``level``: the name of the level compared (for the text)."""
    if status in ("missing", None) or elpd_diff != elpd_diff:
        return Verdict(NOT_FITTED, "the models were not fitted")
    if status != "ok":
        return Verdict(NO_VERDICT, "a fit behind the comparison failed the convergence gate")
    better = elpd_diff > z * elpd_se
    far = p_outside == p_outside and p_outside >= outside
    text = (
        f"ΔELPD {elpd_diff:+.1f} (SE {elpd_se:.1f}) for slopes specific to {level}; "
        f"P({level} outside the central 90% of the powers' slopes) {p_outside:.2f}"
    )
    if better and far:
        return Verdict(SUPPORTED, text)
    short = [w for w, ok in ((f"ΔELPD within {z:g} SE", better), (f"P(outside) below {outside:g}", far)) if not ok]
    return Verdict(NOT_SUPPORTED, f"{text} ({' and '.join(short)})")


def balancing_verdict(
    rising: bool,
    excess_p: float,
    rate_p: float,
    status: str,
    n_decisions: int | None,
    prob: float = 0.95,
    min_decisions: int = 10,
    focal: str = "the focal state",
    threat: str = "the threat state",
) -> Verdict:
    """ "The USSR perceived a rising threat from China but did not balance."

    ``rising``: the recomputed threat score rose; ``excess_p``: P(replicated
    onsets with China's adversaries >= observed) under the baseline model
    without the China-threat terms (small: more onsets than the baseline
    predicts, i.e. balancing); ``rate_p``: P(onset rate with the adversaries
    > rate with other partners). Balanced when excess_p <= 1 - prob or
    rate_p >= prob. Supported when the threat rose and the USSR did not
    balance. ``focal``, ``threat``: the states' names (for the text)."""
    if status in ("missing", None):
        return Verdict(NOT_FITTED, "the baseline model was not fitted")
    if status != "ok":
        return Verdict(NO_VERDICT, "the baseline model failed the convergence gate")
    if not rising:
        return Verdict(NOT_SUPPORTED, f"the recomputed threat from {threat} did not rise")
    # balancing or its absence, read from a handful of decisions, is neither
    if n_decisions is not None and n_decisions < min_decisions:
        return Verdict(
            TOO_FEW,
            f"the onsets with {threat}'s adversaries come from {n_decisions} decision-years (fewer than "
            f"{min_decisions}): neither balancing nor its absence can be read",
        )
    model = excess_p == excess_p and excess_p <= 1 - prob
    raw = rate_p == rate_p and rate_p >= prob
    if model or raw:
        why = [
            w
            for w, f in (
                (f"more onsets with {threat}'s adversaries than the no-threat baseline predicts", model),
                ("a higher onset rate with them than with other partners", raw),
            )
            if f
        ]
        return Verdict(NOT_SUPPORTED, f"threat rose and {focal} balanced: " + " and ".join(why))
    return Verdict(
        SUPPORTED,
        f"threat rose; no more onsets with {threat}'s adversaries than the no-threat "
        "baseline predicts, and no higher rate than with other partners",
    )


# --------------------------------------------------------------------------
# which fits answer each claim

# The seeds' claims: what each says, where, the sign the claim expects of its
# term (0: not a sign claim) and how the verdict reads.
CLAIMS = {
    "disparity": {
        "claim": "Wider power disparity makes a Soviet alliance more likely (Yu's Table 1); the abstract states "
        "the opposite",
        "seed": "Yu, Table 1 vs abstract",
        "expected": +1,
        "reads": "the disparity coefficient in the conditional logit of the Soviet state's choice of partners, one "
        "choice set per defence treaty it signed as an original member: > 0 is Table 1's sign (partners much weaker "
        "than the USSR are chosen more), < 0 the abstract's (opposite sign); the dyad-year onset model is a "
        "robustness cell",
    },
    "threat": {
        "claim": "An imminent external threat makes a Soviet alliance more likely",
        "seed": "Yu, abstract and section 3",
        "expected": +1,
        "reads": "the coefficient of the militarized disputes initiated against the Soviet state in the prior 5 years "
        "in the yearly model of when it signs a new defence treaty: > 0 supports the claim; being at war, the "
        "rivals' capability, a rival's gain and the partner choice's shared threat are robustness cells",
    },
    "narrowing": {
        "claim": "A narrowing power gap breaks Soviet alliances",
        "seed": "Yu, section 3 (Yugoslavia, China)",
        "expected": -1,
        "reads": "the coefficient of the 5-year change in the log capability ratio on a pledge's end: < 0 supports "
        "the claim (a falling ratio, a narrowing gap where the USSR is the stronger, raises the hazard)",
    },
    "balancing": {
        "claim": "The USSR perceived a rising threat from China but did not balance against it",
        "seed": "Moura, Table 4 and conclusion",
        "expected": 0,
        "reads": "threat: the recomputed Walt-pillar score rises; balancing: new or deepened Soviet obligations "
        "with China's adversaries beyond a model without the China-threat terms",
    },
    "ussr_different": {
        "claim": "The USSR's alliance behaviour differs from the other major powers'",
        "seed": "Yu, introduction",
        "expected": 0,
        "reads": "PSIS-LOO of the major-power model with USSR-specific slopes against the one without, and the "
        "probability that the USSR's slopes lie outside the central 90% of the powers' slopes",
    },
}


def _cell_spec(spec, term: str, axis: str, label: str, measure: str) -> dict:
    t = spec.variant_terms.get(term[1:], term) if term.startswith("$") else term
    return {
        "model": spec.name,
        "term": t,
        "axis": axis,
        "label": label,
        "measure": measure,
        "sample": spec.variant.get("sample", "own"),
    }


def _measure_of(spec, dims=("disparity", "change")) -> str:
    return next((spec.variant[d] for d in dims if d in spec.variant), "")


def plan_directional(specs, cfg: dict, measure: str) -> dict:
    """The cells a directional claim reads, as plain dicts (model, term,
    axis, label, measure, sample): the primary (``cfg['model']`` under
    ``measure``, its own sample) and the strip: every measure on the common
    sample, each measure's own sample, the alliance type (``cfg['any']``),
    the specification sensitivities (``cfg['specification']``: model names,
    or {model, term}). A model that is not among ``specs`` (not declared, or
    left out by the config's ``variants``) gives no cell."""
    full = [s for s in specs if not s.reduced_from]
    term = cfg.get("term", "$disparity")

    def fits(base, sample=None, meas=None):
        return [
            s
            for s in full
            if s.base == base
            and (sample is None or s.variant.get("sample", "own") == sample)
            and (meas is None or _measure_of(s) in (meas, ""))
        ]

    measure = cfg.get("measure", measure)
    prim = fits(cfg["model"], "own", measure)
    out = {
        "primary": _cell_spec(prim[0], term, "primary", f"{measure}", measure)
        if prim
        else {
            "model": f"{cfg['model']}-{measure}",
            "term": term,
            "axis": "primary",
            "label": measure,
            "measure": measure,
            "sample": "own",
        },
        "strip": [],
    }
    for s in fits(cfg["model"], "common"):
        m = _measure_of(s)
        out["strip"].append(_cell_spec(s, term, "measure", f"{m}, common sample", m))
    for s in fits(cfg["model"], "own"):
        if any(c["measure"] == _measure_of(s) for c in out["strip"]):
            out["strip"].append(_cell_spec(s, term, "sample", f"{_measure_of(s)}, own sample", _measure_of(s)))
    common = {c["measure"] for c in out["strip"] if c["axis"] == "measure"}
    for c in [c for c in out["strip"] if c["axis"] == "measure" and c["measure"] in common]:
        out["strip"].append({**c, "axis": "sample", "label": f"{c['measure']}, common sample"})
    if cfg.get("any"):
        for s in fits(cfg["any"], "own", measure):
            out["strip"].append(_cell_spec(s, term, "alliance type", "any obligation", measure))
    for item in cfg.get("specification") or []:
        item = {"model": item} if isinstance(item, str) else item
        for s in fits(item["model"], "own", measure):
            out["strip"].append(
                _cell_spec(
                    s, item.get("term", term), "specification", item.get("label", s.base.replace("_", " ")), measure
                )
            )
    return out


def _fitted_name(specs, base: str, measure: str, suffix: str = "") -> str | None:
    """The fit of ``base`` under ``measure`` (own sample), plus a drop suffix."""
    for s in specs:
        if (
            s.base == base
            and not s.reduced_from
            and s.variant.get("sample", "own") == "own"
            and _measure_of(s) in (measure, "")
        ):
            name = s.name + suffix
            return name if any(x.name == name for x in specs) else None
    return None


def plan_claims(specs, cfg: dict) -> dict:
    """Every claim's evidence from the config's ``report`` key (``measure``:
    the primary disparity measure; ``claims``) and the declared fits.
    Directional claims: their cells (:func:`plan_directional`), with a
    ``secondary`` plan, the seeds' own case coding, checked (never the basis
    of the verdict). balancing: the baselines, each onset model's refit
    without the threat terms (``<model>-<measure>--drop-threat``).
    ussr_different: the varying-slopes fit and the USSR-specific-slopes fit
    (whose PSIS-LOO table holds the comparison with its drop refit)."""
    measure, out = cfg.get("measure", "latent"), {}
    for cid, c in (cfg.get("claims") or {}).items():
        if CLAIMS[cid]["expected"]:
            plan = plan_directional(specs, c, measure)
            sec = c.get("secondary")
            if sec:
                sec = {"model": sec} if isinstance(sec, str) else sec
                plan["secondary"] = plan_directional(specs, {"term": c.get("term", "$disparity"), **sec}, measure)
            out[cid] = plan
        elif cid == "balancing":
            models = c["model"] if isinstance(c["model"], list) else [c["model"]]
            out[cid] = {
                **c,
                "baselines": [n for n in (_fitted_name(specs, m, measure, "--drop-threat") for m in models) if n],
            }
        else:
            out[cid] = {
                **c,
                "slopes_model": _fitted_name(specs, c["slopes"], measure),
                "specific_model": _fitted_name(specs, c["specific"], measure),
            }
    return out


def cells_of(plan: dict) -> list[dict]:
    """Every cell spec of a directional plan, secondary included."""
    out = [plan["primary"], *plan["strip"]]
    if plan.get("secondary"):
        out += cells_of(plan["secondary"])
    return out


def read_cell(spec: dict, summary, diag: dict | None, interval: float = 0.9) -> Cell:
    """A Cell from a fit's summary.csv (a DataFrame) and diagnostics.json
    (a dict); both None when the fit is not there."""
    c = Cell(**spec)
    if summary is None or diag is None:
        return c
    q = (1 - interval) / 2
    row = summary[summary["parameter"] == f"beta[{spec['term']}]"]
    c.status = diag.get("status", "missing")
    c.n_events, c.n_decisions = diag.get("n_events"), diag.get("n_decisions")
    c.unit = diag.get("unit") or c.unit
    if row.empty:
        c.status = "missing"
        return c
    r = row.iloc[0]
    c.median, c.p_positive = float(r["median"]), float(r["p_positive"])
    c.lo, c.hi = float(r[f"eti_{q:.0%}"]), float(r[f"eti_{1 - q:.0%}"])
    return c


# --------------------------------------------------------------------------
# the verdict table, the strips and the findings


def assess_directional(
    cid: str, plan: dict, read, prob: float = 0.95, min_decisions: int = 10, interval: float = 0.9
) -> tuple[dict, list[dict]]:
    """One directional claim: its verdict row and its strip rows.

    ``read(model)`` returns (summary DataFrame, diagnostics dict), or (None,
    None) for a fit that is not there."""

    def cells(p):
        return [read_cell(c, *read(c["model"]), interval=interval) for c in [p["primary"], *p["strip"]]]

    main = cells(plan)
    v = directional_verdict(main[0], main[1:], CLAIMS[cid]["expected"], prob, min_decisions)
    strip = [dict(c.as_row(prob, min_decisions), claim_id=cid, role="primary evidence") for c in main]
    row = {
        "claim_id": cid,
        "claim": CLAIMS[cid]["claim"],
        "seed": CLAIMS[cid]["seed"],
        "verdict": v.label,
        "why": v.reason,
        "primary": f"{main[0].model}, {main[0].term}",
        "estimate": main[0].text(),
        "n_events": main[0].n_events,
        "n_decisions": main[0].n_decisions,
        "unit": main[0].unit,
        "splits": "; ".join(f"{a}: {t}" for a, t in v.splits.items()),
        "note": "; ".join(v.notes),
        "reads": CLAIMS[cid]["reads"],
    }
    if plan.get("secondary"):
        sec = cells(plan["secondary"])
        sv = directional_verdict(sec[0], sec[1:], CLAIMS[cid]["expected"], prob, min_decisions)
        row.update(
            {
                "secondary_verdict": sv.label,
                "secondary": f"{sec[0].model}, {sec[0].term}: {sec[0].text()}",
                "secondary_why": sv.reason,
            }
        )
        strip += [dict(c.as_row(prob, min_decisions), claim_id=cid, role="the seeds' own coding, checked") for c in sec]
    return row, strip


def _strip_sentence(strip: list[dict], cid: str) -> str:
    rows = [r for r in strip if r["claim_id"] == cid and r["role"] == "primary evidence" and r["axis"] != "primary"]
    calls = {}
    for r in rows:
        calls.setdefault(r["call"], {})[r["label"]] = None  # a cell on two axes is named once
    # labels hold commas ("cinc, common sample"): cells are split by ";", calls by "|"
    return " | ".join(f"{call} under {'; '.join(labels)}" for call, labels in calls.items())


def finding(row: dict, strip: list[dict]) -> str:
    """One short paragraph on a directional claim, generated from its
    numbers: the verdict, the estimate with its uncertainty and the
    decisions behind it, how the robustness strip reads, what would change
    it, and the seeds' own coding beside it."""
    cid, label = row["claim_id"], row["verdict"]
    text = (
        f"**{CLAIMS[cid]['claim']}** ({CLAIMS[cid]['seed']}): **{label}**. "
        f"Primary evidence: {row['primary']}, {row['estimate']} (standardized coefficient, median and 90% "
        f"interval; {row['n_events']} events"
        + (f" from {row['n_decisions']} {row.get('unit') or 'decisions'}" if row.get("n_decisions") is not None else "")
        + ")."
    )
    strip_text = _strip_sentence(strip, cid)
    if strip_text:
        text += f" Robustness: {strip_text}."
    change = {
        SUPPORTED: "It would change if a robustness cell with enough decisions lost the sign.",
        OPPOSITE: "It would change if a robustness cell with enough decisions lost the sign.",
        NOT_SUPPORTED: "More independent decisions, or a sharper measure, could give the interval a sign; none of "
        "the robustness cells with enough decisions has one"
        if "positive" not in strip_text and "negative" not in strip_text
        else "Some robustness cells show a sign (above): the primary evidence does not",
        TOO_FEW: "It needs more independent decisions than the era offers",
        NO_VERDICT: "A fit that passes the convergence gate would give one",
        NOT_FITTED: "Fitting the primary model would give one",
    }.get(label, f"It turns on the {label.removeprefix('depends on ')}: {row['splits']}")
    text += f" {change.rstrip('.')}."
    if row.get("secondary_verdict"):
        text += (
            f" The seeds' own case coding, checked: {row['secondary_verdict']} ({row['secondary']}); the "
            "cases were coded by authors who knew the outcomes and are not the basis of the verdict."
        )
    return text


def report_fits(specs, plan: dict, measure: str) -> list[str]:
    """The fits the default run needs: every fit a claim reads (its cells,
    the balancing baselines, the USSR-difference models and the drop refit
    of the USSR-specific one), every holdout model, and for each declared
    model its fit under the primary ``measure`` (or its only fit) with that
    fit's drop refits, which the report shows in full. The rest (the other
    measures' drop refits, the other measures of models no claim reads...)
    is the ``robustness`` target."""
    names = {s.name for s in specs}
    need: set[str] = set()
    for _cid, p in plan.items():
        if "primary" in p:
            need |= {c["model"] for c in cells_of(p)}
        need |= set(p.get("baselines", []))
        for k in ("slopes_model", "specific_model"):
            if p.get(k):
                need.add(p[k])
    need |= {s.name for s in specs if s.holdout}
    by_base: dict[str, list] = {}
    for s in specs:
        if not s.reduced_from and s.variant.get("sample", "own") == "own":
            by_base.setdefault(s.base, []).append(s)
    shown = set()
    for _base, fits in by_base.items():
        primary = (
            [s for s in fits if _measure_of(s) == measure] or [s for s in fits if _measure_of(s) == "cinc"] or fits[:1]
        )
        shown |= {s.name for s in primary}
    specific = plan.get("ussr_different", {}).get("specific_model")
    need |= shown | {s.name for s in specs if s.reduced_from in shown | {specific}}
    return sorted(need & names)


# --------------------------------------------------------------------------
# balancing and the focal state against the other powers


def threat_rose(scores) -> bool:
    """Perceived threat rose: the last year's recomputed pillar score above the first's."""
    s = sorted((int(y), float(v)) for y, v in zip(scores["year"], scores["score"]) if v == v)
    return len(s) >= 2 and s[-1][1] > s[0][1]


def balancing_text(r: dict) -> str:
    return (
        f"{r['outcome']}: {r['onsets_adv']} onsets with the threat's adversaries ({r['onsets_adv_new']} new, "
        f"{r['onsets_adv_deepening']} deepening) in {r['n_adv']} dyad-years; the no-threat baseline expects "
        f"{r['expected_adv_mean']:.1f} (90% [{r['rep_adv_lo']:.0f}, {r['rep_adv_hi']:.0f}], P(rep >= obs) "
        f"{r['p_rep_ge_obs']:.2f}); other partners {r['onsets_other']}/{r['n_other']}; multilateral "
        f"conferences left out: {r['multilateral_years'] or 'none'}"
    )


def combine_types(labels: list[str]) -> str:
    """One verdict from a claim's verdicts under each alliance type. A type
    that cannot be read (too few decisions, a failed or missing fit) does not
    split the verdict: the readable ones decide, and "depends on alliance
    type" only when they differ; with none readable, "too few decisions to
    tell" if that is why, else the first label."""
    unread = (TOO_FEW, NO_VERDICT, NOT_FITTED)
    readable = list(dict.fromkeys(v for v in labels if v not in unread))
    if len(readable) == 1:
        return readable[0]
    if readable:
        return DEPENDS_TYPE
    return TOO_FEW if TOO_FEW in labels else (labels[0] if labels else NOT_FITTED)


def assess_balancing(
    b: dict, scores, numbers: list[dict], statuses: list[str], names: dict, prob: float = 0.95, min_decisions: int = 10
) -> tuple[dict, list[dict], str]:
    """The balancing claim from its numbers: ``scores`` (the recomputed
    threat score per year), ``numbers`` (balancing.balancing_numbers per
    baseline, one per alliance type) and the baselines' gate statuses.
    Returns the verdict row, the numbers with each baseline's verdict, and
    the finding in words."""
    focal = names.get(int(b["focal"]), "the focal state")
    threat = names.get(int(b["threat_state"]), "the threat state")
    rising = threat_rose(scores)
    rows = []
    for nums, st in zip(numbers, statuses):
        v = balancing_verdict(
            rising,
            nums["p_rep_ge_obs"],
            nums["p_rate_adv_gt_other"],
            st,
            nums.get("decisions_adv"),  # 0 decisions is too few, not unknown
            prob,
            min_decisions,
            focal,
            threat,
        )
        rows.append({**nums, "verdict": v.label, "why": v.reason})
    score_text = " -> ".join(f"{int(y)}: {v:.2f}" for y, v in zip(scores["year"], scores["score"]))
    label = combine_types([r["verdict"] for r in rows])
    first = rows[0] if rows else {}
    row = {
        "claim_id": "balancing",
        "claim": CLAIMS["balancing"]["claim"],
        "seed": CLAIMS["balancing"]["seed"],
        "verdict": label,
        "why": " | ".join(f"{r['outcome']}: {r['why']}" for r in rows),
        "primary": ", ".join(b["baselines"]) + " (baselines without the threat terms)",
        "estimate": " | ".join(balancing_text(r) for r in rows),
        "n_events": first.get("onsets_adv"),
        "n_decisions": first.get("decisions_adv"),
        "splits": "",
        "note": f"recomputed threat score {score_text}",
        "reads": CLAIMS["balancing"]["reads"],
    }
    parts = [
        f"{r['outcome'].replace('_onset', '').replace('atop_', '')} obligations: {r['onsets_adv']} onsets with "
        f"{threat}'s adversaries against {r['expected_adv_mean']:.1f} expected by a model without the threat "
        f"terms ({'more than' if r['p_rep_ge_obs'] <= 1 - prob else 'not more than'} it predicts)"
        for r in rows
    ]
    text = (
        f"**{row['claim']}** ({row['seed']}): **{label}**. The recomputed Walt-pillar threat score "
        f"{'rose' if rising else 'did not rise'} ({score_text}); " + "; ".join(parts) + ". " + row["why"] + "."
    )
    return row, rows, text


def specific_terms(model: str, summary, diag: dict | None, level, interval: float = 0.9) -> list[Cell]:
    """The level-specific interaction coefficients (``x:I(ccode1 == level)``)
    of the level-specific model, each read as a Cell (:func:`read_cell`),
    labelled by its main term."""
    if summary is None or not len(summary):
        return []
    tag = f":I(ccode1 == {level})"
    terms = [p[5:-1] for p in summary["parameter"] if p.startswith("beta[") and p.endswith(f"{tag}]")]
    return [
        read_cell(
            {"model": model, "term": t, "axis": "specification", "label": t.removesuffix(tag)}, summary, diag, interval
        )
        for t in terms
    ]


def assess_different(
    d: dict,
    p_outside: dict,
    loo,
    statuses: list[str],
    names: dict,
    prob: float = 0.95,
    terms: list[Cell] | None = None,
) -> tuple[dict, dict, str]:
    """The focal state against the other powers: ``p_outside``
    (slopes.outside_population of the varying-slopes model), ``loo`` (the
    LOO table of the level-specific model against its drop refit, or None)
    and the gate statuses of the fits involved; ``terms``: the level-specific
    coefficients one by one (:func:`specific_terms`), shown beside the joint
    rule, which they do not decide. Returns the verdict row, its numbers and
    the finding in words."""
    level = d.get("level", 365)
    lname = names.get(int(level), str(level))
    elpd, se = float("nan"), float("nan")
    statuses = list(statuses)
    if loo is not None and len(loo) and loo["delta_elpd"].notna().any():
        r = loo.iloc[0]
        elpd, se = -float(r["delta_elpd"]), float(r["delta_se"])
        statuses += [r["full_status"], r["reduced_status"]]
    worst = "missing" if not statuses else "ok" if all(x == "ok" for x in statuses) else "failed"
    v = difference_verdict(elpd, se, p_outside["p_outside"], worst, prob, level=lname)
    rule = (
        f"supported when slopes specific to {lname} improve the expected log predictive density (PSIS-LOO) by "
        f"more than twice its standard error and {lname}'s slopes lie outside the central 90% of the powers' "
        "slopes with probability at least 0.9 (a typical power: about 0.1)"
    )
    row = {
        "claim_id": "ussr_different",
        "claim": CLAIMS["ussr_different"]["claim"],
        "seed": CLAIMS["ussr_different"]["seed"],
        "verdict": v.label,
        "why": v.reason,
        "primary": f"{d.get('specific_model')} vs its drop refit; {d.get('slopes_model')}",
        "estimate": f"ΔELPD {elpd:+.1f} (SE {se:.1f}); P(outside) {p_outside['p_outside']:.2f} ({p_outside['terms']})",
        "n_events": None,
        "n_decisions": None,
        "splits": "",
        "note": f"rule: {rule}",
        "reads": CLAIMS["ussr_different"]["reads"],
    }
    text = f"**{row['claim']}** ({row['seed']}): **{v.label}**. {v.reason}. The rule: {rule}."
    if terms:
        one = "; ".join(
            f"{t.label} {fmt(t.median)} [{fmt(t.lo)}, {fmt(t.hi)}], P(>0) {t.p_positive:.2f}" for t in terms
        )
        signed = [t for t in terms if sign_of(t.p_positive, prob) != UNCLEAR]
        alone = "has a sign by itself" if len(signed) == 1 else "have a sign by themselves"
        text += f" The {lname}-specific coefficients one by one (standardized): {one}" + (
            f"; {len(signed)} of {len(terms)} {alone}, which the joint rule does not count as a difference in "
            "behaviour on its own."
            if signed
            else "."
        )
        row["note"] += f"; {lname}-specific coefficients: {one}"
    if loo is not None and len(loo) and str(loo.iloc[0].get("note", "") or "").startswith("Pareto k"):
        text += f" PSIS-LOO is approximate here ({loo.iloc[0]['note']})."
    nums = {"elpd_diff": elpd, "elpd_se": se, **p_outside, "specific_terms": [asdict(t) for t in terms or []]}
    return row, nums, text
