"""Simulation-based calibration (Talts, Betancourt, Simpson, Vehtari and
Gelman 2018, arXiv:1804.06788) of the pipeline's Bayesian models.

For each simulation: draw every parameter from the prior of the model that
:func:`alliance_models.models.bayes.build_pymc_model` builds for a fixed
simulated design, simulate the outcome from those parameters, fit the same
model to the simulated outcome with NUTS, thin the posterior draws to ``L``
(``n_ranks``) and record the rank of the true value among them (0..L) for
every scalar parameter. If the sampler and the model are correct the ranks are
uniform on 0..L; a chi-square test over ``n_bins`` equal bins measures the
departure, and the rank histograms show its shape (a U: posteriors too narrow;
a hump: too wide; a slope: biased).

Models (config key ``sbc.models``):

* ``logit_varying_intercept``: bernoulli logit ``y ~ x1 + .. + xK`` with a
  varying intercept by group ``g`` (``n_groups`` balanced levels);
* ``categorical``: softmax ``y ~ x1 + .. + xK`` over ``n_categories``
  categories (first = reference).

Both use the models file's default priors (``defaults.priors``), on the
standardized predictors, exactly as a declared model would.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import time

import numpy as np
import pandas as pd

from .config import read_yaml
from .errors import ConfigError, PipelineError
from .models.matrix import build_model_data
from .models.spec import DEFAULT_PRIORS, ModelSpec

log = logging.getLogger(__name__)

SBC_MODELS = ("logit_varying_intercept", "categorical")
BATCH_COLUMNS = [
    "model",
    "sim",
    "parameter",
    "true_value",
    "rank",
    "n_ranks",
    "post_mean",
    "post_sd",
    "divergences",
    "max_rhat",
    "min_ess_bulk",
    "seconds",
]


# ---------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------


def check_sbc_settings(settings: dict, where: str = "config") -> None:
    """Checks the schema cannot express; raise ConfigError naming the key."""
    s = settings
    problems = []
    for m in s.get("models", []):
        if m not in SBC_MODELS:
            problems.append(f"{where}: key 'sbc.models': unknown model '{m}' (known: {', '.join(SBC_MODELS)})")
    if (s["n_ranks"] + 1) % s["n_bins"]:
        problems.append(
            f"{where}: key 'sbc.n_bins': {s['n_bins']} does not divide the {s['n_ranks'] + 1} possible ranks "
            f"(0..n_ranks={s['n_ranks']}); pick a divisor of {s['n_ranks'] + 1}"
        )
    if s["draws"] * s["chains"] < s["n_ranks"]:
        problems.append(
            f"{where}: key 'sbc.draws': draws x chains = {s['draws'] * s['chains']} is fewer than "
            f"n_ranks = {s['n_ranks']} posterior draws to rank against"
        )
    if s["n_batches"] > s["n_sims"]:
        problems.append(f"{where}: key 'sbc.n_batches': {s['n_batches']} batches for only {s['n_sims']} simulations")
    if s["n_groups"] > s["n_obs"]:
        problems.append(f"{where}: key 'sbc.n_groups': {s['n_groups']} groups for only {s['n_obs']} observations")
    if problems:
        raise ConfigError("invalid SBC settings:\n  " + "\n  ".join(problems))


def batch_sims(n_sims: int, n_batches: int, batch: int) -> list[int]:
    """Simulation indices of one batch: ``n_sims`` split into near-equal runs."""
    if not 0 <= batch < n_batches:
        raise ValueError(f"batch {batch} is outside 0..{n_batches - 1}")
    return [int(i) for i in np.array_split(np.arange(n_sims), n_batches)[batch]]


def sim_seeds(base_seed: int, model: str, sim: int) -> tuple[int, int]:
    """(simulation seed, fit seed) of one simulation; independent of batching."""
    ss = np.random.SeedSequence([int(base_seed), SBC_MODELS.index(model), int(sim)])
    a, b = ss.generate_state(2)
    return int(a), int(b)


# ---------------------------------------------------------------------------
# The simulated design and its model
# ---------------------------------------------------------------------------


def sbc_model_data(model: str, settings: dict, priors: dict | None = None, design_seed: int = 0):
    """ModelData for a fixed simulated design (placeholder outcome).

    Predictors ``x1..xK`` are standard normal draws (seeded by ``design_seed``);
    the design is held fixed across simulations, as SBC conditions on it.
    """
    if model not in SBC_MODELS:
        raise ConfigError(f"SBC: unknown model '{model}' (known: {', '.join(SBC_MODELS)})")
    n, k = int(settings["n_obs"]), int(settings["n_predictors"])
    rng = np.random.default_rng(design_seed)
    frame = pd.DataFrame({f"x{j + 1}": rng.standard_normal(n) for j in range(k)})
    full_priors = {**DEFAULT_PRIORS, **(priors or {})}
    formula = "y ~ " + " + ".join(frame.columns)
    if model == "logit_varying_intercept":
        n_groups = int(settings["n_groups"])
        width = len(str(n_groups - 1))
        frame["g"] = [f"g{i % n_groups:0{width}d}" for i in range(n)]
        frame["y"] = np.arange(n) % 2
        spec = ModelSpec(
            name=f"sbc_{model}",
            data="sbc_design.csv",
            outcome="y",
            formula=formula,
            family="bernoulli",
            group=[{"by": "g", "intercept": True, "slopes": [], "parameterization": "auto"}],
            priors=full_priors,
        )
    else:
        cats = [f"c{i}" for i in range(int(settings["n_categories"]))]
        frame["y"] = [cats[i % len(cats)] for i in range(n)]
        spec = ModelSpec(
            name=f"sbc_{model}",
            data="sbc_design.csv",
            outcome="y",
            formula=formula,
            family="categorical",
            categories=cats,
            priors=full_priors,
        )
    return build_model_data(spec, frame)


def parameter_names(pymc_model) -> list[str]:
    """Parameters ranked: free variables and deterministics, on their natural
    scale, except the sampler's auxiliary coordinates (``z_*``, ``theta_qr_*``:
    implied by the parameters; models.bayes.is_auxiliary)."""
    from .models.bayes import is_auxiliary  # heavy: models.bayes imports PyMC

    names = [rv.name for rv in pymc_model.free_RVs] + [d.name for d in pymc_model.deterministics]
    return [n for n in names if not is_auxiliary(n) and not n.endswith("_orig")]


def scalar_draws(ds, names: list[str]) -> dict[str, np.ndarray]:
    """label -> draws (chains stacked in order) for every scalar in ``names``.

    Labels follow ArviZ: ``beta[x1]``, ``beta[x1, c1]``.
    """
    out = {}
    for name in names:
        da = ds[name]
        extra = [d for d in da.dims if d not in ("chain", "draw")]
        if not extra:
            out[name] = da.transpose("chain", "draw").values.reshape(-1)
            continue
        for combo in itertools.product(*(da.coords[d].values for d in extra)):
            sel = da.sel(dict(zip(extra, combo))).transpose("chain", "draw")
            out[f"{name}[{', '.join(map(str, combo))}]"] = sel.values.reshape(-1)
    return out


def thin(draws: np.ndarray, n_ranks: int) -> np.ndarray:
    """``n_ranks`` draws evenly spaced through the (chain-stacked) draws."""
    n = len(draws)
    if n < n_ranks:
        raise ValueError(f"{n} draws cannot be thinned to {n_ranks}")
    step = n // n_ranks
    return draws[np.arange(n_ranks) * step + (step - 1)]


def rank_of(true_value: float, thinned: np.ndarray, rng: np.random.Generator) -> int:
    """Number of thinned draws below the true value; ties broken at random."""
    below = int(np.sum(thinned < true_value))
    ties = int(np.sum(thinned == true_value))
    return below + (int(rng.integers(0, ties + 1)) if ties else 0)


# ---------------------------------------------------------------------------
# One simulation, one batch
# ---------------------------------------------------------------------------


def simulate(md, seed: int):
    """Draw parameters from the prior and the outcome given them.

    Returns (truth: label -> value, y: outcome codes).
    """
    # heavy (PyMC): the Snakefile imports this module; only the fits need them
    import pymc as pm

    from .models.bayes import build_pymc_model

    model = build_pymc_model(md)
    with model:
        prior = pm.sample_prior_predictive(draws=1, random_seed=seed)
    truth = {k: float(v[0]) for k, v in scalar_draws(prior.prior, parameter_names(model)).items()}
    y = np.asarray(prior.prior_predictive["y"].values).reshape(-1).astype("int64")
    return truth, y


def fit_simulated(md, y: np.ndarray, settings: dict, seed: int):
    """NUTS fit of the same model to a simulated outcome (one core)."""
    # heavy (PyMC): the Snakefile imports this module; only the fits need them
    import pymc as pm

    from .models.bayes import build_pymc_model

    model = build_pymc_model(dataclasses.replace(md, y=y))
    with model:
        idata = pm.sample(
            draws=int(settings["draws"]),
            tune=int(settings["tune"]),
            chains=int(settings["chains"]),
            cores=1,
            target_accept=float(settings["target_accept"]),
            random_seed=seed,
            progressbar=False,
            compute_convergence_checks=False,
        )
    return model, idata


def run_simulation(model_name: str, md, settings: dict, base_seed: int, sim: int) -> pd.DataFrame:
    """One SBC replicate: rows (parameter, true value, rank) for every scalar."""
    import arviz as az  # heavy (ArviZ)

    t0 = time.monotonic()
    sim_seed, fit_seed = sim_seeds(base_seed, model_name, sim)
    truth, y = simulate(md, sim_seed)
    pm_model, idata = fit_simulated(md, y, settings, fit_seed)
    post = idata.posterior
    draws = scalar_draws(post, parameter_names(pm_model))
    names = [v for v in post.data_vars if not v.startswith("z_")]
    rhat = az.rhat(post[names])
    ess = az.ess(post[names], method="bulk")
    max_rhat = float(np.nanmax([np.nanmax(rhat[v].values) for v in names]))
    min_ess = float(np.nanmin([np.nanmin(ess[v].values) for v in names]))
    ndiv = int(idata.sample_stats["diverging"].sum())
    rng = np.random.default_rng(fit_seed)
    L = int(settings["n_ranks"])
    seconds = round(time.monotonic() - t0, 2)
    rows = []
    for label in sorted(truth):
        d = draws[label]
        rows.append(
            {
                "model": model_name,
                "sim": int(sim),
                "parameter": label,
                "true_value": truth[label],
                "rank": rank_of(truth[label], thin(d, L), rng),
                "n_ranks": L,
                "post_mean": float(d.mean()),
                "post_sd": float(d.std()),
                "divergences": ndiv,
                "max_rhat": max_rhat,
                "min_ess_bulk": min_ess,
                "seconds": seconds,
            }
        )
    log.info(
        "SBC %s sim %d: %d parameters, outcome mean %.2f, %d divergences, max R-hat %.3f, min bulk ESS %.0f, %.1f s",
        model_name,
        sim,
        len(rows),
        float(np.mean(y)),
        ndiv,
        max_rhat,
        min_ess,
        seconds,
    )
    return pd.DataFrame(rows, columns=BATCH_COLUMNS)


def run_sbc_batch(model_name: str, settings: dict, batch: int, seed: int, priors: dict | None = None) -> pd.DataFrame:
    """Every simulation of one batch, in order; the batch's rows."""
    sims = batch_sims(int(settings["n_sims"]), int(settings["n_batches"]), int(batch))
    base_seed = int(seed) + int(settings["seed_offset"])
    md = sbc_model_data(model_name, settings, priors, design_seed=base_seed)
    log.info(
        "SBC %s batch %d: simulations %s, %d obs, design %s",
        model_name,
        batch,
        f"{sims[0]}-{sims[-1]}" if sims else "none",
        len(md.y),
        md.rhs,
    )
    frames = [run_simulation(model_name, md, settings, base_seed, s) for s in sims]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=BATCH_COLUMNS)


# ---------------------------------------------------------------------------
# Summary: uniformity statistic per parameter, rank histograms
# ---------------------------------------------------------------------------


def rank_counts(ranks: np.ndarray, n_ranks: int, n_bins: int) -> np.ndarray:
    """Counts of ranks 0..n_ranks in ``n_bins`` equal bins."""
    if (n_ranks + 1) % n_bins:
        raise ValueError(f"{n_bins} bins do not divide {n_ranks + 1} ranks")
    ranks = np.asarray(ranks, dtype="int64")
    if ranks.size and (ranks.min() < 0 or ranks.max() > n_ranks):
        raise ValueError(f"ranks must lie in 0..{n_ranks}")
    return np.bincount(ranks * n_bins // (n_ranks + 1), minlength=n_bins)


def chi2_uniform(counts: np.ndarray) -> tuple[float, int, float]:
    """Pearson chi-square of bin counts against uniform: (statistic, df, p-value)."""
    from scipy import stats  # heavy (scipy.stats): only the uniformity test needs it

    counts = np.asarray(counts, dtype="float64")
    expected = counts.sum() / len(counts)
    stat = float(((counts - expected) ** 2 / expected).sum()) if expected > 0 else float("nan")
    df = len(counts) - 1
    return stat, df, float(stats.chi2.sf(stat, df)) if expected > 0 else float("nan")


def combine_batches(frames: list[pd.DataFrame], n_sims: int, sources=None) -> pd.DataFrame:
    """Concatenate batch tables; refuse a missing or repeated simulation."""
    df = pd.concat(frames, ignore_index=True)
    sims = set(df["sim"].astype(int))
    missing = sorted(set(range(n_sims)) - sims)
    if missing:
        raise PipelineError(f"SBC: simulations {missing[:10]} missing from the batch files {sources or ''}")
    dup = df.duplicated(["model", "sim", "parameter"])
    if dup.any():
        r = df[dup].iloc[0]
        raise PipelineError(f"SBC: simulation {r['sim']} parameter {r['parameter']} appears twice in the batch files")
    return df.sort_values(["sim", "parameter"]).reset_index(drop=True)


def _param_order(labels) -> list[str]:
    def key(label):
        base = label.split("[")[0]
        order = {"alpha": 0, "beta": 1}.get(base, 3 if base.startswith("a_") else 2)
        return (order, label)

    return sorted(set(labels), key=key)


def summarize_sbc(ranks: pd.DataFrame, n_bins: int) -> pd.DataFrame:
    """One row per parameter: chi-square uniformity test of its ranks.

    Columns: model, parameter, n_sims, n_ranks, n_bins, chi2, df, p_value,
    p_value_bonferroni (times the number of parameters), rank_mean and
    rank_sd (ranks scaled to 0..1; uniform: 0.5 and about 0.29),
    sims_with_divergences, median_min_ess_bulk.
    """
    rows = []
    labels = _param_order(ranks["parameter"])
    for label in labels:
        r = ranks[ranks["parameter"] == label]
        L = int(r["n_ranks"].iloc[0])
        counts = rank_counts(r["rank"].to_numpy(), L, n_bins)
        stat, df, p = chi2_uniform(counts)
        u = r["rank"].to_numpy() / L
        rows.append(
            {
                "model": r["model"].iloc[0],
                "parameter": label,
                "n_sims": len(r),
                "n_ranks": L,
                "n_bins": n_bins,
                "chi2": stat,
                "df": df,
                "p_value": p,
                "p_value_bonferroni": min(1.0, p * len(labels)),
                "rank_mean": float(u.mean()),
                "rank_sd": float(u.std(ddof=1)) if len(u) > 1 else float("nan"),
                "sims_with_divergences": int((r["divergences"] > 0).sum()),
                "median_min_ess_bulk": float(r["min_ess_bulk"].median()),
            }
        )
    return pd.DataFrame(rows)


def rank_histograms(ranks: pd.DataFrame, table: pd.DataFrame, title: str):
    """One panel per parameter: rank counts in the table's bins, with the 99%
    band of bin counts under uniformity (binomial, as in Talts et al. Fig. 1)."""
    # heavy (matplotlib, scipy.stats): only the figure needs them
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy import stats

    labels = list(table["parameter"])
    ncol = min(4, len(labels))
    nrow = int(np.ceil(len(labels) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.0 * ncol, 2.3 * nrow + 0.6), squeeze=False)
    for ax in axes.ravel()[len(labels) :]:
        ax.axis("off")
    for ax, row in zip(axes.ravel(), table.itertuples(index=False)):
        r = ranks[ranks["parameter"] == row.parameter]
        counts = rank_counts(r["rank"].to_numpy(), row.n_ranks, row.n_bins)
        n = int(counts.sum())
        lo, hi = stats.binom.ppf([0.005, 0.995], n, 1.0 / row.n_bins)
        ax.axhspan(lo, hi, color="0.85", zorder=0)
        ax.axhline(n / row.n_bins, color="0.5", lw=0.8)
        ax.bar(np.arange(row.n_bins), counts, width=1.0, color="tab:blue", edgecolor="white", lw=0.5)
        ax.set_title(f"{row.parameter}\nchi2={row.chi2:.1f} (df {row.df}), p={row.p_value:.3f}", fontsize=8)
        ax.set_xticks([])
        ax.tick_params(labelsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------
# Stages (one per rule)
# ---------------------------------------------------------------------------


def default_priors(models_path) -> dict:
    """The models file's ``defaults.priors`` (empty when it sets none)."""
    doc = read_yaml(models_path, "models file") or {}
    return dict((doc.get("defaults") or {}).get("priors") or {})
