"""Register a running nb2workflow service: each target of `GET {url}/api/v1.0/options` becomes
a `WorkflowSpec` of kind "service".

A parameter is read by the notebook machinery (`scan` + `make_parameter`) from the source line
nb2workflow reports (`raw_line`), holding the service's `default_value`, so a notebook
registered directly and through its service give equal parameters. The service's own typing is
checked against that reading: its `owl_type` (the annotated class, or the subclass nb2workflow
synthesises for limits, units... and declares in `extra_ttl`) must stand for the class the
annotation names, and `is_optional` makes a parameter optional. Unannotated parameters keep the
notebook parser's type where nb2workflow infers another (`y: float = 5` is oda:Float, not
oda:Integer; a list is oda:StructuredParameter, not xsd:list). Title, description and licence
come from the service's signature (`/api/v1.0/rdf`) when it states them; nb2workflow 1.3.118
states none, so the licence is usually the `license` argument, which takes precedence.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import re
import xml.sax
from dataclasses import replace
from typing import Any

import httpx
import rdflib

from mmoda.workflows.annotation import Fragment, looks_like_turtle
from mmoda.workflows.cells import NOT_LITERAL, Assignment, scan
from mmoda.workflows.errors import (
    MissingLicense,
    ServiceProtocolError,
    ServiceUnreachable,
    ServiceUrlError,
)
from mmoda.workflows.metadata import license_iri
from mmoda.workflows.model import FormalOutput, FormalParameter, WorkflowSpec
from mmoda.workflows.parameters import make_output, make_parameter
from mmoda.workflows.vocabulary import ODA, Vocabulary

__all__ = ["OPTIONS_PATH", "SIGNATURE_PATH", "normalise_url", "read_service"]

OPTIONS_PATH = "/api/v1.0/options"
SIGNATURE_PATH = "/api/v1.0/rdf"
_CLASS_REPR = re.compile(r"<class '([A-Za-z_][\w.]*)'>")
_OPTIONAL = rdflib.URIRef(ODA + "optional")
_WORKFLOW_NODE = re.compile(r"(.+)_[0-9a-f]{8}")  # nb2workflow's `<target>_<md5[:8]>`
_DCT, _SCHEMA = rdflib.Namespace("http://purl.org/dc/terms/"), rdflib.Namespace("https://schema.org/")
_ABOUT: dict[str, tuple[rdflib.URIRef, ...]] = {
    "title": (_DCT.title, _SCHEMA.name, rdflib.RDFS.label),
    "description": (_DCT.description, _SCHEMA.description, rdflib.RDFS.comment),
    "license": (_DCT.license, _SCHEMA.license),
}


_JSON_KINDS = {dict: "an object", str: "a string", bool: "a boolean", type(None): "null",
               object: "present"}


class _Shape(Exception):
    """Part of the options answer is not shaped as nb2workflow's; becomes ServiceProtocolError."""


def normalise_url(url: str) -> str:
    """`url` as a service base URL: scheme and host lower-cased, default port and trailing `/`
    dropped. Raises `ServiceUrlError` for a scheme other than http(s), credentials, a query or
    a fragment."""
    try:
        parsed = httpx.URL(url.strip())
    except httpx.InvalidURL as exc:
        raise ServiceUrlError(url, str(exc)) from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ServiceUrlError(url, "only http:// and https:// URLs with a host are supported")
    if parsed.userinfo or parsed.query or parsed.fragment:
        raise ServiceUrlError(url, "give the base URL, without credentials, query or fragment")
    host = f"[{parsed.host}]" if ":" in parsed.host else parsed.host
    port = "" if parsed.port is None else f":{parsed.port}"
    return f"{parsed.scheme}://{host}{port}{parsed.raw_path.decode('ascii').rstrip('/')}"


def _options(client: httpx.Client, url: str, timeout: float) -> Any:
    """The decoded JSON of the service's options endpoint."""
    try:
        response = client.get(url + OPTIONS_PATH, timeout=timeout, follow_redirects=True)
    except httpx.HTTPError as exc:
        raise ServiceUnreachable(url, f"GET {OPTIONS_PATH}: {type(exc).__name__}: {exc}") from exc
    if response.status_code != 200:
        raise ServiceUnreachable(url, f"GET {OPTIONS_PATH} answered HTTP {response.status_code}")
    try:
        return response.json()
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        kind = response.headers.get("content-type", "no content type")
        raise ServiceProtocolError(url, f"GET {OPTIONS_PATH} answered no JSON ({kind}): "
                                   f"{response.text[:60]!r}") from exc


def _signature(client: httpx.Client, url: str, timeout: float) -> rdflib.Graph:
    """The service's semantic signature (RDF/XML); empty when it cannot be had.

    It only adds metadata (title, description, licence), so its absence is no error.
    """
    graph = rdflib.Graph()
    with contextlib.suppress(httpx.HTTPError, xml.sax.SAXException, rdflib.exceptions.Error,
                             ValueError):
        response = client.get(url + SIGNATURE_PATH, timeout=timeout, follow_redirects=True)
        if response.status_code == 200:
            graph.parse(data=response.text, format="xml")
    return graph


def _about(graph: rdflib.Graph, target: str) -> dict[str, rdflib.term.Node]:
    """What the signature says of `target`'s workflow node, by the keys of `_ABOUT`."""
    for node in graph.subjects(rdflib.RDF.type, rdflib.URIRef(ODA + "workflow")):
        local = str(node).rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        match = _WORKFLOW_NODE.fullmatch(local)
        if (match.group(1) if match else local) != target:
            continue
        values = {k: [v for p in ps if (v := graph.value(node, p)) is not None]
                  for k, ps in _ABOUT.items()}
        return {k: vs[0] for k, vs in values.items() if vs}
    return {}


def _field(entry: dict[str, Any], key: str, kinds: tuple[type, ...], where: str) -> Any:
    """`entry[key]`, or `_Shape` when it is missing or of none of `kinds`."""
    if key not in entry or not isinstance(entry[key], kinds):
        names = " or ".join(_JSON_KINDS.get(k, k.__name__) for k in kinds)
        raise _Shape(f"{where}: {key!r} is missing or not {names}")
    return entry[key]


def _objects(value: Any, where: str) -> dict[str, dict[str, Any]]:
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise _Shape(f"{where} is not a JSON object of objects")
    return value


def _python_type_name(entry: dict[str, Any], where: str) -> str:
    """The name in nb2workflow's `python_type` (`{"type_object": "<class 'float'>"}`)."""
    text = _field(_field(entry, "python_type", (dict,), where), "type_object", (str,), where)
    match = _CLASS_REPR.fullmatch(text)
    return match.group(1) if match else text


def _assignment(name: str, entry: dict[str, Any], where: str) -> Assignment:
    """The assignment nb2workflow read (`raw_line`), holding the service's default value.

    Without a `raw_line` one is made of the comment, the service's Python type standing in
    for the type hint.
    """
    default = _field(entry, "default_value", (object,), where)
    raw = entry.get("raw_line")
    if isinstance(raw, str) and raw.strip():
        found = [a for a in scan(raw, cell="parameters").assignments if a.name == name]
        if len(found) != 1:
            raise _Shape(f"{where}: raw_line {raw!r} does not assign {name}")
        # nb2workflow sends a non-literal default as its source text; keep it an error
        return found[0] if found[0].value is NOT_LITERAL else replace(found[0], value=default)
    comment = _field(entry, "comment", (str,), where)
    hint = _hint(_python_type_name(entry, where), entry.get("is_optional") is True)
    return Assignment(name, 1, hint, default, None,
                      Fragment.at(comment, 1, 1) if comment else None)


def _hint(python_type: str, optional: bool) -> ast.expr | None:
    """A type hint naming `python_type` (`Optional[...]` when `optional`), if it is a name."""
    try:
        hint = ast.parse(f"Optional[{python_type}]" if optional else python_type, mode="eval")
    except SyntaxError:
        return None
    return hint.body


def _check_class(entry: dict[str, Any], found: str, comment: str, where: str) -> None:
    """Raise `_Shape` when the service's `owl_type` stands for another class than annotated."""
    owl = _field(entry, "owl_type", (str, type(None)), where)
    if owl is None or not looks_like_turtle(comment):
        return  # unannotated: the notebook parser's inference is kept (see module docstring)
    try:
        extra = rdflib.Graph().parse(data=entry.get("extra_ttl") or "", format="turtle")
    except (SyntaxError, ValueError) as exc:
        raise _Shape(f"{where}: extra_ttl is not Turtle ({exc})") from exc
    supers = set(extra.objects(rdflib.URIRef(owl), rdflib.RDFS.subClassOf)) - {_OPTIONAL}
    declared = str(supers.pop()) if len(supers) == 1 else owl
    if declared != found:
        raise _Shape(f"{where}: owl_type {owl} stands for {declared}, but the annotation "
                     f"{comment!r} names {found}")


def _parameter(name: str, entry: dict[str, Any], vocab: Vocabulary,
               position: int) -> FormalParameter:
    where = f"parameter {name}"
    _python_type_name(entry, where)  # checked even when raw_line gives the hint
    optional = _field(entry, "is_optional", (bool,), where)
    p = make_parameter(_assignment(name, entry, where), vocab, position=position)
    _check_class(entry, p.type_iri, p.comment, where)
    return replace(p, optional=True) if optional and not p.optional else p


def _output(name: str, entry: dict[str, Any], vocab: Vocabulary, position: int) -> FormalOutput:
    where = f"output {name}"
    comment = _field(entry, "comment", (str,), where)
    expression = _field(entry, "value", (str, type(None)), where)
    a = Assignment(name, 1, None, None, expression,
                   Fragment.at(comment, 1, 1) if comment else None)
    out = make_output(a, vocab, position=position)
    _check_class(entry, out.type_iri, comment, where)
    return out


def _spec(url: str, target: str, entry: dict[str, Any], about: dict[str, rdflib.term.Node],
          license_iri: str, vocab: Vocabulary) -> WorkflowSpec:
    params = _objects(entry.get("parameters"), f"target {target}: parameters")
    outputs = _objects(entry.get("output"), f"target {target}: output")
    canonical = json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return WorkflowSpec(
        name=target, title=str(about.get("title") or target),
        description=str(about.get("description") or ""),
        parameters=tuple(_parameter(n, e, vocab, i) for i, (n, e) in enumerate(params.items())),
        outputs=tuple(_output(n, e, vocab, i) for i, (n, e) in enumerate(outputs.items())),
        content_hash=digest, version=digest[:12], license=license_iri,
        kind="service", entry=target, service_url=url)


def _license_of(url: str, target: str, given: str | None, about: dict[str, Any]) -> str:
    if given is not None:
        return given
    if "license" in about:
        return license_iri(str(about["license"]), what=f"the licence of {url} ({target})")
    raise MissingLicense(f"the nb2workflow service {url} declares no licence for {target}; pass "
                         "license= (an SPDX id such as 'MIT', or a licence IRI) when registering")


def read_service(url: str, *, license: str | None = None, client: httpx.Client | None = None,
                 timeout: float = 10.0, known_classes: set[str] | None = None,
                 ) -> list[WorkflowSpec]:
    """One `WorkflowSpec` (kind "service") per target of the nb2workflow service at `url`.

    `license` (an SPDX id or an IRI) wins over a licence the service states; without either,
    `MissingLicense`. `known_classes` are the classes annotations may name (default: the
    shipped ontology). `client` is used as given (not closed). Raises `ServiceUrlError`,
    `ServiceUnreachable`, `ServiceProtocolError`, and the notebook parser's errors for the
    annotations (`UnknownTerm`, `AnnotationSyntaxError`, `DefaultOutOfRange`).
    """
    base = normalise_url(url)
    given = None if license is None else license_iri(license)
    if client is None:
        with httpx.Client() as own:
            return read_service(base, license=given, client=own, timeout=timeout,
                                known_classes=known_classes)
    options, signature = _options(client, base, timeout), _signature(client, base, timeout)
    vocab, specs = Vocabulary(known_classes), []
    try:
        targets = _objects(options, "the options answer")
        if not targets:
            raise _Shape("it offers no workflow target")
        for target, entry in targets.items():
            about = _about(signature, target)
            licence = _license_of(base, target, given, about)
            specs.append(_spec(base, target, entry, about, licence, vocab))
    except _Shape as exc:
        raise ServiceProtocolError(base, str(exc)) from exc
    return specs
