"""Labels of a field's snapshots (times, levels, members): their values as floats, and the
positions of requested labels among the training ones. numpy in, numpy out."""

from __future__ import annotations

import numpy as np

from .coords import labels_to_float
from .errors import CoordinateError


def dim_labels(da, dim: str) -> np.ndarray:
    """The labels of dimension ``dim`` of ``da``: its coordinate's values, else 0, 1, ..."""
    if dim in da.coords and da[dim].dims == (dim,):
        return np.asarray(da[dim].values)
    return np.arange(da.sizes[dim])


def snapshot_times(labels: dict, dims: tuple, n: int) -> np.ndarray:
    """Time of each of the ``n`` snapshots as a float: the labels of one snapshot dimension
    (:func:`xinr.coords.labels_to_float`), else the flat index."""
    if len(dims) == 1:
        return labels_to_float(labels[dims[0]])
    return np.arange(n, dtype=np.float64)


def match_labels(train: np.ndarray, want, dim: str, allow_between: bool) -> np.ndarray:
    """Positions of ``want`` labels among the training labels of ``dim``: their indices, or,
    when ``allow_between``, their ranks in time order, fractional for labels between training
    labels (:func:`xinr.encoding.rank_neighbours` turns ranks into neighbours)."""
    want = np.atleast_1d(np.asarray(want))
    if want.dtype.kind == "M" and train.dtype.kind == "M":
        want = want.astype(train.dtype)
    index = {label_key(v): i for i, v in enumerate(train)}
    pos = np.empty(want.size, dtype=np.float64)
    missing = []
    for j, v in enumerate(want.ravel()):
        k = index.get(label_key(v))
        if k is None:
            missing.append(v)
        else:
            pos[j] = k
    if missing and allow_between:
        try:  # one conversion of both, so training and requested times share one reference
            both = labels_to_float(np.concatenate([train, want.ravel()]))
        except (TypeError, ValueError):  # labels of another kind: not times
            both = None
        tf, wf = (None, None) if both is None else (both[: len(train)], both[len(train) :])
        if wf is not None and np.all((wf >= tf.min() - 1e-9) & (wf <= tf.max() + 1e-9)):
            order = np.argsort(tf, kind="stable")
            return np.interp(wf, tf[order], np.arange(len(tf)))
    if allow_between and not missing:  # indices -> ranks in time order, as above
        rank = np.empty(len(train), dtype=np.float64)
        rank[np.argsort(labels_to_float(train), kind="stable")] = np.arange(len(train))
        return rank[pos.astype(np.int64)]
    if missing:
        shown = ", ".join(str(m) for m in missing[:3])
        hint = (
            "With several snapshot dimensions only the training snapshots can be reconstructed"
            if not allow_between
            else "Times between training snapshots must lie inside the training span"
        )
        raise CoordinateError(
            f"{len(missing)} requested {dim!r} value(s) ({shown}) are not training snapshots. "
            f"{hint} (training {dim}: {len(train)} values from {train[0]} to {train[-1]}). "
            "Select training values, or refit including those snapshots."
        )
    return pos


def label_key(v):
    """A hashable key that matches equal labels of any numeric or datetime type."""
    if isinstance(v, np.datetime64):
        return ("M", int(v.astype("datetime64[ns]").astype("i8")))
    if isinstance(v, (float, np.floating)):
        return ("f", float(v))
    if isinstance(v, (int, np.integer)):
        return ("f", float(v))
    return ("o", str(v))
