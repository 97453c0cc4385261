"""Bearer-token authentication: HS256 JWTs carrying a list of roles."""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt

from mmoda.api.errors import Forbidden, Unauthorized

ROLES = ("admin", "user", "contributor", "job-manager", "site")


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's subject and its roles (anonymous: no roles)."""

    subject: str | None
    roles: frozenset[str]

    def has(self, role: str) -> bool:
        """True when the caller holds `role` (admins hold every role)."""
        return role in self.roles or "admin" in self.roles


ANONYMOUS = Principal(None, frozenset())


def mint(secret: str, *, subject: str, roles: list[str], issuer: str, ttl: float) -> str:
    """A signed token for `subject` with `roles`, valid for `ttl` seconds."""
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise ValueError(f"unknown role(s): {', '.join(unknown)}; known: {', '.join(ROLES)}")
    now = int(time.time())
    claims = {"sub": subject, "roles": roles, "iss": issuer, "iat": now, "exp": now + int(ttl)}
    return jwt.encode(claims, secret, algorithm="HS256")


def principal(authorization: str | None, secret: str, *, issuer: str,
              public_key: str | None = None) -> Principal:
    """The caller named by an `Authorization` header value; anonymous when there is none.

    Tokens are HS256 (signed with the site's secret) or, when `public_key` (PEM) is given,
    RS256 (signed by an identity provider holding the private key).
    """
    if not authorization:
        return ANONYMOUS
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authorization must be 'Bearer <token>'")
    try:
        algorithm = jwt.get_unverified_header(token.strip()).get("alg")
        key = public_key if algorithm == "RS256" and public_key else secret
        claims = jwt.decode(
            token.strip(), key, algorithms=["RS256"] if key is public_key else ["HS256"],
            issuer=issuer, options={"require": ["exp", "sub"]},
        )
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"invalid bearer token: {exc}") from exc
    roles = claims.get("roles", [])
    if not isinstance(roles, list):
        raise Unauthorized("invalid bearer token: 'roles' must be a list")
    return Principal(str(claims["sub"]), frozenset(str(r) for r in roles))


def require(who: Principal, role: str) -> None:
    """Raise unless `who` holds `role`: 401 when anonymous, 403 when lacking the role."""
    if who.has(role):
        return
    if who.subject is None:
        raise Unauthorized(f"this operation needs a bearer token with role '{role}'")
    raise Forbidden(f"role '{role}' is required; the token has {sorted(who.roles) or 'none'}")
