import os
import pickle
import zipfile

import numpy as np
import pytest
import torch

import xinr
from xinr.errors import ModelFileError

from .conftest import FAST, analytic_field


@pytest.fixture(scope="module")
def fitted():
    _, obs = analytic_field()
    return obs.inr.fit(**FAST)


def test_round_trip_bit_for_bit(fitted, tmp_path):
    path = tmp_path / "m.xinr"
    fitted.save(path)
    again = xinr.load(path)
    a, b = fitted.reconstruct(), again.reconstruct()
    np.testing.assert_array_equal(a.values, b.values)
    assert a.dims == b.dims and a.attrs == b.attrs
    np.testing.assert_array_equal(a.time.values, b.time.values)
    assert again.xinr_version_ == xinr.__version__


def test_not_a_model(tmp_path):
    p = tmp_path / "x.xinr"
    p.write_text("hello")
    with pytest.raises(ModelFileError, match="not an xinr model file"):
        xinr.load(p)
    torch.save({"a": torch.zeros(1)}, p)
    with pytest.raises(ModelFileError, match="not an xinr model"):
        xinr.load(p)


def test_truncated(fitted, tmp_path):
    p = tmp_path / "m.xinr"
    fitted.save(p)
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError):
        xinr.load(p)


def test_newer_format(fitted, tmp_path, monkeypatch):
    import xinr.io as io

    p = tmp_path / "m.xinr"
    monkeypatch.setattr(io, "FORMAT_VERSION", 99)
    fitted.save(p)
    monkeypatch.setattr(io, "FORMAT_VERSION", 1)
    with pytest.raises(ModelFileError, match="format 99.*Upgrade xinr"):
        xinr.load(p)


class Payload:
    def __reduce__(self):
        return (os.system, (f"touch {MARKER}",))


MARKER = "/tmp/xinr-payload-ran"


def test_pickle_payload_does_not_run(tmp_path):
    if os.path.exists(MARKER):
        os.remove(MARKER)
    p = tmp_path / "evil.xinr"
    torch.save({"meta_json": "{}", "state_dict": Payload()}, p)
    assert zipfile.is_zipfile(p)
    with pytest.raises(ModelFileError, match="cannot be loaded safely"):
        xinr.load(p)
    assert not os.path.exists(MARKER)
    # and a plain pickle (not a torch zip) is refused before any unpickling
    p2 = tmp_path / "evil2.xinr"
    p2.write_bytes(pickle.dumps(Payload()))
    with pytest.raises(ModelFileError):
        xinr.load(p2)
    assert not os.path.exists(MARKER)


def test_a_loaded_fit_keeps_every_option_and_its_plan(tmp_path):
    _, obs = analytic_field(nt=2)
    kw = dict(FAST, preset="auto", bounds=(250.0, None), residuals="none", jitter=0.1)
    fitted = obs.inr.fit(**kw)
    fitted.save(tmp_path / "m.xinr")
    again = xinr.load(tmp_path / "m.xinr")
    assert again.get_params() == {**fitted.get_params(), "bounds": [250.0, None]}
    assert again.bounds_ == (250.0, None) and again.residuals_ is None
    assert [str(r) for r in again.plan_.rules] == [str(r) for r in fitted.plan_.rules]
    assert str(again.plan_) == str(fitted.plan_)
    assert again.stats_ == fitted.stats_


def test_files_of_the_first_format_still_load():
    # written by xinr before the options and the plan were kept (a ResMLP on a small series)
    here = os.path.join(os.path.dirname(__file__), "data")
    old = xinr.load(os.path.join(here, "format1_resmlp.xinr"))
    want = np.load(os.path.join(here, "format1_resmlp.npz"))["reconstruction"]
    # (within float32 rounding: another CPU orders the sums differently)
    np.testing.assert_allclose(old.reconstruct().values, want, rtol=1e-6)
    assert old.network_["model"] == "resmlp" and old.plan_.rules == ()


def test_io_knows_the_file_not_the_estimator():
    import ast

    import xinr.io as io

    tree = ast.parse(open(io.__file__).read())
    imported = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module is not None
    }
    assert not imported & {"estimator", "plan", "state", "fitted"}
