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


def test_what_a_killed_write_left_is_found_and_removed(tmp_path):
    """A write killed outright leaves atomic_path's temporary file; the
    workflow's start removes it (alliance_models.leftovers), nothing else."""
    from alliance_models.leftovers import remove_stale_parts, stale_parts

    out = tmp_path / "results" / "m" / "summary.csv"
    kept = [tmp_path / "results" / "m" / "notes.part", tmp_path / "results" / "m" / "x.csv"]
    # a real atomic write, entered and never left, as SIGKILL leaves it (no cleanup runs)
    tmp = io.atomic_path(out).__enter__()
    tmp.write_text("half")
    for k in kept:
        k.write_text("mine")
    assert stale_parts([tmp_path / "results", tmp_path / "absent"]) == [tmp]
    assert remove_stale_parts([tmp_path / "results"]) == [tmp]
    assert not tmp.exists() and all(k.exists() for k in kept) and not out.exists()


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


def test_idata_round_trip_keeps_every_group_and_skips_compressing_the_log_likelihood(tmp_path):
    """write_idata: groups, values, dtypes and attributes come back as written;
    only the log-likelihood is stored without zlib."""
    import arviz as az
    import numpy as np
    import xarray as xr

    rng = np.random.default_rng(0)
    post = xr.Dataset(
        {"beta": (("chain", "draw", "coef"), rng.normal(size=(2, 50, 3)))},
        coords={"chain": [0, 1], "draw": np.arange(50), "coef": ["a", "b", "c"]},
    )
    ll = xr.Dataset(
        {"y": (("chain", "draw", "obs"), rng.normal(size=(2, 10, 400)).astype("float32"))},
        coords={"chain": [0, 1], "draw": np.arange(0, 50, 5), "obs": np.arange(400)},
    )
    pp = xr.Dataset(
        {"y": (("chain", "draw", "obs"), rng.integers(0, 2, (2, 10, 400)).astype("int8"))}, coords=ll.coords
    )
    idata = az.InferenceData(posterior=post, log_likelihood=ll, posterior_predictive=pp)
    idata.attrs["model_spec"] = '{"name": "m"}'
    out = tmp_path / "posterior.nc"
    io.write_idata(idata, out)
    back = az.from_netcdf(str(out))
    assert set(back.groups()) == {"posterior", "log_likelihood", "posterior_predictive"}
    assert back.attrs["model_spec"] == '{"name": "m"}'
    np.testing.assert_array_equal(back.log_likelihood["y"].values, ll["y"].values)
    np.testing.assert_array_equal(back.posterior["beta"].values, post["beta"].values)
    assert back.posterior_predictive["y"].dtype == np.int8 and back.log_likelihood["y"].dtype == np.float32
    assert back.posterior["beta"].encoding.get("zlib") is True
    assert not back.log_likelihood["y"].encoding.get("zlib")
    assert [p.name for p in tmp_path.iterdir()] == ["posterior.nc"]
