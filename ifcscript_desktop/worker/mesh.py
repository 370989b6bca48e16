"""The mesher: a process forked from the worker that triangulates the open model into the cache.

Forked after the model is parsed (it shares the parsed model copy-on-write), at nice 19 so a
script run outranks it, dying with the worker (PR_SET_PDEATHSIG). It keeps fds 0-2 and its
result pipe only: the client channel, the template's socket and run pipes are closed. It runs
`ifcopenshell.geom.iterator` with one thread per core, local coordinates (`use-world-coords`
off) and reads one transform per element, so a representation shared by many elements (mapped
items: one `geometry.id`) is triangulated and written once.

The cache folder (chosen by the client, keyed by model SHA-256, ifcopenshell version and
`SETTINGS_KEY`) holds, when complete:

``batch-NNNNN.npz`` (uncompressed `numpy.savez`, no pickled objects; read with
``np.load(path, allow_pickle=False)``; `core.meshcache.load_batch` validates one):

- ``origin`` float64 (3,): the model's origin in metres, the same in every batch. Every position
  and transform below is relative to it, so georeferenced coordinates (hundreds of km) are
  recentred in float64 before anything becomes float32.
- ``positions`` float32 (V, 3): the vertices of the geometries first seen in this batch, each
  geometry in its own local frame (metres).
- ``indices`` uint32 (T, 3): triangles, indexing ``positions`` of the same batch.
- ``geometry_first`` int64 (): the global index of this batch's first geometry (geometries are
  numbered across batches in the order batches are written).
- ``geometry_vertices``, ``geometry_triangles`` int64 (G, 2): each geometry's (start, count) in
  ``positions`` and in ``indices``.
- ``colors`` float32 (C, 4): RGBA in 0..1 (alpha = 1 - the style's transparency);
  ``triangle_colors`` uint32 (T,): each triangle's row of ``colors``.
- ``element_ids`` int64 (E,): STEP ids; ``element_geometry`` int64 (E,): the global index of the
  element's geometry, in this batch or an earlier one; ``element_transforms`` float32 (E, 4, 4):
  row-major, world = origin + (M @ [x, y, z, 1])[:3]; ``element_class`` uint32 (E,): the row of
  ``class_names`` (unicode (K,)); ``element_flags`` uint8 (E,): `FLAG_SPACE`, `FLAG_OPENING`
  (views hide those by default); ``element_guids`` unicode (E,): GlobalIds;
  ``element_storey`` int64 (E,): the STEP id of the element's storey (0: none).
- ``storey_ids`` int64 (S,), ``storey_names`` unicode (S,): the model's storeys, lowest first
  (the same in every batch). An element's storey is found as `util.element.get_container` finds
  it (`worker.relations.StoreyFinder`), by STEP id: unnamed storeys and storeys sharing a name
  keep their own elements.

``manifest.json``, written last (temporary name, then renamed): ``format``, ``complete``
(true), ``origin``, ``ifcopenshell``, ``settings_key``, ``elements``, ``geometries``,
``batches`` ([{"file", "bytes", "elements"}]), ``total_bytes``, ``without_geometry``,
``failed``. Batch files are also written under a temporary name and renamed, so a file with
its final name is whole unless damaged afterwards; a folder without a manifest is partial.

To the worker the mesher reports over its pipe (framed JSON, `core.protocol`): one
``{"batch": file, "elements": n, "meshed": k, "total": t}`` per file, then ``{"final": {...}}``
(the `mesh` reply's fields) and exits.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import signal
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ifcscript_desktop.core.protocol import FrameDecoder, encode
from ifcscript_desktop.worker.template import close_all_but, die_with

log = logging.getLogger("ifcscript.worker")

#: A product's GlobalId, as the worker's index knows it (no attribute read per element).
Facts = Callable[[int], str]

FORMAT = 3
FLAG_SPACE = 1
FLAG_OPENING = 2
BATCH_ELEMENTS = 2000
#: A batch is also written once it is this old (seconds): the first one early, so that the
#: view shows triangles within a second of the open, then about one a second.
FIRST_BATCH_S = 0.3
BATCH_S = 1.0
BATCH_BYTES = 64 << 20
FAILED_CAP = 1000
#: When the first batch's elements lie (median) beyond this distance from 0 (metres), their
#: median position, rounded to the metre, becomes the origin; else the origin is 0.
RECENTRE_BEYOND = 1000.0
#: A geometry whose own coordinates reach this far is recentred on itself (exactly: its
#: offset moves into each element's transform, in float64).
LOCAL_RECENTRE_BEYOND = 10_000.0
#: The iterator settings; changing them changes `SETTINGS_KEY`, hence the cache folder.
SETTINGS: dict[str, Any] = {"use-world-coords": False, "weld-vertices": True,
                            "apply-default-materials": True}
SETTINGS_KEY = hashlib.sha256(json.dumps([FORMAT, SETTINGS], sort_keys=True).encode()
                              ).hexdigest()[:16]
#: An error line of ifcopenshell's log naming an element: "[error] [CODE] [time] {GlobalId} text".
_ERROR_LINE = re.compile(
    r"^\[(?:error|Error)\] (?:\[\w+\] )?(?:\[[^\]]*\] )?\{([0-9A-Za-z_$]{22})\} (.*)$")


def ifcopenshell_version() -> str:
    import ifcopenshell

    return str(ifcopenshell.version)


def geom_settings() -> Any:
    import ifcopenshell.geom

    settings: Any = ifcopenshell.geom.settings()
    for name, value in SETTINGS.items():
        settings.set(name, value)
    return settings


class Mesher:
    """The worker's handle on one mesher process (one `mesh` request)."""

    def __init__(self, request_id: int, model: Any, cache_dir: Path,
                 batch_elements: int = BATCH_ELEMENTS, facts: Facts | None = None,
                 timed_batches: bool = True) -> None:
        self.request_id = request_id
        read_fd, write_fd = os.pipe()
        worker = os.getpid()
        self.pid = os.fork()
        if self.pid == 0:
            code = 1
            try:
                os.close(read_fd)
                die_with(worker)
                close_all_but({0, 1, 2, write_fd})
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                os.setpgid(0, 0)
                os.nice(19)
                _mesh(model, cache_dir, write_fd, batch_elements, facts, timed_batches)
                code = 0
            except BaseException:  # the worker reports a mesher that ended without its summary
                log.exception("the mesher failed")
            finally:
                os._exit(code)
        os.close(write_fd)
        os.set_blocking(read_fd, False)
        self.fd = read_fd
        self.decoder = FrameDecoder()
        self.final: dict[str, Any] | None = None
        self.ended = False

    def read(self) -> list[dict[str, Any]]:
        """The messages the mesher sent since the last call; `ended` once its pipe closed."""
        messages: list[dict[str, Any]] = []
        while not self.ended:
            try:
                data = os.read(self.fd, 1 << 16)
            except BlockingIOError:
                break
            if not data:
                self.ended = True
                break
            messages.extend(self.decoder.feed(data))
        for message in messages:
            if "final" in message:
                self.final = message["final"]
        return messages

    def kill(self) -> None:
        """Stop the mesher (cancel, another open, shutdown) and reap it."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.close()

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass


# -- in the mesher process ---------------------------------------------------------------------
class _Batch:
    def __init__(self, geometry_first: int, storeys: dict[int, str]) -> None:
        self.geometry_first = geometry_first
        self.storeys = storeys
        self.element_guids: list[str] = []
        self.element_storey: list[int] = []
        self.positions: list[np.ndarray] = []
        self.indices: list[np.ndarray] = []
        self.triangle_colors: list[np.ndarray] = []
        self.geometry_vertices: list[tuple[int, int]] = []
        self.geometry_triangles: list[tuple[int, int]] = []
        self.colors: list[tuple[float, float, float, float]] = []
        self.color_rows: dict[tuple[float, float, float, float], int] = {}
        self.element_ids: list[int] = []
        self.element_geometry: list[int] = []
        self.element_transforms: list[np.ndarray] = []
        self.element_class: list[int] = []
        self.element_flags: list[int] = []
        self.class_rows: dict[str, int] = {}
        self.vertices = 0
        self.triangles = 0
        self.bytes = 0

    def add_geometry(self, positions: np.ndarray, faces: np.ndarray,
                     colors: list[tuple[float, float, float, float]],
                     material_ids: np.ndarray) -> None:
        rows = np.array([self._color_row(c) for c in colors] or [self._color_row(_GREY)],
                        dtype=np.uint32)
        if len(rows) == 1 or len(material_ids) != len(faces):
            tri_colors = np.full(len(faces), rows[0], dtype=np.uint32)
        else:  # a triangle without a material (-1) takes the first
            tri_colors = rows[np.where((material_ids < 0) | (material_ids >= len(rows)), 0,
                                       material_ids)]
        self.geometry_vertices.append((self.vertices, len(positions)))
        self.geometry_triangles.append((self.triangles, len(faces)))
        self.positions.append(positions)
        self.indices.append(faces.astype(np.uint32) + np.uint32(self.vertices))
        self.triangle_colors.append(tri_colors)
        self.vertices += len(positions)
        self.triangles += len(faces)
        self.bytes += positions.nbytes + faces.size * 4 + len(faces) * 4

    def _color_row(self, color: tuple[float, float, float, float]) -> int:
        row = self.color_rows.get(color)
        if row is None:
            row = self.color_rows[color] = len(self.colors)
            self.colors.append(color)
        return row

    def add_element(self, step_id: int, geometry: int, transform: np.ndarray, cls: str,
                    guid: str, storey: int | None) -> None:
        self.element_guids.append(guid)
        self.element_storey.append(storey if storey in self.storeys else 0)
        row = self.class_rows.get(cls)
        if row is None:
            row = self.class_rows[cls] = len(self.class_rows)
        self.element_ids.append(step_id)
        self.element_geometry.append(geometry)
        self.element_transforms.append(transform)
        self.element_class.append(row)
        self.element_flags.append(FLAG_SPACE if cls == "IfcSpace" else
                                  FLAG_OPENING if cls in _OPENINGS else 0)
        self.bytes += 64 + 24

    def arrays(self, origin: np.ndarray) -> dict[str, np.ndarray]:
        """The batch's arrays, its transforms (float64 so far) made relative to `origin`."""
        transforms = np.array(self.element_transforms, dtype=np.float64).reshape(-1, 4, 4)
        transforms[:, :3, 3] -= origin
        def stack(parts: list[np.ndarray], shape: tuple[int, ...], dtype: Any) -> np.ndarray:
            if not parts:
                return np.zeros(shape, dtype)
            return np.concatenate(parts).astype(dtype, copy=False)

        return {
            "origin": origin,
            "positions": stack(self.positions, (0, 3), np.float32),
            "indices": stack(self.indices, (0, 3), np.uint32),
            "geometry_first": np.array(self.geometry_first, dtype=np.int64),
            "geometry_vertices": np.array(self.geometry_vertices, dtype=np.int64).reshape(-1, 2),
            "geometry_triangles": np.array(self.geometry_triangles, dtype=np.int64).reshape(-1, 2),
            "colors": np.array(self.colors, dtype=np.float32).reshape(-1, 4),
            "triangle_colors": stack(self.triangle_colors, (0,), np.uint32),
            "element_ids": np.array(self.element_ids, dtype=np.int64),
            "element_geometry": np.array(self.element_geometry, dtype=np.int64),
            "element_transforms": transforms.astype(np.float32),
            "element_class": np.array(self.element_class, dtype=np.uint32),
            "class_names": np.array(list(self.class_rows) or [""], dtype=np.str_),
            "element_flags": np.array(self.element_flags, dtype=np.uint8),
            "element_guids": np.array(self.element_guids, dtype="U22").reshape(-1),
            "element_storey": np.array(self.element_storey, dtype=np.int64),
            "storey_ids": np.array(list(self.storeys), dtype=np.int64),
            "storey_names": np.array(list(self.storeys.values()) or [], dtype=np.str_).reshape(-1),
        }


_GREY = (0.7, 0.7, 0.7, 1.0)
_savez: Any = np.savez  # its stub types **arrays as its keyword flags
_OPENINGS = {"IfcOpeningElement", "IfcOpeningStandardCase", "IfcVoidingFeature"}


def _color(material: Any, known: dict[str, tuple[float, float, float, float]]
           ) -> tuple[float, float, float, float]:
    """The RGBA of a style; `known` caches them by the style's name (unique per style)."""
    name = str(material.name)
    color = known.get(name)
    if color is None:
        color = known[name] = _rgba(material)
    return color


def _rgba(material: Any) -> tuple[float, float, float, float]:
    try:
        r, g, b = (float(v) for v in material.diffuse.components)
        alpha = 1.0 - float(material.transparency or 0.0)
    except (AttributeError, TypeError, ValueError):
        return _GREY
    values = (r, g, b, alpha)
    if not all(np.isfinite(values)):
        return _GREY
    return tuple(round(min(1.0, max(0.0, v)), 4) for v in values)  # type: ignore[return-value]


def _clear(cache_dir: Path) -> None:
    """Remove what an earlier mesher left here (the manifest first: the folder reads partial)."""
    for name in ["manifest.json"] + sorted(os.listdir(cache_dir)):
        path = cache_dir / name
        if (name == "manifest.json" or name.startswith("batch-") or name.endswith(".tmp")) \
                and path.is_file() and not path.is_symlink():
            path.unlink(missing_ok=True)


def _write_atomic(path: Path, write: Any) -> int:
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)  # a link planted under the name is removed, never followed
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
    with os.fdopen(fd, "wb") as handle:
        write(handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    return path.stat().st_size


def _storeys(model: Any) -> dict[int, str]:
    """The model's storeys, STEP id -> name (or "Storey #id"), lowest first."""
    try:
        storeys = list(model.by_type("IfcBuildingStorey"))
    except RuntimeError:
        return {}

    def elevation(storey: Any) -> float:
        value = getattr(storey, "Elevation", None)
        return float(value) if isinstance(value, (int, float)) else 0.0

    return {s.id(): str(s.Name or f"Storey #{s.id()}")
            for s in sorted(storeys, key=lambda s: (elevation(s), s.id()))}


def _model_facts(model: Any) -> Facts:
    """GlobalIds read from the model itself, when the worker has no index to lend."""
    return lambda step_id: str(getattr(model.by_id(step_id), "GlobalId", "") or "")


def _mesh(model: Any, cache_dir: Path, out_fd: int, batch_elements: int,
          facts: Facts | None = None, timed_batches: bool = True) -> None:
    import ifcopenshell
    import ifcopenshell.geom

    started = time.perf_counter()

    def report(message: dict[str, Any]) -> None:
        view = memoryview(encode(message))
        while view:
            view = view[os.write(out_fd, view):]

    cache_dir.mkdir(parents=True, exist_ok=True)
    _clear(cache_dir)
    iterator = ifcopenshell.geom.iterator(geom_settings(), model, num_threads=os.cpu_count() or 1)
    # At most what the iterator will give (every product: storeys and the like give no shape),
    # for the "k of t elements" the view shows; reading each product's Representation to count
    # closer took 0.2 s on 50k products.
    total = len(model.by_type("IfcProduct"))
    from ifcscript_desktop.worker.relations import Relations, StoreyFinder

    storeys = _storeys(model)
    storey_of = StoreyFinder(model, Relations(model)).storey_id
    facts = facts or _model_facts(model)
    seen: dict[str, int] = {}  # geometry.id -> global geometry index
    colors: dict[str, tuple[float, float, float, float]] = {}
    offsets: dict[str, np.ndarray] = {}  # geometry.id -> what its positions were recentred by
    produced: set[int] = set()
    origin: np.ndarray | None = None
    batch: _Batch | None = None
    batches: list[dict[str, Any]] = []
    done = 0
    flushed_at = time.perf_counter()

    def flush() -> None:
        nonlocal batch, origin, flushed_at
        flushed_at = time.perf_counter()
        if batch is None or not batch.element_ids:
            return
        if origin is None:
            middle = np.median(np.array([m[:3, 3] for m in batch.element_transforms]), axis=0)
            far = float(np.abs(middle).max()) > RECENTRE_BEYOND
            origin = np.round(middle) if far else np.zeros(3)
        name = f"batch-{len(batches):05d}.npz"
        arrays = batch.arrays(origin)
        size = _write_atomic(cache_dir / name,
                             lambda handle: _savez(handle, allow_pickle=False, **arrays))
        batches.append({"file": name, "bytes": size, "elements": len(batch.element_ids)})
        report({"batch": name, "elements": len(batch.element_ids), "meshed": done,
                "total": max(total, done)})
        batch = None

    if iterator.initialize():
        while True:
            shape = iterator.get()
            geometry = shape.geometry
            matrix = np.frombuffer(shape.transformation_buffer, dtype=np.float64).reshape(
                (4, 4), order="F").copy()
            key = str(geometry.id)
            index = seen.get(key)
            local: np.ndarray | None = None
            offset: np.ndarray | None = None
            if index is None:
                local = np.frombuffer(geometry.verts_buffer, dtype=np.float64).reshape(-1, 3)
                if len(local) and float(np.abs(local).max()) > LOCAL_RECENTRE_BEYOND:
                    offset = np.round((local.min(axis=0) + local.max(axis=0)) / 2)
                    local = local - offset
                    offsets[key] = offset
            else:
                offset = offsets.get(key)
            if offset is not None:
                matrix[:3, 3] += matrix[:3, :3] @ offset
            if batch is None:
                batch = _Batch(len(seen), storeys)
            if index is None:
                assert local is not None
                faces = np.frombuffer(geometry.faces_buffer, dtype=np.int32).reshape(-1, 3)
                material_ids = np.frombuffer(geometry.material_ids_buffer, dtype=np.int32)
                batch.add_geometry(local.astype(np.float32), faces,
                                   [_color(m, colors) for m in geometry.materials], material_ids)
                index = seen[key] = len(seen)
            step_id = int(shape.id)
            batch.add_element(step_id, index, matrix, str(shape.type), facts(step_id),
                              storey_of(step_id))
            produced.add(int(shape.id))
            done += 1
            age = time.perf_counter() - flushed_at if timed_batches else 0.0
            if len(batch.element_ids) >= batch_elements or batch.bytes >= BATCH_BYTES or \
                    age >= (BATCH_S if batches else FIRST_BATCH_S):
                flush()
            if not iterator.next():
                break
    flush()
    without, failed, failed_count = _missing(model, produced)
    origin_list = [float(v) for v in (origin if origin is not None else np.zeros(3))]
    manifest = {
        "format": FORMAT, "complete": True, "origin": origin_list,
        "ifcopenshell": ifcopenshell_version(), "settings_key": SETTINGS_KEY,
        "elements": done, "geometries": len(seen), "batches": batches,
        "total_bytes": sum(b["bytes"] for b in batches),
        "without_geometry": len(without), "without_geometry_ids": without[:FAILED_CAP],
        "failed": failed, "failed_count": failed_count,
        "mesh_s": round(time.perf_counter() - started, 3),
    }
    _write_atomic(cache_dir / "manifest.json",
                  lambda handle: handle.write(json.dumps(manifest).encode()))
    report({"final": {"batches": [b["file"] for b in batches], "elements": done, "total": done,
                      "geometries": len(seen), "origin": origin_list,
                      "without_geometry": len(without),
                      "without_geometry_ids": without[:FAILED_CAP],
                      "failed": failed, "failed_count": failed_count,
                      "ifcopenshell": manifest["ifcopenshell"], "settings_key": SETTINGS_KEY,
                      "mesh_s": manifest["mesh_s"]}})



def _missing(model: Any, produced: set[int]) -> tuple[list[int], list[dict[str, Any]], int]:
    """Elements (and spaces) the iterator gave no shape: without a body, or failed (an error
    logged for them, or a Body representation that gave nothing): the ids without, the failed
    ones (the first `FAILED_CAP`) and how many failed."""
    import ifcopenshell

    errors: dict[str, str] = {}
    for line in (ifcopenshell.get_log() or "").splitlines():
        match = _ERROR_LINE.match(line.strip())
        if match:
            errors.setdefault(match.group(1), match.group(2).strip())
    without: list[int] = []
    failed: list[dict[str, Any]] = []
    failed_count = 0
    candidates = list(model.by_type("IfcElement"))
    try:
        candidates += model.by_type("IfcSpace")
    except RuntimeError:
        pass
    for element in candidates:
        if element.id() in produced:
            continue
        guid = getattr(element, "GlobalId", None)
        error = errors.get(str(guid))
        if error is None and _has_body(element):
            error = "No shape could be made from its Body representation."
        if error is None:
            without.append(element.id())
        else:
            failed_count += 1
            if len(failed) < FAILED_CAP:
                failed.append({"id": element.id(), "guid": guid, "type": element.is_a(),
                               "error": error})
    return without, failed, failed_count


def _has_body(element: Any) -> bool:
    shape = getattr(element, "Representation", None)
    for rep in getattr(shape, "Representations", None) or ():
        if rep.RepresentationIdentifier in ("Body", "Facetation") and rep.Items:
            return True
    return False
