"""What is under the cursor, without GL: a ray against element boxes, then their triangles.

Every box of a visible element is tested at once; the elements the ray enters are then tested
triangle by triangle (Möller-Trumbore), nearest box first, until no box left can be nearer than the
best hit. Points and distances are in the scene frame (add `Scene.origin` for model coordinates).
Matrices are numpy 4x4 in the maths convention (column vectors, `clip = projection @ view @ p`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from ifcscript_desktop.ui.view3d.scene import Scene

Vector = npt.NDArray[np.float64]
# Boxes are grown by this much (metres) so that a ray grazing a face still enters (float32 bounds).
_BOX_SLACK = 1e-4
_FIRST_GROUP = 16  # boxes whose triangles are tested together; the group doubles each round


@dataclass(frozen=True)
class Hit:
    """The nearest visible element on a ray, the point hit and its distance from the ray's origin."""

    step_id: int
    global_id: str
    row: int
    point: Vector
    distance: float


class Ray(NamedTuple):
    origin: Vector
    direction: Vector  # unit length


def pick(scene: Scene, ray_origin: Sequence[float] | Vector, ray_direction: Sequence[float] | Vector) -> Hit | None:
    """The nearest visible element the ray hits (inside the section box, if any), or None."""
    origin = np.asarray(ray_origin, np.float64)
    direction = np.asarray(ray_direction, np.float64)
    direction = direction / np.linalg.norm(direction)
    t_min, t_max = 0.0, np.inf
    if scene.section_box is not None:
        enter, leave = _slab(origin, direction, scene.section_box.lo[None], scene.section_box.hi[None])
        t_min, t_max = max(float(enter[0]), 0.0), float(leave[0])
        if t_min > t_max:
            return None
    lo, hi = scene.element_bounds
    rows = np.flatnonzero(scene.visible & np.isfinite(lo[:, 0]))
    near, far = _slab(origin, direction, lo[rows].astype(np.float64) - _BOX_SLACK, hi[rows].astype(np.float64) + _BOX_SLACK)
    entered = (near <= far) & (far >= t_min) & (near <= t_max)
    rows, near = rows[entered], np.maximum(near[entered], t_min)
    order = np.argsort(near, kind="stable")
    rows, near = rows[order], near[order]
    best_t, best_row = np.inf, -1
    start, size = 0, _FIRST_GROUP
    while start < len(rows) and near[start] <= best_t:
        group = rows[start:start + size]
        corners, owners = scene.triangles_of(group)
        t = _triangle_hits(origin, direction, corners.astype(np.float64), t_min, t_max)
        if len(t) and np.isfinite(t.min()):
            at = int(np.argmin(t))
            if t[at] < best_t:
                best_t, best_row = float(t[at]), int(owners[at])
        start, size = start + size, size * 2
    if best_row < 0:
        return None
    return Hit(scene.step_id(best_row), scene.global_id(best_row), best_row, origin + best_t * direction, best_t)


def ray_through(pixel: Sequence[float], viewport_size: Sequence[float],
                view_matrix: npt.ArrayLike, projection_matrix: npt.ArrayLike) -> Ray:
    """The ray under a pixel (Qt's widget coordinates: x right, y down, 0..width and 0..height).

    Works for perspective and orthographic projections alike: it unprojects the pixel on the near
    and far planes; the ray starts on the near plane.
    """
    x, y = float(pixel[0]), float(pixel[1])
    width, height = float(viewport_size[0]), float(viewport_size[1])
    ndc_x, ndc_y = 2.0 * x / width - 1.0, 1.0 - 2.0 * y / height
    unproject = np.linalg.inv(np.asarray(projection_matrix, np.float64) @ np.asarray(view_matrix, np.float64))
    near = unproject @ np.array([ndc_x, ndc_y, -1.0, 1.0])
    far = unproject @ np.array([ndc_x, ndc_y, 1.0, 1.0])
    start, end = near[:3] / near[3], far[:3] / far[3]
    direction = end - start
    return Ray(start, direction / np.linalg.norm(direction))


def project(points: npt.ArrayLike, viewport_size: Sequence[float],
            view_matrix: npt.ArrayLike, projection_matrix: npt.ArrayLike) -> Vector:
    """Widget pixel coordinates (x right, y down) and NDC depth of scene points, as (N, 3)."""
    p = np.asarray(points, np.float64).reshape(-1, 3)
    clip = (np.asarray(projection_matrix, np.float64) @ np.asarray(view_matrix, np.float64)
            @ np.c_[p, np.ones(len(p))].T).T
    ndc = clip[:, :3] / clip[:, 3:4]
    width, height = float(viewport_size[0]), float(viewport_size[1])
    return np.c_[(ndc[:, 0] + 1.0) * width / 2.0, (1.0 - ndc[:, 1]) * height / 2.0, ndc[:, 2]]


def distance(p: Sequence[float] | Vector, q: Sequence[float] | Vector) -> float:
    """The straight distance between two picked points (the measure tool), in metres."""
    return float(np.linalg.norm(np.asarray(p, np.float64) - np.asarray(q, np.float64)))


def _slab(origin: Vector, direction: Vector, lo: Vector, hi: Vector) -> tuple[Vector, Vector]:
    """Where the ray enters and leaves each box (enter > leave: it misses)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        inverse = 1.0 / direction
        a, b = (lo - origin) * inverse, (hi - origin) * inverse
    parallel = direction == 0.0
    if parallel.any():
        # A ray parallel to an axis is inside that slab everywhere (enters at -inf, leaves at
        # +inf) or nowhere (enters at +inf: after it leaves).
        inside = (lo[:, parallel] <= origin[parallel]) & (origin[parallel] <= hi[:, parallel])
        a[:, parallel] = np.where(inside, -np.inf, np.inf)
        b[:, parallel] = np.inf
    return np.minimum(a, b).max(axis=1), np.maximum(a, b).min(axis=1)


def _triangle_hits(origin: Vector, direction: Vector, corners: Vector, t_min: float, t_max: float) -> Vector:
    """Möller-Trumbore for every triangle: the ray's t at the hit, inf where it misses."""
    v0 = corners[:, 0]
    e1, e2 = corners[:, 1] - v0, corners[:, 2] - v0
    p = np.cross(direction, e2)
    det = np.einsum("ij,ij->i", e1, p)
    with np.errstate(divide="ignore", invalid="ignore"):
        inverse = 1.0 / det
        s = origin - v0
        u = np.einsum("ij,ij->i", s, p) * inverse
        q = np.cross(s, e1)
        v = (q @ direction) * inverse
        t = np.einsum("ij,ij->i", e2, q) * inverse
        hit = (np.abs(det) > 1e-12) & (u >= 0.0) & (v >= 0.0) & (u + v <= 1.0) & (t >= t_min) & (t <= t_max)
    return np.where(hit, t, np.inf)
