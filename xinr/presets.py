"""Hyperparameter presets: the paper's configuration, and defaults derived from the data.

``"paper"``
    Luo et al. (ICLR 2024), Table 1 and the reference code: MMGN hidden 256, latent 128, 5 layers,
    input scale 256; L1 loss, AdamW (lr 5e-3, weight decay 1e-5), exponential decay 0.99 per epoch,
    gradient clipping, 200 epochs, batches of 16 snapshots.
``"auto"``
    Sized from the data, for a good field within a small budget on a CPU: the frequency scale is
    set from the spacing of the observed points in encoded coordinates (so a regional 1 km field
    and a global 2 degree field both get filters matched to what the samples can resolve); a
    narrower network (fast on a laptop); a cosine learning-rate schedule over the budget
    (``epochs`` or ``max_time``); 10% of the observed locations held out to keep the best state;
    training points jittered at each step by 0.3 neighbour spacings (``jitter``); on a field
    with one snapshot, or with time where the snapshots share their positions and neighbouring
    observations agree (:func:`neighbour_roughness` below :data:`AUTO_SMOOTH_ROUGHNESS`), a
    penalty on its second differences between the observations (``curvature``,
    :data:`AUTO_SINGLE_CURVATURE`); the network's
    misfits at the observations interpolated and added to its predictions (``residuals``,
    :data:`RESIDUALS`).
    Training stops after :data:`AUTO_MAX_TIME` seconds (120) where neither ``epochs`` nor
    ``max_time`` is given, and after :data:`AUTO_STEPS` optimiser steps on data up to
    :data:`AUTO_ENSEMBLE_MAX_OBS` observations.
    Up to :data:`AUTO_ENSEMBLE_MAX_OBS` observations (one network above): an ensemble of 6 networks
    whose frequency scales span x0.45..x2.2 of the data-derived one, each keeping its own best state
    on the held-out locations; members clearly worse there than the best are dropped from the
    average (a paired test over the locations). Where 10% of the locations are fewer than 20, too
    few to select by, the members are averaged and each holds out its own 10% (so the ensemble
    learns from every location). Under a ``max_time`` budget too short for 6 members to take
    :data:`AUTO_MEMBER_STEPS` steps each, 3 train, or one network (:func:`budget_ensemble`).
    Cross-fitting (:data:`AUTO_CROSS`) is off: screened in session 16, not adopted.
    With ``model="mix"`` half of the members are ResMLP networks instead of MMGN
    (:data:`MIX_SHARES`; on a field with one snapshot one ResMLP and one SIREN member of six,
    :data:`SINGLE_MIX_SHARES`), and members are judged by their squared errors.
    ``model="auto"`` (the default) is ``"mix"`` on a field with one snapshot, and on a field
    with one time axis at shared positions that is smooth there (the reading that turns the
    curvature penalty on) or has enough stations to select members by, and MMGN elsewhere
    (:func:`choose_model`).

Explicit keywords passed to :class:`xinr.INR` always win over a preset.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from .classical import unit_vectors
from .training import members_selected, training_rows

PRESETS = ("auto", "paper")

PAPER_MODEL = {
    "mmgn": {"hidden": 256, "latent": 128, "layers": 5, "input_scale": 256.0, "alpha": 1.0},
    "resmlp": {"width": 250, "depth": 6},
    "siren": {"hidden": 512, "layers": 5, "w0": 1.0, "w0_initial": 25.0},
    "ffn_p": {"n_frequencies": 220, "max_frequency": 90.0},
    "ffn_g": {"n_features": 256, "sigma": 7.0},
}
PAPER_TRAIN = {
    "lr": 5e-3,
    "weight_decay": 1e-5,
    "schedule": "exponential",
    "lr_decay": 0.99,
    "clip": 0.999,
    "loss": "l1",
    "validation": 0.0,
}

# Data-derived preset. The frequency constants are in units of 1 / (median distance between
# neighbouring observed points) in the encoded space.
AUTO_FREQ = {"mmgn": 2.5, "siren": 0.5, "ffn_g": 0.035, "ffn_p": 0.25}
AUTO_MODEL = {
    "mmgn": {"hidden": 128, "latent": 64, "layers": 3, "alpha": 1.0},
    "resmlp": {"width": 128, "depth": 4},
    "siren": {"hidden": 128, "layers": 4},
    "ffn_p": {"n_frequencies": 32, "hidden": 128, "layers": 3},
    "ffn_g": {"n_features": 128, "hidden": 128, "layers": 3},
}
# member_folds: where the held-out set would have fewer than 20 locations (too few to select
# members by, training.MIN_SELECTION_LOCATIONS), each ensemble member holds out its own share of
# the locations instead of one set held out from all, so that every station trains most members:
# linear interpolation with 90% of the stations has 4-17% more error on the benchmark's masks
# with fewer than 200 stations (bench/station_share.py). Measured at 120 s in bench/README.md,
# session 7.
AUTO_TRAIN = {
    "lr": 2e-3,
    "weight_decay": 1e-5,
    "schedule": "cosine",
    "clip": 1.0,
    "loss": "l1",
    "validation": 0.1,
    "member_weights": "validation",
    "member_folds": True,
    "jitter": 0.3,
}
# On fields with one snapshot the auto preset's members hold out their own locations at any
# number of them ("always", training.member_folds_apply), not only below 20 held-out locations:
# with one set shared by all members, a tenth of the places trains no network, and a single map
# has no other snapshot to borrow them from. The members are then averaged (none is selected).
# Measured at 120 s side by side on the same masks (bench/README.md, sessions 30 and 31;
# bench/member_folds_pairs.py): over 32 fits on 12 single maps (smooth and sharp, 5% and 1%,
# seeds 0 and 1), -1.7 points vs linear on average (-1.85 over session 31's 20, -1.5 over
# session 30's 12), better by more than a point in 20 and worse in 4, by at most 3.2; the
# network alone gained more (-2.9 and -3.0 points). The cost: under member folds no location
# is held out from every member, so held_out_score_ is None (residuals.held_out_score); fit
# with member_folds=True for a shared set and a score.
AUTO_SINGLE_FOLDS: bool | str = "always"
# jitter: the training points move at each step by a Gaussian displacement of 0.3 neighbour
# spacings (root mean square, in the encoded coordinates; training.forward_batch), so that a network
# cannot fit the observations with a function that is wild between them: to first order this is
# a penalty on its gradient (Bishop 1995). Screened at 120 s in bench/README.md, session 9.
# curvature: the training loss can add a weight x the mean absolute second difference of the field
# over one neighbour spacing near the observations (training.curvature_penalty). The auto preset
# turns it on (AUTO_SINGLE_CURVATURE) only where the field has one snapshot: there no other
# snapshot shares the spatial basis, and nothing else keeps the network smooth between sparse
# points. Measured at 120 s in bench/README.md, sessions 13 and 14, at weight 0.3: on fields seen
# once it gained on smooth fields (Levitus SST 4.5 points on average over 8 cases; SST on a
# bipolar grid 5%: -25% -> -34% vs linear) and was level on sharp topography on average (etopo
# +0.1, hsurf +0.8 points over 8 fits each, single cases up to 9 points either way); on five maps
# never used to choose the rule, -28.0% vs linear against -26.1% without it. With a time axis it
# lost where snapshots share fixed positions (sea ice 1%/1: -4% / -16% -> +2% / +6%), so it
# stays off there.
AUTO_SINGLE_CURVATURE = 0.3
# Session 18 turned the same penalty on for fields with time where the snapshots share their
# positions (at most AUTO_FIXED_SHARE times as many distinct places as observations per
# snapshot: fixed stations, or a fixed land mask) and the field is smooth at the stations'
# spacing: neighbour_roughness, the semivariance of neighbouring observations over the
# snapshot's variance (0: neighbours agree; about 1: they are unrelated), below
# AUTO_SMOOTH_ROUGHNESS. On the 16 recorded fits at fixed positions with and without the
# penalty (bench/README.md, sessions 13 and 15) the rule kept it off in the fits it cost 4-22
# points (sea ice and wind at 1%: roughness 0.35-0.62) and on in those it gained 4-38 (the
# sample at 1%, tropical Pacific SST at 5%: 0.16-0.22); on fields never used to choose it,
# see bench/README.md, session 18.
AUTO_SMOOTH_ROUGHNESS = 0.3
AUTO_FIXED_SHARE = 1.5
# Several networks side by side: their average removes much of the noise a single network fits
# between sparse points. Up to AUTO_ENSEMBLE_MAX_OBS observations the estimator sizes the ensemble
# to the time budget (budget_ensemble); above, one network trains, which there takes the steps
# that several members would share. Sessions 8-22 sized the ensemble to the budget at any data
# size (session 8, before the misfits were added: 3 members 6-7 points ahead of one network on
# navy wind, 132 months, and ocean temperature, 228 snapshots, at 5% of fixed positions). With
# the misfits added (session 23, bench/README.md, both fields at 5%, tasks 1 and 3, seeds 0 and
# 1, 120 s): one network 2.1 points better on average over the 8 fits (better by more than a
# point in 5, worse in 1, by 1.4), the network alone better in all 8, by 4-20 points.
AUTO_ENSEMBLE = 6
AUTO_ENSEMBLE_MAX_OBS = 20000
# The ensemble's members start at different frequency scales, spread geometrically around the
# data-derived one (x0.45 .. x2.2): how smooth a field is between the samples cannot be read from
# their spacing (the best member was x0.6 on Levitus SST and x2.2 on sea ice, bench/README.md).
# With member_weights="validation" each member keeps its own best state and members clearly
# worse on the held-out locations leave the average (training.member_weights), so the ensemble
# picks the scale where the data can tell and averages where they cannot. Only where the scale
# sets the initial weights and not the architecture (MMGN's input_scale), so a saved ensemble
# loads with the base keywords.
AUTO_SPREAD = {"mmgn": ("input_scale", 0.45, 2.2)}
# model="mix" (opt-in): where an ensemble is trained, a share of its members are ResMLP networks,
# which take time as an input coordinate, and the rest MMGN networks (a shared spatial basis with
# a code per snapshot); members are kept by squared error at the held-out locations (the training
# loss stays L1), since a member with rare large misses is what raises a field's RMSE. ResMLP was
# the best single network on smooth fields at fixed stations, MMGN where snapshots see different
# positions. Over the 24-case table it was level with the MMGN default on average (14 vs 13 cases
# at the target, worse on the demo's 10% at different positions), so it is not the default
# everywhere (bench/README.md, session 5); model="auto" (below) uses it where it gained.
MIX_MODEL_NAME = "mix"
MIX_BASE = "mmgn"
# model="auto" (the default): the mixture on a field with one snapshot (SINGLE_MIX_SHARES below),
# and where the field's snapshots lie along one time axis at shared positions (fixed stations,
# a fixed land mask) and either neighbouring observations agree (the curvature rule's reading,
# smooth_at_stations) or the members are selected on one shared held-out set (at least ~200 stations: member folds do not apply), and MMGN elsewhere
# (choose_model). At fixed stations every station holds a series in time, which a network that
# takes time as an input (ResMLP) uses directly. Measured at 120 s in bench/README.md, session
# 20, against the MMGN default on the same masks, on fits not used to choose each part: smooth at
# stations, -16 points of MSE vs linear over 17 fits (9 better, 8 worse by at most 1.5; tropical
# Pacific SST at 5% of fixed stations -62% -> -70%); rough with members selected, -18.7 over 5
# (all better; screened first on 3: -33, sea ice 5%/1 -17% -> -22%, surface pressure +0.4% ->
# -17%). Rough with member folds (every member averaged, so a poor ResMLP half stays in) was +9.6
# over 7 fits (sea ice 1%/1 seed 1 -14% -> -1.5%): MMGN there. Several snapshot dimensions
# (months x depths of ocean temperature) give a time-taking network only a flat snapshot index
# for time: there the mixture lost 18 points, so it stays off. Snapshots at different positions
# keep MMGN, where the mixture was not better (session 5).
AUTO_MODEL_NAME = "auto"
MIX_SHARES = {"resmlp": 0.5}
# On a field with one snapshot (a map without time) model="auto" trains the mixture too, in other
# shares: one ResMLP and one SIREN member among six, the rest MMGN at the spread scales; all are
# averaged under member folds. On single maps a different architecture had beaten MMGN in each case
# (session 29), so the three kinds' errors partly cancel. Measured at 120 s in bench/README.md,
# session 35, against six MMGN members on the same masks: six sharp maps, level at 5% and -1.9
# points of MSE vs linear at 1% (12 fits, seeds 0 and 1; humidity 1% +7.0% -> +2.5%); on 12 fits
# of maps not used to choose it, -1.45 points (6 better, 2 worse by at most 1.9; COADS wind speed
# and meridional wind, first months at 1%, -3.55 over 4; precipitation level; smooth SST maps -0.5
# over 6). Where the budget is too short for the whole mixture, the estimator sizes an ensemble of
# MMGN alone instead of halving the mixture (INR._budget_ensemble; session 36).
SINGLE_MIX_SHARES = {"resmlp": 1 / 6, "siren": 1 / 6}
MIX_TRAIN = {"selection_loss": "mse"}
# What the fitted object does with the network's misfits at the observations (INR(residuals=)):
# under "auto" their inverse-distance interpolation is added to the network's field, so that the
# reconstruction passes through the observations (xinr.residuals); "paper" returns the network
# alone, as the paper does. Measured at 120 s in bench/README.md, session 10: on the 24-case
# table the same fits gained 2.7 points on average (up to 13 on smooth fields; 1-3.5 points lost
# in 7 cases with sparse observations in each snapshot), SST on a bipolar ocean grid (one month,
# 5%, never used for tuning) went from 6% to 23% below linear interpolation. Under "auto" the
# estimator adds them only where a held-out check does not decline them
# (residuals.correction_declined; session 12: declined in 7 of 48 fits, each where they cost
# 0.9-11 points).
RESIDUALS = {"auto": "idw", "paper": "none"}
# The most optimiser steps a time budget (AUTO_MAX_TIME by default) may use on small data
# (<= AUTO_ENSEMBLE_MAX_OBS observations): on a few hundred points of a sharp field,
# 2400 full-batch steps gave 25-45% more error than 1200 (hsurf_rotated, two seeds), and the
# validation split is too small there to stop in time. Screened both ways since (bench/README.md):
# 3000 level or worse on six 1% fits of sparse stations and maps (session 19), 750 +1.1 points vs
# linear over 12 fits of single sharp maps at 1% (session 37).
AUTO_STEPS = 1500
# The time budget of a fit under "auto" where neither epochs nor max_time is given: the budget the
# benchmark's figures were measured at (bench/accuracy.py), so that the call a user makes first is
# the configuration measured against linear interpolation. Before session 23 such a fit trained
# AUTO_STEPS steps of the whole ensemble whatever they cost: 274-394 s on the 2-core CPU for
# fields of 2,100-12,600 observations (the sample, navy wind, Levitus SST at 5%), and one network
# of AUTO_STEPS steps above AUTO_ENSEMBLE_MAX_OBS observations (bench/README.md, session 23, has
# both defaults' errors).
AUTO_MAX_TIME = 120.0


# Under a time budget (max_time) the ensemble is sized to it. Members are trained side by side,
# so a step of k members costs about k times one network's; where the budget does not give each
# of the AUTO_ENSEMBLE members AUTO_MEMBER_STEPS steps, half as many members train (3, at
# x0.45, x1, x2.2), and where even those fall short, one network. Measured at 120 s (seed 0,
# bench/README.md, session 6): 6 members at ~750 steps beat 3 at ~1500 and one network (sample 5%
# task 1: -49% vs -43% and -41% MSE vs linear; Levitus 5%: -38% vs -23% and -19%), but on navy
# wind 5% task 3 (12,624 observations) 6 members got 286 steps each: -35%, against -53% for 3 at
# 582 and -43% for one network; on the demo's 10,478 observations at 60 s, 6 members at ~170
# steps gave an RMSE of 0.79 degC where one network reached 0.66.
AUTO_MEMBER_STEPS = 500


def budget_ensemble(
    k_max: int, t_one: float, t_full: float, max_time: float, steps_cap: float = math.inf
) -> int:
    """The ensemble size to train under a time budget of ``max_time`` seconds.

    The largest of ``k_max``, ``k_max // 2``, ``k_max // 4``, ... whose members each get
    ``min(AUTO_MEMBER_STEPS, steps_cap)`` optimiser steps (``steps_cap``: the most the schedule
    takes anyway), else 1. A step of k members is taken to cost ``t_one + (t_full - t_one) *
    (k - 1) / (k_max - 1)`` seconds, from measured steps of one network (``t_one``) and of
    ``k_max`` (``t_full``). Halving keeps the members' frequency scales at the ends and the middle
    of the preset's spread.

    Examples
    --------
    >>> budget_ensemble(6, 0.01, 0.06, 120.0)  # 2000 steps of 6 members fit
    6
    >>> budget_ensemble(6, 0.06, 0.36, 120.0)  # 333 steps of 6, 666 of 3
    3
    >>> budget_ensemble(6, 0.06, 0.36, 60.0)  # 166 steps of 6, 333 of 3, 1000 of one
    1
    """
    need = min(AUTO_MEMBER_STEPS, steps_cap)
    k = int(k_max)
    while k > 1:
        t = t_one + (t_full - t_one) * (k - 1) / max(k_max - 1, 1)
        if max_time >= need * max(t, 1e-12):
            return k
        k //= 2
    return 1


@dataclass
class Setup:
    model: dict
    train: dict
    ensemble: int = 1
    # per-member model keywords (initial frequency scales, or another model's keywords)
    members: list[dict] | None = None
    names: list[str] | None = None  # per-member model names, where the members' models differ
    base: str = "mmgn"  # the model trained when the ensemble is of one kind
    name: str = "mmgn"  # the model trained (model="auto" picks "mix" or "mmgn": choose_model)
    spacing: float | None = None  # neighbour_spacing(x) under "auto", to pass to a new resolve


def neighbour_spacing(x: torch.Tensor, max_points: int = 4096, seed: int = 0) -> float:
    """Median distance from a point to its nearest neighbour, over (a sample of) the rows of x."""
    n = x.shape[0]
    if n < 2:
        return 1.0
    g = torch.Generator().manual_seed(seed)
    xs = x if n <= max_points else x[torch.randperm(n, generator=g)[:max_points]]
    d = torch.cdist(xs.double(), x.double() if n <= 4 * max_points else xs.double())
    d[d <= 1e-12] = math.inf
    nn_d = d.min(1).values
    nn_d = nn_d[torch.isfinite(nn_d)]
    if nn_d.numel() == 0:
        return 1.0
    spacing = float(nn_d.median())
    if n > 4 * max_points:  # sample of a sample: spacing shrinks like 1/sqrt(density)
        spacing *= math.sqrt(max_points / n)
    return max(spacing, 1e-9)


def shares_positions(n_obs: int, n_distinct: int, n_snapshots: int) -> bool:
    """Whether the snapshots of a field with time mostly share their observed positions: at most
    :data:`AUTO_FIXED_SHARE` times as many distinct places as observations per snapshot.

    Examples
    --------
    >>> shares_positions(1200, 100, 12), shares_positions(1200, 900, 12)
    (True, False)
    """
    return n_snapshots > 1 and n_distinct <= AUTO_FIXED_SHARE * n_obs / n_snapshots


def smooth_at_stations(
    n_obs: int, n_distinct: int, n_snapshots: int, roughness: float | None
) -> bool:
    """Whether a field with time is smooth at shared positions: the snapshots share their
    positions (:func:`shares_positions`) and neighbouring observations agree
    (:func:`neighbour_roughness` below :data:`AUTO_SMOOTH_ROUGHNESS`).

    Examples
    --------
    >>> smooth_at_stations(1200, 100, 12, 0.1), smooth_at_stations(1200, 100, 12, 0.5)
    (True, False)
    >>> smooth_at_stations(1200, 900, 12, 0.1), smooth_at_stations(1200, 100, 12, None)
    (False, False)
    """
    return (
        roughness is not None
        and roughness < AUTO_SMOOTH_ROUGHNESS
        and shares_positions(n_obs, n_distinct, n_snapshots)
    )


def choose_model(
    model: str,
    preset: str,
    user_model: dict,
    *,
    shared_positions: bool,
    smooth: bool,
    selected: bool,
    one_time_axis: bool,
    times_known: bool = True,
    single: bool = False,
) -> str:
    """The model a fit trains: ``model``, or for ``model="auto"`` the mixture
    (:data:`MIX_MODEL_NAME`) or MMGN.

    The mixture on a field with one snapshot (``single``: a map, where it mixes in the shares of
    :data:`SINGLE_MIX_SHARES`), and where the snapshots share their positions
    (``shared_positions``, :func:`shares_positions`: fixed stations, a fixed land mask) along
    one time axis with known times, and either neighbouring observations agree (``smooth``,
    :func:`smooth_at_stations`) or the ensemble's members are selected on one shared set of
    held-out locations (``selected``, :func:`xinr.training.members_selected`: where member
    folds do not apply, so that members that do worse there leave the average). MMGN
    elsewhere, wherever the user sets model keywords (they are MMGN's), and under the ``paper``
    preset.

    Examples
    --------
    >>> kw = dict(shared_positions=True, one_time_axis=True)
    >>> choose_model("auto", "auto", {}, smooth=True, selected=False, **kw)
    'mix'
    >>> choose_model("auto", "auto", {}, smooth=False, selected=True, **kw)
    'mix'
    >>> choose_model("auto", "auto", {}, smooth=False, selected=False, **kw)
    'mmgn'
    >>> choose_model("siren", "auto", {}, smooth=True, selected=True, **kw)
    'siren'
    >>> kw = dict(shared_positions=False, one_time_axis=True, smooth=False, selected=False)
    >>> choose_model("auto", "auto", {}, single=True, **kw)
    'mix'
    >>> choose_model("auto", "paper", {}, single=True, **kw)
    'mmgn'
    """
    if model != AUTO_MODEL_NAME:
        return model
    if preset != "auto" or user_model or not times_known:
        return MIX_BASE
    if single or (shared_positions and one_time_axis and (smooth or selected)):
        return MIX_MODEL_NAME
    return MIX_BASE


def neighbour_roughness(
    lat, lon, point, snap, value, max_snapshots: int = 12, max_points: int = 4096
) -> float:
    """How rough a field is at the spacing of its observations: the mean semivariance
    ``(v_i - v_j)**2 / 2`` between each observation and its 3 nearest observations of the same
    snapshot (on the sphere), over the variance of that snapshot's observations.

    About 0 where neighbouring observations agree (a field resolved by the sampling), about 1
    where they are unrelated (noise, or features finer than the spacing). Visits at most
    ``max_snapshots`` snapshots (evenly spaced) and ``max_points`` observations of each.

    Parameters
    ----------
    lat, lon : numpy.ndarray
        Degrees of the distinct observed points, shape (U,).
    point, snap, value : numpy.ndarray
        Per observation: row in ``lat``/``lon``, snapshot, value; shape (n,).

    Returns
    -------
    float
        NaN where no snapshot has 4 observations and some spread.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> lat, lon = rng.uniform(-60, 60, 500), rng.uniform(0, 360, 500)
    >>> point, snap = np.arange(500), np.zeros(500, int)
    >>> smooth = np.sin(np.deg2rad(lon)) + np.cos(np.deg2rad(2 * lat))
    >>> round(neighbour_roughness(lat, lon, point, snap, smooth), 2)
    0.02
    >>> round(neighbour_roughness(lat, lon, point, snap, rng.normal(size=500)), 1)
    1.0
    """
    from scipy.spatial import cKDTree

    point, snap = np.asarray(point), np.asarray(snap)
    value = np.asarray(value, dtype=np.float64)
    snaps = np.unique(snap)
    if len(snaps) > max_snapshots:
        snaps = snaps[np.linspace(0, len(snaps) - 1, max_snapshots).round().astype(int)]
    xyz = unit_vectors(np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64))
    total, weight, last = 0.0, 0, None
    for s in snaps:
        rows = np.flatnonzero(snap == s)
        v = value[rows]
        var = float(np.var(v))
        if rows.size < 4 or var <= 0:
            continue
        if last is None or not np.array_equal(point[rows], last):  # fixed stations: one search
            last = point[rows]
            q = min(rows.size, max_points)
            pick = np.random.default_rng(0).choice(rows.size, q, replace=False)
            _, near = cKDTree(xyz[last]).query(xyz[last[pick]], k=4)
        gamma = 0.5 * np.mean((v[pick, None] - v[near[:, 1:]]) ** 2)
        total += q * gamma / var
        weight += q
    return float(total / weight) if weight else float("nan")


def _frequency(model: str, spacing: float) -> dict:
    """The data-derived frequency keyword of ``model`` at a neighbour ``spacing`` (none for models
    without one)."""
    c = AUTO_FREQ.get(model)
    if c is None:
        return {}
    key = {"mmgn": "input_scale", "siren": "w0_initial", "ffn_g": "sigma", "ffn_p": "max_frequency"}
    return {key[model]: float(c / spacing)}


def resolve(
    preset: str,
    model: str,
    *,
    n_obs: int,
    n_distinct: int,
    n_snapshots: int,
    encoding,
    x: torch.Tensor,
    user_model: dict,
    user_train: dict,
    ensemble: int | None = None,
    times_known: bool = True,
    spacing: float | None = None,
    roughness: float | None = None,
    one_time_axis: bool = True,
) -> Setup:
    """Model and training keywords for a fit: preset values, overridden by the user's.

    ``model="mix"`` is MMGN where one network is trained (the ``paper`` preset, or data above
    :data:`AUTO_ENSEMBLE_MAX_OBS` observations) and otherwise an ensemble whose members are
    MMGN and ResMLP networks in the shares of :data:`MIX_SHARES` (on a field with one snapshot,
    MMGN, ResMLP and SIREN networks in those of :data:`SINGLE_MIX_SHARES`). Models that take time
    as an input join only where every snapshot's time is known (``times_known``). ``spacing``, when given,
    is ``neighbour_spacing(x)`` from an earlier call (the setup's ``spacing``), not recomputed.
    ``roughness`` is :func:`neighbour_roughness` of the observations, where
    :func:`shares_positions` (None elsewhere: it only matters there). ``model="auto"`` trains
    what :func:`choose_model` picks (``one_time_axis``: whether the snapshots lie along one
    dimension); the setup's ``name`` says which.
    """
    if preset == "auto" and "epochs" not in user_train and "max_time" not in user_train:
        # the preset's own time budget, as if the user had given it
        user_train = {**user_train, "max_time": AUTO_MAX_TIME}
    smooth = smooth_at_stations(n_obs, n_distinct, n_snapshots, roughness)
    # the preset's member folds, and the ones this fit uses (the user's where given)
    preset_folds = (
        AUTO_SINGLE_FOLDS if preset == "auto" and n_snapshots == 1 else AUTO_TRAIN["member_folds"]
    )
    member_folds = user_train.get("member_folds", preset_folds)
    if model == AUTO_MODEL_NAME:
        selected = members_selected(
            user_train.get("member_weights", AUTO_TRAIN["member_weights"]),
            member_folds,
            user_train.get("validation", AUTO_TRAIN["validation"]),
            n_distinct,
            ensemble if isinstance(ensemble, int) else AUTO_ENSEMBLE,
        )
        model = choose_model(
            model,
            preset,
            user_model,
            shared_positions=shares_positions(n_obs, n_distinct, n_snapshots),
            smooth=smooth,
            selected=selected,
            one_time_axis=one_time_axis,
            times_known=times_known,
            single=n_snapshots == 1,
        )
    if model == MIX_MODEL_NAME and user_model:
        raise TypeError(
            f"model='mix' chooses its networks' hyperparameters; got {sorted(user_model)}. "
            f"Pick a model to set them, e.g. INR('mmgn', {next(iter(user_model))}=...)."
        )
    base = MIX_BASE if model == MIX_MODEL_NAME else model
    if ensemble is None:
        # (the estimator sizes it to the time budget: budget_ensemble); larger data, one network
        ensemble = AUTO_ENSEMBLE if preset == "auto" and n_obs <= AUTO_ENSEMBLE_MAX_OBS else 1
    train: dict = {}
    mkw: dict = {}
    if preset == "paper":
        mkw.update(PAPER_MODEL.get(base, {}))
        train.update(PAPER_TRAIN)
        per_snapshot = max(1, n_obs // max(n_snapshots, 1))
        train["batch_size"] = 16 * per_snapshot
        if "epochs" not in user_train and "max_time" not in user_train:
            train["epochs"] = 200
    else:
        mkw.update(AUTO_MODEL.get(base, {}))
        train.update(AUTO_TRAIN)
        train["member_folds"] = preset_folds
        if spacing is None:
            spacing = neighbour_spacing(x)
        mkw.update(_frequency(base, spacing))
        bs = user_train.get("batch_size", min(n_obs, 8192))
        train["batch_size"] = bs
        n_train = training_rows(
            n_obs,
            user_train.get("validation", train["validation"]),
            member_folds,
            n_distinct,
            ensemble if isinstance(ensemble, int) else 1,
        )
        steps_per_epoch = max(1, math.ceil(n_train / bs))
        # on small data, at most AUTO_STEPS within the time budget (there is always one here
        # when epochs is not given: AUTO_MAX_TIME by default)
        if "epochs" not in user_train and n_obs <= AUTO_ENSEMBLE_MAX_OBS:
            train["epochs"] = max(1, math.ceil(AUTO_STEPS / steps_per_epoch))
        if n_snapshots == 1 or smooth:
            train["curvature"] = AUTO_SINGLE_CURVATURE
    train.update(user_train)
    mkw.update(user_model)
    # jitter is in neighbour spacings (the training loop takes the displacement in encoded units);
    # the curvature penalty's second differences are taken over one neighbour spacing
    jitter = train.pop("jitter", 0.0) or 0.0
    curvature = train.pop("curvature", 0.0) or 0.0
    if (jitter > 0 or curvature > 0) and spacing is None:
        spacing = neighbour_spacing(x)
    if jitter > 0:
        train["input_noise"] = float(jitter * spacing)
    if curvature > 0:
        train["curvature"] = curvature
        train["curvature_step"] = float(spacing)
    mixed = (
        model == MIX_MODEL_NAME and preset == "auto" and times_known and isinstance(ensemble, int)
    )
    names = None  # per-member models, only for a mixture
    if mixed and ensemble > 1:
        shares = SINGLE_MIX_SHARES if n_snapshots == 1 else MIX_SHARES
        others = [n for n, share in shares.items() for _ in range(max(1, round(share * ensemble)))]
        others = others[: ensemble - 1]  # at least one MMGN member
        names = [base] * (ensemble - len(others)) + others
        train = {**MIX_TRAIN, **train}
    kinds = names or ([base] * ensemble if isinstance(ensemble, int) else [])
    own = [i for i, n in enumerate(kinds) if n == base]
    spread = AUTO_SPREAD.get(base) if preset == "auto" else None
    spread = spread if spread and spread[0] in mkw and spread[0] not in user_model else None
    members = None
    if names or (spread and len(own) > 1):
        members = [dict(mkw) for _ in kinds]
        if spread and len(own) > 1:
            key, lo, hi = spread
            for j, i in enumerate(own):
                members[i][key] = mkw[key] * lo * (hi / lo) ** (j / (len(own) - 1))
        for i, n in enumerate(kinds):
            if n != base:
                members[i] = {**AUTO_MODEL.get(n, {}), **_frequency(n, spacing)}
    return Setup(
        model=mkw,
        train=train,
        ensemble=ensemble,
        members=members,
        names=names,
        base=base,
        # what was trained: a "mix" of one network is MMGN alone
        name=model if names or model != MIX_MODEL_NAME else base,
        spacing=spacing,
    )
