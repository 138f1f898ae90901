"""MMGN: the Multiplicative and Modulated Gabor Network (Luo et al., ICLR 2024).

A multiplicative filter network of Gabor filters. The filters depend on the coordinates only; each
snapshot owns a latent code (an auto-decoder: codes start at zero and are learned with the weights)
that is mapped linearly to a shift of every hidden layer::

    z_1 = g_1(x)
    z_{i+1} = g_{i+1}(x) * (W_i z_i + b_i + M_i c_s)        i = 1..layers
    y = W_out z_{layers+1} + b_out

with ``g_i(x) = sin(w_i x + phi_i) * exp(-gamma_i / 2 * ||x - mu_i||^2)``. All filters are computed
in one matrix product on the distinct points of a batch and gathered per observation, so points seen
in several snapshots cost their transcendentals once.
"""

from __future__ import annotations

import math

import torch
from torch import nn


class GaborFilterBank(nn.Module):
    """``n_filters`` Gabor filter layers of ``hidden`` units each, evaluated together.

    forward: x (U, d) -> (U, n_filters, hidden)
    """

    def __init__(self, in_features, hidden, n_filters, input_scale, alpha=1.0, beta=1.0):
        super().__init__()
        self.n_filters, self.hidden = n_filters, hidden
        total = n_filters * hidden
        self.linear = nn.Linear(in_features, total)
        self.mu = nn.Parameter(2 * torch.rand(total, in_features) - 1)
        gamma = torch.distributions.Gamma(alpha / n_filters, beta).sample((total,))
        self.gamma = nn.Parameter(gamma)
        with torch.no_grad():
            self.linear.weight.mul_(input_scale / math.sqrt(n_filters) * gamma.sqrt()[:, None])
            self.linear.bias.uniform_(-math.pi, math.pi)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        d2 = (x * x).sum(-1, keepdim=True) + (self.mu * self.mu).sum(-1) - 2 * x @ self.mu.T
        g = torch.sin(self.linear(x)) * torch.exp(-0.5 * d2 * self.gamma)
        return g.view(x.shape[0], self.n_filters, self.hidden)


class MMGN(nn.Module):
    """Multiplicative and Modulated Gabor Network.

    Parameters
    ----------
    in_features : int
        Size of the coordinate encoding.
    n_snapshots : int
        Number of latent codes (one per training snapshot).
    hidden : int
        Width of every layer (paper: 256).
    latent : int
        Size of each snapshot's latent code (paper: 128).
    layers : int
        Number of modulated linear layers; there are ``layers + 1`` Gabor filters (paper: 5).
    input_scale : float
        Frequency scale of the filters, in radians per unit of the encoded input (paper: 256 on
        coordinates in [0, 1]).
    alpha, beta : float
        Shape and rate of the Gamma prior of the filters' inverse widths (paper: alpha 1).
    weight_scale : float
        Scale of the uniform initialisation of the linear layers.

    Examples
    --------
    >>> m = MMGN(2, n_snapshots=3, hidden=8, latent=4, layers=2)
    >>> x = torch.rand(5, 2)
    >>> m(x, None, torch.tensor([0, 1, 2, 0, 1])).shape
    torch.Size([5])
    """

    uses_time = False

    def __init__(
        self,
        in_features: int,
        n_snapshots: int,
        hidden: int = 256,
        latent: int = 128,
        layers: int = 5,
        input_scale: float = 256.0,
        alpha: float = 1.0,
        beta: float = 1.0,
        weight_scale: float = 1.0,
    ):
        super().__init__()
        self.layers = layers
        self.hidden = hidden
        self.filters = GaborFilterBank(in_features, hidden, layers + 1, input_scale, alpha, beta)
        self.linears = nn.ModuleList(nn.Linear(hidden, hidden) for _ in range(layers))
        self.latents = nn.Embedding(max(n_snapshots, 1), latent)
        nn.init.zeros_(self.latents.weight)
        self.modulation = nn.Linear(latent, layers * hidden)
        self.output = nn.Linear(hidden, 1)
        bound = math.sqrt(weight_scale / hidden)
        for lin in self.linears:
            nn.init.uniform_(lin.weight, -bound, bound)

    def forward(
        self,
        x: torch.Tensor,
        point: torch.Tensor | None,
        snap: torch.Tensor,
        t: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Predict at observations.

        Parameters
        ----------
        x : Tensor (U, in_features)
            Encoded coordinates of the distinct points of the batch.
        point : LongTensor (N,) or None
            Row of ``x`` for each observation (None: row i is observation i).
        snap : LongTensor (N,)
            Snapshot of each observation.
        t : ignored
            Time is carried by the latent codes.

        Returns
        -------
        Tensor (N,)
        """
        g = self.filters(x)
        if point is not None:
            g = g.index_select(0, point)
        mods = (
            self.modulation(self.latents.weight)
            .view(-1, self.layers, self.hidden)
            .index_select(0, snap)
        )
        out = g[:, 0]
        for i, lin in enumerate(self.linears):
            out = g[:, i + 1] * (lin(out) + mods[:, i])
        return self.output(out).squeeze(-1)
