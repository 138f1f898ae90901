"""Sphinx configuration of xinr's documentation site.

Build it with ``pip install -e ".[docs]" && python -m sphinx -W -b html docs docs/_build/html``;
the gallery's examples (``docs/examples/plot_*.py``) run on the shipped sample, offline.
"""

import os
import sys

import xinr

sys.path.insert(0, os.path.abspath(".."))

project = "xinr"
author = "the xinr developers"
copyright = "2026, the xinr developers"
release = version = xinr.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "notebooks", "examples/README.txt", "auto_examples/*.ipynb",
                    "auto_examples/*.py", "auto_examples/*.zip", "auto_examples/*.md5",
                    "auto_examples/*.codeobj.json", "**.ipynb_checkpoints"]  # fmt: skip
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]

autodoc_typehints = "none"  # the numpydoc sections carry the types
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

intersphinx_mapping = {}  # offline: no inventories fetched

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
    "within_subsection_order": "FileNameSortKey",
}

html_theme = "alabaster"
html_title = f"xinr {release}"
html_static_path = []
