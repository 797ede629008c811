"""Rule report: reports/index.html and reports/summary.md."""

from __future__ import annotations

from .. import io, report


def run(
    models: list[str], reduced: list[str], settings: dict, paths: dict, tables: dict, meta: dict, outputs: dict
) -> None:
    """Assemble reports/index.html and reports/summary.md.

    ``models``: the models shown in full (registry.shown_in_full);
    ``reduced``: the --drop- refits. ``paths``: results, figures,
    model_tables, tables (the claims' and out-of-sample tables, named by the
    registry), benchmarks, case_models, slope_models, forecast_models, refits
    (the common-sample refits, in the diagnostics only), model_info,
    state_names (COW's state list) and eras (see report.build). ``tables``:
    title -> CSV of the data tables shown at the end.
    """
    html_text, md_text = report.build(models, reduced, settings, paths, tables, meta)
    io.write_text(html_text, outputs["html"])
    io.write_text(md_text, outputs["md"])
