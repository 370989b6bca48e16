"""Meshing in a process forked from the worker: batches into the cache, streamed as events."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ifcopenshell
import ifcopenshell.api.aggregate
import ifcopenshell.api.context
import ifcopenshell.api.geometry
import ifcopenshell.api.project
import ifcopenshell.api.root
import ifcopenshell.api.spatial
import ifcopenshell.api.type
import ifcopenshell.api.unit
import numpy as np
import pytest

from ifcscript_desktop.core import meshcache
from ifcscript_desktop.core.client import Request, WorkerClient
from ifcscript_desktop.worker.mesh import FLAG_OPENING, FLAG_SPACE
from tests.ifcmodels import storey_model

from .conftest import run

HOUSE = Path(__file__).parents[1] / "fixtures" / "AC20-FZK-Haus.ifc"


def build(path: Path, copies: int = 0, at: tuple[float, float, float] = (0.0, 0.0, 0.0),
          bare: int = 0, broken: int = 0, far_body: bool = False) -> Path:
    """A project, a site and a storey; `copies` walls of one wall type (its body is a mapped
    item in each) 5 m apart from `at`; `bare` walls without a representation; `broken` walls
    whose Body is an extrusion of a degenerate profile; `far_body`: a slab whose placement is
    at 0 but whose Body's own coordinates are at `at` (georeferenced in the representation)."""
    api = ifcopenshell.api
    model, body, storey = storey_model("Test")

    def wall(name: str) -> Any:
        element = api.root.create_entity(model, ifc_class="IfcWall", name=name)
        api.spatial.assign_container(model, relating_structure=storey, products=[element])
        return element

    if copies:
        wall_type = api.root.create_entity(model, ifc_class="IfcWallType", name="Wall 200")
        shape = api.geometry.add_wall_representation(model, context=body, length=4, height=3,
                                                     thickness=0.2)
        api.geometry.assign_representation(model, product=wall_type, representation=shape)
        for i in range(copies):
            element = wall(f"Wall {i}")
            matrix = np.eye(4)
            matrix[:3, 3] = (at[0] + 5.0 * i, at[1], at[2])
            api.geometry.edit_object_placement(model, product=element, matrix=matrix)
            api.type.assign_type(model, related_objects=[element], relating_type=wall_type)
    for i in range(bare):
        wall(f"Bare {i}")
    for i in range(broken):
        element = wall(f"Broken {i}")
        line = model.createIfcPolyline([model.createIfcCartesianPoint((0.0, 0.0)),
                                        model.createIfcCartesianPoint((0.0, 0.0))])
        profile = model.createIfcArbitraryClosedProfileDef("AREA", None, line)
        solid = model.createIfcExtrudedAreaSolid(
            profile, None, model.createIfcDirection((0.0, 0.0, 1.0)), 3.0)
        representation = model.createIfcShapeRepresentation(body, "Body", "SweptSolid", [solid])
        api.geometry.assign_representation(model, product=element, representation=representation)
    if far_body:
        slab = api.root.create_entity(model, ifc_class="IfcSlab", name="Far slab")
        api.spatial.assign_container(model, relating_structure=storey, products=[slab])
        api.geometry.edit_object_placement(model, product=slab, matrix=np.eye(4))
        mm = 1000.0  # the project's length unit (api.unit.assign_unit's default)
        position = model.createIfcAxis2Placement3D(model.createIfcCartesianPoint(
            ((at[0] + 1.0) * mm, (at[1] + 2.0) * mm, at[2] * mm)))
        profile = model.createIfcRectangleProfileDef("AREA", None, None, 20.0 * mm, 5.0 * mm)
        solid = model.createIfcExtrudedAreaSolid(
            profile, position, model.createIfcDirection((0.0, 0.0, 1.0)), 0.3 * mm)
        representation = model.createIfcShapeRepresentation(body, "Body", "SweptSolid", [solid])
        api.geometry.assign_representation(model, product=slab, representation=representation)
    model.write(str(path))
    return path


@pytest.fixture
def fresh() -> Iterator[WorkerClient]:
    client = WorkerClient()
    yield client
    client.close()


def mesh(client: WorkerClient, folder: Path, wait: float = 300, **fields: Any
         ) -> tuple[Request, list[dict[str, Any]]]:
    events: list[dict[str, Any]] = []
    request = client.send("mesh", {"cache_dir": str(folder), "timed_batches": False, **fields},
                          on_event=lambda _, event: events.append(event))
    assert request.wait(wait), "meshing did not finish"
    return request, events


def batches(folder: Path) -> list[meshcache.MeshBatch]:
    assert meshcache.complete(folder)
    return [meshcache.load_batch(path) for path in meshcache.batch_paths(folder)]


def gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


def test_the_house_is_meshed_in_batches_with_every_body_spaces_and_openings_flagged(
        worker: WorkerClient, tmp_path: Path) -> None:
    request, events = mesh(worker, tmp_path / "house")
    assert request.ok, request.error
    reply = request.reply
    assert reply is not None
    streamed = [e for e in events if e["event"] == "mesh_batch"]
    assert [e["file"] for e in streamed] == reply["batches"] != []
    assert streamed[-1]["meshed"] == reply["elements"] <= streamed[-1]["total"]
    manifest = json.loads((tmp_path / "house" / "manifest.json").read_text())
    assert manifest["complete"] and [b["file"] for b in manifest["batches"]] == reply["batches"]

    loaded = batches(tmp_path / "house")
    ids = np.concatenate([b.element_ids for b in loaded])
    model = ifcopenshell.open(str(HOUSE))
    with_body = {e.id() for e in model.by_type("IfcElement") + model.by_type("IfcSpace")
                 if e.Representation and any(r.RepresentationIdentifier == "Body"
                                             for r in e.Representation.Representations)}
    assert with_body <= set(ids.tolist())
    assert len(ids) == len(set(ids.tolist())) == reply["elements"]
    assert reply["failed"] == []
    assert reply["without_geometry"] == len(reply["without_geometry_ids"]) > 0
    for batch in loaded:
        assert (batch.geometry_vertices[:, 1] > 0).all() and (batch.geometry_triangles[:, 1] > 0).all()
        names = batch.class_names[batch.element_class]
        assert ((batch.element_flags == FLAG_SPACE) == (names == "IfcSpace")).all()
        assert ((batch.element_flags == FLAG_OPENING) == (names == "IfcOpeningElement")).all()
    classes = np.concatenate([b.class_names[b.element_class] for b in loaded])
    assert {"IfcSpace", "IfcOpeningElement", "IfcWallStandardCase"} <= set(classes.tolist())
    colors = np.concatenate([b.colors for b in loaded])
    assert len(np.unique(colors[:, :3], axis=0)) > 3  # the model's styles, not one default
    assert (colors[:, 3] < 1).any()  # the glass is transparent


def test_a_shared_representation_is_written_once(fresh: WorkerClient, tmp_path: Path) -> None:
    fresh.call("open", timeout=120, path=str(build(tmp_path / "copies.ifc", copies=50)))
    request, events = mesh(fresh, tmp_path / "cache", batch_elements=20)
    assert request.ok and request.reply is not None, request.error
    assert request.reply["elements"] == 50 and request.reply["geometries"] == 1
    loaded = batches(tmp_path / "cache")
    assert len(loaded) == 3 == len([e for e in events if e["event"] == "mesh_batch"])
    assert [len(b.geometry_vertices) for b in loaded] == [1, 0, 0]
    assert sum(len(b.positions) for b in loaded) == loaded[0].geometry_vertices[0, 1]
    assert all((b.element_geometry == 0).all() for b in loaded)
    offsets = np.concatenate([b.element_transforms[:, 0, 3] for b in loaded])
    assert np.allclose(np.sort(offsets), 5.0 * np.arange(50), atol=1e-4)


def test_a_truncated_cache_reads_as_damaged_and_meshing_again_rebuilds_it(
        fresh: WorkerClient, tmp_path: Path) -> None:
    fresh.call("open", timeout=120, path=str(build(tmp_path / "copies.ifc", copies=30)))
    first, _ = mesh(fresh, tmp_path / "cache", batch_elements=10)
    assert first.ok and meshcache.complete(tmp_path / "cache")
    damaged = tmp_path / "cache" / "batch-00001.npz"
    damaged.write_bytes(damaged.read_bytes()[:100])
    assert not meshcache.complete(tmp_path / "cache")
    with pytest.raises(meshcache.MeshCacheError, match="is damaged"):
        meshcache.load_batch(damaged)
    again, _ = mesh(fresh, tmp_path / "cache", batch_elements=25)
    assert again.ok and again.reply is not None
    assert sorted(os.listdir(tmp_path / "cache")) == ["batch-00000.npz", "batch-00001.npz",
                                                      "manifest.json"]
    assert sum(len(b.element_ids) for b in batches(tmp_path / "cache")) == 30


def test_a_georeferenced_model_is_recentred_in_float64(fresh: WorkerClient, tmp_path: Path) -> None:
    model = build(tmp_path / "geo.ifc", copies=3, at=(500000.0, 5000000.0, 0.0))
    fresh.call("open", timeout=120, path=str(model))
    request, _ = mesh(fresh, tmp_path / "cache")
    assert request.ok and request.reply is not None, request.error
    [batch] = batches(tmp_path / "cache")
    assert batch.origin.dtype == np.float64
    assert np.allclose(batch.origin, (500000.0, 5000000.0, 0.0), atol=10)
    assert request.reply["origin"] == batch.origin.tolist()
    assert np.abs(batch.positions).max() < 10 and np.abs(batch.element_transforms).max() < 100
    # World coordinates come back to the millimetre: origin (float64) + transform @ position.
    corner = batch.positions[batch.indices[0, 0]].astype(np.float64)
    worlds = [batch.origin + (m.astype(np.float64) @ np.append(corner, 1.0))[:3]
              for m in batch.element_transforms]
    xs = sorted(world[0] for world in worlds)
    assert np.allclose(np.diff(xs), 5.0, atol=1e-3)
    assert 499990 < xs[0] < 500010 and all(abs(w[1] - 5000000.0) < 10 for w in worlds)


def test_a_body_with_georeferenced_coordinates_of_its_own_is_recentred(
        fresh: WorkerClient, tmp_path: Path) -> None:
    model = build(tmp_path / "far.ifc", at=(500000.0, 5000000.0, 0.0), far_body=True)
    fresh.call("open", timeout=120, path=str(model))
    request, _ = mesh(fresh, tmp_path / "cache")
    assert request.ok, request.error
    [batch] = batches(tmp_path / "cache")
    assert np.abs(batch.positions).max() < 20  # the slab's 20 m x 5 m, not 5,000 km
    [transform] = batch.element_transforms.astype(np.float64)
    worlds = batch.origin + (transform @ np.c_[batch.positions, np.ones(len(batch.positions))].T
                             ).T[:, :3]
    assert np.allclose(worlds.min(axis=0), (499991.0, 4999999.5, 0.0), atol=1e-3)
    assert np.allclose(worlds.max(axis=0), (500011.0, 5000004.5, 0.3), atol=1e-3)


def test_elements_without_geometry_or_failing_are_counted_and_never_stop_the_rest(
        fresh: WorkerClient, tmp_path: Path) -> None:
    fresh.call("open", timeout=120, path=str(build(tmp_path / "m.ifc", copies=2, bare=3, broken=1)))
    request, _ = mesh(fresh, tmp_path / "cache")
    assert request.ok and request.reply is not None, request.error
    reply = request.reply
    assert reply["elements"] == 2 and reply["without_geometry"] == 3
    assert [(f["type"], f["error"] != "") for f in reply["failed"]] == [("IfcWall", True)]
    assert reply["failed_count"] == 1
    assert meshcache.complete(tmp_path / "cache")


def test_a_model_without_geometry_gives_no_batches_and_says_so(fresh: WorkerClient, tmp_path: Path) -> None:
    fresh.call("open", timeout=120, path=str(build(tmp_path / "empty.ifc", bare=1)))
    request, events = mesh(fresh, tmp_path / "cache")
    assert request.ok and request.reply is not None, request.error
    assert request.reply["batches"] == [] and request.reply["elements"] == 0
    assert request.reply["without_geometry"] == 1
    assert [e["event"] for e in events] == ["mesh_started"]
    assert meshcache.complete(tmp_path / "cache") and meshcache.batch_paths(tmp_path / "cache") == []


def test_cancel_stops_the_mesher_and_leaves_a_partial_cache(fresh: WorkerClient, tmp_path: Path) -> None:
    fresh.call("open", timeout=120, path=str(HOUSE))
    started = threading.Event()
    pids: list[int] = []

    def on_event(_: Request, event: dict[str, Any]) -> None:
        if event["event"] == "mesh_started":
            pids.append(event["pid"])
            started.set()

    request = fresh.send("mesh", {"cache_dir": str(tmp_path / "cache")}, on_event=on_event)
    assert started.wait(60)
    assert not gone(pids[0])
    fresh.cancel(request)
    assert request.wait(30)
    assert not request.ok and request.reply and request.reply["cancelled"]
    assert "cancelled" in (request.error or "")
    assert gone(pids[0])
    assert not meshcache.complete(tmp_path / "cache")
    assert fresh.call("ping")["mesher"] is None
    # The model is still there: meshing again works.
    again, _ = mesh(fresh, tmp_path / "cache")
    assert again.ok and meshcache.complete(tmp_path / "cache")


@pytest.mark.parametrize("end", ["close", "kill"])
def test_the_mesher_ends_with_its_worker(fresh: WorkerClient, tmp_path: Path, end: str) -> None:
    fresh.call("open", timeout=120, path=str(HOUSE))
    started = threading.Event()
    pids: list[int] = []
    fresh.send("mesh", {"cache_dir": str(tmp_path / "cache")},
               on_event=lambda _, e: (pids.append(e["pid"]), started.set()))
    assert started.wait(60)
    getattr(fresh, end)()  # the model closed (shutdown), or the worker killed (PDEATHSIG)
    deadline = threading.Event()
    for _ in range(100):
        if gone(pids[0]):
            break
        deadline.wait(0.1)
    assert gone(pids[0])


def test_a_script_runs_while_the_model_is_meshed(fresh: WorkerClient, tmp_path: Path) -> None:
    fresh.call("open", timeout=120, path=str(HOUSE))
    fresh.model_path = str(HOUSE)
    meshing = fresh.send("mesh", {"cache_dir": str(tmp_path / "cache")})
    ran = run(fresh, "print(len(list(entities)))", tmp_path)
    assert ran.reply and ran.reply["status"] == "success", ran.reply
    overlapped = not meshing.done
    assert meshing.wait(300) and meshing.ok, meshing.error
    assert overlapped, "the run ended after the meshing: nothing was shown"
    assert meshcache.complete(tmp_path / "cache")


def test_mesh_needs_an_open_model_and_an_absolute_folder(fresh: WorkerClient, tmp_path: Path) -> None:
    request = fresh.send("mesh", {"cache_dir": str(tmp_path)})
    assert request.wait(60) and "No model is open" in (request.error or "")
    fresh.call("open", timeout=120, path=str(HOUSE))
    request = fresh.send("mesh", {"cache_dir": "relative/cache"})
    assert request.wait(60) and "absolute path" in (request.error or "")
    assert os.listdir(tmp_path) == []


def test_every_storey_keeps_its_own_elements_named_alike_or_unnamed(
        fresh: WorkerClient, tmp_path: Path) -> None:
    model, body, ground = storey_model("Storeys")
    site = model.by_type("IfcSite")[0]
    twin = ifcopenshell.api.root.create_entity(model, ifc_class="IfcBuildingStorey", name="Ground")
    unnamed = ifcopenshell.api.root.create_entity(model, ifc_class="IfcBuildingStorey")
    unnamed.Name = None
    ifcopenshell.api.aggregate.assign_object(model, relating_object=site, products=[twin, unnamed])
    walls = {}
    for storey in (ground, twin, unnamed):
        wall = ifcopenshell.api.root.create_entity(model, ifc_class="IfcWall")
        ifcopenshell.api.spatial.assign_container(model, relating_structure=storey, products=[wall])
        shape = ifcopenshell.api.geometry.add_wall_representation(
            model, context=body, length=2.0, height=3.0, thickness=0.2)
        ifcopenshell.api.geometry.assign_representation(model, product=wall, representation=shape)
        ifcopenshell.api.geometry.edit_object_placement(model, product=wall)
        walls[wall.id()] = storey.id()
    path = tmp_path / "storeys.ifc"
    model.write(str(path))
    fresh.call("open", timeout=120, path=str(path))
    request, _ = mesh(fresh, tmp_path / "cache")
    assert request.ok, request.error
    [batch] = batches(tmp_path / "cache")
    found = dict(zip(batch.element_ids.tolist(), batch.element_storey.tolist()))
    assert {w: found[w] for w in walls} == walls
    assert sorted(batch.storey_ids.tolist()) == sorted({ground.id(), twin.id(), unnamed.id()})
    assert f"Storey #{unnamed.id()}" in batch.storey_names.tolist()
