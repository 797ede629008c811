"""Posterior draws: how many, and an even thinning of them (shared by the
fits, which store thinned predictive draws, and the summaries)."""

from __future__ import annotations

import math


def n_draws(ds) -> int:
    """Chains x draws of a posterior-like dataset."""
    return int(ds.sizes["chain"]) * int(ds.sizes["draw"])


def thin(ds, max_draws: int):
    """Keep every k-th draw so that chains x draws <= max_draws (k >= 1)."""
    k = max(1, math.ceil(n_draws(ds) / max(int(max_draws), 1)))
    return ds.isel(draw=slice(None, None, k)) if k > 1 else ds
