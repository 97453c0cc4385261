"""The identity of a request: one hash for every way of writing the same computation.

Canonicalisation (documented in docs/architecture.md, property-tested in
tests/resolvers/test_resolvers_identity.py):

1. The workflow IRI and the workflow *version* IRI the request resolves to (the current version
   when the request names none), as given in the catalog.
2. Every formal parameter of that version, defaults filled in for the ones left out, each
   normalised by `mmoda.resolvers.normalise` to its canonical RDF literal: a number in the
   parameter's declared unit (``0.02 MeV`` → ``20.0`` for a keV parameter), an angle in degrees
   (``05h34m31.9s`` → ``83.63291666666``), an instant in the parameter's declared format
   (ISO UTC with milliseconds, or MJD), a boolean as ``true``/``false``, JSON with sorted keys.
   Each parameter contributes ``[name, lexical form, datatype IRI]``.
3. The parameters sorted by name, the whole as JSON (sorted keys, no spaces, UTF-8) and hashed
   with SHA-256; the identity is the hex digest.

So the order of parameters, their notation, and leaving out a default never change the identity;
a different version of the workflow always does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from mmoda.resolvers.scalars import CanonicalValue

__all__ = ["canonical_document", "identity"]


def canonical_document(workflow: str, version: str,
                       parameters: Mapping[str, CanonicalValue]) -> str:
    """The text that is hashed: workflow, version and sorted canonical parameters as JSON."""
    items = [[name, parameters[name].lexical, parameters[name].datatype]
             for name in sorted(parameters)]
    doc = {"parameters": items, "version": version, "workflow": workflow}
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def identity(workflow: str, version: str, parameters: Mapping[str, CanonicalValue]) -> str:
    """The request identity: SHA-256 (hex) of `canonical_document`."""
    text = canonical_document(workflow, version, parameters)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
