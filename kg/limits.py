"""Time- and size-bounded SPARQL evaluation on worker threads.

pyoxigraph has no query timeout or cancellation, but it releases the GIL while it evaluates,
and it serialises results lazily: solutions are computed as the serialiser pulls them and
written to our sink in chunks of about 8 KiB. So a query runs on a worker thread, and the sink
checks the deadline and the size limit on every chunk, stopping the evaluation at the limit.
A query stuck inside one uninterruptible step (an aggregate over a huge join, an ASK, a sort)
never reaches the sink: the caller gets `QueryTimeout` at the deadline anyway, and the thread
is abandoned and counted as a *runaway* until it finishes; while `max_runaway` of them are
running, new queries get `Overloaded` instead of piling up more stuck threads.
"""

from __future__ import annotations

import asyncio
import os
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, Literal

import pyoxigraph as ox

from mmoda.kg.errors import Overloaded, QueryTimeout, ResultTooLarge
from mmoda.kg.store import KnowledgeGraph

Kind = Literal["solutions", "boolean", "graph"]
"""What a query answers: SELECT solutions, an ASK boolean, or CONSTRUCT/DESCRIBE triples."""
Format = ox.QueryResultsFormat | ox.RdfFormat
Chooser = Callable[[Kind], tuple[str, Format]]
"""Picks the serialisation of a parsed query's answer: (a label handed back, the format)."""

_IDLE_EXIT = 60.0  # seconds an idle worker thread waits for work before it exits


class QueryRunner:
    """Runs queries on worker threads within a time limit and a serialised-size limit."""

    def __init__(self, kg: KnowledgeGraph, *, timeout: float, max_bytes: int, max_runaway: int,
                 workers: int | None = None) -> None:
        self.kg = kg
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_runaway = max_runaway
        self._runaway = 0
        self._lock = threading.Lock()
        if workers is None:
            workers = max(4, 2 * len(os.sched_getaffinity(0)))
        self._pool = _Pool(max_runaway + workers)

    @property
    def runaway(self) -> int:
        """Abandoned queries still running."""
        return self._runaway

    async def run(self, text: str, choose: Chooser, **options: Any) -> tuple[bytes, str]:
        """The serialised answer of `text` and the label `choose` gave with its format.

        `options` go to `KnowledgeGraph.query`. Raises `QuerySyntaxError`, `QueryTimeout`,
        `ResultTooLarge`, `Overloaded`, or whatever `choose` raises.
        """
        if self._runaway >= self.max_runaway:
            raise Overloaded(
                f"{self._runaway} queries that ran past the time limit are still running "
                f"(at most {self.max_runaway}); retry later"
            )
        loop = asyncio.get_running_loop()
        future: asyncio.Future[tuple[bytes, str]] = loop.create_future()
        job = _Job(self, loop, future, text, choose, options)
        self._pool.submit(job)
        timer = loop.call_later(self.timeout, job.expire)
        try:
            return await future
        except asyncio.CancelledError:
            job.expire()  # nobody waits any more: a query still running counts as a runaway
            raise
        finally:
            timer.cancel()

    def execute(self, text: str, choose: Chooser, *, deadline: float | None = None,
                abandoned: Callable[[], bool] = lambda: False, **options: Any) -> tuple[bytes, str]:
        """Evaluate and serialise on the calling thread; the limits apply at each written chunk.

        Without a `deadline` (a `time.monotonic()` value) the configured timeout starts now.
        """
        deadline = time.monotonic() + self.timeout if deadline is None else deadline
        result = self.kg.query(text, **options)
        try:
            if isinstance(result, ox.QueryBoolean):
                label, fmt = choose("boolean")
                return bytes(result.serialize(format=fmt)), label  # type: ignore[arg-type]
            label, fmt = choose("solutions" if isinstance(result, ox.QuerySolutions) else "graph")
            sink = _Sink(deadline, self.max_bytes, self.timeout, abandoned)
            try:
                result.serialize(sink, format=fmt)  # type: ignore[arg-type]
            except Exception:
                if sink.error is not None:
                    raise sink.error from None
                raise
            return b"".join(sink.chunks), label
        finally:
            # pyoxigraph results must be dropped on the thread that made them; an exception's
            # traceback would otherwise carry this frame, and the result, to the caller's thread.
            del result

    async def update(self, text: str, *, base_iri: str | None = None) -> None:
        """Apply a SPARQL update on a worker thread (no time limit: an update is not abandoned
        half-way, and only administrators send them)."""
        await asyncio.get_running_loop().run_in_executor(
            None, lambda: self.kg.update(text, base_iri=base_iri))

    def _runaway_delta(self, delta: int) -> None:
        with self._lock:
            self._runaway += delta


class _Sink:
    """The binary writer pyoxigraph serialises into; stops it at the deadline or size limit."""

    __slots__ = ("abandoned", "chunks", "deadline", "error", "limit", "size", "timeout")

    def __init__(self, deadline: float, limit: int, timeout: float,
                 abandoned: Callable[[], bool]) -> None:
        self.deadline = deadline
        self.limit = limit
        self.timeout = timeout
        self.abandoned = abandoned
        self.chunks: list[bytes] = []
        self.size = 0
        self.error: Exception | None = None

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > self.limit:
            self.error = ResultTooLarge(
                f"the serialised result exceeds the limit of {self.limit} bytes; "
                "narrow the query or add a LIMIT"
            )
            raise self.error
        if time.monotonic() > self.deadline or self.abandoned():
            self.error = _timeout(self.timeout)
            raise self.error
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass


class _Job:
    """One query handed to a worker; resolves its asyncio future from the worker thread."""

    __slots__ = ("choose", "deadline", "future", "loop", "options", "runner", "state", "text")

    def __init__(self, runner: QueryRunner, loop: asyncio.AbstractEventLoop,
                 future: asyncio.Future[tuple[bytes, str]], text: str, choose: Chooser,
                 options: dict[str, Any]) -> None:
        self.runner = runner
        self.loop = loop
        self.future = future
        self.text = text
        self.choose = choose
        self.options = options
        self.deadline = time.monotonic() + runner.timeout
        self.state = "queued"  # -> running -> done; or -> abandoned (queued/running) -> done

    def __call__(self) -> None:
        runner = self.runner
        with runner._lock:
            if self.state == "abandoned":  # timed out while queued: never start it
                self.state = "done"
                return
            self.state = "running"
        result: tuple[bytes, str] | None = None
        error: BaseException | None = None
        try:
            result = runner.execute(self.text, self.choose, deadline=self.deadline,
                                    abandoned=self.abandoned, **self.options)
        except BaseException as exc:  # handed to the awaiting coroutine
            error = exc
        with runner._lock:
            was = self.state
            self.state = "done"
            if was == "abandoned":
                runner._runaway -= 1
                return
        self.loop.call_soon_threadsafe(self._resolve, result, error)

    def abandoned(self) -> bool:
        return self.state == "abandoned"

    def _resolve(self, result: tuple[bytes, str] | None, error: BaseException | None) -> None:
        if self.future.done():
            return
        if error is not None:
            self.future.set_exception(error)
        else:
            self.future.set_result(result)  # type: ignore[arg-type]

    def expire(self) -> None:
        """At the deadline (on the event loop): answer QueryTimeout, abandon the worker."""
        runner = self.runner
        with runner._lock:
            if self.state == "done":
                return
            if self.state == "running":
                runner._runaway += 1
            self.state = "abandoned"
        if not self.future.done():
            self.future.set_exception(_timeout(runner.timeout))


def _timeout(limit: float) -> QueryTimeout:
    return QueryTimeout(f"the query ran past the time limit of {limit:g} s; "
                        "narrow it or add a LIMIT")


class _Pool:
    """Daemon worker threads, started on demand and ended when idle.

    Not `ThreadPoolExecutor`: its threads are joined at interpreter exit, so one runaway query
    would keep a stopped server from exiting.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._idle = threading.Semaphore(0)
        self._threads = 0
        self._lock = threading.Lock()

    def submit(self, job: Callable[[], None]) -> None:
        self._jobs.put(job)
        if self._idle.acquire(blocking=False):
            return
        with self._lock:
            if self._threads >= self.size:
                return
            self._threads += 1
        threading.Thread(target=self._work, name="sparql-worker", daemon=True).start()

    def _work(self) -> None:
        while True:
            try:
                job = self._jobs.get(timeout=_IDLE_EXIT)
            except queue.Empty:
                if self._idle.acquire(blocking=False):
                    with self._lock:
                        self._threads -= 1
                    return
                continue
            job()
            self._idle.release()
