"""Test helpers: settings, tokens, a real HTTP server on 127.0.0.1, CI-aware skips."""

from __future__ import annotations

import contextlib
import http.server
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from mmoda.api.app import create_app
from mmoda.api.auth import mint
from mmoda.api.settings import Settings
from mmoda.api.site import Site, open_site

SECRET = "test-secret-not-for-production-use-only"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def needs(condition: bool, reason: str) -> None:
    """Skip when `condition` fails, except in CI (`CI=true`), where a missing need is a failure."""
    if condition:
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


def offline_oda_ontology() -> None:
    """With oda-api installed, nb2workflow reads the ODA ontology from odahub.io when imported;
    hand it the vendored copy instead, so tests run offline on the same ontology."""
    try:
        from oda_api import ontology_helper
    except ImportError:  # nb2workflow then runs without ontology features
        return
    if ontology_helper.main_ontology_graph is None:
        from mmoda.ontology import ODA_TTL

        ontology_helper.main_ontology_graph = ontology_helper.MainOntologyGraph(str(ODA_TTL), "0")


@contextlib.contextmanager
def ontology_proxy() -> Iterator[dict[str, str]]:
    """Proxy environment variables under which processes that fetch the ODA ontology from
    odahub.io over http (nb2workflow kernels with oda-api) get the vendored copy from a
    loopback server instead; loopback traffic bypasses it."""
    from mmoda.ontology import ODA_TTL

    body = ODA_TTL.read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/turtle")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield {"http_proxy": url, "HTTP_PROXY": url, "no_proxy": "127.0.0.1,localhost",
               "NO_PROXY": "127.0.0.1,localhost"}
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_settings(tmp: Path | None, port: int = 8000, **extra: object) -> Settings:
    data = {"data_dir": tmp} if tmp is not None else {"in_memory": True}
    return Settings(port=port, jwt_secret=SECRET, **data, **extra)  # type: ignore[arg-type]




def token(site_or_settings: Site | Settings, *roles: str, subject: str = "tester") -> str:
    settings = site_or_settings.settings if isinstance(site_or_settings, Site) else site_or_settings
    return mint(settings.secret(), subject=subject, roles=list(roles),
                issuer=settings.jwt_issuer, ttl=3600)


@dataclass
class LiveServer:
    """A real uvicorn server on 127.0.0.1 serving a site."""

    url: str
    site: Site
    server: uvicorn.Server
    thread: threading.Thread

    def client(self, **kw: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kw)  # type: ignore[arg-type]

    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {token(self.site, 'admin')}"}

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def start_server(settings: Settings) -> LiveServer:
    site = open_site(settings)
    config = uvicorn.Config(create_app(site=site), host="127.0.0.1", port=settings.port,
                            log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    return LiveServer(settings.base_url, site, server, thread)


EXAMPLE_WORKFLOWS = Path(__file__).resolve().parents[1] / "examples" / "workflows"


@contextlib.contextmanager
def nb2service(work: Path, notebook: Path = EXAMPLE_WORKFLOWS / "lightcurve.ipynb"
               ) -> Iterator[str]:
    """The base URL of a real nb2service on 127.0.0.1 serving `notebook` (copied with the
    example data into `work`), offline: its ODA ontology comes from `ontology_proxy`."""
    exe = shutil.which("nb2service") or str(Path(sys.executable).with_name("nb2service"))
    needs(Path(exe).exists(), "nb2service (pip install 'nb2workflow[service]' six)")
    work.mkdir(parents=True, exist_ok=True)
    shutil.copy(notebook, work)
    shutil.copytree(EXAMPLE_WORKFLOWS / "data", work / "data")  # the notebook reads data/
    with ontology_proxy() as proxy:
        port, log = free_port(), work / "nb2service.log"
        with log.open("wb") as out:
            proc = subprocess.Popen([exe, str(work), "--host", "127.0.0.1", "--port", str(port)],
                                    cwd=work, env={**os.environ, **proxy}, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(proc, url, log)
            yield url
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)


def _wait_healthy(proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"nb2service exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url + "/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"nb2service did not answer /health in 120 s:\n{log.read_text()[-3000:]}")
