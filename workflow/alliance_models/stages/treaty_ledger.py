"""Rule treaty_ledger: the focal state's treaties, what the models make of each, and the counts."""

from __future__ import annotations

import logging

import pandas as pd
import yaml

from .. import io
from ..treaty_ledger import ledger, ledger_sentence

log = logging.getLogger(__name__)


def run(inputs: dict, eras: list[str], obligations: list[str], outputs: dict) -> None:
    treaties = io.read_parquet(inputs["treaties"])
    choice = io.read_parquet(inputs["choice"])
    with open(inputs["choice_meta"]) as fh:
        meta = yaml.safe_load(fh)
    onsets = io.read_parquet(inputs["onsets"])
    focal_year = io.read_parquet(inputs["focal_year"])
    frames, counts = [], {}
    for ob in obligations:
        led, c = ledger(treaties, choice[choice["obligation"] == ob], meta.get(ob, {}), onsets, focal_year, eras, ob)
        c["sentence"] = ledger_sentence(c)
        log.info("treaty ledger (%s): %s", ob, c["sentence"])
        frames.append(led.assign(obligation=ob))
        counts[ob] = c
    io.write_csv(pd.concat(frames, ignore_index=True), outputs["table"])
    io.write_json(counts, outputs["counts"])
