"""An ensemble of independently initialised members trained side by side.

Members may be different models (``model="mix"`` mixes MMGN and ResMLP networks); each maps
``(x, point, snap, t)`` to predictions, so a model that ignores time and one that takes it as an
input average alike.

In training mode the forward pass returns every member's prediction, shape (K, N), and the loop
sums the members' losses, so each member follows its own gradient (a true ensemble, not a wider
network). In eval mode it returns the members' weighted mean, shape (N,), with the ``weights``
buffer (uniform at construction; the training loop sets it from each member's validation error
when it selects members). Averaging members that differ only by initialisation removes much of the
between-sample noise a single network fits when observations are sparse.
"""

from __future__ import annotations

import torch
from torch import nn


class Ensemble(nn.Module):
    """Weighted average of ``members`` (each maps ``(x, point, snap, t)`` to (N,) predictions).

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
        # time can be asked for between snapshots only if every member takes it as an input
        self.uses_time = all(bool(getattr(m, "uses_time", False)) for m in members)
        k = len(members)
        self.register_buffer("weights", torch.full((k,), 1.0 / k))

    def forward(self, x, point, snap, t=None) -> torch.Tensor:
        preds = torch.stack([m(x, point, snap, t) for m in self.members])
        if self.training:
            return preds
        return torch.tensordot(self.weights.to(preds.dtype), preds, dims=1)

    def interpolate_codes(self, missing, t) -> None:
        """Fill the codes of snapshots ``missing`` in every member that has per-snapshot codes
        (see :meth:`xinr.models.mmgn.MMGN.interpolate_codes`); members that take time as an
        input need nothing."""
        for m in self.members:
            if hasattr(m, "interpolate_codes"):
                m.interpolate_codes(missing, t)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # files saved before members were weighted hold no weights: uniform, as they were fitted
        key = prefix + "weights"
        if key not in state_dict:
            state_dict[key] = torch.full((len(self.members),), 1.0 / len(self.members))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
