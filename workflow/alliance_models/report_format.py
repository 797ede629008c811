"""Small helpers of the report: reading tables, formatting numbers and
estimates, plain table rows, badges, embedded images and Markdown cells. No
markup here: the templates write it."""

from __future__ import annotations

import base64
import html
import json
import math
import re
from pathlib import Path

import pandas as pd
from markupsafe import Markup

from . import claims as cl

BADGES = {
    cl.SUPPORTED: "supported",
    cl.NOT_SUPPORTED: "not-supported",
    cl.OPPOSITE: "opposite",
    cl.DEPENDS_MEASURE: "depends-measure",
    cl.DEPENDS_SAMPLE: "depends-sample",
    cl.DEPENDS_TYPE: "depends-type",
    cl.DEPENDS_SPEC: "depends-spec",
    cl.TOO_FEW: "too-few",
    cl.NO_VERDICT: "fit-failed",
    cl.NOT_FITTED: "not-fitted",
    cl.INCONCLUSIVE: "inconclusive",
}

# (anchor, title, template); titles are formatted with the state names


# --------------------------------------------------------------------------
# small helpers (no markup here: the templates write it)


def read_csv(path, text: bool = False) -> pd.DataFrame:
    """A CSV, or an empty frame if absent. ``text``: keep empty cells as ''."""
    p = Path(path)
    if not p.is_file() or p.stat().st_size == 0:
        return pd.DataFrame()
    try:
        if text:
            return pd.read_csv(p, keep_default_na=False, dtype=str)
        return pd.read_csv(p, keep_default_na=False, na_values=[""])
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def read_json(path) -> dict:
    p = Path(path)
    return json.loads(p.read_text()) if p.is_file() and p.stat().st_size else {}


def missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or (isinstance(x, str) and x.strip() == "")


def num(x, fmt: str = "{:.3g}") -> str:
    """A number for display: floats to 3 significant figures, NA when missing."""
    if missing(x):
        return "NA"
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int) or (isinstance(x, float) and x.is_integer() and abs(x) < 1e6 and fmt == "{:.3g}"):
        return str(int(x))
    if isinstance(x, float):
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        if fmt == "{:.3g}" and abs(x) >= 1000:  # no exponent for an ESS or a row count
            return f"{x:.0f}"
        return fmt.format(x)
    try:
        return num(float(x), fmt)
    except (TypeError, ValueError):
        return str(x)


def estimate(row, key: str, fmt: str = "{:.2f}") -> str:
    """'0.71 [0.62, 0.80]' from ``key``, ``key_lo`` and ``key_hi`` of a row (dict)."""
    value = row.get(key)
    lo, hi = row.get(f"{key}_lo"), row.get(f"{key}_hi")
    out = num(value, fmt)
    if not (missing(lo) or missing(hi)):
        out += f" [{num(lo, fmt)}, {num(hi, fmt)}]"
    return out


def badge_class(label) -> str:
    """The CSS class of a verdict label (claims.LABELS; a longer text is
    matched by its start, e.g. "not supported (does not rank ...)")."""
    v = str(label or "").strip()
    if v in BADGES:
        return "b-" + BADGES[v]
    for lab in sorted(BADGES, key=len, reverse=True):
        if v.startswith(lab):
            return "b-" + BADGES[lab]
    if v.startswith("depends"):
        return "b-depends-spec"
    return "b-not-fitted"


def frame_table(df: pd.DataFrame, columns=None, max_rows: int = 60, fmt: str = "{:.3g}", row_class=None) -> dict:
    """A frame as plain rows for the table macro: header, cells as text, a
    class per column (numbers right-aligned), the rows left out."""
    if df is None or df.empty:
        return {"columns": [], "rows": [], "more": 0, "numeric": [], "classes": []}
    if columns:
        df = df[[c for c in columns if c in df.columns]]
    shown = df.head(max_rows)
    numeric = [pd.api.types.is_numeric_dtype(df[c]) for c in df.columns]

    def cell(v):
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return num(v, fmt)
        return "NA" if missing(v) else str(v)

    rows = [[cell(v) for v in r] for r in shown.itertuples(index=False)]
    classes = [row_class(r) if row_class else "" for r in shown.to_dict("records")]
    return {
        "columns": [str(c) for c in df.columns],
        "rows": rows,
        "more": max(len(df) - max_rows, 0),
        "numeric": numeric,
        "classes": classes,
    }


def data_uri(path) -> str:
    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode()


def md_bold(text) -> str:
    """Markdown **bold** to <b>, everything else escaped (for the findings)."""
    out = html.escape(str(text), quote=False)
    return Markup(re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", out))


# --------------------------------------------------------------------------
# captions: the rst files the registry names, rendered as snakemake --report does


def md_cell(v) -> str:
    return ("" if missing(v) else str(v)).replace("|", "\\|").replace("\n", " ")


def state_label(code, names: dict, eras: dict | None = None, years=None) -> str:
    """The state's COW name, with its era when the configuration declares
    one that covers ``years`` (panel.eras)."""
    if missing(code):
        return "the focal state"
    code = int(code)
    name = names.get(code, f"COW {code}")
    if eras and years:
        declared = eras.get(code) or eras.get(str(code)) or {}
        lo, hi = int(years[0]), int(years[-1])
        for era, (start, end) in declared.items():
            if start <= lo and (end is None or hi <= end):
                return f"{name} ({era.capitalize()} era)"
    return name


# --------------------------------------------------------------------------
# the sections' contents
