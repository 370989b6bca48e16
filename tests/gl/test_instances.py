"""Copies of one type drawn as instances with real GL: a model of mapped desks meshed by a real
worker, each desk drawn, a selected desk blue, a click on a desk naming it."""

from __future__ import annotations

from pathlib import Path

import ifcopenshell.api.geometry
import ifcopenshell.api.root
import ifcopenshell.api.spatial
import ifcopenshell.api.type
import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from ifcscript_desktop.ui.view3d.picking import project
from ifcscript_desktop.ui.view3d.scene import Scene
from ifcscript_desktop.ui.view3d.widget import ModelView
from tests.gl.conftest import load_scene, mesh_model, pixels
from tests.gl.test_model_view import MM, bluish, drawn
from tests.ifcmodels import storey_model

COPIES = 24  # 6 by 4, 3 m apart
DESK = (1.6, 0.8, 0.75)  # metres


def build_desks(path: Path) -> dict[int, tuple[float, float]]:
    """A model of `COPIES` desks, each an IfcMappedItem of one desk type; STEP id -> its corner."""
    model, body, storey = storey_model("Desks")
    desk_type = ifcopenshell.api.root.create_entity(model, ifc_class="IfcFurnitureType", name="Desk")
    profile = model.createIfcRectangleProfileDef("AREA", None, None, DESK[0] * MM, DESK[1] * MM)
    position = model.createIfcAxis2Placement3D(model.createIfcCartesianPoint((DESK[0] / 2 * MM, DESK[1] / 2 * MM, 0.0)))
    solid = model.createIfcExtrudedAreaSolid(profile, position, model.createIfcDirection((0.0, 0.0, 1.0)), DESK[2] * MM)
    shape = model.createIfcShapeRepresentation(body, "Body", "SweptSolid", [solid])
    ifcopenshell.api.geometry.assign_representation(model, product=desk_type, representation=shape)
    corners = {}
    for number in range(COPIES):
        desk = ifcopenshell.api.root.create_entity(model, ifc_class="IfcFurniture", name=f"Desk {number}")
        ifcopenshell.api.spatial.assign_container(model, relating_structure=storey, products=[desk])
        matrix = np.eye(4)
        matrix[:2, 3] = (number % 6 * 3.0, number // 6 * 3.0)
        ifcopenshell.api.geometry.edit_object_placement(model, product=desk, matrix=matrix)
        ifcopenshell.api.type.assign_type(model, related_objects=[desk], relating_type=desk_type)
        corners[desk.id()] = (matrix[0, 3], matrix[1, 3])
    model.write(str(path))
    return corners


@pytest.fixture
def background(view: ModelView) -> np.ndarray:
    """The empty view's frame (the background gradient)."""
    return pixels(view.snapshot()).astype(int)


@pytest.fixture(scope="module")
def desks(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[int, tuple[float, float]]]:
    """The desks model meshed once for this module: its cache folder and the desks' corners."""
    folder = tmp_path_factory.mktemp("desks")
    corners = build_desks(folder / "desks.ifc")
    return mesh_model(folder / "desks.ifc", folder / "cache"), corners


def desk_pixels(view: ModelView, scene: Scene, corners: dict[int, tuple[float, float]]) -> dict[int, tuple[int, int]]:
    """Per desk, the pixel (x, y) of the middle of its top."""
    tops = [(x + DESK[0] / 2 - scene.origin[0], y + DESK[1] / 2 - scene.origin[1], DESK[2] - scene.origin[2])
            for x, y in corners.values()]
    at = project(tops, (view.width(), view.height()), view.camera.view_matrix(),
                 view.camera.projection_matrix(view.width() / view.height()))
    return {step: (int(round(x)), int(round(y))) for step, (x, y, _) in zip(corners, at)}


def test_mapped_copies_are_instances_of_one_mesh_and_each_is_drawn(
        view: ModelView, background: np.ndarray, desks: tuple[Path, dict[int, tuple[float, float]]]) -> None:
    cache, corners = desks
    scene = load_scene(cache)
    assert scene.geometry_count == 1 and scene.instance_count == COPIES
    assert sum(len(chunk.positions) for chunk in scene.merged()) == 0, "no copy merged"
    view.set_scene(scene)
    view.set_view("top")
    shown = drawn(view, background)
    for step, (x, y) in desk_pixels(view, scene, corners).items():
        assert shown[y, x], f"desk #{step} is not drawn"
    first_x, first_y = corners[min(corners)]
    x, y = desk_pixels(view, scene, {0: (first_x + 1.5, first_y)})[0]  # 2.3 m: between two desks
    assert not shown[y, x], "nothing between two desks"


def test_a_selected_copy_turns_the_selection_colour_and_only_it(
        view: ModelView, desks: tuple[Path, dict[int, tuple[float, float]]]) -> None:
    cache, corners = desks
    scene = load_scene(cache)
    view.set_scene(scene)
    view.set_view("top")
    chosen = sorted(corners)[9]
    view.snapshot()  # everything uploaded
    before = view.upload_count
    scene.select([chosen])
    view.refresh()
    image = pixels(view.snapshot())
    blue = bluish(image)
    at = desk_pixels(view, scene, corners)
    assert [step for step, (x, y) in at.items() if blue[y, x]] == [chosen]
    assert view.upload_count - before <= 2, "only the instances went to the GPU again, not the mesh"
    scene.ghost_others(True)
    view.refresh()
    image = pixels(view.snapshot())
    x, y = at[sorted(corners)[0]]
    assert bluish(image)[at[chosen][1], at[chosen][0]] and image[y, x].min() > 150, "the others greyed out"


def test_a_click_on_a_copy_says_which_desk_it_is(
        view: ModelView, qtbot: QtBot, desks: tuple[Path, dict[int, tuple[float, float]]]) -> None:
    cache, corners = desks
    scene = load_scene(cache)
    view.set_scene(scene)
    view.set_view("top")
    at = desk_pixels(view, scene, corners)
    for step in (sorted(corners)[0], sorted(corners)[17]):
        with qtbot.waitSignal(view.element_clicked, timeout=2000) as clicked:
            qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(*at[step]))
        assert clicked.args == [step, False]


def test_a_section_box_hides_the_copies_outside_it_and_cuts_those_it_crosses(
        view: ModelView, background: np.ndarray, desks: tuple[Path, dict[int, tuple[float, float]]]) -> None:
    cache, corners = desks
    scene = load_scene(cache)
    view.set_scene(scene)
    view.set_view("top")
    first = min(corners)
    x0, y0 = corners[first]
    origin = scene.origin
    # Around the first desk only, up to the middle of its length: its other half is cut away.
    scene.set_section_box((x0 - 0.5 - origin[0], y0 - 0.5 - origin[1], -1.0 - origin[2]),
                          (x0 + DESK[0] / 2 - origin[0], y0 + 1.0 - origin[1], 1.0 - origin[2]))
    view.refresh()
    shown = drawn(view, background)
    at = desk_pixels(view, scene, {1: (x0 - 0.4, y0), 2: (x0 + 0.4, y0)})
    assert shown[at[1][1], at[1][0]], "the desk's half inside the box is drawn"
    assert not shown[at[2][1], at[2][0]], "its half outside the box is cut away"
    others = desk_pixels(view, scene, {step: corner for step, corner in corners.items() if step != first})
    assert not any(shown[y, x] for x, y in others.values()), "the desks outside the box are hidden"
    scene.clear_section_box()
    view.refresh()
    assert drawn(view, background)[at[2][1], at[2][0]]
