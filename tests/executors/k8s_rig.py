"""The Kubernetes test rig (deploy/rigs/k8s-up.sh): where it is, whether it answers, namespaces.

The rig is a real kube-apiserver 1.20 and job controller with `pkubelet.py`, which runs each
pod's command as a local process, so pods share this machine's files (no volume needed).
Without the rig the tests skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

RIG_KUBECONFIG = Path(os.environ.get("MMODA_K8S_RIG_KUBECONFIG", "/var/tmp/k8s-rig/kubeconfig"))


def unavailable(reason: str) -> None:
    """Skip (fail under CI=true) for want of the rig."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the rig is required)", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def rig_api() -> Any:
    """An ApiClient on the rig, after checking that its apiserver answers."""
    if not RIG_KUBECONFIG.exists():
        unavailable(f"no Kubernetes rig: {RIG_KUBECONFIG} is absent "
                    "(start it with `bash deploy/rigs/k8s-up.sh`)")
    try:
        from kubernetes import client, config

        api = config.new_client_from_config(str(RIG_KUBECONFIG))
        client.VersionApi(api).get_code(_request_timeout=5)
    except Exception as exc:  # any failure means: no usable rig
        unavailable(f"the Kubernetes rig's apiserver does not answer: {exc!r}")
    return api


def create_namespace(api: Any, prefix: str, pods: int | None = None) -> str:
    """A fresh namespace; with `pods`, a ResourceQuota allowing that many pods at once.

    The rig runs no resourcequota controller, so the quota's status is set here (the quota
    admission plugin counts from it).
    """
    from kubernetes import client

    core = client.CoreV1Api(api)
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    core.create_namespace({"metadata": {"name": name}})
    if pods is not None:
        hard = {"pods": str(pods)}
        core.create_namespaced_resource_quota(name, {"metadata": {"name": "slots"},
                                                     "spec": {"hard": hard}})
        core.replace_namespaced_resource_quota_status("slots", name, {
            "metadata": {"name": "slots"}, "spec": {"hard": hard},
            "status": {"hard": hard, "used": {"pods": "0"}}})
        time.sleep(1.0)  # let the apiserver's quota admission see the quota with its status
    return name


def delete_namespace(api: Any, name: str) -> None:
    """Delete the namespace and everything in it (its pods' processes are killed)."""
    from kubernetes import client

    client.CoreV1Api(api).delete_namespace(name, propagation_policy="Background")


def eventually(check: Callable[[], bool], timeout: float = 20.0) -> None:
    """Wait for `check()` to hold."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)
