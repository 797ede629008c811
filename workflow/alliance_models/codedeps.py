"""Which package files a stage runs: the rules declare them as inputs.

Snakemake's ``code`` rerun trigger sees only a rule's script, a few lines
that call one stage; the logic lives in this package. :func:`module_files`
follows a module's imports of package modules (module-level and inside
functions, read from the source without importing anything) and returns
every package file it reaches, so a rule that lists them as inputs reruns
exactly when code it runs has changed: editing ``plots.py`` reruns the figure
and report jobs, not a fit.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

PACKAGE = "alliance_models"
ROOT = Path(__file__).resolve().parent


def _module_path(name: str) -> Path | None:
    """The file of package module ``name`` (a package's ``__init__.py``), or None."""
    parts = name.split(".")
    if parts[0] != PACKAGE:
        return None
    base = ROOT.joinpath(*parts[1:])
    for p in (base / "__init__.py",) if len(parts) == 1 else (base.with_suffix(".py"), base / "__init__.py"):
        if p.is_file():
            return p
    return None


@cache  # each file is parsed once per workflow load, not once per stage that reaches it
def _imports(name: str, path: Path) -> frozenset[str]:
    """Package modules imported anywhere in the file at ``path``."""
    pkg = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg[: len(pkg) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith(PACKAGE):
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                out.add(sub if _module_path(sub) else target)
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith(PACKAGE)}
    return frozenset(m for m in out if _module_path(m))


@cache
def module_files(name: str) -> tuple[str, ...]:
    """Every package file module ``name`` runs (itself included, and each
    package's ``__init__.py`` on the way), sorted, as paths relative to the
    workflow folder's parent (the project root)."""
    seen, todo = set(), [name]
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.add(m)
        parts = m.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]
        todo += sorted(_imports(m, _module_path(m)))
    project = ROOT.parents[1]
    return tuple(sorted(str(_module_path(m).relative_to(project)) for m in seen))
