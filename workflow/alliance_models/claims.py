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
from statistics import NormalDist

import numpy as np

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
INCONCLUSIVE = "inconclusive"
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
    INCONCLUSIVE,
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
    # a block of terms (the model's ``drop`` entry of that name, e.g. the
    # threat terms): ``terms`` its columns; a block of two or more columns is
    # read by its joint contrast, not by one coefficient
    block: str = ""
    terms: str = ""
    # how much (effects.block_contrast): the probability with the term or
    # block at its low and high values, the difference in percentage points
    # and the relative risk, with intervals; P(difference > 0)
    quantity: str = ""
    shift: str = ""
    base: float = math.nan
    shifted: float = math.nan
    pp: float = math.nan
    pp_lo: float = math.nan
    pp_hi: float = math.nan
    rr: float = math.nan
    rr_lo: float = math.nan
    rr_hi: float = math.nan
    p_effect_positive: float = math.nan

    @property
    def joint(self) -> bool:
        """A block of several columns: read by its joint contrast."""
        return len([t for t in self.terms.split(",") if t.strip()]) > 1

    @property
    def p_sign(self) -> float:
        """P(> 0) of what the cell reads: the joint contrast of a block, else the coefficient."""
        return self.p_effect_positive if self.joint else self.p_positive

    def call(self, prob: float = 0.95, min_decisions: int = 10) -> str:
        """positive / negative / unclear, or why the cell cannot be read."""
        if self.status in ("missing", None) or self.p_sign != self.p_sign:
            return MISSING
        if self.status != "ok":
            return FAILED
        if self.n_decisions is not None and self.n_decisions < min_decisions:
            return FEW
        return sign_of(self.p_sign, prob)

    def usable(self, prob: float = 0.95, min_decisions: int = 10) -> bool:
        return self.call(prob, min_decisions) in (POSITIVE, NEGATIVE, UNCLEAR)

    def text(self) -> str:
        """'+0.42 [-0.10, +0.95], P(>0) 0.93, 12 decisions' (or why not); a
        joint block: its contrast in percentage points, '+13.0 pp [-2.1,
        +30.2], P(>0) 0.93, ...'."""
        if self.status in ("missing", None) or self.p_sign != self.p_sign:
            return "not fitted"
        if self.joint:
            s = f"{self.block} block, {self.pp_text()}, P(>0) {self.p_sign:.2f}"
        else:
            s = f"{fmt(self.median)} [{fmt(self.lo)}, {fmt(self.hi)}], P(>0) {self.p_positive:.2f}"
        s += f", {self.n_decisions} {self.unit}" if self.n_decisions is not None else ""
        return ("FIT FAILED (not a finding): " + s) if self.status != "ok" else s

    def pp_text(self) -> str:
        """'+13.0 pp [-2.1, +30.2]' (or '')."""
        if self.pp != self.pp:
            return ""
        return f"{self.pp:+.1f} pp [{self.pp_lo:+.1f}, {self.pp_hi:+.1f}]"

    def how_much(self) -> str:
        """'probability of x per year 8.1% -> 21% (+13 pp [-2, +30]; RR 2.6 [0.8, 4.9])' (or '')."""
        from .effects import contrast_text  # light: numpy and pandas only

        return contrast_text(asdict(self)) if self.pp == self.pp else ""

    def with_effect(self, c: dict) -> Cell:
        """The cell with the contrast ``c`` (effects.block_contrast) filled in."""
        keys = ("quantity", "shift", "base", "shifted", "pp", "pp_lo", "pp_hi", "rr", "rr_lo", "rr_hi")
        return replace(self, **{k: c[k] for k in keys}, p_effect_positive=c["p_effect_positive"])

    def as_row(self, prob: float = 0.95, min_decisions: int = 10) -> dict:
        return {
            **asdict(self),
            "p_sign": self.p_sign,
            "call": self.call(prob, min_decisions),
            "text": self.text(),
            "how_much": self.how_much(),
        }


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
            f"not testable with these data: {primary.model} has {primary.n_events} events from "
            f"{primary.n_decisions} {primary.unit} (fewer than {min_decisions})",
            splits,
            notes,
        )
    base = SUPPORTED if call == want else NOT_SUPPORTED if call == UNCLEAR else OPPOSITE
    why = {
        SUPPORTED: f"{call} in {primary.model} (P = {max(primary.p_sign, 1 - primary.p_sign):.2f})",
        NOT_SUPPORTED: f"the interval includes 0 in {primary.model}",
        OPPOSITE: f"{call}, not {want}, in {primary.model}",
    }[base]
    if splits:
        # an axis on which the sign reverses names the verdict before one where
        # a signed cell stands beside an unclear one
        first = next((a for a in splits if a in reversed_), next(iter(splits)))
        return Verdict(AXES[first], f"{why}; but {first}: {splits[first]}", splits, notes)
    return Verdict(base, why, splits, notes)


DIFFERENT, EQUIVALENT, UNDECIDED = "different", "practically equivalent", "undecided"


def rope_call(lo: float, hi: float, margin: float) -> str:
    """Kruschke's decision rule with a region of practical equivalence (ROPE,
    [-margin, margin]; Kruschke 2018, Advances in Methods and Practices in
    Psychological Science 1(2)): the posterior interval [lo, hi] entirely
    outside it -> "different"; entirely inside -> "practically equivalent";
    overlapping its edge -> "undecided"."""
    if not (lo == lo and hi == hi):
        return UNDECIDED
    if lo > margin or hi < -margin:
        return DIFFERENT
    if lo >= -margin and hi <= margin:
        return EQUIVALENT
    return UNDECIDED


def interval_z(interval: float) -> float:
    """The normal quantile of a central ``interval`` (0.9 -> 1.645)."""
    return NormalDist().inv_cdf(1 - (1 - interval) / 2)


def rope_power(
    sd: float, delta: float, margin: float, interval: float = 0.9, sims: int = 20000, seed: int = 0
) -> float:
    """How often :func:`rope_call` says "different" when the true deviation
    is ``delta``, by simulation: the estimate falls at N(delta, sd) and its
    interval is the estimate +/- z sd (a normal posterior with the fit's
    posterior sd, the prior's pull ignored: a design analysis in the sense of
    Gelman and Carlin 2014). NaN without a usable sd."""
    if not (sd == sd) or sd <= 0:
        return math.nan
    z = interval_z(interval)
    est = np.random.default_rng(seed).normal(delta, sd, sims)
    return float(((est - z * sd > margin) | (est + z * sd < -margin)).mean())


def difference_verdict(
    terms: list,
    status: str,
    margin: float = 0.1,
    elpd_diff: float = math.nan,
    elpd_se: float = math.nan,
    p_outside: float = math.nan,
    level: str = "the focal state",
) -> Verdict:
    """Is the USSR different from the other major powers?

    The primary quantities are the level-specific slope deviations of the
    level-specific model (``terms``: Cells with ``lo``, ``hi``, the posterior
    interval of each deviation on the standardized scale), each called by
    :func:`rope_call` against ``margin``: ``supported`` (different) when at
    least one deviation is different; ``not supported`` when every deviation
    is practically equivalent (inside the margin); ``inconclusive`` otherwise
    (an interval that excludes 0 but reaches into the margin is named so).
    ``elpd_diff`` (PSIS-LOO of the level-specific model minus its drop refit,
    ``elpd_se`` its SE) and ``p_outside`` (P(the level's slopes lie outside
    the central 90% of the powers')) are reported beside the call, not
    counted: PSIS-LOO is approximate where Pareto k is high. ``status``: the
    worst gate status of the fits; ``level``: the level's name."""
    if status in ("missing", None) or not terms:
        return Verdict(NOT_FITTED, "the models were not fitted")
    if status != "ok":
        return Verdict(NO_VERDICT, "a fit behind the comparison failed the convergence gate")
    calls = [(t.label, rope_call(t.lo, t.hi, margin)) for t in terms]

    def said(t, c: str) -> str:
        # an undecided interval may still exclude 0: it differs from none, not (yet) from the margin
        if c == UNDECIDED and (t.lo > 0 or t.hi < 0):
            return f"{c} (its interval excludes 0 but reaches into ±{margin:g})"
        return c

    text = "; ".join(f"{lab}: {said(t, c)}" for t, (lab, c) in zip(terms, calls))
    context = []
    if elpd_diff == elpd_diff:
        context.append(f"ΔELPD {elpd_diff:+.1f} (SE {elpd_se:.1f}) for slopes specific to {level}")
    if p_outside == p_outside:
        context.append(f"P({level} outside the central 90% of the powers' slopes) {p_outside:.2f}")
    tail = f" (beside it, not counted: {'; '.join(context)})" if context else ""
    found = {c for _, c in calls}
    if DIFFERENT in found:
        return Verdict(SUPPORTED, f"{level}-specific deviations against ±{margin:g}: {text}{tail}")
    if found == {EQUIVALENT}:
        return Verdict(NOT_SUPPORTED, f"every {level}-specific deviation within ±{margin:g}: {text}{tail}")
    return Verdict(
        INCONCLUSIVE,
        f"{level}-specific deviations against ±{margin:g}: {text}: no deviation is shown to exceed the margin, "
        f"nor is every one shown inside it{tail}",
    )


def balancing_verdict(
    threatened: bool,
    excess_p: float,
    rate_p: float,
    status: str,
    n_decisions: int | None,
    prob: float = 0.95,
    min_decisions: int = 10,
    focal: str = "the focal state",
    threat: str = "the threat state",
) -> Verdict:
    """ "The USSR saw China as a threat but did not balance against it."

    ``threatened``: the recomputed coding finds the threat (conclusion +) in
    every year the seed codes; ``excess_p``: P(replicated
    onsets with China's adversaries >= observed) under the baseline model
    without the China-threat terms (small: more onsets than the baseline
    predicts, i.e. balancing); ``rate_p``: P(onset rate with the adversaries
    > rate with other partners). Balanced when excess_p <= 1 - prob or
    rate_p >= prob. Supported when the threat is there and the USSR did not
    balance. ``focal``, ``threat``: the states' names (for the text)."""
    if status in ("missing", None):
        return Verdict(NOT_FITTED, "the baseline model was not fitted")
    if status != "ok":
        return Verdict(NO_VERDICT, "the baseline model failed the convergence gate")
    if not threatened:
        return Verdict(NOT_SUPPORTED, f"the recomputed coding does not find {threat} a threat in every year")
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
        return Verdict(NOT_SUPPORTED, f"a threat, and {focal} balanced: " + " and ".join(why))
    return Verdict(
        SUPPORTED,
        f"a threat; no more onsets with {threat}'s adversaries than the no-threat "
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
        "claim": "An imminent external threat makes a Soviet alliance more likely (when)",
        "seed": "Yu, abstract and section 3",
        "expected": +1,
        "reads": "the threat block (at war, militarized disputes initiated against the Soviet state in the prior 5 "
        "years, its strategic rivals' capability, a rival's 5-year gain) in the yearly model of when it signs a new "
        "defence treaty, moved together: > 0 supports the claim; its terms one by one are shown, never counted",
    },
    "threat_partner": {
        "claim": "A shared external threat makes a state a more likely Soviet ally (with whom)",
        "seed": "Yu, section 3 (threat as the common ground of an alliance)",
        "expected": +1,
        "reads": "the shared-threat block (co-belligerent in the prior 5 years, common enemies, a shared strategic "
        "rival) in the conditional logit of the Soviet state's choice of partners, one choice set per defence "
        "treaty: > 0 supports the claim; the dyad-year onset model is a robustness cell",
    },
    "narrowing": {
        "claim": "A narrowing power gap breaks Soviet alliances",
        "seed": "Yu, section 3 (Yugoslavia, China)",
        "expected": -1,
        "reads": "the coefficient of the 5-year change in the log capability ratio on the hazard of a political "
        "break (the case files' breaks; wartime lapses, state deaths and expiries are censoring): < 0 supports the "
        "claim (a falling ratio, a narrowing gap where the USSR is the stronger, raises the hazard); with fewer "
        "break cases than the minimum the claim is not testable with these data",
    },
    "balancing": {
        "claim": "The USSR saw China as a threat (1954, 1957, 1969) but did not balance against it",
        "seed": "Moura, Table 4 and conclusion",
        "expected": 0,
        "reads": "threat: Moura's Table 4 codes China a threat (+) in each year; the Walt pillars recomputed from "
        "public data must find it too (both shown); balancing: new or deepened Soviet obligations with China's "
        "adversaries, in the seed's window, beyond a model without the China-threat terms",
    },
    "ussr_different": {
        "claim": "The USSR's alliance behaviour differs from the other major powers'",
        "seed": "Yu, introduction",
        "expected": 0,
        "reads": "the USSR-specific deviations of the disparity and common-enemy slopes in the major-power model, "
        "each posterior interval against a region of practical equivalence (report.claims.ussr_different.margin): "
        "different when one lies outside it, the same when all lie inside, inconclusive otherwise; PSIS-LOO "
        "against the model without them and P(outside the powers' central 90%) shown beside",
    },
}


def read_cell(spec: dict, summary, diag: dict | None, interval: float = 0.9) -> Cell:
    """A Cell from a fit's summary.csv (a DataFrame) and diagnostics.json
    (a dict); both None when the fit is not there. A joint block has no
    single coefficient: its sign comes from its contrast (:meth:`Cell.with_effect`)."""
    c = Cell(**spec)
    if summary is None or diag is None:
        return c
    q = (1 - interval) / 2
    row = summary[summary["parameter"] == f"beta[{spec['term']}]"]
    c.status = diag.get("status", "missing")
    c.n_events, c.n_decisions = diag.get("n_events"), diag.get("n_decisions")
    c.unit = diag.get("unit") or c.unit
    if c.joint:
        return c
    if row.empty:
        c.status = "missing"
        return c
    r = row.iloc[0]
    c.median, c.p_positive = float(r["median"]), float(r["p_positive"])
    c.lo, c.hi = float(r[f"eti_{q:.0%}"]), float(r[f"eti_{1 - q:.0%}"])
    return c


# the claims read from a model's term or block, in the verdict table's order
DIRECTIONAL = tuple(cid for cid, c in CLAIMS.items() if c["expected"])
