"""One function per pipeline stage: read the inputs, call the logic, write outputs.

Rule scripts call exactly one of these; tests call them without Snakemake.
All writes are atomic (see :mod:`.io`).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from . import io
from .data import maddison, nmc, states
from .data.state_year import UNITS, build_state_year
from .fetch import fetch_source
from .provenance import table_meta, write_meta
from .sources import read_source

log = logging.getLogger(__name__)


def fetch(name: str, source: dict, output: str, mirror: str | None) -> None:
    fetch_source(name, source, output, mirror or None)


def state_year(inputs: dict, sources: dict, output: str, start: int, end: int,
               capabilities: str, max_gap: int) -> None:
    """Build data/processed/state_year.parquet from NMC, COW states and Maddison."""
    spells = states.load_system(inputs["cow_states"], sources["cow_states"]["object"])
    n7 = nmc.clean_nmc7(read_source(inputs["nmc7"], sources["nmc7"]), inputs["nmc7"])
    n6 = nmc.clean_nmc6(read_source(inputs["nmc6"], sources["nmc6"]), inputs["nmc6"])
    mapping = maddison.load_mapping(inputs["mapping"])
    gdp = maddison.clean_maddison(
        read_source(inputs["maddison"], sources["maddison"]), mapping, inputs["maddison"], max_gap
    )
    df = build_state_year(spells, n7, n6, gdp, start, end, capabilities)
    io.write_parquet(df, output)
    versions = {"capabilities": df["cap_source"].iloc[0], "gdp": "Maddison Project Database 2023",
                "membership": "COW State System Membership v2016"}
    write_meta(output, table_meta(df, inputs.values(), UNITS, keys=["ccode", "year"],
                                  sources=versions))


def nmc_comparison(inputs: dict, sources: dict, output: str) -> None:
    """Write every NMC 6.0 vs 7.0 difference on overlapping years."""
    n7 = nmc.clean_nmc7(read_source(inputs["nmc7"], sources["nmc7"]), inputs["nmc7"])
    n6 = nmc.clean_nmc6(read_source(inputs["nmc6"], sources["nmc6"]), inputs["nmc6"])
    spells = states.load_system(inputs["cow_states"], sources["cow_states"]["object"])
    diff = nmc.compare_nmc(n6, n7)
    abb = spells.drop_duplicates("ccode").set_index("ccode")["stateabb"]
    diff.insert(1, "stateabb", diff["ccode"].map(abb).astype("str"))
    log.info("NMC 6.0 vs 7.0: %d differing cells in %d state-years", len(diff),
             len(diff.drop_duplicates(["ccode", "year"])))
    io.write_csv(diff, output)


def seed_reproduction(seed_dir: str, state_year_path: str, output: str) -> None:
    """Recompute the seed paper's derived figures from its levels and from public data."""
    from .seeds import reproduce_seed_tables

    table = reproduce_seed_tables(seed_dir, io.read_parquet(state_year_path))
    mismatches = int((table["matches_paper_within_rounding"] == False).sum())  # noqa: E712
    log.info("seed reproduction: %d figures, %d disagree with the paper's own levels", len(table), mismatches)
    io.write_csv(table, output)


def load_model_frame(spec, path: str) -> pd.DataFrame:
    """Read a model's data (pipeline parquet or a user's CSV/parquet) and check columns."""
    from .errors import ConfigError
    from .models.spec import check_columns

    try:
        frame = pd.read_parquet(path) if str(path).endswith(".parquet") else pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"model '{spec.name}': field 'data': cannot read '{path}' ({exc})") from None
    check_columns(spec, frame.columns, f"'{path}'")
    return frame


def fit_frequentist(spec_json: str, data_path: str, out_csv: str, out_json: str) -> None:
    from .models.logit import fit_frequentist as fit
    from .models.matrix import build_model_data
    from .models.spec import ModelSpec

    spec = ModelSpec.from_json(spec_json)
    md = build_model_data(spec, load_model_frame(spec, data_path))
    tidy, summary = fit(md)
    io.write_csv(tidy, out_csv)
    io.write_json(summary, out_json)


def fit_bayes(spec_json: str, data_path: str, sampling: dict, seed: int, thresholds: dict,
              out_nc: str, out_summary: str, out_diag: str) -> None:
    """Sample a model; write posterior.nc, summary.csv and diagnostics.json."""
    from .models.bayes import fit_bayes as fit
    from .models.bayes import summarize
    from .models.diagnostics import diagnose
    from .models.matrix import build_model_data
    from .models.spec import ModelSpec

    spec = ModelSpec.from_json(spec_json)
    md = build_model_data(spec, load_model_frame(spec, data_path))
    idata = fit(md, sampling, seed)
    diag = diagnose(idata, thresholds)
    diag.update({"model": spec.name, "sampling_seconds": idata.attrs["sampling_seconds"],
                 "n_obs": int(len(md.y)), "n_dropped": int(md.n_dropped)})
    if diag["status"] == "failed":
        log.warning("model %s FAILED the convergence gate: %s", spec.name, "; ".join(diag["reasons"]))
    idata.attrs["diagnostics_status"] = diag["status"]
    summary = summarize(idata)
    summary.insert(0, "fit_status", diag["status"])
    summary.insert(0, "model", spec.name)
    with io.atomic_path(out_nc) as tmp:
        idata.to_netcdf(str(tmp), engine="h5netcdf")
    io.write_csv(summary, out_summary)
    io.write_json(diag, out_diag)


def model_figures(summary_csv: str, diag_json: str, posterior_nc: str, model: str, outputs: list[str]) -> None:
    """Forest plot and posterior densities of one model (PNG and SVG)."""
    import json

    import arviz as az

    from . import plots

    summary = pd.read_csv(summary_csv)
    failed = json.loads(open(diag_json).read())["status"] == "failed"
    stems = sorted({o.rsplit(".", 1)[0] for o in outputs})
    forest_stem = next(s for s in stems if s.endswith("-forest"))
    dens_stem = next(s for s in stems if s.endswith("-posterior"))
    plots.save(plots.forest(summary, f"{model}: standardized effects", failed), forest_stem)
    idata = az.from_netcdf(posterior_nc)
    plots.save(plots.posterior_densities(idata, f"{model}: posterior densities", failed), dens_stem)


def build_report(models: list[str], results_dir: str, figures_dir: str, tables: dict,
                 meta: dict, output: str) -> None:
    """Assemble reports/index.html from the model results and report tables."""
    import html
    import json
    from pathlib import Path

    from . import report

    sections = []
    intro = ("<p>Power disparity, external threat and alliance behaviour: models fitted on public data "
             "(COW NMC, Maddison, ATOP, MIDs, rivalries) and on the cases the seed papers discuss. "
             "Every fit passes a convergence gate before it is presented; a failed fit is marked as such.</p>")
    sections.append(intro)
    diag_rows = []
    for m in models:
        d = json.loads((Path(results_dir) / m / "diagnostics.json").read_text())
        diag_rows.append({"model": m, "status": d["status"], "max_rhat": d["max_rhat"],
                          "min_ess_bulk": d["min_ess_bulk"], "min_ess_tail": d["min_ess_tail"],
                          "divergences": d["divergences"], "n_obs": d.get("n_obs"),
                          "reasons": "; ".join(d["reasons"])})
    sections.append(report.section("Diagnostics", report.table_html(pd.DataFrame(diag_rows))))
    for m, d in zip(models, diag_rows):
        summary = pd.read_csv(Path(results_dir) / m / "summary.csv")
        freq = pd.read_csv(Path(results_dir) / m / "frequentist.csv", keep_default_na=False, na_values=[""])
        figs = [str(Path(figures_dir) / f"{m}-forest.png"), str(Path(figures_dir) / f"{m}-posterior.png")]
        diag = json.loads((Path(results_dir) / m / "diagnostics.json").read_text())
        sections.append(report.model_section(m, diag, summary, freq, figs))
    for title, path in tables.items():
        df = pd.read_csv(path, keep_default_na=False, na_values=[""])
        sections.append(report.section(title, f'<p class="note">Source: {html.escape(str(path))}</p>'
                                       + report.table_html(df)))
    footer = "<br>".join(f"{html.escape(k)}: {html.escape(str(v))}" for k, v in meta.items())
    io.write_text(report.page("alliance-models report", sections, footer), output)


def predict_holdout(posterior_nc: str, data_path: str, output: str) -> None:
    """Posterior predictions for a model's holdout rows (out of sample)."""
    import arviz as az

    from .models.bayes import posterior_probabilities
    from .models.matrix import build_model_data, new_design
    from .models.spec import ModelSpec

    idata = az.from_netcdf(posterior_nc)
    spec = ModelSpec.from_json(idata.attrs["model_spec"])
    frame = load_model_frame(spec, data_path)
    md = build_model_data(spec, frame)
    held = build_model_data(spec, frame, part="holdout")
    groups = {g["by"]: frame.loc[held.rows, g["by"]].astype(str).to_numpy() for g in md.groups}
    p = posterior_probabilities(idata, md, new_design(md, frame.loc[held.rows]), groups)
    keys = [c for c in ("case_id", "ccode1", "ccode2", "year") if c in frame.columns]
    out = frame.loc[held.rows, keys].reset_index(drop=True)
    out["observed"] = held.y
    if spec.family == "bernoulli":
        out["p_mean"] = p.mean(axis=0)
        out["p_lo90"], out["p_hi90"] = np.quantile(p, [0.05, 0.95], axis=0)
        out["train_base_rate"] = float(md.y.mean())
    else:
        for k, cat in enumerate(md.categories):
            out[f"p_{cat}"] = p[:, :, k].mean(axis=0)
    log.info("model %s: %d holdout rows predicted (%d fitted)", spec.name, len(out), len(md.y))
    io.write_csv(out, output)
