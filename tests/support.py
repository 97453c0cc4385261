"""Test helpers: settings, tokens, a real HTTP server on 127.0.0.1, CI-aware skips."""

from __future__ import annotations

import os
import socket
import threading
import time
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
