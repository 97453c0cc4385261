"""The SPARQL 1.1 Protocol endpoint, a bare ASGI callable (the hot path: no framework layers).

Queries: GET `?query=`, POST form `query=`, POST `application/sparql-query`. Updates: POST form
`update=` or POST `application/sparql-update`, with an admin bearer token only. A GET without a
query answers the service description.

Dataset: `default-graph-uri` / `named-graph-uri` replace the query's own FROM / FROM NAMED;
without either, the default graph is the union of all graphs, so the whole knowledge graph is
visible without GRAPH clauses. Updates keep SPARQL's standard dataset (the store's default
graph), narrowed by `using-graph-uri` / `using-named-graph-uri` if given.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox
from starlette.types import Receive, Scope, Send

from mmoda.api import problems
from mmoda.api.auth import require
from mmoda.api.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from mmoda.api.site import Site
from mmoda.api.sparql_formats import (
    DatasetConflict,
    ServiceDescription,
    form_params,
    names_dataset,
    negotiate,
    with_using,
)
from mmoda.kg.errors import QuerySyntaxError
from mmoda.kg.limits import Format, Kind, QueryRunner

FORM = "application/x-www-form-urlencoded"
QUERY = "application/sparql-query"
UPDATE = "application/sparql-update"
_VARY = (b"vary", b"accept")


class MalformedSparql(BadRequest):
    """A query or update the SPARQL parser rejected (400, naming the form field)."""

    title = "Malformed SPARQL"


class SparqlEndpoint:
    """`/sparql` of a site, as an ASGI application."""

    def __init__(self, site: Site) -> None:
        self.site = site
        s = site.settings
        self.runner = QueryRunner(site.kg, timeout=s.query_timeout, max_bytes=s.max_result_bytes,
                                  max_runaway=s.max_runaway_queries)
        self.max_body = s.max_body_bytes
        self.base_iri = f"{site.base}/sparql"
        self.description = ServiceDescription(self.base_iri)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            status, content_type, body = await self._answer(scope, receive)
            headers = [(b"content-type", content_type.encode()), _VARY] if content_type else []
        except Exception as exc:
            status, extra, body = problems.problem(exc, instance=scope["path"])
            headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in extra.items()]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _answer(self, scope: Scope, receive: Receive) -> tuple[int, str, bytes]:
        accept = content_type = authorization = length = None
        for name, value in scope["headers"]:
            if name == b"accept":
                accept = value.decode("latin-1")
            elif name == b"content-type":
                content_type = value.decode("latin-1")
            elif name == b"authorization":
                authorization = value.decode("latin-1")
            elif name == b"content-length":
                length = value
        params = form_params(scope["query_string"])
        method = scope["method"]
        if method == "GET":
            if "update" in params:
                raise BadRequest("updates must be sent with POST", errors=_field("update"))
            if "query" not in params:
                return (200, *self.description.render(accept))
        elif method == "POST":
            media, _, rest = (content_type or "").partition(";")
            media = media.strip().lower()
            charset = rest.partition("charset=")[2].split(";")[0].strip(' "').lower()
            if charset and charset not in ("utf-8", "utf8"):
                raise BadRequest(f"charset {charset} is not accepted; send UTF-8")
            if media not in (FORM, QUERY, UPDATE):
                raise UnsupportedMediaType(
                    f"Content-Type {media or '(none)'} is not accepted; send {FORM}, "
                    f"{QUERY} or {UPDATE}")
            if media != FORM and ("query" in params or "update" in params):
                raise BadRequest("the query or update goes in the body, not the URL")
            body = await self._body(receive, length)
            if media == FORM:
                for key, values in form_params(body).items():
                    params.setdefault(key, []).extend(values)
            else:
                params["update" if media == UPDATE else "query"] = [_utf8(body)]
        else:
            raise _NotAllowed(f"method {method} is not allowed; use GET or POST",
                              headers={"Allow": "GET, POST"})
        query, update = params.get("query", []), params.get("update", [])
        if len(query) + len(update) != 1:
            raise BadRequest("send exactly one query or one update",
                             errors=_field("query" if query else "update"))
        if update:
            require(self.site.who(authorization), "admin")
            await self._update(update[0], params)
            return 204, "", b""
        return await self._query(query[0], params, accept)

    async def _query(self, text: str, params: dict[str, list[str]],
                     accept: str | None) -> tuple[int, str, bytes]:
        options: dict[str, Any] = {"base_iri": self.base_iri}
        default, named = _graphs(params, "default-graph-uri"), _graphs(params, "named-graph-uri")
        if default or named:
            options["default_graph"], options["named_graphs"] = default, named
        elif not names_dataset(text):
            options["use_default_graph_as_union"] = True

        def choose(kind: Kind) -> tuple[str, Format]:
            return negotiate(kind, accept)

        try:
            body, content_type = await self.runner.run(text, choose, **options)
        except QuerySyntaxError as exc:
            raise MalformedSparql(str(exc), errors=_field("query", str(exc))) from exc
        return 200, content_type, body

    async def _update(self, text: str, params: dict[str, list[str]]) -> None:
        default = _graphs(params, "using-graph-uri")
        named = _graphs(params, "using-named-graph-uri")
        if default or named:
            try:
                text = with_using(text, default, named)
            except DatasetConflict as exc:
                raise BadRequest(str(exc), errors=_field("update", str(exc))) from exc
        try:
            await self.runner.update(text, base_iri=self.base_iri)
        except QuerySyntaxError as exc:
            raise MalformedSparql(str(exc), errors=_field("update", str(exc))) from exc

    async def _body(self, receive: Receive, length: bytes | None) -> bytes:
        limit = self.max_body
        if length is not None and length.isdigit() and int(length) > limit:
            raise PayloadTooLarge(f"body of {int(length)} bytes exceeds the limit of {limit} bytes")
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise BadRequest("the client disconnected")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"body exceeds the limit of {limit} bytes")
            if not message.get("more_body", False):
                return b"".join(chunks) + chunk if chunks else chunk
            chunks.append(chunk)


class _NotAllowed(BadRequest):
    status = 405
    title = "Method Not Allowed"


def _utf8(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the body is not UTF-8: {exc}") from exc


def _graphs(params: dict[str, list[str]], name: str) -> list[ox.NamedNode]:
    try:
        return [ox.NamedNode(iri) for iri in params.get(name, ())]
    except ValueError as exc:
        raise BadRequest(f"{name}: {exc}", errors=_field(name, str(exc))) from exc


def _field(name: str, message: str | None = None) -> list[dict[str, Any]]:
    return [{"field": name, "message": message or f"invalid {name}"}]
