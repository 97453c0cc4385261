"""Bearer-token authentication: HS256 (or RS256) JWTs carrying roles."""

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
    return from_token(token.strip(), secret, issuer=issuer, public_key=public_key)


def from_token(token: str, secret: str, *, issuer: str,
               public_key: str | None = None) -> Principal:
    """The caller a bare JWT names. Besides MMODA's own tokens this accepts those of the
    MMODA dispatcher (oda-api users' tokens): subject in `sub` or `email`, roles a list or a
    comma-separated string, no `iss` (one that is present must be this site's)."""
    try:
        algorithm = jwt.get_unverified_header(token).get("alg")
        key = public_key if algorithm == "RS256" and public_key else secret
        claims = jwt.decode(token, key, algorithms=["RS256"] if key is public_key else ["HS256"],
                            options={"require": ["exp"], "verify_iss": False})
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"invalid bearer token: {exc}") from exc
    if "iss" in claims and claims["iss"] != issuer:
        raise Unauthorized("invalid bearer token: Invalid issuer")
    subject = claims.get("sub") or claims.get("email")
    if not isinstance(subject, str) or not subject:
        raise Unauthorized('invalid bearer token: Token is missing the "sub" claim')
    return Principal(subject, _roles(claims.get("roles", [])))


def _roles(roles: object) -> frozenset[str]:
    if isinstance(roles, str):
        return frozenset(r.strip() for r in roles.split(",") if r.strip())
    if not isinstance(roles, list):
        raise Unauthorized("invalid bearer token: 'roles' must be a list or a comma-separated "
                           "string")
    return frozenset(str(r) for r in roles)


def require(who: Principal, role: str) -> None:
    """Raise unless `who` holds `role`: 401 when anonymous, 403 when lacking the role."""
    if who.has(role):
        return
    if who.subject is None:
        raise Unauthorized(f"this operation needs a bearer token with role '{role}'")
    raise Forbidden(f"role '{role}' is required; the token has {sorted(who.roles) or 'none'}")
