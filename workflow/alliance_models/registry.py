"""Every figure and table of the report, declared once.

Each entry names its file stem (a pattern over ``{model}`` for per-model
files), its scope, its caption (an rst file under ``workflow/report/``: the
one text both the HTML report and ``snakemake --report`` show), its
category in ``snakemake --report`` and, for the files ``model_figures``
draws, the frames it is drawn from (functions of :mod:`.summaries`,
:mod:`.case_frames`, :mod:`.slopes`, by name)
and the function that draws it (in :mod:`.plots`, :mod:`.plots_cases`
or :mod:`.plots_report`). The rules
(``workflow/rules/report.smk`` and ``plan.smk``: the outputs of ``model_figures`` and
``case_model_figures``, the inputs of ``report``, the captions of the
``claims`` and ``out_of_sample`` outputs), :func:`.stages.model_figures`
and the HTML report (:mod:`.report`) all read their lists from here, so a
new figure needs an entry here, its rst caption and its plotting code.

Scopes:

- ``model``: every full model the report shows in full (:func:`shown_in_full`),
  written by ``model_figures``;
- ``case model``: in addition, for models of the case table (the
  disparity x threat surface and the case predictions);
- ``claims``: written by the ``claims`` rule (``{model}`` is the
  varying-slopes model of the claim ``ussr_different``);
- ``out of sample``: written by the ``out_of_sample`` rule;
- ``latent capability``: written by the ``latent_figures`` rule.

Nothing here imports the plotting or fitting stack: the Snakefile reads it
at parse time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MODEL, CASE, CLAIMS, OOS, LATENT = "model", "case model", "claims", "out of sample", "latent capability"
SCOPES = (MODEL, CASE, CLAIMS, OOS, LATENT)

REPORT_DIR = Path(__file__).resolve().parents[1] / "report"
TEMPLATE_DIR = REPORT_DIR / "templates"
# captions as the rules name them (relative to workflow/rules/)
RULE_CAPTION_DIR = "../report"


@dataclass(frozen=True)
class Figure:
    """One figure (PNG for the HTML report, PNG and SVG on disk).

    ``frames``: the frames passed to ``plot`` positionally, by the name of
    the :mod:`.summaries` function that builds them (``idata``: the fit's
    InferenceData). ``title``: the figure's title, formatted with the
    drawing context of :func:`.stages.model_figures` (model, ref, draws ...).
    ``kwargs``: keyword arguments of ``plot`` taken from that context.
    ``placement``: where the HTML report puts it: ``grid`` (two columns in
    the model's section), ``wide`` (full width in the model's section),
    ``appendix`` (the rank-plot appendix) or ``section`` (a section of its
    own: surfaces, case plots, slopes, out of sample)."""

    key: str
    stem: str
    scope: str
    caption: str
    category: str
    label: str
    frames: tuple[str, ...] = ()
    plot: str = ""
    title: str = ""
    kwargs: tuple[tuple[str, str], ...] = ()
    placement: str = "grid"
    formats: tuple[str, ...] = (".png", ".svg")

    def path(self, directory, ext: str = ".png", **names) -> str:
        return f"{directory}/{self.stem.format(**names)}{ext}"

    def pattern(self, directory) -> str:
        """The output stem as a rule writes it (``{model}`` stays a wildcard)."""
        return f"{directory}/{self.stem}"

    def caption_file(self) -> Path:
        return REPORT_DIR / self.caption

    def rule_caption(self) -> str:
        return f"{RULE_CAPTION_DIR}/{self.caption}"


@dataclass(frozen=True)
class Table:
    """One table (CSV, or JSON for ``ext='.json'``).

    ``frame``/``part``: the :mod:`.summaries` function that builds it (and
    the key of its dict, for functions returning several frames).
    ``title``/``columns``: its heading and the columns the HTML report
    shows (all when empty); ``show``: whether the model section shows it."""

    key: str
    stem: str
    scope: str
    title: str = ""
    frame: str = ""
    part: str = ""
    columns: tuple[str, ...] = ()
    caption: str = ""
    category: str = ""
    show: bool = True
    ext: str = ".csv"

    def path(self, directory, **names) -> str:
        return f"{directory}/{self.stem.format(**names)}{self.ext}"

    def caption_file(self) -> Path | None:
        return REPORT_DIR / self.caption if self.caption else None

    def rule_caption(self) -> str:
        return f"{RULE_CAPTION_DIR}/{self.caption}"


# --------------------------------------------------------------------------
# figures, in the order the report shows them

FIGURES: tuple[Figure, ...] = (
    Figure(
        "forest",
        "{model}-forest",
        MODEL,
        "forest.rst",
        "Models",
        "standardized effects",
        frames=("coefficient_table",),
        plot="forest",
        title="{model}: standardized effects{ref}",
    ),
    Figure(
        "odds",
        "{model}-odds",
        MODEL,
        "odds.rst",
        "Models",
        "odds ratios",
        frames=("coefficient_table",),
        plot="odds_ratios",
        title="{model}: odds ratios{ref}",
    ),
    Figure(
        "ame",
        "{model}-ame",
        MODEL,
        "ame.rst",
        "Models",
        "average marginal effects",
        frames=("average_marginal_effects",),
        plot="marginal_effects",
        title="{model}: average marginal effects ({ame_draws} draws)",
    ),
    Figure(
        "loo",
        "{model}-loo",
        MODEL,
        "loo.rst",
        "Models",
        "PSIS-LOO by factor",
        frames=("loo_comparison",),
        plot="loo_deltas",
        title="{model}: what each factor adds (PSIS-LOO, {loo_draws} draws)",
    ),
    Figure(
        "ppc",
        "{model}-ppc",
        MODEL,
        "ppc.rst",
        "Models",
        "posterior predictive check",
        frames=("ppc_frames",),
        plot="ppc",
        title="{model}: posterior predictive check",
    ),
    Figure(
        "freqbayes",
        "{model}-freqbayes",
        MODEL,
        "freqbayes.rst",
        "Models",
        "frequentist and Bayesian",
        frames=("frequentist_vs_bayes",),
        plot="freq_vs_bayes",
        title="{model}: frequentist and Bayesian estimates",
    ),
    Figure(
        "posterior",
        "{model}-posterior",
        MODEL,
        "posterior.rst",
        "Models",
        "posterior densities",
        frames=("idata",),
        plot="posterior_densities",
        title="{model}: posterior densities",
        placement="wide",
    ),
    Figure(
        "rank",
        "{model}-rank",
        MODEL,
        "rank.rst",
        "Models",
        "rank plots",
        frames=("idata",),
        plot="rank_plot",
        title="{model}: rank plots",
        placement="appendix",
    ),
    Figure(
        "surface",
        "{model}-surface",
        CASE,
        "surface.rst",
        "Seeds' questions",
        "disparity x threat surface",
        frames=("surface_grid", "case_points"),
        plot="surface",
        title="{model}: {what} over {x} x {y} ({grid_draws} draws)",
        kwargs=(("outcome_names", "outcome_names"),),
        placement="section",
    ),
    Figure(
        "cases",
        "{model}-cases",
        CASE,
        "cases.rst",
        "Seeds' questions",
        "case predictions",
        frames=("case_predictions",),
        plot="case_predictions",
        title="{model}: each case's predicted probability against what happened",
        placement="wide",
    ),
    Figure(
        "findings",
        "findings",
        CLAIMS,
        "findings.rst",
        "Seeds' questions",
        "each claim: how much, with its robustness cells",
        plot="findings_strip",
        placement="section",
    ),
    Figure(
        "slopes",
        "{model}-slopes",
        CLAIMS,
        "slopes.rst",
        "Seeds' questions",
        "slopes by focal state",
        frames=("group_slopes",),
        plot="group_slopes",
        placement="section",
    ),
    Figure(
        "oos-calibration",
        "oos-calibration",
        OOS,
        "oos.rst",
        "Out of sample",
        "calibration",
        frames=("calibration_table",),
        plot="oos_calibration",
        placement="section",
    ),
    Figure(
        "latent-capability",
        "latent-capability",
        LATENT,
        "latent.rst",
        "Power",
        "latent capability",
        frames=("capability_series", "ratio_comparison"),
        plot="latent_capability",
        placement="section",
    ),
)

# --------------------------------------------------------------------------
# tables

_COEF = (
    "term",
    "category",
    "beta_std_mean",
    "beta_std_lo",
    "beta_std_hi",
    "p_positive",
    "or_sd_median",
    "or_sd_lo",
    "or_sd_hi",
    "beta_orig_mean",
    "or_unit_median",
    "or_unit_lo",
    "or_unit_hi",
)

TABLES: tuple[Table, ...] = (
    Table(
        "coefficients",
        "{model}-coefficients",
        MODEL,
        "Coefficients, P(effect > 0) and odds ratios",
        frame="coefficient_table",
        columns=_COEF,
    ),
    Table(
        "ame",
        "{model}-ame",
        MODEL,
        "Average marginal effects",
        frame="average_marginal_effects",
        columns=(
            "factor",
            "category",
            "shift",
            "base_rate",
            "ame_mean",
            "ame_lo",
            "ame_hi",
            "p_positive",
            "n_rows",
            "draws",
        ),
    ),
    Table(
        "loo",
        "{model}-loo",
        MODEL,
        "PSIS-LOO: what each factor adds",
        frame="loo_comparison",
        columns=(
            "dropped",
            "elpd_full",
            "se_full",
            "elpd_reduced",
            "delta_elpd",
            "delta_se",
            "k_bad_full",
            "k_bad_reduced",
            "k_max_full",
            "k_max_reduced",
            "draws",
            "reduced_status",
            "note",
        ),
    ),
    Table(
        "variance",
        "{model}-variance",
        MODEL,
        "Variance decomposition: the share of the explained (logit-scale) variation each part carries",
        frame="variance_decomposition",
        columns=("part", "kind", "share", "share_lo", "share_hi", "variance", "variance_lo", "variance_hi", "draws"),
    ),
    Table(
        "missing",
        "{model}-missing",
        MODEL,
        "Rows and events lost to missing values (listwise deletion), by column",
        frame="missing_table",
        columns=("column", "rows_missing", "events_missing", "rows", "events", "choice_sets_lost", "choice_sets"),
    ),
    Table(
        "ppc",
        "{model}-ppc",
        MODEL,
        "Posterior predictive check",
        frame="ppc_frames",
        part="stats",
        columns=("category", "observed", "rep_mean", "rep_lo", "rep_hi", "p_rep_ge_obs", "draws"),
    ),
    Table(
        "calibration",
        "{model}-calibration",
        MODEL,
        "In-sample calibration",
        frame="ppc_frames",
        part="calibration",
        show=False,
    ),
    Table(
        "freqbayes",
        "{model}-freqbayes",
        MODEL,
        "Frequentist and Bayesian, original scale",
        frame="frequentist_vs_bayes",
        columns=(
            "term",
            "category",
            "bayes_mean",
            "bayes_lo",
            "bayes_hi",
            "freq_estimate",
            "freq_lo",
            "freq_hi",
            "freq_p_value",
            "freq_method",
            "separation",
        ),
    ),
    Table(
        "slopes",
        "{model}-slopes",
        MODEL,
        "Varying effects by group level",
        frame="group_slopes",
        columns=("group", "term", "level", "mean", "lo", "hi", "p_positive"),
    ),
    Table("surface", "{model}-surface", CASE, "Disparity x threat grid", frame="surface_grid", show=False),
    Table(
        "case_predictions",
        "{model}-case_predictions",
        CASE,
        "Each case's predicted probability",
        frame="case_predictions",
        show=False,
    ),
    # written by the claims rule
    Table("verdicts", "verdicts", CLAIMS, "Verdicts", caption="verdicts.rst", category="Seeds' questions"),
    Table("robustness", "robustness", CLAIMS, "Robustness strips"),
    Table("numbers", "verdict_numbers", CLAIMS, "Findings and the numbers behind the verdicts", ext=".json"),
    Table("balancing", "balancing", CLAIMS, "Balancing numbers"),
    Table("threat_scores", "threat_scores", CLAIMS, "Recomputed threat score per year"),
    Table("contrasts", "ussr_contrasts", CLAIMS, "Varying slopes: the level against the others"),
    # written by the out_of_sample rule
    Table("oos_scores", "oos_scores", OOS, "Scores"),
    Table("oos_calibration", "oos_calibration", OOS, "Calibration bins"),
    Table("oos_worst", "oos_worst", OOS, "Worst-predicted rows (largest log loss)"),
    Table("oos_partners", "oos_partners", OOS, "Partners most over- and under-predicted"),
    # written by the latent_figures rule
    Table(
        "latent_loadings",
        "latent_loadings",
        LATENT,
        "The indicators: loading, error sd, variance explained",
        columns=("indicator", "loading", "error_sd", "share_explained", "observed", "anchor"),
    ),
    Table(
        "latent_ratios",
        "latent_ratios",
        LATENT,
        "The dyad's latent log ratio beside the measured ones",
        columns=(
            "year",
            "log_latent_ratio",
            "latent_lo",
            "latent_hi",
            "log_cinc_ratio",
            "log_gdp_ratio",
            "log_milex_ratio",
            "log_seed_nominal_gdp_ratio",
            "seed_year",
        ),
    ),
    Table("latent_series", "latent_series", LATENT, "Latent capability by state and year", show=False),
)


# --------------------------------------------------------------------------
# look-ups


def _scopes(scopes) -> tuple[str, ...]:
    scopes = (scopes,) if isinstance(scopes, str) else tuple(scopes)
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise ValueError(f"unknown scope(s) {unknown}; known: {SCOPES}")
    return scopes


def figures(*scopes: str) -> list[Figure]:
    """The figures of the given scopes (all without), in report order."""
    keep = _scopes(scopes) if scopes else SCOPES
    return [f for f in FIGURES if f.scope in keep]


def tables(*scopes: str) -> list[Table]:
    keep = _scopes(scopes) if scopes else SCOPES
    return [t for t in TABLES if t.scope in keep]


def figure(key: str) -> Figure:
    for f in FIGURES:
        if f.key == key:
            return f
    raise KeyError(f"no figure '{key}' in the registry")


def table(key: str) -> Table:
    for t in TABLES:
        if t.key == key:
            return t
    raise KeyError(f"no table '{key}' in the registry")


def keys(entries) -> list[str]:
    return [e.key for e in entries]


def shown_in_full(specs) -> list[str]:
    """The models the report shows in full (per-model figures and tables):
    every full model (not a ``--drop-`` refit) except the common-sample
    refits (``variant['sample'] == 'common'``), which enter the verdicts'
    robustness strips through their summaries alone."""
    return [s.name for s in specs if not s.reduced_from and s.variant.get("sample") != "common"]


def caption_text(entry) -> str:
    """The raw rst of an entry's caption (Jinja placeholders unrendered)."""
    path = entry.caption_file()
    return path.read_text() if path is not None and path.is_file() else ""


def report_files() -> list[str]:
    """The templates and rst captions the HTML report is made from, relative
    to the project root (the report rule's inputs: editing one reruns it)."""
    project = REPORT_DIR.parents[1]
    files = [*TEMPLATE_DIR.rglob("*.j2"), *TEMPLATE_DIR.rglob("*.css"), *REPORT_DIR.glob("*.rst")]
    return sorted(str(p.relative_to(project)) for p in files)
