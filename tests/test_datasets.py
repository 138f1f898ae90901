"""Downloads are tested against a server on 127.0.0.1 started inside the test, never the internet."""

import http.server
import io
import socket
import threading
import zipfile

import numpy as np
import pytest

import xinr
from xinr import datasets
from xinr.datasets import DownloadError, confirmation_url


def make_zip(bad_shape=False) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for key, (ny, nx) in {"gst": (4, 6), "sst": (5, 3)}.items():
            arrays = {
                "lats": np.linspace(-60, 60, ny),
                "lons": np.linspace(0, 300, nx),
                "temperature": np.random.default_rng(0).random((2, ny, nx + bad_shape)) + 280,
            }
            b = io.BytesIO()
            np.savez(b, **arrays)
            z.writestr(f"data/{key}/{key}_data.npz", b.getvalue())
    return buf.getvalue()


GOOD = make_zip()
CONFIRM_PAGE = (
    "<!DOCTYPE html><html><head><title>Google Drive - Virus scan warning</title></head><body>"
    '<form id="download-form" action="/download" method="get">'
    '<input type="hidden" name="id" value="abc"><input type="hidden" name="export" value="download">'
    '<input type="hidden" name="confirm" value="t"><input type="hidden" name="uuid" value="u-1">'
    "</form></body></html>"
)


class Server:
    def __init__(self, routes):
        self.requests = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append(self.path)
                path = self.path.split("?")[0]
                if path not in routes:
                    self.send_response(404)
                    self.end_headers()
                    return
                ctype, body = routes[path]
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *a):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XINR_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("XINR_DATA_SHA256", raising=False)
    return tmp_path / "cache"


def test_good_download_then_cache_hit(cache, monkeypatch):
    with Server({"/inr.zip": ("application/zip", GOOD)}) as srv:
        monkeypatch.setenv("XINR_DATA_URL", srv.url + "/inr.zip")
        ds = xinr.datasets.fetch_gst()
        assert ds["temperature"].dims == ("time", "lat", "lon") and ds["temperature"].shape == (
            2,
            4,
            6,
        )
        assert ds["temperature"].attrs["units"] == "K"
        assert ds["lat"].attrs["units"] == "degrees_north"
        n = len(srv.requests)
        sst = xinr.datasets.fetch_sst()
        assert sst["temperature"].shape == (2, 5, 3)
        assert len(srv.requests) == n == 1  # second call: no request
    digest = (cache / "inr_data.zip.sha256").read_text().strip()
    assert digest == datasets.sha256(cache / "inr_data.zip")


def test_pinned_hash_mismatch_refused(cache, monkeypatch):
    with Server({"/inr.zip": ("application/zip", GOOD)}) as srv:
        monkeypatch.setenv("XINR_DATA_URL", srv.url + "/inr.zip")
        monkeypatch.setenv("XINR_DATA_SHA256", "0" * 64)
        with pytest.raises(DownloadError, match="Could not get the benchmark data"):
            xinr.datasets.fetch_gst()
    assert not (cache / "inr_data.zip").exists()


def test_drive_confirmation_page_is_followed(cache, monkeypatch):
    routes = {
        "/uc": ("text/html; charset=utf-8", CONFIRM_PAGE.encode()),
        "/download": ("application/octet-stream", GOOD),
    }
    with Server(routes) as srv:
        monkeypatch.setenv("XINR_DATA_URL", srv.url + "/uc?export=download&id=abc")
        ds = xinr.datasets.fetch_gst()
        assert ds["temperature"].shape == (2, 4, 6)
        assert srv.requests[1].startswith("/download?") and "confirm=t" in srv.requests[1]


@pytest.mark.parametrize(
    "ctype, body, why",
    [
        ("application/zip", GOOD[: len(GOOD) // 2], "not a zip archive|damaged"),
        ("application/zip", b"\x00" * 100, "not a zip archive"),
        ("application/zip", make_zip(bad_shape=True), "does not match"),
        ("text/html", b"<html><body>Quota exceeded</body></html>", "HTML page"),
        ("application/octet-stream", b"<!DOCTYPE html><html>error</html>", "HTML page"),
    ],
)
def test_bad_downloads_fail_clearly_and_leave_no_file(cache, monkeypatch, ctype, body, why):
    with Server({"/inr.zip": (ctype, body)}) as srv:
        url = srv.url + "/inr.zip"
        monkeypatch.setenv("XINR_DATA_URL", url)
        with pytest.raises(DownloadError, match=why) as err:
            xinr.datasets.fetch_gst()
    msg = str(err.value)
    assert url in msg and str(cache) in msg and "by hand" in msg
    assert not (cache / "inr_data.zip").exists()
    assert not [p for p in cache.glob("*") if p.is_file()]


def test_server_down(cache, monkeypatch):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    monkeypatch.setenv("XINR_DATA_URL", f"http://127.0.0.1:{port}/inr.zip")
    with pytest.raises(DownloadError, match="ConnectionError|Connection"):
        xinr.datasets.fetch_gst()
    assert not (cache / "inr_data.zip").exists()


def test_local_path(tmp_path, cache):
    p = tmp_path / "mine.zip"
    p.write_bytes(GOOD)
    assert xinr.datasets.fetch_sst(path=p)["temperature"].shape == (2, 5, 3)
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"nope")
    with pytest.raises(DownloadError, match="is not the benchmark zip"):
        xinr.datasets.fetch_gst(path=bad)


def test_confirmation_url_variants():
    assert (
        confirmation_url(CONFIRM_PAGE, "http://h/uc")
        == "http://h/download?id=abc&export=download&confirm=t&uuid=u-1"
    )
    page = '<a href="/uc?export=download&amp;confirm=XyZ&amp;id=abc">Download anyway</a>'
    assert confirmation_url(page, "http://h/x") == "http://h/uc?export=download&confirm=XyZ&id=abc"
    assert confirmation_url("<html>nothing</html>", "http://h/") is None


def test_load_sample():
    ds = xinr.datasets.load_sample()
    assert ds["sst"].attrs["units"] == "degC" and ds["sst"].shape == (12, 90, 180)


@pytest.mark.network
def test_real_download():  # pragma: no cover - needs the internet
    assert xinr.datasets.fetch_gst()["temperature"].ndim == 3
