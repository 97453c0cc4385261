"""Bearer tokens: HS256 with the site's secret, RS256 from an identity provider whose public
key the site is given, and what is refused."""

from __future__ import annotations

import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from mmoda.api.errors import Unauthorized
from mmoda.api.site import Site, open_site
from support import make_settings, token


def _keypair(tmp_path: Path, name: str) -> tuple[rsa.RSAPrivateKey, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    path = tmp_path / f"{name}.pem"
    path.write_bytes(pem)
    return key, path


def _rs256(key: rsa.RSAPrivateKey, **claims: object) -> str:
    now = int(time.time())
    body = {"sub": "carol", "roles": ["user"], "iss": "mmoda", "exp": now + 600, **claims}
    return jwt.encode(body, key, algorithm="RS256")


@pytest.fixture
def site(tmp_path: Path) -> Site:
    key, path = _keypair(tmp_path, "idp")
    site = open_site(make_settings(None, jwt_public_key=path))
    site.idp_key = key  # type: ignore[attr-defined]
    return site


def test_rs256_tokens_from_the_identity_provider(site: Site) -> None:
    who = site.who(f"Bearer {_rs256(site.idp_key)}")  # type: ignore[attr-defined]
    assert who.subject == "carol" and who.has("user")


def test_hs256_tokens_of_the_site_still_work(site: Site) -> None:
    who = site.who(f"Bearer {token(site, 'admin', subject='root')}")
    assert who.subject == "root" and who.has("admin")


def test_tokens_signed_by_another_key_or_expired_are_refused(site: Site,
                                                              tmp_path: Path) -> None:
    other, _ = _keypair(tmp_path, "other")
    for bad in (_rs256(other), _rs256(site.idp_key, exp=int(time.time()) - 10),  # type: ignore[attr-defined]
                _rs256(site.idp_key, iss="someone-else"),  # type: ignore[attr-defined]
                jwt.encode({"sub": "x", "exp": int(time.time()) + 60, "iss": "mmoda"}, None,
                           algorithm="none")):
        with pytest.raises(Unauthorized):
            site.who(f"Bearer {bad}")


def test_rs256_without_a_configured_key_is_refused(tmp_path: Path) -> None:
    key, _ = _keypair(tmp_path, "idp")
    plain = open_site(make_settings(None))
    with pytest.raises(Unauthorized):
        plain.who(f"Bearer {_rs256(key)}")


def test_a_public_key_setting_must_be_a_pem_file(tmp_path: Path) -> None:
    (tmp_path / "x.pem").write_text("not a key")
    with pytest.raises(ValueError, match="jwt_public_key"):
        make_settings(None, jwt_public_key=tmp_path / "x.pem")


def _dispatcher_token(site: Site, **claims: object) -> str:
    """A token as the MMODA dispatcher issues them: HS256, e-mail subject, roles as text."""
    body = {"sub": "ann@example.org", "email": "ann@example.org", "name": "Ann",
            "roles": "authenticated user, integral-private", "exp": int(time.time()) + 600,
            "msdone": True, "mssub": False, **claims}
    body = {k: v for k, v in body.items() if v is not None}  # None: leave the claim out
    return jwt.encode(body, site.settings.secret(), algorithm="HS256")


def test_tokens_of_the_mmoda_dispatcher_are_understood(site: Site) -> None:
    who = site.who(f"Bearer {_dispatcher_token(site)}")
    assert who.subject == "ann@example.org"
    assert who.roles == {"authenticated user", "integral-private"}
    by_email = _dispatcher_token(site, sub=None)
    assert site.who(f"Bearer {by_email}").subject == "ann@example.org"
    assert site.who(f"Bearer {_dispatcher_token(site, roles=['a', 'b'])}").roles == {"a", "b"}


def test_dispatcher_tokens_without_subject_or_with_a_foreign_issuer_are_refused(
        site: Site) -> None:
    for bad in (_dispatcher_token(site, sub=None, email=None),
                _dispatcher_token(site, iss="elsewhere"), _dispatcher_token(site, roles=5),
                _dispatcher_token(site, exp=None)):
        with pytest.raises(Unauthorized):
            site.who(f"Bearer {bad}")
