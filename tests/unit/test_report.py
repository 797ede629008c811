"""The report builds from small fixture fits and SYNTHETIC claims and
out-of-sample tables (tests/unit/_report_fixture.py): every figure the
registry declares exists and is a valid image, the HTML is self-contained
and opens with the findings, each section shows what its tables hold, and a
report for another focal state names no state the code was written for."""

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from _report_fixture import SETTINGS, shared_project
from alliance_models import claims as cl
from alliance_models import registry, report, report_format, report_views
from markupsafe import escape
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return shared_project(tmp_path_factory)


@pytest.fixture(scope="module")
def html(project):
    return project["html"].read_text()


def _text(html: str) -> str:
    """The HTML without its embedded images (base64 can spell anything)."""
    return re.sub(r'src="data:[^"]*"', 'src=""', html)


def _section(html: str, anchor: str) -> str:
    m = re.search(rf'<section id="{anchor}">(.*?)</section>', _text(html), re.S)
    assert m, anchor
    return m.group(1)


# --------------------------------------------------------------------------
# the registry


def test_registry_declares_each_file_once_with_its_caption():
    for entries in (registry.FIGURES, registry.TABLES):
        keys = [e.key for e in entries]
        assert len(keys) == len(set(keys))
        stems = [(e.scope in (registry.MODEL, registry.CASE), e.stem) for e in entries]
        assert len(stems) == len(set(stems))
        assert {e.scope for e in entries} <= set(registry.SCOPES)
    for f in registry.FIGURES:
        assert f.caption_file().is_file(), f.key  # the one caption, an rst file
        assert f.rule_caption() == f"../report/{f.caption}"
        assert (ROOT / "workflow" / "rules" / f.rule_caption()).resolve() == f.caption_file()
    assert registry.table("verdicts").caption_file().is_file()
    assert registry.keys(registry.figures(registry.CASE)) == ["surface", "cases"]
    assert registry.keys(registry.tables(registry.CASE)) == ["surface", "case_predictions"]


def test_registry_names_real_frame_and_plot_functions():
    from alliance_models import case_frames, oos, plots, plots_cases, plots_report, slopes, summaries, variance
    from alliance_models.models import matrix

    def builder(name):
        mods = (summaries, case_frames, slopes, oos, matrix, variance)
        return next((getattr(m, name) for m in mods if hasattr(m, name)), None)

    for f in registry.figures(registry.MODEL, registry.CASE, registry.CLAIMS, registry.OOS):
        drawers = [getattr(m, f.plot) for m in (plots, plots_cases, plots_report) if hasattr(m, f.plot)]
        assert len(drawers) == 1 and callable(drawers[0]), f.key  # one module draws it
        for frame in f.frames:
            assert frame == "idata" or callable(builder(frame)), frame
    for t in registry.tables(registry.MODEL, registry.CASE):
        assert callable(builder(t.frame)), t.key


def test_rules_and_report_read_the_registry():
    """No figure, table or caption list of its own in the rules or report.py."""
    smk = "".join((ROOT / "workflow" / "rules" / f).read_text() for f in ("plan.smk", "report.smk"))
    assert "registry.figures(" in smk and "registry.tables(" in smk and "shown_in_full" in smk
    assert not re.search(r'caption\s*=\s*"\.\./report/', smk)
    assert "FIGURE_CAPTIONS" not in smk and "MODEL_TABLES" not in smk
    src = (ROOT / "workflow" / "alliance_models" / "report.py").read_text()
    assert "Standardized effects: posterior mean" not in src  # the captions live in the rst files only
    assert "<table" not in src and "<figure" not in src and "<h2" not in src  # the markup is the templates'


def test_every_caption_renders_as_snakemake_report_does():
    import yaml

    settings = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["report"]
    for e in [*registry.FIGURES, registry.table("verdicts")]:
        text = report.render_caption(e, settings, "some_model-cinc")
        assert text.startswith("<p>") and "System Message" not in text and "{{" not in text, e.key
        if "{model}" in e.stem and e.scope != registry.CLAIMS:
            assert "some_model-cinc" in text, e.key


def test_captions_render_in_snakemake_report():
    """As `snakemake --report` renders them: Jinja2 with its Snakemake object
    (the job's wildcards, the whole config), then docutils."""
    import jinja2
    import yaml
    from docutils.core import publish_parts

    try:
        from snakemake.iocontainers import InputFiles, Log, OutputFiles, Params, Snakemake, Wildcards
    except ImportError as e:  # pragma: no cover - another Snakemake layout
        pytest.skip(f"snakemake internals moved: {e}")
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True)
    for e in [*registry.FIGURES, registry.table("verdicts")]:
        sm = Snakemake(
            InputFiles(),
            OutputFiles(),
            Params(),
            Wildcards(fromdict={"model": "some_model-cinc"}),
            1,
            {},
            Log(),
            config,
            "rule",
            None,
        )
        rst = env.from_string(e.caption_file().read_text()).render(snakemake=sm, categories=[], files=[])
        body = publish_parts(rst, writer_name="html", settings_overrides={"report_level": 2, "halt_level": 2})["body"]
        assert body.startswith("<p>") and "{{" not in body, e.key


def test_common_sample_refits_are_not_shown_in_full():
    from alliance_models.models.spec import load_model_specs

    specs = load_model_specs(ROOT / "config" / "models.yaml")
    shown = registry.shown_in_full(specs)
    full = [s.name for s in specs if not s.reduced_from]
    assert not [m for m in shown if m.endswith("-common") or "--drop-" in m]
    assert {m for m in full if m not in shown} == {s.name for s in specs if s.variant.get("sample") == "common"}
    # the claims read majors_onset_ussr-*'s LOO table, which its figures job writes
    assert any(m.startswith("majors_onset_ussr-") for m in shown)


# --------------------------------------------------------------------------
# figures and self-containment


def _expected_figures(p):
    stems = [f.stem.format(model=m) for m in p["shown"] for f in registry.figures(registry.MODEL)]
    stems += [f.stem.format(model=m) for m in p["case_models"] for f in registry.figures(registry.CASE)]
    stems += [registry.figure("slopes").stem.format(model=m) for m in p["slope_models"]]
    return stems + [registry.figure("oos-calibration").stem]


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
    # no figures job for the common-sample refits
    assert project["refits"] and not list(project["figures"].glob(f"{project['refits'][0]}-*"))


def test_every_model_table_is_written(project):
    t = project["tables"] / "models"
    for m in project["shown"]:
        for tab in registry.tables(registry.MODEL):
            assert Path(tab.path(t, model=m)).is_file(), (m, tab.key)
    for m in project["case_models"]:
        for tab in registry.tables(registry.CASE):
            assert Path(tab.path(t, model=m)).is_file(), (m, tab.key)


def test_html_is_self_contained(project, html):
    # nothing to fetch: no http(s) source, link, import or script
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html, re.I)
    assert "<script" not in html.lower() and "@import" not in html and "<link" not in html.lower()
    assert all(u.startswith("data:") for u in re.findall(r"""url\(\s*["']?([^"')]+)""", html))
    srcs = re.findall(r'<img [^>]*src="([^"]+)"', html)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)
    # every figure is embedded (each model's, surfaces, case plots, slopes, OOS)
    assert len(srcs) >= len(_expected_figures(project)) and "missing)" not in _text(html)


# --------------------------------------------------------------------------
# sections


def test_findings_come_first(project, html):
    text = _text(html)
    anchors = re.findall(r'<section id="([^"]+)">', text)
    assert anchors[:2] == ["findings", "verdicts"]
    assert {
        "balancing",
        "different",
        "surface",
        "cases",
        "oos",
        "models",
        "diagnostics",
        "appendix",
        "provenance",
    } <= set(anchors)
    findings = _section(html, "findings")
    ids = re.findall(r'<p class="finding" id="finding-([^"]+)">', findings)
    assert ids == ["disparity", "threat", "narrowing", "balancing", "ussr_different"]  # verdict-table order
    assert "<b>depends on measure</b>" in findings and "**" not in findings  # markdown bold -> <b>
    md = project["md"].read_text()
    assert md.startswith("# alliance-models: summary\n\n## Findings\n")
    assert md.index("## Findings") < md.index("## Verdicts") < md.index("## Out of sample")
    assert "**depends on measure**" in md and "| claim | verdict |" in md


def test_verdict_table(html):
    sec = _section(html, "verdicts")
    rows = re.findall(r'<tr class="claim" id="verdict-([^"]+)">(.*?)</tr>', sec, re.S)
    assert [r[0] for r in rows] == ["disparity", "threat", "narrowing", "balancing", "ussr_different"]
    badges = {cid: re.search(r'class="badge (b-[a-z-]+)">([^<]+)<', body).groups() for cid, body in rows}
    assert badges["disparity"] == ("b-depends-measure", "depends on measure")
    assert badges["threat"] == ("b-supported", "supported")
    assert badges["narrowing"] == ("b-fit-failed", "no verdict (fit failed)")
    assert badges["balancing"] == ("b-supported", "supported")
    # primary evidence with its estimate and decisions; why
    disparity = dict(rows)["disparity"]
    assert "ussr_onset-cinc, log_cinc_ratio" in disparity and "54 events from 12 decisions" in disparity
    assert "gdp, common sample: negative" in disparity
    # the seeds' own coding: a labelled secondary row, never the basis
    secondary = re.findall(r'<tr class="secondary">(.*?)</tr>', sec, re.S)
    assert len(secondary) == 2 and all("the seeds&#39; own coding, checked" in s for s in secondary)
    assert "b-not-supported" in secondary[0] and "b-supported" in secondary[1]
    # the decision rule, from the claims module, with this run's settings
    assert "depends on sample" in sec and '<tt class="docutils literal">prob</tt> = 0.95' in sec
    assert '<tt class="docutils literal">min_decisions</tt> = 10' in sec
    assert "One disparity measure" not in sec  # the fixture has two


def test_robustness_strips(html):
    sec = _section(html, "verdicts")
    strips = dict(re.findall(r'<h4 id="strip-([^"]+)">.*?<tbody>(.*?)</tbody>', sec, re.S))
    assert set(strips) == {"disparity", "threat", "narrowing"}
    d = strips["disparity"]
    assert d.count("<tr") == 11  # 9 cells of evidence + 2 of the seeds' coding
    assert "without the largest multilateral cluster" in d and "<b>FIT FAILED</b>" in d  # a failed fit, marked
    assert 'class="missing-row"' in d and "not fitted" in d  # a fit not there
    assert "[+0.14, +0.74]" in d and "negative" in d
    assert re.search(r"<th>P\(&lt; 0\)</th>", sec)  # narrowing expects a negative sign: P(< 0)


def test_one_measure_note():
    strips = pd.DataFrame({"claim_id": ["d", "d"], "axis": ["primary", "sample"], "measure": ["latent", "latent"]})
    assert report_views.measures_of(strips) == ["latent"]
    env = report.environment()
    out = env.get_template("sections/verdicts.html.j2").render(
        claims=[],
        rule="",
        labels=[],
        one_measure=True,
        measures=["latent"],
        verdict_caption="",
        secondary_label=report.SECONDARY,
        interval="90%",
    )
    assert "One disparity measure (latent) in this run" in out and "cannot show that the measures disagree" in out


def test_badges_cover_every_label():
    classes = {report_format.badge_class(lab) for lab in cl.LABELS}
    assert len(classes) == len(cl.LABELS)
    css = (registry.TEMPLATE_DIR / "style.css").read_text()
    assert all(f".{c}" in css for c in classes)
    assert report_format.badge_class("not supported (is not calibrated in the large)") == "b-not-supported"


def test_balancing_section(html):
    sec = _section(html, "balancing")
    assert "<h2>Threat without balancing: RUS (Soviet era) and CHN</h2>" in sec
    assert "14 (11 new, 3 deepening) in 410 dyad-years, from 12 decisions" in sec
    assert "USA 1960, UKG 1964, FRN 1971, JPN 1978" in sec  # partners named from COW
    assert "1962 (2 onsets with adversaries)" in sec and "toy-case-07 (290, 1966)" in sec
    assert "P(replicated ≥ observed) 0.64" in sec and "b-supported" in sec
    assert "1954</td><td>0.5" in sec  # the recomputed threat scores


def test_difference_section(html):
    sec = _section(html, "different")
    assert "<h2>Is RUS (Soviet era) different from the other major powers?</h2>" in sec
    assert sec.count("<img ") == 1 and "majors_onset-cinc" in sec
    assert "log_cinc_ratio</td><td>365" in sec and "b-supported" in sec


def test_out_of_sample_section(project, html):
    sec = _section(html, "oos")
    scores = pd.read_csv(project["tables"] / "oos_scores.csv")
    assert list(scores["model"]) == ["ussr_onset_oos", *project["forecasts"]]
    for r in scores.itertuples():
        assert str(escape(r.reading)) in sec  # the generated sentence per model
    assert sec.count("<tr><td>ussr_") == 3 and "0.81 [0.74, 0.88]" in sec
    fc = sec[sec.index('<h3 id="forecast">') :]
    assert fc.startswith('<h3 id="forecast">Yu&#39;s forecast for post-Soviet Russia</h3>')  # from the description
    assert "Does the framework carry over" in fc and fc.count("<h4>") == 2
    assert "over-predicted" in fc and "under-predicted" in fc and "onsets expected" in fc
    assert "b-not-supported" in fc  # carries_over, as a badge


def test_model_sections_and_diagnostics(project, html):
    sec = _section(html, "models")
    for m in project["shown"]:
        assert f'<h3 id="m-{m}">' in sec, m
    for m in project["refits"]:
        assert f'id="m-{m}"' not in sec
    assert "Fit failed the convergence gate" in sec and "Coefficients, P(effect &gt; 0) and odds ratios" in sec
    diag = _section(html, "diagnostics")
    for col in ("attempts", "ladder", "leapfrog_steps", "nuts_s", "n_decisions", "reasons"):
        assert f">{col}</th>" in diag, col
    assert all(m in diag for m in project["refits"]) and diag.count('class="failed-row"') >= 2
    assert "0.9: failed; 0.99: failed" in diag and ">15<" in diag  # the ladder and the telemetry
    prov = _section(html, "provenance")
    assert "config sha256" in prov and "run time" in prov and "Sampler seeds per model" in prov


def test_another_focal_state_is_named_from_the_configuration(project):
    """The same fits reported for the United States (COW 2) against Russia
    (365), with generic claim texts: the words report.py and the templates
    write name no state the code was written for."""
    html = project["other_html"].read_text()
    text = _text(html)
    for word in ("USSR", "Soviet", "China", "Sino"):
        assert word not in text, word
        assert word not in project["other_md"].read_text(), word
    assert "<h2>Threat without balancing: USA and RUS</h2>" in text
    assert "<h2>Is USA different from the other major powers?</h2>" in text
    assert "about USA and RUS" in text and "The cases of USA with RUS in 1950, 1969" in text
    assert '<h3 id="forecast">The forecast for the later era</h3>' in text


def test_status_line_says_when_chains_were_continued():
    base = {
        "status": "ok",
        "max_rhat": 1.002,
        "min_ess_bulk": 431.0,
        "min_ess_tail": 980.0,
        "divergences": 0,
        "chains": 2,
        "n_obs": 14666,
        "reasons": [],
        "n_events": 54,
        "n_decisions": 12,
    }
    line = report.fit_status({**base, "draws": 2650, "draws_first": 1000})
    assert line["ok"] and "2 chains x 2650 draws, continued from 1000 until the gate passed; 14666 rows" in line["text"]
    assert "54 events from 12 decisions" in line["text"]
    assert "continued" not in report.fit_status({**base, "draws": 1000, "draws_first": 1000})["text"]
    assert "continued" not in report.fit_status({**base, "draws": 1000})["text"]  # older diagnostics.json
    failed = report.fit_status(
        {**base, "status": "failed", "reasons": ["min bulk ESS 310 < 400"], "draws": 4000, "draws_first": 1000}
    )
    assert not failed["ok"] and "failed the convergence gate" in failed["text"] and "min bulk ESS 310" in failed["text"]


def test_model_tables(project):
    t = project["tables"] / "models"
    ame = pd.read_csv(t / "cases_allied-cinc-ame.csv")
    assert set(ame["factor"]) == {"disparity", "threat"} and (ame["draws"] == SETTINGS["draws"]).all()
    loo = pd.read_csv(t / "cases_allied-cinc-loo.csv")
    assert set(loo["dropped"]) == {"disparity", "threat"} and loo["delta_se"].notna().all()
    fb = pd.read_csv(t / "cases_allied-cinc-freqbayes.csv", keep_default_na=False, na_values=[""])
    assert {"Intercept", "log_cinc_ratio", "threat_high"} <= set(fb["term"]) and fb["freq_estimate"].notna().all()
    cal = pd.read_csv(t / "cases_category-calibration.csv")
    assert cal.empty and "observed_rate" in cal.columns  # a categorical model has no calibration bins
