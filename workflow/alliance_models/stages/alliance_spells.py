"""Rule alliance_spells: for one focal set, the alliance spells of the
dyad-year panel with the case files' political breaks as events and every
other end named (:mod:`alliance_models.data.spells`)."""

from __future__ import annotations

import logging

from .. import io
from ..data.spells import build_alliance_spells
from ..provenance import table_meta, write_meta

log = logging.getLogger(__name__)


def run(inputs: dict, outputs: dict, obligation: str = "any") -> None:
    panel = io.read_parquet(inputs["panel"])
    cases = io.read_parquet(inputs["cases"])
    treaties = io.read_parquet(inputs["treaties"])
    spells, meta = build_alliance_spells(panel, cases, treaties, obligation=obligation)
    log.info(
        "%d spell-years in %d spells; %d breaks from %d cases matched, %d unmatched; ends: %s",
        len(spells),
        meta["spells"],
        meta["breaks_matched"],
        len(meta["break_cases"]),
        len(meta["breaks_unmatched"]),
        meta["ends_by_kind"],
    )
    for u in meta["breaks_unmatched"]:
        log.warning(
            "break case %s (%s-%s %s) is not an event: %s",
            u["case_id"],
            u["ccode1"],
            u["ccode2"],
            u["year"],
            u["reason"],
        )
    io.write_parquet(spells, outputs["table"])
    used = [inputs["panel"], inputs["cases"], inputs["treaties"]]
    write_meta(outputs["table"], table_meta(spells, used, keys=["ccode1", "ccode2", "year"], **meta))
