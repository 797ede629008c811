"""Rule kfold_table: a model's K-fold ΔELPD for each block it drops."""

from __future__ import annotations

import pandas as pd

from .. import io
from ..kfold import kfold_comparison
from ..models.spec import ModelSpec


def run(model: str, spec_json: str, full: list[str], reduced: list[dict], folds: int, output: str) -> None:
    """``full``: the model's fold tables; ``reduced``: dicts with label, name
    and files (each reduced model's fold tables)."""
    spec = ModelSpec.from_json(spec_json)

    def frame(files):
        return pd.concat(
            [pd.read_csv(f, keep_default_na=False, na_values=[""], dtype={"decision": str}) for f in files]
        )

    table = kfold_comparison(
        model,
        frame(full),
        [dict(label=r["label"], name=r["name"], frame=frame(r["files"])) for r in reduced],
        folds,
        unit=spec.unit,
    )
    io.write_csv(table, output)
