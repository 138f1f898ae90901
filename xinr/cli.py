"""Command line: ``xinr demo``, ``xinr fill``, ``xinr fit``, ``xinr reconstruct``,
``xinr benchmark``."""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np


def _open(path: str):
    import xarray as xr

    try:
        return xr.open_dataset(path)
    except ValueError:  # undecodable times (e.g. year 0): keep them numeric
        return xr.open_dataset(path, decode_times=False)


def cmd_demo(a) -> int:
    import xinr
    from xinr.benchmark import sample_mask
    from xinr.classical import fill
    from xinr.coords import find_layout, spatial_points

    ds = xinr.datasets.load_sample()
    truth = ds["sst"]
    lay = find_layout(truth)
    lat, lon = spatial_points(truth, lay)
    values = truth.values.reshape(truth.shape[0], -1)
    valid = np.isfinite(values)
    mask = sample_mask(valid, a.ratio, 3, a.seed)
    obs = truth.where(mask.reshape(truth.shape))
    hidden = valid & ~mask
    print(
        f"COADS SST climatology {dict(truth.sizes)}: keeping {mask.sum()} of {valid.sum()} ocean "
        f"values ({a.ratio:.0%} per month, different points each month); hiding the rest."
    )
    t0 = time.perf_counter()
    fitted = obs.inr.fit(
        model=a.model, max_time=a.max_time, device=a.device, seed=a.seed, progress=not a.quiet
    )
    fit_s = time.perf_counter() - t0
    trained = fitted.network_["model"]  # (what model="auto" chose)
    recon = fitted.reconstruct()
    pred = recon.values.reshape(values.shape)
    seen = np.where(mask, values, np.nan)
    lin = fill("linear", lat, lon, seen, hidden)  # the bar: scipy's griddata per month
    near = fill("nearest", lat, lon, seen, hidden)
    mean = np.nanmean(seen)

    def rmse(p):
        return float(np.sqrt(np.mean((p[hidden] - values[hidden]) ** 2)))

    units = truth.attrs.get("units", "")
    print(f"\nRMSE on the {hidden.sum()} hidden ocean points ({units}):")
    for name, p, note in (
        (f"xinr {trained}", pred, f"   (fit {fit_s:.0f} s)"),
        ("linear", lin, "   (scipy griddata per month)"),
        ("nearest", near, ""),
        ("mean of obs", np.full_like(values, mean), ""),
    ):
        print(f"  {name:<14} {rmse(p):8.3f}{note}")
    score = fitted.held_out_score_
    if score is not None:  # what a user without the truth gets from the fit itself
        print(
            f"xinr's own estimate at its {score['locations']} held-out locations: RMSE "
            f"{score['rmse']:.3f}, linear {score['rmse_linear']:.3f} (MSE "
            f"{score['mse_vs_linear']:+.0%} +/- {score['se']:.0%})"
        )
    os.makedirs(a.out, exist_ok=True)
    nc = os.path.join(a.out, "demo_reconstruction.nc")
    recon.where(np.isfinite(truth)).to_dataset(name="sst").to_netcdf(nc)
    print(f"\nwrote {nc}")
    _demo_figure(truth, obs, recon, a, trained, units)
    return 0


def _demo_figure(truth, obs, recon, a, trained: str, units: str) -> None:
    """The demo's figure (first month): truth, observed, reconstruction and error."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(install matplotlib, pip install 'xinr[plot]', for a figure)")
        return
    m = 0
    fig, axes = plt.subplots(2, 2, figsize=(11, 6), constrained_layout=True)
    land = ~np.isfinite(truth.isel(month=m))
    panels = [
        (truth.isel(month=m), "truth"),
        (obs.isel(month=m), f"observed ({a.ratio:.0%})"),
        (recon.isel(month=m).where(~land), f"xinr {trained}"),
        ((recon - truth).isel(month=m), "error"),
    ]
    vmin, vmax = float(truth.min()), float(truth.max())
    for ax, (f, title) in zip(axes.ravel(), panels, strict=True):
        kw = (
            {"cmap": "RdBu_r", "vmin": -2, "vmax": 2}
            if title == "error"
            else {"vmin": vmin, "vmax": vmax}
        )
        im = ax.pcolormesh(f.lon, f.lat, f.values, shading="auto", **kw)
        ax.set_title(f"{title} (month {int(truth.month[m])})")
        fig.colorbar(im, ax=ax, label=units)
    png = os.path.join(a.out, "demo.png")
    fig.savefig(png, dpi=90)
    print(f"wrote {png}")


def _bounds(text: str):
    """``--bounds`` text: 'observed', 'none', or 'LO,HI' (either side may be empty)."""
    t = text.strip().lower()
    if t == "observed":
        return "observed"
    if t == "none":
        return False
    parts = t.split(",")
    if len(parts) == 2:
        try:
            return tuple(None if p.strip() == "" else float(p) for p in parts)
        except ValueError:
            pass
    raise argparse.ArgumentTypeError(
        f"expected 'observed', 'none' or LO,HI such as 0,1 or 0, (one side open); got {text!r}"
    )


def cmd_fit(a) -> int:

    ds = _open(a.input)
    kw = {
        k: v
        for k, v in {
            "max_time": a.max_time,
            "epochs": a.epochs,
            "seed": a.seed,
            "bounds": a.bounds,
        }.items()
        if v is not None
    }
    fitted = ds.inr.fit(
        model=a.model, var=a.var, device=a.device, progress=not a.quiet, lat=a.lat, lon=a.lon, **kw
    )
    fitted.save(a.output)
    print(fitted)
    print(f"saved {a.output}")
    return 0


UNCERTAINTY_HELP = (
    "also write the standard deviation of the errors, <name>_std (calibrated at the "
    "training's held-out observations; CF attributes)"
)


def cmd_reconstruct(a) -> int:
    import xinr

    fitted = xinr.load(a.model)
    target = _open(a.like) if a.like else None
    out = fitted.reconstruct(target, uncertainty=a.uncertainty)
    if not a.uncertainty:  # (a DataArray)
        out = out.to_dataset(name=out.name or "field")
    out.to_netcdf(a.output)
    print(f"wrote {a.output}: {dict(out.sizes)}")
    return 0


def cmd_fill(a) -> int:
    from .fill import fill_file

    fit = {
        k: v
        for k, v in {
            "model": a.model, "max_time": a.max_time, "epochs": a.epochs, "seed": a.seed,
            "device": a.device,
        }.items()
        if v is not None
    }  # fmt: skip
    report = (lambda *_: None) if a.quiet else print
    names = fill_file(
        a.input, a.output, var=a.var, from_model=a.from_model, report=report,
        progress=not a.quiet, uncertainty=a.uncertainty, **fit,
    )  # fmt: skip
    report(f"wrote {a.output}: {', '.join(names)} filled")
    return 0


def _add_fill_parser(sub) -> None:
    f = sub.add_parser(
        "fill",
        help="fit and write the gap-filled field (or fill new snapshots with --from MODEL)",
        description="Fill the gaps (NaN) of a NetCDF file or Zarr store and write the same "
        "file with them filled: coordinates, attributes and encoding kept, history appended.",
    )
    f.add_argument("input", help="NetCDF file or Zarr store (.zarr) with gaps")
    f.add_argument("-o", "--output", required=True, help="output path (.nc or .zarr)")
    f.add_argument("--var", default=None, help="variable to fill (default: every one with gaps)")
    f.add_argument(
        "--from", dest="from_model", default=None,
        help="a saved model (xinr fit -o MODEL.xinr): fill these new snapshots on its basis, "
        "one at a time, instead of fitting",
    )  # fmt: skip
    f.add_argument("--model", default=None, help="model to fit (default: auto)")
    f.add_argument(
        "--max-time", type=float, default=None,
        help="training seconds (default: 120 where --epochs is not given either)",
    )  # fmt: skip
    f.add_argument("--epochs", type=int, default=None, help="training epochs (fixed length)")
    f.add_argument("--seed", type=int, default=None, help="seed for repeatable CPU runs")
    f.add_argument("--device", default=None, help="auto (default), cpu, cuda or cuda:N")
    f.add_argument("--quiet", action="store_true", help="no progress or messages")
    f.add_argument(
        "--uncertainty", action="store_true", help=UNCERTAINTY_HELP + "; 0 where observed"
    )
    f.set_defaults(func=cmd_fill)


def build_parser() -> argparse.ArgumentParser:
    import xinr

    p = argparse.ArgumentParser(
        prog="xinr", description="Implicit neural representations for gappy fields."
    )
    p.add_argument("--version", action="version", version=f"xinr {xinr.__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser(
        "demo", help="fill a real SST field from 10%% of its points (offline, ~1 min)"
    )
    d.add_argument("--model", default="auto", help="model to fit (default: auto)")
    d.add_argument(
        "--ratio", type=float, default=0.10, help="share of ocean points kept (default 0.10)"
    )
    d.add_argument("--max-time", type=float, default=60.0, help="training seconds (default 60)")
    d.add_argument("--device", default="auto", help="auto (default), cpu, cuda or cuda:N")
    d.add_argument("--seed", type=int, default=0, help="seed of the mask and the fit (default 0)")
    d.add_argument("--out", default="xinr-demo", help="output folder (default ./xinr-demo)")
    d.add_argument("--quiet", action="store_true", help="no progress bar")
    d.set_defaults(func=cmd_demo)

    _add_fill_parser(sub)

    f = sub.add_parser("fit", help="fit a model on the non-NaN points of a NetCDF variable")
    f.add_argument("input", help="NetCDF file with gaps (NaN where nothing was observed)")
    f.add_argument("--var", default=None, help="variable to fit (default: the only one)")
    f.add_argument("-o", "--output", required=True, help="model file to write (.xinr)")
    f.add_argument("--model", default="auto", help="model to fit (default: auto)")
    f.add_argument(
        "--max-time",
        type=float,
        default=None,
        help="training seconds (default: 120 where --epochs is not given either)",
    )
    f.add_argument("--epochs", type=int, default=None, help="training epochs")
    f.add_argument("--device", default="auto", help="auto (default), cpu, cuda or cuda:N")
    f.add_argument("--seed", type=int, default=None, help="seed for repeatable CPU runs")
    f.add_argument("--lat", default=None, help="name of the latitude coordinate (default: found)")
    f.add_argument("--lon", default=None, help="name of the longitude coordinate (default: found)")
    f.add_argument(
        "--bounds",
        type=_bounds,
        default=None,
        help="limits of the predictions: 'observed' (default: the observed range), 'none', or "
        "LO,HI such as 0,1 (either side may be empty)",
    )
    f.add_argument("--quiet", action="store_true", help="no progress bar")
    f.set_defaults(func=cmd_fit)

    r = sub.add_parser("reconstruct", help="reconstruct a saved model on its grid or another")
    r.add_argument("model", help="a model file written by xinr fit")
    r.add_argument("--like", default=None, help="NetCDF file whose lat/lon (and times) to use")
    r.add_argument("-o", "--output", required=True, help="NetCDF file to write")
    r.add_argument("--uncertainty", action="store_true", help=UNCERTAINTY_HELP)
    r.set_defaults(func=cmd_reconstruct)

    try:
        from .paperbench import add_benchmark_parser

        add_benchmark_parser(sub)
    except ImportError:
        pass
    return p


def main(argv=None) -> int:
    from .errors import CoordinateError, DataError, ModelFileError

    args = build_parser().parse_args(argv)
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        try:
            return int(args.func(args) or 0)
        except (DataError, CoordinateError, ModelFileError, FileNotFoundError, ValueError) as err:
            print(f"xinr {args.command}: error: {err}", file=sys.stderr)
            return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
