"""Rule sbc_batch: one batch of simulation-based calibration."""

from __future__ import annotations

from .. import io
from ..sbc import check_sbc_settings, run_sbc_batch


def run(model: str, settings: dict, batch: int, seed: int, priors: dict, output: str) -> None:
    """Run one batch of simulations; write its ranks (one row per sim x parameter)."""
    check_sbc_settings(settings)
    io.write_csv(run_sbc_batch(model, settings, int(batch), int(seed), priors), output)
