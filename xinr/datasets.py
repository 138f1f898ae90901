"""Datasets: the shipped sample, and the paper's benchmark fields fetched with pooch.

The paper's authors publish both fields in one zip on Google Drive (file id
``1V8DvkcWZrW2Z_4eaz4VjtMU8IvcLyyMe``) holding ``gst_data.npz`` and ``sst_data.npz``, each with the
arrays ``lats`` (1-D), ``lons`` (1-D) and ``temperature`` (time, lat, lon).

Environment variables:

``XINR_DATA_DIR``
    Cache folder (default: ``pooch.os_cache("xinr")``).
``XINR_DATA_URL``
    URL of a mirror of the zip (instead of Google Drive).
``XINR_DATA_SHA256``
    Pin the zip's SHA-256: downloads that do not match are refused. The first time a download
    verifies, its SHA-256 is written next to it (``<cache>/inr_data.zip.sha256``) and logged;
    copy that value into ``XINR_DATA_SHA256`` to pin it.
"""

from __future__ import annotations

import hashlib
import html
import logging
import os
import re
import shutil
import zipfile
from importlib import resources
from pathlib import Path
from urllib.parse import urljoin

import numpy as np
import xarray as xr

log = logging.getLogger("xinr.datasets")

DRIVE_ID = "1V8DvkcWZrW2Z_4eaz4VjtMU8IvcLyyMe"
DRIVE_URL = f"https://drive.google.com/uc?export=download&id={DRIVE_ID}"
ZIP_NAME = "inr_data.zip"
FIELDS = {
    "gst": {
        "member": "gst_data.npz",
        "name": "temperature",
        "standard_name": "surface_temperature",
        "long_name": "CESM global surface temperature (daily)",
    },
    "sst": {
        "member": "sst_data.npz",
        "name": "temperature",
        "standard_name": "sea_surface_temperature",
        "long_name": "satellite sea surface temperature (daily)",
    },
}


class DownloadError(OSError):
    """A benchmark file could not be downloaded or did not verify."""


def load_sample() -> xr.Dataset:
    """COADS monthly SST climatology (12 x 90 x 180, 2 degree global, NaN on land) shipped in xinr.

    Returns
    -------
    xarray.Dataset
        Variable ``sst`` (degC) on ``(month, lat, lon)``.

    Examples
    --------
    >>> ds = load_sample()
    >>> ds["sst"].shape
    (12, 90, 180)
    """
    path = resources.files("xinr") / "data" / "coads_sst.nc"
    with resources.as_file(path) as p, xr.open_dataset(p) as ds:
        return ds.load()


# ---------------------------------------------------------------------- download


def data_dir() -> Path:
    import pooch

    return Path(os.environ.get("XINR_DATA_DIR") or pooch.os_cache("xinr"))


def data_url() -> str:
    return os.environ.get("XINR_DATA_URL") or DRIVE_URL


_FORM = re.compile(r"<form[^>]*action=\"([^\"]+)\"[^>]*>(.*?)</form>", re.S | re.I)
_INPUT = re.compile(r"<input[^>]*type=\"hidden\"[^>]*>", re.I)
_ATTR = re.compile(r"(name|value)=\"([^\"]*)\"", re.I)
_HREF = re.compile(r"href=\"([^\"]*confirm=[^\"]*)\"", re.I)


def confirmation_url(page: str, base: str) -> str | None:
    """The download URL behind Google Drive's "can't scan this file for viruses" page, or None."""
    m = _FORM.search(page)
    if m and "download" in m.group(1):
        params = []
        for tag in _INPUT.findall(m.group(2)):
            attrs = dict((k.lower(), html.unescape(v)) for k, v in _ATTR.findall(tag))
            if "name" in attrs:
                params.append(f"{attrs['name']}={attrs.get('value', '')}")
        action = urljoin(base, html.unescape(m.group(1)))
        sep = "&" if "?" in action else "?"
        return action + (sep + "&".join(params) if params else "")
    m = _HREF.search(page)
    if m:
        return urljoin(base, html.unescape(m.group(1)))
    return None


def _looks_like_html(head: bytes) -> bool:
    h = head.lstrip()[:200].lower()
    return h.startswith(b"<!doctype html") or h.startswith(b"<html") or b"<head" in h


def verify_zip(path: str | os.PathLike) -> None:
    """Check that ``path`` is the authors' zip: both npz members, with arrays ``lats`` (1-D),
    ``lons`` (1-D) and ``temperature`` (time, lat, lon) of matching sizes and real dtype."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        head = f.read(512)
    if _looks_like_html(head):
        raise DownloadError("received an HTML page instead of the zip file")
    if not zipfile.is_zipfile(path):
        raise DownloadError("the file is not a zip archive (truncated or corrupted)")
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            for key, spec in FIELDS.items():
                member = [n for n in names if n.endswith(spec["member"])]
                if not member:
                    raise DownloadError(f"the zip has no {spec['member']} (members: {names[:10]})")
                with z.open(member[0]) as fh, np.load(fh) as npz:
                    _check_arrays(key, {k: npz[k] for k in npz.files})
    except (zipfile.BadZipFile, EOFError, ValueError, OSError) as err:
        if isinstance(err, DownloadError):
            raise
        raise DownloadError(f"the zip is damaged: {err}") from None


def _check_arrays(key: str, arrays: dict) -> None:
    missing = [a for a in ("lats", "lons", "temperature") if a not in arrays]
    if missing:
        raise DownloadError(f"{key}: arrays {missing} are missing (found {sorted(arrays)})")
    lats, lons, temp = arrays["lats"], arrays["lons"], arrays["temperature"]
    if lats.ndim != 1 or lons.ndim != 1 or temp.ndim != 3:
        raise DownloadError(
            f"{key}: expected lats (1-D), lons (1-D), temperature (3-D); got shapes "
            f"{lats.shape}, {lons.shape}, {temp.shape}"
        )
    if temp.shape[1:] != (lats.size, lons.size):
        raise DownloadError(
            f"{key}: temperature {temp.shape} does not match lats {lats.size} x lons {lons.size}"
        )
    for name, a in (("lats", lats), ("lons", lons), ("temperature", temp)):
        if not np.issubdtype(a.dtype, np.number):
            raise DownloadError(f"{key}: {name} has dtype {a.dtype}, expected numbers")


class GoogleDriveDownloader:
    """A pooch downloader that follows Google Drive's confirmation page for large files and checks
    what arrives before pooch moves it into the cache."""

    def __init__(self, timeout: float = 60.0, verify=verify_zip):
        self.timeout = timeout
        self.verify = verify

    def __call__(self, url, output_file, pooch_obj=None, check_only=False):
        import requests

        if check_only:
            try:
                return requests.head(url, timeout=self.timeout, allow_redirects=True).ok
            except requests.RequestException:
                return False
        with requests.Session() as session:
            r = session.get(url, stream=True, timeout=self.timeout)
            r.raise_for_status()
            ctype = r.headers.get("content-type", "")
            if "text/html" in ctype:
                page = r.text
                nxt = confirmation_url(page, r.url)
                if nxt is None:
                    raise DownloadError("the server answered with an HTML page, not the zip")
                r = session.get(nxt, stream=True, timeout=self.timeout)
                r.raise_for_status()
            with open(output_file, "wb") as f:
                for chunk in r.iter_content(chunk_size=1 << 20):
                    f.write(chunk)
        if self.verify is not None:
            self.verify(output_file)


def _fail(url: str, cache: Path, why: str) -> DownloadError:
    return DownloadError(
        f"Could not get the benchmark data: {why}.\n  URL: {url}\n  cache: {cache / ZIP_NAME}\n"
        f"To place it by hand, download the zip in a browser (Google Drive file id {DRIVE_ID}) "
        f"and either pass its path (fetch_gst(path='...zip')), copy it to {cache / ZIP_NAME}, or "
        "set XINR_DATA_URL to a mirror."
    )


def fetch_zip(path: str | os.PathLike | None = None) -> Path:
    """Path of the verified benchmark zip: ``path`` if given, else the cached copy, downloading
    it once (pooch) if needed.

    Raises
    ------
    DownloadError
        With the URL, the cache path and how to place the file by hand. A bad download never
        stays in the cache.
    """
    import pooch

    if path is not None:
        p = Path(path).expanduser()
        if not p.exists():
            raise FileNotFoundError(f"No such file: {str(p)!r}")
        try:
            verify_zip(p)
        except DownloadError as err:
            raise DownloadError(f"{str(p)!r} is not the benchmark zip: {err}") from None
        return p
    cache = data_dir()
    url = data_url()
    pinned = os.environ.get("XINR_DATA_SHA256")
    fetcher = pooch.create(
        path=cache,
        base_url="",
        registry={ZIP_NAME: f"sha256:{pinned}" if pinned else None},
        urls={ZIP_NAME: url},
    )
    target = cache / ZIP_NAME
    try:
        local = Path(fetcher.fetch(ZIP_NAME, downloader=GoogleDriveDownloader()))
    except DownloadError as err:
        raise _fail(url, cache, str(err)) from None
    except ValueError as err:  # pooch: hash mismatch
        raise _fail(url, cache, str(err)) from None
    except Exception as err:  # connection refused, HTTP errors, timeouts
        raise _fail(url, cache, f"{type(err).__name__}: {err}") from None
    sidecar = target.with_name(ZIP_NAME + ".sha256")
    if not sidecar.exists():
        try:
            verify_zip(local)  # a file placed in the cache by hand is checked once too
        except DownloadError as err:
            local.unlink(missing_ok=True)
            raise _fail(url, cache, str(err)) from None
        digest = sha256(local)
        sidecar.write_text(digest + "\n")
        log.warning(
            "xinr: benchmark zip verified, sha256 %s (set XINR_DATA_SHA256 to pin it)", digest
        )
    return local


def sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _load(key: str, path=None) -> xr.Dataset:
    zpath = fetch_zip(path)
    spec = FIELDS[key]
    with zipfile.ZipFile(zpath) as z:
        member = [n for n in z.namelist() if n.endswith(spec["member"])][0]
        with z.open(member) as fh, np.load(fh) as npz:
            lats, lons, temp = npz["lats"], npz["lons"], npz["temperature"]
    temp = np.asarray(temp, dtype=np.float32)
    units = "K" if np.nanmean(temp) > 100 else "degC"
    da = xr.DataArray(
        temp,
        dims=("time", "lat", "lon"),
        coords={
            "time": ("time", np.arange(temp.shape[0]), {"long_name": "day index"}),
            "lat": (
                "lat",
                np.asarray(lats, np.float64),
                {"units": "degrees_north", "standard_name": "latitude"},
            ),
            "lon": (
                "lon",
                np.asarray(lons, np.float64),
                {"units": "degrees_east", "standard_name": "longitude"},
            ),
        },
        attrs={
            "units": units,
            "standard_name": spec["standard_name"],
            "long_name": spec["long_name"],
        },
        name=spec["name"],
    )
    return da.to_dataset().assign_attrs(
        source=f"Luo et al. (ICLR 2024) benchmark data, Google Drive file {DRIVE_ID}",
        units_note="units inferred from the values (the npz files carry none)",
    )


def fetch_gst(path: str | os.PathLike | None = None) -> xr.Dataset:
    """The paper's CESM global surface temperature field (192 x 288, daily), downloaded once.

    Parameters
    ----------
    path : path, optional
        A copy of the authors' zip downloaded by hand.

    Returns
    -------
    xarray.Dataset
        ``temperature`` on ``(time, lat, lon)`` with CF attributes.
    """
    return _load("gst", path)


def fetch_sst(path: str | os.PathLike | None = None) -> xr.Dataset:
    """The paper's satellite sea surface temperature field (901 x 1001, 366 days), downloaded once.

    Parameters
    ----------
    path : path, optional
        A copy of the authors' zip downloaded by hand.
    """
    return _load("sst", path)


def clear_cache() -> None:
    """Remove the downloaded benchmark data."""
    shutil.rmtree(data_dir(), ignore_errors=True)
