"""The `mmoda` command as a user runs it: serve (data survives a restart), load, query, export."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from support import SECRET, free_port

MMODA = [sys.executable, "-m", "mmoda.api.cli"]


def run(*args: str, data: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MMODA_JWT_SECRET": SECRET}
    return subprocess.run([*MMODA, *args, "--data-dir", str(data)], capture_output=True,
                          text=True, env=env, check=check, timeout=120)


def serve(data: Path, port: int) -> subprocess.Popen[str]:
    env = {**os.environ, "MMODA_JWT_SECRET": SECRET}
    proc = subprocess.Popen([*MMODA, "serve", "--data-dir", str(data), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError(f"mmoda serve did not start: {proc.stdout.read() if proc.stdout else ''}")


def stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    return out


@pytest.mark.slow
def test_data_written_over_http_survives_a_restart(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = serve(tmp_path, port)
    try:
        admin = run("token", "--role", "admin", data=tmp_path).stdout.strip()
        ttl = httpx.get(f"{base}/sites/local", headers={"Accept": "text/turtle"}).text
        body = ttl.replace(f"<{base}/sites/local>", f"<{base}/sites/second>").replace(
            f"<{base}/sites/local#", f"<{base}/sites/second#")
        resp = httpx.put(f"{base}/sites/second", content=body, headers={
            "Authorization": f"Bearer {admin}", "Content-Type": "text/turtle"})
        assert resp.status_code == 201, resp.text
    finally:
        out = stop(proc)
    assert f"serving at {base}/" in out
    proc = serve(tmp_path, port)
    try:
        again = httpx.get(f"{base}/sites/second", headers={"Accept": "text/turtle"})
        assert again.status_code == 200
        assert f"<{base}/sites/second>" in again.text or "second" in again.text
    finally:
        stop(proc)


def test_load_query_export_and_token(tmp_path: Path) -> None:
    data = tmp_path / "data"
    extra = tmp_path / "extra.ttl"
    extra.write_text('<http://example.org/s> <http://example.org/p> "loaded from a file" .\n')
    loaded = run("load", str(extra), data=data)
    assert "loaded 1 quads" in loaded.stdout
    q = 'SELECT ?o WHERE { <http://example.org/s> <http://example.org/p> ?o }'
    table = run("query", q, data=data).stdout
    assert "loaded from a file" in table and "(1 row)" in table
    as_json = json.loads(run("query", q, "--format", "json", data=data).stdout)
    assert as_json["results"]["bindings"][0]["o"]["value"] == "loaded from a file"
    ask = run("query", "ASK { ?s a <https://odahub.io/mmoda#Site> }", data=data).stdout
    assert ask.strip() == "True"
    dump = run("export", "--format", "nq", data=data).stdout
    assert '"loaded from a file"' in dump and "<https://odahub.io/mmoda/graph/catalog>" in dump
    bad = run("query", "SELECT WHERE {", data=data, check=False)
    assert bad.returncode != 0 and "SPARQL" in bad.stderr + bad.stdout
    tok = run("token", "--role", "admin", data=data).stdout.strip()
    assert tok.count(".") == 2
    wrong = run("token", "--role", "wizard", data=data, check=False)
    assert wrong.returncode == 2 and "unknown role" in wrong.stderr


def test_invalid_settings_are_reported_clearly(tmp_path: Path) -> None:
    env = {**os.environ, "MMODA_PORT": "99999"}
    out = subprocess.run([*MMODA, "query", "ASK {}", "--data-dir", str(tmp_path)],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 2
    assert "port" in out.stderr and "65535" in out.stderr


def test_load_jsonld_with_the_project_context(tmp_path: Path) -> None:
    doc = tmp_path / "node.jsonld"
    doc.write_text(json.dumps({
        "@context": "https://odahub.io/mmoda/context.jsonld",
        "@id": "http://example.org/thing", "@type": "mmoda:Instrument",
        "http://www.w3.org/2000/01/rdf-schema#label": "from JSON-LD"}))
    assert "loaded 2 quads" in run("load", str(doc), data=tmp_path / "d").stdout
    q = "ASK { <http://example.org/thing> a <https://odahub.io/mmoda#Instrument> }"
    assert run("query", q, data=tmp_path / "d").stdout.strip() == "True"
    remote = tmp_path / "remote.jsonld"
    remote.write_text('{"@context": "https://example.org/ctx.jsonld", "@id": "http://e/x"}')
    bad = run("load", str(remote), data=tmp_path / "d", check=False)
    assert bad.returncode == 1 and "remote JSON-LD context" in bad.stderr
