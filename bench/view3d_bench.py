"""The 3D view in the real window, run by `bench/run.py --only view3d`.

Each scenario is a fresh GUI process on a real X server with GL (Mesa's llvmpipe here), started as

    QT_QPA_PLATFORM=xcb python bench/view3d_bench.py probe MODEL DATA_DIR [--orbit S] [--dock-closed]

(under its own `xvfb-run -s "+extension GLX -screen 0 2560x1600x24"` when DISPLAY is unset;
without an X server and without xvfb-run the benchmark is skipped with a printed reason). The
probe sets `AA_ShareOpenGLContexts` as the app does, builds the window (`build_main_window`, a
store in DATA_DIR, QSettings under a temporary XDG_CONFIG_HOME), shows it at 1600x1000, opens the
model and prints one JSON object:

- stamps: `open_models` called, the tree's first top-level rows, `ModelGeometry.start` (the
  model's hash is known), the first batch in the scene, the first frame that drew triangles
  (the end of `paintGL`, and the `frameSwapped` after it: on screen), `finished` (every batch in
  the scene) and the first frame begun after it (everything on screen).
- first meshing vs cached reopen: a fresh DATA_DIR meshes (the worker forks its mesher into
  DATA_DIR/geometry); a second process on the same DATA_DIR reads the cache. Both are timed from
  the tree's rows (and from `ModelGeometry.start`) to everything on screen.
- the event loop: a 10 ms repeating QTimer (Qt.PreciseTimer); a tick's lateness is the gap
  since the previous one minus 10 ms, with the GUI thread's CPU time in the gap. Streaming is
  from the tree's rows to 1 s after everything is on screen. Class-level timing wrappers record
  every call of the GUI-side steps (`Scene.add_batch`, `merged`, `compact`, `bounds`,
  `ModelView.refresh`, `paintGL`, the GL items' uploads, the pane's slots) and the background
  thread's (`meshcache.load_batch`, `SceneLoader.batch`); each late tick (> 50 ms) is attributed
  to the GUI-side calls inside its gap (time per step); what is left is C++ work, the GIL held by
  the background thread, or a thread waiting for a CPU. `--cprofile FILE` also profiles the GUI
  thread.
- memory: VmRSS of the GUI process (its own) before `open_models` and 1 s after everything is on
  screen, vs the bytes of the arrays the 3D view holds: what the widget draws (`Scene.nbytes`:
  the merged arrays and the instanced meshes with their instances), the numpy arrays the GL items
  keep of their own (the coarse lists); reported beside them, the scene's other arrays (the
  per-geometry store, the per-element rows) and the GL buffers (llvmpipe keeps them in the
  process's memory). Target: RSS increase <= 2.5x (`Scene.nbytes` + the GL items' numpy).
- orbit (`--orbit S`): the 3D dock is floated and sized so the view is 1600x1000, then full
  frames (`camera.orbit` + `repaint()`, the `paintGL` time including `glFinish`) and a user's
  drag: a left press in the middle of the view, then a mouse move of 6 px every 16 ms for S
  seconds (the widget draws coarse frames while the camera moves and full frames are slow),
  counting the frames drawn (`paintGL` calls) and their times; then the release and the full
  frame once the camera rests.
- `--dock-closed`: `window.view3d_dock.close()` before the window is shown (a pane closed from
  the start); the probe waits for the
  geometry as usual (up to `--closed-wait` seconds when none comes) and reports whether a mesher
  ran and a scene was filled, and the RSS 1 s after the tree (the window's "GUI <= 0.2x bare RSS"
  moment) and after the geometry.

    python bench/view3d_bench.py --size 2k [--write]     # the sizes' scenarios, via run.py's helpers
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

from gui import ProbeError, _status_kb, log  # the GUI bench's probe helpers

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
FZK = ROOT / "tests" / "fixtures" / "AC20-FZK-Haus.ifc"
WINDOW_SIZE = (1600, 1000)
VIEW_SIZE = (1600, 1000)
XVFB_SCREEN = "+extension GLX -screen 0 2560x1600x24"
TICK_MS = 10
LATE_S = 0.050  # ticks later than this are attributed to the calls inside their gap
STALL_LIMIT_S = 0.100
FIRST_LIMIT_S = 1.0
CACHED_RATIO = 0.1
MEMORY_RATIO = 2.5
GEOMETRY_WAIT_S = 1800.0
PROBE_WAIT_S = 2400.0
MOVE_EVERY_MS = 16
MOVE_PX = 6


def _memory() -> dict[str, float]:
    """This process's memory in MB (VmRSS as `vmrss_mb`, ...), read as the GUI bench reads it."""
    return {k.lower() + "_mb": round(v / 1024, 1) for k, v in _status_kb().items()}


# -- the GUI process ------------------------------------------------------------------------------
class Spans:
    """Class-level timing wrappers: (name, on the GUI thread, start, seconds) per call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, bool, float, float]] = []
        self.main = threading.get_ident()

    def wrap(self, owner: Any, attr: str, name: str | None = None) -> None:
        original = getattr(owner, attr)
        label = name or f"{getattr(owner, '__name__', owner)}.{attr}"
        calls, main, perf = self.calls, self.main, time.perf_counter

        def timed(*args: Any, **kwargs: Any) -> Any:
            begun = perf()
            try:
                return original(*args, **kwargs)
            finally:
                calls.append((label, threading.get_ident() == main, begun, perf() - begun))

        setattr(owner, attr, timed)

    def totals(self, start: float, end: float, gui: bool | None = None) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for name, on_gui, begun, seconds in self.calls:
            if start <= begun <= end and (gui is None or on_gui == gui):
                entry = out.setdefault(name, {"calls": 0, "total_s": 0.0, "max_s": 0.0})
                entry["calls"] += 1
                entry["total_s"] += seconds
                entry["max_s"] = max(entry["max_s"], seconds)
        return {k: {"calls": v["calls"], "total_s": round(v["total_s"], 4), "max_s": round(v["max_s"], 4)}
                for k, v in sorted(out.items(), key=lambda kv: -kv[1]["total_s"])}

    def inside(self, start: float, end: float) -> dict[str, float]:
        """GUI-thread seconds per step within [start, end] (overlap of each call)."""
        out: dict[str, float] = {}
        for name, on_gui, begun, seconds in self.calls:
            if not on_gui:
                continue
            overlap = min(end, begun + seconds) - max(start, begun)
            if overlap > 0.0005:
                out[name] = round(out.get(name, 0.0) + overlap, 4)
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def probe(model: str, data_dir: str, orbit_s: float, dock_closed: bool, closed_wait_s: float,
          profile_path: str | None) -> dict[str, Any]:
    from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QPointF, Qt, QTimer
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    perf = time.perf_counter
    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from ifcscript_desktop.core import meshcache
    from ifcscript_desktop.ui.app import build_main_window
    from ifcscript_desktop.ui.view3d import gl_items, widget
    from ifcscript_desktop.ui.view3d.geometry import ModelGeometry
    from ifcscript_desktop.ui.view3d.loading import SceneLoader
    from ifcscript_desktop.ui.view3d.pane import View3DPane
    from ifcscript_desktop.ui.view3d.scene import Scene

    spans = Spans()
    for owner, attr in ((Scene, "add_batch"), (Scene, "merged"), (Scene, "compact"), (Scene, "bounds"),
                        (Scene, "coarse_triangles"), (widget.ModelView, "refresh"),
                        (widget.ModelView, "paintGL"), (widget.ModelView, "_start_coarse"),
                        (widget.ModelView, "_pick"), (gl_items.SceneItems, "update"),
                        (gl_items.ChunkBuffers, "_upload"), (ModelGeometry, "_on_batch_read"),
                        (ModelGeometry, "_on_mesh_event"), (View3DPane, "_on_scene_grew"),
                        (View3DPane, "_on_progress"), (View3DPane, "_show_state"),
                        (View3DPane, "show_model"), (SceneLoader, "batch")):
        spans.wrap(owner, attr)
    spans.wrap(meshcache, "load_batch", "meshcache.load_batch")

    stamps: dict[str, float] = {}
    frames: list[dict[str, Any]] = []  # every paintGL: end time, seconds, triangles drawn, coarse
    paint = widget.ModelView.paintGL  # already timed by `spans`

    def drawn(view: Any) -> int:
        """Triangles the view draws now: merged chunks' and instances' (mesh triangles x count)."""
        merged = sum(b._counts[2] + b._counts[3] if b._coarse is not None else b._counts[0] + b._counts[1]
                     for b in view._items._chunks)
        buffers = getattr(getattr(view, "_instances", None), "_buffers", None)
        if buffers is not None and len(buffers._meshes):
            for which in ((2, 3) if buffers._coarse is not None else (0, 1)):
                groups = buffers._groups[which]
                if len(groups) == len(buffers._meshes):
                    merged += int((groups[:, 1] * buffers._meshes[:, 1]).sum())
        return merged

    def paint_gl(view: Any) -> None:
        begun, cpu = perf(), time.process_time()
        complete = view.scene is not None and "finished" in stamps
        paint(view)
        end = perf()
        triangles = drawn(view)
        frames.append({"t": end, "s": end - begun, "cpu": time.process_time() - cpu,
                       "triangles": triangles, "coarse": view.coarse, "uploads": view.upload_count})
        if triangles:
            stamps.setdefault("first_paint", end)
            if complete:
                stamps.setdefault("all_paint", end)

    widget.ModelView.paintGL = paint_gl  # type: ignore[method-assign]

    start_geometry = ModelGeometry.start

    def started(self: Any, sha256: str) -> None:
        stamps.setdefault("geometry_start", perf())
        start_geometry(self, sha256)

    ModelGeometry.start = started  # type: ignore[method-assign]
    failures: list[str] = []
    init_geometry = ModelGeometry.__init__

    created_at: list[float] = []

    def created(self: Any, *args: Any, **kwargs: Any) -> None:
        init_geometry(self, *args, **kwargs)
        created_at.append(perf())
        self.finished.connect(lambda _summary: stamps.setdefault("finished", perf()))
        self.scene_grew.connect(lambda: stamps.setdefault("first_batch", perf())
                                if self.scene.element_count else None)
        self.failed.connect(failures.append)

    ModelGeometry.__init__ = created  # type: ignore[method-assign]

    def swapped() -> None:
        now = perf()
        if "first_paint" in stamps:
            stamps.setdefault("first_swap", now)
        if "all_paint" in stamps:
            stamps.setdefault("all_swap", now)

    # The pane makes its GL view when first needed: hook it as it is made, never make it here.
    init_view = widget.ModelView.__init__

    def view_made(self: Any, *args: Any, **kwargs: Any) -> None:
        init_view(self, *args, **kwargs)
        stamps.setdefault("view_made", perf())
        self.frameSwapped.connect(swapped)

    widget.ModelView.__init__ = view_made  # type: ignore[method-assign]

    window = build_main_window(data_dir, [])
    window.resize(*WINDOW_SIZE)
    if dock_closed:  # closed from the start (as a window restored with the pane closed)
        window.view3d_dock.close()
    window.show()

    def wait_until(predicate: Callable[[], bool], timeout_s: float, what: str, fail: bool = True) -> bool:
        if predicate():
            return True
        loop = QEventLoop()
        deadline = perf() + timeout_s
        check = QTimer()
        check.setInterval(20)
        check.timeout.connect(lambda: loop.quit() if predicate() or perf() > deadline else None)
        check.start()
        loop.exec()
        check.stop()
        if not predicate() and fail:
            raise ProbeError(f"{what} did not happen within {timeout_s:g} s")
        return predicate()

    def pause(seconds: float) -> None:
        end = perf() + seconds
        wait_until(lambda: perf() >= end, seconds + 60, "a pause")

    # -- the event loop's lateness, and stack samples of the stalls ---------------------------
    ticks: list[tuple[float, float, float]] = []  # (time, lateness, GUI-thread CPU in the gap)
    state = {"last": 0.0, "cpu": 0.0}
    samples: collections.deque[tuple[float, str]] = collections.deque()
    stop = threading.Event()
    main_id = threading.get_ident()

    def where(frame: Any) -> str:
        ours = None
        innermost = f"{Path(frame.f_code.co_filename).name}:{frame.f_lineno} {frame.f_code.co_name}"
        while frame is not None:
            if "ifcscript_desktop" in frame.f_code.co_filename and ours is None:
                ours = f"{Path(frame.f_code.co_filename).name}:{frame.f_lineno} {frame.f_code.co_name}"
            frame = frame.f_back
        return innermost if ours in (None, innermost) else f"{innermost} in {ours}"

    def watchdog() -> None:
        while not stop.wait(0.025):
            if state["last"] and perf() - state["last"] > 0.08:
                frame = sys._current_frames().get(main_id)
                if frame is not None:
                    samples.append((perf(), where(frame)))

    def tick() -> None:
        now, cpu = perf(), time.thread_time()
        ticks.append((now, now - state["last"] - TICK_MS / 1000, cpu - state["cpu"]))
        state["last"], state["cpu"] = now, cpu

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(TICK_MS)
    timer.timeout.connect(tick)

    pause(1.0)  # the window's first layout and paint, the built-ins loaded: not timed
    rss_before = _memory()
    load_before = [round(x, 2) for x in os.getloadavg()]
    state["last"], state["cpu"] = perf(), time.thread_time()
    timer.start()
    threading.Thread(target=watchdog, name="stall-watchdog", daemon=True).start()
    pause(0.3)

    window.tree.model.rowsInserted.connect(
        lambda parent, _first, _last: stamps.setdefault("tree", perf()) if not parent.isValid() else None)
    window.models.open_failed.connect(failures.append)
    profiler = cProfile.Profile() if profile_path else None
    stamps["open"] = perf()
    if profiler:
        profiler.enable()
    window.open_models([model])
    wait_until(lambda: "tree" in stamps or bool(failures), GEOMETRY_WAIT_S, "the model tree")
    if failures:
        raise ProbeError(f"the window could not open the model: {failures[0]}")

    def geometry() -> Any:
        return window.view3d.current

    def geometry_ended() -> bool:
        g = geometry()
        return g is not None and (g.summary is not None or (g.folder is not None and not g.busy))

    rss_tree: dict[str, Any] = {}
    if dock_closed:
        pause(1.0)
        rss_tree = _memory()
        from gui import _largest_mappings

        rss_tree["largest"] = _largest_mappings(6)
        # A closed pane should start nothing: give it the time a hash and a ping take, then
        # wait for its geometry only if it did start.
        active = window.models.active
        wait_until(lambda: active is not None and active.sha256 is not None, 60, "the model's hash",
                   fail=False)
        pause(3.0)
        if geometry() is not None:
            wait_until(lambda: geometry_ended() or bool(failures), closed_wait_s, "the geometry",
                       fail=False)
    else:
        wait_until(lambda: "first_paint" in stamps or bool(failures), GEOMETRY_WAIT_S, "the first triangles")
        wait_until(lambda: "all_swap" in stamps or bool(failures), GEOMETRY_WAIT_S, "everything on screen")
    if failures:
        raise ProbeError(f"the 3D view failed: {failures[-1]}")
    stamps["all_done"] = perf()
    pause(1.0)
    stamps["settled"] = perf()
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile_path)
    load_after = [round(x, 2) for x in os.getloadavg()]
    rss_after = _memory()
    try:  # what of the increase is freed memory the C heap keeps (fragments of grown arrays)
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
        rss_trimmed: dict[str, Any] = _memory()
    except (OSError, AttributeError):
        rss_trimmed = {}
    g = geometry()
    scene = g.scene if g is not None else None
    arrays = scene_arrays(scene) if scene is not None else {}
    view = window.view3d._view  # None while the pane never needed one
    if view is not None:
        arrays.update(gl_item_bytes(view))

    # -- orbit ------------------------------------------------------------------------------
    orbit: dict[str, Any] = {}
    if orbit_s > 0 and scene is not None and scene.element_count:
        orbit = measure_orbit(window, view, app, orbit_s, frames, spans, pause, wait_until, perf,
                              created_at, QEvent, QMouseEvent, QPointF, Qt, QTimer)
    timer.stop()
    stop.set()

    # -- figures ----------------------------------------------------------------------------
    def lateness(start: float, end: float) -> dict[str, Any]:
        inside = [t for t in ticks if start < t[0] <= end]
        worst = max(inside, key=lambda t: t[1], default=(end, 0.0, 0.0))
        late = sorted(t[1] for t in inside)
        return {"max_late_s": round(worst[1], 4), "max_late_at_s": round(worst[0] - stamps["open"], 3),
                "max_late_cpu_s": round(worst[2], 4), "ticks": len(inside),
                "over_100ms": sum(1 for t in inside if t[1] > STALL_LIMIT_S),
                "p99_late_s": round(late[min(len(late) - 1, int(0.99 * len(late)))], 4) if late else None}

    stream_start = stamps.get("tree", stamps["open"])
    stream_end = stamps["settled"]
    late_ticks = []
    for t, late, cpu in ticks:
        if late > LATE_S and stream_start < t <= stream_end:
            gap_start = t - late - TICK_MS / 1000
            late_ticks.append({"t_s": round(t - stamps["open"], 3), "late_s": round(late, 4),
                               "gui_cpu_s": round(cpu, 4), "calls_s": spans.inside(gap_start, t),
                               "stacks": [w for s, w in samples if gap_start <= s <= t][:6]})
    rel = {k: round(v - stamps["open"], 4) for k, v in stamps.items()}
    figures: dict[str, Any] = {
        "model": model, "dock_closed": dock_closed,
        "loadavg_before": load_before, "loadavg_after": load_after,
        "stamps_s": rel,
        "from_cache": bool(g.from_cache) if g is not None else None,
        "geometry_exists": g is not None,
        "mesher_started": bool(g is not None and (g.meshing is not None or g.mesher_pid)),
        "scene_elements": scene.element_count if scene is not None else 0,
        "summary_elements": g.summary.elements if g is not None and g.summary else None,
        "tree_to_first_paint_s": _gap(stamps, "tree", "first_paint"),
        "tree_to_first_swap_s": _gap(stamps, "tree", "first_swap"),
        "tree_to_all_swap_s": _gap(stamps, "tree", "all_swap"),
        "start_to_all_swap_s": _gap(stamps, "geometry_start", "all_swap"),
        "open_to_tree_s": _gap(stamps, "open", "tree"),
        "stream": lateness(stream_start, stream_end),
        "late_ticks": late_ticks[:80],
        "calls_gui": spans.totals(stream_start, stream_end, gui=True),
        "calls_background": spans.totals(stream_start, stream_end, gui=False),
        "frames_streaming": len([f for f in frames if stream_start < f["t"] <= stream_end]),
        "rss": {"before": rss_before, "tree": rss_tree, "after": rss_after, "after_malloc_trim": rss_trimmed},
        "arrays": arrays,
        "orbit": orbit,
        "geometries_created": len(created_at),
        "gui_imported_ifcopenshell": "ifcopenshell" in sys.modules,
        "gl_renderer": gl_renderer(view) if view is not None else None,
        "gl_view_made": view is not None,
    }
    worker = window.models.active.handle.worker_pid if window.models.active else None
    figures["worker_pid"] = worker
    window.view3d.shutdown()
    window.close()
    return figures


def _gap(stamps: dict[str, float], a: str, b: str) -> float | None:
    return round(stamps[b] - stamps[a], 4) if a in stamps and b in stamps else None


def scene_arrays(scene: Any) -> dict[str, int]:
    """Bytes of the scene's arrays: what the GL widget draws (`nbytes`: merged arrays, instanced
    meshes and instances) and the rest (the per-geometry store, the rows), capacity included."""
    from ifcscript_desktop.ui.view3d.arrays import Grow

    other = sum(v.data.nbytes for v in vars(scene).values() if isinstance(v, Grow))
    positions = sum(c.positions.data.nbytes for c in scene._chunks)
    return {"scene_merged_bytes": int(scene.nbytes), "scene_other_bytes": int(other),
            "scene_merged_positions_bytes": int(positions), "chunks": len(scene._chunks),
            "merged_vertices": int(sum(c.positions.size for c in scene._chunks)),
            "merged_triangles": int(sum(c.triangles.size for c in scene._chunks)),
            "geometry_vertex_count": int(scene.geometry_vertex_count),
            "instance_rows": int(getattr(scene, "instance_count", 0)),
            "element_rows": int(scene.element_count)}


def gl_item_bytes(view: Any) -> dict[str, int]:
    """Numpy the GL items keep of their own (coarse lists), and the GL buffers' sizes."""
    numpy_bytes = 0
    buffer_bytes = 0
    chunks = view._items._chunks
    for buffers in chunks:
        if buffers._coarse is not None:
            numpy_bytes += sum(a.nbytes for a in buffers._coarse)
    gl_buffers = [b for buffers in chunks for b in (buffers._positions, buffers._colors, *buffers._indices)]
    instances = getattr(getattr(view, "_instances", None), "_buffers", None)
    draw_calls = 0
    if instances is not None:
        if instances._coarse is not None:
            numpy_bytes += instances._coarse.opaque.nbytes + instances._coarse.transparent.nbytes
        gl_buffers += [instances._positions, instances._triangles, *instances._instances]
        draw_calls = sum(int((g[:, 1] > 0).sum()) for g in instances._groups[:2] if len(g))
    if gl_buffers and view.isValid():
        view.makeCurrent()
        for buffer in gl_buffers:
            if buffer.isCreated() and buffer.bind():
                buffer_bytes += max(0, buffer.size())
                buffer.release()
        view.doneCurrent()
    return {"gl_items_numpy_bytes": int(numpy_bytes), "gl_buffer_bytes": int(buffer_bytes),
            "instance_draw_calls": draw_calls}


def gl_renderer(view: Any) -> str | None:
    try:
        from OpenGL import GL

        view.makeCurrent()
        name = GL.glGetString(GL.GL_RENDERER)
        view.doneCurrent()
        return name.decode() if isinstance(name, bytes) else str(name)
    except Exception:  # noqa: BLE001 - informative only
        return None


def measure_orbit(window: Any, view: Any, app: Any, seconds: float, frames: list[dict[str, Any]],
                  spans: Spans, pause: Callable[[float], None], wait_until: Callable[..., bool],
                  perf: Callable[[], float], created: list[float], QEvent: Any, QMouseEvent: Any, QPointF: Any, Qt: Any, QTimer: Any) -> dict[str, Any]:
    """Full frames, then a user's drag (coarse frames), with the view at VIEW_SIZE."""
    dock = window.view3d_dock
    made = len(created)
    dock.setFloating(True)
    pause(0.5)
    # Floating hides and shows the dock: a pane that drops its scene when hidden reads it again.
    pane = window.view3d
    reload_begun = perf()
    ok = wait_until(lambda: pane.current is not None and pane.current.summary is not None,
                    GEOMETRY_WAIT_S, "the geometry after floating the dock", fail=False)
    reloaded = {"geometries_created": len(created) - made,
                "reload_s": round(perf() - reload_begun, 3) if len(created) > made else 0.0,
                "reload_ok": ok}
    for _ in range(3):  # the floating window's decorations and layout settle
        dw, dh = dock.width() - view.width(), dock.height() - view.height()
        dock.resize(VIEW_SIZE[0] + dw, VIEW_SIZE[1] + dh)
        pause(0.4)
    size = [view.width(), view.height()]
    for _ in range(2):  # the new window's context: anything left to upload is uploaded here
        view.camera.orbit(2.0, 0.0)
        view.repaint()
    full, wall, full_cpu = [], [], []
    for _ in range(8):
        view.camera.orbit(3.0, 0.0)
        n = len(frames)
        begun = perf()
        view.update()  # a frame through the event loop (repaint() may draw nothing when hidden)
        wait_until(lambda: len(frames) > n, 30, "a full frame", fail=False)
        wall.append(perf() - begun)
        full.extend(f["s"] for f in frames[n:n + 1])
        full_cpu.extend(f["cpu"] for f in frames[n:n + 1])
    frame_ms_widget = view.frame_ms

    # A user's drag: press in the middle, a move every MOVE_EVERY_MS, paints as the loop allows.
    centre = QPointF(view.width() / 2, view.height() / 2)
    left, none = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    press_begun = perf()
    app.sendEvent(view, QMouseEvent(QEvent.Type.MouseButtonPress, centre, view.mapToGlobal(centre),
                                    left, left, none))
    press_s = perf() - press_begun
    position = {"x": centre.x(), "moves": 0}

    def move() -> None:
        position["x"] += MOVE_PX
        position["moves"] += 1
        point = QPointF(position["x"], centre.y())
        app.sendEvent(view, QMouseEvent(QEvent.Type.MouseMove, point, view.mapToGlobal(point),
                                        Qt.MouseButton.NoButton, left, none))

    mover = QTimer()
    mover.setInterval(MOVE_EVERY_MS)
    mover.timeout.connect(move)
    n = len(frames)
    drag_begun = perf()
    mover.start()
    pause(seconds)
    mover.stop()
    drag_end = perf()
    drag = frames[n:]
    release_point = QPointF(position["x"], centre.y())
    app.sendEvent(view, QMouseEvent(QEvent.Type.MouseButtonRelease, release_point,
                                    view.mapToGlobal(release_point), left, Qt.MouseButton.NoButton, none))
    n = len(frames)
    pause(0.6)  # the camera rests: the widget draws the whole scene again
    rested = frames[n:]
    coarse = [f for f in drag if f["coarse"]]
    whole = [f for f in drag if not f["coarse"]]
    lo, hi = view.scene.element_bounds if view.scene is not None else (None, None)

    def med(values: list[float]) -> float | None:
        return round(sorted(values)[len(values) // 2], 4) if values else None

    return {
        "after_floating": reloaded,
        "view_size": size,
        "full_frame_s": [round(x, 4) for x in full], "full_frame_median_s": med(full),
        "full_frame_cpu_median_s": med(full_cpu),
        "coarse_frame_cpu_median_s": med([f["cpu"] for f in coarse]),
        "full_repaint_wall_s": [round(x, 4) for x in wall], "widget_frame_ms": round(frame_ms_widget, 1),
        "press_pick_s": round(press_s, 4),
        "drag_s": round(drag_end - drag_begun, 3), "moves": position["moves"],
        "drag_frames": len(drag), "drag_fps": round(len(drag) / (drag_end - drag_begun), 2),
        "coarse_frames": len(coarse), "coarse_frame_s": [round(f["s"], 4) for f in coarse][:60],
        "coarse_frame_median_s": med([f["s"] for f in coarse]),
        "coarse_triangles": [f["triangles"] for f in coarse][:60],
        "whole_frames_while_dragging": len(whole),
        "whole_frame_s_while_dragging": [round(f["s"], 4) for f in whole][:20],
        "rested_frames_s": [round(f["s"], 4) for f in rested],
        "triangles_full": frames[-1]["triangles"] if frames else None,
        "calls_gui_drag": spans.totals(drag_begun, drag_end, gui=True),
        "elements": int(len(lo)) if lo is not None else 0,
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }


def probe_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="one GUI process: open a model, its 3D view; JSON")
    parser.add_argument("model")
    parser.add_argument("data_dir")
    parser.add_argument("--orbit", type=float, default=0.0, help="seconds of dragging (0: none)")
    parser.add_argument("--dock-closed", action="store_true")
    parser.add_argument("--closed-wait", type=float, default=GEOMETRY_WAIT_S)
    parser.add_argument("--cprofile", help="write a cProfile of the GUI thread here")
    parser.add_argument("--notify-every", type=float,
                        help="set geometry.NOTIFY_EVERY_S (0: the pane hears of every batch)")
    parser.add_argument("--read-together", type=int,
                        help="set geometry.READ_TOGETHER (1: one batch per read)")
    args = parser.parse_args(argv)
    from ifcscript_desktop.ui.view3d import geometry

    if args.notify_every is not None:
        geometry.NOTIFY_EVERY_S = args.notify_every
    if args.read_together is not None:
        geometry.READ_TOGETHER = args.read_together
    try:
        out = probe(str(Path(args.model).absolute()), args.data_dir, args.orbit, args.dock_closed,
                    args.closed_wait, args.cprofile)
    except ProbeError as exc:
        log(f"view3d probe: {exc}")
        return 1
    print(json.dumps(out, default=str))
    sys.stdout.flush()
    os._exit(0)  # the window's workers were told to stop; skip Qt's teardown of the rest


# -- the driver -----------------------------------------------------------------------------------
def display_prefix() -> tuple[list[str] | None, str]:
    """The command prefix that gives the probe an X server with GL, or None and why not."""
    if os.environ.get("DISPLAY"):
        return [], f"the X server on DISPLAY={os.environ['DISPLAY']}"
    xvfb = shutil.which("xvfb-run")
    if xvfb:
        return [xvfb, "-a", "-s", XVFB_SCREEN], f"xvfb-run -s {XVFB_SCREEN!r}"
    return None, "no X server (DISPLAY is unset) and no xvfb-run: the 3D view needs GL on X"


def run_probe(model: Path, data_dir: Path, tmp: Path, *, orbit_s: float = 0.0,
              dock_closed: bool = False, closed_wait_s: float = GEOMETRY_WAIT_S,
              profile: Path | None = None, notify_every: float | None = None,
              read_together: int | None = None, offscreen: bool = False) -> dict[str, Any]:
    prefix, _ = ([], "") if offscreen else display_prefix()
    if prefix is None:
        raise ProbeError("no X server")
    command = [sys.executable, str(Path(__file__).resolve()), "probe", str(model), str(data_dir)]
    if orbit_s:
        command += ["--orbit", f"{orbit_s:g}"]
    if dock_closed:
        command += ["--dock-closed", "--closed-wait", f"{closed_wait_s:g}"]
    if profile:
        command += ["--cprofile", str(profile)]
    if notify_every is not None:
        command += ["--notify-every", f"{notify_every:g}"]
    if read_together is not None:
        command += ["--read-together", str(read_together)]
    config = Path(tempfile.mkdtemp(prefix="gui-config-", dir=tmp))
    platform = "offscreen" if offscreen else "xcb"
    env = {**os.environ, "QT_QPA_PLATFORM": platform, "XDG_CONFIG_HOME": str(config)}
    env.pop("QT_QUICK_BACKEND", None)
    try:
        done = subprocess.run(prefix + command, capture_output=True, text=True, env=env,
                              timeout=PROBE_WAIT_S)
    except subprocess.TimeoutExpired:
        raise ProbeError(f"{shlex.join(command)} did not finish within {PROBE_WAIT_S:g} s") from None
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-8:]
        raise ProbeError(f"{shlex.join(command)} exited with {done.returncode}: " + " | ".join(tail))
    try:
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise ProbeError(f"no JSON in the output: {done.stdout[-300:]!r}") from None
    result["command"] = f"QT_QPA_PLATFORM={platform} " + shlex.join(prefix + command)
    _wait_gone(result.get("worker_pid"))
    return result


def _wait_gone(pid: int | None, timeout: float = 60.0) -> None:
    """Let the closed window's worker (and its mesher) leave before the next measurement."""
    if not pid:
        return
    deadline = time.monotonic() + timeout
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                if handle.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return
        except OSError:
            return
        time.sleep(0.05)


#: Per size: first meshings (each a fresh data dir), cached reopens, seconds of dragging, and
#: whether the FZK house is measured too.
PLANS = {"tiny": (1, 1, 1.0, False), "2k": (2, 2, 2.0, True), "20k": (1, 2, 3.0, False),
         "100k": (1, 2, 4.0, False)}


def measure_model(label: str, model: Path, tmp: Path, first_reps: int, cached_reps: int,
                  orbit_s: float) -> dict[str, Any]:
    first, cached = [], []
    data_dir = tmp / f"view3d-{label}-0"
    for rep in range(first_reps):
        data_dir = tmp / f"view3d-{label}-{rep}"
        first.append(run_probe(model, data_dir, tmp))
        log(f"  {label} first meshing: {_line(first[-1])}")
    for rep in range(cached_reps):
        cached.append(run_probe(model, data_dir, tmp, orbit_s=orbit_s if rep == 0 else 0.0))
        log(f"  {label} cached reopen: {_line(cached[-1])}")
    return {"first": first, "cached": cached}


def _line(p: dict[str, Any]) -> str:
    def ms(v: float | None) -> str:
        return "—" if v is None else f"{v * 1000:.0f} ms"
    o = p.get("orbit") or {}
    extra = (f", full frame {ms(o.get('full_frame_median_s'))}, drag {o.get('drag_fps')} fps "
             f"(coarse {ms(o.get('coarse_frame_median_s'))})" if o else "")
    return (f"tree->first {ms(p['tree_to_first_swap_s'])}, tree->all {ms(p['tree_to_all_swap_s'])}, "
            f"max late {ms(p['stream']['max_late_s'])}, RSS +"
            f"{p['rss']['after']['vmrss_mb'] - p['rss']['before']['vmrss_mb']:.0f} MB{extra}; "
            f"load {p['loadavg_before'][0]}")


def bench(size: str, model: Path, tmp: Path, harness: Any, write: bool = False) -> dict[str, Any]:
    """The `view3d` benchmark for one size (skipped, with the reason printed, without X)."""
    prefix, how = display_prefix()
    if prefix is None:
        log(f"[{size}] view3d skipped: {how}")
        return {"skipped": how, "rows": []}
    first_reps, cached_reps, orbit_s, fzk = PLANS.get(size, PLANS["20k"])
    models = ([("FZK", FZK)] if fzk and FZK.exists() else []) + [(size, model)]
    measured: dict[str, Any] = {}
    try:
        for label, path in models:
            measured[label] = measure_model(label, path, tmp, first_reps, cached_reps, orbit_s)
        closed = run_probe(model, tmp / "view3d-closed", tmp, dock_closed=True)
        # The window's RSS target is measured offscreen (bench/gui.py): the same there.
        closed["offscreen"] = run_probe(model, tmp / "view3d-closed-offscreen", tmp, dock_closed=True,
                                        offscreen=True)["rss"]
        log(f"  {size} dock closed: mesher {'ran' if closed['mesher_started'] else 'did not run'}, "
            f"scene {closed['scene_elements']} rows, RSS {closed['rss']['after']['vmrss_mb']} MB")
        bare = harness.bare_json("memory", str(model))
    except ProbeError as exc:
        raise harness.BenchError(str(exc)) from None
    return {"display": how, "samples": measured, "dock_closed": closed, "bare_memory": bare,
            "rows": rows(size, measured, closed, bare, harness)}


def rows(size: str, measured: dict[str, Any], closed: dict[str, Any], bare: dict[str, Any],
         harness: Any) -> list[dict[str, Any]]:
    row, fmt, median = harness.row, harness.fmt, harness.median
    largest = size == harness.LARGEST
    out = []

    def loads(probes: list[dict[str, Any]]) -> str:
        values = [p["loadavg_before"][0] for p in probes]
        return f"{min(values):.2f}" if len(set(values)) == 1 else f"{min(values):.2f}-{max(values):.2f}"

    for label, m in measured.items():
        first, cached = m["first"], m["cached"]
        everyone = first + cached
        name = "FZK house" if label == "FZK" else f"{label} model"
        values = [p["tree_to_first_swap_s"] for p in everyone if p["tree_to_first_swap_s"] is not None]
        out.append(row(
            f"{name}: tree shown to the first triangles on screen (first meshing and cached)",
            max(values), None, "s", "<= 1 s", FIRST_LIMIT_S if size in ("2k", "tiny") else None,
            compare="value",
            note=f"worst of {len(values)}; first meshing "
                 + ", ".join(fmt(p["tree_to_first_swap_s"], "s") for p in first) + "; cached "
                 + ", ".join(fmt(p["tree_to_first_swap_s"], "s") for p in cached)
                 + f"; first batch in the scene at "
                 + ", ".join(fmt(_rel(p, "tree", "first_batch"), "s") for p in everyone)
                 + f" after the tree; 1-min load {loads(everyone)}"
                 + ("; repeated (first meshing) at 1-min load " + loads(m["first_repeat"]) + ": "
                    + ", ".join(fmt(p["tree_to_first_swap_s"], "s") for p in m["first_repeat"])
                    if m.get("first_repeat") else "")))
        f_all = median([p["tree_to_all_swap_s"] for p in first])
        c_all = median([p["tree_to_all_swap_s"] for p in cached])
        out.append(row(
            f"{name}: cached reopen vs first meshing, tree shown to everything on screen",
            c_all, f_all, "s", ">= 10x faster (ratio <= 0.1x)", CACHED_RATIO, applies=largest,
            note=f"from `ModelGeometry.start`: cached "
                 f"{fmt(median([p['start_to_all_swap_s'] for p in cached]), 's')}, first "
                 f"{fmt(median([p['start_to_all_swap_s'] for p in first]), 's')}; "
                 f"{first[0]['scene_elements']} element rows; 1-min load {loads(everyone)}"))
        now = m.get("cached_now") or []
        if now:
            o_now = now[0].get("orbit") or {}
            out.append(row(
                f"{name}: cached reopen again after 8d86eec (coarse frames while streaming), tree "
                "shown to everything on screen", now[0]["tree_to_all_swap_s"], f_all, "s",
                "report", None,
                note=f"longest stall {fmt(now[0]['stream']['max_late_s'], 's')} "
                     f"({now[0]['stream']['over_100ms']} ticks over 100 ms, p99 "
                     f"{fmt(now[0]['stream']['p99_late_s'], 's')}; {_causes(now[0])}); full frame "
                     f"{fmt(o_now.get('full_frame_median_s'), 's')}, drag {o_now.get('drag_fps')} fps "
                     f"(coarse {fmt(o_now.get('coarse_frame_median_s'), 's')}); RSS +"
                     f"{now[0]['rss']['after']['vmrss_mb'] - now[0]['rss']['before']['vmrss_mb']:.0f} MB; "
                     f"1-min load {loads(now)}"))
        before = m.get("cached_before") or []
        if before:
            out.append(row(
                f"{name}: cached reopen as before 76e5b05/712494c (the pane told of every batch, "
                "one batch per read; `--notify-every 0 --read-together 1`) vs now, tree shown to "
                "everything on screen", median([p["tree_to_all_swap_s"] for p in before]), c_all, "s",
                "report", None,
                note=f"frames drawn while loading: before {before[0]['frames_streaming']}, now "
                     f"{cached[0]['frames_streaming']}; longest stall before "
                     f"{fmt(before[0]['stream']['max_late_s'], 's')}; 1-min load {loads(before)}"))
        for kind, probes in (("first meshing", first), ("cached reopen", cached)):
            worst = max(probes, key=lambda p: p["stream"]["max_late_s"])
            causes = _causes(worst)
            out.append(row(
                f"{name}: event loop's longest stall while geometry streams in ({kind}, tree to "
                f"1 s after everything is on screen)", worst["stream"]["max_late_s"], None, "s",
                "<= 100 ms", STALL_LIMIT_S, applies=largest, compare="value",
                note=f"worst of {len(probes)}; {worst['stream']['over_100ms']} ticks over 100 ms, p99 "
                     f"{fmt(worst['stream']['p99_late_s'], 's')}; GUI-thread CPU in the worst "
                     f"{fmt(worst['stream']['max_late_cpu_s'], 's')}; {causes}; 1-min load "
                     f"{loads(probes)}"))
        shown = cached[0]
        o = shown.get("orbit") or {}
        if o:
            out.append(row(
                f"{name}: orbit, full frame at {o['view_size'][0]}x{o['view_size'][1]} "
                f"({shown.get('gl_renderer')})", o["full_frame_median_s"], None, "s", "report", None,
                compare="value",
                note=f"{1 / o['full_frame_median_s']:.1f} fps; {o['triangles_full']:,} triangles; CPU "
                     f"time of the process's threads (llvmpipe's too) per frame "
                     f"{fmt(o.get('full_frame_cpu_median_s'), 's')}; "
                     f"frames " + ", ".join(fmt(x, "s") for x in o["full_frame_s"])
                     + f"; 1-min load {o['loadavg'][0]:.2f}"))
            out.append(row(
                f"{name}: orbit by mouse drag ({o['drag_s']:.1f} s, a 6 px move every 16 ms), "
                "frames drawn per second", o["drag_fps"], None, "fps", "report (10 fps hard)", None,
                compare="value",
                note=f"{o['drag_frames']} frames, {o['coarse_frames']} coarse: median "
                     f"{fmt(o['coarse_frame_median_s'], 's')}, triangles "
                     f"{_span(o['coarse_triangles'])}; {o['whole_frames_while_dragging']} whole "
                     f"frames while dragging; the press's pick {fmt(o['press_pick_s'], 's')}; "
                     f"GUI calls while dragging: {_top(o['calls_gui_drag'], 4)}; floating the "
                     f"dock (to size the view) made the pane read its scene again: "
                     f"{'yes, ' + fmt(o['after_floating']['reload_s'], 's') if o['after_floating']['geometries_created'] else 'no'}; 1-min load "
                     f"{o['loadavg'][0]:.2f}"))
        a = shown["arrays"]
        held = a["scene_merged_bytes"] + a["gl_items_numpy_bytes"]
        increases = [(p["rss"]["after"]["vmrss_mb"] - p["rss"]["before"]["vmrss_mb"]) for p in cached]
        out.append(row(
            f"{name}: GUI RSS increase, open to everything shown (cached reopen) vs the arrays the "
            "view holds (`Scene.nbytes` + GL items' own numpy)", median(increases), held / 1e6, "MB",
            "<= 2.5x the arrays", MEMORY_RATIO, applies=largest,
            note=f"first meshing +"
                 + ", ".join(f"{p['rss']['after']['vmrss_mb'] - p['rss']['before']['vmrss_mb']:.0f}"
                             for p in first)
                 + f" MB (peak VmHWM {max(p['rss']['after']['vmhwm_mb'] for p in first):.0f} MB); "
                 + (f"after malloc_trim(0) +{shown['rss']['after_malloc_trim']['vmrss_mb'] - shown['rss']['before']['vmrss_mb']:.0f} MB; "
                    if shown["rss"].get("after_malloc_trim") else "")
                 + f"drawn arrays (`Scene.nbytes`) {a['scene_merged_bytes'] / 1e6:.1f} MB ({a['merged_vertices']:,} merged "
                 f"vertices, {a['merged_triangles']:,} triangles, {a['chunks']} chunks; "
                 f"{a.get('instance_rows', 0):,} rows drawn as instances in "
                 f"{a.get('instance_draw_calls', 0):,} instanced draw calls), the scene's "
                 f"other arrays {a['scene_other_bytes'] / 1e6:.1f} MB, GL buffers "
                 f"{a['gl_buffer_bytes'] / 1e6:.1f} MB (in process memory on llvmpipe)"))
    rss_tree = closed["rss"]["tree"].get("vmrss_mb")
    out.append(row(
        "3D dock closed from the start: GUI RSS 1 s after the tree vs bare RSS after open",
        rss_tree, bare["rss_mb"], "MB", "<= 0.2x bare", 0.2, applies=largest,
        note=(f"the closed dock still builds a scene ({'from the cache' if closed['from_cache'] else 'a mesher forked'}"
              f", {closed['scene_elements']:,} element rows, "
              f"{(closed['arrays'].get('scene_merged_bytes', 0) + closed['arrays'].get('scene_other_bytes', 0)) / 1e6:.1f} MB of arrays); "
              if closed["geometry_exists"] else "the closed dock starts no meshing and holds no scene; ")
             + f"RSS at the end {closed['rss']['after']['vmrss_mb']:.0f} MB; "
             + f"before open {closed['rss']['before']['vmrss_mb']:.0f} MB (anonymous "
             f"{closed['rss']['before'].get('rssanon_mb', 0):.0f} MB, files "
             f"{closed['rss']['before'].get('rssfile_mb', 0):.0f} MB; largest: "
             + ", ".join(f"{m['mapping']} {m['rss_mb']:.0f}" for m in closed['rss']['tree'].get('largest', [])[:4])
             + f"); offscreen (as bench/gui.py measures) 1 s after the tree "
             f"{closed.get('offscreen', {}).get('tree', {}).get('vmrss_mb', 0):.0f} MB; 1-min load "
             f"{closed['loadavg_before'][0]:.2f}"))
    return out


def _rel(p: dict[str, Any], a: str, b: str) -> float | None:
    s = p["stamps_s"]
    return s[b] - s[a] if a in s and b in s else None


def _span(values: list[int]) -> str:
    return f"{min(values):,}-{max(values):,}" if values else "—"


def _top(calls: dict[str, dict[str, float]], n: int) -> str:
    items = list(calls.items())[:n]
    return ", ".join(f"{k} {v['calls']}x {v['total_s'] * 1000:.0f} ms (max {v['max_s'] * 1000:.0f})"
                     for k, v in items) or "none"


def _causes(p: dict[str, Any]) -> str:
    """The worst late tick's gap: the GUI-side calls in it, or what the stack samples saw."""
    if not p["late_ticks"]:
        return "no tick later than 50 ms"
    worst = max(p["late_ticks"], key=lambda t: t["late_s"])
    calls = ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in list(worst["calls_s"].items())[:4])
    return (f"in the worst gap: {calls or 'none of the timed calls'}"
            + (f" (stack samples: {'; '.join(worst['stacks'][:2])})" if worst["stacks"] else "")
            + f"; all GUI calls while streaming: {_top(p['calls_gui'], 4)}")


# -- docs -----------------------------------------------------------------------------------------
TITLE = "3D view (real window, llvmpipe): first triangles, cached reopen, stalls, orbit, memory"


def main(argv: list[str] | None = None) -> int:
    """`python bench/view3d_bench.py --size S [--write]` (or `probe ...`, one GUI process)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "probe":
        return probe_main(argv[1:])
    sys.path.insert(0, str(BENCH))
    import datetime

    import run as harness

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="2k", help="tiny, 2k, 20k or 100k")
    parser.add_argument("--write", action="store_true",
                        help="write bench/results/view3d-SIZE.json and this section of docs/benchmarks.md")
    args = parser.parse_args(argv)
    context = {"command": shlex.join(["python", "bench/view3d_bench.py", *argv]),
               "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
               "git": harness.git_commit(), "machine": harness.machine()}
    with tempfile.TemporaryDirectory(prefix=f"ifcscript-view3d-{args.size}-") as tmp_name:
        tmp = Path(tmp_name)
        model = harness.model_for(args.size, args.write, tmp)
        load = [round(x, 2) for x in os.getloadavg()]
        try:
            result = bench(args.size, model, tmp, harness, args.write)
        except harness.BenchError as exc:
            log(f"[{args.size}] view3d: {exc}")
            return 1
    result = {"benchmark": "view3d", "size": args.size,
              "model": {"path": str(model), "name": model.name, "mb": model.stat().st_size / 1e6,
                        "products": harness.synthetic.size_products(args.size)},
              **context, "loadavg_before": load, **result}
    harness.print_result("view3d", args.size, result)
    if args.write and result["rows"]:
        harness.RESULTS.mkdir(exist_ok=True)
        (harness.RESULTS / f"view3d-{args.size}.json").write_text(json.dumps(result, indent=1, default=str))
        harness.write_docs()  # every section from bench/results, this one included
        log(f"wrote bench/results/view3d-{args.size}.json and docs/benchmarks.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
