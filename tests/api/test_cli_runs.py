"""`mmoda runs script RUN` prints the batch script a Slurm run was submitted with."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from mmoda.api.cli import main
from mmoda.executors.base import JobSpec
from mmoda.executors.slurm_settings import batch_script


def test_the_batch_script_of_a_run_is_printed(tmp_path: Path) -> None:
    run_id = "0123abcd"
    spec = JobSpec(run_id=run_id, command=["python", "-m", "mmoda.executors.runner", "x y"],
                   workdir=tmp_path / "data" / "jobs" / run_id)
    text = batch_script(spec, {"partition": "batch"})
    spec.workdir.mkdir(parents=True)
    (spec.workdir / "job.sbatch").write_text(text, encoding="utf-8")
    runner = CliRunner()
    for given in (run_id, f"http://127.0.0.1:8000/runs/{run_id}"):
        done = runner.invoke(main, ["runs", "script", given, "--data-dir", str(tmp_path / "data")])
        assert done.exit_code == 0, done.output
        assert done.output == text and "--partition=batch" in text.replace("'", "")
    missing = runner.invoke(main, ["runs", "script", "nope", "--data-dir", str(tmp_path / "d")])
    assert missing.exit_code == 1 and "no batch script" in missing.output
    hostile = runner.invoke(main, ["runs", "script", "..", "--data-dir", str(tmp_path)])
    assert hostile.exit_code == 2 and "not a run id" in hostile.output
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "job.sbatch").write_text("outside")  # only the last segment counts
    escaped = runner.invoke(main, ["runs", "script", "../../etc", "--data-dir",
                                   str(tmp_path / "data")])
    assert escaped.exit_code == 1 and "outside" not in escaped.output
