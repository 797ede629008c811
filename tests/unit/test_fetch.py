"""Fetch: mirror copy, checksum, missing files, failed downloads."""

import hashlib

import pytest
from alliance_models.errors import FetchError
from alliance_models.fetch import fetch_source, resolve_mirror


def _source(tmp_path, content=b"ccode,year\n2,1816\n", sha=None):
    mirror = tmp_path / "mirror"
    (mirror / "cow").mkdir(parents=True)
    (mirror / "cow" / "x.csv").write_bytes(content)
    entry = {
        "file": "cow/x.csv",
        "url": "https://example.invalid/x.csv",
        "sha256": sha or hashlib.sha256(content).hexdigest(),
    }
    return mirror, entry


def test_copies_from_mirror_and_verifies(tmp_path):
    mirror, entry = _source(tmp_path)
    dest = tmp_path / "out" / "cow" / "x.csv"
    fetch_source("toy", entry, dest, mirror)
    assert dest.read_bytes() == b"ccode,year\n2,1816\n"
    assert [p.name for p in dest.parent.iterdir()] == ["x.csv"]


def test_bad_checksum_names_source_and_both_hashes(tmp_path):
    mirror, entry = _source(tmp_path, sha="0" * 64)
    dest = tmp_path / "out" / "x.csv"
    with pytest.raises(FetchError) as err:
        fetch_source("toy", entry, dest, mirror)
    msg = str(err.value)
    actual = hashlib.sha256(b"ccode,year\n2,1816\n").hexdigest()
    assert "'toy'" in msg and "0" * 64 in msg and actual in msg
    assert "sources.yaml" in msg
    # nothing under the final name, no temporary left behind
    assert not dest.exists()
    assert list(dest.parent.iterdir()) == []


def test_file_missing_from_mirror(tmp_path):
    mirror, entry = _source(tmp_path)
    entry["file"] = "cow/absent.csv"
    dest = tmp_path / "out" / "absent.csv"
    with pytest.raises(FetchError, match=r"source 'toy': file 'cow/absent.csv' is missing from the data mirror"):
        fetch_source("toy", entry, dest, mirror)
    assert not dest.exists()


def test_failed_download_leaves_nothing(tmp_path):
    entry = {"file": "x.csv", "url": "http://127.0.0.1:9/none.csv", "sha256": "a" * 64}
    dest = tmp_path / "out" / "x.csv"
    with pytest.raises(FetchError, match=r"source 'toy': download of http://127.0.0.1:9/none.csv failed"):
        fetch_source("toy", entry, dest, None, timeout=5)
    assert not dest.exists()
    assert list(dest.parent.iterdir()) == []


def test_existing_good_file_is_not_clobbered_by_a_bad_fetch(tmp_path):
    mirror, entry = _source(tmp_path)
    dest = tmp_path / "out" / "x.csv"
    fetch_source("toy", entry, dest, mirror)
    (mirror / "cow" / "x.csv").write_bytes(b"corrupt")
    with pytest.raises(FetchError):
        fetch_source("toy", entry, dest, mirror)
    assert dest.read_bytes() == b"ccode,year\n2,1816\n"


def test_every_declared_source_matches_the_mirror(mirror, sources, tmp_path):
    for name, entry in sources.items():
        dest = tmp_path / entry["file"]
        fetch_source(name, entry, dest, mirror)
        assert dest.stat().st_size == (mirror / entry["file"]).stat().st_size


def test_resolve_mirror(tmp_path):
    (tmp_path / "shared" / "data").mkdir(parents=True)
    (tmp_path / "proj").mkdir()
    assert resolve_mirror("auto", tmp_path / "proj") == (tmp_path / "shared" / "data").resolve()
    (tmp_path / "elsewhere" / "proj").mkdir(parents=True)
    assert resolve_mirror("auto", tmp_path / "elsewhere" / "proj") is None
    assert resolve_mirror(None, tmp_path) is None
    assert resolve_mirror("m", tmp_path) == (tmp_path / "m").resolve()


def test_the_project_root_from_a_script_folder_snakemake_gives(tmp_path):
    """Snakemake names a rule script's folder 'workflow/rules/../scripts': the
    mirror 'auto' (<root>/../shared/data) must be found from it all the same."""
    from alliance_models.fetch import project_root, resolve_mirror

    root = tmp_path / "proj"
    (root / "workflow" / "rules").mkdir(parents=True)
    (root / "workflow" / "scripts").mkdir()
    (tmp_path / "shared" / "data").mkdir(parents=True)
    assert project_root(root / "workflow" / "rules" / ".." / "scripts") == root.resolve()
    assert (
        resolve_mirror("auto", project_root(f"{root}/workflow/rules/../scripts"))
        == (tmp_path / "shared" / "data").resolve()
    )
