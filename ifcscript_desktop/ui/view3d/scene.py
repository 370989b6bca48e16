"""The 3D view's scene: geometry batches merged into a few arrays, with colours and visibility.

Numpy only (no Qt, no GL), so all of it is tested without a display: the GL widget draws what
`Scene.merged()` returns and asks `picking.pick` what is under the cursor.

Coordinates are in the scene frame: the mesher recentres the model in float64 and sends float32
coordinates relative to `Scene.origin` (float64, kept for display). Matrices follow the maths
convention (column vectors): an element's world point is `transform @ (x, y, z, 1)`, the
translation in `transform[:3, 3]`.

An element may come as several rows (one per surface colour: a window's frame and its glass);
every operation takes STEP ids and acts on all rows of each id. Row numbers ("element index") are
what the merged arrays carry per vertex; `Scene.step_id(row)` turns one back into an element.

A mesh placed by many rows (furniture, windows, doors: IfcMappedItem copies of a type) is not
merged once per row: once `instance_min` rows place it, the rows of it that come next are
*instances*, drawn from the mesh held once with a transform and a colour each (`Scene.instanced()`,
drawn by `gl_instances`). Rows merged before stay merged. Everything else (colours, visibility,
bounds, picking, the section box) treats both kinds of rows alike; the GL side cuts instances at the
section box pixel by pixel where merged rows lose their triangles outside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ifcscript_desktop.ui.view3d.arrays import (INSTANCE_FLOATS, BoolArray, Box, ChunkArrays,
                                                FloatArray, GeometryBatch, Grow, IndexArray,
                                                InstanceSet, IntArray, MeshChunk, as_ids,
                                                checked_mesh, expand_ranges)
from ifcscript_desktop.ui.view3d.legend import Legend, Rgba, colour_values, rgba

#: The most vertices a chunk takes before the next one starts (an element is never split, so a
#: chunk may pass it by the size of its last element).
CHUNK_VERTICES = 4_000_000
#: How many rows place a mesh before its next rows are drawn as instances of it.
INSTANCE_MIN = 8
#: Classes hidden until the user shows them.
HIDDEN_CLASSES = frozenset({"IfcSpace", "IfcOpeningElement", "IfcOpeningStandardCase"})
SELECTION_COLOR: Rgba = (0.16, 0.47, 1.0, 1.0)
GHOST_COLOR: Rgba = (0.7, 0.7, 0.7, 0.12)
# The 8 corners of a box as which of (lo, hi) each coordinate takes.
_BOX_CORNERS = np.array([[x, y, z] for x in (False, True) for y in (False, True) for z in (False, True)])


class Scene:
    """What the 3D view shows: merged geometry, per-vertex colours and the visible triangles."""

    def __init__(self, origin: Sequence[float] = (0.0, 0.0, 0.0), chunk_vertices: int = CHUNK_VERTICES,
                 instance_min: int = INSTANCE_MIN) -> None:
        #: The scene frame's origin in model coordinates (metres, float64).
        self.origin = np.asarray(origin, dtype=np.float64)
        self._chunk_vertices = chunk_vertices
        self._revision = 0
        # The per-geometry store: each mesh once, however many elements place it.
        self._geo_positions = Grow(np.float32, (3,))
        self._geo_triangles = Grow(np.uint32, (3,))
        self._geo_ranges = Grow(np.int64, (4,))  # vertex start, count, triangle start, count
        self._geo_lo = Grow(np.float32, (3,))  # the local box of each mesh (instances' bounds)
        self._geo_hi = Grow(np.float32, (3,))
        self._geo_uses = Grow(np.int64)  # rows placing each mesh, over all batches
        self._geo_instanced = Grow(np.bool_)  # whether later rows of it are instances
        self._instance_min = instance_min
        # The instanced meshes one after another: which meshes, positions, triangles, per mesh
        # (first triangle, count), and the revision they were gathered at.
        self._instance_meshes: tuple[IntArray, FloatArray, IndexArray, IntArray, int] | None = None
        self._instance_rows = Grow(np.int64)
        self._instances: InstanceSet | None = None  # what `instanced()` gives, until a change
        self._instances_revision = 0
        # Per row.
        self._step = Grow(np.int64)
        self._class = Grow(np.int32)
        self._storey = Grow(np.int32)
        self._geometry = Grow(np.int32)
        self._transforms = Grow(np.float32, (4, 4))
        self._base = Grow(np.float32, (4,))
        self._color = Grow(np.float32, (4,))
        self._place = Grow(np.int64, (5,))  # chunk (-1: an instance), vertex start, count, triangle start, count
        self._lo = Grow(np.float32, (3,))
        self._hi = Grow(np.float32, (3,))
        self._user_hidden = Grow(np.bool_)
        self._visible = Grow(np.bool_)
        self._global_ids: list[str] = []
        self._chunks: list[ChunkArrays] = []
        self._open: dict[tuple[bool, int], int] = {}  # (transparent, k) -> chunk number
        self._kind_vertices = {False: 0, True: 0}
        # Names by code; code 0 of storeys is "no storey".
        self._class_names: list[str] = []
        self._class_codes: dict[str, int] = {}
        self._class_visible = Grow(np.bool_)
        self._storey_ids: list[int | None] = [None]
        self._storey_codes: dict[int | None, int] = {None: 0}
        self._storey_visible = Grow(np.bool_)
        self._storey_visible.append(np.ones(1, np.bool_))
        self._class_shown = {name: False for name in HIDDEN_CLASSES}
        # State kept by STEP id, so that elements meshed later follow it too.
        self._selected = np.empty(0, np.int64)
        self._highlight_ids = np.empty(0, np.int64)
        self._highlight_rgba = np.empty((0, 4), np.float32)
        self._colored_ids = np.empty(0, np.int64)
        self._colored_rgba = np.empty((0, 4), np.float32)
        self._color_values: dict[int, Any] = {}
        self._legend: Legend | None = None
        self._ghost = False
        self._hidden_ids = np.empty(0, np.int64)
        self._isolated: IntArray | None = None
        self._section: Box | None = None

    # --- Adding geometry -------------------------------------------------------------------

    @property
    def geometry_count(self) -> int:
        """Meshes held once each in the per-geometry store."""
        return len(self._geo_ranges.view)

    @property
    def geometry_vertex_count(self) -> int:
        """Vertices in the per-geometry store (shared meshes counted once)."""
        return self._geo_positions.size

    @property
    def element_count(self) -> int:
        """Rows in the scene (an element of several colours has several)."""
        return self._step.size

    @property
    def instance_count(self) -> int:
        """Rows drawn as instances of a shared mesh (not merged)."""
        return self._instance_rows.size

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays the GL widget draws, as they are now: the merged arrays (capacity
        included: see `compact`) and the instanced meshes with their instances."""
        merged = sum(grow.data.nbytes for chunk in self._chunks for grow in chunk.arrays)
        return merged + (self.instanced().nbytes if self._instance_rows.size else 0)

    def compact(self) -> None:
        """Once the last batch is in: free the room kept for more (arrays grow by doubling)."""
        for chunk in self._chunks:
            for grow in chunk.arrays:
                grow.compact()
        for grow in (self._geo_positions, self._geo_triangles, self._geo_ranges, self._step, self._class,
                     self._storey, self._geometry, self._transforms, self._base, self._color, self._place,
                     self._lo, self._hi, self._user_hidden, self._visible, self._geo_lo, self._geo_hi,
                     self._geo_uses, self._geo_instanced, self._instance_rows):
            grow.compact()

    def add_batch(self, batch: GeometryBatch) -> None:
        """Append a batch: only its own vertices are transformed and merged."""
        step = np.asarray(batch.step_ids, dtype=np.int64).reshape(-1)
        count = len(step)
        geometry = np.asarray(batch.geometry, dtype=np.int64).reshape(-1)
        transforms = np.asarray(batch.transforms, dtype=np.float32).reshape(-1, 4, 4)
        base = np.asarray(batch.colors, dtype=np.float32).reshape(-1, 4)
        if not (len(geometry) == len(transforms) == len(base) == len(batch.global_ids)
                == len(batch.classes) == len(batch.storeys) == count):
            raise ValueError("a geometry batch gives a different number of values per element")
        meshes = [checked_mesh(positions, triangles) for positions, triangles in batch.meshes]
        if count and (geometry.min() < 0 or geometry.max() >= self.geometry_count + len(meshes)):
            raise ValueError("a geometry batch places a mesh the scene does not have")
        if not (np.isfinite(transforms).all() and np.isfinite(base).all()):
            raise ValueError("a geometry batch has a placement or a colour that is not a number")
        for positions, triangles in meshes:
            ranges = [self._geo_positions.size, len(positions), self._geo_triangles.size, len(triangles)]
            self._geo_ranges.append(np.array([ranges], np.int64))
            self._geo_positions.append(positions)
            self._geo_triangles.append(triangles)
            self._geo_lo.append(positions.min(axis=0, initial=np.inf)[None])
            self._geo_hi.append(positions.max(axis=0, initial=-np.inf)[None])
            self._geo_uses.append(np.zeros(1, np.int64))
            self._geo_instanced.append(np.zeros(1, np.bool_))
        first = self._step.size
        rows = np.arange(first, first + count)
        self._step.append(step)
        self._class.append(np.array([self._class_code(name) for name in batch.classes], np.int32))
        self._storey.append(np.array([self._storey_code(s) for s in batch.storeys], np.int32))
        self._geometry.append(geometry.astype(np.int32))
        self._transforms.append(transforms)
        self._base.append(np.clip(base, 0.0, 1.0))
        self._global_ids.extend(batch.global_ids)
        self._color.append(self._row_colors(rows))
        self._user_hidden.append(self._row_user_hidden(rows))
        self._place.append(np.zeros((count, 5), np.int64))
        self._lo.append(np.full((count, 3), np.inf, np.float32))
        self._hi.append(np.full((count, 3), -np.inf, np.float32))
        self._geo_uses.view[:] += np.bincount(geometry, minlength=self.geometry_count)
        self._geo_instanced.view[:] |= ((self._geo_uses.view >= self._instance_min)
                                        & (self._geo_ranges.view[:, 3] > 0))
        as_instance = self._geo_instanced.view[geometry]
        if as_instance.any():
            self._place_instances(rows[as_instance])
        merged_rows = rows[~as_instance]
        transparent = self._base.view[merged_rows, 3] < 1.0
        for kind in (False, True):
            kind_rows = merged_rows[transparent == kind]
            vcounts = self._geo_ranges.view[self._geometry.view[kind_rows], 1]
            starts = self._kind_vertices[kind] + np.cumsum(vcounts) - vcounts
            self._kind_vertices[kind] += int(vcounts.sum())
            ks = starts // self._chunk_vertices
            for k in np.unique(ks):
                self._merge(self._chunk_for(kind, int(k)), kind_rows[ks == k])
        self._visible.append(self._row_visible(rows))

    def _place_instances(self, rows: IntArray) -> None:
        """Make `rows` instances of their meshes: no vertices merged, bounds from the mesh's box."""
        self._place.data[rows] = (-1, 0, 0, 0, 0)
        geometry = self._geometry.view[rows]
        lo, hi = self._geo_lo.view[geometry], self._geo_hi.view[geometry]
        corners = np.where(_BOX_CORNERS[None, :, :], hi[:, None, :], lo[:, None, :])  # (N, 8, 3)
        m = self._transforms.view[rows]
        world = np.einsum("nij,nkj->nki", m[:, :3, :3], corners) + m[:, None, :3, 3]
        self._lo.data[rows] = world.min(axis=1)
        self._hi.data[rows] = world.max(axis=1)
        self._instance_rows.append(rows)
        self._instances_changed()

    def _instances_changed(self) -> None:
        """Drop what `instanced()` gave: the next call gathers it again, with a new revision."""
        self._instances = None
        self._revision += 1
        self._instances_revision = self._revision

    def _chunk_for(self, transparent: bool, k: int) -> int:
        if (transparent, k) not in self._open:
            self._open[(transparent, k)] = len(self._chunks)
            self._chunks.append(ChunkArrays(transparent))
        return self._open[(transparent, k)]

    def _merge(self, chunk_number: int, rows: IntArray) -> None:
        """Transform the meshes of `rows` to the scene frame and append them to the chunk."""
        chunk = self._chunks[chunk_number]
        ranges = self._geo_ranges.view[self._geometry.view[rows]]
        vertex_of, vcounts = expand_ranges(ranges[:, 0], ranges[:, 1])
        triangle_of, tcounts = expand_ranges(ranges[:, 2], ranges[:, 3])
        row_of_vertex = np.repeat(np.arange(len(rows)), vcounts)
        row_of_triangle = np.repeat(np.arange(len(rows)), tcounts)
        m = np.ascontiguousarray(self._transforms.view[rows, :3, :])[row_of_vertex]
        world = np.einsum("vij,vj->vi", m[:, :, :3], self._geo_positions.view[vertex_of]) + m[:, :, 3]
        vstart = chunk.positions.size + np.cumsum(vcounts) - vcounts
        tstart = chunk.triangles.size + np.cumsum(tcounts) - tcounts
        triangles = self._geo_triangles.view[triangle_of] + vstart[row_of_triangle, None].astype(np.uint32)
        self._place.data[rows] = np.stack([np.full(len(rows), chunk_number), vstart, vcounts, tstart, tcounts], 1)
        placed = vcounts > 0
        if placed.any():
            starts = (vstart - chunk.positions.size)[placed]
            self._lo.data[rows[placed]] = np.minimum.reduceat(world, starts)
            self._hi.data[rows[placed]] = np.maximum.reduceat(world, starts)
        chunk.positions.append(world)
        chunk.colors.append(self._color.view[rows][row_of_vertex])
        chunk.elements.append(rows[row_of_vertex].astype(np.uint32))
        chunk.triangles.append(triangles)
        self._revision += 1
        chunk.geometry_revision = chunk.color_revision = self._revision

    def _class_code(self, name: str) -> int:
        if name not in self._class_codes:
            self._class_codes[name] = len(self._class_names)
            self._class_names.append(name)
            self._class_visible.append(np.array([self._class_shown.get(name, True)]))
        return self._class_codes[name]

    def _storey_code(self, storey: int | None) -> int:
        if storey not in self._storey_codes:
            self._storey_codes[storey] = len(self._storey_ids)
            self._storey_ids.append(storey)
            self._storey_visible.append(np.ones(1, np.bool_))
        return self._storey_codes[storey]

    # --- What the GL widget draws ----------------------------------------------------------

    def merged(self) -> list[MeshChunk]:
        """The merged meshes to draw (a handful: opaque and transparent, at most ~4M vertices each)."""
        out = []
        for chunk in self._chunks:
            self._sort_visible(chunk)
            out.append(MeshChunk(
                chunk.transparent, chunk.positions.view, chunk.colors.view, chunk.elements.view,
                chunk.triangles.view, chunk.opaque.view, chunk.see_through.view,
                chunk.geometry_revision, chunk.color_revision, chunk.triangles_revision))
        return out

    def instanced(self) -> InstanceSet:
        """The rows drawn as instances: their meshes once each, and the visible instances."""
        if self._instances is None:
            self._instances = self._instance_set(None)
        return self._instances

    def coarse_instances(self, min_size: float) -> InstanceSet:
        """`instanced()` with only the instances at least `min_size` across (see `coarse_triangles`)."""
        lo, hi = self.element_bounds
        return self._instance_set(np.linalg.norm(hi - lo, axis=1) >= min_size)

    def _instance_set(self, keep: BoolArray | None) -> InstanceSet:
        geometries, positions, triangles, meshes, geometry_revision = self._gather_instance_meshes()
        rows = self._instance_rows.view
        rows = rows[self._visible.view[rows]]
        if keep is not None:
            rows = rows[keep[rows]]
        group = np.searchsorted(geometries, self._geometry.view[rows])
        data = np.empty((len(rows), INSTANCE_FLOATS), np.float32)
        data[:, :16] = self._transforms.view[rows].transpose(0, 2, 1).reshape(-1, 16)
        data[:, 16:] = self._color.view[rows]
        see_through = data[:, 19] < 1.0
        kinds = []
        for mine in (~see_through, see_through):
            order = np.argsort(group[mine], kind="stable")
            counts = np.bincount(group[mine], minlength=len(geometries))
            kinds.append((data[mine][order], np.stack([np.cumsum(counts) - counts, counts], axis=1)))
        (opaque, opaque_groups), (transparent, transparent_groups) = kinds
        return InstanceSet(positions, triangles, meshes, opaque, opaque_groups, transparent, transparent_groups,
                           geometry_revision, self._instances_revision, self._section)

    def _gather_instance_meshes(self) -> tuple[IntArray, FloatArray, IndexArray, IntArray, int]:
        """The instanced meshes one after another (gathered again only when one more is instanced)."""
        geometries = np.flatnonzero(self._geo_instanced.view)
        if self._instance_meshes is None or len(self._instance_meshes[0]) != len(geometries):
            ranges = self._geo_ranges.view[geometries]
            vertex_at, vcounts = expand_ranges(ranges[:, 0], ranges[:, 1])
            triangle_at, tcounts = expand_ranges(ranges[:, 2], ranges[:, 3])
            shift = np.repeat(np.cumsum(vcounts) - vcounts, tcounts).astype(np.uint32)
            self._revision += 1
            self._instance_meshes = (
                geometries, self._geo_positions.view[vertex_at],
                self._geo_triangles.view[triangle_at] + shift[:, None],
                np.stack([np.cumsum(tcounts) - tcounts, tcounts], axis=1), self._revision)
        return self._instance_meshes

    def coarse_triangles(self, min_size: float) -> list[tuple[IndexArray, IndexArray]]:
        """Per chunk of `merged()`, its visible opaque and transparent triangles of the elements at
        least `min_size` across: what to draw while the camera moves, when everything is too slow."""
        lo, hi = self.element_bounds
        big = np.linalg.norm(hi - lo, axis=1) >= min_size
        out = []
        for chunk in self._chunks:
            self._sort_visible(chunk)
            rows = chunk.elements.view
            opaque, see_through = chunk.opaque.view, chunk.see_through.view
            out.append((opaque[big[rows[opaque[:, 0]]]], see_through[big[rows[see_through[:, 0]]]]))
        return out

    def model_point(self, point: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """A point of the scene frame in model coordinates (float64), to show to the user."""
        return np.asarray(point, np.float64) + self.origin

    def _sort_visible(self, chunk: ChunkArrays) -> None:
        """Bring the chunk's visible triangle lists up to date (only new triangles when it can)."""
        if chunk.visible_upto == chunk.triangles.size:
            return
        new = chunk.triangles.view[chunk.visible_upto:]
        rows = chunk.elements.view[new[:, 0]]
        shown = self._visible.view[rows]
        if self._section is not None:
            # Only the elements the box cuts through have triangles outside it.
            lo, hi = self._section
            inside = np.asarray((self._lo.view >= lo).all(axis=1) & (self._hi.view <= hi).all(axis=1), np.bool_)
            cut = np.flatnonzero(shown & ~inside[rows])
            corners = chunk.positions.view[new[cut]]  # (T, 3 vertices, 3)
            shown[cut] = ~((corners < lo).all(axis=1).any(axis=1) | (corners > hi).all(axis=1).any(axis=1))
        see_through = self._color.view[rows, 3] < 1.0
        if chunk.visible_upto == 0:
            chunk.opaque.size = chunk.see_through.size = 0
        chunk.opaque.append(new[shown & ~see_through])
        chunk.see_through.append(new[shown & see_through])
        chunk.visible_upto = chunk.triangles.size
        self._revision += 1
        chunk.triangles_revision = self._revision

    def step_id(self, row: int) -> int:
        """The STEP id of a row (the per-vertex `elements` value)."""
        return int(self._step.view[row])

    def global_id(self, row: int) -> str:
        return self._global_ids[row]

    def class_name(self, row: int) -> str:
        return self._class_names[int(self._class.view[row])]

    def rows_of(self, ids: Iterable[int]) -> IntArray:
        """The rows of the given STEP ids that are in the scene."""
        return np.flatnonzero(np.isin(self._step.view, as_ids(ids)))

    def ids_by_global_id(self) -> dict[str, int]:
        """GlobalId -> STEP id of every element in the scene (for a result table's column)."""
        return {g: int(s) for s, g in zip(self._step.view.tolist(), self._global_ids) if g}

    def step_ids_of_global_ids(self, global_ids: Iterable[str]) -> list[int]:
        """STEP ids of the given GlobalIds that are in the scene (for a result table's column)."""
        wanted = set(global_ids)
        return sorted({int(s) for s, g in zip(self._step.view, self._global_ids) if g in wanted})

    @property
    def visible(self) -> BoolArray:
        """Per row: drawn or not (read only)."""
        return self._visible.view

    @property
    def element_bounds(self) -> tuple[FloatArray, FloatArray]:
        """Per row: the world box `(lo, hi)`, each (N, 3); +inf/-inf for a row without a mesh."""
        return self._lo.view, self._hi.view

    @property
    def section_box(self) -> Box | None:
        return self._section

    def triangles_of(self, rows: IntArray) -> tuple[FloatArray, IntArray]:
        """The world triangles of `rows` as (T, 3 corners, 3) and the row of each."""
        corners, owners = [], []
        place = self._place.view[rows]
        for number in np.unique(place[place[:, 0] >= 0, 0]):
            mine = place[:, 0] == number
            chunk = self._chunks[int(number)]
            triangle_at, tcounts = expand_ranges(place[mine, 3], place[mine, 4])
            corners.append(chunk.positions.view[chunk.triangles.view[triangle_at]])
            owners.append(np.repeat(rows[mine], tcounts))
        instances = rows[place[:, 0] == -1]
        if len(instances):  # an instance's triangles: its mesh's, through its transform
            ranges = self._geo_ranges.view[self._geometry.view[instances]]
            vertex_at, vcounts = expand_ranges(ranges[:, 0], ranges[:, 1])
            m = np.ascontiguousarray(self._transforms.view[instances, :3, :])[np.repeat(np.arange(len(instances)), vcounts)]
            world = np.einsum("vij,vj->vi", m[:, :, :3], self._geo_positions.view[vertex_at]) + m[:, :, 3]
            triangle_at, tcounts = expand_ranges(ranges[:, 2], ranges[:, 3])
            owner = np.repeat(np.arange(len(instances)), tcounts)
            first_vertex = np.cumsum(vcounts) - vcounts
            corners.append(world[self._geo_triangles.view[triangle_at] + first_vertex[owner, None]])
            owners.append(instances[owner])
        if not corners:
            return np.empty((0, 3, 3), np.float32), np.empty(0, np.int64)
        return np.concatenate(corners), np.concatenate(owners)

    def bounds(self, ids: Iterable[int] | None = None) -> Box | None:
        """The box of the visible elements (inside the section box), or of the given ones."""
        lo, hi = self.element_bounds
        if ids is None:
            rows = np.flatnonzero(self.visible)
        else:
            rows = self.rows_of(ids)
        rows = rows[np.isfinite(lo[rows, 0])]
        if not len(rows):
            return None
        box = Box(lo[rows].min(axis=0).astype(np.float64), hi[rows].max(axis=0).astype(np.float64))
        if ids is None and self._section is not None:
            box = Box(np.maximum(box.lo, self._section.lo), np.minimum(box.hi, self._section.hi))
        return box

    # --- Colours ---------------------------------------------------------------------------

    def select(self, ids: Iterable[int], add: bool = False) -> None:
        """Select the elements (in addition to the current selection with `add`)."""
        new = as_ids(ids)
        self._selected = np.union1d(self._selected, new) if add else np.unique(new)
        self._recolor()

    @property
    def selection(self) -> list[int]:
        return [int(i) for i in self._selected]

    def highlight(self, ids: Iterable[int], color: str | Sequence[float]) -> None:
        """Colour the elements (a later highlight of the same element wins)."""
        new = np.unique(as_ids(ids))
        keep = ~np.isin(self._highlight_ids, new)
        self._highlight_ids = np.concatenate([self._highlight_ids[keep], new])
        self._highlight_rgba = np.concatenate([self._highlight_rgba[keep], np.tile(rgba(color), (len(new), 1))])
        order = np.argsort(self._highlight_ids)
        self._highlight_ids, self._highlight_rgba = self._highlight_ids[order], self._highlight_rgba[order]
        self._recolor()

    def clear_highlights(self) -> None:
        self._highlight_ids = np.empty(0, np.int64)
        self._highlight_rgba = np.empty((0, 4), np.float32)
        self._recolor()

    def color_by(self, values: Mapping[int, Any]) -> Legend:
        """Colour elements by value (categories or numbers) and say which colour means what."""
        self._color_values = {int(k): v for k, v in values.items()}
        self._colored_ids, self._colored_rgba, self._legend = colour_values(self._color_values)
        self._recolor()
        return self.legend or Legend("category", (), 0)

    def clear_colors(self) -> None:
        self._color_values, self._legend = {}, None
        self._colored_ids = np.empty(0, np.int64)
        self._colored_rgba = np.empty((0, 4), np.float32)
        self._recolor()

    @property
    def legend(self) -> Legend | None:
        """The `color_by` legend, counted against the elements in the scene now."""
        if self._legend is None:
            return None
        present = set(self._step.view.tolist())
        return self._legend.counted({k: v for k, v in self._color_values.items() if k in present},
                                    sum(1 for k in self._color_values if k not in present))

    @property
    def ghosted(self) -> bool:
        """Whether what is not selected, highlighted or coloured is greyed out."""
        return self._ghost

    def ghost_others(self, on: bool) -> None:
        """Grey out, see-through, every element not selected, highlighted or coloured."""
        self._ghost = on
        self._recolor()

    def _row_colors(self, rows: IntArray) -> FloatArray:
        step = self._step.view[rows]
        colors = self._base.view[rows].copy()
        emphasised = np.zeros(len(rows), np.bool_)
        for ids, rgbas in ((self._colored_ids, self._colored_rgba), (self._highlight_ids, self._highlight_rgba)):
            if len(ids):
                at = np.minimum(np.searchsorted(ids, step), len(ids) - 1)
                found = ids[at] == step
                colors[found] = rgbas[at[found]]
                emphasised |= found
        selected = np.isin(step, self._selected)
        if self._ghost:
            colors[~(emphasised | selected)] = GHOST_COLOR
        colors[selected] = SELECTION_COLOR
        return colors

    def _recolor(self) -> None:
        """Recompute every row's colour and rewrite the vertices of the rows that changed."""
        rows = np.arange(self._step.size)
        new = self._row_colors(rows)
        old = self._color.view
        changed = np.flatnonzero((new != old).any(axis=1))
        if not len(changed):
            return
        alpha_moved = (new[changed, 3] < 1.0) != (old[changed, 3] < 1.0)
        old[changed] = new[changed]
        place = self._place.view[changed]
        self._revision += 1
        if (place[:, 0] == -1).any():
            self._instances_changed()
        for number in np.unique(place[place[:, 0] >= 0, 0]):
            mine = place[:, 0] == number
            chunk = self._chunks[int(number)]
            at, counts = expand_ranges(place[mine, 1], place[mine, 2])
            chunk.colors.data[at] = np.repeat(new[changed[mine]], counts, axis=0)
            chunk.color_revision = self._revision
            if alpha_moved[mine].any():
                chunk.visible_upto = 0

    # --- Visibility ------------------------------------------------------------------------

    def hide(self, ids: Iterable[int]) -> None:
        self._hidden_ids = np.union1d(self._hidden_ids, as_ids(ids))
        self._update_visibility()

    def isolate(self, ids: Iterable[int]) -> None:
        """Show only these elements (classes, storeys and the section box still apply)."""
        self._isolated = np.unique(as_ids(ids))
        self._hidden_ids = np.empty(0, np.int64)
        self._update_visibility()

    def show_all(self) -> None:
        """Undo hide and isolate (class and storey toggles and the section box stay)."""
        self._isolated = None
        self._hidden_ids = np.empty(0, np.int64)
        self._update_visibility()

    @property
    def classes(self) -> dict[str, bool]:
        """Each class in the scene and whether it is shown."""
        return {name: bool(self._class_visible.view[code]) for code, name in enumerate(self._class_names)}

    def set_class_visible(self, class_name: str, visible: bool) -> None:
        self._class_shown[class_name] = visible
        if class_name in self._class_codes:
            self._class_visible.data[self._class_codes[class_name]] = visible
        self._update_visibility()

    @property
    def storeys(self) -> dict[int, bool]:
        """Each storey of the scene's elements and whether it is shown."""
        return {s: bool(self._storey_visible.view[code]) for code, s in enumerate(self._storey_ids) if s is not None}

    def storey_bounds(self, storey_id: int) -> Box | None:
        """The box of a storey's elements (visible or not), for a horizontal cut above it."""
        if storey_id not in self._storey_codes:
            return None
        rows = np.flatnonzero(self._storey.view == self._storey_codes[storey_id])
        lo, hi = self.element_bounds
        rows = rows[np.isfinite(lo[rows, 0])]
        if not len(rows):
            return None
        return Box(lo[rows].min(axis=0).astype(np.float64), hi[rows].max(axis=0).astype(np.float64))

    def set_storey_visible(self, storey_id: int, visible: bool) -> None:
        self._storey_visible.data[self._storey_code(storey_id)] = visible
        self._update_visibility()

    def set_section_box(self, lo: Sequence[float], hi: Sequence[float]) -> None:
        """Cut the scene to a box: elements wholly outside it hidden, triangles outside it too."""
        box = Box(np.asarray(lo, np.float64), np.asarray(hi, np.float64))
        self._section = Box(np.minimum(box.lo, box.hi), np.maximum(box.lo, box.hi))
        self._update_visibility(triangles=True)

    def clear_section_box(self) -> None:
        self._section = None
        self._update_visibility(triangles=True)

    def _row_user_hidden(self, rows: IntArray) -> BoolArray:
        step = self._step.view[rows]
        hidden = np.isin(step, self._hidden_ids)
        if self._isolated is not None:
            hidden |= ~np.isin(step, self._isolated)
        return hidden

    def _row_visible(self, rows: IntArray) -> BoolArray:
        visible = ~self._user_hidden.view[rows]
        visible &= self._class_visible.view[self._class.view[rows]]
        visible &= self._storey_visible.view[self._storey.view[rows]]
        if self._section is not None:
            lo, hi = self._section
            visible &= (self._hi.view[rows] >= lo).all(axis=1) & (self._lo.view[rows] <= hi).all(axis=1)
        return visible

    def _update_visibility(self, triangles: bool = False) -> None:
        rows = np.arange(self._step.size)
        self._user_hidden.view[:] = self._row_user_hidden(rows)
        new = self._row_visible(rows)
        changed = np.flatnonzero(new != self._visible.view)
        self._visible.view[:] = new
        place = self._place.view[changed, 0]
        if (place == -1).any():
            self._instances_changed()
        elif triangles:
            self._instances = None  # the same instances, cut by another box
        touched = range(len(self._chunks)) if triangles else np.unique(place[place >= 0])
        for number in touched:
            self._chunks[int(number)].visible_upto = 0
