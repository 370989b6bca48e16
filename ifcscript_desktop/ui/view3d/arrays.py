"""The arrays behind the 3D scene: the batch the mesher's cache gives, the chunks the GL widget
draws, and numpy helpers (growable arrays, checked meshes, index ranges). Numpy only."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
IndexArray = npt.NDArray[np.uint32]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class GeometryBatch:
    """Meshes and the elements that place them, as the mesher sends them.

    `meshes` are the batch's new geometries, each `(positions (V, 3) float32, triangles (T, 3)
    uint32)` in a local frame. They are numbered after the scene's earlier ones (the first mesh
    of a batch added to a scene holding 12 is geometry 12), and an element's `geometry` may name
    one of an earlier batch. Per element: `step_ids`, `global_ids`, `classes`, `storeys` (STEP id
    or None), `geometry`, `transforms` (N, 4, 4) and `colors` (N, 4) RGBA in 0..1, alpha < 1 for
    glass.
    """

    meshes: Sequence[tuple[npt.ArrayLike, npt.ArrayLike]]
    step_ids: npt.ArrayLike
    global_ids: Sequence[str]
    classes: Sequence[str]
    storeys: Sequence[int | None]
    geometry: npt.ArrayLike
    transforms: npt.ArrayLike
    colors: npt.ArrayLike


class Box(NamedTuple):
    """An axis-aligned box in the scene frame (float64)."""

    lo: npt.NDArray[np.float64]
    hi: npt.NDArray[np.float64]


@dataclass(frozen=True)
class MeshChunk:
    """One merged mesh to draw: views into the scene's arrays, valid until the next change.

    `triangles` are all of the chunk's; `opaque_triangles` and `transparent_triangles` are the
    visible ones split by their current alpha (draw the second with blending, after the first).
    The revisions grow when the matching arrays change, so a widget re-uploads only those.
    """

    transparent: bool
    positions: FloatArray
    colors: FloatArray
    elements: IndexArray
    triangles: IndexArray
    opaque_triangles: IndexArray
    transparent_triangles: IndexArray
    geometry_revision: int
    color_revision: int
    triangles_revision: int


#: Floats per instance in `InstanceSet.opaque` / `.transparent`: the 4x4 transform column by column
#: (what a GLSL mat4 built from four vec4 columns expects), then RGBA.
INSTANCE_FLOATS = 20


@dataclass(frozen=True)
class InstanceSet:
    """The rows drawn as instances of a shared mesh: each such mesh once, and per visible row its
    transform and colour. Arrays are valid until the next change of the scene.

    `positions` and `triangles` hold the instanced meshes one after another (local frames;
    triangles index `positions`), `meshes` per mesh its first triangle and triangle count.
    `opaque` and `transparent` are the visible instances split by their current alpha, each
    (N, `INSTANCE_FLOATS`) float32 sorted by mesh; `opaque_groups` and `transparent_groups` per
    mesh the first instance and count in them (a mesh may have none). The revisions grow when the
    meshes, or the instances, change, so a widget re-uploads only those. `section` is the section
    box to cut them at, if any (instances wholly outside it are left out already).
    """

    positions: FloatArray
    triangles: IndexArray
    meshes: IntArray
    opaque: FloatArray
    opaque_groups: IntArray
    transparent: FloatArray
    transparent_groups: IntArray
    geometry_revision: int
    instances_revision: int
    section: Box | None = None

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.positions, self.triangles, self.meshes, self.opaque,
                                      self.opaque_groups, self.transparent, self.transparent_groups))


class Grow:
    """An array that grows at its end by doubling its capacity."""

    def __init__(self, dtype: Any, shape: tuple[int, ...] = ()) -> None:
        self.data = np.empty((16, *shape), dtype=dtype)
        self.size = 0

    def append(self, values: npt.NDArray[Any]) -> None:
        end = self.size + len(values)
        if end > len(self.data):
            grown = np.empty((max(end, 2 * len(self.data)), *self.data.shape[1:]), self.data.dtype)
            grown[: self.size] = self.data[: self.size]
            self.data = grown
        self.data[self.size:end] = values
        self.size = end

    @property
    def view(self) -> npt.NDArray[Any]:
        return self.data[: self.size]

    def compact(self) -> None:
        """Give back the spare capacity (the array is copied to its exact size)."""
        if len(self.data) > self.size:
            self.data = self.data[: self.size].copy()


@dataclass(eq=False)
class ChunkArrays:
    """One chunk's growing arrays and what of them changed (see `MeshChunk`)."""

    transparent: bool
    positions: Grow = field(default_factory=lambda: Grow(np.float32, (3,)))
    colors: Grow = field(default_factory=lambda: Grow(np.float32, (4,)))
    elements: Grow = field(default_factory=lambda: Grow(np.uint32))
    triangles: Grow = field(default_factory=lambda: Grow(np.uint32, (3,)))
    geometry_revision: int = 0
    color_revision: int = 0
    triangles_revision: int = 0
    visible_upto: int = 0  # triangles sorted into the two lists below
    opaque: Grow = field(default_factory=lambda: Grow(np.uint32, (3,)))
    see_through: Grow = field(default_factory=lambda: Grow(np.uint32, (3,)))

    @property
    def arrays(self) -> tuple[Grow, ...]:
        return (self.positions, self.colors, self.elements, self.triangles, self.opaque, self.see_through)


def checked_mesh(positions: npt.ArrayLike, triangles: npt.ArrayLike) -> tuple[FloatArray, IndexArray]:
    """A batch's mesh as arrays, refused (ValueError) when it is not one (a batch is added whole or not at all)."""
    p = np.asarray(positions, dtype=np.float32).reshape(-1, 3)
    t = np.asarray(triangles, dtype=np.uint32).reshape(-1, 3)
    if t.size and int(t.max()) >= len(p):
        raise ValueError("a mesh of a geometry batch names a vertex it does not have")
    if not np.isfinite(p).all():
        raise ValueError("a mesh of a geometry batch has a vertex that is not a number")
    return p, t


def as_ids(ids: Iterable[int]) -> IntArray:
    """STEP ids as an int64 array."""
    if isinstance(ids, np.ndarray):
        return ids.astype(np.int64).reshape(-1)
    return np.fromiter((int(i) for i in ids), dtype=np.int64)


def expand_ranges(starts: IntArray, counts: IntArray) -> tuple[IntArray, IntArray]:
    """The indices of the ranges `[start, start + count)` one after the other, and the counts."""
    counts = np.asarray(counts, np.int64)
    total = int(counts.sum())
    offsets = np.cumsum(counts) - counts
    return np.repeat(np.asarray(starts, np.int64) - offsets, counts) + np.arange(total), counts
