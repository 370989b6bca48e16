"""The geometry cache as the GUI reads it: complete or not, batches validated, a size limit."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ifcscript_desktop.core import meshcache
from ifcscript_desktop.core.meshcache import MeshCacheError, complete, evict, load_batch

SHA = "ab" * 32


def batch_arrays(elements: int = 3) -> dict[str, np.ndarray]:
    """One geometry (a triangle pair) used by `elements` elements, as `worker.mesh` writes it."""
    return {
        "origin": np.array([500000.0, 5000000.0, 0.0]),
        "positions": np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], dtype=np.float32),
        "indices": np.array([[0, 1, 2], [0, 2, 3]], dtype=np.uint32),
        "geometry_first": np.array(0, dtype=np.int64),
        "geometry_vertices": np.array([[0, 4]], dtype=np.int64),
        "geometry_triangles": np.array([[0, 2]], dtype=np.int64),
        "colors": np.array([[0.5, 0.5, 0.5, 1.0]], dtype=np.float32),
        "triangle_colors": np.zeros(2, dtype=np.uint32),
        "element_ids": np.arange(10, 10 + elements, dtype=np.int64),
        "element_geometry": np.zeros(elements, dtype=np.int64),
        "element_transforms": np.repeat(np.eye(4, dtype=np.float32)[None], elements, axis=0),
        "element_class": np.zeros(elements, dtype=np.uint32),
        "class_names": np.array(["IfcWall"]),
        "element_flags": np.zeros(elements, dtype=np.uint8),
        "element_guids": np.array([f"{n:022d}" for n in range(elements)]),
        "element_storey": np.full(elements, 7, dtype=np.int64),
        "storey_ids": np.array([7], dtype=np.int64),
        "storey_names": np.array(["Ground floor"]),
    }


def write_cache(folder: Path, batches: int = 2, **changed: Any) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    listed = []
    for n in range(batches):
        path = folder / f"batch-{n:05d}.npz"
        np.savez(path, **{**batch_arrays(), **changed})
        listed.append({"file": path.name, "bytes": path.stat().st_size, "elements": 3})
    (folder / "manifest.json").write_text(json.dumps({
        "format": meshcache.FORMAT, "complete": True, "origin": [500000.0, 5000000.0, 0.0], "batches": listed,
        "elements": 3 * batches, "total_bytes": sum(b["bytes"] for b in listed)}))
    return [folder / b["file"] for b in listed]


def test_a_whole_cache_is_complete_and_its_batches_load(tmp_path: Path) -> None:
    paths = write_cache(tmp_path / "m")
    assert complete(tmp_path / "m")
    assert meshcache.batch_paths(tmp_path / "m") == paths
    batch = load_batch(paths[0])
    assert batch.positions.dtype == np.float32 and batch.indices.dtype == np.uint32
    assert batch.origin.tolist() == [500000.0, 5000000.0, 0.0]
    assert list(batch.element_ids) == [10, 11, 12] and batch.geometry_first == 0
    assert batch.nbytes > 0


def test_a_truncated_batch_makes_the_cache_incomplete_and_reads_as_a_sentence(tmp_path: Path) -> None:
    paths = write_cache(tmp_path / "m")
    data = paths[1].read_bytes()
    paths[1].write_bytes(data[: len(data) // 2])
    assert not complete(tmp_path / "m")
    with pytest.raises(MeshCacheError, match=r"^The geometry file .*batch-00001.npz is damaged"):
        load_batch(paths[1])


def test_a_partial_cache_without_manifest_or_with_a_missing_batch_is_incomplete(tmp_path: Path) -> None:
    paths = write_cache(tmp_path / "m")
    paths[0].unlink()
    assert not complete(tmp_path / "m")
    (tmp_path / "m" / "manifest.json").unlink()
    assert not complete(tmp_path / "m")
    with pytest.raises(MeshCacheError, match="partial"):
        meshcache.read_manifest(tmp_path / "m")
    (tmp_path / "m" / "manifest.json").write_text("{not json")
    assert not complete(tmp_path / "m")


@pytest.mark.parametrize("changed, problem", [
    ({"indices": np.array([[0, 1, 9]], dtype=np.uint32),
      "triangle_colors": np.zeros(1, dtype=np.uint32)}, "points past the vertices"),
    ({"positions": np.array([[np.nan, 0, 0]] * 4, dtype=np.float32)}, "not finite"),
    ({"positions": np.zeros((4, 3), dtype=np.float64)}, "positions is float64"),
    ({"element_geometry": np.array([0, 0, 5], dtype=np.int64)}, "no batch so far holds"),
    ({"geometry_vertices": np.array([[0, 40]], dtype=np.int64)}, "points past the end"),
    ({"element_flags": np.zeros(2, dtype=np.uint8)}, "one entry per element"),
    ({"element_guids": np.array(["a"])}, "one entry per element"),
    ({"element_storey": np.array([7, 7, 8], dtype=np.int64)}, "storey is missing"),
])
def test_inconsistent_arrays_are_refused_with_what_is_wrong(tmp_path: Path, changed: dict[str, Any],
                                                             problem: str) -> None:
    [path] = write_cache(tmp_path / "m", batches=1, **changed)
    assert complete(tmp_path / "m")  # whole files: only reading them finds the damage
    with pytest.raises(MeshCacheError, match=problem):
        load_batch(path)


def test_a_pickled_array_is_never_unpickled(tmp_path: Path) -> None:
    [path] = write_cache(tmp_path / "m", batches=1,
                         class_names=np.array([{"evil": 1}], dtype=object))
    with pytest.raises(MeshCacheError, match="damaged"):
        load_batch(path)


def test_a_compressed_or_inflating_archive_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "batch-00000.npz"
    buffer = io.BytesIO()
    np.save(buffer, np.zeros((1 << 20, 3), dtype=np.float32))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("positions.npy", buffer.getvalue())
    with pytest.raises(MeshCacheError, match="not a batch the app wrote"):
        load_batch(path)


def test_a_link_or_folder_is_not_read(tmp_path: Path) -> None:
    [path] = write_cache(tmp_path / "m", batches=1)
    link = tmp_path / "m" / "batch-00009.npz"
    link.symlink_to(path)
    with pytest.raises(MeshCacheError, match="not a regular file"):
        load_batch(link)


def test_the_key_names_what_changes_the_meshes(tmp_path: Path) -> None:
    key = meshcache.cache_key(SHA, "0.9.0.post1", "1911dcb274fcb660")
    assert key == f"{SHA}-0.9.0.post1-1911dcb274fcb660"
    assert meshcache.cache_key(SHA, "0.9.1", "1911dcb274fcb660") != key
    assert meshcache.cache_key(SHA, "../../x", "k").count("/") == 0
    with pytest.raises(ValueError):
        meshcache.cache_key("../etc", "0.9", "k")


def _aged(root: Path, name: str, age_s: int) -> Path:
    folder = root / name
    write_cache(folder)
    mtime = 1_700_000_000 - age_s
    os.utime(folder / "manifest.json", (mtime, mtime))
    return folder


def test_eviction_removes_the_oldest_models_until_the_cache_fits(tmp_path: Path) -> None:
    old, middle, new = (_aged(tmp_path, n, age) for n, age in (("a", 300), ("b", 200), ("c", 100)))
    size = meshcache.folder_bytes(new)
    assert evict(tmp_path, 3 * size) == []
    assert evict(tmp_path, 2 * size) == [old]
    assert evict(tmp_path, size, keep=middle) == [new]
    assert middle.exists() and not old.exists() and not new.exists()


def test_a_folder_without_manifest_ages_by_its_own_time(tmp_path: Path) -> None:
    done = _aged(tmp_path, "done", 300)
    writing = tmp_path / "writing"  # a mesher's folder before its manifest: recent, kept
    write_cache(writing)
    (writing / "manifest.json").unlink()
    assert evict(tmp_path, meshcache.folder_bytes(writing)) == [done]
    os.utime(writing, (1_000_000_000, 1_000_000_000))  # abandoned long ago
    assert evict(tmp_path, 0) == [writing]


def test_a_triangle_outside_its_own_geometry_is_damage(tmp_path: Path) -> None:
    """Two geometries in a batch: the first's triangles may not use the second's vertices."""
    arrays = batch_arrays()
    arrays["positions"] = np.concatenate([arrays["positions"], arrays["positions"]])
    arrays["indices"] = np.array([[0, 1, 2], [4, 5, 6]], dtype=np.uint32)  # geometry 0 uses 4..6
    arrays["geometry_vertices"] = np.array([[0, 4], [4, 4]], dtype=np.int64)
    arrays["geometry_triangles"] = np.array([[0, 2], [2, 0]], dtype=np.int64)
    path = tmp_path / "batch-00000.npz"
    np.savez(path, **arrays)
    with pytest.raises(MeshCacheError, match="outside its own vertices"):
        load_batch(path)
    arrays["geometry_vertices"] = np.array([[0, 2**62], [2**62, 2**62]], dtype=np.int64)
    np.savez(path, **arrays)  # ranges whose int64 sums overflow
    with pytest.raises(MeshCacheError, match="points past the end"):
        load_batch(path)


def test_a_header_declaring_a_huge_array_is_damage_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "batch-00000.npz"
    np.savez(path, **batch_arrays())
    with zipfile.ZipFile(path) as archive:
        members = {m.filename: archive.read(m) for m in archive.infolist()}
    header = io.BytesIO()  # positions claims 10^13 rows: numpy would allocate before reading
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": (10**13, 3)})
    members["positions.npy"] = header.getvalue() + np.zeros((4, 3), np.float32).tobytes()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(MeshCacheError, match="damaged"):
        load_batch(path)


def test_eviction_keeps_every_folder_in_use(tmp_path: Path) -> None:
    folders = []
    for name in ("a", "b", "c"):
        write_cache(tmp_path / name)
        folders.append(tmp_path / name)
    assert evict(tmp_path, 0, keep=folders[:2]) == [folders[2]]
