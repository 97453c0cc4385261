"""Parameter names as oda-api users know them.

MMODA's dispatcher names the parameters that locate a request by their ontology type,
whatever the notebook calls them: PointOfInterestRA → `RA`, PointOfInterestDEC → `DEC`,
StartTime → `T1`, EndTime → `T2`, AstrophysicalObject → `src_name` (subclasses included);
every other parameter keeps its own name. A name that would clash with one of these or with a
field of the protocol is published with the suffix `_rename`, as the nb2workflow plugin does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence, Set
from dataclasses import dataclass

from mmoda.resolvers.normalise import ParameterSpec

__all__ = ["PROTOCOL_FIELDS", "ROLE_NAMES", "PublicNames", "public_names"]

ODA = "http://odahub.io/ontology#"
ROLE_NAMES: tuple[tuple[str, str], ...] = (
    (ODA + "PointOfInterestRA", "RA"), (ODA + "PointOfInterestDEC", "DEC"),
    (ODA + "StartTime", "T1"), (ODA + "EndTime", "T2"),
    (ODA + "AstrophysicalObject", "src_name"))
TIME_INSTANT = ODA + "TimeInstant"
#: what the client sends besides a product's parameters (never a parameter value)
PROTOCOL_FIELDS = frozenset({
    "instrument", "product_type", "query_type", "off_line", "query_status", "verbose",
    "session_id", "job_id", "api", "oda_api_version", "token", "dry_run", "T_format",
    "async_dispatcher"})


@dataclass(frozen=True)
class PublicNames:
    """The published name of each parameter of one workflow version, and back."""

    by_public: dict[str, str]
    has_time: bool

    def public(self, name: str) -> str:
        """The published name of the parameter `name`."""
        return next(p for p, n in self.by_public.items() if n == name)

    def published(self) -> list[str]:
        """Every name the client may send for this product (`par-names`)."""
        extra = ["T_format"] if self.has_time else []
        return [*self.by_public, *extra, "token"]


def public_names(specs: Sequence[ParameterSpec],
                 superclasses: Callable[[str], Set[str]]) -> PublicNames:
    """The published names of `specs` (see the module docstring)."""
    roles: dict[str, str] = {}
    has_time = False
    for spec in specs:
        types = set(superclasses(spec.type_iri)) | {spec.type_iri}
        has_time = has_time or TIME_INSTANT in types
        role = next((name for cls, name in ROLE_NAMES if cls in types), None)
        if role is not None and role not in roles.values():
            roles[spec.name] = role
    reserved = set(roles.values()) | PROTOCOL_FIELDS
    by_public: dict[str, str] = {}
    for spec in specs:
        name = roles.get(spec.name) or (
            f"{spec.name}_rename" if spec.name in reserved else spec.name)
        by_public[name] = spec.name
    return PublicNames(by_public, has_time)
