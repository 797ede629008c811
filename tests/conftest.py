"""Shared test set-up: the package on sys.path and the real-data mirror."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow"))

MIRROR = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def mirror() -> Path:
    if not (MIRROR / "SHA256SUMS").is_file():
        pytest.skip(f"real-data mirror not found at {MIRROR}")
    return MIRROR


@pytest.fixture(scope="session")
def sources():
    from alliance_models.config import load_sources

    return load_sources(ROOT / "config" / "sources.yaml")
