"""Figures of a fit (matplotlib, the ``plot`` extra): one snapshot's observed points,
reconstruction and, where given, truth and error, with lon/lat axes, the field's name and units;
and the training history.

matplotlib is imported when a function is called, so ``import xinr`` does not need it.
"""

from __future__ import annotations

import numpy as np
import xarray as xr


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:  # pragma: no cover - the extra is installed in the tests
        raise ImportError(
            "xinr's figures need matplotlib, which is not installed. Install it with "
            "pip install 'xinr[plot]' (or pip install matplotlib)."
        ) from err
    return plt


def _one_snapshot(da: xr.DataArray | None, fitted, snapshot: dict) -> xr.DataArray | None:
    """``da`` at the snapshot (labels by dimension; dimensions of length 1 dropped)."""
    if da is None:
        return None
    sel = {d: v for d, v in snapshot.items() if d in da.dims}
    out = da.sel(sel) if sel else da
    dims = fitted.layout_.snapshot_dims
    return out.squeeze([d for d in dims if d in out.dims and out.sizes[d] == 1], drop=True)


def _snapshot_labels(fitted, snapshot) -> dict:
    """``snapshot`` as labels by dimension: a dict as given, an int as the position along the
    one snapshot dimension, a label of it otherwise (None: the first)."""
    dims = fitted.layout_.snapshot_dims
    if isinstance(snapshot, dict) or not dims:
        return dict(snapshot or {})
    if len(dims) > 1:
        raise ValueError(
            f"This field has several snapshot dimensions {dims}; give snapshot as a dict of "
            f"labels, e.g. snapshot={{{dims[0]!r}: ..., {dims[1]!r}: ...}}."
        )
    labels = fitted.labels_[dims[0]]
    snapshot = 0 if snapshot is None else snapshot
    if isinstance(snapshot, (int, np.integer)):
        if not -len(labels) <= snapshot < len(labels):
            raise IndexError(
                f"snapshot={snapshot} is out of range: the fit has {len(labels)} snapshots "
                f"along {dims[0]!r}. Give a position, a label, or {{{dims[0]!r}: label}}."
            )
        return {dims[0]: labels[int(snapshot)]}
    return {dims[0]: snapshot}


def plot_snapshot(fitted, observed=None, truth=None, snapshot=None, *, uncertainty=False,
                  cmap="viridis"):  # fmt: skip
    """One figure of a snapshot: the observed points, the reconstruction and, where given, the
    truth and the error (reconstruction minus truth); with ``uncertainty``, the standard
    deviation too. Panels share the colour scale of the field; lon/lat axes; titles carry the
    field's name and units.

    Parameters
    ----------
    fitted : xinr.INR
        A fitted model.
    observed : xarray.DataArray, optional
        The gappy field it was fitted on (its points are drawn where finite).
    truth : xarray.DataArray, optional
        The complete field, for the truth and error panels.
    snapshot : int, label or dict, optional
        Which snapshot: its position (an int) or label along the one snapshot dimension, or a
        dict of labels by dimension (default: the first).
    uncertainty : bool
        Add a panel of the standard deviation (:meth:`xinr.INR.reconstruct`).
    cmap : str
        The field's colour map (the error is drawn in ``"RdBu_r"``, centred on zero).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np, xarray as xr, xinr
    >>> lat, lon = np.linspace(-20, 20, 9), np.linspace(0, 40, 9)
    >>> f = np.cos(np.deg2rad(4 * lat))[:, None] * np.sin(np.deg2rad(4 * lon))[None, :]
    >>> da = xr.DataArray(f, dims=("lat", "lon"), coords={"lat": lat, "lon": lon}, name="t")
    >>> gappy = da.where(np.random.default_rng(0).random(f.shape) < 0.6)
    >>> fitted = xinr.INR(epochs=10, progress=False, seed=0).fit(gappy)
    >>> fig = xinr.plot_snapshot(fitted, gappy, truth=da)
    >>> [ax.get_title() for ax in fig.axes if ax.get_title()]
    ['observed t', 'reconstruction', 'truth', 'error']
    """
    plt = _pyplot()
    labels = _snapshot_labels(fitted, snapshot)
    base = next((d for d in (truth, observed) if d is not None), fitted.template_)
    one = base.sel({d: [v] for d, v in labels.items() if d in base.dims})
    grid = fitted.reconstruct(one, uncertainty=uncertainty)
    name = str(fitted.name_ or "field")
    recon = _one_snapshot(grid[name] if uncertainty else grid, fitted, labels)
    panels = [("observed", _one_snapshot(observed, fitted, labels), cmap)]
    panels.append(("reconstruction", recon, cmap))
    if truth is not None:
        t = _one_snapshot(truth, fitted, labels)
        panels += [("truth", t, cmap), ("error", recon - t.transpose(*recon.dims), "RdBu_r")]
    if uncertainty:
        std = _one_snapshot(grid[f"{name}_std"], fitted, labels)
        panels.append(("standard deviation", std, "magma"))
    return _draw(plt, panels, fitted, name, labels)


SHARED = ("observed", "reconstruction", "truth")  # the panels on the field's colour scale


def _draw(plt, panels, fitted, name, labels):
    """The panels side by side, the field's panels on one colour scale."""
    fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 3.2), squeeze=False,
                             constrained_layout=True)  # fmt: skip
    finite = [np.asarray(p[1].values, dtype=float) for p in panels
              if p[0] in SHARED and p[1] is not None]  # fmt: skip
    vals = np.concatenate([a[np.isfinite(a)].ravel() for a in finite]) if finite else np.zeros(1)
    lo, hi = np.nanpercentile(vals, [1, 99]) if vals.size else (0, 1)
    units = fitted.attrs_.get("units", "")
    for ax, (title, da, cm) in zip(axes[0], panels, strict=True):
        if da is None:
            ax.set_visible(False)
            continue
        kw = {"vmin": lo, "vmax": hi} if title in SHARED else {}
        if title == "error":
            m = float(np.nanmax(np.abs(da.values))) or 1.0
            kw = {"vmin": -m, "vmax": m}
        art = _mesh(ax, da, fitted, title == "observed", cmap=cm, **kw)
        fig.colorbar(art, ax=ax, shrink=0.8, label=units)
        ax.set_title(f"observed {name}" if title == "observed" else title)
        ax.set_xlabel("longitude")
        ax.set_ylabel("latitude")
    shown = [ax for ax in axes[0] if ax.get_visible()]
    grid_ax = shown[1] if len(shown) > 1 else shown[0]  # the reconstruction's extent for all
    for ax in shown:
        ax.set_xlim(grid_ax.get_xlim())
        ax.set_ylim(grid_ax.get_ylim())
    when = ", ".join(f"{d}={v}" for d, v in labels.items())
    fig.suptitle(f"{name}" + (f" ({units})" if units else "") + (f", {when}" if when else ""))
    return fig


def _mesh(ax, da: xr.DataArray, fitted, points: bool, **kw):
    """Draw ``da`` on lon/lat axes: a mesh for a grid, dots for the observed points or a station
    list."""
    lat_name, lon_name = fitted.layout_.lat, fitted.layout_.lon
    lat = np.asarray(da[lat_name].values, dtype=float)
    lon = np.asarray(da[lon_name].values, dtype=float)
    vals = np.asarray(da.values, dtype=float)
    if lat.ndim == 1 and lon.ndim == 1 and da.ndim == 2 and da[lat_name].dims != da[lon_name].dims:
        if da.dims[0] == da[lon_name].dims[0]:
            vals = vals.T
        lon, lat = np.meshgrid(lon, lat)
    if points or vals.ndim != 2 or lat.shape != vals.shape:
        ok = np.isfinite(vals)
        return ax.scatter(lon[ok], lat[ok], c=vals[ok], s=6, **kw)
    return ax.pcolormesh(lon, lat, vals, shading="auto", **kw)


def plot_history(fitted, ax=None):
    """The training loss (and the held-out loss where there was one) per epoch, on a log scale.

    Parameters
    ----------
    fitted : xinr.INR
        A fitted model (its ``history_``).
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new figure).

    Returns
    -------
    matplotlib.axes.Axes
    """
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3), constrained_layout=True)
    hist = fitted.history_
    epochs = np.arange(1, len(hist) + 1)
    ax.plot(epochs, [h.get("loss", np.nan) for h in hist], label="training loss")
    seen = [(e, h["val"]) for e, h in zip(epochs, hist, strict=True) if "val" in h]
    if seen:  # (the held-out loss is taken every few epochs)
        ax.plot(*zip(*seen, strict=True), marker=".", label="held-out loss")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (standardised units)")
    ax.set_title(
        f"training of {fitted.network_.get('model', fitted.model)!r}, {fitted.fit_seconds_:.0f} s"
    )
    ax.legend()
    return ax


__all__ = ["plot_history", "plot_snapshot"]
