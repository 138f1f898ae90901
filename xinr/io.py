"""Model files: a state of plain types and tensors (:meth:`xinr.INR.to_state`) written to one file
and read back with ``torch.load(weights_only=True)``, so that loading never runs code from the
file. This module knows the file, not the estimator."""

from __future__ import annotations

import json
import os
import zipfile

from ._version import __version__
from .errors import ModelFileError

FORMAT_VERSION = 1
MAGIC = "xinr-model"


def write_state(state: dict, path) -> None:
    """Write ``state`` (``meta``: a dict of plain types; ``tensors``: tensors or dicts of them) to
    ``path``, atomically."""
    import torch

    meta = {"magic": MAGIC, "format_version": FORMAT_VERSION, "xinr_version": __version__}
    out = {"meta_json": json.dumps({**meta, **state["meta"]}), **state["tensors"]}
    path = os.fspath(path)
    tmp = f"{path}.tmp-{os.getpid()}"
    torch.save(out, tmp)
    os.replace(tmp, path)


def read_state(path) -> dict:
    """The state in a model file: ``{"meta": dict, "tensors": dict}``.

    Raises
    ------
    FileNotFoundError
        There is no such file.
    ModelFileError
        The file is not an xinr model, is damaged, or was written by a newer format.
    """
    import torch

    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No such model file: {path!r}")
    if not zipfile.is_zipfile(path):
        raise ModelFileError(
            f"{path!r} is not an xinr model file (not a torch zip archive; it may be truncated or "
            "another kind of file)."
        )
    try:
        raw = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise ModelFileError(
            f"{path!r} cannot be loaded safely as an xinr model: {type(err).__name__}: "
            f"{str(err).splitlines()[0][:300]}"
        ) from None
    if not isinstance(raw, dict) or "meta_json" not in raw:
        raise ModelFileError(f"{path!r} is a torch file but not an xinr model.")
    try:
        meta = json.loads(raw.pop("meta_json"))
    except (TypeError, ValueError):
        raise ModelFileError(f"{path!r} has an unreadable header.") from None
    if not isinstance(meta, dict) or meta.get("magic") != MAGIC:
        raise ModelFileError(f"{path!r} is not an xinr model file.")
    if int(meta.get("format_version", 0)) > FORMAT_VERSION:
        raise ModelFileError(
            f"{path!r} was written in xinr model format {meta['format_version']} (by xinr "
            f"{meta.get('xinr_version')}); this xinr ({__version__}) reads format "
            f"{FORMAT_VERSION} or older. Upgrade xinr: pip install -U xinr."
        )
    return {"meta": meta, "tensors": raw}


__all__ = ["read_state", "write_state"]
