"""The HTML report: self-contained (images embedded), no external fetches."""

from __future__ import annotations

import base64
import html
import json
import logging
from pathlib import Path

import pandas as pd

from . import io

log = logging.getLogger(__name__)

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;font-size:.85em;margin:1em 0}td,th{border:1px solid #ddd;padding:.25em .5em;text-align:right}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}
.failed{background:#fde2e2;color:#900;padding:.5em;border-left:4px solid #c00}
.ok{color:#060}.note{color:#555;font-size:.9em}img{max-width:100%}
"""


def img_tag(path: str | Path, alt: str) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode()
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def table_html(df: pd.DataFrame, max_rows: int = 60, floatfmt: str = "{:.3g}") -> str:
    shown = df.head(max_rows)
    out = shown.to_html(index=False, na_rep="NA", float_format=lambda x: floatfmt.format(x), escape=True, border=0)
    if len(df) > max_rows:
        out += f'<p class="note">{len(df) - max_rows} more rows in the CSV.</p>'
    return out


def section(title: str, body: str) -> str:
    return f"<h2>{html.escape(title)}</h2>\n{body}\n"


def page(title: str, sections: list[str], footer: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>\n"
        f"<h1>{html.escape(title)}</h1>\n" + "\n".join(sections) + f"\n<footer class=\"note\">{footer}</footer></body></html>\n"
    )


def model_section(name: str, diag: dict, summary: pd.DataFrame, freq: pd.DataFrame, figures: list[str]) -> str:
    status = diag["status"]
    if status == "failed":
        head = (f'<p class="failed"><b>Fit failed the convergence gate</b> ({html.escape("; ".join(diag["reasons"]))}). '
                "Its estimates are shown for diagnosis only and are not a finding.</p>")
    else:
        head = (f'<p class="ok">Converged: max R-hat {diag["max_rhat"]:.3f}, min bulk ESS {diag["min_ess_bulk"]:.0f}, '
                f'min tail ESS {diag["min_ess_tail"]:.0f}, {diag["divergences"]} divergences.</p>')
    cols = ["parameter", "scale", "mean", "sd"] + [c for c in summary.columns if c.startswith("hdi_")] + ["p_positive", "r_hat", "ess_bulk"]
    imgs = "".join(img_tag(f, f"{name}: figure") for f in figures)
    fcols = ["term", "category", "estimate", "std_error", "ci_lower", "ci_upper", "odds_ratio", "p_value", "method", "separation"]
    return section(
        f"Model {name}",
        head + imgs + "<h3>Bayesian posterior</h3>" + table_html(summary[cols])
        + "<h3>Frequentist</h3>" + table_html(freq[[c for c in fcols if c in freq.columns]]),
    )
