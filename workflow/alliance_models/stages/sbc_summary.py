"""Rule sbc_summary: uniformity table and rank histograms of one model's SBC."""

from __future__ import annotations

import logging

import pandas as pd

from .. import io
from ..plots import save
from ..sbc import combine_batches, rank_histograms, summarize_sbc

log = logging.getLogger(__name__)


def run(batch_files: list[str], model: str, settings: dict, out_table: str, out_figures: list[str]) -> None:
    """Uniformity table and rank histograms (PNG and SVG) of one model."""
    ranks = combine_batches([pd.read_csv(f) for f in batch_files], int(settings["n_sims"]), batch_files)
    ranks = ranks[ranks["model"] == model]
    table = summarize_sbc(ranks, int(settings["n_bins"]))
    worst = table.loc[table["p_value"].idxmin()]
    log.info(
        "SBC %s: %d simulations, %d parameters; smallest p-value %.4f (%s), Bonferroni %.4f",
        model,
        ranks["sim"].nunique(),
        len(table),
        worst["p_value"],
        worst["parameter"],
        worst["p_value_bonferroni"],
    )
    io.write_csv(table, out_table)
    stems = sorted({str(f).rsplit(".", 1)[0] for f in out_figures})
    if len(stems) != 1:
        raise ValueError(f"expected one figure stem (.png/.svg), got {stems}")
    title = (
        f"SBC rank histograms: {model}, {ranks['sim'].nunique()} simulations, "
        f"L={int(table['n_ranks'].iloc[0])} (grey: 99% band under uniformity)"
    )
    save(rank_histograms(ranks, table, title), stems[0])
