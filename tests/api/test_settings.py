"""Settings: flags over environment over TOML file, validated with messages naming the field."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from mmoda.api.settings import Settings


def test_precedence_flags_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "mmoda.toml"
    config.write_text('port = 7000\nsite_id = "geneva"\nquery_timeout = 30\n')
    monkeypatch.setenv("MMODA_CONFIG_FILE", str(config))
    monkeypatch.setenv("MMODA_PORT", "7100")
    s = Settings(query_timeout=5)
    assert (s.port, s.site_id, s.query_timeout) == (7100, "geneva", 5)
    assert s.base_url == "http://127.0.0.1:7100"


def test_invalid_values_name_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError, match="port"):
        Settings(port=70000)
    with pytest.raises(ValidationError, match="base_url"):
        Settings(base_url="ftp://x")
    with pytest.raises(ValidationError, match="unknown_thing"):
        Settings(unknown_thing=1)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="does not exist"):
        Settings(config_file=Path("/nonexistent/mmoda.toml"))


def test_secret_is_generated_once_and_private(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path)
    secret = s.secret()
    path = tmp_path / "jwt-secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Settings(data_dir=tmp_path).secret() == secret
    assert secret not in repr(Settings(data_dir=tmp_path, jwt_secret=secret))


def test_short_secrets_are_refused() -> None:
    with pytest.raises(ValidationError, match="at least 32 characters"):
        Settings(jwt_secret="short")
