"""One open model's 3D scene, filled from the geometry cache or meshed by the model's worker.

A second open of a file (same SHA-256, ifcopenshell version and mesh settings) reads the cache;
otherwise the worker forks its mesher into the cache folder and each batch it announces is read
here. Batch files are read and turned into scene batches off the GUI thread, one at a time and
in order (the loader remembers geometries across batches); the GUI thread only adds them to the
scene. A cache that turns out damaged while read is meshed again.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from ifcscript_desktop.core import meshcache
from ifcscript_desktop.core.client import Request, WorkerClient
from ifcscript_desktop.ui.background import BackgroundRunner
from ifcscript_desktop.ui.view3d.arrays import GeometryBatch
from ifcscript_desktop.ui.view3d.loading import SceneLoader
from ifcscript_desktop.ui.view3d.scene import Scene

log = logging.getLogger(__name__)

#: `scene_grew` and `progress` reach the pane at most this often (the first batch at once). Each
#: `scene_grew` draws a frame and each `progress` repaints the progress bar, which composes the
#: whole window with its GL view: tens of milliseconds each on a software renderer, too many to
#: pay per batch when batches come quickly (a cached reopen reads dozens a second).
NOTIFY_EVERY_S = 0.25
#: Batches waiting to be read are read together, up to this many, and added as one: the GUI thread
#: hears of them after its current frame, so one batch per round trip made a cached reopen wait
#: for a frame per batch (the first batch is read alone, to show something at once).
READ_TOGETHER = 8


@dataclass
class MeshSummary:
    """What meshing found: how many elements have geometry, and which have none or failed."""

    elements: int = 0
    without_geometry: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)
    failed_count: int = 0
    from_cache: bool = False
    #: The STEP ids of those without geometry and of those that failed (the first thousand).
    missing_ids: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, facts: dict[str, Any], from_cache: bool) -> MeshSummary:
        failed = [f for f in facts.get("failed") or [] if isinstance(f, dict)]
        ids = [i for i in facts.get("without_geometry_ids") or [] if _count(i)]
        ids += [f["id"] for f in failed if _count(f.get("id"))]
        return cls(_count(facts.get("elements")), _count(facts.get("without_geometry")), failed,
                   _count(facts.get("failed_count", len(failed))), from_cache, ids)

    def sentence(self) -> str:
        """"37 without geometry, 2 failed: IfcWall #12 (No shape…), …" or ""."""
        parts = []
        if self.without_geometry:
            parts.append(f"{self.without_geometry:,} without geometry")
        if self.failed_count:
            named = "; ".join(f"{f.get('type', 'element')} #{f.get('id')} ({f.get('error')})"
                              for f in self.failed[:3])
            more = "; …" if self.failed_count > 3 else ""
            parts.append(f"{self.failed_count:,} failed: {named}{more}")
        return ", ".join(parts)


def _joined(batches: list[GeometryBatch]) -> GeometryBatch:
    """Consecutive scene batches as one (their meshes are numbered one after another already)."""
    if len(batches) == 1:
        return batches[0]
    return GeometryBatch(
        meshes=[mesh for b in batches for mesh in b.meshes],
        step_ids=np.concatenate([np.asarray(b.step_ids, np.int64).reshape(-1) for b in batches]),
        global_ids=[g for b in batches for g in b.global_ids],
        classes=[c for b in batches for c in b.classes],
        storeys=[s for b in batches for s in b.storeys],
        geometry=np.concatenate([np.asarray(b.geometry, np.int64).reshape(-1) for b in batches]),
        transforms=np.concatenate([np.asarray(b.transforms, np.float32).reshape(-1, 4, 4) for b in batches]),
        colors=np.concatenate([np.asarray(b.colors, np.float32).reshape(-1, 4) for b in batches]))


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


class ModelGeometry(QObject):
    """The scene of one model, and the meshing or cache reading that fills it."""

    #: Elements meshed so far, and how many there are (the mesher's estimate).
    progress = Signal(int, int)
    #: Geometry was added to the scene.
    scene_grew = Signal()
    #: Everything is in the scene: a `MeshSummary`.
    finished = Signal(object)
    #: Meshing or reading failed (or was cancelled): a sentence.
    failed = Signal(str)

    def __init__(self, client: WorkerClient, cache_root: Path, background: BackgroundRunner,
                 cache_limit_bytes: int, parent: QObject | None = None,
                 in_use: Callable[[], list[Path]] | None = None) -> None:
        super().__init__(parent)
        self._client = client
        self._root = cache_root
        self._background = background
        self._limit = cache_limit_bytes
        self._in_use = in_use or (lambda: [])  # other open models' folders: never evicted
        self.scene = Scene()
        self.loader = SceneLoader()
        self.folder: Path | None = None
        self.summary: MeshSummary | None = None
        self.meshing: Request | None = None
        self.from_cache = False
        #: The title of the `color_by` shown on this model (None: none), and how many of its
        #: elements the model lacks (counted in the legend beside those without geometry).
        self.legend_title: str | None = None
        self.legend_not_found = 0
        #: The meshing process's pid (from the worker's `mesh_started`), while meshing.
        self.mesher_pid: int | None = None
        self._queue: deque[Path] = deque()
        self._reading = False
        self._final: dict[str, Any] | None = None
        self._ended = False
        self._loaded = 0  # elements in the scene (an element of several colours counts once)
        # What the pane has not been told yet, and when it was last told.
        self._pending_grew = False
        self._pending_progress: tuple[int, int] | None = None
        self._grew_at = self._progress_at = -NOTIFY_EVERY_S
        self._notify = QTimer(self)
        self._notify.setSingleShot(True)
        self._notify.timeout.connect(self._tell)

    @property
    def busy(self) -> bool:
        """Meshing or reading is under way."""
        return not self._ended and self.folder is not None

    def start(self, sha256: str) -> None:
        """Show the model whose file has this SHA-256: from the cache, or mesh it."""
        self._client.send("ping", {}, on_done=lambda request: self._on_ping(request, sha256))

    def cancel(self) -> None:
        """Stop meshing (what is in the scene stays)."""
        if self.meshing is not None and not self.meshing.done:
            self._client.cancel(self.meshing)
        elif not self._ended:
            self._queue.clear()
            self._end_failed("Loading the geometry was cancelled.")

    def stop(self) -> None:
        """The model is closing: cancel meshing and say nothing more."""
        self._ended = True
        self._queue.clear()
        self._notify.stop()
        self._pending_grew, self._pending_progress = False, None
        if self.meshing is not None and not self.meshing.done:
            self._client.cancel(self.meshing)

    # -- steps ---------------------------------------------------------------------------------
    def _on_ping(self, request: Request, sha256: str) -> None:
        if self._ended:  # the model was closed meanwhile: a mesh request would start a worker
            return
        reply = request.reply or {}
        version, settings = reply.get("ifcopenshell"), reply.get("mesh_settings")
        if not request.ok or not isinstance(version, str) or not isinstance(settings, str):
            self._end_failed(f"The 3D view cannot start: {request.error or 'the worker gave no answer'}.")
            return
        self.folder = meshcache.cache_dir(self._root, sha256, version, settings)
        if meshcache.complete(self.folder):
            self.from_cache = True
            try:
                manifest = meshcache.read_manifest(self.folder)
                self._final = manifest
                self._queue.extend(meshcache.batch_paths(self.folder))
            except meshcache.MeshCacheError as exc:
                log.warning("rebuilding the geometry cache: %s", exc)
                self._mesh()
                return
            self._tell(progress=(0, _count(manifest.get("elements"))))
            self._read_next()
        else:
            self._mesh()

    def _mesh(self) -> None:
        assert self.folder is not None
        if self._ended:
            return
        self.from_cache = False
        self._final = None
        self.meshing = self._client.mesh(str(self.folder), on_event=self._on_mesh_event,
                                         on_done=self._on_mesh_done)

    def _on_mesh_event(self, request: Request, message: dict[str, Any]) -> None:
        if self._ended:  # stopped (the model or the window closed): this object may be gone
            return
        if message.get("event") == "mesh_started":
            pid = message.get("pid")
            self.mesher_pid = pid if isinstance(pid, int) else None
        if message.get("event") != "mesh_batch" or self.folder is None:
            return
        name = message.get("file")
        if isinstance(name, str) and meshcache.is_batch_name(name):
            self._queue.append(self.folder / name)
            self._tell(progress=(_count(message.get("meshed")), _count(message.get("total"))))
            self._read_next()

    def _on_mesh_done(self, request: Request) -> None:
        if not request.ok:
            self._queue.clear()
            self._end_failed(request.error or "Meshing the model failed.")
            return
        self._final = dict(request.reply or {})
        self._finish_if_done()
        if self.folder is not None:
            keep, root, limit = [self.folder, *self._in_use()], self._root, self._limit
            self._background.submit(lambda: meshcache.evict(root, limit, keep=keep),
                                    lambda removed: None)

    def _read_next(self) -> None:
        if self._reading or not self._queue or self._ended:
            return
        self._reading = True
        together = READ_TOGETHER if self.scene.element_count else 1
        paths = [self._queue.popleft() for _ in range(min(together, len(self._queue)))]
        loader = self.loader
        self._background.submit(lambda: _joined([loader.batch(meshcache.load_batch(p)) for p in paths]),
                                self._on_batch_read, self._on_batch_error)

    def _on_batch_read(self, batch: GeometryBatch) -> None:
        self._reading = False
        if self._ended:
            return
        if self.scene.element_count == 0 and self.loader.origin is not None:
            self.scene.origin = self.loader.origin
        try:
            self.scene.add_batch(batch)
        except ValueError as exc:  # a batch the cache check let through but the scene refuses
            self._on_batch_error(meshcache.MeshCacheError(f"A geometry batch is damaged: {exc}"))
            return
        self._loaded += len(set(np.asarray(batch.step_ids).tolist()))
        progress = (self._loaded, _count(self._final.get("elements"))) \
            if self.from_cache and self._final is not None else None
        self._tell(grew=True, progress=progress)
        self._read_next()
        self._finish_if_done()

    def _on_batch_error(self, exc: Exception) -> None:
        self._reading = False
        if self.from_cache and isinstance(exc, meshcache.MeshCacheError):
            log.warning("rebuilding the geometry cache: %s", exc)
            self._queue.clear()
            self.scene, self.loader = Scene(), SceneLoader()
            self.scene_grew.emit()
            self._mesh()
            return
        self._queue.clear()
        self._end_failed(str(exc) if isinstance(exc, meshcache.MeshCacheError)
                         else f"The geometry could not be read: {exc}.")

    def _finish_if_done(self) -> None:
        if self._final is None or self._queue or self._reading or self._ended:
            return
        self._ended = True
        self.summary = MeshSummary.of(self._final, self.from_cache)
        self.scene.compact()
        self._flush()
        self.finished.emit(self.summary)

    def _end_failed(self, sentence: str) -> None:
        if self._ended:
            return
        self._ended = True
        self._flush()
        self.failed.emit(sentence)

    # -- telling the pane ----------------------------------------------------------------------
    def _tell(self, grew: bool = False, progress: tuple[int, int] | None = None) -> None:
        """Emit `progress` and `scene_grew` now, or once NOTIFY_EVERY_S has passed since the last."""
        if self._ended and self.summary is None:  # stopped or failed: nobody listens any more
            return
        self._pending_grew |= grew
        if progress is not None:
            self._pending_progress = progress
        now = time.monotonic()
        if self._pending_progress is not None and now - self._progress_at >= NOTIFY_EVERY_S:
            done, total = self._pending_progress
            self._pending_progress, self._progress_at = None, now
            self.progress.emit(done, total)
        if self._pending_grew and now - self._grew_at >= NOTIFY_EVERY_S:
            self._pending_grew, self._grew_at = False, now
            self.scene_grew.emit()
        waits = [at + NOTIFY_EVERY_S - now for at, pending in
                 ((self._progress_at, self._pending_progress is not None), (self._grew_at, self._pending_grew))
                 if pending]
        if waits and not self._notify.isActive():
            self._notify.start(max(1, int(min(waits) * 1000)))

    def _flush(self) -> None:
        """At the end: the scene's last growth now (the progress row is hidden anyway)."""
        self._notify.stop()
        self._pending_progress = None
        if self._pending_grew:
            self._pending_grew, self._grew_at = False, time.monotonic()
            self.scene_grew.emit()
