"""Rule fetch: one public source from the mirror or its URL, checked by sha256."""

from __future__ import annotations

from ..fetch import fetch_source


def run(name: str, source: dict, output: str, mirror: str | None) -> None:
    fetch_source(name, source, output, mirror or None)
