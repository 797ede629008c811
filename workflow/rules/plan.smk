# What the run builds: the declared models (validated at load), the fits the
# report reads, and the input functions and parameters of the model and report
# rules. Functions only, no rules: models.smk and report.smk hold those.
import zlib

from alliance_models.data.panel import era_names
from alliance_models.models.checks import check_all_columns, check_model_eras
from alliance_models.models.spec import load_model_specs

try:
    MODELS = {s.name: s for s in load_model_specs(config["models"], config.get("variants"))}
    check_all_columns(list(MODELS.values()), config["models"])
    check_model_eras(list(MODELS.values()), era_names(config["panel"]["eras"]), config["models"])
except PipelineError as exc:
    raise WorkflowError(str(exc)) from None


def model_data(wildcards):
    return MODELS[wildcards.model].data_path()


def model_seed(name):
    """Per-model seed: the config seed plus a stable hash of the model name."""
    return int(config["seed"]) + zlib.crc32(name.encode()) % 100_000



from alliance_models import registry
from alliance_models.claim_plan import cells_of, plan_claims, report_fits
from alliance_models.claims import DIRECTIONAL
from alliance_models.models.checks import table_columns
from alliance_models.case_frames import surface_axes

REPORT = config["report"]
# what the per-model figure jobs read of report (a change to a verdict's
# rule, or to K-fold, reruns no figure)
FIGURE_SETTINGS = {k: REPORT[k] for k in ("interval", "draws", "loo_draws", "grid_size", "annotate") if k in REPORT}
FIG = "reports/figures"
MTAB = "reports/tables/models"
FULL_MODELS = [m for m, s in MODELS.items() if not s.reduced_from]
REDUCED_MODELS = [m for m, s in MODELS.items() if s.reduced_from]
REDUCED_OF = {m: [(s.dropped, r) for r, s in MODELS.items() if s.reduced_from == m] for m in FULL_MODELS}


def _case_axes(spec):
    """(x, y) of the disparity x threat surface for models of a case table."""
    known = table_columns(spec)
    if known is None or "case_id" not in known[0]:
        return None
    return surface_axes(spec, known[0])


# The models the report shows in full get per-model figures and tables: every
# full model but the common-sample refits (their summaries feed the robustness
# strips; figures for them would cost ~20 s each and be shown nowhere).
SHOWN_MODELS = registry.shown_in_full(MODELS.values())
REFIT_MODELS = [m for m in FULL_MODELS if m not in SHOWN_MODELS]
CASE_AXES = {m: _case_axes(MODELS[m]) for m in SHOWN_MODELS}
CASE_MODELS = [m for m in SHOWN_MODELS if CASE_AXES[m]]
OTHER_MODELS = [m for m in SHOWN_MODELS if not CASE_AXES[m]]
CLAIM_PLAN = plan_claims(list(MODELS.values()), REPORT)
# The default run fits what the report reads (claim_plan.report_fits: every
# claim's cells, baselines and comparisons, the holdouts, each declared model
# under the primary measure with its drop refits); the other variants and
# their refits are the `robustness` target.
DEFAULT_FITS = set(report_fits(list(MODELS.values()), CLAIM_PLAN, REPORT["measure"]))
ROBUSTNESS_FITS = [m for m in MODELS if m not in DEFAULT_FITS]


def fit_outputs(models):
    out = [f"results/{m}/{f}" for m in models for f in ("frequentist.csv", "summary.csv", "diagnostics.json")]
    return out + [f"results/{m}/holdout.csv" for m in models if MODELS[m].holdout]
HOLDOUT_MODELS = [m for m in FULL_MODELS if MODELS[m].holdout and MODELS[m].family == "bernoulli"]
SLOPE_MODELS = [m for m in [CLAIM_PLAN.get("ussr_different", {}).get("slopes_model")] if m]
# holdout models of a later era (ussr_forecast-*): the report's forecast
# section; each tested against its null (report.carry_over: the same model
# without the framework's variables, the fit with the same `type` variant)
NULL_BASES = set((REPORT.get("carry_over") or {}).values())
FORECAST_MODELS = [m for m in HOLDOUT_MODELS if "forecast" in MODELS[m].base and MODELS[m].base not in NULL_BASES]
NULL_OF = {
    m: n
    for m in FORECAST_MODELS
    for n in HOLDOUT_MODELS
    if MODELS[n].base == (REPORT.get("carry_over") or {}).get(MODELS[m].base)
    and MODELS[n].variant.get("type") == MODELS[m].variant.get("type")
}


def _alternatives(names):
    return "|".join(re.escape(n) for n in names) or "(?!x)x"


# The figures and tables, their captions and categories: alliance_models/registry.py.
RTAB = "reports/tables"

# (an alias: the word `report` opening a line is Snakemake's report keyword)
_report = report


def _figures(*scopes):
    """A model's figures of these registry scopes, each with its rst caption."""
    return [
        _report(
            multiext(f.pattern(FIG), *f.formats),
            caption=f.rule_caption(),
            category=f.category,
            subcategory="{model}",
            labels={"model": "{model}", "figure": f.label},
        )
        for f in registry.figures(*scopes)
    ]


def _tables(*scopes):
    return [t.path(MTAB, model="{model}") for t in registry.tables(*scopes)]


def figure_inputs(wc):
    reduced = [r for _, r in REDUCED_OF[wc.model]]
    out = {
        "nc": f"results/{wc.model}/posterior.nc",
        "summary": f"results/{wc.model}/summary.csv",
        "diagnostics": f"results/{wc.model}/diagnostics.json",
        "frequentist": f"results/{wc.model}/frequentist.csv",
        "data": MODELS[wc.model].data_path(),
        "reduced_nc": [f"results/{r}/posterior.nc" for r in reduced],
        "reduced_diag": [f"results/{r}/diagnostics.json" for r in reduced],
    }
    if CASE_AXES.get(wc.model):
        out["state_year"] = "data/processed/state_year.parquet"
    return out


def figure_params(wc):
    return [{"label": lab, "name": r, "spec": MODELS[r].to_json()} for lab, r in REDUCED_OF[wc.model]]


# the primary fit of each directional claim: the fits whose ΔELPD a verdict quotes
PRIMARY_FITS = [CLAIM_PLAN[cid]["primary"]["model"] for cid in DIRECTIONAL if cid in CLAIM_PLAN]


def _claim_fits():
    """Every fit the claims read: the cells' summaries and posteriors (the
    contrasts on the probability scale), the balancing baselines' and the
    varying-slopes model's posteriors, the PSIS-LOO tables of the primary
    fits (what leaving a block out costs) and of the USSR-specific model."""
    cells = [c["model"] for cid in DIRECTIONAL if cid in CLAIM_PLAN
             for c in cells_of(CLAIM_PLAN[cid])]
    cells = [m for m in dict.fromkeys(cells) if m in MODELS]
    bal = CLAIM_PLAN.get("balancing", {}).get("baselines", [])
    bal = [*bal, *(m for m in CLAIM_PLAN.get("balancing", {}).get("with_threat", []) if m)]
    diff = CLAIM_PLAN.get("ussr_different", {})
    post = [m for m in dict.fromkeys([*cells, *bal, diff.get("slopes_model")]) if m in MODELS]
    loo = [f"{MTAB}/{m}-loo.csv" for m in dict.fromkeys(PRIMARY_FITS) if m in MODELS and MODELS[m].drop]
    loo += [f"{MTAB}/{diff['specific_model']}-loo.csv"] if diff.get("specific_model") in MODELS else []
    return cells, post, loo


def claim_inputs(wildcards):
    cells, post, loo = _claim_fits()
    out = {
        "summaries": [f"results/{m}/summary.csv" for m in cells],
        "diagnostics": [f"results/{m}/diagnostics.json" for m in post],
        "nc": [f"results/{m}/posterior.nc" for m in post],
        "loo": loo,
        "kfold": [f"{MTAB}/{m}-kfold.csv" for m in KFOLD_MODELS],
        "data": sorted({MODELS[m].data_path() for m in post}),
        "state_year": "data/processed/state_year.parquet",
        "cow_states": source_path("cow_states"),
        "cases": "data/processed/cases.parquet",
    }
    if CLAIM_PLAN.get("balancing", {}).get("baselines"):
        out["table4"] = "reports/tables/moura_table4.csv"
        out["threat_panel"] = f"data/processed/{CLAIM_PLAN['balancing'].get('threat_panel', 'dyad_year_majors')}.parquet"
    return out


def claim_plan():
    plan = dict(CLAIM_PLAN)
    if "ussr_different" in plan and plan["ussr_different"].get("specific_model"):
        plan["ussr_different"] = dict(plan["ussr_different"],
                                      loo_table=f"{MTAB}/{plan['ussr_different']['specific_model']}-loo.csv")
    return plan


REPORT_TABLES = {
    "Yu's Table 1 as data: cases per cell": "reports/tables/yu_typology_cells.csv",
    "Each case's cell under each disparity measure": "reports/tables/yu_typology_cases.csv",
    "Moura's Table 4 recomputed from the measures, beside the printed coding": "reports/tables/moura_table4.csv",
    "Seed tables reproduced (Moura, Tables 1-3)": "reports/tables/seed_reproduction.csv",
    "Missing indicators in the encoded cases": "reports/tables/cases_missing.csv",
    "NMC 6.0 vs 7.0 differences": "reports/tables/nmc_6_vs_7.csv",
}


LOCATION_KEYS = ("data_mirror", "compile_cache")


def report_meta():
    import hashlib
    import importlib.metadata as md
    import json as _json

    pkgs = ("pandas", "numpy", "pymc", "arviz", "statsmodels", "snakemake", "matplotlib", "formulae", "numpyro", "jax")
    versions = {}
    for p in pkgs:
        try:
            versions[p] = md.version(p)
        except md.PackageNotFoundError:
            pass
    return {
        # what the results depend on: not where the mirror or the compile cache lie
        # (the same bytes elsewhere give the same results; sources are identified by sha256)
        "config sha256": hashlib.sha256(
            _json.dumps({k: v for k, v in config.items() if k not in LOCATION_KEYS}, sort_keys=True, default=str).encode()
        ).hexdigest()[:16],
        "seed": config["seed"],
        "data versions": ", ".join(f"{n} {s['version']}" for n, s in SOURCES.items()),
        "packages": ", ".join(f"{k} {v}" for k, v in versions.items()),
        # what setup_env.sh installed, hash-checked: the full list of exact versions
        "requirements.lock sha256": hashlib.sha256(Path("requirements.lock").read_bytes()).hexdigest()[:16]
        if Path("requirements.lock").is_file()
        else "none (not installed from the lock)",
        "sampling": ", ".join(f"{k} {v}" for k, v in config["sampling"].items()),
        "variants fitted": "; ".join(f"{d}: {', '.join(v)}" for d, v in (config.get("variants") or {}).items())
        or "all declared",
        "model seeds": {m: model_seed(m) for m in MODELS},
    }


def _model_info():
    keys = ("description", "data", "family", "formula", "subset", "holdout", "base")
    return {m: {k: getattr(MODELS[m], k) for k in keys} for m in FULL_MODELS}


def report_inputs():
    """Every figure (PNG) and table the report shows, by the registry."""
    figs = [f.path(FIG, model=m) for m in REPORT_MODELS for f in registry.figures(registry.MODEL)]
    figs += [f.path(FIG, model=m) for m in CASE_MODELS if m in REPORT_MODELS for f in registry.figures(registry.CASE)]
    for f in registry.figures(registry.CLAIMS, registry.OOS):
        figs += [f.path(FIG, model=m) for m in SLOPE_MODELS] if "{model}" in f.stem else [f.path(FIG)]
    tabs = [t.path(MTAB, model=m) for m in REPORT_MODELS for t in registry.tables(registry.MODEL)]
    tabs += [t.path(MTAB, model=m) for m in CASE_MODELS if m in REPORT_MODELS for t in registry.tables(registry.CASE)]
    tabs += [t.path(RTAB) for t in registry.tables(registry.CLAIMS, registry.OOS, registry.LATENT)]
    figs += [f.path(FIG) for f in registry.figures(registry.LATENT)]
    return {"figures": figs, "model_tables": tabs}


# shown in full: the default fits whose drop refits are default fits too (the
# other measures' own-sample fits enter the robustness strips as numbers)
REPORT_MODELS = [m for m in SHOWN_MODELS if m in DEFAULT_FITS and all(r in DEFAULT_FITS for _, r in REDUCED_OF[m])]


def ledger_model():
    """The partner-choice model the report's treaty ledger describes: the
    disparity claim's primary fit if it reads treaty choice sets, else the
    first declared model that does (None: no ledger)."""
    prim = CLAIM_PLAN.get("disparity", {}).get("primary", {}).get("model")
    cands = [prim] if prim in MODELS else []
    cands += [m for m, s in MODELS.items() if not s.reduced_from]
    return next((MODELS[m] for m in cands if MODELS[m].data.startswith("treaty_choice_")), None)


def ledger_inputs(wildcards):
    spec = ledger_model()
    s = spec.data.removeprefix("treaty_choice_")
    return {
        "treaties": "data/processed/treaties.parquet",
        "choice": f"data/processed/treaty_choice_{s}.parquet",
        "choice_meta": f"data/processed/treaty_choice_{s}.parquet.meta.yaml",
        "onsets": f"data/processed/onset_treaties_{s}.parquet",
        "focal_year": f"data/processed/focal_year_{s}.parquet",
    }


# K-fold cross-validation by decision (rules in kfold.smk)
KFOLD = config["report"].get("kfold", {})
KFOLD_FOLDS = int(KFOLD.get("folds", 0))


def kfold_models():
    """Full models (fitted names) that get a K-fold table."""
    if KFOLD_FOLDS < 2:
        return []
    scored = ("bernoulli", "conditional")
    named = list(KFOLD.get("models", []))
    for m in named:
        if m not in MODELS or not REDUCED_OF.get(m):
            raise WorkflowError(
                f"config: report.kfold.models: {m!r} is not a fitted model with drop refits "
                f"(those are: {', '.join(f for f in FULL_MODELS if REDUCED_OF.get(f))})"
            )
        if MODELS[m].family not in scored:
            raise WorkflowError(
                f"config: report.kfold.models: {m!r} is a {MODELS[m].family} model; K-fold scores bernoulli "
                "and conditional models"
            )
    return [
        m for m in dict.fromkeys([*PRIMARY_FITS, *named]) if m in MODELS and REDUCED_OF.get(m) and MODELS[m].family in scored
    ]


KFOLD_MODELS = kfold_models()


def kfold_files(model):
    return [f"results/{model}/kfold/fold{k}.csv" for k in range(KFOLD_FOLDS)]
