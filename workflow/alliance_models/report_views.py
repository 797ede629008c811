"""What the report shows of the verdicts, the treaties, balancing and
out-of-sample prediction: the tables of those stages turned into plain rows
for the templates (:mod:`.report` gathers them; the layout is in
``workflow/report/templates``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import claim_findings as cf
from . import claims as cl
from .report_format import badge_class, estimate, frame_table, missing, num, read_csv, read_json, state_label

SECONDARY = "the seeds' own coding, checked"
# the columns of verdicts.csv (claims rule); a missing one reads as empty
VERDICT_COLUMNS = dict.fromkeys(
    (
        "claim_id",
        "claim",
        "seed",
        "verdict",
        "why",
        "primary",
        "estimate",
        "how_much",
        "shift",
        "block",
        "terms",
        "elpd_drop",
        "elpd_drop_se",
        "elpd_note",
        "n_events",
        "n_decisions",
        "unit",
        "splits",
        "note",
        "reads",
        "secondary_verdict",
        "secondary",
        "secondary_why",
    ),
    "",
)
PRIMARY = "primary evidence"

# a badge class for every verdict label of the claims module


def verdict_rows(verdicts: pd.DataFrame, strips: pd.DataFrame, findings: dict, settings: dict) -> list[dict]:
    """One dict per claim: the verdict row, its secondary row, its strip and its finding."""
    iv = settings.get("interval", 0.9)
    out = []
    for r in verdicts.to_dict("records"):
        r = {**VERDICT_COLUMNS, **r}
        cid = r.get("claim_id", "")
        expected = cl.CLAIMS.get(cid, {}).get("expected", 1) or 1
        s = strips[strips["claim_id"] == cid] if not strips.empty and "claim_id" in strips else pd.DataFrame()
        groups = []
        for role in (PRIMARY, SECONDARY):
            part = s[s["role"] == role] if not s.empty and "role" in s else pd.DataFrame()
            if part.empty:
                continue
            groups.append({"role": role, "cells": [strip_cell(c, expected) for c in part.to_dict("records")]})
        out.append(
            {
                **{k: ("" if missing(v) else str(v)) for k, v in r.items()},
                "n_events": "" if missing(r["n_events"]) else num(r["n_events"]),
                # shown as the model with the block minus the one without (> 0: the block helps)
                "elpd_drop": "" if missing(r.get("elpd_drop")) else num(-float(r["elpd_drop"]), "{:+.1f}"),
                "elpd_drop_se": "" if missing(r.get("elpd_drop_se")) else num(r["elpd_drop_se"], "{:.1f}"),
                "n_decisions": "" if missing(r["n_decisions"]) else num(r["n_decisions"]),
                # the axes the reason does not already name ("...; but <axis>: <cells>")
                "splits": other_splits(r.get("splits"), r.get("why")),
                "badge": badge_class(r.get("verdict")),
                "secondary_badge": badge_class(r.get("secondary_verdict")),
                "has_secondary": not missing(r.get("secondary_verdict")),
                "evidence": evidence_units(r.get("n_events"), r.get("n_decisions"), r.get("unit")),
                "finding": findings.get(cid, ""),
                "strip": groups,
                "sign": "P(> 0)" if expected > 0 else "P(< 0)",
                "interval": f"{100 * iv:.0f}%",
            }
        )
    return out


def other_splits(splits, why) -> str:
    """The split axes (claims.Verdict.splits, joined) less the one the
    reason already names after "; but ": each is shown once."""
    splits = "" if missing(splits) else str(splits)
    why = "" if missing(why) else str(why)
    named = why.split("; but ", 1)[1] if "; but " in why else ""
    if not named or named not in splits:
        return splits
    return splits.replace(named, "", 1).replace("; ; ", "; ").strip().strip(";").strip()


def evidence_units(events, decisions, unit=None) -> str:
    """'54 events from 12 decision-years', '41 chosen partners from 17
    treaties', or '' (``unit``: the model's unit of evidence)."""
    if missing(events):
        return ""
    unit = "decisions" if missing(unit) or not unit else str(unit)
    out = f"{num(events)} events"
    return out + (f" from {num(decisions)} {unit}" if not missing(decisions) else "")


def strip_cell(c: dict, expected: int) -> dict:
    """One robustness cell as the strip table shows it: the coefficient (or,
    for a joint block, none), P(claim's sign) of what the cell reads, and how
    much on the probability scale (base -> shifted, percentage points and
    relative risk)."""
    p = c.get("p_sign", c.get("p_positive"))
    p_sign = p if expected > 0 or missing(p) else 1 - float(p)
    status = str(c.get("status", "") or "missing")
    pp = c.get("pp")
    how = ""
    if not missing(pp):
        how = (
            f"{num(100 * float(c['base']), '{:.2g}')}% -> {num(100 * float(c['shifted']), '{:.2g}')}%, "
            f"{float(pp):+.1f} pp [{float(c['pp_lo']):+.1f}, {float(c['pp_hi']):+.1f}], "
            f"RR {float(c['rr']):.2g} [{float(c['rr_lo']):.2g}, {float(c['rr_hi']):.2g}]"
        )
    return {
        "axis": c.get("axis", ""),
        "label": c.get("label", ""),
        "model": c.get("model", ""),
        "term": c.get("term", "")
        if missing(c.get("terms")) or "," not in str(c.get("terms"))
        else (f"{c.get('block')} block ({c.get('terms')})"),
        "median": num(c.get("median"), "{:+.2f}"),
        "interval": "" if missing(c.get("lo")) else f"[{num(c.get('lo'), '{:+.2f}')}, {num(c.get('hi'), '{:+.2f}')}]",
        "p_sign": num(p_sign, "{:.2f}"),
        "how_much": how,
        "shift": "" if missing(c.get("shift")) else str(c.get("shift")),
        "decisions": "" if missing(c.get("n_decisions")) else num(c["n_decisions"]),
        "unit": "" if missing(c.get("unit")) else str(c.get("unit")),
        "events": "" if missing(c.get("n_events")) else num(c["n_events"]),
        "call": c.get("call", ""),
        "status": status,
        "failed": status not in ("ok", "missing"),
        "not_fitted": status == "missing",
    }


def measures_of(strips: pd.DataFrame) -> list[str]:
    """The disparity measures the strips read (primary and measure axes)."""
    if strips.empty or "measure" not in strips:
        return []
    s = strips[strips.get("axis", pd.Series(dtype=str)).isin(["primary", "measure"])]
    return sorted({str(m) for m in s["measure"] if not missing(m)})


def _pair_names(text, names: dict) -> str:
    """'710 1969, 2 1970' (COW code, year) -> 'CHN 1969, USA 1970'."""
    if missing(text):
        return ""
    out = []
    for part in str(text).split(","):
        bits = part.split()
        if len(bits) == 2 and bits[0].isdigit():
            out.append(f"{names.get(int(bits[0]), bits[0])} {bits[1]}")
        elif part.strip():
            out.append(part.strip())
    return ", ".join(out)


def balancing_view(bal: pd.DataFrame, names: dict, settings: dict) -> dict:
    """The balancing numbers, one column per baseline (alliance type)."""
    if bal.empty:
        return {"columns": [], "rows": []}
    iv = f"{100 * settings.get('interval', 0.9):.0f}%"
    cols, rows = [], []
    recs = bal.to_dict("records")
    for r in recs:
        cols.append(str(r.get("outcome") or r.get("model", "")))

    def row(label, fn, kind="text"):
        rows.append({"label": label, "cells": [fn(r) for r in recs], "kind": kind})

    row(
        "baseline fit (the onset model without its threat terms)",
        lambda r: f"{r.get('model', '')} ({r.get('fit_status', '')})",
    )
    row("years of the seed's window", lambda r: f"{r.get('years', '')} ({num(r.get('n_threat_years'))} years)")
    row(
        "onsets with the threat state's adversaries",
        lambda r: (
            f"{num(r.get('onsets_adv'))} ({num(r.get('onsets_adv_new'))} new, "
            f"{num(r.get('onsets_adv_deepening'))} deepening) in {num(r.get('n_adv'))} dyad-years, from "
            f"{num(r.get('decisions_adv'))} decisions"
        ),
    )
    row("those partners and years", lambda r: _pair_names(r.get("adv_partners"), names) or "none")
    row(
        "the baseline expects",
        lambda r: (
            f"{num(r.get('expected_adv_mean'), '{:.1f}')} ({iv} of replications "
            f"[{num(r.get('rep_adv_lo'))}, {num(r.get('rep_adv_hi'))}]); P(replicated ≥ observed) "
            f"{num(r.get('p_rep_ge_obs'), '{:.2f}')}"
        ),
    )
    row(
        "onset rate: adversaries against other partners",
        lambda r: (
            f"{num(r.get('rate_adv'), '{:.4f}')} against {num(r.get('rate_other'), '{:.4f}')} "
            f"({num(r.get('onsets_other'))} onsets in {num(r.get('n_other'))} dyad-years); "
            f"P(higher with adversaries) {num(r.get('p_rate_adv_gt_other'), '{:.2f}')}"
        ),
    )
    row(
        "multilateral conferences left out",
        lambda r: (
            (f"{r.get('multilateral_years')} ({num(r.get('multilateral_onsets_excluded'))} onsets with adversaries)")
            if not missing(r.get("multilateral_years"))
            else "none"
        ),
    )
    row(
        "alignments on top of a pledge already in force (not in ATOP's dyad-years: listed, not counted)",
        lambda r: "none" if missing(r.get("renewals_not_in_atop")) else str(r["renewals_not_in_atop"]),
    )
    row(
        "verdict",
        lambda r: {
            "label": str(r.get("verdict", "")),
            "badge": badge_class(r.get("verdict")),
            "why": "" if missing(r.get("why")) else str(r["why"]),
        },
        kind="verdict",
    )
    return {"columns": cols, "rows": rows}


OOS_COLUMNS = (
    ("fit status", "fit_status", None),
    ("rows", "n", None),
    ("decisions", "clusters", None),
    ("events", "events", None),
    ("decisions with events", "event_clusters", None),
    ("expected events", "expected", "{:.1f}"),
    ("expected/observed", "expected_observed", "{:.2f}"),
    ("AUC", "auc", "{:.2f}"),
    ("Brier", "brier", "{:.4f}"),
    ("Brier, test rate", "brier_test_rate", "{:.4f}"),
    ("Brier skill vs test rate", "brier_skill_test_rate", "{:.3f}"),
    ("Brier skill vs training rate", "brier_skill_train_rate", "{:.3f}"),
    ("log score", "log_score", "{:.4f}"),
    ("log score, test rate", "log_score_test_rate", "{:.4f}"),
    ("log skill vs test rate", "log_skill_test_rate", "{:.3f}"),
    ("log skill vs training rate", "log_skill_train_rate", "{:.3f}"),
    ("test rate", "test_base_rate", "{:.4f}"),
    ("training rate", "train_base_rate", "{:.4f}"),
    ("calibration slope", "calibration_slope", "{:.2f}"),
    ("calibration intercept", "calibration_intercept", "{:.2f}"),
    ("carries over", "carries_over", None),
)


def oos_rows(scores: pd.DataFrame) -> dict:
    """The scores table: one row per holdout model, every score with its interval."""
    if scores.empty:
        return {"columns": [], "rows": []}
    rows = []
    for r in scores.to_dict("records"):
        cells = []
        for _, key, fmt in OOS_COLUMNS:
            if fmt is None:
                cells.append("" if missing(r.get(key)) else num(r.get(key)))
            else:
                cells.append(estimate(r, key, fmt))
        rows.append({"model": r.get("model", ""), "cells": cells, "failed": r.get("fit_status") not in ("ok", None)})
    return {"columns": ["model", *[c for c, _, _ in OOS_COLUMNS]], "rows": rows}


def _count_checks(r: dict) -> list[str]:
    """The holdout's predictive checks in words: observed count against the
    population-level prediction and against new decision and partner effects."""
    out = []
    for short, what in (("events", "onsets"), ("decisions_ev", "decision-years with an onset")):
        obs = r.get(f"ppc_{short}_obs")
        if missing(obs):
            continue
        parts = []
        for pred, label in (
            ("population", "population-level (unseen years and partners at effect 0)"),
            ("new_levels", "new year and partner effects drawn"),
        ):
            med = r.get(f"ppc_{short}_{pred}_median")
            if not missing(med):
                parts.append(
                    f"{label}: median {num(med)} [{num(r.get(f'ppc_{short}_{pred}_lo'))}, "
                    f"{num(r.get(f'ppc_{short}_{pred}_hi'))}], P(rep >= obs) "
                    f"{num(r.get(f'ppc_{short}_{pred}_p_rep_ge_obs'), '{:.2f}')}"
                )
        out.append(f"{what}: {num(obs)} observed; " + "; ".join(parts))
    return out


def forecast_view(scores: pd.DataFrame, partners: pd.DataFrame, forecasts: list[str], info: dict) -> dict:
    """The forecasts (holdout models of a later era): per model the
    calibration, ranking, expected against observed, the partners most over-
    and under-predicted and whether the framework carries over."""
    if scores.empty or not forecasts:
        return {}
    rows = scores[scores["model"].isin(forecasts)].to_dict("records")
    if not rows:
        return {}
    desc = next((str(info.get(r["model"], {}).get("description") or r.get("description") or "") for r in rows), "")
    head = desc.split(":", 1)[0].strip() if ":" in desc[:120] else ""
    models = []
    for r in rows:
        p = partners[partners["model"] == r["model"]] if not partners.empty and "model" in partners else pd.DataFrame()
        models.append(
            {
                "model": r["model"],
                "failed": r.get("fit_status") != "ok",
                "reading": r.get("reading", ""),
                "carries_over": str(r.get("carries_over", "")),
                "badge": badge_class(r.get("carries_over")),
                "auc": estimate(r, "auc"),
                "eo": estimate(r, "expected_observed"),
                "expected": num(r.get("expected"), "{:.1f}"),
                "observed": num(r.get("events")),
                "decisions": num(r.get("event_clusters")),
                "slope": estimate(r, "calibration_slope"),
                "intercept": estimate(r, "calibration_intercept"),
                "log_skill": estimate(r, "log_skill_test_rate", "{:.3f}"),
                "null_model": "" if missing(r.get("null_model")) else str(r.get("null_model")),
                "null_gain": estimate(r, "log_gain_vs_null", "{:+.4f}"),
                "null_rows": num(r.get("null_rows")),
                "counts": _count_checks(r),
                "partners": frame_table(
                    p,
                    ["side", "partner", "ccode2", "rows", "observed", "expected", "observed_minus_expected"],
                    fmt="{:.2f}",
                ),
            }
        )
    combined = cf.combine_types([m["carries_over"] for m in models])
    return {
        "title": head or "Forecasts",
        "description": desc,
        "models": models,
        "combined": combined,
        "combined_badge": badge_class(combined),
    }


def treaty_view(ledger_path, counts_path, names: dict) -> dict:
    """The treaty ledger (rule treaty_ledger) for the report: its sentences
    per obligation type and the focal state's treaties with partners named;
    {} when the run has none."""
    if not ledger_path or not Path(ledger_path).is_file() or not counts_path or not Path(counts_path).is_file():
        return {}
    counts = read_json(counts_path)
    led = read_csv(ledger_path)

    def named(codes) -> str:
        return ", ".join(state_label(int(c), names) for c in str(codes).split() if c.strip().isdigit())

    led = led.assign(partners=[named(p) for p in led["partners"].astype("object").fillna("")])
    cols = [
        "obligation",
        "atopid",
        "year",
        "role",
        "partners",
        "multilateral",
        "wartime",
        "in_choice_model",
        "chosen_in_model",
        "why_not",
        "dyad_year_onsets",
    ]
    return {
        "sentences": [c.get("sentence", "") for c in counts.values()],
        "counts": counts,
        "table": frame_table(led[led["obligation"] == "defense"], cols, max_rows=200),
        "path": str(ledger_path),
    }


def missing_overview(models: list[str], model_tables: str) -> list[dict]:
    """Per model shown, what listwise deletion cost it (its missing table,
    registry key ``missing``): rows and events dropped of how many, choice
    sets lost, and the columns responsible ('polity_diff 403 rows (2
    events)'). Models that lose nothing are left out."""
    from . import registry

    out = []
    for m in models:
        t = read_csv(registry.table("missing").path(model_tables, model=m))
        if t.empty or "column" not in t:
            continue
        tot = t[t["column"] == "(any column)"]
        if tot.empty or not int(tot["rows_missing"].iloc[0]):
            continue
        tot = tot.iloc[0]
        cols = t[t["column"] != "(any column)"]
        lost = tot.get("choice_sets_lost")
        out.append(
            {
                "model": m,
                "rows": f"{num(tot['rows_missing'])} of {num(tot['rows'])}",
                "events": f"{num(tot['events_missing'])} of {num(tot['events'])}",
                "choice_sets": "" if missing(lost) else f"{num(lost)} of {num(tot['choice_sets'])}",
                "columns": "; ".join(
                    f"{r.column} {num(r.rows_missing)} rows ({num(r.events_missing)} "
                    f"event{'' if r.events_missing == 1 else 's'})"
                    for r in cols.itertuples()
                ),
            }
        )
    return out
