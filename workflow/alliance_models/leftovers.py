"""Temporary files a killed run left behind.

:func:`alliance_models.io.atomic_path` writes every output to a hidden
temporary file beside it (``.<name>.<8 random characters>.part``) and moves
it into place; on an error it removes it. A process killed outright
(SIGKILL, a node lost) cannot, so the file stays. The workflow removes such
leftovers when a run starts (the Snakefile's ``onstart``: no job is running
then, and Snakemake's lock keeps other runs out). Not imported by any stage,
so changing it reruns no job.
"""

from __future__ import annotations

import re
from pathlib import Path

TEMP_NAME = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.part$")


def stale_parts(roots) -> list[Path]:
    """Hidden temporary files of atomic writes under ``roots`` (folders that
    do not exist are skipped)."""
    out = []
    for root in map(Path, roots):
        if root.is_dir():
            out += [p for p in root.rglob(".*.part") if p.is_file() and TEMP_NAME.match(p.name)]
    return sorted(out)


def remove_stale_parts(roots) -> list[Path]:
    """Remove them; returns what was removed."""
    gone = []
    for p in stale_parts(roots):
        try:
            p.unlink()
            gone.append(p)
        except FileNotFoundError:
            pass
    return gone
