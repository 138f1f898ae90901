"""An ensemble of independently initialised members trained side by side.

In training mode the forward pass returns every member's prediction, shape (K, N), and the loop
sums the members' losses, so each member follows its own gradient (a true ensemble, not a wider
network). In eval mode it returns the members' mean, shape (N,). Averaging members that differ only
by initialisation removes much of the between-sample noise a single network fits when observations
are sparse.
"""

from __future__ import annotations

import torch
from torch import nn


class Ensemble(nn.Module):
    """Average of ``members`` (each maps ``(x, point, snap, t)`` to (N,) predictions).

    Examples
    --------
    >>> from xinr.models.mmgn import MMGN
    >>> ens = Ensemble([MMGN(2, 1, hidden=8, latent=2, layers=1) for _ in range(3)])
    >>> x, snap = torch.rand(4, 2), torch.zeros(4, dtype=torch.long)
    >>> ens.train()(x, None, snap).shape, ens.eval()(x, None, snap).shape
    (torch.Size([3, 4]), torch.Size([4]))
    """

    def __init__(self, members: list[nn.Module]):
        super().__init__()
        if not members:
            raise ValueError("An ensemble needs at least one member.")
        self.members = nn.ModuleList(members)
        self.uses_time = bool(getattr(members[0], "uses_time", False))

    def forward(self, x, point, snap, t=None) -> torch.Tensor:
        preds = torch.stack([m(x, point, snap, t) for m in self.members])
        return preds if self.training else preds.mean(0)
