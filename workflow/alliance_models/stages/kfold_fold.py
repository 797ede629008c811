"""Rule kfold_fold: one fold of a model's K-fold cross-validation by decision."""

from __future__ import annotations

from .. import io
from ..kfold import fit_fold
from ..models.spec import ModelSpec, load_model_frame


def run(
    spec_json: str,
    data_path: str,
    folds: int,
    fold: int,
    sampling: dict,
    seed: int,
    fold_seed: int,
    thresholds: dict,
    out_csv: str,
    out_diag: str,
) -> None:
    """Fit the model without fold ``fold`` of ``folds``; write the held-out
    decisions' log predictive densities and the fit's diagnostics."""
    spec = ModelSpec.from_json(spec_json)
    frame = load_model_frame(spec, data_path)
    table, diag = fit_fold(spec, frame, folds, fold, sampling, seed, thresholds, fold_seed)
    diag.update({"model": spec.name, "fold": fold, "folds": folds, "decisions_scored": int(len(table))})
    io.write_csv(table, out_csv)
    io.write_json(diag, out_diag)
