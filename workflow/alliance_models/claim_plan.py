"""Which fits answer each of the seeds' claims: the cells of a claim's
robustness strip (primary evidence, measures, samples, alliance type,
specifications), planned from the declared models and the config's
``report.claims``, and the fits the default run needs.

Planned when the workflow loads (the Snakefile reads it), so it imports
nothing heavy. The rules that read the cells: :mod:`.claims`.
"""

from __future__ import annotations

from .claims import CLAIMS
from .errors import ConfigError
from .models.spec import formula_variables


def _cell_spec(spec, term: str, axis: str, label: str, measure: str, block: str = "", block_terms=()) -> dict:
    """One cell: the model's ``block`` (its ``drop`` entry of that name) when
    it declares one, else the terms of the primary's block (``block_terms``)
    that its formula has, else ``term`` ($disparity: the variant's column)."""
    terms = list(dict.fromkeys((spec.drop or {}).get(block, []))) if block else []
    if block and not terms:
        have = formula_variables(spec.formula)
        terms = [t for t in block_terms if all(p in have for p in t.split(":"))]
    if len(terms) == 1:
        term = terms[0]
    t = spec.variant_terms.get(term[1:], term) if term.startswith("$") else term
    return {
        "model": spec.name,
        "term": block if len(terms) > 1 else t,
        "axis": axis,
        "label": label,
        "measure": measure,
        "sample": spec.variant.get("sample", "own"),
        "block": block if terms else "",
        "terms": ", ".join(terms) if terms else t,
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
    left out by the config's ``variants``) gives no cell.

    ``cfg['block']``: the claim's concept is a block of terms (a ``drop``
    entry of its models, e.g. threat): each cell whose model declares the
    block reads the block (a joint contrast when it has several terms; an
    entry of ``specification`` naming a ``term`` reads that term), and the
    primary's terms follow one by one on the ``terms`` axis, shown beneath
    the verdict, never splitting it."""
    full = [s for s in specs if not s.reduced_from]
    term = cfg.get("term", "$disparity")
    block = cfg.get("block", "")

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
    if block and prim and block not in (prim[0].drop or {}):
        raise ConfigError(
            f"report.claims: block '{block}' of model '{cfg['model']}': the model declares no drop entry of that "
            f"name (it declares: {', '.join(prim[0].drop or {}) or 'none'}; config/models.yaml)"
        )
    out = {
        "primary": _cell_spec(prim[0], term, "primary", f"{measure}", measure, block)
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
    bt = out["primary"].get("terms", "").split(", ") if out["primary"].get("block") else []
    if prim and "," in out["primary"]["terms"]:
        for t in out["primary"]["terms"].split(", "):
            out["strip"].append(_cell_spec(prim[0], t, "terms", f"one term of the block: {t}", measure))
    for s in fits(cfg["model"], "common"):
        m = _measure_of(s)
        out["strip"].append(_cell_spec(s, term, "measure", f"{m}, common sample", m, block, bt))
    for s in fits(cfg["model"], "own"):
        if any(c["measure"] == _measure_of(s) for c in out["strip"]):
            m = _measure_of(s)
            out["strip"].append(_cell_spec(s, term, "sample", f"{m}, own sample", m, block, bt))
    common = {c["measure"] for c in out["strip"] if c["axis"] == "measure"}
    for c in [c for c in out["strip"] if c["axis"] == "measure" and c["measure"] in common]:
        out["strip"].append({**c, "axis": "sample", "label": f"{c['measure']}, common sample"})
    if cfg.get("any"):
        for s in fits(cfg["any"], "own", measure):
            out["strip"].append(_cell_spec(s, term, "alliance type", "any obligation", measure, block, bt))
    for item in cfg.get("specification") or []:
        item = {"model": item} if isinstance(item, str) else item
        for s in fits(item["model"], "own", measure):
            out["strip"].append(
                _cell_spec(
                    s,
                    item.get("term", term),
                    "specification",
                    item.get("label", s.base.replace("_", " ")),
                    measure,
                    "" if "term" in item else block,
                    bt,
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
    without the threat terms (``<model>-<measure>--drop-threat``), and
    ``with_threat``, each baseline's full model.
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
            pairs = [
                (_fitted_name(specs, m, measure, "--drop-threat"), _fitted_name(specs, m, measure)) for m in models
            ]
            out[cid] = {
                **c,
                "baselines": [b for b, _ in pairs if b],
                # each baseline's full model: what the threat terms add to the prediction
                "with_threat": [f for b, f in pairs if b],
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
        need |= set(p.get("baselines", [])) | {m for m in p.get("with_threat", []) if m}
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
