"""The catalog as the oda-api client sees it: instruments (a workflow's instrument label),
their products (its product label) and who may see them (`mmoda:allowedRole`)."""

from __future__ import annotations

from dataclasses import dataclass

from mmoda.dispatcher.errors import Forbidden, NotUnderstood
from mmoda.kg.rdfio import value
from mmoda.kg.store import KnowledgeGraph
from mmoda.runs.service import Caller

__all__ = ["Product", "find", "instruments", "products"]


@dataclass(frozen=True)
class Product:
    """One workflow published as `instrument` + `product`."""

    workflow: str
    instrument: str
    product: str
    version: str
    title: str
    roles: frozenset[str]

    def open_to(self, caller: Caller) -> bool:
        """Whether `caller` may see and ask for it (no role restriction, or a role held)."""
        return not self.roles or caller.admin or bool(self.roles & caller.roles)


def products(kg: KnowledgeGraph) -> tuple[Product, ...]:
    """Every published product (memoised until the catalog changes)."""
    return kg.memo(("dispatcher-products",), lambda: tuple(_read(kg)))


def _read(kg: KnowledgeGraph) -> list[Product]:
    out = []
    for row in kg.select("dispatcher/products"):
        roles = value(row["roles"]) if "roles" in row else ""
        out.append(Product(value(row["workflow"]), value(row["instrument"]),
                           value(row["product"]), value(row["version"]), value(row["title"]),
                           frozenset(r for r in roles.split("\n") if r)))
    return out


def instruments(kg: KnowledgeGraph, caller: Caller) -> list[str]:
    """The instruments with at least one product `caller` may use, sorted."""
    return sorted({p.instrument for p in products(kg) if p.open_to(caller)})


def of_instrument(kg: KnowledgeGraph, instrument: str, caller: Caller | None) -> list[Product]:
    """The products of `instrument` (those `caller` may use, when a caller is given);
    `NotUnderstood` for an unknown instrument, `Forbidden` when none is open to the caller."""
    found = [p for p in products(kg) if p.instrument == instrument]
    if not found:
        known = ", ".join(sorted({p.instrument for p in products(kg)})) or "none"
        raise NotUnderstood(f"instrument {instrument!r} is not known on this site "
                            f"(instruments: {known})", field="instrument")
    if caller is None:
        return found
    allowed = [p for p in found if p.open_to(caller)]
    if not allowed:
        raise Forbidden(_forbidden(instrument, found[0].roles, caller), field="instrument")
    return allowed


def find(kg: KnowledgeGraph, instrument: str, product: str, caller: Caller | None) -> Product:
    """The product `product` of `instrument`; errors name the field at fault."""
    found = of_instrument(kg, instrument, None)
    match = next((p for p in found if p.product == product), None)
    if match is None:
        names = ", ".join(sorted(p.product for p in found))
        raise NotUnderstood(f"instrument {instrument!r} has no product {product!r} "
                            f"(products: {names})", field="product_type")
    if caller is not None and not match.open_to(caller):
        raise Forbidden(_forbidden(instrument, match.roles, caller), field="instrument")
    return match


def _forbidden(instrument: str, roles: frozenset[str], caller: Caller) -> str:
    needed = ", ".join(sorted(roles))
    if caller.subject is None:
        return (f"instrument {instrument!r} is restricted to users with one of the roles "
                f"{needed}: pass your token (get_product(..., token=...))")
    return (f"your token does not allow instrument {instrument!r}: it needs one of the roles "
            f"{needed}; your roles are {', '.join(sorted(caller.roles)) or 'none'}")
