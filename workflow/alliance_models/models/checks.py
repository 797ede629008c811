"""Model declarations checked when the workflow loads, before any job.

The columns a declaration uses against those its data will have (pipeline
tables declare theirs: cases.ENCODED_DOCS, data.panel.COLUMNS,
data.treaty_panels.FOCAL_YEAR_COLUMNS and CHOICE_COLUMNS; a user's
file is read), the eras it selects against the config's, and a user's file
built as its fit will build it. Kept apart from the model code, so the fits
do not depend on the table-building modules.
"""

from __future__ import annotations

from pathlib import Path

from ..cases import ENCODED_DOCS
from ..data.panel import COLUMNS
from ..data.spells import SPELL_COLUMNS
from ..data.treaty_panels import CHOICE_COLUMNS, FOCAL_YEAR_COLUMNS
from ..errors import ConfigError
from .matrix import build_model_data
from .spec import ModelSpec, check_columns, read_model_data


def table_columns(spec: ModelSpec) -> tuple[set[str], str] | None:
    """The columns of the spec's data, known before any job runs.

    Pipeline tables declare their columns (cases: ``cases.ENCODED_DOCS``;
    dyad-year panels: ``data.panel.COLUMNS``); a user's data file
    (:func:`read_user_table`) is read for its header; a missing user file is a ConfigError.
    """
    if spec.data == "cases":
        return set(ENCODED_DOCS), "the cases table (data/processed/cases.parquet)"
    if spec.data.startswith("focal_year_"):
        return set(FOCAL_YEAR_COLUMNS), f"the focal-year table ({spec.data_path()})"
    if spec.data.startswith("alliance_spells_"):
        return set(COLUMNS) | set(SPELL_COLUMNS), f"the alliance spells ({spec.data_path()})"
    if spec.data.startswith("treaty_choice_"):
        # the rule stacks one table per obligation type (stages.treaty_tables)
        return set(COLUMNS) | set(CHOICE_COLUMNS) | {"obligation"}, f"the treaty choice sets ({spec.data_path()})"
    if spec.is_table:
        return set(COLUMNS), f"the dyad-year panel ({spec.data_path()})"
    path = Path(spec.data)
    if not path.is_file():
        raise ConfigError(
            f"model '{spec.name}': field 'data': file '{path}' does not exist "
            "(a user's data file must exist before the workflow runs)"
        )
    return set(read_model_data(spec, path, header_only=True).columns), f"'{path}'"


def check_all_columns(specs: list[ModelSpec], path=None) -> None:
    """Check every spec's columns against its data's declared columns at load
    time; ``path``: the models file, named in every message. A user's data
    file exists before the run, so its models are also built as the fit will
    build them (outcome values, categories, complete rows, a design of full
    rank, slope columns): a bad one fails here, before any job runs, not in
    its fitting job."""
    problems = []
    prefix = f"models file '{path}': " if path else ""
    frames: dict[str, object] = {}
    for spec in specs:
        try:
            known = table_columns(spec)
            if known is None:
                continue
            check_columns(spec, *known)
            if spec.is_table:
                continue
            if spec.data not in frames:
                frames[spec.data] = read_model_data(spec, spec.data)
            build_model_data(spec, frames[spec.data])
        except ConfigError as exc:
            problems += [prefix + line for line in str(exc).splitlines()]
    if problems:
        raise ConfigError("invalid model declarations:\n  " + "\n  ".join(problems))


def check_model_eras(specs: list[ModelSpec], declared: set[str], path=None) -> None:
    """Every era a model selects must be declared (config key panel.eras) or
    be 'all'; ConfigError naming the models file, the model and the key."""
    prefix = f"models file '{path}': " if path else ""
    problems = [
        f"{prefix}model '{s.name}': field 'eras': era '{e}' is not declared in config key 'panel.eras' "
        f"(declared: {', '.join(sorted(declared))})"
        for s in specs
        for e in s.eras
        if e not in declared
    ]
    if problems:
        raise ConfigError("invalid model declarations:\n  " + "\n  ".join(problems))
