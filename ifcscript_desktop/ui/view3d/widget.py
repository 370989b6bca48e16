"""The 3D view's GL widget: draws a `Scene` through our `Camera` and turns the mouse into signals.

It subclasses pyqtgraph's `GLViewWidget` for its item tree, GL state and overlay items (the
measure segment is a `GLLinePlotItem`), and replaces its camera: `viewMatrix` and
`projectionMatrix` come from `camera.Camera`, which picking uses too, so what is drawn and what a
click hits agree. The scene is drawn as a few merged chunks (`gl_items`), never one item per
element. The widget decides nothing about the model: a click says which element it hit
(`element_clicked`), a measurement its distance (`measured`); the pane acts on them.

Navigation as in BIM viewers: left-drag orbits around the point under the cursor, middle-drag or
Shift+left-drag pans, the wheel zooms towards the point under the cursor, F fits the model and Z
the selection. While the camera moves, a scene whose last full frame was slow is drawn without
its small elements, and whole again once the camera rests.

The application must set `Qt.AA_ShareOpenGLContexts` before it creates the QApplication: a
QOpenGLWidget moved to another window (a dock floated) gets a new GL context, and only shared
contexts keep the uploaded buffers and pyqtgraph's compiled shaders valid.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pyqtgraph.opengl as gl
from OpenGL import GL
from PySide6.QtCore import QCoreApplication, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QKeyEvent, QMatrix4x4, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QWidget

from ifcscript_desktop.ui.view3d.arrays import Box
from ifcscript_desktop.ui.view3d.camera import DEGREES_PER_PIXEL, Camera
from ifcscript_desktop.ui.view3d.gl_instances import InstanceItems
from ifcscript_desktop.ui.view3d.gl_items import Background, SceneItems, measure_items, multisamples
from ifcscript_desktop.ui.view3d.picking import Hit, Ray, distance, pick, ray_through
from ifcscript_desktop.ui.view3d.scene import Scene

log = logging.getLogger(__name__)

BACKGROUND_BOTTOM = (0.80, 0.82, 0.85)
BACKGROUND_TOP = (0.95, 0.96, 0.97)
MEASURE_COLOR = (0.95, 0.35, 0.05, 1.0)
#: A press and release closer than this (pixels) is a click, not a drag.
CLICK_SLOP = 4
#: A full frame slower than this makes the view drop small elements while the camera moves.
SLOW_FRAME_MS = 60.0
#: How long the camera rests before the whole scene is drawn again.
SETTLE_MS = 200
#: What a coarse frame aims at: a full frame of 300 ms keeps the biggest 10% of the elements.
COARSE_FRAME_MS = 30.0
ZOOM_PER_NOTCH = 0.85


class ModelView(gl.GLViewWidget):
    """Draws a scene; clicks, drags, the wheel and the measure tool become camera moves and signals."""

    #: STEP id of the element clicked (0: empty space) and whether Ctrl was held (add to selection).
    element_clicked = Signal(int, bool)
    #: Distance (model units) between two picked points, and the points in model coordinates.
    measured = Signal(float, object, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if not QCoreApplication.testAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts):
            log.warning("Qt.AA_ShareOpenGLContexts is not set: the 3D view breaks when moved to another window")
        self.camera = Camera()
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        surface = self.format()
        surface.setSamples(multisamples())
        self.setFormat(surface)
        self.setBackgroundColor([round(255 * c) for c in BACKGROUND_BOTTOM])
        self.addItem(Background(BACKGROUND_BOTTOM, BACKGROUND_TOP))
        self._scene: Scene | None = None
        self._items = SceneItems()
        self._instances = InstanceItems()  # the rows drawn as instances of a shared mesh
        self._auto_fit = True  # frame the model as its batches come, until the user moves the camera
        self._fitted_rows = 0
        # Mouse: where the button went down, the last position, what the drag does and around what.
        self._press: QPointF | None = None
        self._last = QPointF()
        self._dragging = False
        self._drag: str | None = None  # "orbit" or "pan"
        self._press_hit: Hit | None = None
        self._anchor: npt.NDArray[np.float64] | None = None  # the point orbits turn around, pans drag
        # Measure tool.
        self._measuring = False
        self._points: list[npt.NDArray[np.float64]] = []
        self._overlay: list[Any] = []
        # Frame times and the coarse drawing while moving.
        self.frame_ms = 0.0  #: the last full frame (milliseconds, GL finished)
        self._streaming = False
        self.coarse_frame_ms = 0.0  #: the last frame drawn without the small elements
        self._coarse_keep: float | None = None  # the share of elements drawn while moving
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self._on_settled)

    # --- The scene -------------------------------------------------------------------------

    @property
    def scene(self) -> Scene | None:
        return self._scene

    def set_scene(self, scene: Scene | None) -> None:
        """Show another scene (None: nothing); the camera frames it as its geometry comes in, until
        the user moves the camera."""
        self._items.remove(self)
        self._instances.remove(self)
        self.clear_measurement()
        self._scene = scene
        self._auto_fit, self._fitted_rows = True, 0
        self.refresh()

    def refresh(self) -> None:
        """After the scene changed: upload (at the next frame) only the chunks' changed arrays."""
        scene = self._scene
        if scene is None:
            self.camera.depth_bounds = None
            self.update()
            return
        keep = self._streaming_keep()
        self._end_coarse()
        self._items.update(self, scene.merged())
        self._instances.update(self, scene.instanced())
        if keep is not None:
            self._start_coarse(keep)
        self.camera.depth_bounds = scene.bounds()
        if self._auto_fit and self.camera.depth_bounds is not None and scene.element_count != self._fitted_rows:
            self._fitted_rows = scene.element_count  # new batches, not a hide or a selection
            self.camera.fit(self.camera.depth_bounds, self._aspect())
        self.update()

    def set_streaming(self, on: bool) -> None:
        """Geometry is still coming in (`on`): when whole frames are slow, each refresh draws
        only the biggest elements, so the event loop stays free; `off` draws everything."""
        self._streaming = on
        if not on:
            self._end_coarse()
            self.update()

    def _streaming_keep(self) -> float | None:
        """The share of elements the next frame draws while streaming (None: all of them)."""
        if not self._streaming:
            return None
        if self._coarse_keep is not None:
            slow = self.coarse_frame_ms > SLOW_FRAME_MS
            return self._coarse_keep / 2 if slow else self._coarse_keep
        return COARSE_FRAME_MS / self.frame_ms if self.frame_ms > SLOW_FRAME_MS else None

    @property
    def upload_count(self) -> int:
        """GPU buffers written so far (re-uploading only what changed keeps this low)."""
        return self._items.uploads + self._instances.uploads

    # --- The camera ------------------------------------------------------------------------

    def fit_all(self) -> None:
        """Frame every visible element (F)."""
        if self._scene is not None:
            self._fit(self._scene.bounds())

    def fit_selection(self) -> None:
        """Frame the selected elements (Z); nothing selected: nothing moves."""
        if self._scene is not None and self._scene.selection:
            self._fit(self._scene.bounds(self._scene.selection))

    def set_view(self, name: str) -> None:
        """Look from "top", "front", "side" or "isometric", framing the model."""
        self.camera.set_view(name)
        self.fit_all()
        self.update()

    def set_orthographic(self, on: bool) -> None:
        self.camera.orthographic = on
        self.update()

    def _fit(self, box: Box | None) -> None:
        self._auto_fit = False
        if box is not None:
            self.camera.fit(box, self._aspect())
            self.update()

    def _aspect(self) -> float:
        return max(self.width(), 1) / max(self.height(), 1)

    def viewMatrix(self) -> QMatrix4x4:  # noqa: N802 (pyqtgraph's name)
        return QMatrix4x4(*self.camera.view_matrix().ravel().tolist())

    def projectionMatrix(self, region: Sequence[int] | None = None,  # noqa: N802
                         viewport: Sequence[int] | None = None) -> QMatrix4x4:
        # The whole viewport always (pyqtgraph's region is for tiled exports, unused here).
        return QMatrix4x4(*self.camera.projection_matrix(self._aspect()).ravel().tolist())

    # --- Measuring -------------------------------------------------------------------------

    def set_measuring(self, on: bool) -> None:
        """In measure mode two clicks on geometry give `measured` instead of selecting."""
        self._measuring = on
        self._set_cursor()
        self.clear_measurement()

    def clear_measurement(self) -> None:
        self._points = []
        self._show_points()

    def _measure_at(self, point: npt.NDArray[np.float64]) -> None:
        self._points = [*self._points, point] if len(self._points) == 1 else [point]
        self._show_points()
        if len(self._points) == 2 and self._scene is not None:
            first, second = self._points
            self.measured.emit(distance(first, second), self._scene.model_point(first),
                               self._scene.model_point(second))

    def _show_points(self) -> None:
        for item in self._overlay:
            self.removeItem(item)
        self._overlay = measure_items(np.array(self._points, np.float32), MEASURE_COLOR) if self._points else []
        for item in self._overlay:
            self.addItem(item)

    # --- Input -----------------------------------------------------------------------------

    def mousePressEvent(self, ev: QMouseEvent) -> None:  # noqa: N802
        position = ev.position()
        self._press, self._last, self._dragging = position, position, False
        pan = ev.button() == Qt.MouseButton.MiddleButton or (
            ev.button() == Qt.MouseButton.LeftButton and ev.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        self._drag = "pan" if pan else "orbit" if ev.button() == Qt.MouseButton.LeftButton else None
        self._press_hit = self._pick(position) if self._drag else None
        self._anchor = self._press_hit.point if self._press_hit is not None else None
        ev.accept()

    def mouseMoveEvent(self, ev: QMouseEvent) -> None:  # noqa: N802
        if self._press is None or self._drag is None:
            return
        position = ev.position()
        if not self._dragging:
            moved = position - self._press
            if abs(moved.x()) + abs(moved.y()) < CLICK_SLOP:
                return
            self._dragging = True
            self.setCursor(Qt.CursorShape.ClosedHandCursor if self._drag == "orbit" else Qt.CursorShape.SizeAllCursor)
        dx, dy = position.x() - self._last.x(), position.y() - self._last.y()
        self._last = position
        if self._drag == "orbit":
            self.camera.orbit(dx * DEGREES_PER_PIXEL, dy * DEGREES_PER_PIXEL, self._anchor)
        else:
            self.camera.pan(dx, dy, (self.width(), self.height()), self._anchor)
        self._camera_moved()

    def mouseReleaseEvent(self, ev: QMouseEvent) -> None:  # noqa: N802
        clicked = self._press is not None and not self._dragging and ev.button() == Qt.MouseButton.LeftButton
        self._press, self._drag, self._dragging = None, None, False
        self._set_cursor()
        if not clicked or self._scene is None:
            return
        hit = self._press_hit  # a click does not move: what was under the press is under the release
        if self._measuring:
            if hit is not None:
                self._measure_at(hit.point)
            return
        add = bool(ev.modifiers() & Qt.KeyboardModifier.ControlModifier)
        self.element_clicked.emit(hit.step_id if hit is not None else 0, add)

    def wheelEvent(self, ev: QWheelEvent) -> None:  # noqa: N802
        notches = ev.angleDelta().y() / 120.0
        if not notches:
            return
        ray = self._ray(ev.position())
        hit = self._pick(ev.position(), ray)
        if hit is not None:
            towards = hit.point
        else:  # nothing under the cursor: the point of the ray as far as the target
            towards = ray.origin + ray.direction * float(np.dot(self.camera.target - ray.origin, self.camera.forward)
                                                         / max(np.dot(ray.direction, self.camera.forward), 1e-6))
        self.camera.zoom(ZOOM_PER_NOTCH ** notches, towards)
        self._camera_moved()
        ev.accept()

    def keyPressEvent(self, ev: QKeyEvent) -> None:  # noqa: N802
        if ev.key() == Qt.Key.Key_F:
            self.fit_all()
        elif ev.key() == Qt.Key.Key_Z:
            self.fit_selection()
        elif ev.key() == Qt.Key.Key_Escape and self._points:
            self.clear_measurement()
        else:
            ev.ignore()

    def keyReleaseEvent(self, ev: QKeyEvent) -> None:  # noqa: N802
        ev.ignore()

    def _set_cursor(self) -> None:
        if self._measuring:
            self.setCursor(Qt.CursorShape.CrossCursor)
        else:
            self.unsetCursor()

    def _ray(self, position: QPointF) -> Ray:
        aspect = self._aspect()
        return ray_through((position.x(), position.y()), (self.width(), self.height()),
                           self.camera.view_matrix(), self.camera.projection_matrix(aspect))

    def _pick(self, position: QPointF, ray: Ray | None = None) -> Hit | None:
        if self._scene is None or not self._scene.element_count:
            return None
        ray = ray or self._ray(position)
        return pick(self._scene, ray.origin, ray.direction)

    # --- Drawing ---------------------------------------------------------------------------

    def _camera_moved(self) -> None:
        """Redraw now (coarse when full frames are slow) and whole once the camera rests."""
        self._auto_fit = False
        if self._coarse_keep is None and self.frame_ms > SLOW_FRAME_MS:
            self._start_coarse(COARSE_FRAME_MS / self.frame_ms)
        elif self._coarse_keep is not None and self.coarse_frame_ms > SLOW_FRAME_MS:
            self._start_coarse(self._coarse_keep / 2)  # still slow: keep only the biggest half
        self._settle.start()
        self.update()

    def _start_coarse(self, keep: float) -> None:
        """Draw only the biggest `keep` share of the visible elements until the camera rests.

        The share follows the frame time (an element count, not a triangle count: in buildings
        the many small things, fittings and furniture, are also the detailed ones).
        """
        if self._scene is None:
            return
        lo, hi = self._scene.element_bounds
        sizes = np.linalg.norm(hi - lo, axis=1)[self._scene.visible & np.isfinite(lo[:, 0])]
        if not len(sizes):
            return
        self._coarse_keep = keep
        self.coarse_frame_ms = 0.0
        min_size = float(np.quantile(sizes, 1.0 - min(keep, 1.0)))
        self._items.set_coarse(self._scene.coarse_triangles(min_size))
        self._instances.set_coarse(self._scene.coarse_instances(min_size))

    def _end_coarse(self) -> None:
        if self._coarse_keep is not None:
            self._coarse_keep = None
            self._items.set_coarse(None)
            self._instances.set_coarse(None)

    @property
    def coarse(self) -> bool:
        """Whether small elements are left out now (the camera moves and full frames are slow)."""
        return self._coarse_keep is not None

    def _on_settled(self) -> None:
        self._end_coarse()
        self.update()

    def paintGL(self) -> None:  # noqa: N802
        uploads, start = self.upload_count, time.perf_counter()
        super().paintGL()
        GL.glFinish()  # the frame's real cost, not just its submission
        elapsed = (time.perf_counter() - start) * 1000.0
        if self.upload_count != uploads and not self._streaming:
            return  # a frame that uploaded says little about the next ones (but while
            # streaming every frame uploads, and its time is what the user waits for)
        if self._coarse_keep is None:
            self.frame_ms = elapsed
        else:
            self.coarse_frame_ms = elapsed

    def snapshot(self) -> QImage:
        """The view as drawn now, whole even while moving (File > Save view as image, Copy image)."""
        self._end_coarse()
        return self.grabFramebuffer()

