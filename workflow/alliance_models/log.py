"""Logging set-up for rule scripts: everything goes to the rule's log file."""

from __future__ import annotations

import logging
import sys


def setup_log(path: str | None = None, level: int = logging.INFO) -> logging.Logger:
    """Send ``logging`` (and uncaught exceptions) to ``path`` or stderr."""
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    handler = logging.FileHandler(path, mode="w") if path else logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)

    def _hook(exc_type, exc, tb):
        logging.getLogger("alliance_models").error("uncaught error", exc_info=(exc_type, exc, tb))
        sys.__excepthook__(exc_type, exc, tb)

    sys.excepthook = _hook
    logging.captureWarnings(True)
    return logging.getLogger("alliance_models")
