import subprocess
import sys

import numpy as np
import pytest
import xarray as xr

import xinr
from xinr.cli import main

from .conftest import analytic_field


def test_demo_runs_offline(tmp_path, capsys):
    assert main(["demo", "--max-time", "3", "--out", str(tmp_path), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "RMSE on the" in out and "nearest" in out and "mean of obs" in out
    assert "linear" in out and "own estimate at its" in out  # the bar, and the fit's own figure
    # the default model="auto" names what it trained: MMGN at the demo's moving positions
    assert "xinr mmgn" in out
    rec = xr.open_dataset(tmp_path / "demo_reconstruction.nc")
    assert rec["sst"].shape == (12, 90, 180)


def test_fit_and_reconstruct_files(tmp_path):
    truth, obs = analytic_field()
    src = tmp_path / "in.nc"
    obs.to_dataset().to_netcdf(src)
    model = tmp_path / "m.xinr"
    assert (
        main(["fit", str(src), "--var", "tas", "-o", str(model), "--epochs", "3", "--quiet"]) == 0
    )
    out = tmp_path / "out.nc"
    assert main(["reconstruct", str(model), "-o", str(out)]) == 0
    rec = xr.open_dataset(out)["tas"]
    assert rec.shape == obs.shape and np.isfinite(rec.values).all()
    like = tmp_path / "like.nc"
    xr.Dataset(coords={"lat": [0.0, 10.0], "lon": [0.0, 5.0, 10.0]}).to_netcdf(like)
    out2 = tmp_path / "out2.nc"
    assert main(["reconstruct", str(model), "--like", str(like), "-o", str(out2)]) == 0
    assert xr.open_dataset(out2)["tas"].shape == (4, 2, 3)
    again = xinr.load(model)
    assert again.name_ == "tas"


def test_fit_bounds_option(tmp_path, capsys):
    _, obs = analytic_field()
    src = tmp_path / "in.nc"
    obs.to_dataset().to_netcdf(src)
    model = tmp_path / "m.xinr"
    args = ["fit", str(src), "-o", str(model), "--epochs", "2", "--quiet"]
    assert main([*args, "--bounds", "0,290"]) == 0
    assert xinr.load(model).bounds_ == (0.0, 290.0)
    assert main([*args, "--bounds", ",290"]) == 0
    assert xinr.load(model).bounds_ == (None, 290.0)
    assert main([*args, "--bounds", "none"]) == 0
    assert xinr.load(model).bounds_ is None
    assert main(args) == 0
    assert xinr.load(model).bounds_ == (float(obs.min()), float(obs.max()))
    with pytest.raises(SystemExit) as err:
        main([*args, "--bounds", "0-1"])
    assert err.value.code == 2
    assert "expected 'observed', 'none' or LO,HI" in capsys.readouterr().err


def test_module_entry_point_help():
    r = subprocess.run([sys.executable, "-m", "xinr", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "demo" in r.stdout


def test_benchmark_command_and_report(tmp_path, capsys):
    out = tmp_path / "res.jsonl"
    args = ["benchmark", "--dataset", "sample", "--task", "1", "3", "--ratio", "0.05"]
    args += ["--snapshots", "2", "--epochs", "2", "-o", str(out)]
    assert main(args) == 0
    import json

    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["task"] for r in rows] == [1, 3] and all(r["snapshots"] == 2 for r in rows)
    assert all(0 < r["mse_paper"] and r["mse_paper"] <= r["mse_unobserved"] * 1.5 for r in rows)
    capsys.readouterr()
    assert main(["benchmark", "report", str(out)]) == 0
    table = capsys.readouterr().out
    assert "task 1" in table and "sample" in table and "mmgn" in table


def _cftime_file(path, nt=4):
    """A gappy field on a noleap calendar, compressed and chunked, beside a complete one."""
    cftime = pytest.importorskip("cftime")
    truth, obs = analytic_field(nt=nt)
    times = [cftime.DatetimeNoLeap(2001, 2, 28 + i) if i < 1 else cftime.DatetimeNoLeap(2001, 3, i) for i in range(nt)]  # fmt: skip
    ds = obs.assign_coords(time=times).to_dataset()
    ds["orog"] = truth.isel(time=0, drop=True).rename("orog")
    ds.attrs = {"title": "test", "history": "made by a test"}
    enc = {"tas": {"zlib": True, "complevel": 4, "chunksizes": (1, 19, 36)}}
    ds.to_netcdf(path, encoding=enc)
    return truth, ds


def test_fill_round_trips_a_compressed_cftime_file(tmp_path, capsys):
    src, dst = tmp_path / "in.nc", tmp_path / "out.nc"
    truth, ds = _cftime_file(src)
    assert main(["fill", str(src), "-o", str(dst), "--epochs", "20", "--seed", "0"]) == 0
    assert ": tas filled" in capsys.readouterr().out  # the only variable with gaps
    with xr.open_dataset(src) as a, xr.open_dataset(dst) as b:
        assert b["tas"].notnull().all()
        seen = a["tas"].notnull()
        np.testing.assert_array_equal(b["tas"].values[seen.values], a["tas"].values[seen.values])
        assert b.time.encoding["calendar"] == "noleap" and (b.time.values == a.time.values).all()
        assert b["tas"].encoding["zlib"] and b["tas"].encoding["complevel"] == 4
        assert b["tas"].encoding["chunksizes"] == (1, 19, 36)
        assert b["tas"].attrs == a["tas"].attrs and b.attrs["title"] == "test"
        assert b.attrs["history"].startswith("made by a test\n") and "xinr fill" in b.attrs["history"]
        xr.testing.assert_identical(b["orog"], a["orog"])
        err = float(np.abs(b["tas"] - truth.values).where(~seen).max())
        assert err < 5.0  # K: a field of 260-300 K, filled from half its points


def test_fill_from_a_saved_model_fills_new_snapshots_one_by_one(tmp_path, capsys):
    truth, obs = analytic_field(nt=6)
    model = tmp_path / "m.xinr"
    obs.isel(time=slice(0, 4)).inr.fit(model="mmgn", epochs=20, ensemble=1, progress=False).save(model)
    new = tmp_path / "new.nc"
    obs.isel(time=slice(4, 6)).to_dataset().to_netcdf(new)
    out = tmp_path / "filled.nc"
    assert main(["fill", str(new), "--from", str(model), "-o", str(out), "--epochs", "30"]) == 0
    text = capsys.readouterr().out
    assert text.count("observed") == 2  # one line per snapshot
    with xr.open_dataset(out) as b:
        assert b["tas"].sizes["time"] == 2 and b["tas"].notnull().all()
    # a file with nothing to fill: a clear error and a non-zero exit code
    full = tmp_path / "full.nc"
    truth.to_dataset().to_netcdf(full)
    assert main(["fill", str(full), "-o", str(tmp_path / "x.nc"), "--quiet"]) == 2
    assert "no data variable has gaps" in capsys.readouterr().err
