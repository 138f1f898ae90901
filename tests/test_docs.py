"""The documentation: the Sphinx site builds with warnings as errors and runs its gallery, and
the quick-start notebook executes and shows the fitted object, a figure and a filled field."""

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"

pytest.importorskip("sphinx_gallery", reason="the docs extra is not installed")


def test_docs_build_without_warnings_and_run_the_gallery(tmp_path):
    src = tmp_path / "docs"
    shutil.copytree(DOCS, src, ignore=shutil.ignore_patterns("_build", "auto_examples"))
    out = tmp_path / "html"
    env = {
        **os.environ,
        "MPLBACKEND": "Agg",
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2"),
    }
    run = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(src), str(out)],
        capture_output=True, text=True, env=env, timeout=900,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    examples = sorted((src / "examples").glob("plot_*.py"))
    assert len(examples) >= 4
    for ex in examples:
        page = out / "auto_examples" / f"{ex.stem}.html"
        assert page.exists(), page
    images = list((out / "_images").glob("sphx_glr_plot_*.png"))
    assert len(images) >= len(examples), images  # every example drew a figure
    api = (out / "api.html").read_text()
    assert "xinr.INR.reconstruct" in api and "uncertainty" in api
    assert (out / "decisions.html").exists()


def test_quickstart_notebook_executes():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(DOCS / "notebooks" / "quickstart.ipynb", as_version=4)
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3").execute()
    outputs = {i: c.outputs for i, c in enumerate(nb.cells) if c.cell_type == "code"}
    shown = [o for c in outputs.values() for o in c]
    assert any("xinr.INR" in o.get("data", {}).get("text/html", "") for o in shown)
    # the fit's progress bar is a Jupyter widget, not text written to stderr
    fit_cell = outputs[1]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in fit_cell)
    assert any("image/png" in o.get("data", {}) for o in shown)
    assert any("sst_std" in o.get("data", {}).get("text/html", "") for o in shown)
    assert not any(o.get("output_type") == "error" for o in shown)
