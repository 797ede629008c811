"""Fetch external sources: copy from a local mirror or download, then verify.

Each source in ``config/sources.yaml`` names a pinned public URL, the file's
path under the mirror and its sha256. :func:`fetch_source` writes the file to
its destination only once the checksum matches; a partial or corrupt download
never remains under the final name.
"""

from __future__ import annotations

import logging
import os
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import pandas as pd

from .errors import FetchError, SourceFormatError
from .io import atomic_path, sha256_file

log = logging.getLogger(__name__)

AUTO_MIRROR = "auto"


def resolve_mirror(value: str | None, root: str | os.PathLike = ".") -> Path | None:
    """Turn the ``data_mirror`` config value into a folder, or None (download).

    ``auto`` means ``<root>/../shared/data`` when that folder exists, else download.
    A relative path is taken relative to ``root`` (the workflow's directory).
    """
    if value is None or value == "":
        return None
    root = Path(root)
    if value == AUTO_MIRROR:
        candidate = (root / ".." / "shared" / "data").resolve()
        return candidate if candidate.is_dir() else None
    path = Path(value)
    if not path.is_absolute():
        path = (root / path).resolve()
    return path


def project_root(scriptdir: str | os.PathLike) -> Path:
    """The project folder from a rule script's folder (<root>/workflow/scripts),
    which Snakemake may give as 'workflow/rules/../scripts': resolved first."""
    return Path(scriptdir).resolve().parents[1]


def _download(url: str, dest: Path, timeout: float) -> None:
    req = urllib.request.Request(url, headers={"User-Agent": "alliance-models/0.1"})
    with urllib.request.urlopen(req, timeout=timeout) as resp, open(dest, "wb") as out:
        shutil.copyfileobj(resp, out, length=1 << 20)


def fetch_source(
    name: str,
    source: dict,
    dest: str | os.PathLike,
    mirror: str | os.PathLike | None = None,
    timeout: float = 120.0,
) -> Path:
    """Bring source ``name`` to ``dest`` from ``mirror`` (if given) or its URL.

    Raises :class:`FetchError` naming the source when the file is missing from
    the mirror, the download fails, or the sha256 differs from the one declared.
    """
    dest = Path(dest)
    expected = source["sha256"].lower()
    with atomic_path(dest) as tmp:
        if mirror is not None:
            origin = Path(mirror) / source["file"]
            if not origin.is_file():
                raise FetchError(
                    f"source '{name}': file '{source['file']}' is missing from the data mirror "
                    f"'{mirror}' (expected sha256 {expected}). Put the file from {source['url']} "
                    f"there, or set data_mirror: null in the config to download it."
                )
            log.info("source %s: copying %s", name, origin)
            shutil.copyfile(origin, tmp)
            where = f"mirror file {origin}"
        else:
            log.info("source %s: downloading %s", name, source["url"])
            try:
                _download(source["url"], tmp, timeout)
            except (urllib.error.URLError, OSError, TimeoutError) as exc:
                raise FetchError(
                    f"source '{name}': download of {source['url']} failed ({exc}). Check the "
                    f"network, or set data_mirror in the config to a folder holding "
                    f"'{source['file']}' (sha256 {expected})."
                ) from exc
            where = f"download of {source['url']}"
        actual = sha256_file(tmp)
        if actual != expected:
            raise FetchError(
                f"source '{name}': checksum mismatch for {where}: expected sha256 {expected}, "
                f"got {actual}. The file is corrupt, truncated or a different release; "
                f"replace it with the pinned release from {source['url']}, or, if you mean to "
                f"use another release, update 'sha256' (and 'version') for '{name}' in "
                f"config/sources.yaml."
            )
        log.info("source %s: sha256 %s verified (%d bytes)", name, actual, tmp.stat().st_size)
        check_structure(name, source, tmp, where)
    return dest


def check_structure(name: str, source: dict, path: str | os.PathLike, where: str) -> None:
    """Refuse a file that is not what ``sources.yaml`` says it is.

    An ``rda`` source must hold its declared ``object``; a ``csv`` source must
    parse; both must have every column listed under ``columns``. A checksum
    alone cannot catch this when a user has pinned a new release (new sha256)
    whose layout changed. Raises :class:`FetchError` naming the source, the
    file and the object or column.
    """
    from .sources import read_rda, require_columns  # heavy (pyreadr): only this check reads sources

    fmt = source.get("format")
    if fmt not in ("rda", "csv"):
        return
    label = source.get("file", path)
    try:
        if fmt == "rda":
            df = read_rda(path, source["object"])
        else:
            try:
                df = pd.read_csv(path, nrows=0)
            except (ValueError, UnicodeDecodeError) as exc:
                raise SourceFormatError(f"'{path}': cannot be read as CSV ({exc})") from None
        require_columns(df, source.get("columns") or [], path)
    except SourceFormatError as exc:
        detail = str(exc).replace(f"'{path}': ", "", 1)
        raise FetchError(
            f"source '{name}': file '{label}' ({where}) does not have the structure config/sources.yaml "
            f"declares: {detail}. It is not the {source.get('format')} release the pipeline reads; "
            f"fetch the pinned release from {source.get('url')}, or update '{name}' in "
            f"config/sources.yaml (and the code that reads it) for the new layout."
        ) from None
