"""Rule latent_capability: the measurement model of capability on the state-year table."""

from __future__ import annotations

import logging

from .. import io
from ..data.latent import fit_latent_capability
from ..provenance import table_meta, write_meta

log = logging.getLogger(__name__)


def run(state_year_path: str, settings: dict, out_table: str, out_diagnostics: str) -> None:
    """Fit the latent capability measurement model on the state-year table;
    write each state-year's posterior mean and sd and the fit's diagnostics."""
    sy = io.read_parquet(state_year_path)
    table, diag = fit_latent_capability(
        sy, settings["indicators"], settings["anchor"], smooth=settings["smooth"], multistart=settings["multistart"]
    )
    log.info(
        "latent capability: %d state-years, loadings %s, error sd %s, converged %s in %d iterations (%.1f s)",
        len(table),
        diag["loadings"],
        diag["error_sd"],
        diag["converged"],
        diag["iterations"],
        diag["seconds"],
    )
    io.write_parquet(table, out_table)
    write_meta(
        out_table,
        table_meta(
            table,
            [state_year_path],
            {
                "latent_mean": (
                    f"posterior mean of the state-year's latent log capability (scale: log {settings['anchor']})"
                ),
                "latent_sd": "its posterior sd (given the fitted loadings, intercepts and error scales)",
                "n_indicators": "indicators observed in the state-year",
            },
            keys=["ccode", "year"],
            model=dict(settings),
        ),
    )
    # the fit's time is the job's benchmark, not part of the result: the
    # diagnostics stay byte-identical wherever and however often they are rebuilt
    io.write_json({k: v for k, v in diag.items() if k != "seconds"}, out_diagnostics)
