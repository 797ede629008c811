"""The report builds from small fixture fits: every figure is a valid image,
the HTML is self-contained, the verdicts follow the known truths."""

import re
import xml.etree.ElementTree as ET

import pandas as pd
import pytest
from PIL import Image

from _report_fixture import shared_project

from alliance_models.stages import CASE_FIGURES, MODEL_FIGURES


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return shared_project(tmp_path_factory)


def _expected_figures(p):
    stems = [f"{m}-{k}" for m in p["full"] for k in MODEL_FIGURES]
    stems += [f"{m}-{k}" for m in p["case_models"] for k in CASE_FIGURES]
    stems += [f"{m}-slopes" for m in p["full"] if m.startswith("majors_onset-")]
    return stems + ["oos-calibration"]


def test_every_figure_exists_and_is_a_valid_image(project):
    stems = _expected_figures(project)
    assert len(stems) > 60
    for stem in stems:
        png, svg = project["figures"] / f"{stem}.png", project["figures"] / f"{stem}.svg"
        with Image.open(png) as im:
            im.verify()
        with Image.open(png) as im:
            assert im.format == "PNG" and im.size[0] > 200 and im.size[1] > 80, stem
        root = ET.parse(svg).getroot()
        assert root.tag.endswith("svg"), stem


def test_html_is_self_contained(project):
    html = project["html"].read_text()
    # nothing to fetch: no http(s) source, link, import or script
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html, re.I)
    assert "<script" not in html.lower() and "@import" not in html and "<link" not in html.lower()
    assert all(u.startswith("data:") for u in re.findall(r"""url\(\s*["']?([^"')]+)""", html))
    srcs = re.findall(r'<img [^>]*src="([^"]+)"', html)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)
    # every figure the report shows is embedded (slopes, surfaces, case plots, OOS, each model)
    assert len(srcs) >= len([s for s in _expected_figures(project)])


def test_report_sections_and_provenance(project):
    html = project["html"].read_text()
    for title in ("Verdicts on the seeds", "Disparity x threat", "Each case", "Out of sample",
                  "Convergence diagnostics", "Appendix: rank plots", "Provenance"):
        assert title in html, title
    assert "config sha256" in html and "run time" in html and "Sampler seeds per model" in html
    # a failed fit is announced in its model section
    assert "Fit failed the convergence gate" in html
    md = project["md"].read_text()
    assert md.startswith("# alliance-models: summary") and "| claim | verdict |" in md


def test_verdicts_follow_the_fixture_truths(project):
    v = pd.read_csv(project["verdicts"], keep_default_na=False).set_index("claim_id")
    assert list(v.index) == ["disparity", "threat", "narrowing", "balancing", "ussr_different"]
    # disparity: + under CINC, - under GDP (chosen truths) -> depends on measurement
    assert v.loc["disparity", "verdict"] == "depends on measurement"
    assert v.loc["disparity", "favoured_sign"] == "depends on measurement (cinc: positive, gdp: negative)"
    assert v.loc["threat", "verdict"] == "supported"
    # the termination fits were built with disagreeing chains: the gate fails them
    assert v.loc["narrowing", "verdict"] == "no verdict (fit failed)"
    assert v.loc["narrowing", "cinc"].startswith("FIT FAILED")
    assert v.loc["ussr_different", "verdict"] == "supported"
    assert "differs in log_cinc_ratio" in v.loc["ussr_different", "cinc verdict"]
    assert "rose" in v.loc["balancing", "note"]


def test_model_tables(project):
    t = project["tables"] / "models"
    ame = pd.read_csv(t / "cases_allied-cinc-ame.csv")
    assert set(ame["factor"]) == {"disparity", "threat"} and (ame["draws"] == 100).all()
    loo = pd.read_csv(t / "cases_allied-cinc-loo.csv")
    assert set(loo["dropped"]) == {"disparity", "threat"} and loo["delta_se"].notna().all()
    fb = pd.read_csv(t / "cases_allied-cinc-freqbayes.csv", keep_default_na=False, na_values=[""])
    assert {"Intercept", "log_cinc_ratio", "threat_high"} <= set(fb["term"]) and fb["freq_estimate"].notna().all()
    oos = pd.read_csv(project["tables"] / "oos_scores.csv")
    assert list(oos["model"]) == ["ussr_onset_oos"] and (oos["brier"] > 0).all()


def test_status_line_says_when_chains_were_continued():
    from alliance_models.report import status_line

    base = {"status": "ok", "max_rhat": 1.002, "min_ess_bulk": 431.0, "min_ess_tail": 980.0, "divergences": 0,
            "chains": 2, "n_obs": 14666, "reasons": []}
    line = status_line({**base, "draws": 2650, "draws_first": 1000})
    assert "2 chains x 2650 draws, continued from 1000 until the gate passed; 14666 rows" in line
    assert "continued" not in status_line({**base, "draws": 1000, "draws_first": 1000})
    assert "continued" not in status_line({**base, "draws": 1000})          # older diagnostics.json
    failed = status_line({**base, "status": "failed", "reasons": ["min bulk ESS 310 < 400"], "draws": 4000,
                          "draws_first": 1000})
    assert "failed the convergence gate" in failed and "min bulk ESS 310" in failed


def test_verdict_table_says_when_one_measure_was_fitted(project):
    """A run restricted to one disparity measure (config variants) says so
    under the verdict table; the fixture's two measures do not."""
    from alliance_models.report import verdict_section

    v = pd.read_csv(project["verdicts"], keep_default_na=False)
    settings = {"verdict_prob": 0.95}
    assert "One disparity measure" not in verdict_section(v, settings)
    one = v.drop(columns=["gdp", "gdp verdict"])
    html = verdict_section(one, settings)
    assert "One disparity measure (cinc) in this run" in html and "under gdp" not in html
