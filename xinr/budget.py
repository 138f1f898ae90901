"""Sizing a plan to its time budget: the only stage of a fit that reads the clock.

Under ``max_time`` the preset's ensemble is sized from timed optimiser steps
(:func:`budget_ensemble`), and the passes after training (the misfits at the observations, the
last held-out error, the held-out check) are reserved from the budget, from timed samples;
where the misfits' pass would take more than :data:`MISFIT_BUDGET_SHARE` of it, they are
computed at a random share of the places (:func:`misfit_subset`).
"""

from __future__ import annotations

import copy
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from . import plan as plans
from .plan import Plan, Rule, training_rows
from .residuals import check_snapshot_count, checked_snapshots, held_out_check
from .training import (
    TrainConfig,
    TrainData,
    checkpoint_members,
    predict_observations,
    step_seconds,
)

# the misfits' pass takes at most this share of the budget left for training; its time is this
# many times the faster of two timed batches per batch (0.6-1.1x over 0.1M-4.8M observations)
MISFIT_BUDGET_SHARE = 0.5
PASS_MARGIN = 1.2
OBSERVATION_BATCH = 16384  # observations per batch of the pass that computes the misfits


@dataclass
class Sized:
    """What :func:`size_to_budget` gives the pipeline: the plan and its network as sized, the
    loop's configuration with the time left, and the observations whose misfits are computed
    (None: all of them)."""

    plan: Plan
    net: torch.nn.Module
    config: TrainConfig
    misfit_rows: np.ndarray | None = None


def budget_ensemble(
    k_max: int, t_one: float, t_full: float, max_time: float, steps_cap: float = math.inf
) -> int:
    """The ensemble size to train under a time budget of ``max_time`` seconds.

    The largest of ``k_max``, ``k_max // 2``, ``k_max // 4``, ... whose members each get
    ``min(AUTO_MEMBER_STEPS, steps_cap)`` optimiser steps (``steps_cap``: the most the schedule
    takes anyway), else 1. A step of k members is taken to cost ``t_one + (t_full - t_one) *
    (k - 1) / (k_max - 1)`` seconds, from measured steps of one network (``t_one``) and of
    ``k_max`` (``t_full``). Halving keeps the members' frequency scales at the ends and the middle
    of the preset's spread. Evidence: at 120 s 6 members at ~750 steps beat 3 at ~1500 and one
    network, but 6 at 286 steps lost to 3 at 582.

    Examples
    --------
    >>> budget_ensemble(6, 0.01, 0.06, 120.0)  # 2000 steps of 6 members fit
    6
    >>> budget_ensemble(6, 0.06, 0.36, 120.0)  # 333 steps of 6, 666 of 3
    3
    >>> budget_ensemble(6, 0.06, 0.36, 60.0)  # 166 steps of 6, 333 of 3, 1000 of one
    1
    """
    need = min(plans.AUTO_MEMBER_STEPS, steps_cap)
    k = int(k_max)
    while k > 1:
        t = t_one + (t_full - t_one) * (k - 1) / max(k_max - 1, 1)
        if max_time >= need * max(t, 1e-12):
            return k
        k //= 2
    return 1


def size_to_budget(
    plan: Plan,
    net: torch.nn.Module,
    data: TrainData,
    device,
    *,
    started: float,
    remake: Callable,
    resize: bool,
    single_mix: bool,
    checked: tuple | None,
    seed=None,
) -> Sized:
    """Size ``plan`` (and its network ``net``) to the time left of its budget, counted from
    ``started`` (``time.perf_counter()``).

    ``remake(k, model)`` builds the plan and network of ``k`` members (of ``model`` where not
    None); ``resize`` whether the ensemble is the preset's (not given); ``single_mix`` whether a
    mixture on a single map falls back to its base model; ``checked`` the arguments of the
    held-out check (places' lat, lon, point and snapshot per observation) where the gate runs.
    """

    def time_left(c: TrainConfig) -> TrainConfig:
        # max_time covers preparing the observations, sizing the ensemble and training (a
        # resumed fit continues the checkpoint's own clock instead)
        if budget and not c.resume:
            c.max_time = max(budget - (time.perf_counter() - started), 1e-3)
        return c

    budget = plan.train.get("max_time")
    cfg = time_left(TrainConfig(**plan.train))
    if resize and plan.ensemble > 1:
        k, kind = _ensemble_size(net, plan, data, cfg, device, remake, single_mix)
        if k != plan.ensemble or kind is not None:
            was = plan
            plan, net = remake(k, kind)
            if kind is not None:
                why = f"the {was.name} of {was.ensemble} does not get its steps in the budget"
                plan = plan.with_rule(Rule("model", kind, why))
            steps = plans.AUTO_MEMBER_STEPS
            why = f"sized to the budget: {steps} steps each in {cfg.max_time:.0f} s, from timed steps"
            plan = plan.with_rule(Rule("ensemble", k, why))
        cfg = time_left(TrainConfig(**plan.train))
    sized = Sized(plan, net, cfg)
    if plan.residuals != "none" and cfg.max_time and not cfg.resume:
        _reserve_passes(sized, data, device, checked, seed)
    return sized


def _ensemble_size(net, plan, data, cfg, device, remake, single_mix) -> tuple[int, str | None]:
    """How many members the preset's ensemble trains, and of which model where that changes:
    as many as the checkpoint being resumed holds, or as many as get enough steps in
    ``max_time`` (:func:`budget_ensemble`, from timed steps of the full ensemble and of one
    network). A mixture on a single map (``single_mix``) that does not fit whole is sized as an
    ensemble of its base model alone instead: its other kinds are its dearest members, and
    halving it left one network where the base model's ensemble keeps three."""
    if cfg.resume:
        return checkpoint_members(cfg.resume), None
    if not cfg.max_time:
        return plan.ensemble, None
    n_loc = len(torch.unique(data.point))
    n_train = training_rows(len(data), cfg.validation, cfg.member_folds, n_loc, plan.ensemble)
    per_epoch = math.ceil(n_train / max(1, min(int(cfg.batch_size), n_train)))
    cap = cfg.epochs * per_epoch if cfg.epochs else math.inf
    # timed on a batch of the epoch's mean size (8192 + 3168 observations: two of 5680)
    probe = copy.copy(cfg)
    probe.batch_size = math.ceil(n_train / per_epoch)
    t_full = step_seconds(net, data, probe, device)
    need = min(plans.AUTO_MEMBER_STEPS, cap)
    if cfg.max_time >= need * t_full:
        return plan.ensemble, None  # every member gets its steps: no need to time one network
    t_one = step_seconds(remake(1, None)[1], data, probe, device)
    if single_mix and plan.names:
        # the mixture does not fit whole: an ensemble of its base model, sized the same way
        base = remake(plan.ensemble, plan.base)[1]
        t_base = step_seconds(base, data, probe, device)
        return budget_ensemble(plan.ensemble, t_one, t_base, cfg.max_time, cap), plan.base
    return budget_ensemble(plan.ensemble, t_one, t_full, cfg.max_time, cap), None


def _reserve_passes(sized: Sized, data: TrainData, device, checked, seed) -> None:
    """Take the passes after training out of the loop's time: the misfits at the observations
    (at a random share of the places where all would take more than their share), the last
    held-out error, and the gate's held-out check."""
    cfg, net = sized.config, sized.net
    net.to(device)
    full = reserve = observation_pass_seconds(net, data, device)
    share = MISFIT_BUDGET_SHARE * cfg.max_time
    if sized.plan.gate and reserve > share:
        reserve = share
        sized.misfit_rows = misfit_subset(data.point, share / full, seed)
        warnings.warn(
            f"The network's misfits are computed at {len(sized.misfit_rows):,} of the "
            f"{len(data):,} observations (a random {share / full:.0%} of the locations): "
            f"evaluating it at all of them would take about {full:.1f} s of the "
            f"{cfg.max_time:.1f} s left in max_time. Give a larger max_time, or "
            "residuals='idw' to use every observation (the training then gets less time).",
            UserWarning,
            stacklevel=4,
        )
        why = f"{share / full:.0%} of the places: the pass would take {full:.1f} s"
        sized.plan = sized.plan.with_rule(Rule("misfit subset", len(sized.misfit_rows), why))
    if full and cfg.validation:
        # and so are the last held-out error, after the last step (a pass over the held-out
        # share), and the gate's held-out check of the misfits
        reserve += cfg.validation * full
        if sized.plan.gate and checked is not None:
            lat, lon, point, snap = checked
            kept = slice(None) if sized.misfit_rows is None else sized.misfit_rows
            reserve += check_seconds(lat, lon, point[kept], snap[kept], cfg)
    cfg.max_time = max(cfg.max_time - reserve, 1e-3)


def observation_pass_seconds(net: torch.nn.Module, data: TrainData, device) -> float:
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


def check_seconds(lat, lon, point, snap, cfg: TrainConfig) -> float:
    """Seconds that the gate's held-out check will take on the observations at ``point``/``snap``
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


def misfit_subset(point: torch.Tensor, fraction: float, seed) -> np.ndarray:
    """Rows (sorted) of the observations at a random ``fraction`` of the observed locations, each
    with all its snapshots: stations stay whole, so snapshots that share their positions still
    share them (one neighbour search for the misfits), and a pass over the subset costs about
    ``fraction`` of one over every observation (as many observations per location).

    Examples
    --------
    >>> point = torch.arange(1000) % 100  # 100 places, 10 observations at each
    >>> rows = misfit_subset(point, 0.5, seed=0)
    >>> kept = np.unique(point.numpy()[rows])
    >>> 0 < len(kept) < 100 and len(rows) == 10 * len(kept)
    True
    """
    pts = point.cpu().numpy()
    keep = np.random.default_rng(seed).random(int(pts.max()) + 1) < fraction
    return np.flatnonzero(keep[pts])
