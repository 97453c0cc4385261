"""The one typed settings object of a site, validated at start-up and passed in."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

_SECRET_FILE = "jwt-secret"


class Settings(BaseSettings):
    """Site settings from flags, `MMODA_*` environment variables or a TOML config file.

    Precedence: explicit keyword arguments (CLI flags) > environment > config file > defaults.
    """

    model_config = SettingsConfigDict(env_prefix="MMODA_", extra="forbid", validate_default=True)

    config_file: Path | None = Field(None, description="TOML file with any of these settings.")
    host: str = Field("127.0.0.1", description="Interface the HTTP server binds to.")
    port: int = Field(8000, ge=0, le=65535, description="TCP port of the HTTP server.")
    base_url: str = Field("", description="Public base URL; node IRIs are minted under it.")
    data_dir: Path | None = Field(
        Path("./mmoda-data"), description="Directory of the on-disk store; none = in memory."
    )
    in_memory: bool = Field(False, description="Keep the store in memory (tests, demos).")
    source_dir: Path | None = Field(
        None, description="Where registered workflow code is kept (uploads, git clones); "
        "default <data_dir>/workflow-sources, or a temporary directory for an in-memory store."
    )
    site_id: str = Field("local", pattern=r"^[A-Za-z0-9._-]{1,64}$", description="This site's id.")
    load_example_catalog: bool = Field(True, description="Load the bundled catalog on first start.")
    jwt_secret: SecretStr | None = Field(
        None, description="HS256 secret for bearer tokens; generated into the data dir if unset."
    )
    jwt_issuer: str = Field("mmoda", description="`iss` claim of minted tokens.")
    query_timeout: float = Field(10.0, gt=0, le=3600, description="SPARQL query time limit (s).")
    max_result_bytes: int = Field(
        50_000_000, gt=0, description="Largest serialised SPARQL result answered."
    )
    max_runaway_queries: int = Field(
        2, ge=1, le=64, description="Timed-out queries still running before new ones get 503."
    )
    max_body_bytes: int = Field(10_000_000, gt=0, description="Largest accepted request body.")
    page_size: int = Field(50, ge=1, le=1000, description="Default collection page size.")
    executors: dict[str, dict[str, Any]] = Field(
        default_factory=lambda: {"local": {"kind": "local", "max_jobs": 2}},
        description="Executors of this site by id (the node {base}/executors/{id}): 'kind' "
        "(an entry point of group mmoda.executors) and that executor's own settings.")
    jobs_dir: Path | None = Field(
        None, description="Job directories (shared storage for batch executors); default "
        "<data_dir>/jobs, or a temporary directory for an in-memory store.")
    results_dir: Path | None = Field(
        None, description="The result store (files of results); default <data_dir>/results, "
        "or a temporary directory for an in-memory store.")
    run_roles: list[str] = Field(["user"], description="Token roles allowed to run workflows "
                                 "(a workflow's mmoda:allowedRole overrides; admins always may).")
    anonymous_runs: bool = Field(False, description="Allow runs without a token (open instance).")
    run_timeout: float = Field(3600.0, gt=0, description="Time limit (s) of runs of workflows "
                               "that declare no walltime.")
    poll_interval: float = Field(0.5, gt=0, le=60, description="Seconds between job polls.")
    dispatcher_wait: float = Field(
        5.0, ge=0, le=60, description="Seconds an oda-api `/run_analysis` call waits for its "
        "run to end before answering (short runs answer `done` at once).")
    jwt_public_key: Path | None = Field(
        None, description="PEM file of an RS256 public key: tokens signed with its private key "
        "are accepted too (an external identity provider).")
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config = _config_file_from(init_settings, env_settings)
        if config is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config))
        return tuple(sources)

    @field_validator("jwt_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters (HS256 wants a 256-bit key)")
        return value

    @field_validator("executors")
    @classmethod
    def _executor_ids(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        for ident, conf in value.items():
            if not ident or not ident.replace("-", "").replace("_", "").isalnum():
                raise ValueError(f"executor id {ident!r} must be letters, digits, - and _")
            if not isinstance(conf.get("kind"), str):
                raise ValueError(f"executor {ident!r} needs a 'kind' (e.g. 'local')")
        return value

    @field_validator("jwt_public_key")
    @classmethod
    def _pem(cls, value: Path | None) -> Path | None:
        if value is not None and (not value.is_file() or b"PUBLIC KEY" not in value.read_bytes()):
            raise ValueError(f"{value} is not a PEM public key file")
        return value

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _defaults(self) -> Settings:
        if not self.base_url:
            shown = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
            self.base_url = f"http://{shown}:{self.port}"
        if self.in_memory:
            self.data_dir = None
        return self

    def secret(self) -> str:
        """The JWT secret: configured, else kept in `<data_dir>/jwt-secret` (mode 600)."""
        if self.jwt_secret is not None:
            return self.jwt_secret.get_secret_value()
        if self.data_dir is None:
            self.jwt_secret = SecretStr(secrets.token_urlsafe(32))
            return self.jwt_secret.get_secret_value()
        path = self.data_dir / _SECRET_FILE
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(32))
        self.jwt_secret = SecretStr(path.read_text().strip())
        return self.jwt_secret.get_secret_value()


def _config_file_from(*sources: PydanticBaseSettingsSource) -> Path | None:
    for source in sources:
        value: Any = source().get("config_file")
        if value:
            path = Path(value)
            if not path.is_file():
                raise ValueError(f"config_file: {path} does not exist")
            return path
    return None
