"""KubernetesExecutor: the shared contract against the rig, then what is particular to it.

The rig (deploy/rigs/k8s-up.sh) runs pods as local processes, so `python` is this interpreter
and the work directories are shared without a volume. Each module run uses fresh namespaces.
Tests marked `real_cluster` need `KUBECONFIG` naming a real cluster (not the rig): images and
OOM kills, which the rig cannot do; they skip otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from contract import AWAIT_FILE, SLEEP, ExecutorContract
from k8s_rig import (
    RIG_KUBECONFIG,
    create_namespace,
    delete_namespace,
    eventually,
    rig_api,
    unavailable,
)

from mmoda.executors.base import Executor, JobHandle, JobSpec, JobState
from mmoda.executors.errors import ExecutorConfigError, SubmitError
from mmoda.executors.kubernetes import KubernetesExecutor
from mmoda.executors.kubernetes_manifest import SELECTOR, job_body, job_name, resources
from mmoda.executors.kubernetes_watch import ListWatch

try:
    import kubernetes  # noqa: F401 - the client the executor needs
except ImportError:
    unavailable("the kubernetes client is not installed (pip install kubernetes)")


@pytest.fixture(scope="module")
def api() -> Any:
    return rig_api()


@pytest.fixture(scope="module")
def namespace(api: Any) -> Iterator[str]:
    name = create_namespace(api, "mmoda-test")
    yield name
    delete_namespace(api, name)


def _gone(api: Any, namespace: str, name: str) -> bool:
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    try:
        client.BatchV1Api(api).read_namespaced_job(name, namespace)
    except ApiException as exc:
        return exc.status == 404
    return False


def _delete_job(api: Any, handle: JobHandle, policy: str = "Foreground") -> None:
    from kubernetes import client

    namespace, name = handle.job_id.split("/")
    client.BatchV1Api(api).delete_namespaced_job(name, namespace, propagation_policy=policy)


class TestKubernetesExecutor(ExecutorContract):
    @pytest.fixture
    def make(self, namespace: str) -> Callable[..., KubernetesExecutor]:
        def make(**settings: Any) -> KubernetesExecutor:
            defaults = {"kubeconfig": RIG_KUBECONFIG, "namespace": namespace,
                        "poll_min_interval": 0.1}
            return KubernetesExecutor({**defaults, **settings})

        return make

    @pytest.fixture
    def executor(self, make: Callable[..., KubernetesExecutor]) -> Executor:
        return make()

    @pytest.fixture
    def new_executor(self, make: Callable[..., KubernetesExecutor]) -> Callable[[], Executor]:
        return make

    @pytest.fixture
    def one_slot_executor(self, api: Any) -> Iterator[Executor]:
        """Kubernetes has no per-executor slot count: a namespace whose quota allows one pod.

        The second Job's pod is refused by the quota, so that Job waits (QUEUED) with no pod.
        """
        name = create_namespace(api, "mmoda-one-slot", pods=1)
        yield KubernetesExecutor({"kubeconfig": RIG_KUBECONFIG, "namespace": name,
                                  "poll_min_interval": 0.1})
        delete_namespace(api, name)

    def test_logs_readable_after_the_job_is_deleted(
        self, make: Callable[..., KubernetesExecutor], api: Any, tmp_path: Path
    ) -> None:
        code = "import sys\nprint('to stdout')\nprint('to stderr', file=sys.stderr)"
        for split in (False, True):
            executor = make(split_streams=split)
            spec = self.spec(tmp_path, f"kept-{split}".lower(), code)
            handle = executor.submit(spec)
            assert self.finish(executor, handle)[handle].state is JobState.COMPLETED
            merged = (spec.workdir / "pod.log").read_text()  # saved when the job ended
            assert "to stdout" in merged and "to stderr" in merged  # split: not line-exact
            _delete_job(api, handle)
            eventually(lambda h=handle: _gone(api, *h.job_id.split("/")))
            if split:
                assert executor.logs(handle) == "to stdout\n"
                assert executor.logs(handle, stream="stderr") == "to stderr\n"
            else:  # Kubernetes merges the streams: all of it is stdout
                assert merged == "to stdout\nto stderr\n"
                assert executor.logs(handle) == merged
                assert executor.logs(handle, tail=1) == merged.splitlines(keepends=True)[-1]
                assert executor.logs(handle, stream="stderr") == ""
            assert executor.poll([handle])[handle].state is JobState.COMPLETED

    def test_deadline_is_a_time_limit(self, executor: Executor, tmp_path: Path) -> None:
        spec = self.spec(tmp_path, "deadline", SLEEP, resources={"walltime_s": 1})
        status = self.finish(executor, h := executor.submit(spec))[h]
        assert status.state is JobState.ERROR
        assert "timed out after 1 s" in status.message and "time limit" in status.message

    def test_job_deleted_from_outside(
        self, make: Callable[..., KubernetesExecutor], api: Any, tmp_path: Path
    ) -> None:
        executor = make()
        spec = self.spec(tmp_path, "deleted", SLEEP)
        handle = executor.submit(spec)
        self.started(spec)
        _delete_job(api, handle, "Background")
        status = self.finish(executor, handle)[handle]
        assert status.state is JobState.ERROR and "no longer exists" in status.message
        recovered = make().recover([handle])[handle]
        assert recovered.state is JobState.UNKNOWN and "deleted" in recovered.message

    def test_one_list_call_for_many_jobs(
        self, make: Callable[..., KubernetesExecutor], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        executor = make(poll_min_interval=30)
        go = tmp_path / "go"
        specs = [self.spec(tmp_path, f"many-{i}", AWAIT_FILE, str(go)) for i in range(5)]
        handles = [executor.submit(s) for s in specs]
        for spec in specs:
            self.started(spec)
        calls: list[str] = []
        for api_object in (executor._batch, executor._core):
            for name in dir(api_object):
                method = getattr(api_object, name)
                if callable(method) and not name.startswith("_") and name != "api_client":
                    monkeypatch.setattr(api_object, name, lambda *a, _m=method, _n=name, **k: (
                        calls.append(_n), _m(*a, **k))[1])
        statuses = executor.poll(handles)
        assert {s.state for s in statuses.values()} == {JobState.EXECUTING}
        assert executor.poll(handles) == statuses  # the listing is reused within the interval
        assert calls == ["list_namespaced_job", "list_namespaced_pod"]
        go.touch()
        monkeypatch.undo()
        executor.settings = executor.settings.model_copy(update={"poll_min_interval": 0.1})
        statuses = self.finish(executor, *handles)
        assert all(s.state is JobState.COMPLETED for s in statuses.values())

    def test_ttl_after_finished(
        self, make: Callable[..., KubernetesExecutor], api: Any, tmp_path: Path
    ) -> None:
        executor = make(ttl_seconds_after_finished=0)
        assert executor.server_version() == (1, 20)
        plain = executor.submit(self.spec(tmp_path, "no-ttl", "pass"))
        self.finish(executor, plain)
        assert not _gone(api, *plain.job_id.split("/"))  # 1.20: the TTL was not set
        forced = make(ttl_seconds_after_finished=0, force_ttl=True, poll_min_interval=5)
        handle = forced.submit(self.spec(tmp_path, "ttl", "print('short-lived')"))
        eventually(lambda: _gone(api, *handle.job_id.split("/")))
        status = forced.poll([handle])[handle]
        assert status.state is JobState.COMPLETED and "no longer exists" in status.message
        assert forced.logs(handle) == "short-lived\n"

    def test_refusals(self, executor: Executor, make: Callable[..., KubernetesExecutor],
                      tmp_path: Path) -> None:
        spec = self.spec(tmp_path, "twice", "pass")
        self.finish(executor, executor.submit(spec))
        with pytest.raises(SubmitError, match="submitted before"):
            executor.submit(spec)
        outside = make(pvc_name="work", pvc_mount_path="/srv/mmoda")
        with pytest.raises(SubmitError, match="not under the volume"):
            outside.submit(self.spec(tmp_path, "outside", "pass"))

    def test_kubeconfig_from_the_environment(
        self, namespace: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
        monkeypatch.setenv("KUBECONFIG", str(RIG_KUBECONFIG))
        executor = KubernetesExecutor({"namespace": namespace})
        status = self.finish(executor, h := executor.submit(self.spec(tmp_path, "env", "pass")))
        assert status[h].state is JobState.COMPLETED


class TestKubernetesWatching(ExecutorContract):
    """The contract again with `watch=True`: polls read the list+watch cache."""

    @pytest.fixture
    def make(self, namespace: str) -> Iterator[Callable[..., KubernetesExecutor]]:
        made: list[KubernetesExecutor] = []

        def make(namespace: str = namespace) -> KubernetesExecutor:
            made.append(KubernetesExecutor({"kubeconfig": RIG_KUBECONFIG, "watch": True,
                                            "namespace": namespace}))
            return made[-1]

        yield make
        for executor in made:
            executor.close()

    @pytest.fixture
    def executor(self, make: Callable[..., KubernetesExecutor]) -> Executor:
        return make()

    @pytest.fixture
    def new_executor(self, make: Callable[..., KubernetesExecutor]) -> Callable[[], Executor]:
        return make

    @pytest.fixture
    def one_slot_executor(
        self, api: Any, make: Callable[..., KubernetesExecutor]
    ) -> Iterator[Executor]:
        name = create_namespace(api, "mmoda-one-slot", pods=1)
        yield make(name)
        delete_namespace(api, name)

    def test_polls_read_the_watch(self, executor: Executor, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
        assert isinstance(executor, KubernetesExecutor)
        handle = executor.submit(self.spec(tmp_path, "watched", "pass"))
        self.finish(executor, handle)
        running = executor.submit(self.spec(tmp_path, "watched-2", SLEEP))
        eventually(lambda: executor.poll([running])[running].state is JobState.EXECUTING)
        calls: list[str] = []
        monkeypatch.setattr(executor, "_call", lambda *a, **k: calls.append("api"))
        for _ in range(5):  # answered from the watch: no API call
            statuses = executor.poll([handle, running])
        assert calls == [] and statuses[handle].state is JobState.COMPLETED
        assert statuses[running].state is JobState.EXECUTING
        monkeypatch.undo()
        executor.cancel(running)

    def test_watch_relists_on_410_gone(self, api: Any, namespace: str) -> None:
        from kubernetes import client

        class Stale(ListWatch):
            def relist(self) -> str:
                version = super().relist()
                return "1" if self.relists == 1 else version  # long compacted away: 410

        watch = Stale(client.BatchV1Api(api).list_namespaced_job, namespace, SELECTOR,
                      timeout_s=5)
        eventually(lambda: watch.relists >= 2 and watch.snapshot() is not None)
        watch.stop()


def test_in_cluster_config_needs_the_service_account(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    with pytest.raises(ExecutorConfigError, match="no usable cluster configuration"):
        KubernetesExecutor({})  # no token file at /var/run/secrets/kubernetes.io/...


@pytest.mark.parametrize("settings, field", [
    ({"pvc_name": "work"}, "pvc_name and pvc_mount_path"),
    ({"backoff_limit": -1}, "backoff_limit"),
    ({"namespace": "Not_A_Name"}, "namespace"),
])
def test_invalid_settings(settings: dict[str, Any], field: str) -> None:
    with pytest.raises(ExecutorConfigError, match=field):
        KubernetesExecutor(settings)


def test_job_body() -> None:
    spec = JobSpec(run_id="Run_" + "x" * 120, command=["python", "-m", "mmoda.executors.runner",
                   "/w/job"], workdir=Path("/w/job"), environment={"A": "1"}, timeout_s=0.5,
                   resources={"cpus": 2, "memory_mb": 512, "extra": {"image": "img:1"}})
    name = job_name(spec)
    assert len(name) <= 63 and name.startswith("mmoda-run-xxx") and name == job_name(spec)
    assert job_name(spec.model_copy(update={"workdir": Path("/w/other")})) != name
    res = resources(spec, {"cpu_limit": "4", "memory_limit": "1Gi"})
    assert res == {"requests": {"cpu": "2000m", "memory": "512Mi"},
                   "limits": {"memory": "512Mi", "cpu": "4"}}
    body = job_body(spec, name=name, container={"image": "img:1"}, pod={}, labels={"x": "y"},
                    split=False, ttl=None, backoff_limit=0)
    job = body["spec"]
    assert job["activeDeadlineSeconds"] == 1 and "ttlSecondsAfterFinished" not in job
    ctr = job["template"]["spec"]["containers"][0]
    assert ctr["command"] == spec.command and ctr["workingDir"] == "/w/job"
    assert ctr["env"] == [{"name": "A", "value": "1"}]
    labels = body["metadata"]["labels"]
    assert labels["app.kubernetes.io/managed-by"] == "mmoda" and labels["x"] == "y"
    assert len(labels["mmoda.run-id"]) <= 63


def _real_cluster() -> str:
    kubeconfig = os.environ.get("KUBECONFIG", "")
    if not kubeconfig or Path(kubeconfig).resolve() == RIG_KUBECONFIG.resolve():
        pytest.skip("needs KUBECONFIG naming a real cluster (not the rig): images, OOM kills")
    return os.environ.get("MMODA_K8S_TEST_NAMESPACE", "default")


def test_real_cluster_image_and_oom(tmp_path: Path) -> None:
    namespace = _real_cluster()
    executor = KubernetesExecutor({"namespace": namespace, "poll_min_interval": 0.5})
    version = JobSpec(run_id=f"img-{os.getpid()}", workdir=tmp_path / "img",
                      command=["python", "-c", "import sys; print(sys.version_info[:2])"],
                      resources={"extra": {"image": "python:3.12-slim"}})
    greedy = JobSpec(run_id=f"oom-{os.getpid()}", workdir=tmp_path / "oom",
                     command=["python", "-c", "x = bytearray(2 * 1024**3); print(len(x))"],
                     resources={"memory_mb": 64, "extra": {"image": "python:3.12-slim"}})
    handles = [executor.submit(version), executor.submit(greedy)]
    statuses = executor.wait(handles, timeout=300)
    assert statuses[handles[0]].state is JobState.COMPLETED, statuses
    assert "(3, 12)" in executor.logs(handles[0])
    oom = statuses[handles[1]]
    assert oom.state is JobState.ERROR and oom.exit_code == 137, oom
    assert "out of memory" in oom.message
    for handle in handles:
        executor.cancel(handle)

