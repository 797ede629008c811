"""Model declarations: validation names the model and the field."""

import pandas as pd
import pytest
import yaml
from alliance_models.errors import ConfigError
from alliance_models.models.spec import check_columns, load_model_specs, select_rows


def _write(tmp_path, models, defaults=None):
    doc = {"models": models}
    if defaults:
        doc["defaults"] = defaults
    p = tmp_path / "models.yaml"
    p.write_text(yaml.safe_dump(doc))
    return p


BASE = {"name": "m1", "data": "cases", "outcome": "allied", "formula": "allied ~ x + t"}


def test_shipped_models_file_is_valid(root):
    specs = load_model_specs(root / "config" / "models.yaml")
    assert len({s.name for s in specs}) == len(specs) > 0


def test_variants_fan_out(tmp_path):
    m = dict(BASE, formula="allied ~ $d * t", variants={"d": {"cinc": "log_cinc", "gdp": "log_gdp"}})
    specs = load_model_specs(_write(tmp_path, [m]))
    assert [s.name for s in specs] == ["m1-cinc", "m1-gdp"]
    assert specs[1].formula == "allied ~ log_gdp * t" and specs[1].variant == {"d": "gdp"}
    assert specs[0].priors["coefficients"]["sigma"] == 1.0  # default applied


def test_unknown_field_names_model(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown key 'models\[m1\]\.colour'"):
        load_model_specs(_write(tmp_path, [dict(BASE, colour="red")]))


def test_unknown_family_names_model_and_field(tmp_path):
    with pytest.raises(ConfigError, match=r"key 'models\[m1\]\.family': 'poisson' is not one of"):
        load_model_specs(_write(tmp_path, [dict(BASE, family="poisson")]))


def test_impossible_prior(tmp_path):
    bad = dict(BASE, priors={"coefficients": {"dist": "normal", "sigma": -1}})
    with pytest.raises(ConfigError, match=r"models\[m1\]\.priors\.coefficients\.sigma"):
        load_model_specs(_write(tmp_path, [bad]))
    bad = dict(BASE, priors={"coefficients": {"dist": "halfnormal", "sigma": 1}})
    with pytest.raises(ConfigError, match=r"model 'm1': field 'priors.coefficients': halfnormal is positive-only"):
        load_model_specs(_write(tmp_path, [bad]))


def test_formula_outcome_mismatch_and_syntax(tmp_path):
    with pytest.raises(
        ConfigError, match=r"model 'm1': field 'formula': left-hand side 'y' is not the outcome 'allied'"
    ):
        load_model_specs(_write(tmp_path, [dict(BASE, formula="y ~ x")]))
    with pytest.raises(ConfigError, match=r"model 'm1': field 'formula': cannot parse"):
        load_model_specs(_write(tmp_path, [dict(BASE, formula="allied ~ x +* (")]))


def test_duplicate_names_and_bad_data(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_model_specs(_write(tmp_path, [BASE, dict(BASE, data="table.xlsx")]))
    msg = str(err.value)
    assert "model 'm1': field 'name': declared twice" in msg
    assert "model 'm1': field 'data': 'table.xlsx' is neither a pipeline table" in msg


def test_unknown_column_names_model_and_field(tmp_path):
    m = dict(BASE, formula="allied ~ x + np.log(zz)", subset="year > 1945", group=[{"by": "partner"}])
    spec = load_model_specs(_write(tmp_path, [m]))[0]
    with pytest.raises(ConfigError) as err:
        check_columns(spec, ["allied", "x", "year"], "cases.parquet")
    msg = str(err.value)
    assert "model 'm1': field 'formula': column 'zz' is not in cases.parquet" in msg
    assert "model 'm1': field 'group': column 'partner' is not in cases.parquet" in msg


def test_subset_and_holdout_rows(tmp_path):
    m = dict(BASE, subset="year >= 1900", holdout="year > 1945")
    spec = load_model_specs(_write(tmp_path, [m]))[0]
    df = pd.DataFrame({"year": [1850, 1910, 1950, 1960]})
    assert select_rows(spec, df).year.tolist() == [1910]
    assert select_rows(spec, df, "holdout").year.tolist() == [1950, 1960]


def test_empty_file(tmp_path):
    p = tmp_path / "models.yaml"
    p.write_text("")
    with pytest.raises(ConfigError, match="is empty"):
        load_model_specs(p)


def test_columns_checked_at_load_for_pipeline_tables_and_user_files(tmp_path):
    from alliance_models.models.checks import check_all_columns

    csv = tmp_path / "mine.csv"
    csv.write_text("y,x\n0,1\n1,2\n")
    models = [
        dict(BASE, name="on_cases", formula="allied ~ log_cinc_ratio + not_a_column"),
        dict(
            BASE,
            name="on_panel",
            data="dyad_year_ussr",
            outcome="atop_any_onset",
            formula="atop_any_onset ~ log_cinc_ratio + I(conttype == 1) + missing_one",
        ),
        dict(BASE, name="on_csv", data=str(csv), outcome="y", formula="y ~ x + z"),
    ]
    specs = load_model_specs(_write(tmp_path, models))
    with pytest.raises(ConfigError) as err:
        check_all_columns(specs)
    msg = str(err.value)
    assert "model 'on_cases': field 'formula': column 'not_a_column' is not in the cases table" in msg
    assert "model 'on_panel': field 'formula': column 'missing_one' is not in the dyad-year panel" in msg
    assert "conttype" not in msg
    assert f"model 'on_csv': field 'formula': column 'z' is not in '{csv}'" in msg
    with pytest.raises(ConfigError) as err:
        check_all_columns(specs, "config/mine.yaml")
    lines = str(err.value).splitlines()[1:]
    assert len(lines) == 3 and all(l.strip().startswith("models file 'config/mine.yaml': model '") for l in lines)


@pytest.mark.parametrize(
    "field,extra",
    [
        ("formula", {"formula": "allied ~ $disparity + threat_high"}),
        ("subset", {"subset": "year >= $start"}),
        ("drop", {"drop": {"threat": ["$threat"]}}),
    ],
)
def test_placeholder_without_variants_is_named(tmp_path, field, extra):
    with pytest.raises(ConfigError) as err:
        load_model_specs(_write(tmp_path, [dict(BASE, **extra)]))
    msg = str(err.value)
    assert f"model 'm1': field '{field}': placeholder '$" in msg and "has no value" in msg
    assert "variants" in msg and "Unexpected character" not in msg


def test_drop_adds_reduced_models(tmp_path):
    m = dict(
        BASE,
        formula="allied ~ $d * t",
        variants={"d": {"cinc": "log_cinc"}},
        drop={"disparity": ["$d", "$d:t"], "threat": ["t", "$d:t"]},
    )
    specs = {s.name: s for s in load_model_specs(_write(tmp_path, [m]))}
    assert set(specs) == {"m1-cinc", "m1-cinc--drop-disparity", "m1-cinc--drop-threat"}
    r = specs["m1-cinc--drop-disparity"]
    assert r.formula == "allied ~ log_cinc * t - log_cinc - log_cinc:t"
    assert r.reduced_from == "m1-cinc" and r.dropped == "disparity" and not r.drop
    df = pd.DataFrame({"allied": [0, 1, 0, 1, 1, 0], "log_cinc": [1.0, 2, 3, 4, 5, 2], "t": [0, 1, 0, 1, 1, 1]})
    from alliance_models.models.matrix import build_model_data

    assert build_model_data(r, df).X.columns.tolist() == ["Intercept", "t"]


def test_reduced_model_keeps_the_full_models_rows(tmp_path):
    import numpy as np
    from alliance_models.models.matrix import build_model_data

    m = dict(BASE, formula="allied ~ x + t", drop={"x": ["x"]})
    specs = {s.name: s for s in load_model_specs(_write(tmp_path, [m]))}
    df = pd.DataFrame({"allied": [0, 1, 0, 1, 1, 0], "x": [1.0, np.nan, 3, 4, 5, 2], "t": [0, 1, 0, 1, 1, 1]})
    full, reduced = build_model_data(specs["m1"], df), build_model_data(specs["m1--drop-x"], df)
    assert list(full.rows) == list(reduced.rows) == [0, 2, 3, 4, 5]
    assert reduced.X.columns.tolist() == ["Intercept", "t"]


def test_formula_may_use_bare_log(tmp_path):
    from alliance_models.models.matrix import build_model_data

    m = dict(BASE, formula="allied ~ log(x) + t")
    spec = load_model_specs(_write(tmp_path, [m]))[0]
    df = pd.DataFrame({"allied": [0, 1, 0, 1], "x": [1.0, 2, 3, 4], "t": [0, 1, 0, 1]})
    assert build_model_data(spec, df).X["log(x)"].tolist() == pytest.approx([0.0, 0.6931, 1.0986, 1.3863], abs=1e-4)


def _user_frame():
    return pd.DataFrame(
        {
            "allied": [0, 1, 1, 0, 1],
            "x": [0.5, -1.25, 2.0, 3.5, 0.0],
            "t": [1, 0, 1, 1, 0],
            "partner": ["a", "b", "a", "c", "b"],
        }
    )


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet", ".dta", ".rda", ".rds"])
def test_user_data_in_common_formats_is_read_checked_and_fitted(tmp_path, suffix, monkeypatch):
    """A model may point at a CSV, TSV, parquet, Stata or R file: its columns
    are checked when the models file loads and the fit reads the same rows."""
    import pyreadr
    from alliance_models.models.checks import check_all_columns
    from alliance_models.models.matrix import build_model_data
    from alliance_models.models.spec import load_model_frame, read_user_table

    df = _user_frame()
    path = tmp_path / f"mine{suffix}"
    if suffix in (".csv", ".tsv"):
        df.to_csv(path, sep="," if suffix == ".csv" else "\t", index=False)
    elif suffix == ".parquet":
        df.to_parquet(path, index=False)
    elif suffix == ".dta":
        df.to_stata(path, write_index=False)
    elif suffix == ".rda":
        pyreadr.write_rdata(str(path), df, df_name="mine")
    else:
        pyreadr.write_rds(str(path), df)
    monkeypatch.chdir(tmp_path)
    specs = load_model_specs(_write(tmp_path, [dict(BASE, data=path.name, group=[{"by": "partner"}])]))
    check_all_columns(specs)
    assert list(read_user_table(path, header_only=True).columns) == list(df.columns)
    got = load_model_frame(specs[0], path.name)
    assert got["allied"].astype(int).tolist() == df["allied"].tolist()
    assert got["x"].astype(float).tolist() == df["x"].tolist()
    assert got["partner"].astype(str).tolist() == df["partner"].tolist()
    md = build_model_data(specs[0], got)
    assert md.coef_names == ["x", "t"] and len(md.y) == 5 and md.groups[0]["levels"] == ["a", "b", "c"]
    with pytest.raises(ConfigError, match=rf"model 'm1': field 'formula': column 'zz' is not in '{path.name}'"):
        check_all_columns(load_model_specs(_write(tmp_path, [dict(BASE, data=path.name, formula="allied ~ x + zz")])))


def test_unreadable_user_data_names_model_field_and_file(tmp_path, monkeypatch):
    """A user's file that exists but is not what its suffix says fails when
    the models file loads, naming the model, the field and the file; a file
    that vanished before the job names them too."""
    from alliance_models.models.checks import check_all_columns
    from alliance_models.models.spec import load_model_frame

    monkeypatch.chdir(tmp_path)
    for name in ("broken.rda", "broken.dta", "broken.parquet"):
        (tmp_path / name).write_bytes(b"not really " + name.encode())
        specs = load_model_specs(_write(tmp_path, [dict(BASE, data=name)]))
        with pytest.raises(ConfigError, match=rf"model 'm1': field 'data': cannot read '{name}'"):
            check_all_columns(specs)
    with pytest.raises(ConfigError, match=r"model 'm1': field 'data': cannot read 'gone\.dta'"):
        load_model_frame(specs[0], "gone.dta")


@pytest.mark.parametrize(
    "model,message",
    [
        (
            dict(formula="allied ~ x + c"),
            r"field 'formula': on the 5 rows fitted, the design matrix has rank 2 < 3 columns: column\(s\) 'c'",
        ),
        (dict(formula="allied ~ x + I(2 * x)"), r"field 'formula': .*column\(s\) 'I\(2 \* x\)' are all zero or linear"),
        (
            dict(outcome="t3", formula="t3 ~ x"),
            r"field 'outcome': bernoulli needs 0/1 values in 't3', found 2 at row 2 \(1 such row\(s\)\)",
        ),
        (
            dict(formula="allied ~ x", subset="partner > 3"),
            r"field 'subset': cannot evaluate 'partner > 3' on the data",
        ),
        (dict(formula="allied ~ x", subset="x > 100"), r"field 'data': no complete rows left"),
        (
            dict(outcome="partner", formula="partner ~ x", family="categorical", categories=["a", "b"]),
            r"field 'outcome': value 'c' at row 3 is not among categories \['a', 'b'\]",
        ),
    ],
)
def test_a_user_file_model_that_cannot_be_fitted_fails_when_the_workflow_loads(tmp_path, monkeypatch, model, message):
    """A user's file exists before the run, so its models are built at load
    time: the error names the models file, the model and the field, and no
    job starts."""
    from alliance_models.models.checks import check_all_columns

    monkeypatch.chdir(tmp_path)
    _user_frame().assign(c=1.0, t3=[0, 1, 2, 0, 1]).to_csv(tmp_path / "mine.csv", index=False)
    path = _write(tmp_path, [dict(BASE, data="mine.csv", **model)])
    with pytest.raises(ConfigError, match=rf"models file '{path}': model 'm1': " + message):
        check_all_columns(load_model_specs(path), path)


def test_config_variants_keep_only_the_labels_asked_for(tmp_path):
    """config `variants`: a model with that dimension keeps those labels (and
    their reduced models); models without it are untouched."""
    m = dict(
        BASE,
        formula="allied ~ $d + t",
        variants={"d": {"cinc": "x", "gdp": "x2", "milex": "x3"}},
        drop={"disparity": ["$d"]},
    )
    plain = dict(BASE, name="m2")
    path = _write(tmp_path, [m, plain])
    names = sorted(s.name for s in load_model_specs(path, {"d": ["cinc", "milex"]}))
    assert names == ["m1-cinc", "m1-cinc--drop-disparity", "m1-milex", "m1-milex--drop-disparity", "m2"]
    assert len(load_model_specs(path, {})) == 7


def test_config_variants_naming_nothing_is_refused(tmp_path):
    m = dict(BASE, formula="allied ~ $d + t", variants={"d": {"cinc": "x", "gdp": "x2"}})
    path = _write(tmp_path, [m])
    with pytest.raises(ConfigError) as err:
        load_model_specs(path, {"d": ["cinc", "pop"], "measure": ["cinc"]})
    msg = str(err.value)
    assert f"config key 'variants.d': no model in models file '{path}' has the label 'pop' (labels: cinc, gdp)" in msg
    assert "config key 'variants.measure': no model in" in msg and "(dimensions: d)" in msg


def test_quick_config_is_valid_and_fits_every_model_under_the_primary_measure(root):
    """config/quick.yaml over the default config validates and leaves one
    variant (latent; cinc for the change models) of every model that has it,
    and no common-sample refits (one measure: nothing to compare)."""
    from alliance_models.config import validate_config

    cfg = yaml.safe_load((root / "config" / "config.yaml").read_text())
    cfg.update(yaml.safe_load((root / "config" / "quick.yaml").read_text()))
    cfg = validate_config(cfg, root / "config" / "config.schema.json")
    specs = load_model_specs(root / "config" / "models.yaml", cfg["variants"])
    full = load_model_specs(root / "config" / "models.yaml")
    assert {s.base for s in full} - {s.base for s in specs} == {"cases_category"}  # categorical: no latent
    assert all(
        s.variant
        in (
            {},
            {"disparity": "latent"},
            {"change": "cinc"},
            {"disparity": "latent", "type": "defense"},
            {"disparity": "latent", "type": "any"},
            {"type": "defense"},
            {"type": "any"},
        )
        for s in specs
    )
    # since issue 25: ussr_timing_any declares its threat block (a drop refit, +1 each) and the
    # carry-over null ussr_forecast_null has two fits (one per alliance type, +2 each); the break
    # model ussr_breaks (item 3) one per change measure, each also on the common sample (+1 / +6); the
    # listwise-deletion robustness fit of the partner choice ussr_choice_listwise (item 9, +1 each);
    # the timing and the partner choice without the war years 1939-1945 (+2 each)
    assert len(specs) == 40 and len(full) == 128


def test_common_sample_refits_each_variant_on_the_rows_every_measure_has(tmp_path):
    m = dict(
        BASE,
        formula="allied ~ $d + t",
        sample="common",
        drop={"d": ["$d"]},
        variants={"d": {"cinc": "log_cinc", "gdp": "np.log(gdp)"}},
    )
    specs = {s.name: s for s in load_model_specs(_write(tmp_path, [m]))}
    assert set(specs) == {"m1-cinc", "m1-gdp", "m1-cinc--drop-d", "m1-gdp--drop-d", "m1-cinc-common", "m1-gdp-common"}
    common = specs["m1-cinc-common"]
    assert common.complete_on == ["gdp", "log_cinc"] and common.variant == {"d": "cinc", "sample": "common"}
    assert common.drop == {} and specs["m1-cinc"].complete_on == []
    frame = pd.DataFrame(
        {
            "allied": [1, 0, 1, 0, 1, 0, 1],
            "log_cinc": [0.1, 0.2, None, 0.3, 0.5, 0.7, 0.2],
            "gdp": [1.0, None, 2.0, 3.0, 2.5, 1.5, 4.0],
            "t": [0, 1, 0, 1, 1, 0, 0],
        }
    )
    from alliance_models.models.matrix import build_model_data

    assert list(build_model_data(common, frame).rows) == [0, 3, 4, 5, 6]  # both measures present
    assert list(build_model_data(specs["m1-cinc"], frame).rows) == [0, 1, 3, 4, 5, 6]
    with pytest.raises(ConfigError, match=r"model 'm2': field 'sample': 'common' needs variants"):
        load_model_specs(_write(tmp_path, [dict(BASE, name="m2", sample="common")]))
