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
