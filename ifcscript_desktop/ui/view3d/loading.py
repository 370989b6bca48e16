"""From the mesher's cache batches (`core.meshcache.MeshBatch`) to the scene's `GeometryBatch`.

The mesher colours each triangle (a window's frame and its glass share one geometry); the scene
colours each element row. So a geometry is split by colour into one scene mesh per colour, and
an element placing it gets one row per colour. A geometry is placed by later batches too, so the
loader remembers, across batches, which scene meshes each mesher geometry became.
"""

from __future__ import annotations

import numpy as np

from ifcscript_desktop.core.meshcache import MeshBatch
from ifcscript_desktop.ui.view3d.arrays import GeometryBatch

class SceneLoader:
    """Turns one model's cache batches, in the order they were written, into scene batches."""

    def __init__(self) -> None:
        #: mesher geometry index -> [(scene mesh index, RGBA)], one per colour of its triangles
        self._meshes: dict[int, list[tuple[int, np.ndarray]]] = {}
        self._scene_meshes = 0
        self.origin: np.ndarray | None = None
        #: The model's storeys, STEP id -> name, lowest first (from the first batch).
        self.storey_names: dict[int, str] = {}

    def batch(self, cached: MeshBatch) -> GeometryBatch:
        """The scene batch of `cached` (its new meshes, and one row per element and colour)."""
        if self.origin is None:
            self.origin = np.asarray(cached.origin, dtype=np.float64)
            self.storey_names = dict(zip(cached.storey_ids.tolist(),
                                         [str(n) for n in cached.storey_names]))
        meshes = self._split_geometries(cached)
        step_ids, global_ids, classes, storeys, geometry, transforms, colors = \
            [], [], [], [], [], [], []
        names = [str(name) for name in cached.class_names]
        guids = [str(g) for g in cached.element_guids]
        element_storeys = cached.element_storey.tolist()
        for element, step in enumerate(cached.element_ids.tolist()):
            placed = self._meshes.get(int(cached.element_geometry[element]))
            if not placed:
                continue  # a geometry the cache does not hold (the batch was checked: none)
            guid, storey = guids[element], element_storeys[element] or None
            for mesh, rgba in placed:
                step_ids.append(step)
                global_ids.append(guid)
                classes.append(names[int(cached.element_class[element])])
                storeys.append(storey)
                geometry.append(mesh)
                transforms.append(cached.element_transforms[element])
                colors.append(rgba)
        return GeometryBatch(
            meshes=meshes, step_ids=np.array(step_ids, np.int64), global_ids=global_ids,
            classes=classes, storeys=storeys, geometry=np.array(geometry, np.int64),
            transforms=np.array(transforms, np.float32).reshape(-1, 4, 4),
            colors=np.array(colors, np.float32).reshape(-1, 4))

    def _split_geometries(self, cached: MeshBatch) -> list[tuple[np.ndarray, np.ndarray]]:
        """This batch's geometries as scene meshes, one per colour, triangles made local."""
        meshes: list[tuple[np.ndarray, np.ndarray]] = []
        for number, ((v_start, v_count), (t_start, t_count)) in enumerate(
                zip(cached.geometry_vertices.tolist(), cached.geometry_triangles.tolist())):
            positions = cached.positions[v_start:v_start + v_count]
            triangles = cached.indices[t_start:t_start + t_count].astype(np.int64) - v_start
            colour_of = cached.triangle_colors[t_start:t_start + t_count]
            placed = []
            colours = np.unique(colour_of).tolist()
            for colour in colours:
                placed.append((self._scene_meshes + len(meshes), cached.colors[colour]))
                if len(colours) == 1:
                    meshes.append((positions, triangles.astype(np.uint32)))
                    continue
                # Each colour's mesh keeps only the vertices its triangles use (a window's frame
                # and glass: the geometry's vertices are held once in all, not once per colour).
                used, local = np.unique(triangles[colour_of == colour], return_inverse=True)
                meshes.append((positions[used], local.reshape(-1, 3).astype(np.uint32)))
            self._meshes[cached.geometry_first + number] = placed
        self._scene_meshes += len(meshes)
        return meshes
