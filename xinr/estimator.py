"""``INR``: the estimator behind the ``.inr`` accessor, a thin front over the stages of a fit.

``fit`` reads the observed points (:mod:`xinr.sampling`), measures the field
(:mod:`xinr.fieldstats`), plans the fit by named rules (:mod:`xinr.plan`), sizes the plan to the
time budget (:mod:`xinr.budget`), runs the pipeline (:mod:`xinr.pipeline`: train, residual stage,
gate) and keeps a :class:`~xinr.fitted.FittedField`. Hyperparameters are stored untouched in
``__init__`` and checked in ``fit``; fitted state ends in an underscore.
"""

from __future__ import annotations

import math
import time
import warnings
from typing import Any

import numpy as np
import xarray as xr

from ._version import __version__
from .coords import check_latlon, find_layout, spatial_points, wraps_around
from .errors import CoordinateError, DataError, NotFittedError
from .labels import dim_labels, match_labels, snapshot_times
from .sampling import observed_points

TRAIN_OPTIONS = (
    "epochs", "max_time", "batch_size", "lr", "weight_decay", "schedule", "lr_decay",
    "final_lr_fraction", "clip", "loss", "validation", "seed", "progress", "max_restarts",
    "checkpoint", "checkpoint_every", "resume", "amp", "jitter", "curvature", "member_folds",
)  # fmt: skip
ENCODING_CHOICES = ("auto", "box", "sphere", "sh")


class INR:
    """Implicit neural representation of a gappy field.

    Every keyword left at None is decided by the preset's rules from the field itself; after
    ``fit``, ``plan_`` prints which rules fired and why (docs/models.md lists them, and
    docs/decisions.md the evidence behind each).

    Parameters
    ----------
    model : str
        A registered model name (``xinr.list_models()``), ``"mix"`` or ``"auto"`` (default).
        ``"mix"`` is an ensemble of MMGN and ResMLP networks (on a field with one snapshot, 4
        MMGN, 1 ResMLP and 1 SIREN member), MMGN alone where one network is trained.
        ``"auto"`` is ``"mix"`` on a map with one snapshot and at fixed stations along one time
        axis where neighbouring observations agree or the held-out places are enough to select
        members by, and ``"mmgn"`` elsewhere, under the ``paper`` preset, or where model
        keywords are given (they are MMGN's) (:func:`xinr.plan.rule_model`).
    preset : {"auto", "paper"}
        ``"auto"`` (default) sizes the network's frequency scale, width and training schedule from
        the data; ``"paper"`` uses the paper's configuration and recipe (Luo et al. 2024, Table 1 /
        appendix). Explicit keywords override either.
    encoding : {"auto", "box", "sphere", "sh"}
        Coordinate encoding; ``"auto"`` picks ``"sphere"`` for fields that wrap around the globe in
        longitude (:func:`xinr.coords.wraps_around`) and ``"box"`` for regional ones (the paper
        used ``"box"``).
    degree : int
        Spherical-harmonic degree for ``encoding="sh"``.
    lat, lon : str, optional
        Names of the latitude/longitude coordinates (found automatically otherwise).
    epochs, max_time : int, float, optional
        Stop after this many epochs or seconds, whichever comes first. ``max_time`` is for the
        whole fit once the observed points are read (reading a dask-backed field is not
        counted): preparing them, sizing the ensemble and training, checked after every
        optimiser step. With neither, the ``auto`` preset stops after 120 s
        (:data:`xinr.plan.AUTO_MAX_TIME`), or after 1500 optimiser steps on data up to 20,000
        observations if that comes first; the ``paper`` preset trains 200 epochs.
    batch_size, lr, weight_decay, schedule, lr_decay, final_lr_fraction, clip, loss :
        Training recipe: observations per step, AdamW learning rate and weight decay, learning-rate
        schedule (``"cosine"`` over the budget, ``"exponential"`` per epoch with ``lr_decay``, or
        ``"constant"``), gradient-norm clipping, loss (``"l1"``, ``"mse"``, ``"huber"``).
    validation : float
        Share of the observed locations held out, with all their observations, to pick the best
        state (0 turns it off; with too few locations, a share of the observations is held out
        instead).
    member_folds : {True, False, "always"}, optional
        Whether each member of an ensemble holds out its own share of the locations: ``True``
        only where one set shared by all members would have fewer than 20 locations (too few to
        select members by), ``"always"`` at any number, ``False`` never. The ensemble then trains
        on every location, its members are averaged, and ``held_out_score_`` is None. Default:
        ``"always"`` on fields with one snapshot under ``auto``, ``True`` elsewhere.
    jitter : float, optional
        Move the training points at each step by a random Gaussian displacement of this many
        neighbour spacings (root mean square, in the encoded coordinates): to first order a
        penalty on the network's gradient. ``auto`` uses 0.3; ``0`` turns it off.
    curvature : float, optional
        Weight of a penalty on the network's second differences over one neighbour spacing near
        the observations (:func:`xinr.training.curvature_penalty`; a discrete form of the
        smoothing spline's penalty). ``auto`` uses 0.3 on fields with one snapshot and at fixed
        positions where neighbouring observations agree (:func:`xinr.plan.rule_curvature`), 0
        elsewhere; ``paper`` never. It makes each step slower.
    residuals : {"idw", "kriging", "none"}, optional
        The residual stage. ``"idw"`` adds the inverse-distance-weighted interpolation of the
        network's misfits at the observations (16 nearest of the same snapshot on the sphere,
        fading beyond a few neighbour spacings; :mod:`xinr.residuals`), so that the
        reconstruction passes through the observations, with the network as the trend.
        ``"kriging"`` krigs the misfits instead (a Matérn covariance fitted by maximum
        likelihood; :class:`xinr.residuals.KrigedMisfits`). ``"none"`` returns the network's
        field alone. Others can be registered in :data:`xinr.residuals.RESIDUAL_STAGES`. Default: ``"idw"`` under
        ``auto`` unless the gate declines it (the misfits of the training observations raise the
        squared error at the held-out places by more than 10%; ``misfit_check_``), ``"none"``
        under ``paper``. Under ``max_time`` the passes after training count in the budget; where
        the misfits' pass would take more than half of it, the default computes them at a random
        share of the locations (with a warning). ``residuals_`` holds them; set it to None to
        see the network alone.
    combine : {"kriging", "none"}, optional
        The combination stage (:mod:`xinr.combine`): ``"kriging"`` combines the field above with
        ordinary kriging of the observed values (one Matérn-plus-nugget covariance fitted by
        maximum likelihood), with the one weight that minimises the squared error at the
        training's held-out observations (stacking; ``plan_`` says the weight and the errors it
        read). It needs a residual stage and held-out observations. Default under ``auto``:
        ``"kriging"`` on fields with one snapshot and at positions the snapshots share, where the
        held-out places are like the gaps; ``"none"`` where snapshots see different places
        (moving gaps) and under ``paper`` (:func:`xinr.plan.rule_combination`).
    seed : int, optional
        Makes CPU runs repeatable when the run's length is given in ``epochs``. A time budget
        ends after as many steps as the machine takes in it, and sizes the ensemble by timed
        steps.
    device : str
        ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"``...
    progress : bool
        Show a tqdm progress bar.
    max_points : int, optional
        Train on a uniform random subset of at most this many observations.
    max_restarts : int
        Restarts from the best state (at a lower learning rate) after the loss diverges.
    checkpoint, checkpoint_every, resume :
        Write the training state to ``checkpoint`` every ``checkpoint_every`` seconds; continue
        from a checkpoint file with ``resume``.
    amp : bool, optional
        Mixed precision on a GPU (default: on CUDA).
    bounds : "observed", (lo, hi), False or None
        Limits of the predicted values: ``"observed"`` clips to the range of the observed values,
        a pair (either may be None) gives physical limits such as ``(0, 1)``, ``False`` none.
        Default: ``"observed"`` under ``auto``, none under ``paper``.
    ensemble : int, optional
        Networks trained side by side and averaged. Default: 6 under ``auto`` up to 20,000
        observations, sized to a ``max_time`` budget by timed steps (6, 3 or 1), one above and
        under ``paper``.
    **model_kwargs
        Hyperparameters of the model (e.g. ``hidden=256, latent=128, input_scale=256``).

    Attributes
    ----------
    plan_ : xinr.plan.Plan
        What was trained and why: the rules that fired (print it).
    field_ : xinr.fitted.FittedField
        The fitted network, scalers, bounds and residual stage.
    model_ : torch.nn.Module
        The fitted network.
    network_ : dict
        What was trained: ``"model"``, ``"base"``, and for a mixture the members' ``"names"``
        and keywords (``"members"``).
    history_ : list of dict
        Loss (and validation error) per epoch.
    residuals_ : xinr.residuals.ResidualField or None
        The residual stage's misfits, added to the network's predictions.
    misfit_check_ : dict or None
        The gate's held-out check: ``locations`` and ``observations`` held out, the mean squared
        error there of the ``network`` alone and ``corrected``, ``se``, ``scale`` and whether the
        misfits were ``added``. None where no check was made.
    declined_residuals_ : xinr.residuals.ResidualField or None
        The misfits the gate declined (not saved); assign them to ``residuals_`` to add them.
    held_out_score_ : dict or None
        The reconstruction's RMSE at the held-out places next to linear interpolation's.

    Examples
    --------
    >>> import numpy as np, xarray as xr, xinr
    >>> lat, lon = np.linspace(-60, 60, 13), np.arange(0, 360, 15.0)
    >>> da = xr.DataArray(np.cos(np.deg2rad(lat))[:, None] + 0 * lon, dims=("lat", "lon"),
    ...                   coords={"lat": lat, "lon": lon}, name="t")
    >>> fitted = xinr.INR(epochs=5, progress=False, seed=0).fit(da)
    >>> fitted.reconstruct().shape
    (13, 24)
    >>> print(fitted.plan_.rule("model"))
    model: 'mix' (one snapshot: architectures whose errors partly cancel)
    """

    def __init__(
        self,
        model: str = "auto",
        *,
        preset: str = "auto",
        encoding: str = "auto",
        degree: int = 10,
        lat: str | None = None,
        lon: str | None = None,
        epochs: int | None = None,
        max_time: float | None = None,
        batch_size: int | None = None,
        lr: float | None = None,
        weight_decay: float | None = None,
        schedule: str | None = None,
        lr_decay: float | None = None,
        final_lr_fraction: float | None = None,
        clip: float | None = None,
        loss: str | None = None,
        validation: float | None = None,
        seed: int | None = None,
        device: str = "auto",
        progress: bool = True,
        max_points: int | None = None,
        max_restarts: int = 5,
        checkpoint: str | None = None,
        checkpoint_every: float = 60.0,
        resume: str | None = None,
        amp: bool | None = None,
        jitter: float | None = None,
        curvature: float | None = None,
        member_folds: bool | str | None = None,
        residuals: str | None = None,
        ensemble: int | None = None,
        bounds: str | tuple | bool | None = None,
        combine: str | None = None,
        **model_kwargs: Any,
    ):
        self.model = model
        self.preset = preset
        self.encoding = encoding
        self.degree = degree
        self.lat = lat
        self.lon = lon
        self.epochs = epochs
        self.max_time = max_time
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.schedule = schedule
        self.lr_decay = lr_decay
        self.final_lr_fraction = final_lr_fraction
        self.clip = clip
        self.loss = loss
        self.validation = validation
        self.seed = seed
        self.device = device
        self.progress = progress
        self.max_points = max_points
        self.max_restarts = max_restarts
        self.checkpoint = checkpoint
        self.checkpoint_every = checkpoint_every
        self.resume = resume
        self.amp = amp
        self.jitter = jitter
        self.curvature = curvature
        self.member_folds = member_folds
        self.residuals = residuals
        self.ensemble = ensemble
        self.bounds = bounds
        self.combine = combine
        self.model_kwargs = model_kwargs

    def get_params(self) -> dict:
        """The keywords this estimator was made with (``INR(**est.get_params())`` makes it anew)."""
        names = [
            "model", "preset", "encoding", "degree", "lat", "lon", *TRAIN_OPTIONS, "device",
            "max_points", "residuals", "ensemble", "bounds", "combine",
        ]  # fmt: skip
        params = {n: getattr(self, n) for n in dict.fromkeys(names)}
        return {**params, **self.model_kwargs}

    def _user_train(self) -> dict:
        """The training options given (not None)."""
        return {k: getattr(self, k) for k in TRAIN_OPTIONS if getattr(self, k) is not None}

    # ------------------------------------------------------------------ fitting
    def _check_options(self) -> None:
        from . import plan
        from .models import get_builder
        from .residuals import RESIDUAL_STAGES
        from .training import check_member_folds

        if self.model not in (plan.MIX_MODEL_NAME, plan.AUTO_MODEL_NAME):
            get_builder(self.model)  # unknown model -> ValueError listing known ones
        if self.preset not in plan.PRESETS:
            raise ValueError(
                f"Unknown preset {self.preset!r}. Expected one of {list(plan.PRESETS)}."
            )
        for name, unit in (
            ("jitter", "in neighbour spacings"),
            ("curvature", "the penalty's weight"),
        ):
            value = getattr(self, name)
            if value is not None and not (
                isinstance(value, (int, float))
                and not isinstance(value, bool)
                and 0 <= value < math.inf
            ):
                raise ValueError(
                    f"{name} must be a number >= 0 ({unit}; 0 turns it off); got {value!r}."
                )
        if self.member_folds is not None:
            check_member_folds(self.member_folds)
        allowed = [*RESIDUAL_STAGES, "none"]
        if self.residuals is not None and self.residuals not in allowed:
            raise ValueError(
                f"Unknown residuals {self.residuals!r}. Expected one of {allowed} "
                "(or None for the preset's choice)."
            )
        if self.combine is not None and self.combine not in plan.COMBINE:
            raise ValueError(
                f"Unknown combine {self.combine!r}. Expected one of {list(plan.COMBINE)} "
                "(or None for the preset's choice)."
            )
        if self.encoding not in ENCODING_CHOICES:
            raise ValueError(
                f"Unknown encoding {self.encoding!r}. Expected one of {list(ENCODING_CHOICES)}."
            )

    def fit(self, da: xr.DataArray | xr.Dataset, var: str | None = None) -> INR:
        """Train on the finite (non-NaN) points of ``da``.

        Parameters
        ----------
        da : xarray.DataArray or xarray.Dataset
            The field; every dimension other than the spatial ones indexes snapshots. It is not
            modified. Dask-backed fields are read in one pass. Points whose lat/lon are NaN
            (a fill value over land in some ocean grids) must hold no value; a reconstruction
            is NaN there.
        var : str, optional
            Variable to fit when ``da`` is a Dataset.

        Returns
        -------
        INR
            ``self``, fitted.
        """
        import torch

        from .pipeline import fit_field

        self._check_options()
        da = select_variable(da, var)
        layout = find_layout(da, self.lat, self.lon)
        lat, lon = spatial_points(da, layout, allow_missing=True)
        obs = observed_points(da, layout, self.max_points, self.seed)
        started = time.perf_counter()  # max_time counts from here: reading is not ours to budget
        located = np.isfinite(lat) & np.isfinite(lon)
        _check_located(located, obs.point, layout)
        if self.seed is not None:
            torch.manual_seed(int(self.seed))
        labels = {d: dim_labels(da, d) for d in layout.snapshot_dims}
        times = snapshot_times(labels, layout.snapshot_dims, obs.n_snapshots)
        empty = obs.empty_snapshots()
        _warn_empty(empty, obs.n_snapshots, layout.snapshot_dims, labels)
        global_field = wraps_around(lon[located])
        # snapshots along one dimension, others of length 1 (a level kept by sel(plev=[850]))
        one_time_axis = sum(da.sizes[d] > 1 for d in layout.snapshot_dims) <= 1
        out = fit_field(
            self.get_params(), self.model_kwargs, self._user_train(), lat, lon, located, obs, times, empty, started,
            global_field=global_field, one_time_axis=one_time_axis,
            one_axis=len(layout.snapshot_dims) == 1, time_dim=(layout.snapshot_dims or ("time",))[0],
        )  # fmt: skip
        self._keep(out)
        self.global_ = global_field
        self.layout_ = layout
        self.labels_ = labels
        self.name_ = da.name
        self.attrs_ = dict(da.attrs)
        self.dims_ = tuple(str(d) for d in da.dims)
        self.template_ = _coords_template(da)
        return self

    def _keep(self, out) -> None:
        """Keep the outcome of :func:`xinr.stages.fit_stages` as the fitted attributes."""
        plan = out.plan
        self.plan_ = plan
        self.field_ = out.field
        self.stats_ = out.stats
        self.misfit_check_ = out.residual.check
        self.declined_residuals_ = out.residual.declined
        self.model_kwargs_ = plan.model
        self.ensemble_ = plan.ensemble
        self.network_ = {
            "model": plan.name,
            "base": plan.base,
            "names": plan.names,
            "members": plan.members,
        }
        self.train_config_ = plan.train
        self.history_ = out.result.history
        self.interrupted_ = out.result.interrupted
        self.diverged_ = out.result.diverged
        self.fit_seconds_ = out.result.seconds
        self.n_obs_ = out.stats.n_obs
        self.n_snapshots_ = out.stats.n_snapshots
        self.device_ = str(out.device)

    # the fitted field's parts, by their historical names
    model_ = property(lambda self: self.field_.model, doc="The fitted network.")
    encoding_ = property(lambda self: self.field_.encoding, doc="The coordinate encoding.")
    scaler_ = property(lambda self: self.field_.scaler, doc="Values to the network's scale.")
    time_scaler_ = property(lambda self: self.field_.time_scaler, doc="Times to [0, 1].")
    bounds_ = property(lambda self: self.field_.bounds, doc="Limits of the predicted values.")

    @property
    def residuals_(self):
        """The residual stage's misfits (None: the network alone); assignable."""
        return self.field_.residuals

    @residuals_.setter
    def residuals_(self, value) -> None:
        self.field_.residuals = value

    @property
    def held_out_score_(self) -> dict | None:
        """How this fit did where it saw nothing, next to linear interpolation: at the
        training's held-out locations, the RMSE of the reconstruction as fitted and of linear
        interpolation of the same snapshots' other observations
        (:func:`xinr.residuals.held_out_score`), and ``se``, the standard error of the relative
        change over the locations. An estimate, not a promise: those locations also chose the
        network's best state (in its favour), and both are interpolated from 90% of the
        observations (against both). None where the gate's check did not run, where each member
        held out its own locations (``member_folds``; fit with ``member_folds=True`` for a shared
        set), and where fewer than 50 locations were held out
        (``residuals.SCORE_MIN_LOCATIONS``): use :func:`xinr.compare` there, which refits on a
        hidden share."""
        from .residuals import held_out_score

        self._check_fitted()
        return held_out_score(getattr(self, "misfit_check_", None))

    @property
    def is_fitted(self) -> bool:
        return hasattr(self, "field_")

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError(
                "This INR is not fitted yet: call fit(da) first, or use the object that "
                "da.inr.fit(...) returned."
            )

    def __repr__(self) -> str:
        if not self.is_fitted:
            return f"INR(model={self.model!r}, preset={self.preset!r}) [not fitted]"
        from .report import describe

        return describe(self)

    def _repr_html_(self) -> str:
        """The report as HTML, for notebooks (the text ``repr`` elsewhere)."""
        if not self.is_fitted:
            import html

            return f"<pre>{html.escape(repr(self))}</pre>"
        from .report import describe_html

        return describe_html(self)

    # ------------------------------------------------------------------ new snapshots
    def update(
        self,
        da: xr.DataArray | xr.Dataset,
        var: str | None = None,
        *,
        epochs: int | None = None,
        max_time: float | None = None,
    ) -> INR:
        """A fitted model that also holds the snapshots of ``da``: their codes fitted on the
        learned spatial basis, which stays frozen, and their own residual stage.

        Named ``update`` because it brings a fit up to date with snapshots that came after it
        (the next day's swaths); it returns a new object and leaves this one as it is. The new
        snapshots reconstruct, predict, save and load like the training ones.

        Parameters
        ----------
        da : xarray.DataArray or xarray.Dataset
            The same variable on the same region, at snapshot labels the fit does not have (any
            positions observed); one snapshot dimension, as in training.
        var : str, optional
            Variable to use when ``da`` is a Dataset.
        epochs, max_time : int, float, optional
            Length of the codes' training; by default :data:`xinr.update.UPDATE_STEPS`
            optimiser steps.

        Returns
        -------
        INR

        Raises
        ------
        ValueError
            The model has no per-snapshot codes (the time-input baselines, a mixture with
            ResMLP or SIREN members): refit instead.
        DataError, CoordinateError
            Another variable, another region, several snapshot dimensions, or labels that are
            training snapshots already.

        Examples
        --------
        >>> import numpy as np, xarray as xr, xinr
        >>> t = np.datetime64("2000-01-01") + np.arange(5) * np.timedelta64(1, "D")
        >>> lat, lon = np.linspace(-40, 40, 9), np.arange(0, 360, 20.0)
        >>> f = np.cos(np.deg2rad(lat))[None, :, None] * (1 + 0.1 * np.arange(5))[:, None, None]
        >>> da = xr.DataArray(f + 0 * lon, dims=("time", "lat", "lon"),
        ...                   coords={"time": t, "lat": lat, "lon": lon}, name="v")
        >>> fitted = xinr.INR("mmgn", epochs=3, ensemble=1, progress=False, seed=0).fit(da[:4])
        >>> later = fitted.update(da[4:], epochs=5)
        >>> later.reconstruct().sizes["time"], fitted.reconstruct().sizes["time"]
        (5, 4)
        """
        from .update import code_members

        self._check_fitted()
        code_members(self.model_)  # no codes: say so before reading anything
        from .updating import updated

        return updated(self, select_variable(da, var), epochs=epochs, max_time=max_time)

    # ------------------------------------------------------------------ prediction
    def snapshot_index(self, sel: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Flat snapshot indices and times of the outer product of per-dimension labels ``sel``.
        Along one snapshot dimension, times between training snapshots are allowed: the index is
        then the nearest snapshot and the time the one asked for (the fitted field evaluates
        models that take time as an input there, and blends the two neighbouring snapshots for
        the others)."""
        from .encoding import rank_neighbours

        dims = self.layout_.snapshot_dims
        if not dims:
            return np.zeros(1, dtype=np.int64), np.zeros(1)
        shape = tuple(len(self.labels_[d]) for d in dims)
        between = len(dims) == 1
        pos = [match_labels(self.labels_[d], sel[d], d, between) for d in dims]
        t_all = self.field_.times
        if between:
            i0, i1, w = rank_neighbours(pos[0], t_all)
            t = (1 - w) * t_all[i0] + w * t_all[i1]
            # at a snapshot its own time, also where times are unknown (NaN: 0 * NaN is NaN)
            return np.where(w < 0.5, i0, i1), np.where(w == 0, t_all[i0], t)
        grids = np.meshgrid(*[np.asarray(p, dtype=np.int64) for p in pos], indexing="ij")
        flat = np.ravel_multi_index(tuple(g.ravel() for g in grids), shape)
        return flat, t_all[flat]

    def predict(self, lat, lon, time=None, uncertainty: bool = False, **labels):
        """Evaluate the field at scattered points, pointwise (like ``DataArray.interp`` with
        DataArray indexers along one shared dimension).

        Parameters
        ----------
        lat, lon : array-like or xarray.DataArray
            Coordinates in degrees, same shape. DataArrays keep their dims and coords.
        time : array-like, optional
            Snapshot label (e.g. time) of each point, for a field with one snapshot dimension
            (whatever its name), or the labels of a ``time`` dimension among several. With no
            labels, every training snapshot is evaluated (a leading snapshot dimension). Along
            one snapshot dimension any time inside the training span will do: between two
            snapshots, MMGN and the mixture give the linear interpolation in time of theirs,
            and models that take time as an input are evaluated at it.
        uncertainty : bool
            Also give the standard deviation of the values' errors (:mod:`xinr.uncertainty`):
            a Dataset with ``<name>`` and ``<name>_std`` for DataArray coordinates, a tuple
            ``(values, std)`` of arrays otherwise.
        **labels
            Labels by dimension name, for fields with several snapshot dimensions, e.g.
            ``predict(lat, lon, time=times, level=levels)``. A dimension of length 1 (a level
            kept by ``sel(plev=[850])``) needs none.

        Returns
        -------
        numpy.ndarray, xarray.DataArray, tuple or xarray.Dataset
        """
        self._check_fitted()
        like = lat if isinstance(lat, xr.DataArray) else None
        lat_a = np.asarray(lat, dtype=np.float64)
        lon_a = np.asarray(lon, dtype=np.float64)
        if lat_a.shape != lon_a.shape:
            raise ValueError(
                f"lat and lon must have the same shape; got {lat_a.shape} and {lon_a.shape}."
            )
        check_latlon(lat_a.ravel(), lon_a.ravel(), allow_missing=True)
        labels = self._point_labels(time, labels)
        dims = self.layout_.snapshot_dims
        if labels and not all(d in labels for d in dims):
            missing = [d for d in dims if d not in labels]
            raise ValueError(f"Labels are missing for snapshot dimension(s) {missing}.")
        values = self._evaluate(self.field_.predict, lat_a, lon_a, labels)
        if not uncertainty:
            return values if like is None else self._labelled(values, like, labels)
        std = self._evaluate(self.field_.std, lat_a, lon_a, labels)
        if like is None:
            return values, std
        from .reconstruct import with_std

        field = self._labelled(values, like, labels)
        return with_std(field, self._labelled(std, like, labels), self.field_.uncertainty)

    def _evaluate(self, fn, lat_a, lon_a, labels) -> np.ndarray:
        """``fn(lat, lon, snaps, times)`` (the fitted field's values or standard deviations)
        at the points: pointwise where every point has labels, else at every snapshot."""
        dims = self.layout_.snapshot_dims
        if labels:
            return self._predict_pointwise(lat_a, lon_a, labels, fn)
        s, tv = self.snapshot_index({d: self.labels_[d] for d in dims})
        res = fn(lat_a.ravel(), lon_a.ravel(), s, tv)
        return res.reshape(tuple(len(self.labels_[d]) for d in dims) + lat_a.shape)

    def _labelled(self, res: np.ndarray, like: xr.DataArray, labels: dict) -> xr.DataArray:
        """``res`` with the coordinates of ``like`` (and the snapshots' labels where every
        training snapshot was evaluated), the field's name and attributes."""
        if labels:
            return like.copy(data=res).rename(self.name_).assign_attrs(self.output_attrs())
        dims = self.layout_.snapshot_dims
        coords = {d: self.labels_[d] for d in dims}
        return (
            xr.DataArray(res, dims=dims + like.dims, coords=coords)
            .assign_coords(like.coords)
            .rename(self.name_)
            .assign_attrs(self.output_attrs())
        )

    def _point_labels(self, time, labels: dict) -> dict:
        """The snapshot labels of ``predict``'s points by dimension (``time=`` resolved)."""
        dims = self.layout_.snapshot_dims
        if time is not None:
            if len(dims) == 1:
                labels = {dims[0]: time}
            elif "time" in dims:  # time= is then that dimension's labels, the others by name
                labels = {"time": time, **labels}
            else:
                example = ", ".join(f"{d}=..." for d in dims)
                raise ValueError(
                    f"time= works for a field with one snapshot dimension or a 'time' "
                    f"dimension; this one has {dims}. Pass labels by name instead, e.g. "
                    f"predict(lat, lon, {example})."
                )
        if labels:  # a snapshot dimension of length 1 (a level kept by sel) needs no label
            only = {d: self.labels_[d][0] for d in dims if len(self.labels_[d]) == 1}
            labels = {**only, **labels}
        return labels

    def _predict_pointwise(self, lat_a, lon_a, labels, fn=None) -> np.ndarray:
        """``fn`` (default the field's values) at points with a snapshot label each, grouped by
        snapshot."""
        fn = self.field_.predict if fn is None else fn
        dims = self.layout_.snapshot_dims
        flat_lat, flat_lon = lat_a.ravel(), lon_a.ravel()
        per = {d: np.broadcast_to(np.asarray(labels[d]), lat_a.shape).ravel() for d in dims}
        out = np.empty(flat_lat.size, dtype=np.float32)
        keys = np.stack([match_labels(self.labels_[d], per[d], d, len(dims) == 1) for d in dims], 0)
        for key in np.unique(keys.T, axis=0):
            m = np.all(keys.T == key, axis=1)
            sel = {d: np.asarray([per[d][np.flatnonzero(m)[0]]]) for d in dims}
            s, tv = self.snapshot_index(sel)
            out[m] = fn(flat_lat[m], flat_lon[m], s, tv)[0]
        return out.reshape(lat_a.shape)

    def output_attrs(self) -> dict:
        """The source's attributes plus provenance, for a reconstruction or prediction."""
        attrs = dict(self.attrs_)
        attrs.update(
            {
                "xinr_model": self.model,
                "xinr_version": __version__,
                "xinr_encoding": self.encoding_.kind,
                "history": (str(attrs.get("history", "")) + "\n" if attrs.get("history") else "")
                + f"reconstructed by xinr {__version__} ({self.model})",
            }
        )
        return attrs

    def reconstruct(
        self, target=None, *, batch_size: int | None = None, chunks=None,
        uncertainty: bool = False,
    ) -> xr.DataArray | xr.Dataset:  # fmt: skip
        """Dense field on a target grid.

        Parameters
        ----------
        target : None, xarray.DataArray, xarray.Dataset or dict
            ``None``: the training grid with its gaps filled. A DataArray/Dataset: its lat/lon (1-D
            or 2-D) and, where it has them, a subset of the training snapshots (e.g. ``time``). A
            dict: ``{"lat": ..., "lon": ..., "time": ...}`` (1-D lat/lon make a grid).
        batch_size : int, optional
            Rows (points x snapshots) evaluated at once; bounds peak memory beyond the output
            (default 4096 on CPU, 2**18 on GPU).
        chunks : None, "auto", int or dict
            Return a lazy, dask-backed result with these chunk sizes ({dim: size}; an int applies
            to the spatial dims). A chunked target (DataArray/Dataset with dask data) gives a lazy
            result with its chunks. Each chunk is predicted independently; the fitted field
            enters the dask graph once. ``.to_netcdf`` then streams chunk by chunk, and a
            ``dask.distributed.Client`` computes the chunks on its workers.
        uncertainty : bool
            Also give the standard deviation of the reconstruction's errors: a Dataset with the
            field and ``<name>_std`` (same dims and coords; CF attributes: the field's units,
            ``standard_name`` "<the field's> standard_error", the field's
            ``ancillary_variables`` naming it). The kriging variance of each snapshot's
            observed places, calibrated at the training's held-out observations
            (:mod:`xinr.uncertainty`; ``plan_.rule("uncertainty")`` and the variable's
            ``xinr_calibration`` attribute say how, or that there were too few to calibrate).

        Returns
        -------
        xarray.DataArray or xarray.Dataset
            The source's name and attributes plus provenance, the target's spatial dims and coords,
            snapshot dims first in the source's order.

        Examples
        --------
        >>> import numpy as np, xarray as xr, xinr
        >>> lat, lon = np.linspace(-20, 20, 9), np.linspace(0, 40, 9)
        >>> f = np.cos(np.deg2rad(4 * lat))[:, None] * np.sin(np.deg2rad(4 * lon))[None, :]
        >>> f[::2, ::3] = np.nan
        >>> da = xr.DataArray(f, dims=("lat", "lon"), coords={"lat": lat, "lon": lon}, name="t")
        >>> fitted = xinr.INR(epochs=20, progress=False, seed=0).fit(da)
        >>> ds = fitted.reconstruct(uncertainty=True)
        >>> sorted(ds.data_vars), ds["t"].attrs["ancillary_variables"]
        (['t', 't_std'], 't_std')
        """
        self._check_fitted()
        from .reconstruct import reconstruct

        return reconstruct(
            self, target, batch_size=batch_size, chunks=chunks, uncertainty=uncertainty
        )

    # ------------------------------------------------------------------ persistence
    def save(self, path) -> None:
        """Save the fitted model to one file (tensors and plain types; no pickled objects)."""
        from . import io

        self._check_fitted()
        io.write_state(self.to_state(), path)

    def to_state(self) -> dict:
        """The fitted estimator as a state of plain types and tensors (:mod:`xinr.io`)."""
        from .state import estimator_state

        self._check_fitted()
        return estimator_state(self)

    @classmethod
    def from_state(cls, state: dict) -> INR:
        """The fitted estimator of a state written by :meth:`to_state`, with every option it was
        fitted with."""
        from .state import estimator_from_state

        return estimator_from_state(cls, state)


def load(path) -> INR:
    """Load a model written by :meth:`xinr.INR.save`.

    Raises
    ------
    ModelFileError
        The file is not an xinr model, is damaged, or was written by a newer format.
    """
    from . import io

    return INR.from_state(io.read_state(path))


# ---------------------------------------------------------------------- helpers
def _check_located(located: np.ndarray, point: np.ndarray, layout) -> None:
    """Raise :class:`CoordinateError` where observations lie at points whose lat/lon are
    missing (``located`` False): their positions are unknown."""
    if located.all():
        return
    unplaced = int((~located[point]).sum())
    if unplaced:
        raise CoordinateError(
            f"{unplaced} observation(s) lie at points whose {layout.lat!r}/{layout.lon!r} are "
            f"missing (NaN at {int((~located).sum())} point(s)), so their positions are "
            f"unknown. Leave them out first, e.g. da.where(np.isfinite(da[{layout.lat!r}]) & "
            f"np.isfinite(da[{layout.lon!r}]))."
        )


def select_variable(obj, var: str | None) -> xr.DataArray:
    """The DataArray to fit: ``obj`` itself, ``obj[var]``, or a Dataset's only data variable."""
    if isinstance(obj, xr.DataArray):
        return obj
    if not isinstance(obj, xr.Dataset):
        raise TypeError(f"Expected an xarray DataArray or Dataset; got {type(obj).__name__}.")
    names = [str(v) for v in obj.data_vars]
    if var is not None:
        if var not in obj.data_vars:
            raise KeyError(f"Variable {var!r} is not in the Dataset; it has {names}.")
        return obj[var]
    if len(names) == 1:
        return obj[names[0]]
    if not names:
        raise DataError(
            "The Dataset has no data variables, only coordinates; there is nothing to fit. Pass "
            "the DataArray to fit, or a Dataset holding it."
        )
    raise DataError(
        f"The Dataset has {len(names)} data variables {names}; choose one with var='name'."
    )


def _warn_empty(empty: np.ndarray, n: int, dims: tuple, labels: dict) -> None:
    """Warn that snapshots ``empty`` hold no observation, saying what their reconstruction is."""
    if not empty.size:
        return
    if len(dims) == 1:
        first = labels[dims[0]][empty[0]]
        how = (
            f"(first: {dims[0]}={first}); they are reconstructed from the nearest observed "
            f"snapshots along {dims[0]!r} (MMGN's codes interpolated in time, networks that take "
            "time as an input evaluated at theirs)"
        )
    else:
        how = (
            f"; with {len(dims)} snapshot dimensions {dims} there is no one axis to interpolate "
            "along, so their reconstruction is the model's shared part only"
        )
    warnings.warn(
        f"{empty.size} of {n} snapshot(s) have no observations {how}. They are less reliable than "
        "observed snapshots; drop them, or check the selection, if that is not what you want.",
        UserWarning,
        stacklevel=3,
    )


def _coords_template(da: xr.DataArray) -> xr.Dataset:
    """The source's coordinates (computed), to label a reconstruction of the training grid."""
    return xr.Dataset(coords={k: v.variable.compute() for k, v in da.coords.items()})


__all__ = ["INR", "load", "select_variable"]
