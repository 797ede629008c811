"""Rule treaties: the ATOP 4.01 treaty table, one row per treaty and member."""

from __future__ import annotations

import logging

from .. import io
from ..data.treaties import build_treaty_table, read_atop4, treaty_meta
from ..provenance import table_meta, write_meta

log = logging.getLogger(__name__)

UNITS = {
    "atopid": "ATOP treaty id (stable between 4.01 and 5.1 for the treaties checked)",
    "signed_year": "the treaty's begin year (ATOP begyr)",
    "entry_year": "the year the member's obligations began (earliest phase)",
    "original": "the member entered on the treaty's begin date (an original signatory)",
    "adhesion": "the member joined later",
    "renews": "the earlier treaty with the same original members, in force within a year, that this one renews",
    "renewal": "a renewal is not a new alignment: left out of the choice sets and the timing outcome",
}


def run(members_path: str, alliances_path: str, out_table: str) -> None:
    members, alliances = read_atop4(members_path, alliances_path)
    table = build_treaty_table(members, alliances)
    meta = treaty_meta(table)
    log.info("treaties: %s", meta)
    io.write_parquet(table, out_table)
    write_meta(out_table, table_meta(table, [members_path, alliances_path], UNITS, keys=["atopid", "member"], **meta))
