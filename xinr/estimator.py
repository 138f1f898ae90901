"""``INR``: the estimator behind the ``.inr`` accessor.

Hyperparameters are stored untouched in ``__init__`` and checked in ``fit``; ``fit`` returns the
estimator; fitted state ends in an underscore.
"""

from __future__ import annotations

import copy
import functools
import math
import time
import warnings
from typing import Any

import numpy as np
import torch
import xarray as xr

from . import presets
from ._version import __version__
from .coords import (
    check_latlon,
    find_layout,
    labels_to_float,
    spatial_points,
    wraps_around,
)
from .encoding import ENCODINGS, Encoding, TimeScaler, rank_neighbours, time_neighbours
from .errors import CoordinateError, DataError, NotFittedError
from .models import build_network, get_builder
from .normalize import Standardizer
from .residuals import (
    RESIDUALS,
    SCORE_MIN_LOCATIONS,
    ResidualField,
    check_snapshot_count,
    checked_snapshots,
    correction_declined,
    held_out_check,
    held_out_score,
)
from .sampling import observed_points
from .training import (
    TrainConfig,
    TrainData,
    check_member_folds,
    checkpoint_members,
    predict_observations,
    step_seconds,
    train,
    training_rows,
)

# Under a max_time budget the pass that computes the misfits at the observations takes at most
# about this share of the budget left for training (a random subset of the locations where all
# would take longer), and its time is estimated as this many times the faster of two timed batches
# per batch (on the 2-core CPU the whole pass took 0.6-1.1x the faster batch's time per batch
# over 0.1M-4.8M observations in 10 runs; bench/README.md, session 25)
MISFIT_BUDGET_SHARE = 0.5
PASS_MARGIN = 1.2
OBSERVATION_BATCH = 16384  # observations per batch of the pass that computes the misfits

TRAIN_OPTIONS = (
    "epochs", "max_time", "batch_size", "lr", "weight_decay", "schedule", "lr_decay",
    "final_lr_fraction", "clip", "loss", "validation", "seed", "progress", "max_restarts",
    "checkpoint", "checkpoint_every", "resume", "amp", "jitter", "curvature", "member_folds",
)  # fmt: skip


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; anything else is passed to ``torch.device``."""
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(
            f"Unknown device {device!r}. Use 'auto', 'cpu', 'cuda' or 'cuda:N'."
        ) from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' was asked for but no CUDA GPU is available; use 'auto'.")
    return dev


class INR:
    """Implicit neural representation of a gappy field.

    Parameters
    ----------
    model : str
        A registered model name (``xinr.list_models()``), ``"mix"`` or ``"auto"`` (default).
        ``"mix"`` is an ensemble of MMGN and ResMLP networks where the ``auto`` preset trains an
        ensemble (the two win on different fields; members clearly worse on the held-out
        locations are left out), and MMGN alone where one network is trained (see
        docs/models.md for what it gave; on a map with one snapshot it is 4 MMGN, 1 ResMLP and 1
        SIREN member). ``"auto"`` is ``"mix"`` on a map with one snapshot, and where the
        snapshots lie along one time axis and share their positions (fixed stations), and
        either neighbouring observations agree or the held-out locations are enough to select members by (about
        200 stations or more; :func:`xinr.presets.choose_model`), and ``"mmgn"`` elsewhere,
        under the ``paper`` preset, or where model keywords are given (they are MMGN's);
        ``network_["model"]`` says which it trained. The choice reads the field also where
        ``curvature`` is given.
    preset : {"auto", "paper"}
        ``"auto"`` (default) sizes the network's frequency scale, width and training schedule from
        the data (resolution, extent, number of observations); ``"paper"`` uses the paper's
        configuration and recipe (Luo et al. 2024, Table 1 / appendix). Explicit keywords override
        either.
    encoding : {"auto", "box", "sphere", "sh"}
        Coordinate encoding; ``"auto"`` picks ``"sphere"`` for fields that wrap around the globe in
        longitude (:func:`xinr.coords.wraps_around`: regular, curvilinear and unstructured global
        grids, global station lists) and ``"box"`` for regional ones (the paper used ``"box"``).
    degree : int
        Spherical-harmonic degree for ``encoding="sh"``.
    lat, lon : str, optional
        Names of the latitude/longitude coordinates (found automatically otherwise).
    epochs, max_time : int, float, optional
        Stop after this many epochs or seconds, whichever comes first. ``max_time`` is for the
        whole fit once the observed points are read (reading a dask-backed field is not
        counted): preparing them, sizing the ensemble and training, checked after every
        optimiser step (at least one step is taken; the last check of the held-out error comes
        after it). With neither, the ``auto`` preset stops after 120 s
        (:data:`xinr.presets.AUTO_MAX_TIME`, the budget of the benchmark's figures), or after
        1500 optimiser steps on data up to 20,000 observations if that comes first; the
        ``paper`` preset trains 200 epochs.
    batch_size, lr, weight_decay, schedule, lr_decay, final_lr_fraction, clip, loss :
        Training recipe: observations per step, AdamW learning rate and weight decay, learning-rate
        schedule (``"cosine"`` over the budget, ``"exponential"`` per epoch with ``lr_decay``, or
        ``"constant"``), gradient-norm clipping, loss (``"l1"``, ``"mse"``, ``"huber"``).
    validation : float
        Share of the observed locations held out, with all their observations, to pick the best
        state: the validation error is then the error where nothing was observed (0 turns it
        off; with too few locations, a share of the observations is held out instead). Where
        that is fewer than 20 locations, and on fields with one snapshot, the ``auto`` preset's
        ensemble holds out a different set for each member, so that every location trains most
        members (``member_folds``).
    member_folds : {True, False, "always"}, optional
        Whether each member of an ensemble holds out its own share of the locations
        (``training.member_folds_apply``): ``True`` only where one set shared by all members
        would have fewer than 20 locations (too few to select members by), ``"always"`` at any
        number of locations, ``False`` never. The ensemble as a whole then trains on every
        location and its members are averaged, none selected, and ``held_out_score_`` is None
        (each location's error is one member's, not the ensemble's). Default (None): the
        preset's: ``"always"`` on fields with one snapshot under ``auto`` (there it lowered the
        error by 1.7 points of linear interpolation's on average over 32 fits, bench/README.md,
        sessions 30-31; :data:`xinr.presets.AUTO_SINGLE_FOLDS`) and ``True`` elsewhere. Pass
        ``True`` on a single map for a shared held-out set and an error figure.
    jitter : float, optional
        Move the training points at each step by a random Gaussian displacement of this many
        neighbour spacings (root mean square; the spacing is the median distance between
        neighbouring observed points, in the encoded coordinates): the network then fits the
        observations with a function that is smoother between them (to first order, training
        with jittered inputs penalises its gradient). The ``auto`` preset uses 0.3; ``0`` turns
        it off (the ``paper`` preset's choice).
    curvature : float, optional
        Weight of a penalty on the network's curvature between the observations, added to the
        training loss: the mean absolute second difference of the field over one neighbour
        spacing, along random directions at random points near the observations
        (:func:`xinr.training.curvature_penalty`; a discrete form of the smoothing spline's
        penalty). Where observations are sparse, a network left alone bends between them in ways
        the data do not ask for; the penalty makes it take the straighter path. The ``auto``
        preset uses 0.3 where the field has one snapshot (a map without a time axis, or a series
        of one time), and where its snapshots share their positions (fixed stations, a fixed
        land mask) and neighbouring observations agree
        (:func:`xinr.presets.neighbour_roughness` below 0.3); 0 otherwise. The ``paper`` preset
        never uses it. At 0.3 it helped smooth fields seen once (SST on an ocean model's grid at
        5%: 25% -> 34% below linear interpolation), was level on average on topography, and hurt
        sparse stations of a sharp field with time (sea ice at 1%, roughness 0.4-0.6: from 4-16%
        better than linear to 2-6% worse; ``bench/README.md``, sessions 13, 14 and 18). Its extra
        forward passes make each step slower.
    residuals : {"idw", "none"}, optional
        What to do with the network's misfits at the observations (observed value minus the
        network's prediction there). ``"idw"`` adds their inverse-distance-weighted interpolation
        (16 nearest observations of the same snapshot on the sphere, fading beyond a few neighbour
        spacings) to every prediction at a training snapshot, so that the reconstruction passes
        through the observations and leans on them nearby (regression kriging with the network as
        the trend; :mod:`xinr.residuals`). ``"none"`` returns the network's field alone. Default
        (None): under the ``auto`` preset ``"idw"`` unless a held-out check says otherwise (the
        misfits at the observations the network trained on, interpolated to the validation
        locations, raise the mean squared error there by more than 10%; checked with at least 20
        held-out locations, see ``misfit_check_``), ``"none"`` under ``paper``. At times between
        snapshots a model that takes time as an input gives the network's field at that time plus
        the linear interpolation in time of the two neighbouring snapshots' misfits; for the
        others (MMGN, the mixture) the field there is the linear interpolation in time of the two
        neighbouring snapshots' reconstructions, misfits included. Under
        ``max_time`` the pass that computes the misfits counts in the budget, as do the last
        held-out error and the held-out check (each estimated from timed samples before
        training, on data large enough to matter); where the pass would take more than half of
        it, the default computes them at a random share of the locations (with a warning).
        After fitting, ``residuals_`` holds the misfits; set it to None to see the network
        alone.
    seed : int, optional
        Makes CPU runs repeatable when the run's length is given in ``epochs``. A time budget
        (``max_time``, and the ``auto`` preset's default) ends after as many steps as the
        machine takes in it, and sizes the ensemble by timed steps; ``history_`` records how
        many epochs it took.
    device : str
        ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"``...
    progress : bool
        Show a tqdm progress bar.
    max_points : int, optional
        Train on a uniform random subset of at most this many observations.
    checkpoint, checkpoint_every, resume :
        Write the training state to ``checkpoint`` every ``checkpoint_every`` seconds; continue
        from a checkpoint file with ``resume``.
    bounds : "observed", (lo, hi), False or None
        Limits of the predicted values. ``"observed"`` clips predictions to the range of the
        observed values (a field cannot leave it by interpolation alone, and bounded quantities
        such as sea-ice fraction or precipitation stay within their limits); a pair of numbers
        (either may be None) gives physical limits, e.g. ``(0, 1)``; ``False`` turns clipping
        off. Default (None): ``"observed"`` under the ``auto`` preset, off under ``paper``.
    ensemble : int, optional
        Train this many independently initialised networks side by side and average them (the
        ``auto`` preset uses 6 up to 20,000 observations, and 1 above; with ``model="mix"`` half of
        them are ResMLP networks). Under ``auto``, MMGN members start at frequency scales spread
        around the data-derived one, each member keeps its own best state on the validation
        locations, and members clearly worse there than the best are left out of the average
        (``model_.weights``); with fewer than 20 validation locations, and on fields with one
        snapshot, the members are averaged and each holds out its own (``member_folds``). Under
        a ``max_time`` budget the preset's ensemble is sized to it: a few timed steps decide
        whether each of 6 members gets enough optimiser steps
        (``presets.AUTO_MEMBER_STEPS``); if not, 3 train, and if not even those, one network
        (``ensemble_`` says how many). The size then depends on the machine's speed; give
        ``ensemble=`` to fix it.
    **model_kwargs
        Hyperparameters of the model (e.g. ``hidden=256, latent=128, input_scale=256``).

    Attributes
    ----------
    model_ : torch.nn.Module
        The fitted network (after ``fit``).
    network_ : dict
        What was trained: ``"model"`` (the model chosen, e.g. ``"mix"`` or ``"mmgn"`` for
        ``model="auto"``), ``"base"``, and for a mixture the members' ``"names"`` and keywords
        (``"members"``).
    history_ : list of dict
        Loss (and validation error) per epoch.
    residuals_ : xinr.residuals.ResidualField or None
        The network's misfits at the observations, added to its predictions (``residuals``).
    misfit_check_ : dict or None
        The held-out check behind the preset's choice of ``residuals``: ``locations`` and
        ``observations`` held out, the mean squared error there of the ``network`` alone and
        ``corrected`` (with the misfits of the other observations added), ``se`` (the standard
        error of their difference, from its mean per location) and ``scale`` (the share of the
        correction, in [0, 1], that minimised the error there), both for information (the
        decision uses neither: on the benchmark's fields neither was a better guide at the
        hidden points, bench/README.md, session 17), and whether the misfits were ``added``.
        None where no check was made.
    declined_residuals_ : xinr.residuals.ResidualField or None
        The misfits the check declined to add (not saved with the model); assign them to
        ``residuals_`` to add them anyway.
    held_out_score_ : dict or None
        From the same check: the RMSE of the reconstruction at the held-out locations and of
        linear interpolation there, and ``mse_vs_linear`` (see the property); ``repr`` prints
        it.

    Examples
    --------
    >>> import numpy as np, xarray as xr, xinr
    >>> lat, lon = np.linspace(-60, 60, 13), np.arange(0, 360, 15.0)
    >>> da = xr.DataArray(np.cos(np.deg2rad(lat))[:, None] + 0 * lon, dims=("lat", "lon"),
    ...                   coords={"lat": lat, "lon": lon}, name="t")
    >>> fitted = xinr.INR(epochs=5, progress=False, seed=0).fit(da)
    >>> fitted.reconstruct().shape
    (13, 24)
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
        self.model_kwargs = model_kwargs

    # ------------------------------------------------------------------ fitting
    def _check_options(self) -> None:
        if self.model not in (presets.MIX_MODEL_NAME, presets.AUTO_MODEL_NAME):
            get_builder(self.model)  # unknown model -> ValueError listing known ones
        if self.preset not in presets.PRESETS:
            raise ValueError(
                f"Unknown preset {self.preset!r}. Expected one of {list(presets.PRESETS)}."
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
        if self.residuals is not None and self.residuals not in RESIDUALS:
            raise ValueError(
                f"Unknown residuals {self.residuals!r}. Expected one of {list(RESIDUALS)} (or None "
                "for the preset's choice)."
            )
        if self.encoding != "auto" and self.encoding not in ENCODINGS:
            raise ValueError(
                f"Unknown encoding {self.encoding!r}. Expected one of {['auto', *ENCODINGS]}."
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
        self._check_options()
        da = select_variable(da, var)
        layout = find_layout(da, self.lat, self.lon)
        lat, lon = spatial_points(da, layout, allow_missing=True)
        obs = observed_points(da, layout, self.max_points, self.seed)
        t_start = time.perf_counter()  # max_time counts from here: reading is not ours to budget
        # points whose lat/lon are missing (NaN: a fill value over land in some ocean grids)
        # may hold no observation, and are NaN in a reconstruction
        located = np.isfinite(lat) & np.isfinite(lon)
        _check_located(located, obs.point, layout)
        if self.seed is not None:
            torch.manual_seed(int(self.seed))
        global_field = wraps_around(lon[located])
        enc_kind = self.encoding
        if enc_kind == "auto":
            enc_kind = "sphere" if global_field else "box"
        encoding = Encoding(enc_kind, lat[located], lon[located], degree=self.degree)
        labels = {d: _dim_labels(da, d) for d in layout.snapshot_dims}
        t_all = _snapshot_times(labels, layout.snapshot_dims, obs.n_snapshots)
        empty = obs.empty_snapshots()
        _warn_empty(empty, obs.n_snapshots, layout.snapshot_dims, labels)
        tscale = TimeScaler.fit(t_all)
        # Canonical order (by place on Earth, then snapshot) so that the same field written with
        # another longitude convention, point order or dimension order trains identically.
        by_place = np.lexsort((np.round(np.mod(lon, 360.0), 9), np.round(lat, 9)))
        rank = np.empty_like(by_place)
        rank[by_place] = np.arange(by_place.size)
        order = np.lexsort((rank[obs.point], obs.snap))
        obs.snap, obs.point, obs.value = obs.snap[order], obs.point[order], obs.value[order]
        # distinct observed points, encoded once
        uniq_rank, inv = np.unique(rank[obs.point], return_inverse=True)
        uniq = by_place[uniq_rank]
        times_known = bool(np.isfinite(t_all).all())
        scaler = Standardizer.fit(obs.value)
        bounds = _resolve_bounds(self.bounds, self.preset, obs.value)
        x = encoding(lat[uniq], lon[uniq])
        user_train = {k: getattr(self, k) for k in TRAIN_OPTIONS if getattr(self, k) is not None}
        # the curvature rule's reading, only where it can matter: for the penalty's default, and
        # for model="auto", which reads it also where the user set the penalty
        roughness = None
        if (
            self.preset == "auto"
            and ("curvature" not in user_train or self.model == presets.AUTO_MODEL_NAME)
            and presets.shares_positions(len(obs), int(uniq.size), obs.n_snapshots)
        ):
            roughness = presets.neighbour_roughness(lat[uniq], lon[uniq], inv, obs.snap, obs.value)

        # snapshots along one dimension, others of length 1 (a level kept by sel(plev=[850]))
        one_time_axis = sum(da.sizes[d] > 1 for d in layout.snapshot_dims) <= 1

        def network(ensemble: int | None, spacing: float | None = None, model: str | None = None):
            setup = presets.resolve(
                self.preset,
                self.model if model is None else model,
                n_obs=len(obs),
                n_distinct=int(uniq.size),
                n_snapshots=obs.n_snapshots,
                encoding=encoding,
                x=x,
                user_model=self.model_kwargs,
                user_train=user_train,
                ensemble=ensemble,
                times_known=times_known,
                spacing=spacing,
                roughness=roughness,
                one_time_axis=one_time_axis,
            )
            net = build_network(
                setup.base,
                encoding.dim,
                obs.n_snapshots,
                setup.ensemble,
                setup.model,
                setup.members,
                setup.names,
            )
            return setup, net

        setup, net = network(self.ensemble)
        device = resolve_device(self.device)
        data = TrainData(
            x=x,
            point=torch.as_tensor(inv, dtype=torch.long),
            snap=torch.as_tensor(obs.snap, dtype=torch.long),
            t=torch.as_tensor(tscale(t_all[obs.snap]), dtype=torch.float32),
            y=torch.as_tensor(scaler.transform(obs.value), dtype=torch.float32),
        )
        budget = setup.train.get("max_time")

        def time_left(c: TrainConfig) -> TrainConfig:
            # max_time covers preparing the observations, sizing the ensemble and training (a
            # resumed fit continues the checkpoint's own clock instead)
            if budget and not c.resume:
                c.max_time = max(budget - (time.perf_counter() - t_start), 1e-3)
            return c

        cfg = time_left(TrainConfig(**setup.train))
        if self.ensemble is None and setup.ensemble > 1:
            # the preset's ensemble, sized to the time budget (or to the checkpoint resumed)
            # a resized setup reuses the neighbour spacing (the data do not change)
            resize = functools.partial(network, spacing=setup.spacing)
            k, kind = self._budget_ensemble(
                net,
                setup,
                data,
                cfg,
                device,
                resize,
                single=self.model == "auto" and obs.n_snapshots == 1,
            )
            if k != setup.ensemble or kind is not None:
                setup, net = resize(k, model=kind)
            cfg = time_left(TrainConfig(**setup.train))
        # (model="mix" leaves out its time-taking members itself when times are unknown)
        if getattr(net, "uses_time", False) and not times_known:
            d = layout.snapshot_dims[0] if layout.snapshot_dims else "time"
            raise CoordinateError(
                f"The {d!r} coordinate has {int((~np.isfinite(t_all)).sum())} missing value(s) "
                f"(NaT/NaN), and model {self.model!r} takes time as an input. Drop those "
                f"snapshots (e.g. da.sel({d}=da[{d!r}].notnull())) or use model='mmgn', which "
                "needs no time values."
            )
        keep_misfits = (self.residuals or presets.RESIDUALS[self.preset]) == "idw"
        used = None  # the observations whose misfits are computed (None: all of them)
        if keep_misfits and cfg.max_time and not cfg.resume:
            # the pass over the observations after training is part of the budget too. Where it
            # would take more than its share, the preset computes the misfits at a random subset of
            # the locations whose pass fits: on data that dense the network alone is far worse
            # than linear interpolation after a budget's training, and the misfits carry the
            # reconstruction (bench/README.md, session 25)
            net.to(device)
            full = reserve = _observation_pass_seconds(net, data, device)
            share = MISFIT_BUDGET_SHARE * cfg.max_time
            if self.residuals is None and reserve > share:
                reserve = share
                used = _misfit_subset(data.point, share / full, self.seed)
                warnings.warn(
                    f"The network's misfits are computed at {len(used):,} of the {len(data):,} "
                    f"observations (a random {share / full:.0%} of the locations): evaluating "
                    f"it at all of them would take about {full:.1f} s of the {cfg.max_time:.1f} "
                    "s left in max_time. Give a larger max_time, or residuals='idw' to use "
                    "every observation (the training then gets less time).",
                    UserWarning,
                    stacklevel=2,
                )
                keep_misfits = len(used) > 0
            if full and cfg.validation:
                # and so are the last held-out error, after the last step (a pass over the held-
                # out share), and the preset's held-out check of the misfits
                reserve += cfg.validation * full
                if self.residuals is None:
                    kept = slice(None) if used is None else used
                    reserve += _check_seconds(lat[uniq], lon[uniq], inv[kept], obs.snap[kept], cfg)
            cfg.max_time = max(cfg.max_time - reserve, 1e-3)
        result = train(net, data, cfg, device)
        self.residuals_ = None
        self.misfit_check_ = None
        self.declined_residuals_ = None
        if keep_misfits and not result.diverged:  # (a run that gave up has no field to correct)

            def at_observations(model, rows=None) -> np.ndarray:
                sub = data if rows is None else data.subset(torch.as_tensor(rows))
                p = predict_observations(model.to(device), sub.to(device), OBSERVATION_BATCH)
                p = scaler.inverse(p.cpu().numpy())
                return np.clip(p, *bounds) if bounds is not None else p

            rows = np.arange(len(obs)) if used is None else used
            pred = at_observations(net, used)
            if self.residuals is None and result.held_out is not None and not cfg.resume:
                # the preset's choice: not where the correction clearly raises the error at the
                # held-out locations
                self.misfit_check_ = _check_misfits(
                    result, net, at_observations, pred, lat[uniq], lon[uniq], inv, obs, bounds, rows
                )
            field = ResidualField(
                lat[uniq],
                lon[uniq],
                inv[rows],
                obs.snap[rows],
                obs.value[rows] - pred,
                obs.n_snapshots,
            )
            if self.misfit_check_ is None or self.misfit_check_["added"]:
                self.residuals_ = field
            else:
                self.declined_residuals_ = field
        if empty.size and len(layout.snapshot_dims) == 1 and hasattr(net, "interpolate_codes"):
            # a snapshot never observed kept its zero starting code (the shared basis alone);
            # along one time axis its neighbours' codes tell it far better (bench/README.md,
            # session 27). Times unknown (NaT): by position along the axis
            net.interpolate_codes(
                empty, t_all if times_known else np.arange(obs.n_snapshots, dtype=float)
            )
        net.to("cpu").eval()
        self.model_ = net
        self.model_kwargs_ = setup.model
        self.ensemble_ = setup.ensemble
        self.network_ = {
            "model": setup.name,
            "base": setup.base,
            "names": setup.names,
            "members": setup.members,
        }
        self.train_config_ = setup.train
        self.encoding_ = encoding
        self.scaler_ = scaler
        self.time_scaler_ = tscale
        self.bounds_ = bounds
        self.layout_ = layout
        self.labels_ = labels
        self.global_ = global_field
        self.history_ = result.history
        self.interrupted_ = result.interrupted
        self.diverged_ = result.diverged
        self.fit_seconds_ = result.seconds
        self.n_obs_ = len(obs)
        self.n_snapshots_ = obs.n_snapshots
        self.name_ = da.name
        self.attrs_ = dict(da.attrs)
        self.dims_ = tuple(str(d) for d in da.dims)
        self.template_ = _coords_template(da)
        self.device_ = str(device)
        return self

    @staticmethod
    def _budget_ensemble(
        net, setup, data, cfg, device, network, single: bool = False
    ) -> tuple[int, str | None]:
        """How many members the preset's ensemble trains, and of which model where that changes:
        as many as the checkpoint being resumed holds, or as many as get enough steps in
        ``max_time`` (:func:`presets.budget_ensemble`, from timed steps of the full ensemble and
        of one network). A mixture on a single map (``single``) that does not fit whole is
        sized as an ensemble of its base model alone instead (``(k, setup.base)``): its other
        kinds are its dearest members, and halving it left one network where the base model's
        ensemble keeps three (bench/README.md, session 36)."""
        if cfg.resume:
            return checkpoint_members(cfg.resume), None
        if not cfg.max_time:
            return setup.ensemble, None
        n_loc = len(torch.unique(data.point))
        n_train = training_rows(
            len(data), cfg.validation, cfg.member_folds, n_loc, setup.ensemble
        )
        per_epoch = math.ceil(n_train / max(1, min(int(cfg.batch_size), n_train)))
        cap = cfg.epochs * per_epoch if cfg.epochs else math.inf
        # timed on a batch of the epoch's mean size (8192 + 3168 observations: two of 5680)
        probe = copy.copy(cfg)
        probe.batch_size = math.ceil(n_train / per_epoch)
        t_full = step_seconds(net, data, probe, device)
        need = min(presets.AUTO_MEMBER_STEPS, cap)
        if cfg.max_time >= need * t_full:
            return setup.ensemble, None  # every member gets its steps: no need to time one network
        t_one = step_seconds(network(1)[1], data, probe, device)
        if single and setup.names:
            # the mixture does not fit whole: an ensemble of its base model, sized the same way
            # (the mixture's selection keywords do not change the cost of a step)
            base = network(setup.ensemble, model=setup.base)[1]
            t_base = step_seconds(base, data, probe, device)
            k = presets.budget_ensemble(setup.ensemble, t_one, t_base, cfg.max_time, cap)
            return k, setup.base
        return presets.budget_ensemble(setup.ensemble, t_one, t_full, cfg.max_time, cap), None

    @property
    def held_out_score_(self) -> dict | None:
        """How this fit did where it saw nothing, next to linear interpolation: at the
        training's held-out locations (10% of the observed places under the ``auto`` preset),
        the RMSE of the reconstruction as fitted and of linear interpolation of the same
        snapshots' other observations (:func:`xinr.residuals.held_out_score`), and ``se``, the
        standard error of the relative change over the locations. An estimate, not a promise:
        those locations also chose the network's best state (in its favour), and both are
        interpolated from 90% of the observations (against both). None where the preset's
        held-out check did not run (``residuals=`` given, ``validation=0``, another preset, a
        resumed fit), where each member of the ensemble held out its own locations
        (``member_folds``: fewer than about 200 observed places, and single maps under the
        ``auto`` preset; fit with ``member_folds=True`` for a shared set), and where fewer than
        50 locations were held out
        (``residuals.SCORE_MIN_LOCATIONS``, about 500 observed places): there the best states
        were chosen at a few dozen locations, and the error there reads far too low. Use
        :func:`xinr.compare` there, which refits on a hidden share."""
        self._check_fitted()
        return held_out_score(getattr(self, "misfit_check_", None))

    @property
    def is_fitted(self) -> bool:
        return hasattr(self, "model_")

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError(
                "This INR is not fitted yet: call fit(da) first, or use the object that "
                "da.inr.fit(...) returned."
            )

    def __repr__(self) -> str:
        if not self.is_fitted:
            return f"INR(model={self.model!r}, preset={self.preset!r}) [not fitted]"
        n_par = sum(p.numel() for p in self.model_.parameters())
        last = self.history_[-1] if self.history_ else {}
        loss = f"{last.get('loss', float('nan')):.4g}"
        val = f", val {last['val']:.4g}" if "val" in last else ""
        flags = " [interrupted]" if self.interrupted_ else ""
        ens = f", ensemble of {self.ensemble_}" if self.ensemble_ > 1 else ""
        rf = getattr(self, "residuals_", None)
        misfits = "not added"
        check = getattr(self, "misfit_check_", None)
        if rf is None and check is not None and not check["added"]:
            misfits += (
                f" (they raised the squared error at {check['locations']} held-out locations "
                f"by {100 * (check['corrected'] / check['network'] - 1):.0f}%)"
            )
        if rf is not None:
            rms = float(np.sqrt(np.mean(np.square(rf.residual, dtype=np.float64))))
            misfits = f"added (rms {rms:.4g} {self.attrs_.get('units', '')}".rstrip() + ")"
        curvature = self.train_config_.get("curvature", 0)  # set with model_ by fit and load
        smooth = f", curvature penalty {curvature:g}" if curvature else ""
        trained = self.network_.get("model", self.model)
        chosen = f" trained {trained!r}" if trained != self.model else ""  # (model="auto")
        names = self.network_["names"]
        if names:  # a mixture: say of what
            ens += " (" + " + ".join(f"{names.count(n)} {n}" for n in dict.fromkeys(names)) + ")"
        score = self.held_out_score_
        held = ""
        if score is not None:
            units = f" {self.attrs_['units']}" if self.attrs_.get("units") else ""
            held = (
                f"\n  held out: RMSE {score['rmse']:.4g}{units} at {score['locations']} "
                f"locations, linear interpolation {score['rmse_linear']:.4g} "
                f"(MSE {score['mse_vs_linear']:+.0%} +/- {score['se']:.0%})"
            )
        elif check and check.get("member_folds") and check["locations"] >= SCORE_MIN_LOCATIONS:
            held = (
                f"\n  held out: each member at its own locations ({check['locations']} in all), "
                "which reads one member's error and not the ensemble's: no honest error figure; "
                "xinr.compare(da) refits on a hidden share (or fit with member_folds=True)"
            )
        elif "linear" in (check or {}):
            held = (
                f"\n  held out: {check['locations']} locations, too few for an "
                "honest error figure (they also chose the best state); xinr.compare(da) refits "
                "on a hidden share"
            )
        return (
            f"INR(model={self.model!r}, encoding={self.encoding_.kind!r}){flags}{chosen}\n"
            f"  field: {self.name_!r} dims {self.dims_}, {self.n_snapshots_} snapshot(s), "
            f"{self.n_obs_} observed points\n"
            f"  network: {n_par:,} parameters, {self.model_kwargs_}"
            f"{ens}\n"
            f"  training: {len(self.history_)} epochs in {self.fit_seconds_:.1f} s on "
            f"{self.device_}, final loss {loss}{val}{smooth}\n"
            f"  misfits at the observations: {misfits}{held}"
        )

    # ------------------------------------------------------------------ prediction
    def _snapshot_index(self, sel: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Flat snapshot indices and times of the outer product of per-dimension labels. Along
        one snapshot dimension, times between training snapshots are allowed: the index is then
        the nearest snapshot and the time the one asked for (:meth:`_predict_grid` evaluates
        models that take time as an input there, and blends the two neighbouring snapshots for
        the others)."""
        dims = self.layout_.snapshot_dims
        if not dims:
            return np.zeros(1, dtype=np.int64), np.zeros(1)
        shape = tuple(len(self.labels_[d]) for d in dims)
        between = len(dims) == 1
        pos = [_match_labels(self.labels_[d], sel[d], d, between) for d in dims]
        t_all = _snapshot_times(self.labels_, dims, int(np.prod(shape)))
        if between:
            i0, i1, w = rank_neighbours(pos[0], t_all)
            t = (1 - w) * t_all[i0] + w * t_all[i1]
            # at a snapshot its own time, also where times are unknown (NaN: 0 * NaN is NaN)
            return np.where(w < 0.5, i0, i1), np.where(w == 0, t_all[i0], t)
        grids = np.meshgrid(*[np.asarray(p, dtype=np.int64) for p in pos], indexing="ij")
        flat = np.ravel_multi_index(tuple(g.ravel() for g in grids), shape)
        return flat, t_all[flat]

    def _predict_grid(self, lat, lon, snaps, times, batch_size=None, out=None) -> np.ndarray:
        """(S, P) predictions for snapshots ``snaps`` at points (lat, lon), in bounded batches.

        Runs on the estimator's device (a CUDA GPU under ``device="auto"`` where there is one).
        Each batch holds up to 16 snapshots at the same points (MMGN then evaluates its filters
        once per point for all of them) and about ``batch_size`` rows (default 4096 on CPU, which
        keeps the activations in cache: 4096 rows of 256 units ran 1.5x faster than 65536 on the
        development CPU; 2**18 on GPU).
        """
        between = self._between(snaps, times)
        if between is not None:  # a model without a time input, at times between snapshots
            i0, i1, w = between
            need = np.unique(np.concatenate([i0, i1]))
            t_all = _snapshot_times(self.labels_, self.layout_.snapshot_dims, self.n_snapshots_)
            rows = self._predict_grid(lat, lon, need, t_all[need], batch_size)
            k0, k1 = np.searchsorted(need, i0), np.searchsorted(need, i1)
            w = w.astype(np.float32)[:, None]
            blend = (1 - w) * rows[k0] + w * rows[k1]
            if out is None:
                return blend
            out[...] = blend
            return out
        located = np.isfinite(lat) & np.isfinite(lon)
        if not located.all():  # points whose position is unknown: NaN
            full = np.empty((len(snaps), len(lat)), np.float32) if out is None else out
            full[:, ~located] = np.nan
            full[:, located] = self._predict_grid(
                lat[located], lon[located], snaps, times, batch_size
            )
            return full
        dev = torch.device("cpu")
        if torch.cuda.is_available() and str(getattr(self, "device", "auto")) != "cpu":
            dev = resolve_device(self.device)  # a model saved on a GPU machine predicts on CPU
        net = self.model_ if dev.type == "cpu" else copy.deepcopy(self.model_).to(dev)
        if batch_size is None:
            batch_size = 4096 if dev.type == "cpu" else 2**18
        S, P = len(snaps), len(lat)
        if out is None:
            out = np.empty((S, P), dtype=np.float32)
        tsc = self.time_scaler_(times).astype(np.float32)
        clip_now = self.bounds_ is not None and self.residuals_ is None  # else after the misfits
        sc = max(1, min(S, 16))
        pc = max(1, min(P, batch_size // sc))
        with torch.inference_mode():
            for p0 in range(0, P, pc):
                x = self.encoding_(lat[p0 : p0 + pc], lon[p0 : p0 + pc]).to(dev)
                n_p = x.shape[0]
                for s0 in range(0, S, sc):
                    s_idx = torch.as_tensor(snaps[s0 : s0 + sc], dtype=torch.long, device=dev)
                    n_s = len(s_idx)
                    point = torch.arange(n_p, device=dev).repeat(n_s)
                    snap = s_idx.repeat_interleave(n_p)
                    t = torch.as_tensor(tsc[s0 : s0 + sc], device=dev).repeat_interleave(n_p)
                    y = net(x, point, snap, t).float().view(n_s, n_p).cpu().numpy()
                    y = self.scaler_.inverse(y)
                    if clip_now:  # (lo, hi), one side may be None
                        y = np.clip(y, *self.bounds_)
                    out[s0 : s0 + n_s, p0 : p0 + n_p] = y
        if self.residuals_ is not None:
            self._add_residuals(out, lat, lon, snaps, times)
        return out

    def _between(self, snaps, times):
        """For a model without a time input (MMGN, a mixture with MMGN members), rows asked for
        at times between training snapshots are the linear interpolation in time of the two
        neighbouring snapshots' reconstructions, misfits included, so the field is continuous
        in time and exact at the snapshots: ``(i0, i1, w)`` for every row, or None where every
        row is a training snapshot (or the model takes time as an input)."""
        if self.model_.uses_time or len(self.layout_.snapshot_dims) != 1:
            return None
        t_all = _snapshot_times(self.labels_, self.layout_.snapshot_dims, self.n_snapshots_)
        times = np.asarray(times, dtype=np.float64)
        if not np.isfinite(t_all).all() or np.array_equal(times, t_all[snaps]):
            return None
        return time_neighbours(t_all, times)

    def _add_residuals(self, out, lat, lon, snaps, times) -> None:
        """Add the interpolated misfits of each training snapshot to its row of ``out`` (S, P),
        then clip to the bounds. Rows of a model that takes time as an input, at times between
        training snapshots, get the linear interpolation in time of the two neighbouring
        snapshots' misfits, so the field is continuous in time and exact at the snapshots."""
        t_all = _snapshot_times(self.labels_, self.layout_.snapshot_dims, self.n_snapshots_)
        snaps = np.asarray(snaps, dtype=np.int64)
        times = np.asarray(times, dtype=np.float64)
        at = (times == t_all[snaps]) | ~np.isfinite(times) | (not self.model_.uses_time)
        if at.all():
            self.residuals_.interpolate(lat, lon, snaps, out=out)
        else:
            rows = np.flatnonzero(at)
            if rows.size:
                sub = out[rows]
                out[rows] = self.residuals_.interpolate(lat, lon, snaps[rows], out=sub)
            mid = np.flatnonzero(~at)
            i0, i1, w = time_neighbours(t_all, times[mid])
            # one call for both neighbours: one set of unit vectors, shared neighbour searches
            r0, r1 = np.split(self.residuals_.interpolate(lat, lon, np.concatenate([i0, i1])), 2)
            out[mid] += ((1 - w)[:, None] * r0 + w[:, None] * r1).astype(out.dtype)
        if self.bounds_ is not None:
            np.clip(out, *self.bounds_, out=out)

    def predict(self, lat, lon, time=None, **labels):
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
        **labels
            Labels by dimension name, for fields with several snapshot dimensions, e.g.
            ``predict(lat, lon, time=times, level=levels)``. A dimension of length 1 (a level
            kept by ``sel(plev=[850])``) needs none.

        Returns
        -------
        numpy.ndarray or xarray.DataArray
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
        flat_lat, flat_lon = lat_a.ravel(), lon_a.ravel()
        if labels and all(d in labels for d in dims):
            per = {d: np.broadcast_to(np.asarray(labels[d]), lat_a.shape).ravel() for d in dims}
            out = np.empty(flat_lat.size, dtype=np.float32)
            # group points by snapshot so each group is one grid evaluation
            keys = np.stack(
                [_match_labels(self.labels_[d], per[d], d, len(dims) == 1) for d in dims],
                0,
            )
            for key in np.unique(keys.T, axis=0):
                m = np.all(keys.T == key, axis=1)
                sel = {d: np.asarray([per[d][np.flatnonzero(m)[0]]]) for d in dims}
                s, tv = self._snapshot_index(sel)
                out[m] = self._predict_grid(flat_lat[m], flat_lon[m], s, tv)[0]
            res = out.reshape(lat_a.shape)
            if like is not None:
                return like.copy(data=res).rename(self.name_).assign_attrs(self._out_attrs())
            return res
        if labels:
            missing = [d for d in dims if d not in labels]
            raise ValueError(f"Labels are missing for snapshot dimension(s) {missing}.")
        sel = {d: self.labels_[d] for d in dims}
        s, tv = self._snapshot_index(sel)
        res = self._predict_grid(flat_lat, flat_lon, s, tv)
        shape = tuple(len(self.labels_[d]) for d in dims) + lat_a.shape
        res = res.reshape(shape)
        if like is not None:
            coords = {d: self.labels_[d] for d in dims}
            return (
                xr.DataArray(res, dims=dims + like.dims, coords=coords)
                .assign_coords(like.coords)
                .rename(self.name_)
                .assign_attrs(self._out_attrs())
            )
        return res

    def _out_attrs(self) -> dict:
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
        self, target=None, *, batch_size: int | None = None, chunks=None
    ) -> xr.DataArray:
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
            result with its chunks. Each chunk is predicted independently; the fitted model
            enters the dask graph once. ``.to_netcdf`` then streams chunk by chunk, and a
            ``dask.distributed.Client`` computes the chunks on its workers.

        Returns
        -------
        xarray.DataArray
            The source's name and attributes plus provenance, the target's spatial dims and coords,
            snapshot dims first in the source's order.
        """
        self._check_fitted()
        from .reconstruct import reconstruct

        return reconstruct(self, target, batch_size=batch_size, chunks=chunks)

    # ------------------------------------------------------------------ persistence
    def save(self, path) -> None:
        """Save the fitted model to one file (tensors and plain types; no pickled objects)."""
        self._check_fitted()
        from .io import save

        save(self, path)


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


def _check_misfits(result, net, at_observations, pred, lat, lon, point, obs, bounds, used) -> dict:
    """The held-out check of the misfit correction (:func:`residuals.held_out_check`) on the
    training loop's held-out observations: of the ensemble as a whole where they were shared, of
    each member at its own where each member held out its own (member folds). ``pred`` is the
    network's prediction at the observations ``used`` (rows of ``obs``, sorted), the ones whose
    misfits make the correction. ``added`` says whether the correction stays: unless it clearly
    raised the error there (:func:`residuals.correction_declined`)."""
    member = np.full(len(obs), -2)  # -2: trained on; -1: held out from all; else its fold
    member[result.held_out.numpy()] = (
        -1 if result.held_out_member is None else result.held_out_member.numpy()
    )
    member = member[used]
    # only the snapshots that the check visits (each member predicts there: few on long series,
    # fewer on dense data)
    snap = obs.snap[used]
    visits = check_snapshot_count(snap)
    sel = np.flatnonzero(np.isin(snap, checked_snapshots(snap[member > -2], visits)))
    rows, member = used[sel], member[sel]
    if result.held_out_member is None:
        preds, masks = pred[None, sel], (member == -1)[None]
    else:
        preds = np.stack([at_observations(m, rows) for m in net.members])
        masks = member[None, :] == result.member_fold.numpy()[:, None]  # what each held out
    check = held_out_check(
        lat,
        lon,
        point[rows],
        obs.snap[rows],
        obs.value[rows],
        preds,
        masks,
        obs.n_snapshots,
        bounds,
        visits,
    )
    check["added"] = not correction_declined(check)
    check["member_folds"] = result.held_out_member is not None
    return check


def _observation_pass_seconds(net: torch.nn.Module, data: TrainData, device) -> float:
    """Seconds that ``predict_observations`` will take over all of ``data`` on ``device``, from
    timed passes over two of its batches (the pass takes the points in order, so a batch is the
    observations of a run of consecutive points; nothing to reserve on small data)."""
    n, probe = len(data), OBSERVATION_BATCH
    if n <= 4 * probe:
        return 0.0
    # observations before the end of each point, in the pass's order (no sort of every one)
    ends = torch.cumsum(torch.bincount(data.point), 0)
    seconds = []
    for start in (0, (n - probe) // 2, n - probe):  # the first one warms up as well
        a = int(torch.searchsorted(ends, start, right=True))
        b = max(int(torch.searchsorted(ends, start + probe)), a + 1)
        rows = torch.nonzero((data.point >= a) & (data.point < b)).squeeze(1)
        t0 = time.perf_counter()
        predict_observations(net, data.subset(rows).to(device), len(rows)).cpu()  # (waits)
        seconds.append((time.perf_counter() - t0) / len(rows))
    return PASS_MARGIN * min(seconds[1:]) * n


def _check_seconds(lat, lon, point, snap, cfg: TrainConfig) -> float:
    """Seconds that :func:`_check_misfits` will take on the observations at ``point``/``snap``
    (rows of ``lat``/``lon``), from one timed check of the snapshot with the median number of
    them among those it visits, with the validation share held out at random; the check's cost
    is its neighbour searches, which grow with the observations of each snapshot visited."""
    visits = check_snapshot_count(snap)
    counts = np.bincount(snap)
    snaps = checked_snapshots(np.flatnonzero(counts), visits)
    s = snaps[np.argsort(counts[snaps], kind="stable")[len(snaps) // 2]]
    rows = np.flatnonzero(snap == s)
    held = np.random.default_rng(cfg.seed).random(rows.size) < cfg.validation
    zeros = np.zeros(rows.size)

    def check(n: int) -> None:
        z = zeros[:n]
        held_out_check(lat, lon, point[rows[:n]], z.astype(np.int64), z, z, held[:n], 1)

    check(256)  # warms up (the first call imports and allocates: 4x a later one)
    t0 = time.perf_counter()
    check(rows.size)
    return PASS_MARGIN * (time.perf_counter() - t0) * counts[snaps].sum() / rows.size


def _misfit_subset(point: torch.Tensor, fraction: float, seed) -> np.ndarray:
    """Rows (sorted) of the observations at a random ``fraction`` of the observed locations, each
    with all its snapshots: stations stay whole, so snapshots that share their positions still
    share them (one neighbour search for the misfits), and a pass over the subset costs about
    ``fraction`` of one over every observation (as many observations per location)."""
    pts = point.cpu().numpy()
    keep = np.random.default_rng(seed).random(int(pts.max()) + 1) < fraction
    return np.flatnonzero(keep[pts])


def _resolve_bounds(bounds, preset: str, values: np.ndarray) -> tuple | None:
    """Prediction limits ``(lo, hi)`` (either may be None) from the ``bounds`` option, or None."""
    if bounds is None:
        bounds = "observed" if preset == "auto" else False
    if bounds is False:
        return None
    if isinstance(bounds, str):
        if bounds != "observed":
            raise ValueError(
                f"Unknown bounds {bounds!r}. Use 'observed', a pair (lo, hi) such as (0, 1) "
                "(either may be None), or False for no limits."
            )
        return float(np.min(values)), float(np.max(values))
    try:
        lo, hi = bounds
        lo = None if lo is None else float(lo)
        hi = None if hi is None else float(hi)
    except (TypeError, ValueError):
        raise ValueError(
            f"bounds must be 'observed', a pair (lo, hi) of numbers or None, or False; got "
            f"{bounds!r}."
        ) from None
    if lo is not None and hi is not None and not lo < hi:
        raise ValueError(f"bounds=(lo, hi) needs lo < hi; got {bounds!r}.")
    if lo is None and hi is None:
        return None
    return lo, hi


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


def _dim_labels(da: xr.DataArray, dim: str) -> np.ndarray:
    if dim in da.coords and da[dim].dims == (dim,):
        return np.asarray(da[dim].values)
    return np.arange(da.sizes[dim])


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


def _snapshot_times(labels: dict, dims: tuple, n: int) -> np.ndarray:
    if len(dims) == 1:
        return labels_to_float(labels[dims[0]])
    return np.arange(n, dtype=np.float64)


def _match_labels(train: np.ndarray, want, dim: str, allow_between: bool) -> np.ndarray:
    """Positions of ``want`` labels among the training labels of ``dim``: their indices, or,
    when ``allow_between``, their ranks in time order, fractional for labels between training
    labels (:func:`xinr.encoding.rank_neighbours` turns ranks into neighbours)."""
    want = np.atleast_1d(np.asarray(want))
    if want.dtype.kind == "M" and train.dtype.kind == "M":
        want = want.astype(train.dtype)
    index = {_key(v): i for i, v in enumerate(train)}
    pos = np.empty(want.size, dtype=np.float64)
    missing = []
    for j, v in enumerate(want.ravel()):
        k = index.get(_key(v))
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


def _key(v):
    if isinstance(v, np.datetime64):
        return ("M", int(v.astype("datetime64[ns]").astype("i8")))
    if isinstance(v, (float, np.floating)):
        return ("f", float(v))
    if isinstance(v, (int, np.integer)):
        return ("f", float(v))
    return ("o", str(v))


def _coords_template(da: xr.DataArray) -> xr.Dataset:
    """The source's coordinates (computed), to label a reconstruction of the training grid."""
    ds = xr.Dataset(coords={k: v.variable.compute() for k, v in da.coords.items()})
    return ds


__all__ = ["INR", "resolve_device", "select_variable"]
