"""Configuration and source-list validation."""

import copy

import pytest
import yaml
from alliance_models.config import load_sources, validate_config
from alliance_models.errors import ConfigError


@pytest.fixture()
def config(root):
    return yaml.safe_load((root / "config" / "config.yaml").read_text())


@pytest.fixture()
def schema(root):
    return root / "config" / "config.schema.json"


def test_default_config_is_valid_and_gets_defaults(config, schema):
    del config["sampling"]
    out = validate_config(config, schema)
    assert out["sampling"]["draws"] == 1000 and out["diagnostics"]["rhat_max"] == 1.01


def test_unknown_top_level_key_is_named(config, schema):
    config["colour"] = "red"
    with pytest.raises(ConfigError, match=r"unknown key 'colour'"):
        validate_config(config, schema)


def test_unknown_nested_key_is_named(config, schema):
    config["sampling"]["drawz"] = 10
    with pytest.raises(ConfigError, match=r"unknown key 'sampling.drawz'"):
        validate_config(config, schema)


def test_wrong_type_names_the_key(config, schema):
    config["sampling"]["draws"] = "many"
    with pytest.raises(ConfigError, match=r"key 'sampling.draws': 'many' is not of type 'integer'"):
        validate_config(config, schema)


def test_wrong_enum_names_the_key(config, schema):
    config["capabilities"] = "nmc5"
    with pytest.raises(ConfigError, match=r"key 'capabilities': 'nmc5' is not one of"):
        validate_config(config, schema)


def test_reversed_years(config, schema):
    config["years"] = {"start": 1990, "end": 1950}
    with pytest.raises(ConfigError, match=r"key 'years': start 1990 is after end 1950"):
        validate_config(config, schema)


def test_all_problems_reported_together(config, schema):
    config["seed"] = -1
    config["bogus"] = 1
    with pytest.raises(ConfigError) as err:
        validate_config(config, schema)
    assert "'seed'" in str(err.value) and "'bogus'" in str(err.value)


def test_sources_file_is_complete(root):
    sources = load_sources(root / "config" / "sources.yaml")
    needed = {
        "nmc6",
        "nmc7",
        "maddison",
        "atop",
        "cow_states",
        "cow_majors",
        "cow_ddy",
        "contiguity",
        "mindist",
        "cow_mid_dyadic",
        "cow_mid_directed",
        "gml_mid",
        "td_rivalries",
        "tss_rivalries",
        "terrthreat",
    }
    assert needed <= set(sources)
    for name, entry in sources.items():
        assert entry["url"].startswith("https://"), name


def test_sources_file_errors_name_source_and_key(root, tmp_path):
    sources = yaml.safe_load((root / "config" / "sources.yaml").read_text())
    bad = copy.deepcopy(sources)
    del bad["nmc7"]["sha256"]
    bad["atop"]["sha256"] = "xyz"
    bad["maddison"]["colour"] = "red"
    p = tmp_path / "sources.yaml"
    p.write_text(yaml.safe_dump(bad))
    with pytest.raises(ConfigError) as err:
        load_sources(p)
    msg = str(err.value)
    assert "source 'nmc7': missing required key 'sha256'" in msg
    assert "source 'atop': key 'sha256' must be 64 hex digits" in msg
    assert "source 'maddison': unknown key 'colour'" in msg
