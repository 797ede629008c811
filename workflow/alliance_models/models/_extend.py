"""Longer chains until the convergence gate's ESS and R-hat are met.

``sampling.draws`` is the first batch of draws per chain. With
``sampling.max_draws`` above it, the NumPyro chains go on from where they
stopped (same step size and mass matrix, no new warmup) in further batches
while the gate's bulk or tail ESS or R-hat fails, up to ``max_draws`` draws per
chain. The check is the gate itself (:func:`..diagnostics.diagnose`) on the
parameters the gate checks, so a fit that stops extending passes the gate
unless the cap was reached. Divergences end the extension at once: more
draws do not mend them, and the fit fails the gate as it should.

Why: how many draws a model needs is known only after the fit (the gdp
variants of the USSR onset models need 2-3 times the draws of the cinc ones),
and a fixed ``draws`` must be sized for the worst variant, so every other
variant paid for draws it did not need.

PyMC's ``pm.sample(nuts_sampler="numpyro")`` does not keep NumPyro's MCMC
object, so :func:`extending_numpyro` swaps in a sampler function with the
signature of ``pymc.sampling.jax._sample_numpyro_nuts`` for the duration of
one ``pm.sample`` call; PyMC still builds the initial points and the
InferenceData. ``tests/unit/test_bayes.py`` checks it against the installed
PyMC.
"""

from __future__ import annotations

import inspect
import logging
import math
import time
from contextlib import contextmanager

import numpy as np

log = logging.getLogger(__name__)

# the parameters of pymc.sampling.jax._sample_numpyro_nuts this replaces
_SIGNATURE = [
    "model",
    "target_accept",
    "tune",
    "draws",
    "chains",
    "chain_method",
    "progressbar",
    "random_seed",
    "initial_points",
    "nuts_kwargs",
    "logp_fn",
]
_EXTRA_FIELDS = ("num_steps", "potential_energy", "energy", "adapt_state.step_size", "accept_prob", "diverging")
_STEP = 50  # extensions are whole multiples of this many draws


def next_batch(done: int, first: int, cap: int, diag: dict) -> int:
    """Draws per chain to add after ``done`` (0 = stop). ESS grows about in
    proportion to the draws: aim at 10% above the gate's worst ratio, at
    least a quarter of the first batch, rounded up to a multiple of 50 and
    never past ``cap``. Divergences, or fewer than 2 chains, stop it: more
    draws do not mend them."""
    th = diag["thresholds"]
    if diag["status"] == "ok" or diag["divergences"] > th["divergences_max"] or diag["chains"] < 2:
        return 0
    ratios = [1.0]
    for key, lim in (("min_ess_bulk", "ess_bulk_min"), ("min_ess_tail", "ess_tail_min")):
        v = diag[key]
        ratios.append(th[lim] / v if np.isfinite(v) and v > 0 else 2.0)
    if not np.isfinite(diag["max_rhat"]) or diag["max_rhat"] > th["rhat_max"]:
        ratios.append(1.5)
    want = math.ceil(round(done * max(ratios) * 1.1, 6)) - done
    want = max(want, math.ceil(first / 4))
    want = _STEP * math.ceil(want / _STEP)
    return max(0, min(want, cap - done))


def _gate_check(raw, stats, thresholds, gated):
    """The gate on raw draws: the gated parameters evaluated from the
    sampler's unconstrained values (``gated``: the function over (chain,
    draw) and the names of its outputs), then :func:`diagnose`."""
    # heavy (ArviZ; models.diagnostics imports it): only a gate check needs them
    import arviz as az

    from .diagnostics import diagnose

    fn, outs = gated
    post = {name: np.asarray(v) for name, v in zip(outs, fn(*raw))}
    idata = az.from_dict(posterior=post, sample_stats={"diverging": np.asarray(stats["diverging"])})
    return diagnose(idata, thresholds)


@contextmanager
def extending_numpyro(thresholds: dict, max_draws: int, label: str):
    """Within this block, ``pm.sample(nuts_sampler="numpyro")`` extends its
    chains until the gate (``thresholds``) passes or ``max_draws`` draws per
    chain. Yields a dict whose ``checks`` list is filled with what happened
    (per check: draws per chain so far, min bulk and tail ESS, max R-hat,
    divergences, draws added)."""
    import pymc.sampling.jax as pj  # heavy (PyMC, JAX)

    original = pj._sample_numpyro_nuts
    params = list(inspect.signature(original).parameters)
    if params != _SIGNATURE:
        raise RuntimeError(
            "sampling.max_draws: this PyMC's pymc.sampling.jax._sample_numpyro_nuts takes "
            f"{params}, not {_SIGNATURE}; set max_draws equal to draws (no extension) or use a "
            "PyMC version the project supports"
        )
    record: dict = {"checks": []}

    def sampler(
        model,
        target_accept,
        tune,
        draws,
        chains,
        chain_method,
        progressbar,
        random_seed,
        initial_points,
        nuts_kwargs,
        logp_fn=None,
    ):
        # heavy (JAX, NumPyro, PyMC, ArviZ via models.diagnostics): only this sampler needs them
        import jax
        import numpyro
        from numpyro.infer import MCMC, NUTS
        from pymc.util import get_default_varnames

        from .diagnostics import is_gated

        if logp_fn is None:
            logp_fn = pj.get_jaxified_logp(model, negative_logp=False)
        nuts_kwargs.setdefault("adapt_step_size", True)
        nuts_kwargs.setdefault("adapt_mass_matrix", True)
        nuts_kwargs.setdefault("dense_mass", False)
        kernel = NUTS(potential_fn=logp_fn, target_accept_prob=target_accept, **nuts_kwargs)
        mcmc = MCMC(
            kernel,
            num_warmup=tune,
            num_samples=draws,
            num_chains=chains,
            postprocess_fn=None,
            chain_method=chain_method,
            progress_bar=progressbar,
        )
        key = jax.random.PRNGKey(random_seed)
        if chains > 1:
            key = jax.random.split(key, chains)
        mcmc.run(key, init_params=initial_points, extra_fields=_EXTRA_FIELDS)
        raws = [mcmc.get_samples(group_by_chain=True)]
        stats = [pj._numpyro_stats_to_dict(mcmc)]
        outs = [
            v for v in get_default_varnames(model.unobserved_value_vars, include_transformed=False) if is_gated(v.name)
        ]
        graph = pj.get_jaxified_graph(inputs=model.value_vars, outputs=outs)
        gated = (jax.jit(jax.vmap(jax.vmap(graph))), [v.name for v in outs])
        done = draws
        t_first = time.monotonic()
        while True:
            raw = jax.tree.map(lambda *xs: jax.numpy.concatenate(xs, axis=1), *raws)
            stat = {k: np.concatenate([s[k] for s in stats], axis=1) for k in stats[0]}
            diag = _gate_check(raw, stat, thresholds, gated)
            add = next_batch(done, draws, max_draws, diag)
            record["checks"].append(
                {
                    "draws": done,
                    "min_ess_bulk": round(float(diag["min_ess_bulk"]), 1),
                    "min_ess_tail": round(float(diag["min_ess_tail"]), 1),
                    "max_rhat": round(float(diag["max_rhat"]), 4),
                    "divergences": diag["divergences"],
                    "added": add,
                }
            )
            if add == 0:
                if diag["status"] != "ok":
                    log.info(
                        "%s: gate not met after %d draws per chain (%s); not extending (%s)",
                        label,
                        done,
                        "; ".join(diag["reasons"]),
                        "cap max_draws reached" if done >= max_draws else "more draws do not mend this",
                    )
                break
            log.info(
                "%s: after %d draws per chain %s; continuing the chains for %d more (max_draws %d)",
                label,
                done,
                "; ".join(diag["reasons"]),
                add,
                max_draws,
            )
            mcmc.post_warmup_state = mcmc.last_state
            mcmc.num_samples = add
            mcmc.run(mcmc.post_warmup_state.rng_key, extra_fields=_EXTRA_FIELDS)
            raws.append(mcmc.get_samples(group_by_chain=True))
            stats.append(pj._numpyro_stats_to_dict(mcmc))
            done += add
        record["seconds"] = round(time.monotonic() - t_first, 2)  # checks and continued chains
        return raw, stat, numpyro

    pj._sample_numpyro_nuts = sampler
    try:
        yield record
    finally:
        pj._sample_numpyro_nuts = original
