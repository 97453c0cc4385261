"""Settings of the Kubernetes executor, its API error and the API client they configure."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mmoda.executors.errors import ExecutorConfigError, ExecutorError

__all__ = ["NAME", "KubernetesApiError", "KubernetesSettings", "api_client"]

NAME = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")


class KubernetesApiError(ExecutorError):
    """A failed Kubernetes API call (`status` is the HTTP status, None when unreachable)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


class KubernetesSettings(BaseModel):
    """Settings of the Kubernetes executor."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    namespace: str = Field("default", pattern=f"^{NAME.pattern}$")
    kubeconfig: Path | None = Field(None, description="None: in-cluster, else $KUBECONFIG.")
    context: str | None = None
    image: str = Field("python:3.11-slim", description="Used when the workflow names none.")
    image_pull_policy: Literal["Always", "IfNotPresent", "Never"] | None = None
    service_account: str | None = Field(None, description="None: no API token in the pod.")
    pvc_name: str | None = Field(None, description="RWX claim holding the work directories.")
    pvc_mount_path: Path | None = None
    cpu_request: str | None = None
    memory_request: str | None = None
    cpu_limit: str | None = None
    memory_limit: str | None = None
    gpu_resource: str = "nvidia.com/gpu"
    backoff_limit: int = Field(0, ge=0)
    ttl_seconds_after_finished: int | None = Field(None, ge=0)
    force_ttl: bool = Field(False, description="Set the TTL even on servers older than 1.21.")
    labels: dict[str, str] = Field(default_factory=dict)
    poll_min_interval: float = Field(1.0, ge=0, description="Seconds a listing is reused.")
    split_streams: bool = Field(True, description="Tee stdout/stderr to files (needs sh).")
    propagation: Literal["Foreground", "Background"] = "Foreground"
    request_timeout_s: float = Field(30.0, gt=0)
    watch: bool = Field(False, description="Keep Jobs and pods by list+watch (else list).")
    stage_roots: tuple[Path, ...] | None = None

    @model_validator(mode="after")
    def _volume(self) -> KubernetesSettings:
        if (self.pvc_name is None) != (self.pvc_mount_path is None):
            raise ValueError("pvc_name and pvc_mount_path go together")
        return self


def api_client(settings: KubernetesSettings) -> Any:
    """An ApiClient from the kubeconfig file, else in-cluster config, else $KUBECONFIG."""
    from kubernetes import client, config

    try:
        if settings.kubeconfig is not None:
            return config.new_client_from_config(str(settings.kubeconfig), settings.context)
        if os.environ.get("KUBERNETES_SERVICE_HOST"):
            cfg = client.Configuration()
            config.load_incluster_config(client_configuration=cfg)
            return client.ApiClient(cfg)
        return config.new_client_from_config(os.environ.get("KUBECONFIG"), settings.context)
    except (config.ConfigException, OSError, ValueError, TypeError) as exc:
        raise ExecutorConfigError(f"kubernetes executor: no usable cluster configuration: {exc}",
                                  ["kubeconfig"]) from exc
