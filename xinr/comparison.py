"""``xinr.compare``: which method reconstructs *this* field best?

Hides a random share of the observed points, fits each method on the rest and scores the hidden
points. INR models and classical methods (nearest neighbour, linear interpolation per snapshot,
inverse-distance weighting on the sphere) appear side by side, so a user can see when an INR is not
worth it on their data.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence

import numpy as np
import xarray as xr

from .benchmark import mse_minmax, mse_paper, rmse
from .classical import CLASSICAL, SERIES, fill
from .coords import find_layout, spatial_points
from .estimator import INR, select_variable
from .plan import AUTO_MODEL_NAME, MIX_MODEL_NAME

DEFAULT_MODELS = ("auto", "mmgn", "resmlp", "siren", "ffn_p", "ffn_g")


def compare(
    da: xr.DataArray | xr.Dataset,
    models: Sequence[str] = DEFAULT_MODELS,
    classical: Sequence[str] | str = "all",
    *,
    holdout: float = 0.1,
    max_time: float | None = None,
    seed: int = 0,
    var: str | None = None,
    lat: str | None = None,
    lon: str | None = None,
    **fit_kwargs,
) -> xr.Dataset:
    """Score INR models and classical methods on held-out observed points.

    Parameters
    ----------
    da : xarray.DataArray or xarray.Dataset
        Field with NaN where nothing was observed.
    models : sequence of str
        INR models to fit (registered names, ``"mix"``, an ensemble of two, or ``"auto"``, the
        default's choice), each with ``INR(model, max_time=..., **fit_kwargs)``.
    classical : sequence of str, or "all"
        Any of ``"nearest"``, ``"linear"``, ``"idw"``, ``"kriging"``, ``"spline"`` (per
        snapshot), ``"kriging_st"`` and ``"dineof"`` (along a time axis; :mod:`xinr.classical`).
        ``"all"`` (default): every one that applies (the series methods where the snapshots lie
        along one dimension, at least 3 of them).
    holdout : float
        Share of the observed points hidden from every method and scored, in (0, 1).
    max_time : float, optional
        Training seconds per INR model. None (default): each model's own default, so that the
        ``"auto"`` row scores what ``da.inr.fit()`` returns (120 s under ``preset="auto"``,
        :data:`xinr.plan.AUTO_MAX_TIME`, and the same ensemble). The whole call then takes
        about that long per model; pass a shorter budget, or fewer ``models``, for a quick look
        (a shorter budget may train fewer ensemble members than ``fit()`` does).
    seed : int
        Seed of the held-out draw and of the fits.
    **fit_kwargs
        Passed to every :class:`xinr.INR`.

    Returns
    -------
    xarray.Dataset
        Along dimension ``method``: ``rmse`` (data units), ``mse_minmax`` (MSE after min-max
        normalising by the observed range), ``mse_paper`` (the paper's per-point normalisation),
        ``fit_time`` and ``predict_time`` (s), and ``kind`` ("inr" or "classical"). Print it with
        :func:`format_table`.

    Examples
    --------
    >>> import numpy as np, xarray as xr, xinr
    >>> lat, lon = np.linspace(-60, 60, 13), np.arange(0, 360, 15.0)
    >>> da = xr.DataArray(np.cos(np.deg2rad(lat))[:, None] + 0 * lon, dims=("lat", "lon"),
    ...                   coords={"lat": lat, "lon": lon}, name="t")
    >>> table = xinr.compare(da, models=["mmgn"], classical=["nearest"], max_time=2,
    ...                      progress=False)
    >>> table.method.values.tolist()
    ['mmgn', 'nearest']
    """
    da = select_variable(da, var)
    lay = find_layout(da, lat, lon)
    one_axis = len(lay.snapshot_dims) == 1 and da.sizes[lay.snapshot_dims[0]] >= 3
    if isinstance(classical, str) and classical == "all":
        classical = [c for c in CLASSICAL if one_axis or c not in SERIES]
    _check_methods(holdout, models, classical)
    if not one_axis and set(classical) & set(SERIES):
        raise ValueError(
            f"{sorted(set(classical) & set(SERIES))} need snapshots along one dimension (at least "
            f"3); this field has snapshot dimensions {lay.snapshot_dims}. Leave them out."
        )
    times = _times(da, lay) if one_axis else None
    da = da.transpose(*(lay.snapshot_dims + lay.dims))
    la, lo = spatial_points(da, lay, allow_missing=True)  # (the fits check the observed)
    S = int(np.prod([da.sizes[d] for d in lay.snapshot_dims], dtype=np.int64))
    values = np.asarray(da.values, dtype=np.float64).reshape(S, -1)
    observed = np.isfinite(values)
    # a stream of its own: a user's mask drawn with default_rng(seed) must not line up with it
    rng = np.random.default_rng([seed, 0x78696E72])
    hide = observed & (rng.random(values.shape) < holdout)
    if hide.sum() == 0 or (observed & ~hide).sum() == 0:
        raise ValueError(
            f"holdout={holdout} leaves no points to score or none to fit "
            f"({int(observed.sum())} observed). Use a field with more observations."
        )
    train = np.where(hide, np.nan, values)
    train_da = da.copy(data=train.reshape(da.shape))
    rows = []
    for m in models:
        t0 = time.perf_counter()
        kw = {"seed": seed, "lat": lay.lat, "lon": lay.lon, **fit_kwargs}
        if max_time is not None and "epochs" not in fit_kwargs:
            kw["max_time"] = max_time
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            fitted = INR(m, **kw).fit(train_da)
        t_fit = time.perf_counter() - t0
        t1 = time.perf_counter()
        pred = fitted.reconstruct().transpose(*da.dims).values.reshape(S, -1)
        rows.append((m, "inr", pred, t_fit, time.perf_counter() - t1))
    for c in classical:
        t0 = time.perf_counter()
        pred = fill(c, la, lo, train, hide, times=times, seed=seed)
        rows.append((c, "classical", pred, 0.0, time.perf_counter() - t0))
    out = _scores(rows, values, observed, hide)
    out.attrs.update(
        {
            "field": str(da.name),
            "units": str(da.attrs.get("units", "")),
            "holdout": holdout,
            "n_scored": int(hide.sum()),
            "n_fit": int((observed & ~hide).sum()),
            "max_time": -1.0 if max_time is None else float(max_time),
            "seed": seed,
        }
    )
    out["rmse"].attrs["units"] = out.attrs["units"]
    return out


def _times(da, lay) -> np.ndarray:
    """The snapshots' times as floats (their index where they are not times)."""
    from .coords import labels_to_float

    d = lay.snapshot_dims[0]
    try:
        t = labels_to_float(np.asarray(da[d].values)) if d in da.coords else None
    except (TypeError, ValueError):
        t = None
    if t is None or not np.isfinite(t).all():
        return np.arange(da.sizes[d], dtype=float)
    return t


def _check_methods(holdout, models, classical) -> None:
    """Raise a ValueError for a holdout outside (0, 1), unknown methods, or none at all."""
    if not 0 < holdout < 1:
        raise ValueError(f"holdout must be a share in (0, 1); got {holdout!r}.")
    from .models import list_models

    known = [*list_models(), MIX_MODEL_NAME, AUTO_MODEL_NAME]
    for m in models:
        if m not in known:
            raise ValueError(f"Unknown model {m!r}. Expected one of {known}.")
    for c in classical:
        if c not in CLASSICAL:
            raise ValueError(f"Unknown classical method {c!r}. Expected one of {list(CLASSICAL)}.")
    if not list(models) and not list(classical):
        raise ValueError("Nothing to compare: give at least one model or classical method.")


def _scores(rows, values, observed, hide) -> xr.Dataset:
    """The scores of each method's predictions (``rows``: name, kind, (S, P) prediction, fit
    and predict seconds) at the hidden points."""
    truth = np.where(hide, values, np.nan)
    full = np.where(observed, values, np.nan)
    return xr.Dataset(
        {
            "rmse": ("method", [rmse(p, truth, hide) for _, _, p, _, _ in rows]),
            "mse_minmax": ("method", [mse_minmax(p, truth, hide) for _, _, p, _, _ in rows]),
            "mse_paper": ("method", [mse_paper(p, full, hide) for _, _, p, _, _ in rows]),
            "fit_time": ("method", [r[3] for r in rows]),
            "predict_time": ("method", [r[4] for r in rows]),
            "kind": ("method", [r[1] for r in rows]),
        },
        coords={"method": [r[0] for r in rows]},
    )


def format_table(result: xr.Dataset) -> str:
    """A plain-text table of a :func:`compare` result, best first."""
    order = np.argsort(result["rmse"].values)
    u = result.attrs.get("units", "")
    lines = [
        f"{result.attrs.get('field')}: {result.attrs.get('n_scored')} held-out points "
        f"({result.attrs.get('holdout'):.0%} of the observed), fitted on {result.attrs.get('n_fit')}",
        f"{'method':<10} {'kind':<9} {'RMSE [' + u + ']':>14} {'MSE minmax':>11} {'fit s':>7} {'predict s':>9}",
    ]
    for i in order:
        r = result.isel(method=int(i))
        lines.append(
            f"{str(r.method.values):<10} {str(r.kind.values):<9} {float(r.rmse):>14.4g} "
            f"{float(r.mse_minmax):>11.3e} {float(r.fit_time):>7.1f} {float(r.predict_time):>9.2f}"
        )
    return "\n".join(lines)
