"""Field statistics: what is measured of the observed field, once."""

import numpy as np
import pytest
import torch

from xinr.fieldstats import FieldStats, measure, neighbour_roughness, neighbour_spacing


def test_neighbour_roughness_reads_agreement_between_neighbours():
    rng = np.random.default_rng(0)
    n, snaps = 400, 3
    lat, lon = rng.uniform(-60, 60, n), rng.uniform(0, 360, n)
    point, snap = np.tile(np.arange(n), snaps), np.repeat(np.arange(snaps), n)
    smooth = np.cos(np.deg2rad(lat[point])) * (1 + snap) + np.sin(np.deg2rad(2 * lon[point]))
    noise = rng.normal(size=point.size)
    r_smooth = neighbour_roughness(lat, lon, point, snap, smooth)
    r_noise = neighbour_roughness(lat, lon, point, snap, noise)
    assert r_smooth < 0.05 and 0.8 < r_noise < 1.2
    # the same reading in other units (it is relative to each snapshot's variance)
    assert neighbour_roughness(lat, lon, point, snap, 1000 * smooth + 5) == pytest.approx(
        r_smooth
    )
    # half smooth, half noise: in between
    mixed = neighbour_roughness(lat, lon, point, snap, smooth + 0.5 * noise)
    assert r_smooth < mixed < r_noise
    # nothing to read: one observation per snapshot, or constant values
    assert np.isnan(neighbour_roughness(lat, lon, np.arange(3), np.arange(3), noise[:3]))
    assert np.isnan(neighbour_roughness(lat, lon, point, snap, np.ones(point.size)))


def test_measure_reads_counts_spacing_roughness_and_range():
    rng = np.random.default_rng(0)
    n, snaps = 300, 4
    lat, lon = rng.uniform(-50, 50, n), rng.uniform(0, 100, n)
    point, snap = np.tile(np.arange(n), snaps), np.repeat(np.arange(snaps), n)
    value = np.cos(np.deg2rad(lat[point])) + snap
    x = torch.as_tensor(np.stack([lat, lon], 1) / 100.0, dtype=torch.float32)
    s = measure(lat, lon, point, snap, value, n_snapshots=snaps, x=x, n_empty=1)
    assert (s.n_obs, s.n_distinct, s.n_snapshots, s.n_empty) == (1200, 300, 4, 1)
    assert s.spacing == pytest.approx(neighbour_spacing(x))
    assert s.roughness < 0.1 and s.value_range == (value.min(), value.max())
    assert s.per_snapshot == 300 and not s.single
    assert "1,200 observations at 300 places in 4 snapshot(s)" in s.summary()
    assert FieldStats(10, 10, 1).single


def test_neighbour_spacing_of_a_regular_line_and_of_a_sample():
    x = torch.arange(20, dtype=torch.float64)[:, None] * 0.5
    assert neighbour_spacing(x) == pytest.approx(0.5)
    assert neighbour_spacing(x[:1]) == 1.0  # one point: nothing to measure
    big = torch.rand(20000, 2, generator=torch.Generator().manual_seed(0))
    # a sample of a sample, scaled back: about the spacing of 20,000 uniform points
    assert 0.002 < neighbour_spacing(big) < 0.006
