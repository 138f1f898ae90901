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
