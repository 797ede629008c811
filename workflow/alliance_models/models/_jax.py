"""JAX settings for NumPyro sampling of PyMC models."""

from __future__ import annotations

import os

_done = False
_impl = None


def _make_fast_softplus():
    # heavy (JAX): imported on first use, by the NumPyro path only
    import jax
    import jax.numpy as jnp

    @jax.custom_jvp
    def softplus(x):
        return jnp.maximum(x, 0) + jnp.log1p(jnp.exp(-jnp.abs(x)))

    @softplus.defjvp
    def _jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        e = jnp.exp(-jnp.abs(x))
        sigmoid = jnp.where(x >= 0, 1 / (1 + e), e / (1 + e))
        return jnp.maximum(x, 0) + jnp.log1p(e), sigmoid * t

    return softplus


def fast_softplus(x):
    """log(1 + e^x) as max(x, 0) + log1p(e^-|x|): exact to rounding for every
    x, one exp and one log1p, and the derivative is the logistic function
    (also at x = 0, where max and abs alone would give 0). PyTensor's JAX
    softplus evaluates three exponentials and a log1p under nested ``where``
    (every branch is computed), which made the likelihood most of the cost of
    a logit's gradient (bench/bench_samplers.py)."""
    global _impl
    if _impl is None:
        _impl = _make_fast_softplus()
    return _impl(x)


def register_fast_softplus() -> None:
    """Make PyTensor's JAX backend translate its Softplus op to
    :func:`fast_softplus` (tests/unit/test_bayes.py compares the two)."""
    global _done
    if _done:
        return
    # heavy (JAX): PyTensor's JAX backend imports JAX
    from pytensor.link.jax.dispatch import jax_funcify
    from pytensor.scalar.math import Softplus

    @jax_funcify.register(Softplus)
    def _softplus(op, **kwargs):
        return fast_softplus

    _done = True


def use_compile_cache(path, min_compile_seconds: float = 0.05) -> None:
    """Keep JAX's compiled programs in ``path`` (JAX's persistent
    compilation cache), so a rerun of a fit (or a retry, or another model
    with the same shapes) loads the NUTS program instead of compiling it
    again: about 7 s of a small fit's 10 s (tests/unit/test_bayes.py).
    Programs with host callbacks (NumPyro's progress bar) are never cached,
    which is one reason fits run without it. None or '': no cache. Call
    before the first compilation; the results are the same either way."""
    if not path:
        return
    import jax  # heavy (JAX)

    os.makedirs(path, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", float(min_compile_seconds))
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
