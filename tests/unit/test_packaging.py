"""pyproject.toml and environment.yml declare the same dependencies."""

import re
import tomllib

import yaml

# conda-forge names that differ from PyPI names
CONDA_TO_PYPI = {}


def _split(req: str):
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", req)
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")


def test_pyproject_and_environment_agree(root):
    py = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    pip_deps = dict(_split(r) for r in py["dependencies"] + py["optional-dependencies"]["test"])
    env = yaml.safe_load((root / "environment.yml").read_text())
    conda = dict(_split(d) for d in env["dependencies"] if isinstance(d, str) and not d.startswith(("python", "pip")))
    conda = {CONDA_TO_PYPI.get(k, k): v for k, v in conda.items()}
    assert conda == pip_deps
    for name, spec in pip_deps.items():
        assert ">=" in spec, f"{name} has no lower bound"


def _locked(root) -> dict[str, str]:
    text = (root / "requirements.lock").read_text()
    return {
        m.group(1).lower().replace("_", "-"): m.group(2)
        for m in re.finditer(r"^([A-Za-z0-9_.\-]+)==([^\s\\]+)", text, re.M)
    }


def test_the_lock_pins_every_dependency_within_its_bounds_with_hashes(root):
    """requirements.lock (what setup_env.sh installs, hash-checked) pins each
    dependency of pyproject.toml (and the test and slurm extras) to a version
    its bounds allow, and gives every pin a sha256."""
    from packaging.requirements import Requirement

    py = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    locked = _locked(root)
    reqs = py["dependencies"] + py["optional-dependencies"]["test"] + py["optional-dependencies"]["slurm"]
    for r in map(Requirement, reqs):
        name = r.name.lower().replace("_", "-")
        assert name in locked, f"{name} is not in requirements.lock"
        assert r.specifier.contains(locked[name], prereleases=True), (name, locked[name], str(r.specifier))
    blocks = re.split(r"\n(?=[A-Za-z0-9])", (root / "requirements.lock").read_text())
    pins = [b for b in blocks if re.match(r"^[A-Za-z0-9_.\-]+==", b)]
    assert len(pins) == len(locked) and all("--hash=sha256:" in b for b in pins)
    assert "--require-hashes -r requirements.lock" in (root / "setup_env.sh").read_text()
