# Loaded first: validates the configuration and every declared input before
# any job runs, and holds the path helpers and input functions.
import glob
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(workflow.basedir) / "workflow"))

from alliance_models.codedeps import module_files
from alliance_models.config import load_sources, validate_config
from alliance_models.errors import PipelineError
from alliance_models.fetch import resolve_mirror

ROOT = Path(workflow.basedir)

try:
    # Config files in merge order (the Snakefile's configfile first, then the
    # --configfile ones that override it), so an error names the file to fix.
    CLI_CONFIGFILES = [str(f) for f in (workflow.overwrite_configfiles or [])]
    CONFIGFILES = [str(f) for f in workflow.configfiles if str(f) not in CLI_CONFIGFILES] + CLI_CONFIGFILES
    config.update(validate_config(config, ROOT / "config" / "config.schema.json", files=CONFIGFILES,
                                  overrides=workflow.config_settings.config))
    SOURCES = load_sources(config["sources"])
except PipelineError as exc:
    raise WorkflowError(str(exc)) from None

MIRROR = resolve_mirror(config["data_mirror"], ROOT)
# A folder named explicitly must exist ("auto" falls back to downloading).
if MIRROR is not None and config["data_mirror"] != "auto" and not MIRROR.is_dir():
    raise WorkflowError(
        f"config key 'data_mirror': folder '{config['data_mirror']}' ({MIRROR}) does not exist; "
        "point it at a folder holding the sources, use 'auto', or null to download them"
    )
EXTERNAL = config["external_dir"]


def source_path(name):
    """Path of fetched source ``name`` (see config/sources.yaml)."""
    return f"{EXTERNAL}/{SOURCES[name]['file']}"


SOURCE_BY_FILE = {entry["file"]: name for name, entry in SOURCES.items()}


def usable_source(name):
    """A copy of source ``name`` that load-time checks may read: the fetched
    file, else the mirror's copy if its sha256 is the declared one; else None
    (a corrupt mirror file is then reported by the fetch job, not misread here)."""
    from alliance_models.io import sha256_file

    fetched = Path(source_path(name))
    if fetched.is_file():
        return fetched
    if MIRROR is not None:
        mirrored = Path(MIRROR) / SOURCES[name]["file"]
        if mirrored.is_file() and sha256_file(mirrored) == str(SOURCES[name]["sha256"]).lower():
            return mirrored
    return None


def code(stage):
    """The package files stage ``stage`` runs (alliance_models.stages.<stage>
    and every package module it imports): each rule lists them as inputs,
    so editing one reruns exactly the jobs that run it."""
    return list(module_files(f"alliance_models.stages.{stage}"))


def folder_of(key, kind="input", default=None):
    """A parameter of a rule, the folder of the rule's ``key`` input (or output)
    files, derived from them so it cannot drift from what the rule declares;
    ``default`` when there are none."""

    def folder(wildcards, input, output):
        files = getattr(input if kind == "input" else output, key)
        files = [files] if isinstance(files, str) else list(files)
        return os.path.dirname(files[0]) if files else default

    return folder


def stem_of(key):
    """A parameter of a rule, the path, less its extension, of output ``key`` (a
    multiext figure: the plotting code adds .png and .svg)."""

    def stem(wildcards, output):
        files = getattr(output, key)
        files = [files] if isinstance(files, str) else list(files)
        return os.path.splitext(files[0])[0]

    return stem


# Every target of the default run: each stage's .smk file appends its own.
FINAL_OUTPUTS = []


def get_final_output():
    return list(dict.fromkeys(FINAL_OUTPUTS))
