"""The 3D pane: the view of the active model, its toolbar, the meshing progress and the legend.

The pane keeps one `ModelGeometry` per open model (switching models shows the other scene at
once) and says in a sentence what the view cannot show: no model, no geometry, meshing failed.
It decides nothing about the tree or the runs: the window connects its signals.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QLabel, QMenu, QProgressBar,
                               QPushButton, QStackedWidget, QToolBar, QVBoxLayout, QWidget)

from ifcscript_desktop.core import colors as color_records
from ifcscript_desktop.core.client import WorkerClient
from ifcscript_desktop.core.legend import Legend, rgba
from ifcscript_desktop.ui.background import BackgroundRunner
from ifcscript_desktop.ui.view3d.geometry import MeshSummary, ModelGeometry
from ifcscript_desktop.ui.view3d.toolbar import make_action, menu_button
from ifcscript_desktop.ui.view3d.visibility import VisibilityControls

if TYPE_CHECKING:  # imported when the view is made: pyqtgraph.opengl and PyOpenGL cost ~47 MB
    from ifcscript_desktop.ui.view3d.widget import ModelView

NO_MODEL = "Open a model to see it in 3D."
#: A pick in empty space (the widget's `element_clicked` id) clears the selection.
NOTHING = 0


class View3DPane(QWidget):
    """The active model in 3D, with what to do to the view."""

    #: The user picked elements in 3D: the selection's STEP ids (empty: cleared).
    selection_picked = Signal(list)

    def __init__(self, cache_root: Path, cache_limit: Callable[[], int],
                 background: BackgroundRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._root, self._limit, self._background = cache_root, cache_limit, background
        self._geometries: dict[object, ModelGeometry] = {}
        #: False while the pane is closed: nothing is meshed or held (`set_enabled`).
        self.enabled = True
        self.current: ModelGeometry | None = None
        self._view: ModelView | None = None  # made when first needed: a GL context costs ~100 MB
        self.message = QLabel(NO_MODEL)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.message)
        self.progress = QProgressBar()
        self.progress_label = QLabel()
        self.progress_label.setWordWrap(True)  # "Meshing: 12,345 of 100,000" never widens the pane
        self.progress.setMinimumWidth(40)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_meshing)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.RichText)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.status.linkActivated.connect(self._on_status_link)
        self.legend_label = QLabel()
        self.legend_label.setTextFormat(Qt.TextFormat.RichText)
        self.legend_label.setWordWrap(True)
        self.legend_label.hide()
        # Two rows: the pane is narrow beside the editor, and a toolbar does not wrap.
        self.toolbar = QToolBar()
        self.toolbar_visibility = QToolBar()
        self.visibility = VisibilityControls(self, lambda: self.current, self._refresh)
        self._build_actions()
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress_label)
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)
        self.progress_box = QWidget()
        self.progress_box.setLayout(progress_row)
        progress_row.setContentsMargins(4, 0, 4, 0)
        self.progress_box.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.toolbar_visibility)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.legend_label)
        layout.addWidget(self.progress_box)
        layout.addWidget(self.status)

    # -- actions ---------------------------------------------------------------------------------
    def _build_actions(self) -> None:
        bar = self.toolbar
        bar.addAction(make_action(self, "Fit", lambda: self.view.fit_all(), "F",
                                  tip="Fit the whole model"))
        bar.addAction(make_action(self, "Zoom to selection", lambda: self.view.fit_selection(), "Z"))
        views = QMenu(self)
        for name in ("top", "front", "side", "isometric"):
            views.addAction(name.capitalize(), partial(lambda n: self.view.set_view(n), name))
        views.addSeparator()
        self.action_ortho = views.addAction("Orthographic")
        self.action_ortho.setCheckable(True)
        self.action_ortho.toggled.connect(lambda on: self.view.set_orthographic(on))
        menu_button("View", views, bar)
        menu_button("Section", self.visibility.section_menu, bar)
        self.action_measure = make_action(self, "Measure", self._on_measure, "M", checkable=True,
                                          tip="Click two points to measure their distance")
        bar.addAction(self.action_measure)
        self.action_save_image = make_action(self, "Save view as image…", self.save_image)
        self.action_copy_image = make_action(self, "Copy image", self.copy_image)
        snapshot = QMenu(self)
        snapshot.addAction(self.action_save_image)
        snapshot.addAction(self.action_copy_image)
        menu_button("Image", snapshot, bar)
        self.visibility.add_to(self.toolbar_visibility)
        self.action_ghost = make_action(self, "Grey out", self._on_ghost, checkable=True,
                                        tip="Grey out what a run did not colour or highlight")
        self.toolbar_visibility.addAction(self.action_ghost)

    def prepare(self) -> None:
        """Import the GL view's libraries (pyqtgraph.opengl, PyOpenGL: ~0.35 s of the GUI
        thread) while the window waits for a model rather than when its geometry arrives; not
        while the pane is closed (it may never be opened)."""
        if self.isVisible():
            import ifcscript_desktop.ui.view3d.widget  # noqa: F401

    @property
    def view(self) -> ModelView:
        """The GL view, made the first time it is needed (never while the pane stays closed)."""
        if self._view is None:
            from ifcscript_desktop.ui.view3d.widget import ModelView

            self._view = ModelView()
            self.stack.addWidget(self._view)
            self._view.element_clicked.connect(self._on_clicked)
            self._view.measured.connect(self._on_measured)
            self._view.set_orthographic(self.action_ortho.isChecked())
        return self._view

    def _refresh(self) -> None:
        if self._view is not None:
            self._view.refresh()

    # -- models ----------------------------------------------------------------------------------
    def show_model(self, key: object | None, client: WorkerClient | None = None,
                   sha256: str | None = None) -> None:
        """Show the model `key` (an open model); start its geometry once its hash is known."""
        geometry = self._geometries.get(key) if key is not None else None
        if geometry is None and key is not None and client is not None and sha256 \
                and self.enabled:
            geometry = ModelGeometry(client, self._root, self._background, self._limit(), self,
                                     in_use=self._folders_in_use)
            geometry.progress.connect(lambda done, total, g=geometry: self._on_progress(g, done, total))
            geometry.scene_grew.connect(lambda g=geometry: self._on_scene_grew(g))
            geometry.finished.connect(lambda summary, g=geometry: self._on_finished(g, summary))
            geometry.failed.connect(lambda sentence, g=geometry: self._on_failed(g, sentence))
            self._geometries[key] = geometry
            geometry.start(sha256)
        self.current = geometry
        self._update_legend()
        self.action_ghost.setChecked(bool(geometry and geometry.scene.ghosted))
        if self._view is not None or geometry is not None:
            self.view.set_scene(geometry.scene if geometry else None)
        self.visibility.sync(geometry)
        self._show_state()

    def _folders_in_use(self) -> list[Path]:
        return [g.folder for g in self._geometries.values() if g.folder is not None]

    def forget(self, key: object) -> None:
        """The model was closed: stop its meshing and drop its scene."""
        geometry = self._geometries.pop(key, None)
        if geometry is None:
            return
        geometry.stop()
        if geometry is self.current:
            self.show_model(None)
        geometry.deleteLater()

    def set_enabled(self, enabled: bool) -> None:
        """The pane was closed (False: every scene is dropped and meshing stops, so a closed
        pane costs nothing) or opened again (the window then shows the active model)."""
        self.enabled = enabled
        if not enabled:
            self.shutdown()

    def shutdown(self) -> None:
        """The window closes: every model's meshing stops quietly."""
        for key in list(self._geometries):
            self.forget(key)

    def cancel_meshing(self) -> None:
        if self.current is not None:
            self.current.cancel()

    # -- selection and results -----------------------------------------------------------------
    def select(self, ids: list[int], zoom: bool = False) -> None:
        """Show the tree's (or a result row's) selection in 3D; `zoom` to it."""
        if self.current is None:
            return
        self.current.scene.select(ids)
        self._refresh()
        if zoom and ids:
            self.view.fit_selection()

    def show_run(self, highlights: Sequence[dict[str, Any]], colors: Sequence[dict[str, Any]]
                 ) -> dict[int, Any]:
        """A run's `highlight` and `color_by` (the last) on the model, the rest greyed when
        there are any; returns the coloured values by STEP id (for the tree)."""
        if self.current is None:
            return {}
        scene = self.current.scene
        scene.clear_highlights()
        scene.clear_colors()
        for highlight in highlights:  # a run's record: checked again, never trusted
            ids = highlight.get("ids")
            color = highlight.get("color")
            try:
                rgba(color if isinstance(color, str) else "#FFD54F")
            except ValueError:
                color = "#FFD54F"
            scene.highlight([i for i in ids if type(i) is int and 0 < i < 2 ** 63]
                            if isinstance(ids, list) else [],
                            color if isinstance(color, str) else "#FFD54F")
        values: dict[int, Any] = {}
        if colors:
            record = colors[-1]
            values = color_records.step_values(record)
            self.color_by(str(record.get("title") or "Coloured by value"), values,
                          color_records.not_found(record))
        else:
            self.current.legend_title = None
            self._update_legend()
        self.action_ghost.setChecked(bool(highlights or colors))
        scene.ghost_others(bool(highlights or colors))
        self._refresh()
        return values

    def color_by_global_ids(self, title: str, values: dict[str, Any]) -> dict[int, Any]:
        """Colour the model by a result column (GlobalId -> value); GlobalIds without geometry
        are counted in the legend. Returns the values by STEP id."""
        if self.current is None:
            return {}
        ids = self.current.scene.ids_by_global_id()
        found = {ids[g]: v for g, v in values.items() if g in ids}
        self.color_by(title, found, not_found=len(values) - len(found))
        return found

    def color_by(self, title: str, values: dict[int, Any], not_found: int = 0) -> None:
        """Colour the model by values (STEP id -> value); `not_found` more are counted."""
        if self.current is None:
            return
        self.current.scene.color_by(values)
        self.current.legend_title, self.current.legend_not_found = title, not_found
        self.action_ghost.setChecked(True)
        self.current.scene.ghost_others(True)
        self._update_legend()
        self._refresh()

    def _update_legend(self) -> None:
        """The shown model's legend, counted against what is in its scene now (geometry that
        came in since the colouring is counted too)."""
        current = self.current
        legend = current.scene.legend if current is not None else None
        if current is None or legend is None or current.legend_title is None:
            self._show_legend("", None)
            return
        if current.legend_not_found:
            legend = Legend(legend.kind, legend.entries, legend.not_found + current.legend_not_found,
                            legend.low, legend.high)
        self._show_legend(current.legend_title, legend)

    def _show_legend(self, title: str, legend: Legend | None) -> None:
        if legend is None:
            self.legend_label.hide()
            return
        rows = [f"<b>{_escape(title)}</b>"]
        for entry in legend.entries:
            rows.append(f"<span style='color:{entry.color}'>■</span> {_escape(entry.label)} "
                        f"<span style='color:gray'>({entry.count:,})</span>")
        if legend.not_found:
            rows.append(f"<span style='color:gray'>{legend.not_found:,} not drawn (no geometry, "
                        "or not in this model)</span>")
        self.legend_label.setText(" &nbsp; ".join(rows))
        self.legend_label.show()

    # -- image -----------------------------------------------------------------------------------
    def snapshot(self) -> QImage:
        return self.view.snapshot()

    def save_image(self, path: str | None = None) -> str | None:
        """Save the view as a PNG (asking where when `path` is None); the path saved, or None."""
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Save view as image", "view.png",
                                                  "PNG images (*.png)")
        if not path:
            return None
        if not path.lower().endswith(".png"):
            path += ".png"
        if not self.snapshot().save(path):
            self.status.setText(_escape(f"The image could not be saved to {path}."))
            return None
        self.status.setText(_escape(f"Saved the view to {path}."))
        return path

    def copy_image(self) -> None:
        QGuiApplication.clipboard().setImage(self.snapshot())
        self.status.setText("Copied the view to the clipboard.")

    # -- slots -----------------------------------------------------------------------------------
    def _on_clicked(self, step_id: int, add: bool) -> None:
        if self.current is None or self.action_measure.isChecked():
            return
        scene = self.current.scene
        if step_id == NOTHING:
            ids: list[int] = scene.selection if add else []
        elif add:
            ids = [i for i in scene.selection if i != step_id] + (
                [] if step_id in scene.selection else [step_id])
        else:
            ids = [step_id]
        self.select(ids)
        self.selection_picked.emit(ids)

    def _on_measured(self, distance: float, first: Any, second: Any) -> None:
        self.status.setText(f"Distance: {distance:.3f} m  (from {_point(first)} to {_point(second)})")

    def _on_measure(self) -> None:
        on = self.action_measure.isChecked()
        self.view.set_measuring(on)
        if on:
            self.status.setText("Measure: click two points on the model.")

    def _on_ghost(self) -> None:
        if self.current is not None:
            self.current.scene.ghost_others(self.action_ghost.isChecked())
            self._refresh()

    def _on_progress(self, geometry: ModelGeometry, done: int, total: int) -> None:
        if geometry is not self.current:
            return
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(min(done, max(total, 1)))
        verb = "Loading" if geometry.from_cache else "Meshing"
        self.progress_label.setText(f"{verb}: {done:,} of {total:,} elements")
        self.progress_box.setVisible(geometry.busy)

    def _on_scene_grew(self, geometry: ModelGeometry) -> None:
        if geometry is self.current:
            if self.view.scene is not geometry.scene:  # first geometry, or a cache rebuilt
                self.view.set_scene(geometry.scene)
            self._refresh()
            if geometry.legend_title is not None:
                self._update_legend()
            self._show_state()

    def _on_finished(self, geometry: ModelGeometry, summary: MeshSummary) -> None:
        if geometry is self.current:
            self._refresh()
            self._update_legend()
            self._show_state()

    def _on_failed(self, geometry: ModelGeometry, sentence: str) -> None:
        if geometry is self.current:
            self._show_state(sentence)

    def _show_state(self, problem: str | None = None) -> None:
        """The view or a sentence, the progress row and the missing-geometry line."""
        geometry = self.current
        self.progress_box.setVisible(bool(geometry and geometry.busy))
        if self._view is not None:
            self._view.set_streaming(bool(geometry and geometry.busy))
        if geometry is None:
            self.message.setText(NO_MODEL)
            self.stack.setCurrentWidget(self.message)
            self.status.clear()
            self.legend_label.hide()
            return
        summary = geometry.summary
        has_geometry = geometry.scene.element_count > 0
        if has_geometry:
            self.stack.setCurrentWidget(self.view)
        elif summary is not None:
            missing = summary.without_geometry + summary.failed_count
            self.message.setText("This model has no geometry to show"
                                 + (f": {missing:,} elements have no body or failed to mesh."
                                    if missing else "."))
            self.stack.setCurrentWidget(self.message)
        elif problem:
            self.message.setText(problem)
            self.stack.setCurrentWidget(self.message)
        else:
            self.message.setText("Preparing the 3D view…")
            self.stack.setCurrentWidget(self.message)
        lines = [_escape(problem)] if problem and has_geometry else []
        if summary is not None and summary.sentence():
            link = " (<a href='missing'>select them</a>)" if summary.missing_ids else ""
            lines.append(_escape(summary.sentence()) + link)
        self.status.setText("  ".join(lines))

    def _on_status_link(self, link: str) -> None:
        if link == "missing" and self.current is not None and self.current.summary is not None:
            self.selection_picked.emit(list(self.current.summary.missing_ids))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _point(point: Any) -> str:
    try:
        return "(" + ", ".join(f"{float(v):.2f}" for v in point) + ")"
    except TypeError:
        return "?"
