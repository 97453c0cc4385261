"""A list+watch cache of the executor's Jobs or pods in one namespace (optional, `watch=True`).

A thread lists the objects (remembering the list's resourceVersion), then watches from that
resourceVersion, applying each event; a 410 Gone (the version was compacted away) makes it list
again. While it is not in sync (starting, an error, the apiserver away) `healthy` is False and
the executor falls back to listing on each poll.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


class Gone(Exception):
    """The watched resourceVersion is too old (HTTP 410): list again."""


class ListWatch:
    """Objects by name, kept current by list + watch in a daemon thread."""

    def __init__(self, list_call: Callable[..., Any], namespace: str, selector: str,
                 *, timeout_s: int = 60, retry_s: float = 1.0) -> None:
        self._list, self.namespace, self.selector = list_call, namespace, selector
        self.timeout_s, self.retry_s = timeout_s, retry_s
        self.objects: dict[str, Any] = {}
        self.healthy = False
        self.relists = 0
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"watch-{namespace}")
        self._thread.start()

    def snapshot(self) -> dict[str, Any] | None:
        """A copy of the objects, None while the cache is not in sync."""
        with self.lock:
            return dict(self.objects) if self.healthy else None

    def stop(self) -> None:
        """End the thread (at the latest when the current watch request times out)."""
        self._stop.set()

    def _run(self, version: str | None = None) -> None:
        while not self._stop.is_set():
            try:
                version = version or self.relist()
                version = self.watch(version)
            except Gone:
                version = None
            except Exception as exc:  # any failure: fall back to listing, then retry
                log.warning("watching %s in %s failed: %r", self.selector, self.namespace, exc)
                with self.lock:
                    self.healthy = False
                version = None
                self._stop.wait(self.retry_s)

    def relist(self) -> str:
        """List everything afresh; the list's resourceVersion to watch from."""
        listed = self._list(self.namespace, label_selector=self.selector,
                            _request_timeout=self.timeout_s)
        with self.lock:
            self.objects = {o.metadata.name: o for o in listed.items}
            self.healthy = True
            self.relists += 1
        return str(listed.metadata.resource_version)

    def watch(self, version: str) -> str:
        """Apply events from `version` on until the request times out; the last version seen."""
        from kubernetes import watch
        from kubernetes.client.exceptions import ApiException

        stream = watch.Watch().stream(
            self._list, self.namespace, label_selector=self.selector, resource_version=version,
            timeout_seconds=self.timeout_s, allow_watch_bookmarks=True)
        try:
            for event in stream:
                version = self._apply(event) or version
                if self._stop.is_set():
                    break
        except ApiException as exc:
            if exc.status == 410:
                raise Gone(str(exc)) from exc
            raise
        return version

    def _apply(self, event: dict[str, Any]) -> str | None:
        kind, obj = event["type"], event["object"]
        if kind == "ERROR":
            raw = event.get("raw_object") or {}
            if raw.get("code") == 410:
                raise Gone(str(raw.get("message")))
            raise RuntimeError(f"watch error: {raw}")
        with self.lock:
            if kind == "DELETED":
                self.objects.pop(obj.metadata.name, None)
            elif kind in ("ADDED", "MODIFIED"):
                self.objects[obj.metadata.name] = obj
        return str(obj.metadata.resource_version)
