"""Verdicts on the seeds' claims: pure functions on summary numbers.

Every function takes plain numbers (posterior means, interval ends,
P(effect > 0), fit status) so tests can feed synthetic posteriors. A claim is
judged under each measurement (disparity measure, alliance type) and then
combined: "supported", "not supported", "depends on measurement", or "no
verdict (fit failed)" -- a fit that failed the convergence gate never yields
a verdict.

The decision rule: an effect has a sign when the posterior probability of
that sign is at least ``prob`` (default 0.95, i.e. the 90% central interval
excludes zero); otherwise its interval includes zero and the claim of a sign
is "not supported".
"""

from __future__ import annotations

import math

SUPPORTED = "supported"
NOT_SUPPORTED = "not supported"
DEPENDS = "depends on measurement"
NO_VERDICT = "no verdict (fit failed)"
NOT_FITTED = "no verdict (model not fitted)"

POSITIVE, NEGATIVE, UNCLEAR = "positive", "negative", "interval includes 0"

# One entry per claim in the seeds: id, the claim, where it comes from.
CLAIMS = {
    "disparity": {
        "claim": "Wider power disparity makes alliance more likely (Table 1's sign); the abstract states the opposite",
        "seed": "Yu, Table 1 vs abstract",
        "reads": "the disparity coefficient: > 0 is Table 1's sign (USSR much stronger -> alliance), < 0 the abstract's",
    },
    "threat": {
        "claim": "An imminent external threat makes alliance more likely",
        "seed": "Yu, abstract and section 3",
        "reads": "the threat coefficient: > 0 supports the claim",
    },
    "narrowing": {
        "claim": "A narrowing power gap breaks alliances",
        "seed": "Yu, section 3 (Yugoslavia, China)",
        "reads": "the coefficient of the 5-year change in log(focal/partner): < 0 supports the claim (a falling ratio, "
                 "a narrowing gap where the focal state is the stronger, raises the hazard that the pledge ends)",
    },
    "balancing": {
        "claim": "The USSR perceived a rising threat from China but did not balance against it",
        "seed": "Moura, Table 4 and conclusion",
        "reads": "threat: recomputed Walt-pillar score rises; balancing: pledges with China's adversaries (see the section)",
    },
    "ussr_different": {
        "claim": "The USSR's alliance behaviour differs from other major powers'",
        "seed": "Yu, introduction",
        "reads": "the USSR's varying slopes minus the other major powers' mean: an interval excluding 0 supports the claim",
    },
}


def sign_of(p_positive: float, prob: float = 0.95) -> str:
    """positive / negative when that sign has posterior probability >= prob."""
    if p_positive is None or (isinstance(p_positive, float) and math.isnan(p_positive)):
        return UNCLEAR
    if p_positive >= prob:
        return POSITIVE
    if p_positive <= 1 - prob:
        return NEGATIVE
    return UNCLEAR


def _status(ev) -> str | None:
    """NO_VERDICT / NOT_FITTED for unusable evidence, else None."""
    if ev is None or ev.get("status") in (None, "missing"):
        return NOT_FITTED
    if ev.get("status") != "ok":
        return NO_VERDICT
    return None


def directional(ev: dict | None, expected: int, prob: float = 0.95) -> tuple[str, str]:
    """Verdict on "the effect has sign ``expected``" (+1 or -1) for one measure.

    ``ev``: status ("ok" / "failed" / "missing") and p_positive.
    Returns (label, reason).
    """
    bad = _status(ev)
    if bad:
        return bad, ""
    s = sign_of(ev["p_positive"], prob)
    want = POSITIVE if expected > 0 else NEGATIVE
    if s == want:
        return SUPPORTED, f"{s} (P = {max(ev['p_positive'], 1 - ev['p_positive']):.2f})"
    if s == UNCLEAR:
        return NOT_SUPPORTED, UNCLEAR
    return NOT_SUPPORTED, f"opposite sign: {s}"


def combine(calls: dict[str, str]) -> tuple[str, str]:
    """One verdict from the per-measure verdicts.

    Failed fits are left out (and named in the note); no usable measure at
    all gives "no verdict (fit failed)" (or "model not fitted"). Agreement
    gives that verdict, disagreement "depends on measurement".
    """
    failed = [m for m, lab in calls.items() if lab == NO_VERDICT]
    missing = [m for m, lab in calls.items() if lab == NOT_FITTED]
    usable = {m: lab for m, lab in calls.items() if lab not in (NO_VERDICT, NOT_FITTED)}
    notes = []
    if failed:
        notes.append(f"left out, fit failed: {', '.join(failed)}")
    if missing:
        notes.append(f"not fitted: {', '.join(missing)}")
    if not usable:
        return (NO_VERDICT if failed else NOT_FITTED), "; ".join(notes)
    labels = set(usable.values())
    if len(labels) == 1:
        return labels.pop(), "; ".join(notes)
    split = ", ".join(f"{m}: {lab}" for m, lab in usable.items())
    return DEPENDS, "; ".join([split, *notes])


def favoured_sign(evidence: dict[str, dict | None], prob: float = 0.95) -> str:
    """Which sign the data favour across measures (failed fits left out)."""
    signs = {m: sign_of(ev["p_positive"], prob) for m, ev in evidence.items() if _status(ev) is None}
    if not signs:
        return NO_VERDICT if any(_status(ev) == NO_VERDICT for ev in evidence.values()) else NOT_FITTED
    vals = set(signs.values())
    if vals == {POSITIVE}:
        return "positive (Table 1's sign)"
    if vals == {NEGATIVE}:
        return "negative (the abstract's sign)"
    if vals == {UNCLEAR}:
        return "neither: the interval includes 0 under every measure"
    return "depends on measurement (" + ", ".join(f"{m}: {s}" for m, s in signs.items()) + ")"


def sign_claim(evidence: dict[str, dict | None], expected: int, prob: float = 0.95) -> dict:
    """A directional claim judged under each measure and combined."""
    per = {m: directional(ev, expected, prob) for m, ev in evidence.items()}
    verdict, note = combine({m: lab for m, (lab, _) in per.items()})
    return {"verdict": verdict, "note": note, "per_measure": per}


def difference_call(contrasts: list[dict] | None, status: str | None, prob: float = 0.95) -> tuple[str, str]:
    """Is one group level different? Supported when any contrast's interval excludes 0."""
    if status in (None, "missing") or contrasts is None:
        return NOT_FITTED, ""
    if status != "ok":
        return NO_VERDICT, ""
    if not contrasts:
        return NOT_FITTED, "the level is not among the model's groups"
    differs = [c["term"] for c in contrasts if sign_of(c["p_positive"], prob) != UNCLEAR]
    if differs:
        return SUPPORTED, "differs in " + ", ".join(differs)
    return NOT_SUPPORTED, "every contrast's interval includes 0"


def difference_claim(contrasts: dict[str, list[dict] | None], statuses: dict[str, str | None],
                     prob: float = 0.95) -> dict:
    per = {m: difference_call(contrasts.get(m), statuses.get(m), prob) for m in statuses}
    verdict, note = combine({m: lab for m, (lab, _) in per.items()})
    return {"verdict": verdict, "note": note, "per_measure": per}


def threat_rising(scores: list[tuple[int, float]]) -> bool:
    """Perceived threat rose: the last year's pillar score above the first's."""
    s = sorted((int(y), float(v)) for y, v in scores if v == v)
    return len(s) >= 2 and s[-1][1] > s[0][1]


def balancing_call(b: dict | None, rising: bool, prob: float = 0.95) -> tuple[str, str]:
    """"Perceived a rising threat but did not balance" under one measurement.

    Balanced if the onset rate with the threat's adversaries is credibly
    above the rate with other partners (P >= prob), or the observed onsets
    with them exceed what the onset model predicts (P(replicated >= observed)
    <= 1 - prob). The claim holds when the threat rose and neither happened.
    """
    bad = _status(b)
    if bad:
        return bad, ""
    raw = b["p_rate_adv_gt_other"] >= prob
    p_ge = b.get("p_rep_ge_obs", float("nan"))
    model = (p_ge == p_ge) and p_ge <= 1 - prob
    if not rising:
        return NOT_SUPPORTED, "the recomputed threat did not rise"
    if raw or model:
        why = [w for w, f in (("rate with adversaries above other partners'", raw),
                              ("more onsets with adversaries than the model predicts", model)) if f]
        return NOT_SUPPORTED, "balanced: " + " and ".join(why)
    return SUPPORTED, "threat rose; no balancing onsets beyond the model or the other partners' rate"


def balancing_claim(balancing: dict[str, dict | None], rising: bool, prob: float = 0.95) -> dict:
    per = {m: balancing_call(b, rising, prob) for m, b in balancing.items()}
    verdict, note = combine({m: lab for m, (lab, _) in per.items()})
    return {"verdict": verdict, "note": note, "per_measure": per}


# --------------------------------------------------------------------------
# the numbers written under each measure


def fmt(x: float, signed: bool = True) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "NA"
    return f"{x:+.2f}" if signed else f"{x:.2f}"


def effect_text(ev: dict | None, label: str = "β") -> str:
    """'β +0.42 [-0.10, +0.95], P(>0) 0.93; AME +0.12 [...]' (or why not)."""
    bad = _status(ev)
    if bad == NOT_FITTED:
        return "not fitted"
    text = (f"{label} {fmt(ev['mean'])} [{fmt(ev['lo'])}, {fmt(ev['hi'])}], "
            f"P(>0) {ev['p_positive']:.2f}")
    if ev.get("ame_mean") is not None and ev.get("ame_mean") == ev.get("ame_mean"):
        text += f"; AME {fmt(ev['ame_mean'])} [{fmt(ev['ame_lo'])}, {fmt(ev['ame_hi'])}]"
    if bad == NO_VERDICT:
        text = "FIT FAILED (not a finding): " + text
    return text


def contrast_text(contrasts: list[dict] | None, status: str | None) -> str:
    if status in (None, "missing") or contrasts is None:
        return "not fitted"
    parts = [f"Δ{c['term']} {fmt(c['diff_mean'])} [{fmt(c['diff_lo'])}, {fmt(c['diff_hi'])}], "
             f"P(>0) {c['p_positive']:.2f}" for c in contrasts]
    text = "; ".join(parts) or "level not among the groups"
    return ("FIT FAILED (not a finding): " + text) if status != "ok" else text


def balancing_text(b: dict | None) -> str:
    bad = _status(b)
    if bad == NOT_FITTED:
        return "not fitted"
    text = (f"{b['onsets_adv']} onsets in {b['n_adv']} dyad-years with adversaries "
            f"(model expects {fmt(b['expected_adv_mean'], False)}, 90% [{b['rep_adv_lo']:.0f}, {b['rep_adv_hi']:.0f}], "
            f"P(rep ≥ obs) {fmt(b['p_rep_ge_obs'], False)}); other partners {b['onsets_other']}/{b['n_other']}; "
            f"P(rate adv > other) {b['p_rate_adv_gt_other']:.2f}")
    return ("FIT FAILED (not a finding): " + text) if bad == NO_VERDICT else text


# --------------------------------------------------------------------------
# the verdict table


def _call_text(call: tuple[str, str]) -> str:
    label, reason = call
    return label + (f" ({reason})" if reason else "")


def verdict_table(numbers: dict, prob: float = 0.95) -> list[dict]:
    """One row per claim: verdict, favoured sign, note and the numbers per measure.

    ``numbers`` (every part optional):
      measures: list of measure labels (the table's columns)
      disparity, threat, narrowing: {"evidence": str, "by_measure": {m: ev}}
        with ev = {status, mean, lo, hi, p_positive, ame_mean, ame_lo, ame_hi}
      balancing: {"evidence": str, "rising": bool, "scores": str,
                  "by_measure": {m: {kind: b}}} (kind: alliance type)
      ussr_different: {"evidence": str, "contrasts": {m: [c]}, "status": {m: s}}
    """
    measures = list(numbers.get("measures", []))
    rows = []

    def row(cid, evidence, result, calls, texts, favoured="", extra_note=""):
        r = {"claim_id": cid, "claim": CLAIMS[cid]["claim"], "seed": CLAIMS[cid]["seed"],
             "evidence": f"{evidence}. Reads: {CLAIMS[cid]['reads']}",
             "verdict": result["verdict"], "favoured_sign": favoured,
             "note": "; ".join(x for x in (extra_note, result["note"]) if x)}
        for m in measures:
            r[f"{m} verdict"] = calls.get(m, NOT_FITTED)
            r[m] = texts.get(m, "not fitted")
        rows.append(r)

    for cid, expected in (("disparity", +1), ("threat", +1), ("narrowing", -1)):
        part = numbers.get(cid)
        if part is None:
            continue
        ev = {m: part["by_measure"].get(m) for m in measures}
        res = sign_claim(ev, expected, prob)
        calls = {m: _call_text(res["per_measure"][m]) for m in measures}
        texts = {m: effect_text(ev[m], part.get("label", "β")) for m in measures}
        row(cid, part["evidence"], res, calls, texts, favoured_sign(ev, prob) if cid == "disparity" else "")

    part = numbers.get("balancing")
    if part is not None:
        flat = {f"{m} / {k}": b for m in measures for k, b in (part["by_measure"].get(m) or {}).items()}
        res = balancing_claim(flat, part["rising"], prob) if flat else \
            {"verdict": NOT_FITTED, "note": "", "per_measure": {}}
        calls, texts = {}, {}
        for m in measures:
            kinds = part["by_measure"].get(m) or {}
            pre = {k: ("" if len(kinds) == 1 else f"{k}: ") for k in kinds}
            calls[m] = " | ".join(pre[k] + _call_text(res["per_measure"][f"{m} / {k}"]) for k in kinds) or NOT_FITTED
            texts[m] = " | ".join(pre[k] + balancing_text(b) for k, b in kinds.items()) or "not fitted"
        rising = "rose" if part["rising"] else "did not rise"
        row("balancing", part["evidence"], res, calls, texts,
            extra_note=f"recomputed threat {rising} ({part.get('scores', '')})")

    part = numbers.get("ussr_different")
    if part is not None:
        statuses = {m: part["status"].get(m) for m in measures}
        res = difference_claim({m: part["contrasts"].get(m) for m in measures}, statuses, prob)
        calls = {m: _call_text(res["per_measure"][m]) for m in measures}
        texts = {m: contrast_text(part["contrasts"].get(m), statuses[m]) for m in measures}
        row("ussr_different", part["evidence"], res, calls, texts)
    return rows
