"""Logging set-up for rule scripts: everything goes to the rule's log file."""

from __future__ import annotations

import logging
import os
import sys


def setup_log(path: str | None = None, level: int = logging.INFO) -> logging.Logger:
    """Send ``logging`` (and uncaught exceptions) to ``path`` or stderr."""
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    if path:
        # Everything a library prints to stderr (warnings, a sampler's progress
        # bar) also lands in the rule's log, not on the terminal. Progress bars
        # update at most every 10 s there.
        os.environ.setdefault("TQDM_MININTERVAL", "10")
        stream = open(path, "w", buffering=1)
        sys.stderr = stream
        handler = logging.StreamHandler(stream)
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)

    def _hook(exc_type, exc, tb):
        logging.getLogger("alliance_models").error("uncaught error", exc_info=(exc_type, exc, tb))
        sys.__excepthook__(exc_type, exc, tb)

    sys.excepthook = _hook
    logging.captureWarnings(True)
    return logging.getLogger("alliance_models")
