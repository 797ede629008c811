"""Rule typology_tables: Yu's Table 1 as data."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .. import io
from ..cases import typology_table


def run(encoded_path: str, typology: Mapping, cells_output: str, cases_output: str) -> None:
    """Write Yu's Table 1 as data: the cell counts and the cell of each case-partner row."""
    cells, per_case = typology_table(pd.read_parquet(encoded_path), typology)
    io.write_csv(cells, cells_output)
    io.write_csv(per_case, cases_output)
