"""`mmoda run|status|cancel|provenance` against a real site over HTTP, as a user types them."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from astropy.io import fits
from click.testing import CliRunner, Result

from mmoda.api.cli import main
from support import LiveServer, free_port, make_settings, start_server, token

DAY = ["-p", "T1=2003-03-15T10:00:00", "-p", "T2=2003-03-15T20:00:00"]
CRAB = ["-p", "RA=83.63", "-p", "DEC=22.01"]

Invoke = Callable[..., Result]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A site with the example catalog on an on-disk store, served on a free port."""
    live = start_server(make_settings(tmp_path_factory.mktemp("site"), port=free_port()))
    yield live
    live.stop()


@pytest.fixture
def mmoda(server: LiveServer) -> Iterator[Invoke]:
    """Run `mmoda ARGS...` against the server, signed in as alice through the environment."""
    env = {"MMODA_URL": server.url, "MMODA_TOKEN": token(server.site, "user", subject="alice")}

    def invoke(*args: str, **extra_env: str) -> Result:
        return CliRunner().invoke(main, list(args), env=env | extra_env)

    yield invoke


def run_id(output: str) -> str:
    found = re.search(r"run ([0-9a-f]{32})", output)
    assert found, output
    return found.group(1)


def test_run_spectrum_shows_files_citation_licence_and_downloads(mmoda: Invoke,
                                                                 tmp_path: Path) -> None:
    done = mmoda("run", "spectrum", *CRAB, *DAY, "--reuse", "never",
                 "--download", str(tmp_path))
    assert done.exit_code == 0, done.output
    assert "COMPLETED" in done.stderr and "reused" not in done.stdout
    assert re.search(r"file +spectrum\.fits +11\.2 KiB +http://127\.0\.0\.1:\d+/results/"
                     r"[0-9a-f]{32}-spectrum/files/spectrum\.fits", done.stdout)
    assert "cite    MMODA developers" in done.stdout
    assert "licence: https://spdx.org/licenses/MIT" in done.stdout
    with fits.open(tmp_path / "spectrum.fits") as hdul:
        assert hdul["SPECTRUM"].header["PHOTINDX"] > 1


def test_the_same_request_in_another_notation_says_it_was_reused(mmoda: Invoke) -> None:
    first = mmoda("run", "spectrum", *CRAB, *DAY, "-p", "n_bins=9")
    assert first.exit_code == 0, first.output
    again = mmoda("run", "spectrum", "-p", "RA=05h34m31.2s", "-p",
                  "DEC=22.01", "-p", "T1=52713.416666667", "-p", "T2=2003-03-15T20:00:00",
                  "-p", "n_bins=9")
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith(f"reused: the results of run {run_id(first.stdout)} ")
    assert "ran at site http://127.0.0.1:" in again.stdout and "spectrum.fits" in again.stdout


def test_bad_parameters_exit_2_naming_each(mmoda: Invoke) -> None:
    bad = mmoda("run", "spectrum", *CRAB, "-p", "T1=yesterday",
                "-p", "T2=2003-03-15T20:00:00")
    assert bad.exit_code == 2
    assert "422 Invalid parameters" in bad.stderr
    assert "T1: 'yesterday' is not a time instant" in bad.stderr
    malformed = mmoda("run", "spectrum", "-p", "RA")
    assert malformed.exit_code == 2 and "NAME=VALUE" in malformed.stderr


def test_a_failing_run_exits_1_with_the_workflows_message(mmoda: Invoke) -> None:
    failed = mmoda("run", "spectrum", *CRAB, *DAY,
                   "-p", "E1_keV=100", "-p", "E2_keV=30")
    assert failed.exit_code == 1
    assert "ERROR: ValueError: need 0 < E1_keV < E2_keV" in failed.stderr


def test_a_request_without_a_token_exits_1_with_a_hint(mmoda: Invoke) -> None:
    anonymous = mmoda("run", "spectrum", *CRAB, *DAY, MMODA_TOKEN="")
    assert anonymous.exit_code == 1
    assert "401 Unauthorized" in anonymous.stderr and "MMODA_TOKEN" in anonymous.stderr


@pytest.mark.slow
def test_run_lightcurve_as_json(mmoda: Invoke) -> None:
    done = mmoda("run", "lightcurve", *CRAB, *DAY, "--json")
    assert done.exit_code == 0, done.output
    shown = json.loads(done.stdout)
    assert shown["phase"] == "COMPLETED" and shown["run"]["phase"] == "COMPLETED"
    assert {r["output"] for r in shown["results"]} == {"lightcurve", "lightcurve_png",
                                                       "mean_rate"}
    assert all(r["license"] == "https://spdx.org/licenses/MIT" for r in shown["results"])


def test_status_of_a_run_and_of_a_request(mmoda: Invoke) -> None:
    done = mmoda("run", "spectrum", *CRAB, *DAY, "--reuse", "never")
    request = re.search(r"request ([0-9a-f]{32})", done.stdout)
    assert request, done.output
    by_run = mmoda("status", run_id(done.stdout))
    assert by_run.exit_code == 0 and by_run.stdout.startswith(
        f"run {run_id(done.stdout)}: COMPLETED")
    assert "-spectrum (spectrum)" in by_run.stdout
    by_request = mmoda("status", request.group(1))
    assert by_request.exit_code == 0
    assert f"run {run_id(done.stdout)}: COMPLETED" in by_request.stdout
    unknown = mmoda("status", "does-not-exist")
    assert unknown.exit_code == 1 and "no run or request does-not-exist" in unknown.stderr


def test_no_wait_cancel_and_cancelling_again_is_a_conflict(mmoda: Invoke) -> None:
    started = mmoda("run", "lightcurve", *CRAB, *DAY, "-p", "time_bin=120",
                    "--reuse", "never", "--no-wait")
    assert started.exit_code == 0 and "follow it with `mmoda status" in started.stdout
    ident = run_id(started.stdout)
    cancelled = mmoda("cancel", ident)
    assert cancelled.exit_code == 0 and f"cancelling run {ident}" in cancelled.stdout
    waited = mmoda("run", "lightcurve", *CRAB, *DAY, "-p", "time_bin=120",
                   "--reuse", "never", "--timeout", "0.2")
    assert waited.exit_code == 3 and "still" in waited.stderr
    mmoda("cancel", run_id(waited.stdout))
    done = mmoda("run", "spectrum", *CRAB, *DAY)
    again = mmoda("cancel", run_id(done.stdout))
    assert again.exit_code == 1
    assert "cannot cancel run" in again.stderr and "is COMPLETED" in again.stderr


def test_provenance_to_a_file_and_to_stdout(mmoda: Invoke, tmp_path: Path) -> None:
    done = mmoda("run", "spectrum", *CRAB, *DAY, "--json")
    (result,) = json.loads(done.stdout)["results"]
    saved = mmoda("provenance", result["id"], "-o", str(tmp_path / "p.ttl"))
    assert saved.exit_code == 0, saved.output
    assert "prov:wasGeneratedBy" in (tmp_path / "p.ttl").read_text()
    provn = mmoda("provenance", result["id"], "--format", "provn")
    assert provn.exit_code == 0 and provn.stdout.startswith("document")
