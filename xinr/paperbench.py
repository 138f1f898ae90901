"""The paper's benchmark on any field: ``xinr benchmark`` and :func:`run_benchmark`.

Sampling follows the paper's four tasks (:func:`xinr.benchmark.sample_mask`); scores are the
paper's metric (each grid point min-max normalised by its own range over the snapshots, MSE over the
full grid of the training snapshots, observed points included) and the stricter one (the same MSE on
the unobserved points only), plus RMSE in the data's units on the unobserved points.
"""

from __future__ import annotations

import datetime as _dt
import json
import time
import warnings

import numpy as np
import xarray as xr

from ._version import __version__
from .benchmark import mse_paper, rmse, sample_mask
from .coords import find_layout

# Luo et al. (ICLR 2024), Table 1: MSE on min-max normalised fields (per grid point over time),
# full grid of the training snapshots. (dataset, ratio, model) -> [task 1, task 2, task 3, task 4]
PAPER_TABLE1 = {
    ("gst", 0.05, "resmlp"): [0.01951, 0.01672, 0.01901, 0.01468],
    ("gst", 0.05, "siren"): [0.02483, 0.02457, 0.273, 0.02455],
    ("gst", 0.05, "ffn_p"): [0.02974, 0.01121, 0.01495, 0.008927],
    ("gst", 0.05, "ffn_g"): [0.02943, 0.01948, 0.0198, 0.01426],
    ("gst", 0.05, "mmgn"): [0.004244, 0.004731, 0.003148, 0.003927],
    ("gst", 0.25, "resmlp"): [0.01593, 0.01252, 0.01322, 0.01378],
    ("gst", 0.25, "siren"): [0.02643, 0.02669, 0.273, 0.02679],
    ("gst", 0.25, "ffn_p"): [0.008374, 0.007905, 0.00772, 0.006514],
    ("gst", 0.25, "ffn_g"): [0.01307, 0.0136, 0.01331, 0.013],
    ("gst", 0.25, "mmgn"): [0.002955, 0.002991, 0.00278, 0.002802],
    ("gst", 0.5, "resmlp"): [0.01004, 0.008461, 0.009716, 0.01138],
    ("gst", 0.5, "siren"): [0.2728, 0.2728, 0.01408, 0.01382],
    ("gst", 0.5, "ffn_p"): [0.005383, 0.006192, 0.005782, 0.005503],
    ("gst", 0.5, "ffn_g"): [0.01182, 0.01148, 0.01201, 0.01124],
    ("gst", 0.5, "mmgn"): [0.002802, 0.002824, 0.00273, 0.00276],
    ("sst", 0.001, "resmlp"): [0.001717, 0.001601, 0.001179, 0.001282],
    ("sst", 0.001, "siren"): [0.3129, 0.04398, 0.01304, 0.09338],
    ("sst", 0.001, "ffn_p"): [0.002917, 0.002392, 0.0007912, 0.0007565],
    ("sst", 0.001, "ffn_g"): [0.004904, 0.007969, 0.001005, 0.001044],
    ("sst", 0.001, "mmgn"): [0.001073, 0.001131, 0.0006309, 0.0006298],
    ("sst", 0.003, "resmlp"): [0.0009601, 0.0007808, 0.0008264, 0.0008144],
    ("sst", 0.003, "siren"): [0.00763, 0.006421, 0.006297, 0.009925],
    ("sst", 0.003, "ffn_p"): [0.0008429, 0.0008294, 0.0004823, 0.000558],
    ("sst", 0.003, "ffn_g"): [0.0009169, 0.001157, 0.0008128, 0.0006253],
    ("sst", 0.003, "mmgn"): [0.0006116, 0.0005912, 0.0004582, 0.0004896],
    ("sst", 0.005, "resmlp"): [0.0006741, 0.0007752, 0.000579, 0.0008317],
    ("sst", 0.005, "siren"): [0.002214, 0.0009131, 0.0005973, 0.8019],
    ("sst", 0.005, "ffn_p"): [0.0005413, 0.0005807, 0.0004226, 0.0005004],
    ("sst", 0.005, "ffn_g"): [0.0007067, 0.0008256, 0.0006783, 0.0005721],
    ("sst", 0.005, "mmgn"): [0.0005081, 0.000476, 0.0004127, 0.0004124],
}


def load_field(dataset: str, snapshots: int | None = None) -> xr.DataArray:
    """``"gst"``, ``"sst"``, ``"sample"`` or ``"PATH.nc[:var]"`` -> DataArray (first N snapshots)."""
    from . import datasets

    if dataset == "gst":
        da = datasets.fetch_gst()["temperature"]
    elif dataset == "sst":
        da = datasets.fetch_sst()["temperature"]
    elif dataset == "sample":
        da = datasets.load_sample()["sst"]
    else:
        path, _, var = dataset.partition(":")
        try:
            ds = xr.open_dataset(path)
        except ValueError:
            ds = xr.open_dataset(path, decode_times=False)
        from .estimator import select_variable

        da = select_variable(ds, var or None)
    if snapshots:
        lay = find_layout(da)
        if lay.snapshot_dims:
            da = da.isel({lay.snapshot_dims[0]: slice(0, int(snapshots))})
    return da


def run_benchmark(
    dataset: str | xr.DataArray,
    model: str = "mmgn",
    task: int = 1,
    ratio: float = 0.05,
    *,
    snapshots: int | None = None,
    seed: int = 0,
    output: str | None = None,
    progress: bool = False,
    **fit_kwargs,
) -> dict:
    """Sample a field as in the paper's task, fit ``model`` on the samples, score the result.

    Parameters
    ----------
    dataset : str or xarray.DataArray
        ``"gst"``, ``"sst"``, ``"sample"``, ``"PATH.nc[:var]"``, or a field.
    model, task, ratio, snapshots, seed :
        What to run; ``snapshots`` keeps the first N snapshots.
    output : str, optional
        Append the result as one JSON line to this file.
    **fit_kwargs
        Passed to :class:`xinr.INR` (``max_time``, ``epochs``, ``device``, ``preset``...).

    Returns
    -------
    dict
        ``mse_paper`` (full grid), ``mse_unobserved``, ``rmse_unobserved`` and the run's settings.
    """
    from .estimator import INR

    name = dataset if isinstance(dataset, str) else str(dataset.name)
    da = load_field(dataset, snapshots) if isinstance(dataset, str) else dataset
    lay = find_layout(da)
    da = da.transpose(*(lay.snapshot_dims + lay.dims)).load()
    S = int(np.prod([da.sizes[d] for d in lay.snapshot_dims], dtype=np.int64))
    truth = np.asarray(da.values, dtype=np.float64).reshape(S, -1)
    valid = np.isfinite(truth)
    mask = sample_mask(valid, ratio, task, seed)
    obs = da.where(mask.reshape(da.shape))
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        fitted = INR(model, seed=seed, progress=progress, **fit_kwargs).fit(obs)
    fit_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    pred = fitted.reconstruct().transpose(*da.dims).values.reshape(S, -1)
    pred_s = time.perf_counter() - t1
    held = valid & ~mask
    result = {
        "dataset": name,
        "model": model,
        "task": int(task),
        "ratio": float(ratio),
        "seed": int(seed),
        "snapshots": S,
        "points": int(truth.shape[1]),
        "observed": int(mask.sum()),
        "mse_paper": mse_paper(pred, truth),
        "mse_unobserved": mse_paper(pred, truth, held),
        "rmse_unobserved": rmse(pred, truth, held),
        "units": str(da.attrs.get("units", "")),
        "fit_s": fit_s,
        "predict_s": pred_s,
        "epochs": len(fitted.history_),
        "device": fitted.device_,
        "settings": {k: v for k, v in fit_kwargs.items() if isinstance(v, (int, float, str, bool))},
        "xinr_version": __version__,
        "time": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    if output:
        with open(output, "a") as f:
            f.write(json.dumps(result) + "\n")
    return result


def report(path: str) -> str:
    """A table shaped like the paper's Table 1 from a JSON-lines results file, with the paper's
    numbers beside xinr's where the dataset and ratio match (mean over seeds)."""
    with open(path) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    if not rows:
        return f"{path}: no results."
    groups: dict = {}
    for r in rows:
        groups.setdefault((r["dataset"], r["ratio"], r["model"]), {}).setdefault(
            r["task"], []
        ).append(r)
    lines = [
        "MSE on per-point min-max normalised data, full grid (paper metric) | unobserved points only;",
        "paper = Luo et al. 2024 Table 1 (GPU, 200 epochs, all snapshots).",
        f"{'dataset':<10} {'ratio':>6} {'model':<7} "
        + " ".join(f"{'task ' + str(t):>30}" for t in (1, 2, 3, 4)),
    ]
    for (ds, ratio, model), by_task in sorted(groups.items()):
        cells = []
        for t in (1, 2, 3, 4):
            rs = by_task.get(t)
            paper = PAPER_TABLE1.get((ds, round(ratio, 4), model))
            p = f" (paper {paper[t - 1]:.2e})" if paper else ""
            if rs:
                full = np.mean([r["mse_paper"] for r in rs])
                un = np.mean([r["mse_unobserved"] for r in rs])
                cells.append(f"{full:.2e}|{un:.2e}{p}".rjust(30))
            else:
                cells.append(("-" + p).rjust(30))
        lines.append(f"{ds:<10} {ratio:>6.2%} {model:<7} " + " ".join(cells))
    n_snap = sorted({r["snapshots"] for r in rows})
    lines.append(f"(snapshots per run: {n_snap}; settings as recorded in {path})")
    return "\n".join(lines)


def add_benchmark_parser(sub) -> None:
    b = sub.add_parser(
        "benchmark",
        help="the paper's benchmark on gst, sst, the sample or a NetCDF file; 'report FILE' prints a table",
    )
    b.add_argument("report", nargs="*", help="'report FILE' prints the table of a results file")
    b.add_argument("--dataset", default="sample", help="gst | sst | sample | PATH.nc[:var]")
    b.add_argument("--model", default="mmgn", nargs="+", help="models to score (default mmgn)")
    b.add_argument(
        "--task", type=int, default=[1], nargs="+", choices=[1, 2, 3, 4],
        help="the paper's sampling tasks (1: fixed positions, 3: moving ones)",
    )  # fmt: skip
    b.add_argument(
        "--ratio", type=float, default=[0.05], nargs="+", help="shares of the points observed"
    )
    b.add_argument("--snapshots", type=int, default=None, help="use the first N snapshots")
    b.add_argument("--max-time", type=float, default=None, help="training seconds per fit")
    b.add_argument("--epochs", type=int, default=None, help="training epochs per fit")
    b.add_argument("--preset", default="auto", choices=["auto", "paper"], help="hyperparameters")
    b.add_argument("--device", default="auto", help="auto (default), cpu, cuda or cuda:N")
    b.add_argument("--seed", type=int, default=[0], nargs="+", help="seeds of the masks and fits")
    b.add_argument(
        "--output", "-o", default="xinr-benchmark.jsonl", help="JSON-lines file to append to"
    )
    b.set_defaults(func=cmd_benchmark)


def cmd_benchmark(a) -> int:
    if a.report:
        if len(a.report) != 2 or a.report[0] != "report":
            raise SystemExit(
                "usage: xinr benchmark report FILE   (or xinr benchmark --dataset ...)"
            )
        print(report(a.report[1]))
        return 0
    models = a.model if isinstance(a.model, list) else [a.model]
    kw = {"device": a.device, "preset": a.preset}
    if a.max_time is not None:
        kw["max_time"] = a.max_time
    if a.epochs is not None:
        kw["epochs"] = a.epochs
    da = load_field(a.dataset, a.snapshots)
    da.name = a.dataset if a.dataset in ("gst", "sst", "sample") else (da.name or a.dataset)
    for model in models:
        for ratio in a.ratio:
            for task in a.task:
                for seed in a.seed:
                    r = run_benchmark(da, model, task, ratio, seed=seed, output=a.output, **kw)
                    print(
                        f"{r['dataset']} {model} task {task} ratio {ratio:.2%} seed {seed}: "
                        f"MSE (paper metric) {r['mse_paper']:.3e}, unobserved {r['mse_unobserved']:.3e}, "
                        f"RMSE unobserved {r['rmse_unobserved']:.4g} {r['units']} (fit {r['fit_s']:.0f} s)",
                        flush=True,
                    )
    print(f"appended to {a.output}; table: xinr benchmark report {a.output}")
    return 0
