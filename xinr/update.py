"""New snapshots on a learned basis: fit only their latent codes, the shared spatial basis frozen.

MMGN's spatial basis (its Gabor filters and layers) is shared by every snapshot; a snapshot is
only a code that modulates it. A new snapshot is therefore fitted by learning its code alone:
a few hundred optimiser steps on its own observations, without the training data at hand and
without touching the basis. torch and numpy in and out; the labels and the xarray side belong to
:meth:`xinr.INR.update`.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn

from .combine import Combination, snapshot_means
from .residuals import KrigedMisfits
from .training import TrainConfig, TrainData, TrainResult, train

# optimiser steps and learning rate of the new codes where no epochs or max_time is given: on
# the shipped sample (5%, tasks 1 and 3, two new months) 50 steps at 0.05 were level with 100-300
# steps at 0.002-0.03 (docs/decisions.md)
UPDATE_STEPS = 50
UPDATE_LR = 0.05


def code_members(net: nn.Module) -> list[nn.Module]:
    """The networks of ``net`` that hold a code per snapshot (MMGN, or every member of an
    ensemble of them); a ValueError for models whose snapshots are not codes."""
    members = list(getattr(net, "members", [net]))
    without = sorted({type(m).__name__ for m in members if not hasattr(m, "latents")})
    if without:
        raise ValueError(
            f"update() fits the codes of new snapshots on a frozen basis, which needs every "
            f"network to have per-snapshot codes (MMGN); this model has {without}, which take "
            "time as an input and have no codes. Refit on all the snapshots instead, or fit "
            "model='mmgn' to update it later."
        )
    return members


def fit_codes(
    net: nn.Module, data: TrainData, n_new: int, config: TrainConfig, device
) -> tuple[list[torch.Tensor], TrainResult]:
    """The codes of ``n_new`` snapshots (``data.snap`` in 0..n_new-1) for each code member of
    ``net``, fitted with its basis frozen; ``net`` itself is not modified."""
    work = copy.deepcopy(net)
    for p in work.parameters():
        p.requires_grad_(False)
    for m in code_members(work):
        m.latents = nn.Embedding(max(n_new, 1), m.latents.embedding_dim)
        nn.init.zeros_(m.latents.weight)
        m.latents.to(next(m.parameters()).device)
    result = train(work, data, config, device)
    return [m.latents.weight.detach().cpu().clone() for m in code_members(work)], result


def with_codes(net: nn.Module, codes: list[torch.Tensor]) -> nn.Module:
    """A copy of ``net`` whose code members hold their own codes followed by ``codes`` (one
    tensor per member): the training snapshots, then the new ones."""
    out = copy.deepcopy(net).cpu()
    for m, new in zip(code_members(out), codes, strict=True):
        old = m.latents.weight.detach()
        m.latents = nn.Embedding(old.shape[0] + new.shape[0], old.shape[1])
        with torch.no_grad():
            m.latents.weight.copy_(torch.cat([old, new.to(old.dtype)]))
    return out.eval()


def basis_unchanged(before: nn.Module, after: nn.Module) -> bool:
    """Whether every parameter and buffer but the codes is bit for bit the same."""
    a, b = before.state_dict(), after.state_dict()
    keys = [k for k in a if "latents" not in k]
    return set(keys) == {k for k in b if "latents" not in k} and all(
        torch.equal(a[k].cpu(), b[k].cpu()) for k in keys
    )


def combined_residuals(old, new, n_old: int, n_total: int, **kwargs):
    """The residual stage of the training snapshots (``old``) and of the new ones (``new``: a
    stage of the same kind over snapshots 0..), as one stage over all ``n_total`` snapshots
    (``kwargs`` go to its class)."""
    if old is None and new is None:
        return None
    parts = [(r, off) for r, off in ((old, 0), (new, n_old)) if r is not None]
    cls = type(parts[0][0])
    lat, lon, point, snap, residual, base = [], [], [], [], [], 0
    for r, off in parts:
        counts = np.diff(r.offsets)
        lat.append(r.lat)
        lon.append(r.lon)
        point.append(r.point + base)
        snap.append(np.repeat(np.arange(len(counts)), counts) + off)
        residual.append(r.residual)
        base += len(r.lat)
    return cls(
        np.concatenate(lat), np.concatenate(lon), np.concatenate(point), np.concatenate(snap),
        np.concatenate(residual), n_total, **kwargs,
    )  # fmt: skip


def combined_combination(comb, observed, n_old: int, n_new: int):
    """The combination stage ``comb`` of a fit (or None) extended to ``n_new`` new snapshots
    observed as ``observed`` (:class:`xinr.pipeline.Observed`, snapshots 0..): their values
    kriged with the fit's covariance, combined with the fit's weight."""
    if comb is None:
        return None
    o, kernel = observed, {"fitted": comb.anomalies.fitted, "sigma": comb.anomalies.sigma}
    mean = snapshot_means(o.snap, o.value, n_new)
    new = KrigedMisfits(o.lat, o.lon, o.point, o.snap, o.value - mean[o.snap], n_new, **kernel)
    merged = combined_residuals(comb.anomalies, new, n_old, n_old + n_new, **kernel)
    return Combination(comb.weight, np.concatenate([comb.mean, mean]), merged)
