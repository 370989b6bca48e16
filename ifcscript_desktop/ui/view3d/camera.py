"""The 3D view's camera, Z up as in IFC: orbit, pan, zoom, fit, preset views and its matrices.

Matrices are numpy float64 4x4 in the maths convention (column vectors: `clip = projection @ view
@ (x, y, z, 1)`), stored row-major as numpy does. OpenGL reads column-major: upload `m.T` (or pass
transpose=True); Qt's `QMatrix4x4(*m.ravel())` takes them row by row as they are.

The camera looks at `target` from `distance` away along the direction given by `yaw` (around Z,
0 = looking along +X) and `pitch` (-90 = straight down). An orthographic camera shows, at the
target, the same height a perspective one would, so switching keeps the model's size on screen.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ifcscript_desktop.ui.view3d.arrays import Box

Matrix = npt.NDArray[np.float64]
Vector = npt.NDArray[np.float64]

#: Preset views: (yaw, pitch) in degrees. Front looks north (+Y), side looks west from the east.
VIEWS = {
    "top": (90.0, -90.0),
    "front": (90.0, 0.0),
    "side": (180.0, 0.0),
    "isometric": (135.0, -math.degrees(math.atan(1 / math.sqrt(2)))),
}
#: Orbit degrees per pixel of mouse drag (the widget's choice; here so the tests and it agree).
DEGREES_PER_PIXEL = 0.4


class Camera:
    """Where the view looks from, and the matrices that draw and pick with it."""

    def __init__(self) -> None:
        self.target: Vector = np.zeros(3)
        self.distance = 10.0
        self.yaw, self.pitch = VIEWS["isometric"]
        self.fov_y = 45.0  # degrees, vertical
        self.orthographic = False
        #: What the near and far planes must hold: the widget sets it to `Scene.bounds()` as the
        #: scene changes (zooming to a selection must not cut the rest away). None: a sphere of
        #: `distance` around the target.
        self.depth_bounds: Box | None = None

    # --- Orientation -----------------------------------------------------------------------

    @property
    def forward(self) -> Vector:
        yaw, pitch = math.radians(self.yaw), math.radians(self.pitch)
        return np.array([math.cos(pitch) * math.cos(yaw), math.cos(pitch) * math.sin(yaw), math.sin(pitch)])

    @property
    def right(self) -> Vector:
        yaw = math.radians(self.yaw)
        return np.array([math.sin(yaw), -math.cos(yaw), 0.0])

    @property
    def up(self) -> Vector:
        return np.cross(self.right, self.forward)

    @property
    def eye(self) -> Vector:
        return self.target - self.distance * self.forward

    def _basis(self) -> Matrix:
        return np.stack([self.right, self.up, self.forward], axis=1)

    # --- Moving ----------------------------------------------------------------------------

    def orbit(self, degrees_x: float, degrees_y: float, pivot: Sequence[float] | Vector | None = None) -> None:
        """Turn around `pivot` (the picked point under the cursor; the target without one).

        Dragging right (positive x) turns the model to the right; dragging down (positive y) tilts
        the top towards the viewer. The pitch stops at straight up and straight down.
        """
        before = self._basis()
        self.yaw = (self.yaw - degrees_x) % 360.0
        self.pitch = min(max(self.pitch - degrees_y, -90.0), 90.0)
        if pivot is None:
            return
        centre = np.asarray(pivot, np.float64)
        turn = self._basis() @ before.T
        self.target = centre + turn @ (self.target - centre)

    def pan(self, dx: float, dy: float, viewport_size: Sequence[float],
            at: Sequence[float] | Vector | None = None) -> None:
        """Slide so that the point `at` (the target without one) follows a drag of (dx, dy) pixels."""
        depth = self.distance if at is None or self.orthographic else max(
            float(np.dot(np.asarray(at, np.float64) - self.eye, self.forward)), 1e-6)
        per_pixel = self._height_at(depth) / float(viewport_size[1])
        self.target = self.target - self.right * dx * per_pixel + self.up * dy * per_pixel

    def zoom(self, factor: float, towards: Sequence[float] | Vector | None = None) -> None:
        """Bring the view `factor` times closer (< 1 zooms in), keeping `towards` under the cursor."""
        point = self.target if towards is None else np.asarray(towards, np.float64)
        self.target = point + (self.target - point) * factor
        self.distance = max(self.distance * factor, 1e-4)

    def fit(self, bounds: Box, aspect: float) -> None:
        """Frame the box whole (keeping the direction), for F and for zoom to selection.

        `aspect` is the viewport's width / height; the near and far planes still follow
        `depth_bounds`, not this box.
        """
        lo, hi = np.asarray(bounds.lo, np.float64), np.asarray(bounds.hi, np.float64)
        self.target = (lo + hi) / 2.0
        radius = max(float(np.linalg.norm(hi - lo)) / 2.0, 0.05)
        half_y = math.radians(self.fov_y) / 2.0
        half_x = math.atan(math.tan(half_y) * aspect)
        self.distance = radius / math.sin(min(half_x, half_y)) * 1.05

    def set_view(self, name: str) -> None:
        """One of `VIEWS`: top, front, side or isometric (then `fit` frames the model)."""
        self.yaw, self.pitch = VIEWS[name]

    # --- Matrices --------------------------------------------------------------------------

    def view_matrix(self) -> Matrix:
        """World to camera (looking down -Z, Y up on screen)."""
        basis = np.stack([self.right, self.up, -self.forward])
        m = np.eye(4)
        m[:3, :3] = basis
        m[:3, 3] = -basis @ self.eye
        return m

    def projection_matrix(self, aspect: float) -> Matrix:
        """Perspective or orthographic, as `orthographic` says; `aspect` is width / height."""
        near, far = self.depth_range()
        if self.orthographic:
            top = self._height_at(self.distance) / 2.0
            right = top * aspect
            m = np.eye(4)
            m[0, 0], m[1, 1], m[2, 2] = 1.0 / right, 1.0 / top, -2.0 / (far - near)
            m[2, 3] = -(far + near) / (far - near)
            return m
        f = 1.0 / math.tan(math.radians(self.fov_y) / 2.0)
        m = np.zeros((4, 4))
        m[0, 0], m[1, 1] = f / aspect, f
        m[2, 2], m[2, 3] = (far + near) / (near - far), 2.0 * far * near / (near - far)
        m[3, 2] = -1.0
        return m

    def depth_range(self) -> tuple[float, float]:
        """Near and far planes that hold `depth_bounds` (or the target's surroundings)."""
        if self.depth_bounds is None:
            centre, radius = self.target, self.distance
        else:
            lo, hi = self.depth_bounds
            centre, radius = (lo + hi) / 2.0, max(float(np.linalg.norm(hi - lo)) / 2.0, 0.05)
        middle = float(np.dot(centre - self.eye, self.forward))
        far = max(middle + radius * 1.1, 1e-3)
        if self.orthographic:
            return middle - radius * 1.1, far
        return max(middle - radius * 1.1, far * 1e-4), far

    def _height_at(self, depth: float) -> float:
        """The world height the viewport shows at a depth (orthographic: at the target)."""
        return 2.0 * (self.distance if self.orthographic else depth) * math.tan(math.radians(self.fov_y) / 2.0)
