"""The window's benchmarks: the real main window, offscreen, against bare ifcopenshell.

`bench/run.py --only gui` drives this; each repetition is a fresh GUI process started as

    QT_QPA_PLATFORM=offscreen python bench/gui.py probe MODEL DATA_DIR [--rows N] [--busy-s S]

which builds the window (`build_main_window`, a fresh store in DATA_DIR, QSettings under a
temporary XDG_CONFIG_HOME), shows it, and prints one JSON object on stdout:

- a 10 ms repeating QTimer (Qt.PreciseTimer) runs the whole time; a tick's lateness is the gap
  since the previous tick minus 10 ms, with the GUI thread's CPU time over that gap (a late tick
  with little CPU is a thread that was not scheduled or waited, not one that computed).
  While the timer is 80 ms overdue, a watchdog thread samples the GUI thread's stack every
  25 ms: the stacks of the stalls, where the time went.
- open: `window.open_models([MODEL])` onto the worker the window started ahead (waited for: a
  user takes longer than its start to choose a model), timed to the first top-level rows of the tree model
  (`ModelTreeModel.rowsInserted` at the root), with `model_opened` and the first paint of the
  tree's viewport on the way; the stall is the largest lateness from the call to 1 s after.
- memory: VmRSS of this process only (/proc/self/status) before the model opens, 1 s after its
  tree is shown, and after the 100k-row table; with the largest mappings (smaps).
- busy run: a script iterating `entities` for BUSY_S seconds, printing a line every 200
  elements and reporting progress every 5000; the stall from Run to 0.5 s after it ended.
- table run: a script `show_table` of ROWS dicts (5 columns, GlobalIds of the model's elements
  cycled). Stamps: the worker's reply decoded (`RunSession.finish` called), `run_finished`
  (after the run is recorded in the store), the panes filled (`show_reply` returned) and the
  table's first rows painted (a Paint event on its viewport with rows in the model). The run's
  end in the worker is estimated as Run + the worker's `duration_s` (both monotonic clocks;
  the worker starts its clock after Run, so the estimate is early and the latency an upper
  bound).

The bare side, interleaved with the GUI processes by `measure()`: the wall time of a fresh
`python -c "import ifcopenshell; ifcopenshell.open(p)"` process (what drop-to-tree is compared
with: both include a Python start, the ifcopenshell import and the parse) and `bench/bare.py
memory` (RSS after open).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from typing import Any, Callable

from procs import process_tree

BENCH = Path(__file__).resolve().parent
TICK_MS = 10
SAMPLE_AFTER_S = 0.08  # the watchdog samples the GUI thread's stack once a tick is this late
SAMPLE_EVERY_S = 0.025
STALL_LIMIT_S = 0.100
OPEN_WAIT_S = 900.0
RUN_WAIT_S = 600.0
PROBE_WAIT_S = 1800.0
TABLE_ROWS = 100_000
BUSY_S = 2.0

BUSY_SCRIPT = textwrap.dedent("""\
    import datetime

    def now():
        return datetime.datetime.now().timestamp()

    start = now()
    n = lines = 0
    while now() - start < {seconds}:
        for e in entities:
            n += 1
            if n % 200 == 0:
                print(f"{{n}} {{e.ifc_guid}} {{e.ifc_type}} {{e.name}}")
                lines += 1
            if n % 5000 == 0:
                elapsed = now() - start
                progress(min(1.0, elapsed / {seconds}), f"{{n}} elements")
                if elapsed >= {seconds}:
                    break
    result = {{"iterations": n, "lines": lines}}
""")

TABLE_SCRIPT = textwrap.dedent("""\
    elements = list(entities)
    count = len(elements)
    rows = []
    for i in range({rows}):
        e = elements[i % count]
        rows.append({{"GlobalId": e.ifc_guid, "Class": e.ifc_type, "Name": e.name,
                      "Row": i, "Value": i * 0.25}})
    show_table(rows, title="{rows} rows")
""")


class ProbeError(Exception):
    """The GUI probe could not take a measurement."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- the GUI process ------------------------------------------------------------------------------
def _status_kb() -> dict[str, int]:
    found: dict[str, int] = {}
    with open("/proc/self/status") as handle:
        for line in handle:
            key = line.split(":", 1)[0]
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem"):
                found[key] = int(line.split()[1])
    return found


def _largest_mappings(count: int = 8) -> list[dict[str, Any]]:
    """The mappings holding the most resident memory, summed per file ([anon] for the heap)."""
    per: dict[str, int] = {}
    name = "[anon]"
    with open("/proc/self/smaps") as handle:
        for line in handle:
            first = line.split(maxsplit=6)
            if len(first) >= 5 and "-" in first[0] and ":" not in first[0]:
                name = first[5].strip() if len(first) > 5 and first[5].strip() else "[anon]"
                name = Path(name).name if name.startswith("/") else name
            elif line.startswith("Rss:"):
                per[name] = per.get(name, 0) + int(line.split()[1])
    top = sorted(per.items(), key=lambda kv: -kv[1])[:count]
    return [{"mapping": k, "rss_mb": round(v / 1024, 1)} for k, v in top]


def _memory_snapshot(mappings: bool = False) -> dict[str, Any]:
    status = _status_kb()
    out: dict[str, Any] = {k.lower() + "_mb": round(v / 1024, 1) for k, v in status.items()}
    if mappings:
        out["largest"] = _largest_mappings()
    return out


def probe(model: str, data_dir: str, rows: int, busy_s: float, stacks: bool) -> dict[str, Any]:
    from PySide6.QtCore import QEvent, QEventLoop, QObject, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    perf = time.perf_counter
    started = perf()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from ifcscript_desktop.core.protocol import run_reply
    from ifcscript_desktop.core.reply import RunReply
    from ifcscript_desktop.core.session import RunSession
    from ifcscript_desktop.ui.app import build_main_window

    window = build_main_window(data_dir, [])
    window.show()
    startup_s = perf() - started

    # -- waiting without spinning ---------------------------------------------------------
    def wait_until(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
        if predicate():
            return
        loop = QEventLoop()
        deadline = perf() + timeout_s
        check = QTimer()
        check.setInterval(20)
        check.timeout.connect(lambda: loop.quit() if predicate() or perf() > deadline else None)
        check.start()
        loop.exec()
        check.stop()
        if not predicate():
            raise ProbeError(f"{what} did not happen within {timeout_s:g} s")

    def pause(seconds: float) -> None:
        end = perf() + seconds
        wait_until(lambda: perf() >= end, seconds + 60, "a pause")

    # -- the stall probe ------------------------------------------------------------------
    ticks: list[tuple[float, float, float]] = []  # (time, lateness, GUI-thread CPU over the gap)
    stalls_stacks: list[dict[str, Any]] = []
    samples: collections.deque[tuple[float, list[str]]] = collections.deque()
    state = {"last": 0.0, "cpu": 0.0}
    main_id = threading.get_ident()  # the probe runs on the GUI thread
    stop = threading.Event()

    def frames_of(frame: Any) -> list[str]:
        """A stack, innermost first; the project's files from the package down."""
        frames = []
        while frame is not None:
            parts = Path(frame.f_code.co_filename).parts
            ours = "ifcscript_desktop" in parts[:-1]
            short = "/".join(parts[parts.index("ifcscript_desktop"):] if ours else parts[-2:])
            frames.append(f"{short}:{frame.f_lineno} {frame.f_code.co_name}")
            frame = frame.f_back
        return frames

    def watchdog() -> None:
        """Samples the GUI thread's stack while the timer is overdue. It needs the GIL: a stall
        inside one long C call that holds it (json.loads) is sampled just after, at its caller."""
        while not stop.wait(SAMPLE_EVERY_S):
            if state["last"] and perf() - state["last"] > SAMPLE_AFTER_S:
                frame = sys._current_frames().get(main_id)
                if frame is not None:
                    samples.append((perf(), frames_of(frame)))

    def tick() -> None:
        now, cpu = perf(), time.thread_time()
        late = now - state["last"] - TICK_MS / 1000
        ticks.append((now, late, cpu - state["cpu"]))
        if samples:
            taken = []
            while samples and samples[0][0] <= now:
                taken.append(samples.popleft()[1])
            if taken:
                stalls_stacks.append({"t": now, "late_s": late, "cpu_s": cpu - state["cpu"],
                                      "stacks": taken})
        state["last"], state["cpu"] = perf(), time.thread_time()

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(TICK_MS)
    timer.timeout.connect(tick)

    # -- paint watching -------------------------------------------------------------------
    class PaintWatch(QObject):
        def __init__(self, target: Any, ready: Callable[[], bool], stamp: Callable[[], None]) -> None:
            super().__init__()
            self.ready, self.stamp = ready, stamp
            target.installEventFilter(self)

        def eventFilter(self, obj: Any, event: Any) -> bool:  # noqa: N802 - Qt's name
            if event.type() == QEvent.Type.Paint and self.ready():
                QTimer.singleShot(0, self.stamp)  # runs once this paint has finished
            return False

    stamps: dict[str, float] = {}

    def stamp(name: str) -> Callable[..., None]:
        def record(*_args: Any) -> None:
            stamps.setdefault(name, perf())
        return record

    # Durations of the steps of delivering a run (bench-side wrappers: one clock read each).
    spans: list[tuple[str, float, float]] = []  # (what, start, seconds)

    def timed_attr(owner: Any, name: str, what: str) -> None:
        original = getattr(owner, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            begun = perf()
            try:
                return original(*args, **kwargs)
            finally:
                spans.append((what, begun, perf() - begun))

        setattr(owner, name, wrapper)

    timed_attr(RunSession, "_record", "record_reply")  # the session stores the run
    timed_attr(window.results, "show_reply", "show_reply")  # MainWindow._on_run_finished calls
    timed_attr(window.history, "refresh", "history_refresh")  # these two on the instances

    pause(1.0)  # the window's first layout and paint, the built-ins loaded: not timed
    rss_window = _memory_snapshot()
    state["last"], state["cpu"] = perf(), time.thread_time()
    timer.start()
    if stacks:
        threading.Thread(target=watchdog, name="stall-watchdog", daemon=True).start()
    pause(0.3)
    idle_end = perf()

    # -- open -----------------------------------------------------------------------------
    tree_model = window.tree.model
    tree_model.rowsInserted.connect(
        lambda parent, _first, _last: stamps.setdefault("tree", perf()) if not parent.isValid() else None)
    window.models.model_opened.connect(stamp("opened"))
    tree_watch = PaintWatch(window.tree.tree.viewport(), lambda: "tree" in stamps, stamp("tree_painted"))
    failures: list[str] = []
    window.models.open_failed.connect(failures.append)
    # As `ifcscript` starts the window: a worker started ahead of the model, which a user
    # takes longer than its start (~0.5 s) to choose.
    window.prepare_for_models()
    ahead = window.models.ahead
    wait_until(lambda: ahead is not None and ahead.ready, OPEN_WAIT_S, "the worker started ahead")
    stamps["open"] = perf()
    window.open_models([model])
    wait_until(lambda: "tree" in stamps or bool(failures), OPEN_WAIT_S, "the model tree")
    if failures:
        raise ProbeError(f"the window could not open the model: {failures[0]}")
    pause(1.0)
    stamps["open_settled"] = perf()
    rss_open = _memory_snapshot(mappings=True)
    active = window.models.active
    info = dict(active.info or {}) if active else {}
    worker_pid = active.handle.worker_pid if active else None

    # -- runs -----------------------------------------------------------------------------
    def run(code: str, title: str, prefix: str,
            after_shown: Callable[[], None] | None = None) -> RunReply:
        if window.models.active is None:
            raise ProbeError("no model is active in the window")
        replies: list[RunReply] = []
        finish = RunSession.finish

        def decoded(session: RunSession) -> RunReply:  # the client has the worker's reply
            stamps.setdefault(prefix + "decoded", perf())
            return finish(session)

        def shown(reply: RunReply) -> None:
            stamps.setdefault(prefix + "shown", perf())
            replies.append(reply)
            if after_shown is not None:
                after_shown()

        finished = stamp(prefix + "finished")
        setattr(RunSession, "finish", decoded)  # stamps before the run is recorded
        # Stamp run_finished before the window's own slot runs, and again once it returned.
        window.runs.run_finished.disconnect(window._on_run_finished)
        window.runs.run_finished.connect(finished)
        window.runs.run_finished.connect(window._on_run_finished)
        window.runs.run_finished.connect(shown)
        window.scripts.show_code(code, title)
        stamps[prefix + "run"] = perf()
        window.run_script()
        wait_until(lambda: bool(replies), RUN_WAIT_S, f"the {title} run")
        setattr(RunSession, "finish", finish)
        window.runs.run_finished.disconnect(finished)
        window.runs.run_finished.disconnect(shown)
        reply = replies[0]
        if reply.status != "success":
            raise ProbeError(f"the {title} run ended {reply.status}: {reply.error}\n"
                             f"{reply.traceback or ''}")
        stamps[prefix + "end_est"] = stamps[prefix + "run"] + (reply.duration_s or 0.0)
        return reply

    run(BUSY_SCRIPT.format(seconds=busy_s), "bench busy", "busy_")
    pause(0.5)
    stamps["busy_settled"] = perf()

    def table_ready() -> bool:
        tables = window.results.tables
        return bool(tables) and tables[0].model.rowCount() > 0

    watches: list[Any] = []

    def watch_table() -> None:
        if window.results.tables:
            watches.append(PaintWatch(window.results.tables[0].table.viewport(), table_ready,
                                      stamp("table_painted")))

    reply = run(TABLE_SCRIPT.format(rows=rows), "bench table", "table_", after_shown=watch_table)
    wait_until(lambda: "table_painted" in stamps, 30, "the first paint of the table")
    pause(0.5)
    stamps["table_settled"] = perf()
    timer.stop()
    stop.set()
    rss_table = _memory_snapshot()
    shown = window.results.tables[0]
    table = {"rows_in_reply": len(reply.tables[0].inline) if reply.tables else 0,
             "model_rows": shown.model.total_rows, "loaded_rows": shown.model.rowCount(),
             "worker_duration_s": reply.duration_s}
    # What decoding the reply costs on the GUI thread (after the measurement, not timed in it).
    frame = json.dumps(run_reply(1, reply.status, reply.error, duration_s=reply.duration_s,
                                 result=reply.result, tables=[t.record() for t in reply.tables],
                                 charts=list(reply.charts), highlights=list(reply.highlights),
                                 outputs=list(reply.outputs)), separators=(",", ":"))
    decode_s = min(_timed(json.loads, frame) for _ in range(2))
    table.update(reply_mb=round(len(frame) / 1e6, 1), decode_s=decode_s)

    tree_pids = process_tree(worker_pid) if worker_pid else []
    imported_ifcopenshell = "ifcopenshell" in sys.modules
    window.close()
    window.store.close()
    del tree_watch, watches

    # -- figures --------------------------------------------------------------------------
    def window_of(start: float, end: float) -> dict[str, Any]:
        inside = [t for t in ticks if start < t[0] <= end]
        worst = max(inside, key=lambda t: t[1], default=(end, 0.0, 0.0))
        over = [t for t in inside if t[1] > STALL_LIMIT_S]
        return {"max_late_s": worst[1], "max_late_at_s": worst[0] - start, "max_late_cpu_s": worst[2],
                "ticks": len(inside), "over_100ms": len(over),
                "p99_late_s": _quantile([t[1] for t in inside], 0.99)}

    def spent(what: str, start: str, end: str) -> float:
        return sum(d for w, t, d in spans if w == what and stamps[start] <= t <= stamps[end])

    for what in ("record_reply", "show_reply", "history_refresh"):
        table[what + "_s"] = spent(what, "table_run", "table_settled")
    rel = {k: v - stamps["open"] for k, v in stamps.items()}
    phases = {
        "idle": window_of(idle_end - 0.3, idle_end),
        "open": window_of(stamps["open"], stamps["open_settled"]),
        "busy_run": window_of(stamps["busy_run"], stamps["busy_settled"]),
        "table_run": window_of(stamps["table_run"], stamps["table_settled"]),
        "table_run_in_worker": window_of(stamps["table_run"], stamps["table_end_est"]),
        "table_delivery": window_of(stamps["table_end_est"], stamps["table_settled"]),
    }
    late_ticks = [{"t_s": round(t - stamps["open"], 3), "late_s": round(late, 4), "cpu_s": round(cpu, 4),
                   "phase": _phase_of(t, stamps)}
                  for t, late, cpu in ticks if late > 0.030]
    for s in stalls_stacks:
        s["t_s"] = round(s.pop("t") - stamps["open"], 3)
        s["phase"] = _phase_of(s["t_s"] + stamps["open"], stamps)
    return {
        "startup_s": startup_s,
        "info": info,
        "drop_to_tree_s": stamps["tree"] - stamps["open"],
        "drop_to_opened_s": stamps["opened"] - stamps["open"],
        "drop_to_tree_painted_s": rel.get("tree_painted"),
        "busy": {"worker_duration_s": stamps["busy_end_est"] - stamps["busy_run"]},
        "table": {**table,
                  "finished_to_painted_s": stamps["table_painted"] - stamps["table_finished"],
                  "finished_to_shown_s": stamps["table_shown"] - stamps["table_finished"],
                  "end_to_painted_s": stamps["table_painted"] - stamps["table_end_est"],
                  "end_to_decoded_s": stamps["table_decoded"] - stamps["table_end_est"],
                  "decoded_to_finished_s": stamps["table_finished"] - stamps["table_decoded"],
                  "shown_to_painted_s": stamps["table_painted"] - stamps["table_shown"]},
        "stall": phases,
        "rss": {"window_only": rss_window, "model_open": rss_open, "after_table": rss_table},
        "stamps_s": {k: round(v, 4) for k, v in rel.items()},
        "late_ticks": late_ticks[:400],
        "stall_stacks": stalls_stacks[:60],
        "worker_pids": tree_pids,
        "gui_imported_ifcopenshell": imported_ifcopenshell,
        "qpa": os.environ.get("QT_QPA_PLATFORM"),
        "app": type(app).__name__,
    }


def _phase_of(t: float, stamps: dict[str, float]) -> str:
    bounds = [("open", "open_settled"), ("busy_run", "busy_settled"), ("table_run", "table_settled")]
    for start, end in bounds:
        if start in stamps and end in stamps and stamps[start] < t <= stamps[end]:
            return start.replace("_run", "")
    return "between"


def _timed(fn: Callable[..., Any], *args: Any) -> float:
    started = time.perf_counter()
    fn(*args)
    return time.perf_counter() - started


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# -- the driver (run by bench/run.py) -------------------------------------------------------------
def _run(command: list[str], env: dict[str, str] | None = None, timeout: float = PROBE_WAIT_S
         ) -> tuple[float, str]:
    started = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ProbeError(f"{shlex.join(command)} did not finish within {timeout:g} s") from None
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-8:]
        raise ProbeError(f"{shlex.join(command)} exited with {done.returncode}: " + " | ".join(tail))
    return elapsed, done.stdout


def _last_json(stdout: str) -> dict[str, Any]:
    try:
        found: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise ProbeError(f"no JSON in the output: {stdout[-300:]!r}") from None
    return found


def _wait_gone(pids: list[int], timeout: float = 60.0) -> None:
    """Let a closed window's worker processes leave before the next measurement."""
    deadline = time.monotonic() + timeout
    for pid in pids:
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            try:
                with open(f"/proc/{pid}/stat") as handle:
                    if handle.read().rsplit(")", 1)[1].split()[0] == "Z":
                        break  # a zombie waiting for its parent: it uses no CPU any more
            except OSError:
                break
            time.sleep(0.05)


def probe_command(model: Path, data_dir: Path, rows: int, busy_s: float) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "probe", str(model), str(data_dir),
            "--rows", str(rows), "--busy-s", str(busy_s)]


def measure(model: Path, reps: int, tmp: Path, rows: int = TABLE_ROWS,
            busy_s: float = BUSY_S) -> dict[str, Any]:
    """`reps` fresh GUI processes interleaved with the bare processes; every sample."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp / "gui-config")}
    env.pop("QT_QUICK_BACKEND", None)
    bare_open = [sys.executable, "-c", f"import ifcopenshell; ifcopenshell.open({str(model)!r})"]
    bare_memory = [sys.executable, str(BENCH / "bare.py"), "memory", str(model)]
    # Untimed: every library the GUI, the worker and the bare side load into the page cache.
    _run([sys.executable, "-c", "import ifcopenshell, numpy, pandas, PySide6.QtWidgets; "
          "import ifcscript_desktop.ui.main_window, ifcscript_desktop.worker.server"])
    _run(bare_open)
    probes: list[dict[str, Any]] = []
    bare_open_s: list[float] = []
    bare_mem: list[dict[str, Any]] = []
    command = None
    for rep in range(reps):
        data_dir = tmp / f"gui-data-{rep}"
        command = probe_command(model, data_dir, rows, busy_s)

        def ours() -> None:
            _, out = _run(command, env=env)
            result = _last_json(out)
            _wait_gone(result.get("worker_pids") or [])
            probes.append(result)

        def bare() -> None:
            bare_open_s.append(_run(bare_open)[0])
            bare_mem.append(_last_json(_run(bare_memory)[1]))

        for step in ((ours, bare) if rep % 2 == 0 else (bare, ours)):
            step()
        log(f"  gui rep {rep + 1}/{reps}: drop-to-tree {probes[-1]['drop_to_tree_s']:.2f} s "
            f"(bare open {bare_open_s[-1]:.2f} s), stall open "
            f"{probes[-1]['stall']['open']['max_late_s'] * 1000:.0f} ms, busy "
            f"{probes[-1]['stall']['busy_run']['max_late_s'] * 1000:.0f} ms, table "
            f"{probes[-1]['stall']['table_run']['max_late_s'] * 1000:.0f} ms, table shown "
            f"{probes[-1]['table']['finished_to_painted_s'] * 1000:.0f} ms after run_finished")
    return {"commands": {"ours": "QT_QPA_PLATFORM=offscreen " + shlex.join(command or []),
                         "bare_open": shlex.join(bare_open), "bare_memory": shlex.join(bare_memory)},
            "table_rows": rows, "busy_s": busy_s, "probes": probes,
            "bare": {"open_s": bare_open_s, "memory": bare_mem}}


def summarise_stacks(probes: list[dict[str, Any]], limit: int = 6) -> list[dict[str, Any]]:
    """Where the stalls' stack samples were, by phase, most frequent first: the innermost frame,
    and the innermost frame of the project's own code when that is not the same."""
    counts: dict[tuple[str, str], int] = {}
    for p in probes:
        for s in p.get("stall_stacks") or []:
            for frames in s.get("stacks") or []:
                if not frames:
                    continue
                ours = next((f for f in frames if f.startswith("ifcscript_desktop/")), None)
                if frames[0].startswith("bench/gui.py"):  # back in the event loop: no Python runs
                    where = "Qt's event loop (C++ work, or the thread waiting for a CPU)"
                else:
                    where = frames[0] if ours in (None, frames[0]) else f"{frames[0]} in {ours}"
                key = (s["phase"], where.replace("ifcscript_desktop/", ""))
                counts[key] = counts.get(key, 0) + 1
    top = sorted(counts.items(), key=lambda kv: -kv[1])[:limit]
    return [{"phase": k[0], "where": k[1], "samples": n} for k, n in top]


def median(values: list[float]) -> float:
    return statistics.median(values)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="The GUI side of the window's benchmarks.")
    sub = parser.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("probe", help="one GUI process: open, runs, memory; prints JSON")
    p.add_argument("model")
    p.add_argument("data_dir")
    p.add_argument("--rows", type=int, default=TABLE_ROWS)
    p.add_argument("--busy-s", type=float, default=BUSY_S)
    p.add_argument("--no-stacks", action="store_true", help="no stack samples of stalls")
    args = parser.parse_args(argv)
    try:
        out = probe(str(Path(args.model).absolute()), args.data_dir, args.rows, args.busy_s,
                    not args.no_stacks)
    except ProbeError as exc:
        log(f"gui probe: {exc}")
        return 1
    print(json.dumps(out, default=str))
    sys.stdout.flush()
    os._exit(0)  # the window's workers were told to stop; skip Qt's teardown of the rest


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
