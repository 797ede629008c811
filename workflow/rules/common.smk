# Loaded first: validates the configuration and every declared input before
# any job runs, and holds the path helpers and input functions.
import glob
import sys
from pathlib import Path

sys.path.insert(0, str(Path(workflow.basedir) / "workflow"))

from alliance_models.config import load_sources, validate_config
from alliance_models.errors import PipelineError
from alliance_models.fetch import resolve_mirror

ROOT = Path(workflow.basedir)

try:
    config.update(validate_config(config, ROOT / "config" / "config.schema.json"))
    SOURCES = load_sources(config["sources"])
except PipelineError as exc:
    raise WorkflowError(str(exc)) from None

MIRROR = resolve_mirror(config["data_mirror"], ROOT)
EXTERNAL = config["external_dir"]


def source_path(name):
    """Path of fetched source ``name`` (see config/sources.yaml)."""
    return f"{EXTERNAL}/{SOURCES[name]['file']}"


SOURCE_BY_FILE = {entry["file"]: name for name, entry in SOURCES.items()}


# Every target of the default run: each stage's .smk file appends its own.
FINAL_OUTPUTS = []


def get_final_output():
    return list(dict.fromkeys(FINAL_OUTPUTS))
