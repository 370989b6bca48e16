"""The FZK house meshed by a real worker, loaded from its cache into the 3D scene."""

from __future__ import annotations

from pathlib import Path

from ifcscript_desktop.core import meshcache
from ifcscript_desktop.core.client import WorkerClient
from ifcscript_desktop.ui.view3d.geometry import _joined
from ifcscript_desktop.ui.view3d.loading import SceneLoader
from ifcscript_desktop.ui.view3d.picking import pick
from ifcscript_desktop.ui.view3d.scene import Scene
from tests.conftest import FIXTURES


def test_the_meshed_house_loads_into_the_scene_with_its_colours_and_shape(tmp_path: Path) -> None:
    client = WorkerClient()
    try:
        client.call("open", timeout=120, path=str(FIXTURES / "AC20-FZK-Haus.ifc"))
        mesh = client.send("mesh", {"cache_dir": str(tmp_path / "house")})
        assert mesh.wait(300) and mesh.ok, mesh.error
    finally:
        client.close()
    folder = tmp_path / "house"
    assert meshcache.complete(folder)
    loader = SceneLoader()
    scene = Scene()
    meshed: set[int] = set()
    cached_vertices = 0
    for path in meshcache.batch_paths(folder):
        cached = meshcache.load_batch(path)
        cached_vertices += len(cached.positions)
        meshed |= set(cached.element_ids.tolist())
        scene.add_batch(loader.batch(cached))
    assert loader.origin is not None
    # A geometry of several colours is split without repeating its vertices per colour.
    assert scene.geometry_vertex_count <= cached_vertices
    rows = scene.rows_of(meshed)
    assert {scene.step_id(int(row)) for row in rows} == meshed  # every meshed element is there
    assert len(rows) > len(meshed)  # windows: frame and glass, one row per colour
    import ifcopenshell  # the test process may: only the window's process must not

    model = ifcopenshell.open(str(FIXTURES / "AC20-FZK-Haus.ifc"))
    assert all(scene.global_id(int(r)) == model.by_id(scene.step_id(int(r))).GlobalId
               for r in rows)
    # The house's two storeys and its roof level, lowest first, each holding geometry.
    assert list(loader.storey_names.values()) == [
        s.Name for s in sorted(model.by_type("IfcBuildingStorey"), key=lambda s: s.Elevation)]
    assert set(scene.storeys) == set(loader.storey_names)

    box = scene.bounds()  # spaces and openings are hidden by default: the building itself
    assert box is not None
    width, depth, height = (box.hi - box.lo).tolist()
    assert 8 < max(width, depth) < 30 and 5 < min(width, depth) < 20 and 5 < height < 15, box
    centre = (box.lo + box.hi) / 2
    hit = pick(scene, (centre[0], centre[1], box.hi[2] + 10), (0, 0, -1))
    assert hit is not None and scene.class_name(hit.row) in ("IfcRoof", "IfcSlab"), hit
    chunks = scene.merged()
    assert any(chunk.transparent for chunk in chunks)  # the glass
    assert len(chunks) <= 4
    # Batches read together (as the view reads a cache) make the same scene.
    together, joined_loader = Scene(), SceneLoader()
    together.add_batch(_joined([joined_loader.batch(meshcache.load_batch(p))
                                for p in meshcache.batch_paths(folder)]))
    assert together.element_count == scene.element_count
    assert [together.step_id(r) for r in range(together.element_count)] == \
        [scene.step_id(r) for r in range(scene.element_count)]
    joined_box = together.bounds()
    assert joined_box is not None and (joined_box.lo == box.lo).all() and (joined_box.hi == box.hi).all()
