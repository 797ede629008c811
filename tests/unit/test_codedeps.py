"""Which package files each stage runs (the rules' code inputs)."""

from alliance_models.codedeps import module_files

PKG = "workflow/alliance_models"


def test_a_fit_does_not_run_the_reporting_code():
    fit = set(module_files("alliance_models.stages.fit_bayes"))
    assert f"{PKG}/models/bayes.py" in fit and f"{PKG}/models/matrix.py" in fit
    assert f"{PKG}/stages/fit_bayes.py" in fit and f"{PKG}/__init__.py" in fit
    for reporting in (
        "plots.py",
        "plots_cases.py",
        "plots_report.py",
        "report.py",
        "summaries.py",
        "registry.py",
        "figures.py",
        "claims.py",
    ):
        assert f"{PKG}/{reporting}" not in fit, reporting
    assert f"{PKG}/data/dyads.py" not in fit  # a fit reads its panel; it does not build it


def test_figures_and_report_run_the_plotting_code_and_panels_the_data_code():
    assert f"{PKG}/plots.py" in module_files("alliance_models.stages.model_figures")
    assert f"{PKG}/plots.py" in module_files("alliance_models.stages.report") or f"{PKG}/report.py" in module_files(
        "alliance_models.stages.report"
    )
    # the case surface is drawn by model_figures; the report-level figures by their own stages only
    assert f"{PKG}/plots_cases.py" in module_files("alliance_models.stages.model_figures")
    assert f"{PKG}/plots_report.py" not in module_files("alliance_models.stages.model_figures")
    for stage in ("claims", "out_of_sample", "latent_figures"):
        assert f"{PKG}/plots_report.py" in module_files(f"alliance_models.stages.{stage}"), stage
    panel = set(module_files("alliance_models.stages.dyad_year"))
    assert {f"{PKG}/data/dyads.py", f"{PKG}/data/panel.py"} <= panel and f"{PKG}/plots.py" not in panel


def test_function_local_imports_count():
    """An import inside a function is followed too (the stage runs it)."""
    assert f"{PKG}/data/latent.py" in module_files("alliance_models.stages.latent_capability")
