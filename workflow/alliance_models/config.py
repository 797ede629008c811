"""Load and validate the configuration and the source list.

Validation runs when the workflow loads, before any job: a bad key, a wrong
type or a malformed source entry stops the run with a message naming the file
and the key.
"""

from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path

import jsonschema
import yaml

from .errors import ConfigError

SOURCE_REQUIRED = ("producer", "version", "url", "file", "sha256", "citation", "licence", "format")
SOURCE_OPTIONAL = ("object", "official", "description", "columns")


# libyaml's safe loader where PyYAML was built with it (5-10x faster on the
# model declarations, read at every workflow load), else the pure-Python one
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: str | os.PathLike, what: str = "YAML file"):
    """Read a YAML file, turning syntax and encoding errors into ConfigError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{what} '{path}' does not exist") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{what} '{path}': not valid UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        return yaml.load(text, Loader=SAFE_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise ConfigError(f"{what} '{path}': YAML syntax error: {exc}") from None


def _key_path(err: jsonschema.ValidationError) -> str:
    return ".".join(str(p) for p in err.absolute_path)


def format_schema_error(err: jsonschema.ValidationError, where: str) -> str:
    """One readable line for a jsonschema error, naming the key."""
    key = _key_path(err)
    if err.validator == "additionalProperties":
        extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
        allowed = ", ".join(sorted(err.schema.get("properties", {})))
        names = ", ".join(f"'{'.'.join(filter(None, [key, e]))}'" for e in extra)
        return f"{where}: unknown key {names} (allowed here: {allowed})"
    if err.validator == "required":
        missing = re.findall(r"'([^']+)' is a required property", err.message)
        name = ".".join(filter(None, [key, missing[0] if missing else ""]))
        return f"{where}: missing required key '{name}'"
    label = f"key '{key}'" if key else "top level"
    return f"{where}: {label}: {err.message}"


def schema_errors(instance, schema: dict, where: str) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    return [format_schema_error(e, where) for e in errors]


def _fill_defaults(instance: dict, schema: dict) -> dict:
    for key, sub in schema.get("properties", {}).items():
        if key not in instance and "default" in sub:
            instance[key] = copy.deepcopy(sub["default"])
        if isinstance(instance.get(key), dict) and sub.get("type") == "object":
            _fill_defaults(instance[key], sub)
    return instance


def _sets_key(doc, path) -> bool:
    for key in path:
        if not isinstance(doc, dict) or key not in doc:
            return False
        doc = doc[key]
    return True


def config_source(path, files, overrides=None) -> str | None:
    """The last of ``files`` (merged in order) that sets the key ``path``.

    For an unknown or wrongly typed key that is the file to fix. None when no
    file sets it (a default); "--config" when ``overrides`` (the command
    line's --config values, applied last) set it.
    """
    if overrides and _sets_key(dict(overrides), [str(p) for p in path]):
        return "--config"
    found = None
    for f in files or ():
        try:
            doc = yaml.load(Path(f).read_text(encoding="utf-8"), Loader=SAFE_LOADER)  # noqa: S506 - a safe loader
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        if _sets_key(doc, [str(p) for p in path]):
            found = str(f)
    if found is not None:
        try:
            found = str(Path(found).resolve().relative_to(Path.cwd().resolve()))
        except ValueError:
            pass
    return found


def config_where(path, files, overrides=None, where: str = "config") -> str:
    """How an error names the place that sets key ``path``: "config file
    'config/config.yaml'", "config (--config on the command line)", or
    ``where`` when no file sets it (a default)."""
    src = config_source(path, files, overrides)
    if src == "--config":
        return f"{where} (--config on the command line)"
    return f"{where} file '{src}'" if src else where


def validate_config(
    config: dict, schema_path: str | os.PathLike, where: str = "config", files=None, overrides=None
) -> dict:
    """Validate ``config`` against the JSON schema; return a copy with defaults.

    Raises ConfigError listing every problem, each naming the key and, when
    ``files`` (the config files merged into ``config``, in order) are given,
    the file that sets it.
    """
    schema = json.loads(Path(schema_path).read_text())
    if not isinstance(config, dict):
        raise ConfigError(f"{where}: expected a mapping of keys to values, got {type(config).__name__}")

    def located(path) -> str:
        return config_where(path, files, overrides, where)

    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    problems = []
    for err in errors:
        path = list(err.absolute_path)
        if err.validator == "additionalProperties":
            extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
            path = path + extra[:1]
        problems.append(format_schema_error(err, located(path)))
    if problems:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))
    config = _fill_defaults(copy.deepcopy(config), schema)
    years = config["years"]
    if years["start"] > years["end"]:
        raise ConfigError(f"{located(['years'])}: key 'years': start {years['start']} is after end {years['end']}")
    return config


def load_sources(path: str | os.PathLike) -> dict[str, dict]:
    """Read ``sources.yaml`` and check that each entry is complete."""
    sources = read_yaml(path, "sources file")
    if not isinstance(sources, dict) or not sources:
        raise ConfigError(f"sources file '{path}': expected a mapping of source names to entries")
    problems = []
    files = {}
    for name, entry in sources.items():
        if not isinstance(entry, dict):
            problems.append(f"source '{name}': expected a mapping, got {type(entry).__name__}")
            continue
        for key in SOURCE_REQUIRED:
            if key not in entry:
                problems.append(f"source '{name}': missing required key '{key}'")
        for key in entry:
            if key not in SOURCE_REQUIRED + SOURCE_OPTIONAL:
                problems.append(f"source '{name}': unknown key '{key}'")
        sha = str(entry.get("sha256", ""))
        if "sha256" in entry and not re.fullmatch(r"[0-9a-fA-F]{64}", sha):
            problems.append(f"source '{name}': key 'sha256' must be 64 hex digits, got '{sha}'")
        if entry.get("format") not in (None, "csv", "rda"):
            problems.append(f"source '{name}': key 'format' must be csv or rda, got '{entry.get('format')}'")
        if entry.get("format") == "rda" and "object" not in entry:
            problems.append(f"source '{name}': key 'object' is required for an rda source")
        cols = entry.get("columns")
        if "columns" in entry and (not isinstance(cols, list) or not all(isinstance(c, str) and c for c in cols)):
            problems.append(f"source '{name}': key 'columns' must be a list of column names, got {cols!r}")
        f = entry.get("file")
        if f in files:
            problems.append(f"source '{name}': file '{f}' is also used by source '{files[f]}'")
        files[f] = name
    if problems:
        raise ConfigError(f"sources file '{path}':\n  " + "\n  ".join(problems))
    return sources
