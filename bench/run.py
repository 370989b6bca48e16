"""Benchmarks: the app against bare ifcopenshell on the same synthetic models, in one run.

    python bench/run.py [--size tiny|small|full] [--no-write] [--only NAME] [--docs]

Sizes: `tiny` (~200 products, what CI smoke-runs), `small` (2k and 20k), `full` (2k, 20k, 100k;
the 100k model is about 100 MB). Benchmarks (`--only` one of them):

- open: wall time of whole `ifcscript run SCRIPT MODEL --data-dir TMP` processes vs `python -c
  "import ifcopenshell; ifcopenshell.open(p)"`, interleaved: an empty script (`result = 1`),
  touch.py (reads `entities` and `properties`) and the built-in Export Elements to CSV with its
  defaults (every property and quantity of every IfcElement; its CSV must be the same file in
  every repetition and when the property rows are read by one process,
  `IFCSCRIPT_PROPERTY_PROCESSES=1`, instead of several).
- warm: request-to-reply latency of the trivial runs that follow a first run on an open worker
  (client API, a fixed idle gap between runs), and how it grows from the 2k to the 100k model.
- context: inside a run, first iteration of `entities` reading `ifc_guid` and first access of
  `properties.df`, vs bare loops (by_type / one pass over the relationships / get_psets).
- memory: PSS of the worker and its children after open (and the `properties` request the
  window sends once its tree is shown) and one run vs the RSS of a bare python process after
  `ifcopenshell.open`.
- cow: copy-on-write between the worker, its run template and the spare child: the first run
  after the open, Private_Dirty of each (smaps_rollup) and their PSS after one run and after ten
  runs of different scripts vs bare RSS (`bench/cow_bench.py`, its docstring says how).
- gui: the main window in fresh offscreen GUI processes (`bench/gui.py`, its docstring says
  how): the event loop's longest stall (a 10 ms QTimer's lateness) while the model opens, while
  a script streams output, and while a 100k-row `show_table` run ends and its table is shown;
  drop (`open_models`) to the tree's first rows vs a fresh `ifcopenshell.open` process; the GUI
  process's own RSS with the model open vs bare RSS after open; `run_finished` (and the run's
  end in the worker) to the 100k-row table's first rows painted. Stalls are the worst of the
  processes (the target is "never"), the other figures medians.
- builtins: the seven built-in scripts with their default parameters on one open worker (IDS
  Check with a 3-specification IDS the benchmark writes), each run's wall time vs the bare
  `ifcopenshell.open` time in fresh processes; and the CSV export vs `ifccsv` exporting the
  same columns (`bench/scripts_bench.py`, its docstring says how).
- mesh: the worker's `mesh` request vs a bare `ifcopenshell.geom.iterator` loop (same
  settings, threads and priority) on the model and on a mapped-items model of the same size;
  the first meshing into a scene vs the cached reopen; trivial runs while meshing vs idle; a
  mapped type's mesh held once (`bench/mesh_bench.py`, its docstring says how).
- search: the tree's search box, a name search (`search` request to reply, median of several
  queries) vs a bare `by_type("IfcProduct")` loop matching Name (`bench/search_bench.py`, its
  docstring says how).
- batch: `ifcscript workflow run` of a two-step workflow on 8 copies of the model, `--jobs 2` vs
  `--jobs 1` in back-to-back pairs; watch: `ifcscript workflow watch` running, a model written
  into the folder, to its first step running (`bench/workflow_bench.py`, its docstring says how).

Every figure is the median of several repetitions; ours and bare are measured in the same run,
interleaved. Results go to `bench/results/<benchmark>-<size>.json` and `docs/benchmarks.md` is
regenerated from every result file; `--no-write` prints the figures and writes nothing (models
that are not cached yet are generated into a temporary folder). `--docs` only regenerates
`docs/benchmarks.md`. The exit code is 0 when every measurement could be taken (targets missed
included: these are benchmarks, not tests) and 1 when one failed to run.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import select
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import cow_bench
import gui
import synthetic

import mesh_bench
import scripts_bench as bench_builtins
import search_bench
import view3d_bench
import workflow_bench
from procs import process_tree

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
DOCS = ROOT / "docs" / "benchmarks.md"
BENCHMARKS = ("open", "warm", "context", "memory", "cow", "gui", "builtins", "mesh", "view3d", "batch", "watch",
              "search")
SIZE_SETS = {"tiny": ["tiny"], "small": ["2k", "20k"], "full": ["2k", "20k", "100k"]}
#: The model the issue's absolute targets (open, memory) are stated for.
LARGEST = "100k"
IDLE_GAP_S = 0.3
WAIT_S = 900.0
LIMITS = {"timeout_s": 600, "memory_mb": 8192, "output_cap": 10 * 1024 * 1024,
          "outputs_max_bytes": 1 << 30, "outputs_max_files": 10_000}

TOUCH_SCRIPT = "result = [len(entities), len(properties)]\n"
TRIVIAL_SCRIPT = "result = 1\n"
# Scripts may not import `time`; datetime is on the allowlist and has microsecond resolution.
CONTEXT_SCRIPT = textwrap.dedent("""\
    import datetime

    def now():
        return datetime.datetime.now().timestamp()

    t0 = now()
    n = 0
    for e in entities:
        g = e.ifc_guid
        n += 1
    t1 = now()
    for e in entities:
        g = e.ifc_guid
    t2 = now()
    df = properties.df
    t3 = now()
    rows = len(df)
    result = {"entities_first_s": t1 - t0, "entities_again_s": t2 - t1, "df_first_s": t3 - t2,
              "entities": n, "rows": rows, "columns": list(df.columns)}
""")


@dataclass(frozen=True)
class Plan:
    """Repetitions for one size."""

    open_reps: int
    workers: int  # fresh workers (each: open, memory, warm runs, context runs)
    warm_runs: int  # trivial runs per worker after its first run
    context_runs: int  # context runs per worker (each a fresh child: first access)
    bare_reps: int  # repetitions of the bare context loops
    get_psets_stride: int  # 1: every product; N: every N-th, extrapolated
    gui_reps: int = 3  # fresh GUI processes (each: open, a busy run, a 100k-row table run)


PLANS = {
    "tiny": Plan(open_reps=3, workers=2, warm_runs=8, context_runs=2, bare_reps=3, get_psets_stride=1),
    "2k": Plan(open_reps=5, workers=3, warm_runs=15, context_runs=3, bare_reps=5, get_psets_stride=1),
    "20k": Plan(open_reps=5, workers=3, warm_runs=15, context_runs=3, bare_reps=3, get_psets_stride=1),
    "100k": Plan(open_reps=5, workers=3, warm_runs=15, context_runs=3, bare_reps=3, get_psets_stride=10),
}


class BenchError(Exception):
    """A measurement could not be taken (a run failed, a worker died)."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def median(values: list[float]) -> float:
    return statistics.median(values)


# -- the environment ------------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    import ifcopenshell

    info: dict[str, Any] = {
        "nproc": os.cpu_count(), "usable_cpus": len(os.sched_getaffinity(0)),
        "platform": platform.platform(), "python": platform.python_version(),
        "ifcopenshell": ifcopenshell.version,
    }
    for module in ("pandas", "numpy"):
        try:
            info[module] = __import__(module).__version__
        except ImportError:
            pass
    try:
        with open("/proc/meminfo") as handle:
            total_kb = int(next(line for line in handle if line.startswith("MemTotal:")).split()[1])
        info["memory_gb"] = round(total_kb / 1024 / 1024, 1)
        with open("/proc/cpuinfo") as handle:
            info["cpu"] = next((line.split(":", 1)[1].strip() for line in handle
                                if line.startswith("model name")), platform.processor())
        info["loadavg_at_start"] = [round(x, 2) for x in os.getloadavg()]
    except (OSError, StopIteration):
        pass
    return info


def git_commit() -> dict[str, Any]:
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}  # read-only: never refresh the index
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, check=True, env=env).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, check=True, env=env).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": bool(dirty)}


def ifcscript_command() -> list[str]:
    found = shutil.which("ifcscript", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "ifcscript_desktop"]


# -- processes ------------------------------------------------------------------------------------
def timed_process(command: list[str], **kwargs: Any) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise BenchError(f"{shlex.join(command)} exited with {done.returncode}: " + " | ".join(tail))
    return elapsed


def bare_json(*args: str) -> dict[str, Any]:
    command = [sys.executable, str(BENCH / "bare.py"), *args]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchError(f"{shlex.join(command)} failed: {done.stderr.strip()[-500:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def smaps_kb(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass  # a process that ended between the listing and the read
    return 0


# -- the client side ------------------------------------------------------------------------------
class Worker:
    """One worker process driven through the project's client API."""

    def __init__(self, out_dir: Path) -> None:
        from ifcscript_desktop.core.client import WorkerClient

        self.client = WorkerClient()
        self.out_dir = out_dir
        self.runs = 0

    def open(self, model: Path) -> dict[str, Any]:
        reply = self.client.call("open", timeout=WAIT_S, path=str(model))
        self.client.model_path = str(model)
        info: dict[str, Any] = reply.get("info") or {}
        return info

    def run(self, code: str) -> tuple[float, dict[str, Any]]:
        """Run `code`; (request-to-reply seconds, reply). The reply's arrival is stamped on the
        client's reader thread, so waking this thread is not counted."""
        self.runs += 1
        finished: list[float] = []
        fields = {"code": code, "filename": "<bench>", "params": {}, "granted": [],
                  "selection": [], "previous": {}, "output_dir": str(self.out_dir / f"run-{self.runs}"),
                  "limits": LIMITS}
        started = time.perf_counter()
        request = self.client.run(fields, on_done=lambda _: finished.append(time.perf_counter()))
        if not request.wait(WAIT_S):
            raise BenchError(f"a run did not finish within {WAIT_S:g} s")
        reply = request.reply or {}
        if reply.get("status") != "success":
            raise BenchError(f"a run ended {reply.get('status')}: {reply.get('error')}\n"
                             f"{reply.get('traceback') or ''}{request.output_text[-2000:]}")
        return finished[0] - started, reply

    def ping(self) -> None:
        """A round trip: the worker's loop has finished its post-run work (the spare fork)."""
        self.client.call("ping", timeout=WAIT_S)

    def pss_mb(self) -> tuple[float, float, int]:
        """(PSS, RSS) of the worker and its children in MB, and how many processes."""
        pid = self.client.worker_pid
        if pid is None:
            raise BenchError("the worker is not running")
        tree = process_tree(pid)
        pss = sum(smaps_kb(p, "Pss") for p in tree) / 1024
        rss = sum(smaps_kb(p, "Rss") for p in tree) / 1024
        return pss, rss, len(tree)

    def close(self) -> None:
        """Stop the worker and wait for it to be gone, so it cannot load the next measurement."""
        pid = self.client.worker_pid
        try:
            exited = os.pidfd_open(pid) if pid else None
        except OSError:  # already gone, or a kernel without pidfd
            exited = None
        self.client.close()
        if exited is not None:
            select.select([exited], [], [], 60)  # readable once the process has exited
            os.close(exited)


@dataclass
class WorkerFigures:
    index_s: list[float] = field(default_factory=list)
    parse_s: list[float] = field(default_factory=list)
    first_run_s: list[float] = field(default_factory=list)
    pss_mb: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    processes: list[int] = field(default_factory=list)
    warm_s: list[float] = field(default_factory=list)
    warm_worker_s: list[float] = field(default_factory=list)  # the worker's own duration_s
    context: list[dict[str, Any]] = field(default_factory=list)


def measure_workers(model: Path, plan: Plan, wanted: set[str], tmp: Path) -> WorkerFigures:
    figures = WorkerFigures()
    for w in range(plan.workers):
        worker = Worker(tmp / f"worker-{w}")
        try:
            info = worker.open(model)
            worker.client.call("properties", timeout=WAIT_S)  # as the window asks after open
            figures.index_s.append(float(info.get("index_s") or 0.0))
            figures.parse_s.append(float(info.get("parse_s") or 0.0))
            elapsed, _ = worker.run(TOUCH_SCRIPT)
            figures.first_run_s.append(elapsed)
            worker.ping()
            cow_bench.wait_for_spare(worker.client.worker_pid)  # every process a run finds
            pss, rss, count = worker.pss_mb()
            figures.pss_mb.append(pss)
            figures.rss_mb.append(rss)
            figures.processes.append(count)
            if "warm" in wanted:
                for _ in range(plan.warm_runs):
                    time.sleep(IDLE_GAP_S)  # the deliberate idle gap, not synchronisation
                    elapsed, reply = worker.run(TRIVIAL_SCRIPT)
                    figures.warm_s.append(elapsed)
                    figures.warm_worker_s.append(float(reply.get("duration_s") or 0.0))
            if "context" in wanted:
                for _ in range(plan.context_runs):
                    time.sleep(IDLE_GAP_S)
                    _, reply = worker.run(CONTEXT_SCRIPT)
                    figures.context.append(reply["result"])
        finally:
            worker.close()
    return figures


# -- the benchmarks -------------------------------------------------------------------------------
def row(label: str, ours: float | None, bare: float | None, unit: str, target: str,
        limit: float | None, applies: bool = True, ratio: float | None = None,
        note: str | None = None, compare: str = "ratio") -> dict[str, Any]:
    """One table row; `limit` is checked against the ratio (or against `ours` when compare is
    "value")."""
    if ratio is None and ours is not None and bare:
        ratio = ours / bare
    checked = ratio if compare == "ratio" else ours
    passed = None if (limit is None or not applies or checked is None) else checked <= limit
    return {"label": label, "ours": ours, "bare": bare, "unit": unit, "ratio": ratio,
            "target": target + ("" if applies else f" ({LARGEST} only)"), "pass": passed,
            "note": note}


#: The scripts `open` times as whole processes: name -> (what, target ratio vs bare open).
OPEN_RUNS = {"empty": ("an empty script", 1.1), "touch": ("a script touching entities and "
                                                          "properties", 1.25),
             "csv": ("Export Elements to CSV, default parameters", 2.0)}


def bench_open(size: str, model: Path, plan: Plan, tmp: Path,
               figures: WorkerFigures | None) -> dict[str, Any]:
    (tmp / "empty.py").write_text(TRIVIAL_SCRIPT)
    (tmp / "touch.py").write_text(TOUCH_SCRIPT)
    data_dir = tmp / "data"
    run = ifcscript_command() + ["run"]
    commands = {"empty": run + [str(tmp / "empty.py"), str(model), "--data-dir", str(data_dir)],
                "touch": run + [str(tmp / "touch.py"), str(model), "--data-dir", str(data_dir)],
                "csv": run + ["Export Elements to CSV", str(model), "--data-dir", str(data_dir)],
                "bare": [sys.executable, "-c",
                         f"import ifcopenshell; ifcopenshell.open({str(model)!r})"]}
    digests: list[str] = []

    def timed(name: str, env: dict[str, str] | None = None) -> float:
        if name != "csv":
            return timed_process(commands[name])
        started = time.perf_counter()
        done = subprocess.run(commands[name], capture_output=True, text=True, env=env)
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise BenchError(f"the CSV export failed: {(done.stderr or done.stdout)[-500:]}")
        # As a user reads it (no --json: that line carries the 100k-row table too); the file
        # is in the newest run's folder.
        saved = [line.split("saved:", 1)[1].strip() for line in done.stdout.splitlines()
                 if line.strip().startswith("saved:") and line.strip().endswith(".csv")]
        if not saved:
            raise BenchError(f"the CSV export saved no CSV: {done.stdout[-500:]}")
        digests.append(sha256_file(Path(saved[-1])))
        return elapsed

    # Untimed first calls: the data dir is created and the built-ins loaded once (as on a user's
    # first run), and the file is in the page cache for all. The serial reading's CSV first.
    timed("csv", env={**os.environ, "IFCSCRIPT_PROPERTY_PROCESSES": "1"})
    for name in commands:
        timed(name)
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for rep in range(plan.open_reps):
        names = list(commands)
        shift = rep % len(names)  # each command takes each place in the order once in a while
        for name in names[shift:] + names[:shift]:
            samples[name].append(timed(name))
    note = None
    if figures is not None and figures.parse_s:
        note = (f"in the worker: parse {fmt(median(figures.parse_s), 's')}, "
                f"index {fmt(median(figures.index_s), 's')}")
    same = len(set(digests)) == 1
    rows = []
    for name, (what, limit) in OPEN_RUNS.items():
        extra = note if name != "csv" else (
            f"the CSV identical in all {len(digests)} runs, serial reading included" if same
            else f"the CSV DIFFERS between runs: {sorted(set(digests))}")
        rows.append(row(f"whole process, open + {what}", median(samples[name]),
                        median(samples["bare"]), "s", f"<= {limit:g}x bare", limit,
                        applies=size == LARGEST, note=extra))
    return {"commands": {name: shlex.join(c) for name, c in commands.items()},
            "samples": {f"{name}_s": values for name, values in samples.items()},
            "csv_sha256": digests, "csv_identical": same, "rows": rows}


def sha256_file(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def bench_warm(size: str, figures: WorkerFigures, reference: dict[str, float]) -> dict[str, Any]:
    warm = median(figures.warm_s)
    inside = median(figures.warm_worker_s)
    rows = [row("median latency of runs 2..N (`result = 1`)", warm, None, "s", "< 50 ms", 0.050,
                compare="value", note=f"the worker's own duration_s: {fmt(inside, 's')}")]
    base = reference.get("2k")
    if size != "2k" and base:
        rows.append(row("median latency vs the 2k model", warm, base, "s", "<= 1.5x the 2k model",
                        1.5, applies=size == LARGEST))
    return {
        "idle_gap_s": IDLE_GAP_S,
        "samples": {"latency_s": figures.warm_s, "worker_duration_s": figures.warm_worker_s},
        "p90_s": statistics.quantiles(figures.warm_s, n=10)[-1] if len(figures.warm_s) > 1 else warm,
        "worker_duration_median_s": median(figures.warm_worker_s),
        "first_run_s": figures.first_run_s,
        "rows": rows,
    }


def bench_context(size: str, model: Path, plan: Plan, figures: WorkerFigures) -> dict[str, Any]:
    bare = bare_json("context", str(model), str(plan.bare_reps), str(plan.get_psets_stride))
    index = bare_json("index", str(model))
    ours = {key: median([c[key] for c in figures.context])
            for key in ("entities_first_s", "entities_again_s", "df_first_s")}
    rows_ours = figures.context[0]["rows"]
    sampled = (f"get_psets timed on every {plan.get_psets_stride}th product and extrapolated"
               if bare["get_psets_sampled"] else None)
    same_rows = rows_ours == bare["one_pass_rows"]
    return {
        "in_run": {"samples": figures.context, "medians": ours},
        "bare": bare,
        "index": {"worker_index_s": figures.index_s, "worker_parse_s": figures.parse_s,
                  "in_process": index},
        "rows_ours": rows_ours,
        "rows_one_pass": bare["one_pass_rows"],
        "rows": [
            row("iterate `entities` reading ifc_guid vs by_type loop reading GlobalId",
                ours["entities_first_s"], bare["guid_loop_s"], "s", "<= 2x", 2.0),
            row("`properties.df`, first access vs one-pass loop over the relationships",
                ours["df_first_s"], bare["one_pass_s"], "s", "<= 1.3x", 1.3,
                note=None if same_rows else f"row counts differ: ours {rows_ours}, "
                                            f"loop {bare['one_pass_rows']}"),
            row("`properties.df`, first access vs get_psets loop", ours["df_first_s"],
                bare["get_psets_s"], "s", "<= 0.5x", 0.5, note=sampled),
            row("index build in the worker (once per open, not per run) vs bare parse",
                median(figures.index_s), median(figures.parse_s), "s", "report", None,
                note="parse and index as the worker reports them"),
        ],
    }


def bench_memory(size: str, model: Path, plan: Plan, figures: WorkerFigures) -> dict[str, Any]:
    bare = [bare_json("memory", str(model)) for _ in range(plan.workers)]
    bare_rss = median([b["rss_mb"] for b in bare])
    return {
        "samples": {"worker_tree_pss_mb": figures.pss_mb, "worker_tree_rss_mb": figures.rss_mb,
                    "processes": figures.processes, "bare": bare},
        "rows": [row("worker + children PSS after open and one run vs bare RSS after open",
                     median(figures.pss_mb), bare_rss, "MB", "<= 1.2x bare", 1.2,
                     applies=size == LARGEST)],
    }


def bench_gui(size: str, model: Path, plan: Plan, tmp: Path) -> dict[str, Any]:
    try:
        data = gui.measure(model, plan.gui_reps, tmp)
    except gui.ProbeError as exc:
        raise BenchError(str(exc)) from None
    probes, bare = data["probes"], data["bare"]
    n = len(probes)
    stacks = gui.summarise_stacks(probes, limit=9)

    def stall(phase: str, label: str, largest_only: bool, extra: str = "") -> dict[str, Any]:
        values = [p["stall"][phase]["max_late_s"] for p in probes]
        over = sum(p["stall"][phase]["over_100ms"] for p in probes)
        worst = max(range(n), key=lambda i: values[i])
        cpu = probes[worst]["stall"][phase]["max_late_cpu_s"]
        where = "; ".join(f"{s['where']} ({s['samples']})" for s in stacks
                          if s["phase"] == phase.split("_")[0])
        note = (f"worst of {n} processes, median {fmt(median(values), 's')}; GUI-thread CPU in the "
                f"worst stall {fmt(cpu, 's')}; {over} ticks over 100 ms" + extra
                + (f"; GUI-thread stack samples in stalls (count): {where}"
                   if where and values[worst] > gui.STALL_LIMIT_S else ""))
        return row(label, values[worst], None, "s", "<= 100 ms", gui.STALL_LIMIT_S,
                   applies=size == LARGEST or not largest_only, compare="value", note=note)

    table = [p["table"] for p in probes]

    def med(key: str, of: list[dict[str, Any]] = table) -> float:
        return median([float(t[key]) for t in of])

    in_worker = max(p["stall"]["table_run_in_worker"]["max_late_s"] for p in probes)
    delivery = max(p["stall"]["table_delivery"]["max_late_s"] for p in probes)
    info = probes[0].get("info") or {}
    rss = [p["rss"]["model_open"]["vmrss_mb"] for p in probes]
    bare_rss = median([b["rss_mb"] for b in bare["memory"]])
    rows = [
        stall("open", "event-loop stall while the model opens (to 1 s after its tree shows)", True),
        stall("busy_run", f"event-loop stall while a script runs ({data['busy_s']:g} s, printing a "
              "line per 200 elements, progress)", False),
        stall("table_run", f"event-loop stall while a {data['table_rows'] // 1000}k-row "
              "`show_table` run runs, ends and its table is shown", False,
              extra=f"; worst while in the worker {fmt(in_worker, 's')}, from its end to the "
                    f"table shown {fmt(delivery, 's')}"),
        row("drop to usable tree (`open_models` to the tree's top-level rows) vs a fresh "
            "`ifcopenshell.open` process (onto the worker started ahead)",
            median([p["drop_to_tree_s"] for p in probes]), median(bare["open_s"]), "s", "<= 1.1x bare", 1.1, applies=size == LARGEST,
            note=f"`model_opened` at {fmt(median([p['drop_to_opened_s'] for p in probes]), 's')}; "
                 f"in the worker: parse {fmt(info.get('parse_s'), 's')}, index "
                 f"{fmt(info.get('index_s'), 's')}"),
        row("GUI process RSS (VmRSS, its own only) with the model open vs bare RSS after open",
            median(rss), bare_rss, "MB", "<= 0.2x bare", 0.2, applies=size == LARGEST,
            note=f"the window alone {fmt(median([p['rss']['window_only']['vmrss_mb'] for p in probes]), 'MB')}; "
                 f"after the 100k-row table "
                 f"{fmt(median([p['rss']['after_table']['vmrss_mb'] for p in probes]), 'MB')}; "
                 + ("ifcopenshell imported in the GUI process!" if any(
                     p["gui_imported_ifcopenshell"] for p in probes)
                    else "ifcopenshell not imported in the GUI process")),
        row(f"{data['table_rows'] // 1000}k-row table: `run_finished` to its first rows painted",
            med("finished_to_painted_s"), None, "s", "<= 1 s", 1.0, compare="value",
            note=f"the window's `run_finished` slot {fmt(med('finished_to_shown_s'), 's')} "
                 f"(`show_reply` {fmt(med('show_reply_s'), 's')}, history refresh "
                 f"{fmt(med('history_refresh_s'), 's')}), painted "
                 f"{fmt(med('shown_to_painted_s'), 's')} later"),
        row(f"{data['table_rows'] // 1000}k-row table: the run's end in the worker to its first "
            "rows painted (an upper bound)", med("end_to_painted_s"), None, "s", "<= 1 s", 1.0,
            compare="value",
            note=f"reply ({med('reply_mb'):.0f} MB of JSON) sent and decoded "
                 f"{fmt(med('end_to_decoded_s'), 's')} (its json.loads alone "
                 f"{fmt(med('decode_s'), 's')}), then to `run_finished` "
                 f"{fmt(med('decoded_to_finished_s'), 's')} (`RunSession` records it in the store "
                 f"{fmt(med('record_reply_s'), 's')}), then as above"),
    ]
    return {
        "commands": data["commands"],
        "samples": {
            "drop_to_tree_s": [p["drop_to_tree_s"] for p in probes],
            "drop_to_opened_s": [p["drop_to_opened_s"] for p in probes],
            "bare_open_s": bare["open_s"],
            "gui_rss_model_open_mb": rss, "bare_rss_mb": [b["rss_mb"] for b in bare["memory"]],
            "stall_max_s": {phase: [p["stall"][phase]["max_late_s"] for p in probes]
                            for phase in probes[0]["stall"]},
            "table": table,
        },
        "gui_imported_ifcopenshell": any(p["gui_imported_ifcopenshell"] for p in probes),
        "stall_stacks": stacks,
        "probes": probes,
        "bare": bare,
        "rows": rows,
    }


# -- output ---------------------------------------------------------------------------------------
def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "s":
        return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"
    if unit == "MB" and value < 10:
        return f"{value:.1f} MB"
    return f"{value:.0f} {unit}"


def fmt_pass(passed: bool | None) -> str:
    return "—" if passed is None else ("pass" if passed else "**FAIL**")


def print_result(name: str, size: str, result: dict[str, Any]) -> None:
    for r in result["rows"]:
        ratio = f"{r['ratio']:.2f}x" if r["ratio"] is not None else "—"
        verdict = {None: "-", True: "pass", False: "FAIL"}[r["pass"]]
        note = f"  [{r['note']}]" if r.get("note") else ""
        print(f"{name:8} {size:5} {r['label'][:62]:62} ours {fmt(r['ours'], r['unit']):>9}  "
              f"bare {fmt(r['bare'], r['unit']):>9}  {ratio:>7}  {r['target']:24} {verdict}{note}",
              flush=True)


def write_docs() -> None:
    results = []
    for path in sorted(RESULTS.glob("*.json")):
        try:
            results.append(json.loads(path.read_text()))
        except (OSError, json.JSONDecodeError):
            continue
    order = {s: synthetic.size_products(s) for s in synthetic.SIZES}
    results.sort(key=lambda r: (BENCHMARKS.index(r["benchmark"]) if r["benchmark"] in BENCHMARKS
                                else 99, order.get(r["size"], 0)))
    titles = {"open": "Open: whole `ifcscript run` process vs bare `ifcopenshell.open`",
              "warm": "Warm run overhead (client API, second and later runs)",
              "context": "Script context vs bare loops",
              "memory": "Memory after open and one run",
              "cow": "Copy-on-write: the worker, its run template and the spare child",
              "gui": "The window (offscreen): responsiveness, drop to tree, memory, a 100k-row table",
              "builtins": "Built-in scripts (default parameters, open worker) vs bare parse; CSV export "
                          "vs ifccsv",
              "mesh": "Meshing (3D view): mesher vs bare iterator, cached reopen, runs while "
                      "meshing, mapped items",
              "batch": "Workflow batch: `workflow run --jobs 2` vs `--jobs 1` on 8 copies",
              "watch": "Watched folder: a model closed to its workflow's first step running",
              "view3d": view3d_bench.TITLE,
              "search": "Tree search: a name search in the worker vs a bare by_type loop"}
    lines = ["# Benchmarks", "",
             "Generated by `python bench/run.py` from `bench/results/*.json`; do not edit by hand.",
             "Each figure is the median of several repetitions; ours and bare ifcopenshell are",
             "measured in the same run on the same synthetic model (`bench/synthetic.py`). What",
             "is measured and how: the docstring of `bench/run.py`.", ""]
    for name in BENCHMARKS:
        mine = [r for r in results if r["benchmark"] == name]
        if not mine:
            continue
        lines += [f"## {titles[name]}", "",
                  "| size | measurement | ours | bare | ratio | target | pass |",
                  "|---|---|---|---|---|---|---|"]
        for r in mine:
            products = r.get("model", {}).get("products")
            size = f"{r['size']} ({products} products, {r['model']['mb']:.0f} MB)" if products else r["size"]
            for rw in r["rows"]:
                ratio = f"{rw['ratio']:.2f}x" if rw["ratio"] is not None else "—"
                label = rw["label"] + (f" ({rw['note']})" if rw.get("note") else "")
                lines.append(f"| {size} | {label} | {fmt(rw['ours'], rw['unit'])} | "
                             f"{fmt(rw['bare'], rw['unit'])} | {ratio} | {rw['target']} | "
                             f"{fmt_pass(rw['pass'])} |")
        lines.append("")
        sources = sorted({(r["git"].get("commit") or "?")[:10] + (" (uncommitted changes)"
                                                                  if r["git"].get("dirty") else "")
                          for r in mine})
        dates = sorted({r["date"][:16] for r in mine})
        commands = sorted({r["command"] for r in mine})
        lines += [f"Commit {', '.join(sources)}; run {', '.join(dates)}; `{'`, `'.join(commands)}`.", ""]
    if results:
        m = results[-1]["machine"]
        lines += ["## Machine", "",
                  f"{m.get('cpu')}, {m.get('nproc')} cores, {m.get('memory_gb')} GB RAM, "
                  f"{m.get('platform')}; Python {m.get('python')}, IfcOpenShell "
                  f"{m.get('ifcopenshell')}, pandas {m.get('pandas')}, numpy {m.get('numpy')}. "
                  f"Load average at start: {m.get('loadavg_at_start')}: a shared machine, so single "
                  f"samples vary by tens of percent (every sample is in the JSON files); ours "
                  f"and bare are interleaved so that the ratios suffer less than the times.", ""]
    DOCS.write_text("\n".join(lines))


# -- main -----------------------------------------------------------------------------------------
def model_for(size: str, write: bool, tmp: Path) -> Path:
    cached = synthetic.cached_path(size)
    if cached.exists() or write:
        return synthetic.ensure_model(size, log=log)
    return synthetic.ensure_model(size, models_dir=tmp, log=log)


def run_size(size: str, wanted: set[str], write: bool, context: dict[str, Any],
             reference: dict[str, float]) -> bool:
    plan = PLANS[size]
    ok = True
    with tempfile.TemporaryDirectory(prefix=f"ifcscript-bench-{size}-") as tmp_name:
        tmp = Path(tmp_name)
        model = model_for(size, write, tmp)
        with model.open("rb") as handle:  # into the page cache before anything is timed
            while handle.read(1 << 24):
                pass
        model_info = {"path": str(model), "name": model.name, "mb": model.stat().st_size / 1e6,
                      "products": synthetic.size_products(size),
                      "generator_version": synthetic.GENERATOR_VERSION}
        results: dict[str, dict[str, Any]] = {}
        steps: list[tuple[str, Callable[[], dict[str, Any]]]] = []
        figures: WorkerFigures | None = None
        if wanted & {"warm", "context", "memory"}:
            log(f"[{size}] {plan.workers} workers: open, first run, memory, warm runs, context runs")
            try:
                figures = measure_workers(model, plan, wanted, tmp)
            except BenchError as exc:
                log(f"[{size}] workers: {exc}")
                ok = False
        if "open" in wanted:
            steps.append(("open", lambda: bench_open(size, model, plan, tmp, figures)))
        if "cow" in wanted:
            steps.append(("cow", lambda: cow_bench.bench(size, model, tmp, sys.modules[__name__])))
        if "gui" in wanted:
            steps.append(("gui", lambda: bench_gui(size, model, plan, tmp)))
        if "builtins" in wanted:
            steps.append(("builtins", lambda: bench_builtins.bench(size, model, tmp,
                                                                   sys.modules[__name__])))
        if "mesh" in wanted:
            steps.append(("mesh", lambda: mesh_bench.bench(size, model, tmp, sys.modules[__name__],
                                                           write)))
        if "view3d" in wanted:
            steps.append(("view3d", lambda: view3d_bench.bench(size, model, tmp, sys.modules[__name__])))
        if "search" in wanted:
            steps.append(("search", lambda: search_bench.bench(size, model, tmp, sys.modules[__name__])))
        if "batch" in wanted:
            steps.append(("batch", lambda: workflow_bench.bench_batch(size, model, tmp,
                                                                      sys.modules[__name__])))
        if "watch" in wanted:
            steps.append(("watch", lambda: workflow_bench.bench_watch(size, model, tmp,
                                                                      sys.modules[__name__])))
        if figures is not None:
            if "warm" in wanted:
                steps.append(("warm", lambda: bench_warm(size, figures, reference)))
            if "context" in wanted:
                steps.append(("context", lambda: bench_context(size, model, plan, figures)))
            if "memory" in wanted:
                steps.append(("memory", lambda: bench_memory(size, model, plan, figures)))
        for name, step in steps:
            log(f"[{size}] {name} ...")
            load = [round(x, 2) for x in os.getloadavg()]  # a noisy neighbour shows here
            try:
                result = step()
            except BenchError as exc:
                log(f"[{size}] {name}: {exc}")
                ok = False
                continue
            result = {"benchmark": name, "size": size, "model": model_info, **context,
                      "loadavg_before": load, **result}
            results[name] = result
            print_result(name, size, result)
        if "warm" in results:
            reference[size] = results["warm"]["rows"][0]["ours"]
        if write:
            RESULTS.mkdir(exist_ok=True)
            for name, result in results.items():
                (RESULTS / f"{name}-{size}.json").write_text(json.dumps(result, indent=1, default=str))
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=list(SIZE_SETS) + list(synthetic.SIZES), default="small",
                        help="tiny, small (2k, 20k), full (2k, 20k, 100k) or one model size")
    parser.add_argument("--no-write", action="store_true", help="print the figures, write nothing")
    parser.add_argument("--only", choices=BENCHMARKS, help="run this benchmark only")
    parser.add_argument("--docs", action="store_true",
                        help="only regenerate docs/benchmarks.md from bench/results")
    args = parser.parse_args(argv)
    if args.docs:
        write_docs()
        return 0
    sizes = SIZE_SETS.get(args.size, [args.size])
    wanted = {args.only} if args.only else set(BENCHMARKS)
    context = {"command": shlex.join(["python", "bench/run.py", *(argv if argv is not None
                                                                 else sys.argv[1:])]),
               "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
               "git": git_commit(), "machine": machine()}
    reference: dict[str, float] = {}
    started = time.perf_counter()
    ok = all([run_size(size, wanted, not args.no_write, context, reference) for size in sizes])
    if not args.no_write:
        write_docs()
        log(f"wrote bench/results and {DOCS.relative_to(ROOT)}")
    log(f"done in {time.perf_counter() - started:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
