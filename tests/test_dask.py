"""Scale: dask inputs are read in one pass, chunked reconstruction is lazy, and a distributed
cluster gives the same numbers."""

import dask
import dask.array as dsa
import numpy as np
import pytest
import xarray as xr

import xinr
from xinr.coords import find_layout
from xinr.sampling import observed_points

from .conftest import FAST, analytic_field


class CountingScheduler:
    """A scheduler that counts ``compute`` calls and fails past ``max_computes`` (the idea of
    cf-xarray's ``raise_if_dask_computes``)."""

    def __init__(self, max_computes=0):
        self.total = 0
        self.max_computes = max_computes

    def __call__(self, dsk, keys, **kwargs):
        self.total += 1
        if self.total > self.max_computes:
            raise RuntimeError(f"Too many dask computes: {self.total} > {self.max_computes}")
        return dask.get(dsk, keys, **kwargs)


@pytest.mark.parametrize(
    "chunks", [{"time": 3, "lat": 7, "lon": 11}, {"time": 1, "lat": 19, "lon": 5}]
)
def test_dask_input_gathered_in_one_compute(chunks):
    _, obs = analytic_field()
    lazy = obs.chunk(chunks)
    lay = find_layout(lazy)
    counter = CountingScheduler(1)
    with dask.config.set(scheduler=counter):
        got = observed_points(lazy, lay)
    assert counter.total == 1
    ref = observed_points(obs, lay)
    np.testing.assert_array_equal(got.point, ref.point)
    np.testing.assert_array_equal(got.snap, ref.snap)
    np.testing.assert_array_equal(got.value, ref.value)


def test_fit_on_dask_computes_once_and_max_points():
    _, obs = analytic_field()
    lazy = obs.chunk({"time": 1, "lat": 10, "lon": 13})
    counter = CountingScheduler(1)
    with dask.config.set(scheduler=counter):
        fitted = lazy.inr.fit(max_points=200, **FAST)
    assert counter.total == 1
    assert fitted.n_obs_ == 200
    lay = find_layout(lazy)
    a = observed_points(lazy, lay, max_points=200, seed=5)
    b = observed_points(lazy, lay, max_points=200, seed=5)
    np.testing.assert_array_equal(a.point, b.point)
    assert len(np.unique(a.snap * 10**6 + a.point)) == 200


@pytest.fixture(scope="module")
def fitted():
    _, obs = analytic_field()
    return obs.inr.fit(**FAST)


def test_lazy_reconstruction_computes_nothing_and_matches(fitted):
    counter = CountingScheduler(0)
    with dask.config.set(scheduler=counter):
        lazy = fitted.reconstruct(chunks={"lat": 7, "lon": 10, "time": 3})
        fine = fitted.reconstruct(
            {"lat": np.linspace(-80, 80, 33), "lon": np.arange(0, 360, 5.0)}, chunks=16
        )
    assert counter.total == 0
    assert isinstance(lazy.data, dsa.Array) and lazy.data.chunks[1] == (7, 7, 5)
    eager = fitted.reconstruct()
    np.testing.assert_allclose(lazy.compute().values, eager.values, rtol=1e-6)
    eager_fine = fitted.reconstruct(
        {"lat": np.linspace(-80, 80, 33), "lon": np.arange(0, 360, 5.0)}
    )
    np.testing.assert_allclose(fine.compute().values, eager_fine.values, rtol=1e-6)
    xr.testing.assert_identical(lazy.compute().coords.to_dataset(), eager.coords.to_dataset())


def test_chunked_target_gives_lazy_result_and_model_in_graph_once(fitted):
    truth, _ = analytic_field()
    target = truth.chunk({"lat": 5, "lon": 9})
    out = fitted.reconstruct(target)
    assert isinstance(out.data, dsa.Array)
    graph = dict(out.data.__dask_graph__())
    holders = [k for k, v in graph.items() if isinstance(v, xinr.INR) or "INR" in type(v).__name__]
    assert len(holders) <= 1
    n_blocks = np.prod([len(c) for c in out.data.chunks])
    assert n_blocks > 1
    import pickle

    assert len(pickle.dumps(graph)) < 3 * len(pickle.dumps(fitted)) + 10**6


def test_lazy_to_netcdf_streams(fitted, tmp_path):
    lazy = fitted.reconstruct(chunks={"lat": 10, "lon": 12})
    path = tmp_path / "out.nc"
    lazy.to_dataset().to_netcdf(path)
    back = xr.open_dataset(path)["tas"]
    np.testing.assert_allclose(back.values, fitted.reconstruct().values, rtol=1e-6)


def test_bad_chunks(fitted):
    with pytest.raises(ValueError, match="unknown dimension"):
        fitted.reconstruct(chunks={"depth": 3})


@pytest.mark.filterwarnings("ignore")
def test_local_cluster_same_numbers(fitted):
    distributed = pytest.importorskip("distributed")
    lazy = fitted.reconstruct(chunks={"lat": 10, "lon": 18})
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        remote = lazy.compute()
        # fitting with a client present still works (training stays in this process)
        _, obs = analytic_field()
        again = obs.chunk({"time": 2}).inr.fit(**dict(FAST, epochs=2))
    np.testing.assert_allclose(remote.values, fitted.reconstruct().values, rtol=1e-6)
    assert again.is_fitted
