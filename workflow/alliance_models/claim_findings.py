"""Each claim assessed from its fits: the verdict row, the robustness strip
and the finding in words (directional claims, balancing, the focal state
against the other powers). The rules: :mod:`.claims`; the cells planned:
:mod:`.claim_plan`.
"""

from __future__ import annotations

from dataclasses import asdict

from .claims import (
    CLAIMS,
    DEPENDS_TYPE,
    NO_VERDICT,
    NOT_FITTED,
    NOT_SUPPORTED,
    OPPOSITE,
    SUPPORTED,
    TOO_FEW,
    Cell,
    balancing_verdict,
    difference_verdict,
    directional_verdict,
    fmt,
    interval_z,
    read_cell,
    rope_power,
)

# --------------------------------------------------------------------------
# the verdict table, the strips and the findings


def assess_directional(
    cid: str,
    plan: dict,
    read,
    prob: float = 0.95,
    min_decisions: int = 10,
    interval: float = 0.9,
    effect=None,
    elpd=None,
) -> tuple[dict, list[dict]]:
    """One directional claim: its verdict row and its strip rows.

    ``read(model)`` returns (summary DataFrame, diagnostics dict), or (None,
    None) for a fit that is not there. ``effect(cell)``: the cell's contrast
    on the probability scale (effects.block_contrast; None where it cannot
    be computed). ``elpd(model, block)``: (ΔELPD, SE, note) of the model's
    refit without the block (PSIS-LOO grouped by the model's unit), or None."""

    def one(spec):
        c = read_cell(spec, *read(spec["model"]), interval=interval)
        e = effect(c) if effect is not None and c.status in ("ok", "failed") else None
        return c.with_effect(e) if e else c

    def cells(p):
        return [one(c) for c in [p["primary"], *p["strip"]]]

    main = cells(plan)
    v = directional_verdict(main[0], main[1:], CLAIMS[cid]["expected"], prob, min_decisions)
    strip = [dict(c.as_row(prob, min_decisions), claim_id=cid, role="primary evidence") for c in main]
    p0 = main[0]
    drop = elpd(p0.model, p0.block) if elpd is not None and p0.block else None
    row = {
        "claim_id": cid,
        "claim": CLAIMS[cid]["claim"],
        "seed": CLAIMS[cid]["seed"],
        "verdict": v.label,
        "why": v.reason,
        "primary": f"{p0.model}, {p0.block + ' block (' + p0.terms + ')' if p0.joint else p0.term}",
        "estimate": p0.text(),
        "how_much": p0.how_much(),
        "shift": p0.shift,
        "n_events": p0.n_events,
        "n_decisions": p0.n_decisions,
        "unit": p0.unit,
        "block": p0.block,
        "terms": p0.terms,
        "elpd_drop": drop[0] if drop else None,
        "elpd_drop_se": drop[1] if drop else None,
        "elpd_note": drop[2] if drop else "",
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
    rows = [
        r
        for r in strip
        if r["claim_id"] == cid and r["role"] == "primary evidence" and r["axis"] not in ("primary", "terms")
    ]
    calls = {}
    for r in rows:
        calls.setdefault(r["call"], {})[r["label"]] = None  # a cell on two axes is named once
    # labels hold commas ("cinc, common sample"): cells are split by ";", calls by "|"
    return " | ".join(f"{call} under {'; '.join(labels)}" for call, labels in calls.items())


def _terms_sentence(strip: list[dict], cid: str) -> str:
    """The primary block's terms one by one: 'at_war +0.45 [...] (unclear); ...'."""
    rows = [r for r in strip if r["claim_id"] == cid and r["role"] == "primary evidence" and r["axis"] == "terms"]
    return "; ".join(f"{r['term']} {fmt(r['median'])} [{fmt(r['lo'])}, {fmt(r['hi'])}] ({r['call']})" for r in rows)


def _num(x) -> bool:
    return x is not None and x == x


def finding(row: dict, strip: list[dict]) -> str:
    """One short paragraph on a directional claim, generated from its
    numbers: the verdict; how much (the term or block moved by the shift
    rule, on the probability scale) with the units of evidence behind it;
    for a block, what leaving it out does to out-of-sample prediction and
    its terms one by one; how the robustness strip reads; what would change
    it; and the seeds' own coding beside it."""
    cid, label = row["claim_id"], row["verdict"]
    units = f" from {row['n_decisions']} {row.get('unit') or 'decisions'}" if row.get("n_decisions") is not None else ""
    text = f"**{CLAIMS[cid]['claim']}** ({CLAIMS[cid]['seed']}): **{label}**. "
    if row.get("how_much"):
        text += (
            f"How much: {row['how_much']}, moving {row.get('shift', '')}; {row['n_events']} events{units}. "
            f"Primary evidence: {row['primary']}, {row['estimate']}"
            + (
                " (joint contrast)"
                if row.get("block") and "," in str(row.get("terms", ""))
                else " (standardized coefficient)"
            )
            + "."
        )
    else:
        text += (
            f"Primary evidence: {row['primary']}, {row['estimate']} (standardized coefficient, median and 90% "
            f"interval; {row['n_events']} events{units})."
        )
    if _num(row.get("elpd_drop")):
        gain = -row["elpd_drop"]  # with the block minus without it
        se = row["elpd_drop_se"]
        better = (
            "the model with the block predicts better"
            if gain > 2 * se
            else "the model without the block predicts better"
            if gain < -2 * se
            else "neither predicts clearly better"
        )
        text += (
            f" Out of sample, the model with the {row['block']} block minus the one without: ELPD {gain:+.1f} "
            f"(SE {se:.1f}; {row.get('elpd_note') or 'PSIS-LOO'}): {better}."
        )
    terms_text = _terms_sentence(strip, cid)
    if terms_text:
        text += f" The block's terms one by one (collinear; not the verdict's basis): {terms_text}."
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


# --------------------------------------------------------------------------
# balancing and the focal state against the other powers


def threat_present(scores) -> bool:
    """The recomputed coding finds the threat (conclusion +) in every year the seed codes."""
    c = [str(v) for v in scores["conclusion"]]
    return bool(c) and all(v == "+" for v in c)


def threat_codings(scores) -> str:
    """The seed's coding and the recomputed one side by side: 'Moura's Table 4:
    1954 +, 1957 +, 1969 +; recomputed: 1954 + (0.50), ...'."""
    yrs = [int(y) for y in scores["year"]]
    printed = scores["printed"] if "printed" in scores else [""] * len(yrs)
    seed = ", ".join(f"{y} {p}" for y, p in zip(yrs, printed))
    ours = ", ".join(f"{y} {c} ({v:.2f})" for y, c, v in zip(yrs, scores["conclusion"], scores["score"]))
    return f"the seed's Table 4: {seed}; recomputed from public data: {ours}"


def with_threat_text(r: dict) -> str:
    """What the model with the threat terms expects for the same dyad-years ('' without it)."""
    e = r.get("expected_adv_with")
    if e is None or e != e:
        return ""
    failed = "" if r.get("with_threat_status") == "ok" else ", its fit outside the convergence gate"
    return (
        f"the model with the threat terms expects {e:.1f} (90% [{r['rep_adv_with_lo']:.0f}, "
        f"{r['rep_adv_with_hi']:.0f}], P(rep <= obs) {r['p_rep_le_obs_with']:.2f}{failed})"
    )


def balancing_text(r: dict) -> str:
    w = with_threat_text(r)
    return (
        f"{r['outcome']}: {r['onsets_adv']} onsets with the threat's adversaries ({r['onsets_adv_new']} new, "
        f"{r['onsets_adv_deepening']} deepening) in {r['n_adv']} dyad-years; the no-threat baseline expects "
        f"{r['expected_adv_mean']:.1f} (90% [{r['rep_adv_lo']:.0f}, {r['rep_adv_hi']:.0f}], P(rep >= obs) "
        f"{r['p_rep_ge_obs']:.2f}){'; ' + w if w else ''}; other partners {r['onsets_other']}/{r['n_other']}; "
        f"multilateral conferences left out: {r['multilateral_years'] or 'none'}"
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
    threatened = threat_present(scores)
    rows = []
    for nums, st in zip(numbers, statuses):
        v = balancing_verdict(
            threatened,
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
    codings = threat_codings(scores)
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
        "note": f"threat coded by {codings}",
        "reads": CLAIMS["balancing"]["reads"],
    }
    parts = [
        f"{r['outcome'].replace('_onset', '').replace('atop_', '')} obligations: {r['onsets_adv']} onsets with "
        f"{threat}'s adversaries against {r['expected_adv_mean']:.1f} expected by a model without the threat "
        f"terms ({'more than' if r['p_rep_ge_obs'] <= 1 - prob else 'not more than'} it predicts)"
        + (
            f" and {r['expected_adv_with']:.1f} by the model with them"
            + (" (fewer than it predicts)" if r["p_rep_le_obs_with"] <= 1 - prob else "")
            if with_threat_text(r)
            else ""
        )
        for r in rows
    ]
    window = first.get("years", "")
    text = (
        f"**{row['claim']}** ({row['seed']}): **{label}**. Threat, coded by {codings} "
        f"({'a threat in every year' if threatened else 'not a threat in every year'} by the recomputed coding). "
        f"Balancing{' in ' + window if window else ''}: " + "; ".join(parts) + ". " + row["why"] + "."
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
    """The focal state against the other powers. ``terms``: the
    level-specific slope deviations (:func:`specific_terms`), the primary
    quantity, each called against the region of practical equivalence
    ``d['margin']`` (:func:`.claims.difference_verdict`), with the power of
    that call at a true deviation of ``d['power_at']``
    (:func:`.claims.rope_power`); ``p_outside``
    (slopes.outside_population of the varying-slopes model) and ``loo`` (the
    LOO table of the level-specific model against its drop refit, or None)
    are shown beside it; ``statuses``: the gate statuses of the fits
    involved. Returns the verdict row, its numbers and the finding in words."""
    level = d.get("level", 365)
    lname = names.get(int(level), str(level))
    margin, power_at = float(d.get("margin", 0.1)), float(d.get("power_at", 0.5))
    terms = list(terms or [])
    interval = 2 * prob - 1
    elpd, se = float("nan"), float("nan")
    statuses = list(statuses) + [t.status for t in terms]
    if loo is not None and len(loo) and loo["delta_elpd"].notna().any():
        r = loo.iloc[0]
        elpd, se = -float(r["delta_elpd"]), float(r["delta_se"])
        statuses += [r["full_status"], r["reduced_status"]]
    worst = "missing" if not statuses else "ok" if all(x == "ok" for x in statuses) else "failed"
    v = difference_verdict(terms, worst, margin, elpd, se, p_outside["p_outside"], level=lname)
    # each deviation's posterior sd, from its interval (a normal posterior)
    power = {t.label: rope_power((t.hi - t.lo) / (2 * interval_z(interval)), power_at, margin, interval) for t in terms}
    n_ev, n_dec = (terms[0].n_events, terms[0].n_decisions) if terms else (None, None)
    unit = terms[0].unit if terms else "decisions"
    rule = (
        f"the {lname}-specific deviation of each slope (standardized logit scale, {interval:.0%} interval) against "
        f"a region of practical equivalence of ±{margin:g}: different when one interval lies outside it, "
        f"not different when all lie inside it, inconclusive otherwise"
    )
    pw = "; ".join(f"{k} {fmt_p(p)}" for k, p in power.items())
    row = {
        "claim_id": "ussr_different",
        "claim": CLAIMS["ussr_different"]["claim"],
        "seed": CLAIMS["ussr_different"]["seed"],
        "verdict": v.label,
        "why": v.reason,
        "primary": f"{d.get('specific_model')}: the {lname}-specific slope deviations",
        "estimate": "; ".join(f"{t.label} {fmt(t.median)} [{fmt(t.lo)}, {fmt(t.hi)}]" for t in terms)
        + f" | ΔELPD {elpd:+.1f} (SE {se:.1f}); P(outside) {p_outside['p_outside']:.2f} ({p_outside['terms']})",
        "n_events": n_ev,
        "n_decisions": n_dec,
        "splits": "",
        "note": f"rule: {rule}; power of the rule at a true deviation of {power_at:g}: {pw or 'n/a'}",
        "reads": CLAIMS["ussr_different"]["reads"],
    }
    units = f" ({n_ev} onsets from {n_dec} {unit} of every power)" if n_dec is not None else ""
    text = f"**{row['claim']}** ({row['seed']}): **{v.label}**. {v.reason}. The rule: {rule}{units}."
    if power:
        text += (
            f" How often this rule would call a true deviation of {power_at:g} different, given how precisely each "
            f"is measured (by simulation, normal approximation): {pw}."
        )
    if terms:
        one = "; ".join(
            f"{t.label} {fmt(t.median)} [{fmt(t.lo)}, {fmt(t.hi)}], P(>0) {t.p_positive:.2f}" for t in terms
        )
        row["note"] += f"; {lname}-specific coefficients: {one}"
    if loo is not None and len(loo) and str(loo.iloc[0].get("note", "") or "").startswith("Pareto k"):
        text += f" PSIS-LOO is approximate here ({loo.iloc[0]['note']})."
    nums = {
        "elpd_diff": elpd,
        "elpd_se": se,
        **p_outside,
        "margin": margin,
        "power_at": power_at,
        "power": power,
        "specific_terms": [asdict(t) for t in terms],
    }
    return row, nums, text


def fmt_p(p: float) -> str:
    return "n/a" if p != p else f"{p:.2f}"
