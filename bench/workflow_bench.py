"""Workflows from the command line, run by `bench/run.py --only batch` and `--only watch`.

Both use the tests' example workflow, `tests/fixtures/example-workflow.toml` (`GUID Validation
Check`, then `LOD Analyzer` at 300, its default), imported with `ifcscript workflow import` into a
fresh data folder, and the real command in a subprocess, as a user types it.

- batch: 8 copies of the synthetic model; `ifcscript workflow run NAME M1..M8 --jobs 1` and the
  same with `--jobs 2`, alternately (which goes first alternates too), several times in the same
  run. The figure is the median of the per-pair ratios jobs 2 / jobs 1 (each pair measured back to
  back, so a neighbour's load hits both sides alike), target <= 0.65x on the 20k model; the spread
  of the pairs is noted. Every run must exit 0 with every step `success`, and every step's stored
  `result` must be the same in every run (jobs 1 and jobs 2 alike): otherwise the benchmark fails.
  The CPU time of each command (its process tree: the workers and their run children) is kept in
  the JSON, with the load average around it.
- watch: `ifcscript workflow watch NAME DIR` running; a copy of the model is written into DIR (its
  bytes read first, so the write itself is short) and closed; from that moment to the first step's
  `ScriptExecution.started_at` in the store (the worker started, the model parsed and indexed, the
  script forked: the step is running), target < 2 s. Noted alongside: to the command's
  "is complete: running" line (the watch saw the file) and to the `WorkflowExecution.started_at`.

Not meant to be run directly: bench/run.py loads this file and passes itself as `harness`.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import threading
import time
import tomllib
from pathlib import Path
from typing import Any

#: The example workflow the tests use too (GUIDs, then LOD at 300, the script's default).
WORKFLOW_TOML = (Path(__file__).resolve().parents[1] / "tests" / "fixtures"
                 / "example-workflow.toml").read_text(encoding="utf-8")
WORKFLOW_NAME = tomllib.loads(WORKFLOW_TOML)["name"]
COPIES = 8
#: Pairs (jobs 1, jobs 2) of batch runs per size; watch files per size.
BATCH_PAIRS = {"tiny": 2, "2k": 2, "20k": 3, "100k": 1}
WATCH_FILES = {"tiny": 3, "2k": 3, "20k": 5, "100k": 3}
#: The sizes the issue's targets are stated for.
JUDGED = ("20k",)
RATIO_TARGET = 0.65
WATCH_TARGET_S = 2.0
WATCH_INTERVAL_S = 0.5  # the command's default, given explicitly so the figure says what it used


def ifcscript(harness: Any, *args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    command = harness.ifcscript_command() + list(args) + ["--data-dir", str(data_dir)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise harness.BenchError(f"{' '.join(command)} exited with {done.returncode}: "
                                 f"{(done.stderr or done.stdout).strip()[-800:]}")
    return done


def prepare(harness: Any, tmp: Path, name: str) -> tuple[Path, Path]:
    """A fresh data folder with the workflow imported; (data dir, the TOML file)."""
    data_dir = tmp / f"{name}-data"
    toml = tmp / f"{name}-workflow.toml"
    toml.write_text(WORKFLOW_TOML, encoding="utf-8")
    ifcscript(harness, "workflow", "import", str(toml), data_dir=data_dir)
    return data_dir, toml


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def step_results(data_dir: Path, rows: list[dict[str, Any]]) -> dict[str, str]:
    """`model file name / step` -> the stored result of that step run, as canonical JSON."""
    from ifcscript_desktop.core.store import ScriptExecution, open_store

    store = open_store(data_dir)
    try:
        store.activate()
        found = {}
        for row in rows:
            run = ScriptExecution.get_by_id(row["execution_id"])
            found[f"{Path(row['model']).name} / {row['step']}"] = json.dumps(run.result, sort_keys=True)
        return found
    finally:
        store.close()


# -- batch ----------------------------------------------------------------------------------------
def batch_run(harness: Any, models: list[Path], jobs: int, data_dir: Path,
              report_dir: Path) -> dict[str, Any]:
    command = harness.ifcscript_command() + [
        "workflow", "run", WORKFLOW_NAME, *map(str, models), "--jobs", str(jobs), "--json",
        "--report", str(report_dir), "--data-dir", str(data_dir)]
    load = [round(x, 2) for x in os.getloadavg()]
    cpu = children_cpu_s()
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - started
    cpu = children_cpu_s() - cpu
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    bad = [r for r in rows if r["status"] != "success"]
    if done.returncode != 0 or bad or len(rows) != 2 * len(models):
        raise harness.BenchError(
            f"--jobs {jobs} exited with {done.returncode}, {len(rows)} rows, not successful: "
            f"{[(r['model'], r['step'], r['status'], r['error']) for r in bad][:3]} "
            f"{done.stderr.strip()[-600:]}")
    return {"jobs": jobs, "wall_s": wall, "cpu_s": cpu, "load_before": load,
            "load_after": [round(x, 2) for x in os.getloadavg()],
            "step_s": {f"{Path(r['model']).name} / {r['step']}": r["duration_s"] for r in rows},
            "results": step_results(data_dir, rows)}


def bench_batch(size: str, model: Path, tmp: Path, harness: Any) -> dict[str, Any]:
    median, row, fmt = harness.median, harness.row, harness.fmt
    data_dir, _ = prepare(harness, tmp, "batch")
    folder = tmp / "batch-models"
    folder.mkdir(exist_ok=True)
    models = []
    for number in range(1, COPIES + 1):
        copy = folder / f"{model.stem}-copy{number}.ifc"
        shutil.copyfile(model, copy)
        models.append(copy)
    harness.log(f"[{size}] batch: one untimed run (page cache, compiled files)")
    batch_run(harness, models[:2], 2, data_dir, tmp / "batch-report-warmup")
    runs: list[dict[str, Any]] = []
    pairs = BATCH_PAIRS.get(size, 2)
    for rep in range(pairs):
        order = (1, 2) if rep % 2 == 0 else (2, 1)
        for jobs in order:
            got = batch_run(harness, models, jobs, data_dir, tmp / f"batch-report-{rep}-{jobs}")
            harness.log(f"[{size}] batch: pair {rep + 1}/{pairs} --jobs {jobs}: "
                        f"{fmt(got['wall_s'], 's')} (cpu {got['cpu_s']:.1f} s, load "
                        f"{got['load_before'][0]:.2f})")
            runs.append({"pair": rep, **got})
    reference = runs[0]["results"]
    differ = sorted({key for r in runs for key, value in r["results"].items()
                     if reference.get(key) != value} | (set(reference) ^ set(runs[-1]["results"])))
    if differ:
        raise harness.BenchError(f"results differ between runs: {differ[:4]}")
    one = [r["wall_s"] for r in runs if r["jobs"] == 1]
    two = [r["wall_s"] for r in runs if r["jobs"] == 2]
    ratios = [next(r["wall_s"] for r in runs if r["pair"] == p and r["jobs"] == 2)
              / next(r["wall_s"] for r in runs if r["pair"] == p and r["jobs"] == 1)
              for p in range(pairs)]
    loads = [r["load_before"][0] for r in runs]
    cpu_one = median([r["cpu_s"] for r in runs if r["jobs"] == 1])
    cpu_two = median([r["cpu_s"] for r in runs if r["jobs"] == 2])
    rows = [row(f"{COPIES} copies, GUID Validation Check then LOD Analyzer: `workflow run --jobs 2` "
                "vs `--jobs 1` (whole command)", median(two), median(one), "s",
                f"<= {RATIO_TARGET}x jobs 1 ({', '.join(JUDGED)})",
                RATIO_TARGET if size in JUDGED else None,
                ratio=median(ratios),
                note=f"median of {pairs} back-to-back pairs, pair ratios "
                     f"{', '.join(f'{r:.2f}' for r in sorted(ratios))}; jobs 1 "
                     f"{fmt(min(one), 's')}-{fmt(max(one), 's')}, jobs 2 {fmt(min(two), 's')}-"
                     f"{fmt(max(two), 's')}; CPU time of the command's processes jobs 1 "
                     f"{cpu_one:.1f} s, jobs 2 {cpu_two:.1f} s; {os.cpu_count()} cores shared, load "
                     f"average before the runs {min(loads):.2f}-{max(loads):.2f}; every step's "
                     f"result identical in every run")]
    return {
        "targets": {"batch": f"--jobs 2 <= {RATIO_TARGET}x --jobs 1, same run (judged on "
                             f"{', '.join(JUDGED)})"},
        "commands": {"batch": f"ifcscript workflow run {WORKFLOW_NAME!r} MODEL1..MODEL{COPIES} "
                              "--jobs N --json --report DIR --data-dir DIR"},
        "workflow": WORKFLOW_TOML,
        "samples": {"runs": [{k: v for k, v in r.items() if k != "results"} for r in runs],
                    "pair_ratios": ratios},
        "rows": rows,
    }


# -- watch ----------------------------------------------------------------------------------------
class Lines:
    """The watch command's stdout, line by line, each with the moment it was read."""

    def __init__(self, stream: Any) -> None:
        self.lines: list[tuple[float, str]] = []
        self.ended = False
        self._changed = threading.Condition()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: Any) -> None:
        for line in stream:
            with self._changed:
                self.lines.append((time.perf_counter(), line.rstrip("\n")))
                self._changed.notify_all()
        with self._changed:
            self.ended = True
            self._changed.notify_all()

    def wait_for(self, text: str, start: int, timeout: float) -> tuple[int, float, str]:
        """The first line from `start` on that contains `text`: (its number, when read, it)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for number in range(start, len(self.lines)):
                    when, line = self.lines[number]
                    if text in line:
                        return number, when, line
                if self.ended:
                    raise TimeoutError(f"the watch ended before {text!r}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {text!r} within {timeout:g} s")
                self._changed.wait(left)


def watch_times(data_dir: Path, model: Path) -> tuple[float, float]:
    """(WorkflowExecution.started_at, its first step's ScriptExecution.started_at) as epoch s."""
    from ifcscript_desktop.core.store import ScriptExecution, WorkflowExecution, open_store

    store = open_store(data_dir)
    try:
        store.activate()
        execution = (WorkflowExecution.select().where(WorkflowExecution.model_path == str(model))
                     .order_by(WorkflowExecution.id.desc()).get())
        step = (ScriptExecution.select().where(ScriptExecution.workflow_execution == execution)
                .order_by(ScriptExecution.id).get())
        return execution.started_at.timestamp(), step.started_at.timestamp()
    finally:
        store.close()


def bench_watch(size: str, model: Path, tmp: Path, harness: Any) -> dict[str, Any]:
    median, row, fmt = harness.median, harness.row, harness.fmt
    data_dir, _ = prepare(harness, tmp, "watch")
    folder = tmp / "watched"
    folder.mkdir(exist_ok=True)
    files = WATCH_FILES.get(size, 3)
    data = model.read_bytes()
    command = harness.ifcscript_command() + [
        "workflow", "watch", WORKFLOW_NAME, str(folder), "--interval", str(WATCH_INTERVAL_S),
        "--max-runs", str(files), "--stop-after", str(600 + 60 * files), "--data-dir", str(data_dir)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = Lines(process.stdout)
    samples: list[dict[str, Any]] = []
    try:
        at, _, _ = lines.wait_for("Watching", 0, 60)
        for number in range(1, files + 1):
            # A pause that moves the write to another point of the poll cycle each time.
            time.sleep(WATCH_INTERVAL_S * (1 + (number * 0.618) % 1))
            target = folder / f"arrived-{number}.ifc"
            with open(target, "wb") as stream:
                stream.write(data)
            closed_wall, closed = time.time(), time.perf_counter()
            at, seen, _ = lines.wait_for(f"{target.name} is complete", at, 60)
            at, _, line = lines.wait_for(f"== {target}", at, harness.WAIT_S)
            if ": success" not in line:
                raise harness.BenchError(f"the watch's run on {target.name}: {line}")
            workflow_started, step_started = watch_times(data_dir, target)
            sample = {"seen_s": seen - closed, "workflow_started_s": workflow_started - closed_wall,
                      "step_started_s": step_started - closed_wall,
                      "load": [round(x, 2) for x in os.getloadavg()]}
            harness.log(f"[{size}] watch: file {number}/{files}: seen after "
                        f"{fmt(sample['seen_s'], 's')}, step running after "
                        f"{fmt(sample['step_started_s'], 's')}")
            samples.append(sample)
        process.wait(timeout=120)
    except (TimeoutError, subprocess.TimeoutExpired) as exc:
        raise harness.BenchError(f"the watch: {exc}") from None
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    stderr = process.stderr.read() if process.stderr else ""
    if process.returncode != 0:
        raise harness.BenchError(f"the watch exited with {process.returncode}: {stderr[-600:]}")

    def med(key: str) -> float:
        return median([s[key] for s in samples])

    def spread(key: str) -> str:
        values = [s[key] for s in samples]
        return f"{fmt(min(values), 's')}-{fmt(max(values), 's')}"

    rows = [row("a model written into the watched folder: closed to its first step running "
                "(`ScriptExecution.started_at`)", med("step_started_s"), None, "s",
                f"< {WATCH_TARGET_S:g} s ({', '.join(JUDGED)})",
                WATCH_TARGET_S if size in JUDGED else None, compare="value",
                note=f"median of {files} files, {spread('step_started_s')}; the watch saw it "
                     f"(its output line) after {fmt(med('seen_s'), 's')} "
                     f"({spread('seen_s')}), the workflow run started "
                     f"(`WorkflowExecution.started_at`) after "
                     f"{fmt(med('workflow_started_s'), 's')}; the rest is the parse and the index "
                     f"in a worker the watch started ahead; `--interval {WATCH_INTERVAL_S:g}`")]
    return {
        "targets": {"watch": f"closed to the first step running < {WATCH_TARGET_S:g} s "
                             f"(judged on {', '.join(JUDGED)})"},
        "commands": {"watch": " ".join(command[len(harness.ifcscript_command()):])},
        "workflow": WORKFLOW_TOML,
        "samples": {"files": samples, "stdout": [line for _, line in lines.lines][-40:],
                    "stderr_tail": stderr[-2000:]},
        "rows": rows,
    }
