"""The real oda-api client against MMODA: time from `get_product` to the DataCollection.

A site (`mmoda serve`, its own process, data in a temporary directory) registers a trivial
function workflow (`double`: 2·x, instrument `isgri_sim`, product `double`). Contenders, each
with --runs samples after two warm-up calls, one client session per call:

1. a trivial workflow, run anew (a fresh `x` each time): submit, run in a subprocess (the
   local executor and the job runner), results written with provenance, products encoded;
2. the same with `dispatcher_wait = 0` (a second server): the reply does not wait for the run,
   so the client polls as against MMODA's dispatcher (its loop sleeps 1 s between polls);
3. a reused result: `x` already computed, from another session: answered by reuse, no run.

The baseline is the client's own polling floor: against a dispatcher that answers
`submitted` first, no product arrives before the client's first 1 s sleep. The report gives
p50/p99/mean and the ratio of each p50 to that 1 s floor.

Run: .venv/bin/python benchmarks/oda_api.py [--runs N] [--quick] [--keep] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import sys
import tempfile
import time
from pathlib import Path

from _http import Server, free_port, mmoda_cmd
from _report import HEADER, Latency, Report, cpu_line, dist, finish, log, ratio

HERE = Path(__file__).resolve().parent
# This script's name is the client's: take its directory off the path so that `import
# oda_api` finds the installed client, not this file.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
ROOT = HERE.parent
SECRET = "oda-api-benchmark-secret-0123456789abcdef"
FLOOR_MS = 1000.0
WORKFLOW = '''"""A trivial workflow for the oda-api benchmark."""
from typing import Annotated

__license__ = "MIT"
__author__ = "MMODA benchmarks"
__instrument__ = "isgri_sim"
__product__ = "double"

Number = Annotated[float, "http://odahub.io/ontology#Float"]


def double(x: Number = 1.0) -> Number:
    """Twice x."""
    return 2 * x
'''



def prepare_site(data: Path, work: Path, port: int) -> None:
    """Open the store once, register the trivial workflow, close it (the server reopens it
    with the same base URL, under which the catalog's IRIs were minted)."""
    from mmoda.api.settings import Settings
    from mmoda.api.site import open_site
    from mmoda.workflows.sources import from_path

    (work / "double.py").write_text(WORKFLOW, encoding="utf-8")
    site = open_site(Settings(data_dir=data, port=port,  # type: ignore[arg-type]
                              jwt_secret=SECRET))
    site.registry.register(from_path(work / "double.py", function="double"), ident="double")
    site.kg.flush()
    del site


def serve(name: str, port: int, work: Path, wait: float, poll: float) -> Server:
    data = work / name
    prepare_site(data, work, port)
    env = {"MMODA_DATA_DIR": str(data), "MMODA_PORT": str(port), "MMODA_HOST": "127.0.0.1",
           "MMODA_LOG_LEVEL": "warning", "MMODA_JWT_SECRET": SECRET,
           "MMODA_ANONYMOUS_RUNS": "true", "MMODA_POLL_INTERVAL": str(poll),
           "MMODA_DISPATCHER_WAIT": str(wait)}
    server = Server(name, [*mmoda_cmd(), "serve"], port, "/sparql", work / f"{name}.log", env)
    if not server.start("ASK { }", timeout=300):
        raise SystemExit(f"{name} did not start: {server.error}")
    return server


def measure(url: str, values: itertools.count, runs: int, *, reuse_of: list[float] | None = None
            ) -> tuple[Latency, list[float]]:
    """`runs` timed get_product calls (after two warm-up calls), each from a new session."""
    from oda_api.api import DispatcherAPI

    ms, used = [], []
    for i in range(runs + 2):
        x = reuse_of[i % len(reuse_of)] if reuse_of else float(next(values))
        begun = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):  # the client prints reuse comments
            data = DispatcherAPI(url=url).get_product(instrument="isgri_sim",
                                                      product="double", x=x, silent=True)
        elapsed = 1000 * (time.perf_counter() - begun)
        if [p.value for p in data._p_list] != [2 * x]:
            raise SystemExit(f"wrong answer for x={x}: {data._p_list}")
        if i >= 2:
            ms.append(elapsed)
        used.append(x)
    return Latency("", ms), used


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=30)
    p.add_argument("--quick", action="store_true", help="5 runs per contender")
    p.add_argument("--poll-interval", type=float, default=0.1,
                   help="the site's run monitor interval (s)")
    p.add_argument("--workdir", type=Path)
    p.add_argument("--keep", action="store_true")
    args = p.parse_args()
    runs = 5 if args.quick else args.runs
    started = time.perf_counter()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="mmoda-bench-oda-api-"))
    work.mkdir(parents=True, exist_ok=True)
    report = Report("MMODA: the oda-api client, get_product -> DataCollection")
    facts = report.section("setup")
    facts += [cpu_line(), f"oda-api {dist('oda-api')}, mmoda {dist('mmoda')}, runs {runs}, "
              f"run monitor interval {args.poll_interval:g} s, one server process each"]
    servers: list[Server] = []
    try:
        log("starting two sites (dispatcher_wait 5 s and 0 s)")
        servers.append(serve("waiting", free_port(), work, 5.0, args.poll_interval))
        servers.append(serve("not-waiting", free_port(), work, 0.0, args.poll_interval))
        values = itertools.count(1)
        log("1. a trivial workflow, run anew")
        fresh, computed = measure(servers[0].endpoint.removesuffix("/sparql"), values, runs)
        log("2. the same without waiting in the reply")
        polled, _ = measure(servers[1].endpoint.removesuffix("/sparql"), values, runs)
        log("3. a reused result")
        reused, _ = measure(servers[0].endpoint.removesuffix("/sparql"), values, runs,
                            reuse_of=computed)
        rows = [(fresh, "trivial workflow, new run (dispatcher_wait 5 s)"),
                (polled, "  same, dispatcher_wait 0 (client polls, 1 s)"),
                (reused, "reused result, another session")]
        out = report.section("get_product -> DataCollection")
        out += ["", HEADER]
        for latency, label in rows:
            latency.label = label
            out.append(latency.row())
        out += ["", f"baseline: the client's polling floor {FLOOR_MS:.0f} ms (its loop sleeps "
                    "1 s after a reply that is not final)"]
        out += [f"{label}: p50 / floor = {ratio(latency.p(0.5), FLOOR_MS)}"
                for latency, label in rows]
    finally:
        finish(report, started=started, work=work, keep=args.keep, servers=servers)


if __name__ == "__main__":
    main()
