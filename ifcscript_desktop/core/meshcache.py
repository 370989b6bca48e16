"""The geometry cache on the GUI's side: where a model's meshes live, whether they are whole,
reading one batch with numpy alone, and keeping the cache within its size limit.

The worker's mesher (`worker.mesh`, whose docstring defines the batch format) writes into a
folder this module names: ``<data dir>/geometry/<sha256>-<ifcopenshell version>-<settings
key>/``. The cache lives in the user's data folder, so every file is treated as possibly damaged
or partial: `complete` says whether a folder can be shown as is, `load_batch` validates every
array before anyone draws it, and a `MeshCacheError` (a sentence) tells the caller to mesh the
model again.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

FORMAT = 3
MANIFEST = "manifest.json"
#: A batch file larger than this is refused without reading it (the mesher writes ~64 MB).
MAX_BATCH_BYTES = 1 << 31
MAX_MANIFEST_BYTES = 64 << 20
_BATCH_NAME = re.compile(r"^batch-\d{5}\.npz$")
_KEY_PART = re.compile(r"[^0-9A-Za-z._+]")

#: name -> (dtype, trailing shape); the leading dimension is checked against the others below.
_ARRAYS: dict[str, tuple[str, tuple[int, ...]]] = {
    "origin": ("float64", (3,)),
    "positions": ("float32", (3,)),
    "indices": ("uint32", (3,)),
    "geometry_first": ("int64", ()),
    "geometry_vertices": ("int64", (2,)),
    "geometry_triangles": ("int64", (2,)),
    "colors": ("float32", (4,)),
    "triangle_colors": ("uint32", ()),
    "element_ids": ("int64", ()),
    "element_geometry": ("int64", ()),
    "element_transforms": ("float32", (4, 4)),
    "element_class": ("uint32", ()),
    "class_names": ("U", ()),
    "element_flags": ("uint8", ()),
    "element_guids": ("U", ()),
    "element_storey": ("int64", ()),
    "storey_ids": ("int64", ()),
    "storey_names": ("U", ()),
}
_SCALARS = {"origin", "geometry_first"}


class MeshCacheError(Exception):
    """A cache folder or batch file cannot be used; the message is a sentence, and the caller
    meshes the model again."""


@dataclass(frozen=True)
class MeshBatch:
    """One validated batch file's arrays (see `worker.mesh` for what each holds)."""

    origin: np.ndarray
    positions: np.ndarray
    indices: np.ndarray
    geometry_first: int
    geometry_vertices: np.ndarray
    geometry_triangles: np.ndarray
    colors: np.ndarray
    triangle_colors: np.ndarray
    element_ids: np.ndarray
    element_geometry: np.ndarray
    element_transforms: np.ndarray
    element_class: np.ndarray
    class_names: np.ndarray
    element_flags: np.ndarray
    element_guids: np.ndarray
    element_storey: np.ndarray
    storey_ids: np.ndarray
    storey_names: np.ndarray

    @property
    def nbytes(self) -> int:
        return sum(int(getattr(self, name).nbytes) for name in _ARRAYS if name not in _SCALARS)


def cache_key(sha256: str, ifcopenshell_version: str, settings_key: str) -> str:
    """The folder name of a model's meshes: what changes the meshes changes the name."""
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError(f"{sha256!r} is not a SHA-256 in hexadecimal.")
    return "-".join(_KEY_PART.sub("_", part) for part in
                    (sha256, ifcopenshell_version, settings_key))


def cache_dir(root: Path, sha256: str, ifcopenshell_version: str, settings_key: str) -> Path:
    """``root/<key>``: `root` is the cache's own folder (``<data dir>/geometry``)."""
    return root / cache_key(sha256, ifcopenshell_version, settings_key)


def read_manifest(folder: Path) -> dict[str, Any]:
    """The folder's manifest, checked for shape; MeshCacheError when absent or damaged."""
    path = folder / MANIFEST
    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode):
            raise MeshCacheError(f"The geometry cache's manifest {path} is not a file.")
        if info.st_size > MAX_MANIFEST_BYTES:
            raise MeshCacheError(f"The geometry cache's manifest {path} is too large.")
        manifest = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise MeshCacheError(f"The geometry cache in {folder} is partial (it has no manifest)."
                             ) from None
    except (OSError, ValueError) as exc:
        raise MeshCacheError(f"The geometry cache's manifest {path} cannot be read ({exc})."
                             ) from None
    batches = manifest.get("batches") if isinstance(manifest, dict) else None
    origin = manifest.get("origin") if isinstance(manifest, dict) else None
    if (manifest.get("format") != FORMAT or manifest.get("complete") is not True
            or not isinstance(batches, list) or not isinstance(origin, list) or len(origin) != 3
            or not all(isinstance(v, (int, float)) and np.isfinite(v) for v in origin)
            or not all(isinstance(b, dict) and isinstance(b.get("file"), str)
                       and _BATCH_NAME.match(b["file"]) and isinstance(b.get("bytes"), int)
                       for b in batches)):
        raise MeshCacheError(f"The geometry cache's manifest {path} is incomplete or of "
                             "another format.")
    return manifest


def complete(folder: Path) -> bool:
    """Whether the folder holds a whole mesh: a manifest saying so, and every batch it lists
    present, a regular file, of the size it recorded."""
    try:
        manifest = read_manifest(folder)
    except MeshCacheError:
        return False
    for batch in manifest["batches"]:
        try:
            info = os.lstat(folder / batch["file"])
        except OSError:
            return False
        if not stat.S_ISREG(info.st_mode) or info.st_size != batch["bytes"]:
            return False
    return True


def is_batch_name(name: str) -> bool:
    """Whether `name` is a batch file's name (no folders, no other files)."""
    return bool(_BATCH_NAME.match(name))


def batch_paths(folder: Path) -> list[Path]:
    """The batch files of a complete folder, in the order they were written."""
    return [folder / batch["file"] for batch in read_manifest(folder)["batches"]]


def load_batch(path: Path) -> MeshBatch:
    """Read and validate one batch file (numpy only, no pickles); MeshCacheError otherwise."""
    try:
        info = os.lstat(path)
    except OSError as exc:
        raise MeshCacheError(f"The geometry file {path} cannot be read ({exc.strerror}).") from None
    if not stat.S_ISREG(info.st_mode):
        raise MeshCacheError(f"The geometry file {path} is not a regular file.")
    if info.st_size > MAX_BATCH_BYTES:
        raise MeshCacheError(f"The geometry file {path} is larger than a batch can be.")
    try:
        with zipfile.ZipFile(path) as archive:
            declared = sum(member.file_size for member in archive.infolist())
            if declared > info.st_size or any(m.compress_type != zipfile.ZIP_STORED
                                              for m in archive.infolist()):
                raise MeshCacheError(f"The geometry file {path} is not a batch the app wrote.")
        with np.load(path, allow_pickle=False) as data:
            missing = sorted(set(_ARRAYS) - set(data.files))
            if missing:
                raise MeshCacheError(f"The geometry file {path} lacks {', '.join(missing)}.")
            arrays = {name: data[name] for name in _ARRAYS}
    except MeshCacheError:
        raise
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
        raise MeshCacheError(f"The geometry file {path} is damaged ({exc or type(exc).__name__})."
                             ) from None
    except MemoryError:  # a header declaring an array far larger than the file
        raise MeshCacheError(f"The geometry file {path} is damaged (it declares arrays larger "
                             "than it holds).") from None
    problem = _check(arrays)
    if problem:
        raise MeshCacheError(f"The geometry file {path} is damaged: {problem}.")
    return MeshBatch(**{**arrays, "geometry_first": int(arrays["geometry_first"])})


def _check(arrays: dict[str, np.ndarray]) -> str | None:
    """What is wrong with a batch's arrays, or None."""
    for name, (dtype, trailing) in _ARRAYS.items():
        array = arrays[name]
        kind_ok = array.dtype.kind == "U" if dtype == "U" else array.dtype == np.dtype(dtype)
        if not kind_ok:
            return f"{name} is {array.dtype}, not {dtype}"
        if name in _SCALARS:
            if array.shape != trailing:
                return f"{name} has the shape {array.shape}"
        elif array.ndim != 1 + len(trailing) or array.shape[1:] != trailing:
            return f"{name} has the shape {array.shape}"
    positions, indices = arrays["positions"], arrays["indices"]
    vertices, triangles = len(positions), len(indices)
    for name in ("origin", "positions", "colors", "element_transforms"):
        if not np.isfinite(arrays[name]).all():
            return f"{name} holds values that are not finite"
    if triangles and int(indices.max()) >= vertices:
        return "a triangle points past the vertices"
    geometries = len(arrays["geometry_vertices"])
    if len(arrays["geometry_triangles"]) != geometries:
        return "the geometry ranges disagree"
    for name, limit in (("geometry_vertices", vertices), ("geometry_triangles", triangles)):
        for start, count in arrays[name].tolist():  # Python ints: no int64 overflow
            if start < 0 or count < 0 or start + count > limit:
                return f"{name} points past the end"
    for (v_start, v_count), (t_start, t_count) in zip(arrays["geometry_vertices"].tolist(),
                                                      arrays["geometry_triangles"].tolist()):
        if t_count:
            own = indices[t_start:t_start + t_count]
            if int(own.min()) < v_start or int(own.max()) >= v_start + v_count:
                return "a geometry's triangle points outside its own vertices"
    if len(arrays["triangle_colors"]) != triangles:
        return "triangle_colors has not one entry per triangle"
    if triangles and int(arrays["triangle_colors"].max()) >= len(arrays["colors"]):
        return "a triangle's colour is missing"
    elements = len(arrays["element_ids"])
    if len(arrays["storey_names"]) != len(arrays["storey_ids"]):
        return "the storeys' ids and names disagree"
    for name in ("element_geometry", "element_transforms", "element_class", "element_flags",
                 "element_guids", "element_storey"):
        if len(arrays[name]) != elements:
            return f"{name} has not one entry per element"
    first = int(arrays["geometry_first"])
    if elements:
        if first < 0 or arrays["element_geometry"].min() < 0 \
                or int(arrays["element_geometry"].max()) >= first + geometries:
            return "an element points at a geometry no batch so far holds"
        if int(arrays["element_class"].max()) >= len(arrays["class_names"]):
            return "an element's class is missing"
        storey = arrays["element_storey"]
        if not np.isin(storey[storey != 0], arrays["storey_ids"]).all():
            return "an element's storey is missing"
    return None


# -- size limit --------------------------------------------------------------------------------
def folder_bytes(folder: Path) -> int:
    """The bytes of the regular files directly in `folder` (a cache folder has no subfolders)."""
    total = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        try:
            if entry.is_file(follow_symlinks=False):
                total += entry.stat(follow_symlinks=False).st_size
        except OSError:
            pass
    return total


def evict(root: Path, limit_bytes: int, keep: Path | Iterable[Path] | None = None) -> list[Path]:
    """Remove whole model folders under `root`, oldest first (by their manifest's mtime; a
    folder without one, partial or still being written, by its own), until the cache holds at
    most `limit_bytes`. `keep` (the folders of the models open) is never removed. Returns the
    folders removed."""
    kept = {p.resolve() for p in ([keep] if isinstance(keep, Path) else keep or [])}
    folders: list[tuple[float, Path, int]] = []
    try:
        entries = list(os.scandir(root))
    except OSError:
        return []
    for entry in entries:
        if not entry.is_dir(follow_symlinks=False):
            continue
        folder = Path(entry.path)
        try:
            mtime = os.lstat(folder / MANIFEST).st_mtime
        except OSError:
            try:
                mtime = entry.stat(follow_symlinks=False).st_mtime
            except OSError:
                continue
        folders.append((mtime, folder, folder_bytes(folder)))
    total = sum(size for _, _, size in folders)
    removed: list[Path] = []
    for _, folder, size in sorted(folders, key=lambda item: (item[0], item[1].name)):
        if total <= limit_bytes:
            break
        if folder.resolve() in kept:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
        total -= size
    return removed
