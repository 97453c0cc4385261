"""Execution backends behind one executor contract (local, Slurm, Kubernetes, peer site).

- `base`: the contract — `JobSpec`, `Resources`, `JobHandle`, `JobState` (UWS phases),
  `JobStatus` and the abstract `Executor`;
- `errors`: `ExecutorError` and its subclasses;
- `registry`: `executor_classes()` and `create_executor(kind, settings)` over the
  `mmoda.executors` entry points;
- `local`: `LocalExecutor`, the default (subprocesses, bounded pool, recovery after restart).

Nothing is imported here, so `python -m mmoda.executors.<module>` starts fast.
"""
