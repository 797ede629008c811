"""Rule seed_reproduction: the second seed's derived figures recomputed."""

from __future__ import annotations

import logging

from .. import io
from ..seeds import reproduce_seed_tables

log = logging.getLogger(__name__)


def run(seed_dir: str, state_year_path: str, output: str) -> None:
    """Recompute the seed paper's derived figures from its levels and from public data."""
    table = reproduce_seed_tables(seed_dir, io.read_parquet(state_year_path))
    mismatches = int((table["matches_paper_within_rounding"] == False).sum())  # noqa: E712
    log.info("seed reproduction: %d figures, %d disagree with the paper's own levels", len(table), mismatches)
    io.write_csv(table, output)
