"""The training loop: tensors in, fitted weights and a history out. Never imports xarray.

One epoch is a shuffled pass over the training observations in batches of ``batch_size`` (on
large data where points repeat, a shuffle of the points with each point's observations together:
:func:`epoch_order`). Each batch is reduced to its distinct points so that models evaluate
coordinate-only parts (MMGN's Gabor filters) once per point. Training stops at ``epochs`` or ``max_time`` seconds, whichever comes
first (the time is checked after every step, so an epoch of large data can end early); the
learning-rate schedule is sized to that budget. With a validation share, the state with
the lowest validation error is kept. A non-finite loss restores the last good state and halves the
learning rate (a bounded number of times). Ctrl-C ends training early and keeps the best state; a
checkpoint file can be written every few seconds and training resumed from it.
"""

from __future__ import annotations

import copy
import math
import os
import time
import warnings
from dataclasses import dataclass, field

import torch
from torch import nn

from .plan import (  # the held-out split's rules: pure functions
    check_member_folds,
    member_folds_apply,
)

CHECKPOINT_FORMAT = 1


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


@dataclass
class TrainConfig:
    """Options of the training loop (see :class:`xinr.INR` for their meaning)."""

    epochs: int | None = None
    max_time: float | None = None
    batch_size: int = 4096
    lr: float = 5e-3
    weight_decay: float = 1e-5
    schedule: str = "cosine"
    lr_decay: float = 0.99
    final_lr_fraction: float = 0.02
    clip: float | None = 1.0
    loss: str = "l1"
    validation: float = 0.0
    seed: int | None = None
    progress: bool = True
    max_restarts: int = 5
    checkpoint: str | None = None
    checkpoint_every: float = 60.0
    resume: str | None = None
    amp: bool | None = None
    eval_steps: int = 25
    member_weights: str = "uniform"
    selection_loss: str | None = None
    # each ensemble member holds out its own locations (member_folds_apply): True where a shared
    # held-out set would have fewer than MIN_SELECTION_LOCATIONS locations, "always" at any size
    member_folds: bool | str = False
    # standard deviation of the Gaussian displacement of the training points' encoded coordinates
    # at each step (0: none); see forward_batch
    input_noise: float = 0.0
    # weight of the penalty on the network's second differences between the observations (0: none),
    # the differences' step in encoded units, and how many points of each batch it is taken at
    # (256: level with 1024 in accuracy, and at 2,000 observations a step costs 1.42x a step
    # without the penalty instead of 2.38x); see curvature_penalty
    curvature: float = 0.0
    curvature_step: float = 0.0
    curvature_points: int = 256


@dataclass
class TrainData:
    """Observations as tensors: x (U, d) encoded distinct points, and per observation the point row,
    snapshot, time in [0, 1] and scaled value."""

    x: torch.Tensor
    point: torch.Tensor
    snap: torch.Tensor
    t: torch.Tensor
    y: torch.Tensor

    def to(self, device) -> TrainData:
        return TrainData(*(getattr(self, f).to(device) for f in ("x", "point", "snap", "t", "y")))

    def subset(self, idx: torch.Tensor) -> TrainData:
        return TrainData(self.x, self.point[idx], self.snap[idx], self.t[idx], self.y[idx])

    def __len__(self) -> int:
        return int(self.y.shape[0])


@dataclass
class TrainResult:
    history: list[dict] = field(default_factory=list)
    interrupted: bool = False
    diverged: bool = False
    restarts: int = 0
    best_epoch: int | None = None
    seconds: float = 0.0
    member_val: list[float] | None = None
    # the observations held out (rows of the data given to train), and in the member-fold regime
    # the fold of each of them and the fold each member holds out (member i holds out fold i);
    # None: shared by every member
    held_out: torch.Tensor | None = None
    held_out_member: torch.Tensor | None = None
    member_fold: torch.Tensor | None = None


def _loss_fn(name: str):
    if name == "l1":
        return nn.functional.l1_loss
    if name in ("l2", "mse"):
        return nn.functional.mse_loss
    if name == "huber":
        return nn.functional.smooth_l1_loss
    raise ValueError(f"Unknown loss {name!r}. Expected one of ['l1', 'mse', 'huber'].")


def lr_factor(cfg: TrainConfig, epoch: int, progress: float) -> float:
    """Learning-rate multiplier at an epoch and a budget fraction ``progress`` in [0, 1]."""
    if cfg.schedule == "exponential":
        return cfg.lr_decay**epoch
    if cfg.schedule == "constant":
        return 1.0
    if cfg.schedule == "cosine":
        warm = 0.02
        if progress < warm:
            return 0.1 + 0.9 * progress / warm
        p = min(max((progress - warm) / (1 - warm), 0.0), 1.0)
        f = cfg.final_lr_fraction
        return f + (1 - f) * 0.5 * (1 + math.cos(math.pi * p))
    raise ValueError(
        f"Unknown schedule {cfg.schedule!r}. Expected 'cosine', 'exponential' or 'constant'."
    )


def forward_batch(
    model: nn.Module,
    data: TrainData,
    idx: torch.Tensor | None = None,
    noise: float = 0.0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Predictions for observations ``idx`` (all when None), evaluating each distinct point once.

    With ``noise > 0`` each distinct point is displaced by a Gaussian vector whose expected squared
    length is ``noise ** 2`` (training with jittered inputs: to first order a penalty on the
    network's gradient, so it fits the observations with a smoother function between them).
    """
    point = data.point if idx is None else data.point[idx]
    snap = data.snap if idx is None else data.snap[idx]
    t = data.t if idx is None else data.t[idx]
    uniq, inv = torch.unique(point, return_inverse=True)
    x = data.x[uniq]
    if noise > 0:
        step = torch.randn(x.shape, generator=generator, dtype=x.dtype)
        x = x + step.to(x.device) * (noise / math.sqrt(x.shape[1]))
    return model(x, inv, snap, t)


def curvature_penalty(
    model: nn.Module,
    data: TrainData,
    idx: torch.Tensor,
    step: float,
    generator: torch.Generator | None = None,
    n_points: int = 256,
) -> torch.Tensor:
    """Mean absolute second difference of the network's field near the observations ``idx``.

    At each of (at most ``n_points``) observations, a point is drawn at a Gaussian displacement of
    ``step`` (root mean square) from the observed point, and the network's field at that point's
    snapshot is differenced along a random direction: ``f(c - h e) - 2 f(c) + f(c + h e)`` with
    ``|h e| = step``. Added to the training loss, this penalises a field that bends between the
    observations where the observations do not ask for it (a discrete form of the curvature
    penalty of smoothing splines, in the L1 norm of the training loss, which tolerates a few
    sharp bends where a squared penalty would round them off). Points and directions are in the
    encoded coordinates. Ensembles return the sum of their members' penalties.

    Examples
    --------
    >>> class Affine(nn.Module):
    ...     def forward(self, x, point, snap, t=None):
    ...         return x @ torch.tensor([2.0, -1.0])
    >>> d = TrainData(torch.rand(20, 2), torch.arange(20), torch.zeros(20, dtype=torch.long),
    ...               torch.zeros(20), torch.rand(20))
    >>> float(curvature_penalty(Affine(), d, torch.arange(20), 0.1)) < 1e-6
    True
    """
    sel = idx[:n_points]
    pts = data.x[data.point[sel]]
    m, dim = pts.shape
    draws = torch.randn((2, m, dim), generator=generator, dtype=pts.dtype).to(pts.device)
    centre = pts + draws[0] * (step / math.sqrt(dim))
    e = draws[1] * (step / draws[1].norm(dim=1, keepdim=True).clamp(min=1e-12))
    x = torch.cat([centre - e, centre, centre + e])
    f = model(x, None, data.snap[sel].repeat(3), data.t[sel].repeat(3)).unflatten(-1, (3, m))
    second = f[..., 0, :] - 2 * f[..., 1, :] + f[..., 2, :]
    return second.abs().mean(-1).sum()


def batch_loss(
    model: nn.Module,
    data: TrainData,
    idx: torch.Tensor,
    cfg: TrainConfig,
    loss,
    generator: torch.Generator | None = None,
    learns: torch.Tensor | None = None,
) -> torch.Tensor:
    """The training loss of one batch: the members' data losses summed, plus the curvature
    penalty. ``learns`` (members, observations): where each member may learn (member folds)."""
    pred = forward_batch(model, data, idx, cfg.input_noise, generator).float()
    if learns is not None:  # each member's mean loss where it may learn, summed
        m = learns[:, idx]
        each = loss(pred, data.y[idx].expand_as(pred), reduction="none") * m
        lval = (each.sum(1) / m.sum(1).clamp(min=1)).sum()
    else:
        # ensembles return (members, N): sum the members' losses
        lval = loss(pred, data.y[idx].expand_as(pred)) * (pred.shape[0] if pred.dim() == 2 else 1)
    if cfg.curvature > 0:
        pen = curvature_penalty(
            model, data, idx, cfg.curvature_step, generator, cfg.curvature_points
        )
        lval = lval + cfg.curvature * pen.float()
    return lval


@torch.no_grad()
def predict_observations(model: nn.Module, data: TrainData, batch_size: int) -> torch.Tensor:
    """Prediction of ``model`` (eval mode) at each observation of ``data``, in batches, on the
    device of ``data``; shape (n,), float32.

    The batches follow the observations' points (each point's snapshots together), so a point seen
    in several snapshots of a batch costs its coordinate features once: with different positions
    per snapshot, where the data's snapshot order makes almost every observation of a batch a
    distinct point, the pass is several times faster (4.5x for MMGN at 10 observations per point
    on the 2-core CPU). The values do not depend on the order.
    """
    was = model.training
    model.eval()
    order = torch.argsort(data.point, stable=True)
    out = torch.empty(len(data), device=data.y.device)
    for s in range(0, len(data), batch_size):
        idx = order[s : s + batch_size]
        out[idx] = forward_batch(model, data, idx).float()
    model.train(was)
    return out


def _losses(model: nn.Module, data: TrainData, batch_size: int, loss) -> torch.Tensor:
    """Loss of ``model`` (eval mode) at each observation of ``data``, in batches, shape (n,)."""
    return loss(predict_observations(model, data, batch_size), data.y, reduction="none")


def evaluate(model: nn.Module, data: TrainData, batch_size: int, loss) -> float:
    """Mean loss of ``model`` on ``data`` (eval mode)."""
    return float(_losses(model, data, batch_size, loss).sum()) / max(len(data), 1)


def member_errors(model: nn.Module, data: TrainData, batch_size: int, loss) -> torch.Tensor:
    """Loss of each member of an ensemble at each observation of ``data``, shape (members, n)."""
    return torch.stack([_losses(m, data, batch_size, loss) for m in model.members])


MEMBER_WEIGHTS = ("uniform", "validation")


def member_weights(errors: torch.Tensor, groups: torch.Tensor | None = None, z: float = 2.0):
    """Ensemble weights from the members' validation errors at each held-out observation.

    A member keeps an equal share unless it is clearly worse than the best member: its mean
    error exceeds the best one's by more than ``z`` standard errors of the paired differences
    (taken per location when ``groups`` gives each observation's location, as observations at one
    place are not independent). A handful of validation points then decides nothing (the
    members are averaged, as without validation); hundreds drop the members whose frequency
    scale does not suit the field.

    Examples
    --------
    >>> e = torch.tensor([[0.10, 0.20, 0.15, 0.12], [0.50, 0.60, 0.55, 0.70], [0.11, 0.19, 0.16, 0.12]])
    >>> member_weights(e)
    tensor([0.5000, 0.0000, 0.5000])
    """
    e = torch.as_tensor(errors, dtype=torch.float64)
    k = e.shape[0]
    uniform = torch.full((k,), 1.0 / k)
    if e.dim() != 2 or e.shape[1] < 2 or not torch.isfinite(e).all():
        return uniform
    if groups is not None:
        if len(torch.unique(groups)) < 2:
            return uniform
        e = location_means(e, groups)
    best = int(e.mean(1).argmin())
    d = e - e[best]
    n = e.shape[1]
    se = d.std(1, unbiased=True) / math.sqrt(n)
    keep = d.mean(1) <= z * se
    keep[best] = True
    return (keep.double() / keep.sum()).float()


def location_means(errors: torch.Tensor, groups: torch.Tensor) -> torch.Tensor:
    """Mean of ``errors`` (members, n) over the observations of each location in ``groups`` (n,):
    shape (members, locations), locations in sorted order.

    Examples
    --------
    >>> location_means(torch.tensor([[1.0, 3.0, 5.0]]), torch.tensor([7, 2, 7]))
    tensor([[3., 3.]])
    """
    uniq, inv = torch.unique(groups.cpu(), return_inverse=True)
    e = torch.as_tensor(errors)
    sums = torch.zeros(e.shape[0], len(uniq), dtype=e.dtype).index_add_(1, inv, e.cpu())
    counts = torch.zeros(len(uniq), dtype=e.dtype).index_add_(0, inv, torch.ones_like(e[0].cpu()))
    return sums / counts


def split_member_folds(
    n: int, share: float, k: int, generator: torch.Generator, groups: torch.Tensor
) -> torch.Tensor | None:
    """Per observation, the ensemble member that holds it out (-1: none), or None.

    Each of ``k`` members holds out its own ``share`` of the distinct locations (disjoint sets),
    so that every member can keep its best state by an error where it saw nothing, while the
    ensemble as a whole trains on every location: with one held-out set shared by all members,
    10% of the stations are never used, which costs sparse fields 4-17% more error (linear
    interpolation with 90% of the stations; docs/decisions.md). None where the
    locations are too few for ``k`` disjoint sets of at least one location each.

    Examples
    --------
    >>> folds = split_member_folds(12, 0.25, 3, torch.Generator().manual_seed(0), torch.arange(12))
    >>> sorted(folds.tolist())
    [-1, -1, -1, 0, 0, 0, 1, 1, 1, 2, 2, 2]
    """
    uniq, inv = torch.unique(groups, return_inverse=True)
    n_val = int(round(share * len(uniq)))
    if share <= 0 or n_val < 1 or k * n_val >= len(uniq):
        return None
    order = torch.randperm(len(uniq), generator=generator)
    fold_of_loc = torch.full((len(uniq),), -1, dtype=torch.long)
    fold_of_loc[order[: k * n_val]] = torch.arange(k).repeat_interleave(n_val)
    return fold_of_loc[inv.cpu()]


def step_seconds(model: nn.Module, data: TrainData, cfg: TrainConfig, device, steps: int = 3):
    """Seconds per optimiser step of ``model`` on a batch of ``cfg.batch_size`` observations.

    Trains a copy (one warm-up step, then ``steps`` timed ones), so ``model`` is untouched. Used
    to size an ensemble to a time budget.

    Examples
    --------
    >>> from xinr.models import build_network
    >>> net = build_network("mmgn", 3, 1, 2, {"hidden": 8, "latent": 4, "layers": 2})
    >>> d = TrainData(torch.rand(50, 3), torch.arange(50), torch.zeros(50, dtype=torch.long),
    ...               torch.zeros(50), torch.rand(50))
    >>> step_seconds(net, d, TrainConfig(batch_size=32), "cpu") > 0
    True
    """
    device = torch.device(device)
    net = copy.deepcopy(model).to(device).train()
    n = min(len(data), max(1, int(cfg.batch_size)))
    # a random batch, as in training (drawn from its own generator: the fit's RNG is untouched)
    idx = torch.randperm(len(data), generator=torch.Generator().manual_seed(0))[:n]
    sub = data.subset(idx).to(device)
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr)
    loss = _loss_fn(cfg.loss)

    g = torch.Generator().manual_seed(0)

    def step() -> None:
        lval = batch_loss(net, sub, torch.arange(n, device=device), cfg, loss, g)
        opt.zero_grad(set_to_none=True)
        lval.backward()
        opt.step()

    step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return (time.perf_counter() - t0) / steps


def checkpoint_members(path) -> int:
    """The number of ensemble members in a checkpoint's model (1 for a single network)."""
    state = load_checkpoint(path)["model"]
    idx = {k.split(".")[1] for k in state if k.startswith("members.")}
    return max(1, len(idx))


def _clone_state(model: nn.Module) -> dict:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


# Held-out observations beyond this many make each check of the held-out error slow without
# making it more useful (millions of observations: one check costs seconds of a CPU budget).
MAX_VALIDATION_OBS = 2**17

# Above this many training observations, where points are seen in 2 snapshots or more on average,
# an epoch's batches take whole points (epoch_order): one network trains on a time budget there,
# and a batch then computes each point's coordinate features once for all its snapshots
GROUPED_MIN_OBS = 20_000


def epoch_order(point: torch.Tensor, gen: torch.Generator, grouped: bool) -> torch.Tensor:
    """The order of the training rows in one epoch: a random permutation, or with ``grouped`` the
    points in a random order, each with all its rows together (its snapshots).

    Grouped batches hold fewer distinct points, each observed several times, so a step costs
    less (3.2x at 10 observations per point for MMGN on the 2-core CPU: 111 -> 35 ms per batch of
    8,192).

    Examples
    --------
    >>> point = torch.tensor([0, 1, 2, 0, 1, 2])
    >>> order = epoch_order(point, torch.Generator().manual_seed(0), grouped=True)
    >>> bool((point[order][::2] == point[order][1::2]).all())  # each point's rows together
    True
    """
    if not grouped:
        return torch.randperm(len(point), generator=gen)
    p = point.cpu()
    rank = torch.randperm(int(p.max()) + 1, generator=gen)
    return torch.argsort(rank[p], stable=True)


def split_validation(
    n: int, share: float, generator: torch.Generator, groups: torch.Tensor | None = None
):
    """Split ``n`` observations into train and validation indices.

    With ``groups`` (the location of each observation), whole locations are held out: every
    observation of a random ``share`` of the distinct locations. The validation error then measures
    what a reconstruction is for, the field where nothing was observed; with a random share of
    observations instead, data observed at the same places in every snapshot (fixed stations, the
    paper's task 1) would validate at places seen in other snapshots and never reveal a network
    that is wrong between them. Falls back to observations when there are too few locations.
    At most about :data:`MAX_VALIDATION_OBS` observations are held out (fewer locations on
    large data).

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> tr, va = split_validation(1000, 0.1, g, groups=torch.arange(1000) % 100)
    >>> len(tr), len(va), len(torch.unique(va % 100))
    (900, 100, 10)
    """
    if not 0 <= share < 1:
        raise ValueError(f"validation must be a share in [0, 1); got {share!r}.")
    if groups is not None:
        uniq = torch.unique(groups)
        n_val = int(round(share * len(uniq)))
        if n_val and share * n > MAX_VALIDATION_OBS:  # large data: fewer locations, same purpose
            n_val = max(1, int(MAX_VALIDATION_OBS / n * len(uniq)))
        if share > 0 and 1 <= n_val < len(uniq):
            held = uniq[torch.randperm(len(uniq), generator=generator)[:n_val]]
            is_val = torch.isin(groups, held)
            idx = torch.randperm(n, generator=generator)
            return idx[~is_val[idx]], idx[is_val[idx]]
    perm = torch.randperm(n, generator=generator)
    n_val = min(int(round(share * n)), MAX_VALIDATION_OBS)
    if share > 0 and (n_val < 1 or n - n_val < 1):
        n_val = 0
    return perm[n_val:], perm[:n_val]


def train(model: nn.Module, data: TrainData, cfg: TrainConfig, device: torch.device) -> TrainResult:
    """Fit ``model`` to ``data``; the model ends in its best (or last good) state.

    The held-out split comes first (:func:`split_held_out`), then epochs of optimiser steps
    until ``epochs`` or ``max_time``, with the held-out error read every ``eval_steps`` steps
    (each ensemble member keeping its own best state where members are weighed), restarts from
    the last good state after a non-finite loss, and checkpoints.

    Parameters
    ----------
    model : nn.Module
        Maps ``(x, point, snap, t)`` to one prediction per observation.
    data : TrainData
        All observations (on CPU); the validation share is split off here.
    cfg : TrainConfig
    device : torch.device

    Returns
    -------
    TrainResult
    """
    _check_config(cfg)
    t_enter = time.perf_counter()  # the budget covers the split and setup below too
    gen = torch.Generator().manual_seed(0 if cfg.seed is None else int(cfg.seed))
    if cfg.seed is None:
        gen.seed()
    split = split_held_out(model, data, cfg, gen, device)
    loop = _Loop(model, cfg, device, gen, split, t_enter)
    loop.run()
    return loop.finish()


def _check_config(cfg: TrainConfig) -> None:
    if cfg.epochs is None and cfg.max_time is None:
        raise ValueError("Give epochs= or max_time= (seconds) so that training can stop.")
    if cfg.epochs is not None and cfg.epochs < 1:
        raise ValueError(f"epochs must be >= 1; got {cfg.epochs!r}.")
    if cfg.max_time is not None and not cfg.max_time > 0:
        raise ValueError(f"max_time must be a positive number of seconds; got {cfg.max_time!r}.")
    check_member_folds(cfg.member_folds)
    _loss_fn(cfg.loss)
    if cfg.member_weights not in MEMBER_WEIGHTS:
        raise ValueError(
            f"member_weights must be one of {MEMBER_WEIGHTS}; got {cfg.member_weights!r}."
        )


@dataclass
class Split:
    """The held-out split of a training run: rows that train and rows held out, on ``device``
    as ``tr`` and ``va``; with member folds the fold of each row, each member's held-out rows
    ``va_members`` and where each member may learn (``learns``)."""

    train_idx: torch.Tensor
    val_idx: torch.Tensor
    tr: TrainData
    va: TrainData | None
    folds: torch.Tensor | None = None
    member_fold: torch.Tensor | None = None
    va_members: list | None = None
    learns: torch.Tensor | None = None


def split_held_out(model, data: TrainData, cfg: TrainConfig, gen, device) -> Split:
    """Split ``data`` into training and held-out rows: one set of held-out places shared by
    every member, or, with member folds (:func:`member_folds_apply`), a set per member while
    every observation trains the ensemble as a whole."""
    k_members = len(getattr(model, "members", ()))
    folds = None
    member_fold = torch.arange(k_members)  # the fold each member holds out: its own
    by_member = cfg.member_folds and cfg.member_weights == "validation" and k_members > 1
    if by_member:
        n_loc = len(torch.unique(data.point))  # only here: costly on millions of observations
        if member_folds_apply(cfg.member_folds, cfg.validation, n_loc, k_members):
            folds = split_member_folds(len(data), cfg.validation, k_members, gen, data.point)
    if folds is None:
        train_idx, val_idx = split_validation(len(data), cfg.validation, gen, data.point)
    else:  # every observation trains; each member skips its own held-out locations
        train_idx = torch.randperm(len(data), generator=gen)
        val_idx = train_idx[folds[train_idx] >= 0]
    data = data.to(device)
    out = Split(
        train_idx,
        val_idx,
        tr=data.subset(train_idx.to(device)),
        va=data.subset(val_idx.to(device)) if len(val_idx) else None,
    )
    if folds is not None:
        # per member: its held-out observations, and which training rows it may learn from
        per_fold = {
            f: data.subset(val_idx[folds[val_idx] == f].to(device))
            for f in member_fold.unique().tolist()
        }
        out.folds, out.member_fold = folds, member_fold
        out.va_members = [per_fold[f] for f in member_fold.tolist()]
        out.learns = folds[train_idx].to(device)[None, :] != member_fold.to(device)[:, None]
    return out


class _Loop:
    """The state of one training run between its steps."""

    def __init__(self, model, cfg: TrainConfig, device, gen, split: Split, t_enter: float):
        self.model, self.cfg, self.device, self.gen, self.split = model, cfg, device, gen, split
        self.loss = _loss_fn(cfg.loss)
        # members are kept and weighed by this loss at the held-out locations (default: the
        # training loss); model='mix' uses the squared error, the error reconstructions are
        # judged by
        self.select = _loss_fn(cfg.selection_loss) if cfg.selection_loss else self.loss
        res = self.res = TrainResult()
        if len(split.val_idx):
            res.held_out = split.val_idx.cpu()
            if split.folds is not None:
                res.held_out_member = split.folds[split.val_idx].cpu()
                res.member_fold = split.member_fold
        model.to(device).train()
        self.opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        amp = cfg.amp if cfg.amp is not None else (device.type == "cuda")
        self.amp = amp and device.type == "cuda" and torch.cuda.is_bf16_supported()
        self.epoch, elapsed_before = 0, 0.0
        self.best_val, self.best_state = math.inf, None
        self.last_good = _clone_state(model)
        self.lr_scale = 1.0
        self.per_member = (
            cfg.member_weights == "validation"
            and split.va is not None
            and len(getattr(model, "members", ())) > 1
        )
        # per member: its errors at the held-out observations in its best state so far
        self.member_err = [None] * len(model.members) if self.per_member else None
        if cfg.resume:
            elapsed_before = self._resume(cfg.resume)
        n = len(split.tr)
        self.bs = max(1, min(int(cfg.batch_size), n))
        self.grouped = n > GROUPED_MIN_OBS and n >= 2 * (int(split.tr.point.max()) + 1)
        self.steps_per_epoch = math.ceil(n / self.bs)
        self.t0 = t_enter - elapsed_before
        self.bar = None

    def _resume(self, path) -> float:
        """Continue from a checkpoint; the seconds it had trained."""
        ck = load_checkpoint(path)
        self.model.load_state_dict(ck["model"])
        self.opt.load_state_dict(ck["optimizer"])
        self.gen.set_state(ck["generator"])
        self.epoch = int(ck["epoch"])
        self.best_val = float(ck["best_val"])
        self.best_state = ck.get("best_state")
        self.lr_scale = float(ck.get("lr_scale", 1.0))
        if self.per_member and ck.get("member_err") is not None:
            self.member_err = list(ck["member_err"])
        self.res.history = list(ck["history"])
        self.res.restarts = int(ck.get("restarts", 0))
        self.last_good = _clone_state(self.model)
        return float(ck["elapsed"])

    def write_checkpoint(self, elapsed: float) -> None:
        save_checkpoint(
            self.cfg.checkpoint, self.model, self.opt, self.gen, self.epoch, elapsed,
            self.best_val, self.best_state, self.res, self.lr_scale, self.member_err,
        )  # fmt: skip

    def progress_of(self, ep: float) -> float:
        p = 0.0
        if self.cfg.epochs:
            p = max(p, ep / self.cfg.epochs)
        if self.cfg.max_time:
            p = max(p, (time.perf_counter() - self.t0) / self.cfg.max_time)
        return min(p, 1.0)

    def out_of_time(self) -> bool:
        return bool(self.cfg.max_time) and time.perf_counter() - self.t0 >= self.cfg.max_time

    def run(self) -> None:
        """Epochs until the run's length is reached, time runs out, or Ctrl-C."""
        cfg = self.cfg
        if cfg.progress:
            from tqdm.auto import tqdm

            self.bar = tqdm(
                total=cfg.epochs, initial=self.epoch, unit="epoch", leave=False, desc="xinr fit"
            )
        steps_since, last_ck = 0, time.perf_counter()
        try:
            first = not cfg.resume  # a fresh fit takes at least one step
            while True:
                if cfg.epochs is not None and self.epoch >= cfg.epochs:
                    break
                if not first and self.out_of_time():
                    break
                first = False
                ep_loss, ep_n, bad = self._epoch()
                if bad or not all(torch.isfinite(p).all() for p in self.model.parameters()):
                    if self._restart():
                        break
                    continue
                self.epoch += 1
                rec = {
                    "epoch": self.epoch,
                    "loss": ep_loss / max(ep_n, 1),
                    "lr": self.opt.param_groups[0]["lr"],
                    "time": time.perf_counter() - self.t0,
                }
                steps_since += self.steps_per_epoch
                done = (cfg.epochs is not None and self.epoch >= cfg.epochs) or self.out_of_time()
                if steps_since >= cfg.eval_steps or done:
                    self._validate(rec)
                    self.last_good = _clone_state(self.model)
                    steps_since = 0
                self.res.history.append(rec)
                self._show(rec)
                if cfg.checkpoint and time.perf_counter() - last_ck >= cfg.checkpoint_every:
                    self.write_checkpoint(time.perf_counter() - self.t0)
                    last_ck = time.perf_counter()
        except KeyboardInterrupt:
            self.res.interrupted = True
            warnings.warn(
                f"Training interrupted after {self.epoch} epoch(s); keeping the best state so far.",
                stacklevel=4,
            )
        finally:
            if self.bar is not None:
                self.bar.close()

    def _epoch(self) -> tuple[float, int, bool]:
        """One pass of optimiser steps: the summed loss, the rows, and whether it went bad."""
        cfg, model, tr, bs = self.cfg, self.model, self.split.tr, self.bs
        perm = epoch_order(tr.point, self.gen, self.grouped).to(self.device)
        ep_loss, ep_n = 0.0, 0
        for k in range(self.steps_per_epoch):
            # on large data an epoch can outlast the budget: stop within it (one step at least)
            if k and self.out_of_time():
                break
            f = lr_factor(cfg, self.epoch, self.progress_of(self.epoch + k / self.steps_per_epoch))
            f *= self.lr_scale
            for g in self.opt.param_groups:
                g["lr"] = cfg.lr * f
            idx = perm[k * bs : (k + 1) * bs]
            with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.amp):
                lval = batch_loss(model, tr, idx, cfg, self.loss, self.gen, self.split.learns)
            if not torch.isfinite(lval):
                return ep_loss, ep_n, True
            self.opt.zero_grad(set_to_none=True)
            lval.backward()
            if cfg.clip:
                nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
            self.opt.step()
            ep_loss += float(lval.detach()) * len(idx)
            ep_n += len(idx)
        return ep_loss, ep_n, False

    def _restart(self) -> bool:
        """Back to the last good state at half the learning rate; True where it gives up."""
        res, cfg = self.res, self.cfg
        res.restarts += 1
        self.model.load_state_dict(self.last_good)
        if res.restarts > cfg.max_restarts:
            res.diverged = True
            warnings.warn(
                f"Training diverged (non-finite loss) {res.restarts} times; stopped and "
                "kept the last good state. Lower lr= or check the data.",
                stacklevel=4,
            )
            return True
        self.lr_scale *= 0.5
        self.opt = torch.optim.AdamW(
            self.model.parameters(), lr=cfg.lr * self.lr_scale, weight_decay=cfg.weight_decay
        )
        return False

    def _validate(self, rec: dict) -> None:
        """The held-out error into ``rec``; the best state (per member where members are
        weighed: each keeps its own) kept."""
        model, split, size = self.model, self.split, max(self.bs, 8192)
        if self.per_member:
            if split.folds is not None:  # each member where it saw nothing
                errs = [
                    _losses(mem, v, size, self.select)
                    for mem, v in zip(model.members, split.va_members, strict=True)
                ]
            else:
                errs = member_errors(model, split.va, size, self.select)
            vm = [float(e.mean()) for e in errs]
            rec["val"] = min(vm)
            rec["val_members"] = vm
            if self.best_state is None:
                self.best_state = _clone_state(model)
            for i, e in enumerate(errs):
                if self.member_err[i] is None or e.mean() < self.member_err[i].mean():
                    self.member_err[i] = e.cpu()
                    pre = f"members.{i}."
                    for k, val in model.members[i].state_dict().items():
                        self.best_state[pre + k] = val.detach().clone()
            if min(vm) < self.best_val:
                self.best_val = min(vm)
                self.res.best_epoch = self.epoch
        elif split.va is not None:
            v = evaluate(model, split.va, size, self.loss)
            rec["val"] = v
            if v < self.best_val:
                self.best_val, self.best_state = v, _clone_state(model)
                self.res.best_epoch = self.epoch

    def _show(self, rec: dict) -> None:
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(
                loss=f"{rec['loss']:.4g}",
                **({"val": f"{rec['val']:.4g}"} if "val" in rec else {}),
            )

    def finish(self) -> TrainResult:
        """The model in its best state (members weighed), and the run's result."""
        res, model, member_err = self.res, self.model, self.member_err
        res.seconds = time.perf_counter() - self.t0
        if self.cfg.checkpoint and not res.interrupted:
            self.write_checkpoint(res.seconds)
        best = self.best_state
        if self.per_member and best is not None and all(e is not None for e in member_err):
            if self.split.folds is not None:  # each judged at its own locations: averaged
                w = torch.full((len(member_err),), 1.0 / len(member_err))
            else:
                w = member_weights(torch.stack(member_err), self.split.va.point.cpu())
            best["weights"] = w.to(best["weights"].device)
            res.member_val = [float(e.mean()) for e in member_err]
        if best is not None:
            model.load_state_dict(best)
        elif res.interrupted:
            model.load_state_dict(self.last_good)
        model.eval()
        return res


def save_checkpoint(
    path, model, opt, gen, epoch, elapsed, best_val, best_state, res, lr_scale, member_err=None
):
    """Write the full training state atomically (temporary file, then rename)."""
    state = {
        "format": CHECKPOINT_FORMAT,
        "model": model.state_dict(),
        "optimizer": opt.state_dict(),
        "generator": gen.get_state(),
        "epoch": epoch,
        "elapsed": elapsed,
        "best_val": best_val,
        "best_state": best_state,
        "history": res.history,
        "restarts": res.restarts,
        "lr_scale": lr_scale,
        # per ensemble member: its errors at the held-out observations in its best state
        "member_err": member_err,
    }
    tmp = f"{path}.tmp-{os.getpid()}"
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_checkpoint(path) -> dict:
    from .errors import ModelFileError

    try:
        ck = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as err:
        raise ModelFileError(f"Cannot read checkpoint {str(path)!r}: {err}") from None
    if not isinstance(ck, dict) or ck.get("format") != CHECKPOINT_FORMAT:
        raise ModelFileError(f"{str(path)!r} is not an xinr training checkpoint.")
    return ck
