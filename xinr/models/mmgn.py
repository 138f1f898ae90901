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

import numpy as np
import torch
from torch import nn

from ..encoding import time_neighbours


class GaborFilterBank(nn.Module):
    """``n_filters`` Gabor filter layers of ``hidden`` units each, evaluated together.

    forward: x (U, d) -> (n_filters, U, hidden)

    The sine's argument ``w . x + phi`` and the envelope's exponent
    ``-gamma / 2 * ||x - mu||^2 = x . (gamma mu) - gamma / 2 * |x|^2 - gamma / 2 * |mu|^2`` are both
    affine in ``(x, |x|^2)``, so one batched matrix product gives both for every filter; the rest is
    one sine, one exponential and one product per point and unit.
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
        # always float32: in bfloat16 (8-bit mantissa) a sine argument of 100 radians is only
        # resolved to 0.5, which would destroy the filters under mixed precision
        with torch.autocast(x.device.type, enabled=False):
            return self._filters(x.float())

    def _filters(self, x: torch.Tensor) -> torch.Tensor:
        F, H = self.n_filters, self.hidden
        d = x.shape[1]
        gamma = self.gamma[:, None]
        xa = torch.cat([x, (x * x).sum(-1, keepdim=True)], dim=1)  # (U, d + 1)
        w = torch.cat(
            [
                torch.cat([self.linear.weight, torch.zeros_like(gamma)], dim=1),
                torch.cat([gamma * self.mu, -0.5 * gamma], dim=1),
            ]
        )  # (2 F H, d + 1): sine arguments, then exponents
        b = torch.cat([self.linear.bias, -0.5 * self.gamma * (self.mu * self.mu).sum(-1)])
        z = torch.baddbmm(
            b.view(2 * F, 1, H), xa.expand(2 * F, -1, -1), w.view(2 * F, H, d + 1).transpose(1, 2)
        )
        arg, expo = z.split(F)
        return torch.sin(arg) * torch.exp(expo)


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
        g = self.filters(x).unbind(0)  # layers + 1 tensors (U, hidden)
        U, N, L = x.shape[0], snap.shape[0], self.layers
        if point is None:
            point = torch.arange(U, device=x.device)
        if L == 0:
            return self.output(g[0]).squeeze(-1).index_select(0, point)
        snaps, s_inv = torch.unique(snap, return_inverse=True)
        # per-snapshot shift of every layer, the layers' biases folded in: L x (S_b, hidden)
        shift = self.modulation(self.latents(snaps)).view(-1, L, self.hidden) + torch.stack(
            [lin.bias for lin in self.linears]
        )
        shift = shift.unbind(1)
        # the first product depends on the coordinates only: once per distinct point
        h = g[0] @ self.linears[0].weight.T
        if len(snaps) * U <= 2 * N:
            return self._dense(g, h, shift, U).reshape(-1).index_select(0, s_inv * U + point)
        # sparse layout (N, hidden): observations at different positions
        out = g[1].index_select(0, point) * (
            h.index_select(0, point) + shift[0].index_select(0, s_inv)
        )
        for i in range(1, L):
            pre = torch.addmm(shift[i].index_select(0, s_inv), out, self.linears[i].weight.T)
            out = g[i + 1].index_select(0, point) * pre
        return self.output(out).squeeze(-1)

    @torch.no_grad()
    def interpolate_codes(self, missing, t) -> None:
        """Give the snapshots ``missing`` codes interpolated linearly in time between those of
        the nearest other snapshots (the nearest one's beyond either end), in place.

        A snapshot without observations keeps its zero starting code through training, which
        gives a field of the shared basis alone, far from its neighbours in time. The code's
        shift of each layer is linear in the code, so this interpolates the modulation.

        Parameters
        ----------
        missing : array of int
            Snapshots to fill (at least one other snapshot must remain).
        t : array of float, shape (n_snapshots,)
            Time of every snapshot (any unit; only the order and spacing matter).

        Examples
        --------
        >>> m = MMGN(2, n_snapshots=3, hidden=4, latent=2, layers=1)
        >>> m.latents.weight.data = torch.tensor([[0.0, 2.0], [0.0, 0.0], [4.0, 2.0]])
        >>> m.interpolate_codes([1], [0.0, 1.0, 4.0])
        >>> m.latents.weight.data[1]
        tensor([1., 2.])
        """
        missing = np.unique(np.asarray(missing, dtype=np.int64))
        t = np.asarray(t, dtype=np.float64)
        n = self.latents.num_embeddings
        if t.shape != (n,):
            raise ValueError(f"t must give one time per snapshot ({n}), got shape {t.shape}.")
        known = np.setdiff1d(np.arange(n), missing)
        if missing.size == 0 or known.size == 0:
            return
        # each missing snapshot's neighbours in time among the known ones (beyond either end,
        # the nearest one's code)
        i0, i1, w = time_neighbours(t[known], t[missing])
        codes = self.latents.weight
        wt = torch.as_tensor(w, dtype=codes.dtype, device=codes.device)[:, None]

        def rows(i):
            return torch.as_tensor(i, dtype=torch.long, device=codes.device)

        codes[rows(missing)] = (1 - wt) * codes[rows(known[i0])] + wt * codes[rows(known[i1])]

    def _dense(self, g, h, shift, U: int) -> torch.Tensor:
        """Predictions (S_b, U) of every snapshot of the batch at every distinct point.

        The paper's fixed positions and reconstruction grids take this path: no per-observation
        gathers, and the last layer is folded into the output so that its matrix product is done
        once per point instead of once per point and snapshot::

            w_out . (g_L * (W z + c_s)) = ((w_out * g_L) W) . z + (w_out * g_L) . c_s
        """
        L = self.layers
        inplace = not torch.is_grad_enabled()  # inference: reuse buffers
        out = g[0]  # (U, hidden), shared by the snapshots
        for i in range(L - 1):
            if i == 0:
                pre = h + shift[0][:, None, :]
            else:
                pre = out @ self.linears[i].weight.T
                pre += shift[i][:, None, :]
            out = pre.mul_(g[i + 1]) if inplace else g[i + 1] * pre
        wg = g[L] * self.output.weight  # (U, hidden)
        if L > 1:
            y = (out * (wg @ self.linears[L - 1].weight)).sum(-1)  # (S_b, U)
        else:  # the last layer is the first: its product is h
            y = (h * wg).sum(-1)
        return y + shift[L - 1] @ wg.T + self.output.bias
