import pytest
from e2e_helpers import MIRROR


@pytest.fixture(scope="session")
def mirror_dir():
    if not (MIRROR / "SHA256SUMS").is_file():
        pytest.skip(f"real-data mirror not found at {MIRROR}")
    return MIRROR
