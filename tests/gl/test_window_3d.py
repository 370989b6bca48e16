"""The 3D pane in the main window, as a user drives it: real worker, real mesher, real GL."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from ifcscript_desktop.core import meshcache
from ifcscript_desktop.core.settings import save_setting
from ifcscript_desktop.ui.app import build_main_window
from ifcscript_desktop.ui.main_window import MainWindow
from ifcscript_desktop.ui.view3d.geometry import ModelGeometry
from tests.conftest import FIXTURES

OPEN_MS = 120_000
MESH_MS = 300_000
RUN_MS = 120_000


@pytest.fixture
def window(qtbot: QtBot, data_dir: Path) -> Iterator[MainWindow]:
    win = build_main_window(str(data_dir), [])
    qtbot.addWidget(win)
    win.resize(1600, 1000)
    win.show()
    yield win
    win.close()
    win.store.close()


def open_model(qtbot: QtBot, window: MainWindow, path: Path) -> ModelGeometry:
    with qtbot.waitSignal(window.models.model_opened, timeout=OPEN_MS):
        window.open_models([str(path)])
    qtbot.waitUntil(lambda: window.view3d.current is not None, timeout=OPEN_MS)
    geometry = window.view3d.current
    assert geometry is not None
    return geometry


def shown(qtbot: QtBot, window: MainWindow, path: Path) -> ModelGeometry:
    """Open the model and wait until all its geometry is in the view."""
    geometry = open_model(qtbot, window, path)
    qtbot.waitUntil(lambda: geometry.summary is not None, timeout=MESH_MS)
    qtbot.waitUntil(lambda: window.view3d.view.upload_count > 0, timeout=10_000)
    return geometry


def pixels(window: MainWindow) -> np.ndarray:
    image = window.view3d.snapshot().convertToFormat(QImage.Format.Format_RGB888)
    width, height, stride = image.width(), image.height(), image.bytesPerLine()
    data = np.frombuffer(bytes(image.constBits()), np.uint8).reshape(height, stride)
    return data[:, :width * 3].reshape(height, width, 3).astype(np.int16)


def near(image: np.ndarray, rgb: tuple[int, int, int], tolerance: int = 40) -> int:
    """How many pixels have about this colour (shading changes it a little)."""
    return int((np.abs(image - np.array(rgb)).max(axis=2) <= tolerance).sum())


def magenta_like(image: np.ndarray) -> int:
    """Pixels of a shaded magenta: red and blue alike, green far below (light changes levels)."""
    r, g, b = image[..., 0], image[..., 1], image[..., 2]
    return int(((r > 80) & (np.abs(r - b) < 40) & (g < 0.35 * r)).sum())


def one_wall_model(path: Path) -> tuple[Path, int]:
    import ifcopenshell.api

    from tests.ifcmodels import storey_model

    model, body, storey = storey_model("One wall")
    wall = ifcopenshell.api.root.create_entity(model, ifc_class="IfcWall", name="The wall")
    ifcopenshell.api.spatial.assign_container(model, relating_structure=storey, products=[wall])
    representation = ifcopenshell.api.geometry.add_wall_representation(
        model, context=body, length=6.0, height=3.0, thickness=0.3)
    ifcopenshell.api.geometry.assign_representation(model, product=wall,
                                                    representation=representation)
    ifcopenshell.api.geometry.edit_object_placement(model, product=wall)
    model.write(str(path))
    return path, wall.id()


def no_geometry_model(path: Path) -> Path:
    import ifcopenshell.api

    from tests.ifcmodels import storey_model

    model, _, storey = storey_model("Nothing to see")
    walls = [ifcopenshell.api.root.create_entity(model, ifc_class="IfcWall", name=f"W{n}")
             for n in range(3)]
    ifcopenshell.api.spatial.assign_container(model, relating_structure=storey, products=walls)
    model.write(str(path))
    return path


def test_the_house_fills_the_view_in_batches_and_every_storey_has_geometry(
        qtbot: QtBot, window: MainWindow) -> None:
    geometry = open_model(qtbot, window, FIXTURES / "AC20-FZK-Haus.ifc")
    assert window.view3d_dock.isVisible()  # on by default, beside the editor
    # Triangles are on screen while the rest is still being meshed (its walls take seconds).
    qtbot.waitUntil(lambda: geometry.scene.element_count > 0, timeout=MESH_MS)
    assert geometry.summary is None and window.view3d.progress_box.isVisible()
    assert " of " in window.view3d.progress_label.text()
    qtbot.waitUntil(lambda: geometry.summary is not None, timeout=MESH_MS)
    assert not window.view3d.progress_box.isVisible()
    assert "without geometry" in window.view3d.status.text()
    window.view3d.view.set_view("front")
    window.view3d.view.fit_all()
    background = pixels(window)[2, 2]
    for storey in geometry.loader.storey_names:  # each storey alone still draws something
        for other in geometry.scene.storeys:
            geometry.scene.set_storey_visible(other, other == storey)
        window.view3d.view.refresh()
        window.view3d.view.fit_all()
        qtbot.waitUntil(lambda: (np.abs(pixels(window) - background).max(axis=2) > 30).sum()
                        > 200, timeout=10_000)


def test_click_selects_in_the_tree_and_the_tree_selects_in_3d(
        qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    path, wall = one_wall_model(tmp_path / "wall.ifc")
    shown(qtbot, window, path)
    view = window.view3d.view
    view.set_view("front")
    view.fit_all()
    with qtbot.waitSignal(window.tree.elements_selected, timeout=30_000):
        qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(view.width() // 2,
                                                                     view.height() // 2))
    qtbot.waitUntil(lambda: window.tree.selected_ids() == [wall], timeout=30_000)
    # Empty space clears the selection; the tree's selection comes back to 3D.
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(3, 3))
    qtbot.waitUntil(lambda: window.tree.selected_ids() == [], timeout=10_000)
    assert window.view3d.current is not None
    window.tree.select_elements([wall])
    qtbot.waitUntil(lambda: window.view3d.current.scene.selection == [wall], timeout=30_000)


def test_selecting_a_door_in_the_tree_turns_its_pixels_the_selection_colour(
        qtbot: QtBot, window: MainWindow) -> None:
    from ifcscript_desktop.ui.view3d.scene import SELECTION_COLOR

    geometry = shown(qtbot, window, FIXTURES / "AC20-FZK-Haus.ifc")
    doors = sorted({geometry.scene.step_id(int(r)) for r in range(geometry.scene.element_count)
                    if geometry.scene.class_name(int(r)) == "IfcDoor"})  # the front one among them
    window.view3d.view.set_view("front")
    window.view3d.view.fit_all()
    selection = tuple(int(round(255 * c)) for c in SELECTION_COLOR[:3])
    before = near(pixels(window), selection)  # type: ignore[arg-type]
    window.tree.select_elements(doors)
    qtbot.waitUntil(lambda: near(pixels(window), selection) > before + 50,  # type: ignore[arg-type]
                    timeout=30_000)


def test_the_panes_buttons_hide_isolate_and_show_spaces(qtbot: QtBot, window: MainWindow) -> None:
    geometry = shown(qtbot, window, FIXTURES / "AC20-FZK-Haus.ifc")
    scene, pane = geometry.scene, window.view3d
    classes = [scene.class_name(r) for r in range(scene.element_count)]
    spaces = np.array([c == "IfcSpace" for c in classes])
    assert spaces.any() and not scene.visible[spaces].any()  # hidden at first
    pane.visibility.action_spaces.trigger()
    assert scene.visible[spaces].all()
    pane.visibility.action_spaces.trigger()
    doors = sorted({scene.step_id(r) for r, c in enumerate(classes) if c == "IfcDoor"})
    window.tree.select_elements(doors)
    qtbot.waitUntil(lambda: scene.selection == doors, timeout=30_000)
    pane.visibility.isolate_selection()
    visible = {scene.step_id(int(r)) for r in np.flatnonzero(scene.visible)}
    assert visible == set(doors)
    pane.visibility.show_all()
    pane.visibility.hide_selection()
    assert not ({scene.step_id(int(r)) for r in np.flatnonzero(scene.visible)} & set(doors))
    pane.visibility.show_all()
    lowest = next(iter(geometry.loader.storey_names))
    pane.visibility.cut_above_storey(lowest)
    box = scene.bounds()
    storey = scene.storey_bounds(lowest)
    assert box is not None and storey is not None and box.hi[2] <= storey.hi[2] + 0.02


def test_a_runs_highlight_and_color_by_colour_the_model_with_a_legend(
        qtbot: QtBot, window: MainWindow) -> None:
    geometry = shown(qtbot, window, FIXTURES / "AC20-FZK-Haus.ifc")
    window.view3d.view.set_view("isometric")
    window.view3d.view.fit_all()
    assert magenta_like(pixels(window)) < 50
    window.scripts.show_code(textwrap.dedent("""
        walls = model.by_type("IfcWall")
        highlight(walls, color="#FF00FF")
        color_by({w: ("outer" if i % 2 else "inner") for i, w in enumerate(model.by_type("IfcSlab"))},
                 title="Slab side")
    """), "colours")
    with qtbot.waitSignal(window.runs.run_finished, timeout=RUN_MS) as blocker:
        window.run_script()
    reply = blocker.args[0]
    assert reply.status == "success", (reply.error, reply.output)
    qtbot.waitUntil(lambda: magenta_like(pixels(window)) > 500, timeout=30_000)
    assert window.view3d.legend_label.isVisible()
    assert "Slab side" in window.view3d.legend_label.text()
    assert window.view3d.action_ghost.isChecked()
    assert geometry.scene.legend is not None
    # History brings the colours back after they were cleared, on the model the run was on.
    window.view3d.show_run([], [])
    assert not window.view3d.legend_label.isVisible()
    run_id = blocker.args[0].execution_id
    window.bottom.setCurrentWidget(window.history)
    qtbot.waitUntil(lambda: window.history.select_run(run_id), timeout=10_000)
    qtbot.waitUntil(lambda: window.history.detail.colors_button.isVisible(), timeout=10_000)
    window.history.detail.colors_button.click()
    assert "Slab side" in window.view3d.legend_label.text()
    assert window.view3d.legend_label.isVisible()


def test_a_result_row_selects_in_3d_and_a_double_click_zooms_to_it(
        qtbot: QtBot, window: MainWindow) -> None:
    from ifcscript_desktop.ui.results.table_view import TableView

    geometry = shown(qtbot, window, FIXTURES / "AC20-FZK-Haus.ifc")
    window.scripts.show_code('result = [{"GlobalId": d.GlobalId, "name": d.Name} '
                             'for d in model.by_type("IfcDoor")]\n', "doors")
    with qtbot.waitSignal(window.runs.run_finished, timeout=RUN_MS):
        window.run_script()
    [table] = window.results.findChildren(TableView)
    guid = table.model.row(0)["GlobalId"]
    door = geometry.scene.ids_by_global_id()[guid]
    table.table.selectRow(0)
    qtbot.waitUntil(lambda: geometry.scene.selection == [door], timeout=30_000)
    window.view3d.view.fit_all()
    distance = window.view3d.view.camera.distance
    table.table.doubleClicked.emit(table.table.model().index(0, 0))  # the tab may be hidden
    qtbot.waitUntil(lambda: window.view3d.view.camera.distance < distance / 2, timeout=10_000)
    assert geometry.scene.selection == [door]


def test_switching_and_closing_models_keep_colours_and_the_selector_right(
        qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    paths = [one_wall_model(tmp_path / f"{name}.ifc")[0] for name in "abc"]
    for path in paths:
        shown(qtbot, window, path)
    window.model_box.setCurrentIndex(0)  # a.ifc
    qtbot.waitUntil(lambda: window.models.active is not None
                    and window.models.active.path == str(paths[0]), timeout=10_000)
    window.scripts.show_code('color_by({w: "x" for w in model.by_type("IfcWall")}, title="T")\n',
                             "colours")
    with qtbot.waitSignal(window.runs.run_finished, timeout=RUN_MS):
        window.run_script()
    assert window.view3d.legend_label.isVisible() and window.tree.model._colors
    window.model_box.setCurrentIndex(1)  # b.ifc: a's STEP ids mean nothing here
    qtbot.waitUntil(lambda: window.models.active.path == str(paths[1]), timeout=10_000)
    assert not window.tree.model._colors and not window.view3d.legend_label.isVisible()
    window.model_box.setCurrentIndex(0)  # back to a: its colours and legend come back in 3D
    qtbot.waitUntil(lambda: window.models.active.path == str(paths[0]), timeout=10_000)
    assert window.view3d.legend_label.isVisible()
    window.close_active_model()  # the box shows the model runs now go to
    assert window.model_box.currentData() == window.models.active.path


def test_the_second_open_reads_the_cache_and_a_damaged_cache_is_rebuilt(
        qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    path, _ = one_wall_model(tmp_path / "wall.ifc")
    first = shown(qtbot, window, path)
    assert not first.from_cache and first.folder is not None
    folder = first.folder
    written = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    window.close_active_model()
    second = shown(qtbot, window, path)
    assert second.from_cache and second.meshing is None  # no mesh request reached the worker
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == written
    assert second.scene.element_count == first.scene.element_count
    window.close_active_model()
    batch = next(folder.glob("batch-*.npz"))
    batch.write_bytes(batch.read_bytes()[:200])  # truncated
    third = shown(qtbot, window, path)
    assert not third.from_cache and third.scene.element_count == first.scene.element_count
    assert meshcache.complete(folder)


def test_a_model_without_geometry_says_so(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    shown_model = open_model(qtbot, window, no_geometry_model(tmp_path / "empty.ifc"))
    qtbot.waitUntil(lambda: shown_model.summary is not None, timeout=MESH_MS)
    assert window.view3d.stack.currentWidget() is window.view3d.message
    assert "no geometry to show" in window.view3d.message.text()
    assert "3 elements" in window.view3d.message.text()
    assert "3 without geometry" in window.view3d.status.text()
    with qtbot.waitSignal(window.tree.elements_selected, timeout=30_000):
        window.view3d.status.linkActivated.emit("missing")  # "(select them)"
    qtbot.waitUntil(lambda: len(window.tree.selected_ids()) == 3, timeout=30_000)


def test_closing_the_model_while_meshing_stops_the_mesher(qtbot: QtBot, window: MainWindow) -> None:
    geometry = open_model(qtbot, window, FIXTURES / "AC20-FZK-Haus.ifc")
    qtbot.waitUntil(lambda: geometry.mesher_pid is not None, timeout=MESH_MS)
    pid = geometry.mesher_pid
    assert pid is not None and geometry.summary is None
    window.close_active_model()

    def gone() -> bool:
        try:
            return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
        except OSError:
            return True

    qtbot.waitUntil(gone, timeout=30_000)
    assert window.view3d.current is None
    assert window.view3d.message.text() == "Open a model to see it in 3D."


def test_the_cache_size_setting_evicts_the_oldest_model(
        qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    first_path, _ = one_wall_model(tmp_path / "a.ifc")
    first = shown(qtbot, window, first_path)
    assert first.folder is not None and first.folder.exists()
    window.close_active_model()
    save_setting(window.store, "geometry_cache_bytes", 1)  # keeps only the model on screen
    second_path = shutil.copy(FIXTURES / "AC20-FZK-Haus.ifc", tmp_path / "house.ifc")
    second = shown(qtbot, window, Path(second_path))
    qtbot.waitUntil(lambda: not first.folder.exists(), timeout=30_000)  # type: ignore[union-attr]
    assert second.folder is not None and meshcache.complete(second.folder)


def test_a_closed_3d_pane_meshes_nothing_until_it_is_opened_again(
        qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    window.view3d_dock.close()
    path, wall = one_wall_model(tmp_path / "wall.ifc")
    with qtbot.waitSignal(window.models.model_opened, timeout=OPEN_MS):
        window.open_models([str(path)])
    qtbot.waitUntil(lambda: window.models.active is not None
                    and window.models.active.sha256 is not None, timeout=OPEN_MS)
    assert window.view3d.current is None
    assert window.view3d._view is None  # no GL context made (it costs ~100 MB)
    assert not (window.store.data_dir / "geometry").exists()  # nothing meshed
    window.view3d_dock.toggleViewAction().trigger()
    qtbot.waitUntil(lambda: window.view3d.current is not None
                    and window.view3d.current.summary is not None, timeout=MESH_MS)
    assert window.view3d.current.scene.rows_of([wall]).size


def test_while_geometry_streams_in_slow_frames_draw_only_the_biggest_elements(
        qtbot: QtBot, window: MainWindow) -> None:
    shown(qtbot, window, FIXTURES / "AC20-FZK-Haus.ifc")
    view = window.view3d.view
    view.set_streaming(True)
    view.frame_ms = 600.0  # a 100k model's whole frame on llvmpipe
    view.refresh()
    assert view.coarse  # the event loop is not held 600 ms for each batch
    view.set_streaming(False)  # the last batch is in: everything again
    assert not view.coarse


def test_floating_the_3d_pane_keeps_its_scene(qtbot: QtBot, window: MainWindow,
                                              tmp_path: Path) -> None:
    path, wall = one_wall_model(tmp_path / "wall.ifc")
    geometry = shown(qtbot, window, path)
    window.view3d_dock.setFloating(True)
    qtbot.waitUntil(lambda: window.view3d_dock.isVisible(), timeout=10_000)
    window.view3d_dock.setFloating(False)
    qtbot.waitUntil(lambda: window.view3d_dock.isVisible(), timeout=10_000)
    assert window.view3d.current is geometry and geometry.scene.rows_of([wall]).size
    assert window.view3d.enabled


def test_save_the_view_as_an_image(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    path, _ = one_wall_model(tmp_path / "wall.ifc")
    shown(qtbot, window, path)
    saved = window.view3d.save_image(str(tmp_path / "view"))
    assert saved == str(tmp_path / "view.png")
    image = QImage(saved)
    assert image.width() == window.view3d.view.width() and not image.isNull()
    assert len(np.unique(pixels(window).reshape(-1, 3), axis=0)) > 3  # a picture, not a blank
    assert window.view3d.action_save_image in window.menuBar().actions()[0].menu().actions()


def test_the_gui_process_has_not_imported_ifcopenshell_after_showing_a_model(
        tmp_path: Path) -> None:
    """In a process of its own (this test process imports ifcopenshell to build models)."""
    script = textwrap.dedent(f"""
        import sys
        from PySide6.QtWidgets import QApplication
        from PySide6.QtCore import QEventLoop, QTimer
        from ifcscript_desktop.ui.app import build_main_window
        app = QApplication([])
        window = build_main_window({str(tmp_path / 'data')!r}, [])
        window.show()
        window.open_models([{str(FIXTURES / 'AC20-FZK-Haus.ifc')!r}])
        loop = QEventLoop()
        def check():
            g = window.view3d.current
            if g is not None and g.summary is not None:
                loop.quit()
        timer = QTimer(); timer.timeout.connect(check); timer.start(100)
        QTimer.singleShot(240_000, loop.quit)
        loop.exec()
        assert window.view3d.current is not None and window.view3d.current.scene.element_count
        print("ifcopenshell" in sys.modules)
        window.close()
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=300, env={**os.environ})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "False"
