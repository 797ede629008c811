"""Checks added for hostile inputs: fetch refuses a file whose structure is
not the declared one; a config error names the file that sets the key; the
Maddison mapping's unreadable or non-numeric rows are named."""

import hashlib

import pandas as pd
import pyreadr
import pytest
import yaml
from alliance_models.config import config_source, load_sources, validate_config
from alliance_models.data import maddison
from alliance_models.errors import ConfigError, FetchError, SourceFormatError
from alliance_models.fetch import fetch_source


def _mirror_with(tmp_path, name, content: bytes):
    mirror = tmp_path / "mirror"
    (mirror / "d").mkdir(parents=True)
    (mirror / "d" / name).write_bytes(content)
    return mirror, hashlib.sha256(content).hexdigest()


def _rda(tmp_path, obj, df):
    p = tmp_path / "x.rda"
    pyreadr.write_rdata(str(p), df, df_name=obj, compress="gzip")
    return p.read_bytes()


def test_rda_without_the_declared_object_is_refused(tmp_path):
    content = _rda(tmp_path, "states_v2", pd.DataFrame({"ccode": [2.0]}))
    mirror, sha = _mirror_with(tmp_path, "s.rda", content)
    entry = {
        "file": "d/s.rda",
        "url": "https://example.invalid/s.rda",
        "sha256": sha,
        "format": "rda",
        "object": "cow_states",
    }
    dest = tmp_path / "out" / "s.rda"
    with pytest.raises(
        FetchError,
        match=r"source 'toy': file 'd/s\.rda' .*R object 'cow_states' not found "
        r"\(objects present: states_v2\)",
    ):
        fetch_source("toy", entry, dest, mirror)
    assert not dest.exists() and list(dest.parent.iterdir()) == []


def test_declared_columns_are_required(tmp_path):
    content = b"ccode,year,milex_k\n2,1816,1\n"
    mirror, sha = _mirror_with(tmp_path, "n.csv", content)
    entry = {
        "file": "d/n.csv",
        "url": "https://example.invalid/n.csv",
        "sha256": sha,
        "format": "csv",
        "columns": ["ccode", "year", "milex"],
    }
    dest = tmp_path / "out" / "n.csv"
    with pytest.raises(FetchError, match=r"source 'toy': file 'd/n\.csv' .*missing column\(s\) 'milex'"):
        fetch_source("toy", entry, dest, mirror)
    assert not dest.exists()
    entry["columns"] = ["ccode", "year"]
    fetch_source("toy", entry, dest, mirror)
    assert dest.read_bytes() == content


def test_text_where_rda_expected_is_refused(tmp_path):
    mirror, sha = _mirror_with(tmp_path, "t.rda", b"not R data\n")
    entry = {"file": "d/t.rda", "url": "https://example.invalid/t.rda", "sha256": sha, "format": "rda", "object": "x"}
    with pytest.raises(FetchError, match=r"cannot be read as R data"):
        fetch_source("toy", entry, tmp_path / "out" / "t.rda", mirror)


def test_shipped_sources_declare_columns_the_mirror_has(mirror, sources, tmp_path):
    for name, entry in sources.items():
        if entry.get("columns"):
            fetch_source(name, entry, tmp_path / entry["file"], mirror)  # raises if a column is missing


def test_sources_columns_must_be_a_list(root, tmp_path):
    doc = yaml.safe_load((root / "config" / "sources.yaml").read_text())
    doc["nmc6"]["columns"] = "ccode"
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(doc))
    with pytest.raises(ConfigError, match=r"source 'nmc6': key 'columns' must be a list of column names"):
        load_sources(p)


def test_config_error_names_the_file_that_sets_the_key(root, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    base = yaml.safe_load((root / "config" / "config.yaml").read_text())
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(base))
    (tmp_path / "b.yaml").write_text("sampling:\n  draws: lots\ncolour: red\n")
    merged = {**base, "colour": "red", "sampling": {**base["sampling"], "draws": "lots"}}
    with pytest.raises(ConfigError) as err:
        validate_config(merged, root / "config" / "config.schema.json", files=["a.yaml", "b.yaml"])
    msg = str(err.value)
    assert "config file 'b.yaml': key 'sampling.draws': 'lots' is not of type 'integer'" in msg
    assert "config file 'b.yaml': unknown key 'colour'" in msg
    # the last file that sets a key is the one named; --config beats every file
    assert config_source(["seed"], ["a.yaml", "b.yaml"]) == "a.yaml"
    assert config_source(["seed"], ["a.yaml"], overrides={"seed": -1}) == "--config"
    assert config_source(["nothing"], ["a.yaml", "b.yaml"]) is None


def test_mapping_unreadable_or_non_numeric(tmp_path):
    p = tmp_path / "m.csv"
    p.write_text(
        "iso3,maddison_name,ccode,start_year,end_year,decision,reason\n"
        "SUN,Former USSR,USSR,1922,1991.5,union,text code\n"
    )
    with pytest.raises(SourceFormatError) as err:
        maddison.load_mapping(p)
    assert "row 2 (SUN): field 'ccode': 'USSR' is not a whole number" in str(err.value)
    assert "row 2 (SUN): field 'end_year': '1991.5' is not a whole number" in str(err.value)
    p.write_bytes(b"iso3,reason\n\xff\xfe,\n")
    with pytest.raises(SourceFormatError, match=r"cannot be read as a CSV mapping table"):
        maddison.load_mapping(p)
    with pytest.raises(SourceFormatError, match=r"does not exist \(config key 'gdp\.mapping'\)"):
        maddison.load_mapping(tmp_path / "absent.csv")


def test_atomic_outputs_get_the_usual_file_mode(tmp_path):
    import os

    from alliance_models.io import write_text

    mask = os.umask(0o022)
    try:
        write_text("x", tmp_path / "out.txt")
    finally:
        os.umask(mask)
    assert (tmp_path / "out.txt").stat().st_mode & 0o777 == 0o644
