"""Atomic writes: a failure never leaves a file under its final name."""

import hashlib

import pandas as pd
import pytest

from alliance_models import io


def test_failed_write_leaves_no_file(tmp_path):
    target = tmp_path / "out" / "table.csv"
    with pytest.raises(RuntimeError):
        with io.atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert not target.exists()
    assert list(target.parent.iterdir()) == []


def test_failed_write_keeps_previous_version(tmp_path):
    target = tmp_path / "t.txt"
    io.write_text("good", target)
    with pytest.raises(ValueError):
        with io.atomic_path(target) as tmp:
            tmp.write_text("bad")
            raise ValueError
    assert target.read_text() == "good"


def test_parquet_is_byte_identical(tmp_path):
    df = pd.DataFrame({"ccode": [2, 365], "year": [1950, 1950], "cinc": [0.3, 0.18], "abb": ["USA", "RUS"]})
    io.write_parquet(df, tmp_path / "a.parquet")
    io.write_parquet(df.copy(), tmp_path / "b.parquet")
    h = [hashlib.sha256((tmp_path / n).read_bytes()).hexdigest() for n in ("a.parquet", "b.parquet")]
    assert h[0] == h[1]
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "a.parquet"), df)


def test_outputs_are_readable_by_others(tmp_path):
    import os
    import stat

    io.write_text("x", tmp_path / "r.html")
    mode = stat.S_IMODE(os.stat(tmp_path / "r.html").st_mode)
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask
