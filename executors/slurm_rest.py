"""The slurmrestd transport: JWT headers, the API version found in ``/openapi/v3``.

Known traps of Slurm 22.05's slurmrestd handled here: ``environment`` is required on submit (the
job's whole environment: slurmrestd adds none), ``#SBATCH`` lines in the script are ignored (the
options go in the ``job`` object), ``exit_code`` is a raw wait status (768 = exit 3), asking for
one unknown job id answers HTTP 500 (so `query` lists ``/jobs`` once for all ids) and ``%j``
is not expanded in the paths it reports. The token is read from its source at each request and
never logged; error messages are scrubbed of it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from mmoda.executors.slurm_script import ScriptOptions, SlurmError, SlurmRecord, decode_wait_status

VERSIONS = ("v0.0.38", "v0.0.37", "v0.0.36")  # newest first
_VERSION_PATH = re.compile(r"^/slurm/(v0\.0\.\d+)/")


def _epoch(value: Any) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if isinstance(value, int) and value > 0 else None


class SlurmRest:
    """Talks to slurmrestd for the executor (see the module docstring)."""

    def __init__(self, url: str, user: str, token: Callable[[], str], *,
                 version: str | None = None, timeout: float = 30.0, verify: bool = True,
                 environment: Mapping[str, str] | None = None,
                 job_fields: Mapping[str, Any] | None = None) -> None:
        self._token = token
        self.user, self.version = user, version
        self.environment = dict(environment or {})
        self.job_fields = dict(job_fields or {})
        self.client = httpx.Client(base_url=url.rstrip("/"), timeout=timeout, verify=verify)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One authenticated request; transport failures become a token-free `SlurmError`."""
        token = self._token()
        headers = {"X-SLURM-USER-NAME": self.user, "X-SLURM-USER-TOKEN": token}
        try:
            return self.client.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise SlurmError(_scrub(f"slurmrestd {method} {path}: {type(exc).__name__}: "
                                    f"{exc}", token)) from exc

    def api(self) -> str:
        """The API prefix, e.g. ``/slurm/v0.0.38``: the newest the server offers (asked once)."""
        if self.version is None:
            response = self.request("GET", "/openapi/v3")
            self._check(response, "GET /openapi/v3")
            found = {m.group(1) for p in response.json().get("paths", {})
                     if (m := _VERSION_PATH.match(p))}
            usable = [v for v in VERSIONS if v in found]
            if not usable:
                raise SlurmError(f"slurmrestd offers none of {', '.join(VERSIONS)} "
                                 f"(it has {', '.join(sorted(found)) or 'none'})")
            self.version = usable[0]
        return f"/slurm/{self.version}"

    def submit(self, script: str, options: ScriptOptions) -> str:
        """POST the script with the options as the ``job`` object."""
        job = {**_job_object(options), "environment": self.environment, **self.job_fields}
        response = self.request("POST", f"{self.api()}/job/submit",
                                json={"script": script, "job": job})
        data = self._check(response, "job submit")
        if not data.get("job_id"):
            raise SlurmError(f"slurmrestd accepted no job: {_errors(data)}")
        return str(data["job_id"])

    def query(self, job_ids: Sequence[str]) -> dict[str, SlurmRecord]:
        """Every job slurmrestd still knows among `job_ids` (one GET of ``/jobs``)."""
        data = self._check(self.request("GET", f"{self.api()}/jobs"), "GET jobs")
        wanted, records = set(job_ids), {}
        for job in data.get("jobs", []):
            job_id = str(job.get("job_id"))
            if job_id in wanted:
                raw = job.get("exit_code")
                records[job_id] = SlurmRecord(
                    job_id, str(job.get("job_state", "UNKNOWN")), str(job.get("state_reason", "")),
                    decode_wait_status(raw) if isinstance(raw, int) else None,
                    _epoch(job.get("start_time")), _epoch(job.get("end_time")))
        return records

    def cancel(self, job_id: str) -> None:
        """DELETE the job; one that ended (or that Slurm forgot: HTTP 500) is left alone."""
        response = self.request("DELETE", f"{self.api()}/job/{job_id}")
        if response.status_code not in (200, 500):
            self._check(response, f"cancel {job_id}")

    def close(self) -> None:
        """Close the HTTP client."""
        self.client.close()

    def _check(self, response: httpx.Response, what: str) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            data = {}
        if response.status_code >= 400 or not isinstance(data, dict):
            raise SlurmError(_scrub(f"slurmrestd {what}: HTTP {response.status_code} "
                                    f"{_errors(data)}", self._token()))
        return data


def _job_object(options: ScriptOptions) -> dict[str, Any]:
    """The options as slurmrestd ``job`` properties (memory in MB, time in minutes)."""
    job: dict[str, Any] = {
        "name": options.name, "current_working_directory": str(options.workdir),
        "standard_output": str(options.stdout), "standard_error": str(options.stderr),
        "cpus_per_task": options.cpus, "memory_per_node": options.memory_mb,
        "time_limit": options.time_minutes, "partition": options.partition,
        "account": options.account, "qos": options.qos,
        "gres": f"gpu:{options.gpus}" if options.gpus else None}
    return {k: v for k, v in job.items() if v is not None}


def _errors(data: Any) -> str:
    errors = data.get("errors", []) if isinstance(data, dict) else []
    return "; ".join(str(e.get("description") or e.get("error") or e) for e in errors
                     if isinstance(e, dict))[:500]


def _scrub(text: str, token: str) -> str:
    return text.replace(token, "<token>") if token else text


def environment(names: Sequence[str]) -> dict[str, str]:
    """The service's variables among `names` (what a REST-submitted job starts with)."""
    return {k: os.environ[k] for k in names if k in os.environ}
