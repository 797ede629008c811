"""Rule treaty_tables: for one focal set, the treaty behind each dyad-year
onset, the focal-state-year table (when) and the choice sets (with whom)."""

from __future__ import annotations

import logging

import pandas as pd

from .. import io
from ..data.treaties import match_meta, match_onsets, read_atop4
from ..data.treaty_panels import build_choice_sets, build_focal_year, focal_year_meta
from ..provenance import table_meta, write_meta
from ..sources import read_rda

log = logging.getLogger(__name__)

OBLIGATIONS = ("defense", "any")


def run(inputs: dict, window: int, outputs: dict) -> None:
    panel = io.read_parquet(inputs["panel"])
    treaties = io.read_parquet(inputs["treaties"])
    wars = read_rda(inputs["wars"], "cow_war_inter")
    used = [inputs["panel"], inputs["treaties"], inputs["wars"], inputs["members"], inputs["alliances"]]

    # the member file's phases: an obligation a later phase adds starts then
    members, _ = read_atop4(inputs["members"], inputs["alliances"])
    matches = match_onsets(panel, treaties, OBLIGATIONS, members=members)
    mmeta = match_meta(matches)
    log.info("onsets matched to treaties: %s", mmeta)
    io.write_parquet(matches, outputs["onsets"])
    write_meta(outputs["onsets"], table_meta(matches, used, keys=["ccode1", "ccode2", "year", "obligation"], **mmeta))

    fy = build_focal_year(panel, treaties, wars, window=window)
    io.write_parquet(fy, outputs["focal_year"])
    write_meta(outputs["focal_year"], table_meta(fy, used, keys=["ccode", "year"], **focal_year_meta(fy)))

    frames, metas = [], {}
    for ob in OBLIGATIONS:
        # every stratum is kept and flagged (renewal, adhesion_stratum): a
        # model's subset leaves them out, its robustness refit keeps them
        ch, m = build_choice_sets(panel, treaties, obligation=ob, keep_adhesions=True, keep_renewals=True)
        frames.append(ch.assign(obligation=ob))
        metas[ob] = m
    choice = pd.concat(frames, ignore_index=True)
    io.write_parquet(choice, outputs["choice"])
    write_meta(outputs["choice"], table_meta(choice, used, keys=["obligation", "stratum", "ccode2"], **metas))
