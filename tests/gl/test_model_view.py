"""The 3D view drawn with real GL: models meshed by a real worker, what a user sees and clicks."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ifcopenshell
import ifcopenshell.api.aggregate
import ifcopenshell.api.context
import ifcopenshell.api.geometry
import ifcopenshell.api.project
import ifcopenshell.api.root
import ifcopenshell.api.spatial
import ifcopenshell.api.unit
import ifcopenshell.util.element
import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QDockWidget, QMainWindow
from pytestqt.qtbot import QtBot

from ifcscript_desktop.ui.view3d.arrays import GeometryBatch
from ifcscript_desktop.ui.view3d.legend import rgba
from ifcscript_desktop.ui.view3d.picking import pick, project, ray_through
from ifcscript_desktop.ui.view3d.scene import SELECTION_COLOR, Scene
from ifcscript_desktop.ui.view3d.widget import MEASURE_COLOR, ModelView
from tests.gl.conftest import SIZE, load_scene, mesh_model, pixels
from tests.ifcmodels import storey_model

MM = 1000.0  # the built models' length unit (api.unit.assign_unit's default)


def build(path: Path, boxes: Sequence[tuple[str, tuple[float, float, float], tuple[float, float, float]]]
          ) -> dict[str, int]:
    """A model of boxes (class, corner, size in metres) on one storey; STEP id by name (class + #)."""
    model, body, storey = storey_model("GL test")
    ids = {}
    for number, (ifc_class, corner, size) in enumerate(boxes):
        element = ifcopenshell.api.root.create_entity(model, ifc_class=ifc_class, name=f"{ifc_class} {number}")
        ifcopenshell.api.spatial.assign_container(model, relating_structure=storey, products=[element])
        ifcopenshell.api.geometry.edit_object_placement(model, product=element, matrix=np.eye(4))
        centre = (corner[0] + size[0] / 2, corner[1] + size[1] / 2, corner[2])
        position = model.createIfcAxis2Placement3D(model.createIfcCartesianPoint(tuple(c * MM for c in centre)))
        profile = model.createIfcRectangleProfileDef("AREA", None, None, size[0] * MM, size[1] * MM)
        solid = model.createIfcExtrudedAreaSolid(profile, position, model.createIfcDirection((0.0, 0.0, 1.0)),
                                                 size[2] * MM)
        shape = model.createIfcShapeRepresentation(body, "Body", "SweptSolid", [solid])
        ifcopenshell.api.geometry.assign_representation(model, product=element, representation=shape)
        ids[f"{ifc_class}{number}"] = element.id()
    model.write(str(path))
    return ids


def scene_of(tmp_path: Path, boxes: Sequence[tuple[str, tuple[float, float, float], tuple[float, float, float]]]
             ) -> tuple[Scene, dict[str, int]]:
    ids = build(tmp_path / "model.ifc", boxes)
    return load_scene(mesh_model(tmp_path / "model.ifc", tmp_path / "cache")), ids


WALL = ("IfcWall", (0.0, 0.0, 0.0), (4.0, 0.2, 3.0))


@pytest.fixture
def background(view: ModelView) -> np.ndarray:
    """The empty view's frame (the background gradient)."""
    return pixels(view.snapshot()).astype(int)


def drawn(view: ModelView, background: np.ndarray) -> np.ndarray:
    """Where the frame is not background: (H, W) bool."""
    return np.abs(pixels(view.snapshot()).astype(int) - background).max(axis=2) > 12


def bluish(image: np.ndarray) -> np.ndarray:
    """Pixels of the selection colour's hue (any shade)."""
    r, g, b = (image[..., i].astype(int) for i in range(3))
    return (b > r + 60) & (b > g + 30)


def row_ids(scene: Scene, keep: Any) -> list[int]:
    """The STEP ids of the scene's elements `keep(step_id)` is true of."""
    return sorted({step for step in (scene.step_id(row) for row in range(scene.element_count)) if keep(step)})


def reddish(image: np.ndarray) -> np.ndarray:
    r, g, b = (image[..., i].astype(int) for i in range(3))
    return (r > g + 60) & (r > b + 60)


def centre_pixel(view: ModelView) -> np.ndarray:
    return pixels(view.snapshot())[SIZE[1] // 2, SIZE[0] // 2].astype(int)


def test_nothing_is_drawn_without_a_scene_or_with_an_empty_one(view: ModelView) -> None:
    for scene in (None, Scene()):
        view.set_scene(scene)
        image = pixels(view.snapshot())
        assert image.shape == (SIZE[1], SIZE[0], 3)
        assert image.min() > 150, "a light background, never a black box"
        assert (image.max(axis=(0, 1)) - image.min(axis=(0, 1))).max() < 40


def test_the_top_view_of_a_slab_has_its_footprint(view: ModelView, background: np.ndarray, tmp_path: Path) -> None:
    scene, _ = scene_of(tmp_path, [("IfcSlab", (0.0, 0.0, 0.0), (20.0, 5.0, 0.3))])
    view.set_scene(scene)
    view.set_view("top")
    rows, columns = np.nonzero(drawn(view, background))
    width, height = np.ptp(columns) + 1, np.ptp(rows) + 1
    assert width > SIZE[0] / 3, "fitted: the slab fills the view"
    assert width / height == pytest.approx(4.0, rel=0.1)
    view.set_orthographic(True)
    rows, columns = np.nonzero(drawn(view, background))
    assert (np.ptp(columns) + 1) / (np.ptp(rows) + 1) == pytest.approx(4.0, rel=0.1)


def test_the_house_is_drawn_shaded_storey_by_storey(view: ModelView, background: np.ndarray, house_cache: Path) -> None:
    model = ifcopenshell.open(str(Path(__file__).parents[1] / "fixtures" / "AC20-FZK-Haus.ifc"))
    scene = load_scene(house_cache)
    view.set_scene(scene)
    whole = drawn(view, background)
    assert whole.mean() > 0.1
    image = pixels(view.snapshot())[whole]
    assert len(np.unique(image // 16, axis=0)) > 20, "shaded faces, not flat silhouettes"
    storeys = sorted(scene.storeys)
    assert len(storeys) >= 2
    assert storeys == sorted(s.id() for s in model.by_type("IfcBuildingStorey")
                             if ifcopenshell.util.element.get_decomposition(s))
    scene.hide(row_ids(scene, lambda step: not ifcopenshell.util.element.get_container(
        model.by_id(step), ifc_class="IfcBuildingStorey")))  # the site's terrain is on no storey
    for shown in storeys:
        for storey in storeys:
            scene.set_storey_visible(storey, storey == shown)
        view.refresh()
        assert drawn(view, background).mean() > 0.01, f"storey #{shown} draws nothing"


def test_a_click_on_the_wall_says_which_element_it_is(view: ModelView, tmp_path: Path, qtbot: QtBot) -> None:
    scene, ids = scene_of(tmp_path, [WALL])
    view.set_scene(scene)
    view.set_view("front")
    centre = QPoint(SIZE[0] // 2, SIZE[1] // 2)
    with qtbot.waitSignal(view.element_clicked, timeout=2000) as clicked:
        qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=centre)
    assert clicked.args == [ids["IfcWall0"], False]
    with qtbot.waitSignal(view.element_clicked, timeout=2000) as clicked:
        qtbot.mouseClick(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier, pos=centre)
    assert clicked.args == [ids["IfcWall0"], True]
    with qtbot.waitSignal(view.element_clicked, timeout=2000) as clicked:
        qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    assert clicked.args == [0, False]


def test_dragging_orbits_around_the_point_under_the_cursor_without_clicking(
        view: ModelView, tmp_path: Path, qtbot: QtBot) -> None:
    scene, _ = scene_of(tmp_path, [WALL])
    view.set_scene(scene)
    view.set_view("front")
    start = QPoint(SIZE[0] // 2 + 60, SIZE[1] // 2)
    yaw = view.camera.yaw
    clicks: list[Any] = []
    view.element_clicked.connect(lambda *args: clicks.append(args))
    size, aspect = (view.width(), view.height()), view.width() / view.height()
    hit = pick(scene, *ray_through((start.x(), start.y()), size, view.camera.view_matrix(),
                                   view.camera.projection_matrix(aspect)))
    assert hit is not None  # the wall's face, 1.2 m right of its middle
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=start)
    for step in range(1, 6):
        qtbot.mouseMove(view, start + QPoint(10 * step, 6 * step))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=start + QPoint(50, 30))
    assert view.camera.yaw != yaw and not clicks
    x, y, _ = project([hit.point], size, view.camera.view_matrix(), view.camera.projection_matrix(aspect))[0]
    assert (x, y) == pytest.approx((start.x(), start.y()), abs=1.0), "the picked point stayed under the cursor"


def test_selecting_the_door_turns_its_pixels_the_selection_colour(view: ModelView, tmp_path: Path) -> None:
    scene, ids = scene_of(tmp_path, [WALL, ("IfcDoor", (1.5, -0.1, 0.0), (1.0, 0.1, 2.1))])
    view.set_scene(scene)
    view.set_view("front")
    assert bluish(pixels(view.snapshot())).sum() == 0
    before = view.upload_count
    scene.select([ids["IfcDoor1"]])
    view.refresh()
    blue = bluish(pixels(view.snapshot()))
    rows, columns = np.nonzero(blue)
    door = project([[1.5, -0.1, 0.0], [2.5, -0.1, 2.1]], (view.width(), view.height()),
                   view.camera.view_matrix(), view.camera.projection_matrix(view.width() / view.height()))
    assert blue.sum() > 1000
    assert columns.min() == pytest.approx(door[:, 0].min(), abs=3) and columns.max() == pytest.approx(
        door[:, 0].max(), abs=3)
    assert rows.min() == pytest.approx(door[:, 1].min(), abs=3)
    assert view.upload_count - before == 1, "only the colours went to the GPU again"
    colour = pixels(view.snapshot())[int(door[:, 1].mean()), int(door[:, 0].mean())] / 255.0
    assert colour / colour.max() == pytest.approx(np.array(SELECTION_COLOR[:3]) / max(SELECTION_COLOR[:3]),
                                                  abs=0.05), "the selection colour, shaded"


def test_highlights_and_colours_by_value_change_what_is_drawn(view: ModelView, tmp_path: Path) -> None:
    scene, ids = scene_of(tmp_path, [WALL])
    view.set_scene(scene)
    view.set_view("front")
    plain = centre_pixel(view)
    scene.highlight([ids["IfcWall0"]], (1.0, 0.0, 0.0))
    view.refresh()
    red = centre_pixel(view)
    assert red[0] > 100 and red[1] < 30 and red[2] < 30, red
    scene.clear_highlights()
    legend = scene.color_by({ids["IfcWall0"]: "load-bearing"})
    view.refresh()
    coloured = centre_pixel(view)
    expected = np.array(rgba(legend.entries[0].color)[:3])
    assert coloured / coloured.max() == pytest.approx(expected / expected.max(), abs=0.08), (coloured, expected)
    scene.clear_colors()
    view.refresh()
    assert centre_pixel(view) == pytest.approx(plain, abs=2)


def test_measuring_two_points_gives_their_distance_and_draws_the_segment(
        view: ModelView, tmp_path: Path, qtbot: QtBot) -> None:
    scene, _ = scene_of(tmp_path, [WALL])
    view.set_scene(scene)
    view.set_view("front")
    view.set_measuring(True)
    ends = [[0.5, 0.0, 1.0], [3.5, 0.0, 2.0]]  # on the wall's face
    at = project(ends, (view.width(), view.height()), view.camera.view_matrix(),
                 view.camera.projection_matrix(view.width() / view.height()))
    clicks: list[Any] = []
    view.element_clicked.connect(lambda *args: clicks.append(args))
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(round(at[0, 0]), round(at[0, 1])))
    with qtbot.waitSignal(view.measured, timeout=2000) as measured:
        qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(round(at[1, 0]), round(at[1, 1])))
    length, first, second = measured.args
    assert length == pytest.approx(float(np.hypot(3.0, 1.0)), abs=0.03)
    assert first == pytest.approx(scene.model_point(ends[0]), abs=0.03)
    assert second == pytest.approx(scene.model_point(ends[1]), abs=0.03)
    assert not clicks, "measuring selects nothing"
    image = pixels(view.snapshot()).astype(int)
    orange = np.abs(image - np.array(MEASURE_COLOR[:3]) * 255).max(axis=2) < 40
    assert orange.sum() > 50, "the segment is drawn"
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    image = pixels(view.snapshot()).astype(int)
    assert (np.abs(image - np.array(MEASURE_COLOR[:3]) * 255).max(axis=2) < 40).sum() == 0, "Escape clears it"


def test_a_slow_scene_drops_small_elements_while_moving_and_draws_them_again_at_rest(
        view: ModelView, tmp_path: Path, qtbot: QtBot) -> None:
    scene, ids = scene_of(tmp_path, [("IfcSlab", (0.0, 0.0, 0.0), (20.0, 5.0, 0.3)),
                                     ("IfcFurniture", (9.0, 2.0, 0.3), (0.1, 0.1, 0.1))])
    scene.highlight([ids["IfcFurniture1"]], (1.0, 0.0, 0.0))
    view.set_scene(scene)
    view.set_view("top")
    assert reddish(pixels(view.snapshot())).sum() > 0
    qtbot.mousePress(view, Qt.MouseButton.MiddleButton, pos=QPoint(300, 200))
    view.frame_ms = 100.0  # as if the last whole frame had been slow
    qtbot.mouseMove(view, QPoint(320, 200))
    assert view.coarse
    assert reddish(pixels(view.grabFramebuffer())).sum() == 0, "the small element is left out while moving"
    assert view.coarse, "(a snapshot, not this grab, draws whole)"
    qtbot.mouseRelease(view, Qt.MouseButton.MiddleButton, pos=QPoint(320, 200))
    qtbot.waitUntil(lambda: not view.coarse, timeout=2000)
    assert reddish(pixels(view.snapshot())).sum() > 0


def test_the_wheel_zooms_towards_the_point_under_the_cursor(view: ModelView, tmp_path: Path) -> None:
    scene, _ = scene_of(tmp_path, [WALL])
    view.set_scene(scene)
    view.set_view("front")
    size = (view.width(), view.height())
    corner = [3.5, 0.0, 2.5]  # on the wall's face, off the centre
    before = project([corner], size, view.camera.view_matrix(), view.camera.projection_matrix(size[0] / size[1]))[0]
    distance = view.camera.distance
    at = QPointF(before[0], before[1])
    QApplication.sendEvent(view, QWheelEvent(at, view.mapToGlobal(at), QPoint(), QPoint(0, 240),
                                             Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                                             Qt.ScrollPhase.NoScrollPhase, False))
    after = project([corner], size, view.camera.view_matrix(), view.camera.projection_matrix(size[0] / size[1]))[0]
    assert view.camera.distance < distance * 0.8
    assert after[:2] == pytest.approx(before[:2], abs=1.5), "the point under the cursor stays there"
    view.fit_all()
    assert view.camera.distance == pytest.approx(distance)


def test_snapshot_is_the_drawn_frame(view: ModelView, background: np.ndarray, tmp_path: Path) -> None:
    scene, _ = scene_of(tmp_path, [WALL])
    view.set_scene(scene)
    image = view.snapshot()
    assert not image.isNull() and (image.width(), image.height()) == SIZE
    assert drawn(view, background).mean() > 0.02


def slab_batch(step_id: int, x: float, first_mesh: int) -> GeometryBatch:
    """A 10 m x 10 m slab at `x`, as one batch of its own."""
    corners = np.array([[0, 0, 0], [10, 0, 0], [10, 10, 0], [0, 10, 0]], np.float32)
    placement = np.eye(4, dtype=np.float32)[None].copy()
    placement[0, 0, 3] = x
    return GeometryBatch(meshes=[(corners, np.array([[0, 1, 2], [0, 2, 3]], np.uint32))], step_ids=[step_id],
                         global_ids=[f"slab{step_id}"], classes=["IfcSlab"], storeys=[None],
                         geometry=[first_mesh], transforms=placement, colors=[(0.6, 0.6, 0.6, 1.0)])


def test_the_view_frames_the_model_as_batches_come_until_the_user_moves(
        view: ModelView, background: np.ndarray, qtbot: QtBot) -> None:
    scene = Scene()
    view.set_scene(scene)
    scene.add_batch(slab_batch(1, 0.0, 0))
    view.refresh()
    view.set_view("top")
    view.set_scene(scene)  # as the pane does on open: framing by batches again
    first = drawn(view, background)
    scene.add_batch(slab_batch(2, 40.0, 1))
    view.refresh()
    both = drawn(view, background)
    _, columns = np.nonzero(both)
    assert np.ptp(columns) > SIZE[0] / 3 and both.sum() < first.sum(), "both slabs in view, each smaller"
    scene.hide([2])
    view.refresh()
    assert drawn(view, background).sum() == pytest.approx(both.sum() / 2, rel=0.1), "hiding does not move the camera"
    scene.show_all()
    qtbot.mousePress(view, Qt.MouseButton.MiddleButton, pos=QPoint(300, 200))
    qtbot.mouseMove(view, QPoint(330, 200))
    qtbot.mouseRelease(view, Qt.MouseButton.MiddleButton, pos=QPoint(330, 200))
    target = view.camera.target.copy()
    scene.add_batch(slab_batch(3, 80.0, 2))
    view.refresh()
    assert view.camera.target == pytest.approx(target), "the camera stays where the user put it"


def test_the_model_is_still_drawn_when_its_dock_floats_out_of_the_window(tmp_path: Path, qtbot: QtBot) -> None:
    scene, ids = scene_of(tmp_path, [WALL])
    window = QMainWindow()
    qtbot.addWidget(window)
    dock, view = QDockWidget("3D"), ModelView()  # the window owns them
    dock.setWidget(view)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    window.resize(900, 600)
    window.show()
    view.set_scene(scene)
    view.set_view("front")
    assert bluish(pixels(view.snapshot())).sum() == 0
    dock.setFloating(True)  # a new top-level window: a new GL context
    qtbot.waitExposed(dock)
    scene.select([ids["IfcWall0"]])
    view.refresh()
    view.set_view("front")
    assert bluish(pixels(view.snapshot())).mean() > 0.05, "the selected wall is drawn in the floating dock"
