"""What the 3D pane shows of a model: hide, isolate and show all; spaces, classes and storeys;
the section box and the cut above a storey. The menus are filled from the scene each time
they open, so they list what has been meshed so far."""

from __future__ import annotations

from functools import partial
from typing import Callable

from PySide6.QtWidgets import QMenu, QToolBar, QWidget

from ifcscript_desktop.ui.view3d.geometry import ModelGeometry
from ifcscript_desktop.ui.view3d.scene import HIDDEN_CLASSES, Scene
from ifcscript_desktop.ui.view3d.toolbar import make_action, menu_button


class VisibilityControls:
    """The pane's visibility actions and menus, acting on the model it shows."""

    def __init__(self, owner: QWidget, current: Callable[[], ModelGeometry | None],
                 refresh: Callable[[], None]) -> None:
        self._current, self._refresh = current, refresh
        self.action_hide = make_action(owner, "Hide", self.hide_selection, "H",
                                       tip="Hide the selection")
        self.action_isolate = make_action(owner, "Isolate", self.isolate_selection, "I",
                                          tip="Show only the selection")
        self.action_show_all = make_action(owner, "Show all", self.show_all, "Shift+H")
        self.action_spaces = make_action(owner, "Spaces", self._on_spaces, checkable=True,
                                         tip="Show IfcSpace and opening elements (hidden at first)")
        self.classes_menu = QMenu(owner)
        self.classes_menu.aboutToShow.connect(self._fill_classes)
        self.storeys_menu = QMenu(owner)
        self.storeys_menu.aboutToShow.connect(self._fill_storeys)
        self.section_menu = QMenu(owner)
        self.section_menu.aboutToShow.connect(self._fill_section)

    def add_to(self, bar: QToolBar) -> None:
        """Hide, Isolate, Show all, Spaces, Classes and Storeys on `bar` (Section goes elsewhere)."""
        for action in (self.action_hide, self.action_isolate, self.action_show_all,
                       self.action_spaces):
            bar.addAction(action)
        menu_button("Classes", self.classes_menu, bar)
        menu_button("Storeys", self.storeys_menu, bar)

    def sync(self, geometry: ModelGeometry | None) -> None:
        """Another model is shown: the Spaces toggle says what its scene does."""
        if geometry is not None:
            self.action_spaces.setChecked(any(geometry.scene.classes.get(name, False)
                                              for name in HIDDEN_CLASSES))

    def _change(self, change: Callable[[Scene], None]) -> None:
        """Apply `change` to the shown model's scene and redraw (nothing when none is shown)."""
        current = self._current()
        if current is not None:
            change(current.scene)
            self._refresh()

    # -- the selection ---------------------------------------------------------------------------
    def hide_selection(self) -> None:
        self._change(lambda scene: scene.hide(scene.selection))

    def isolate_selection(self) -> None:
        def isolate(scene: Scene) -> None:
            if scene.selection:  # isolating nothing would empty the view
                scene.isolate(scene.selection)

        self._change(isolate)

    def show_all(self) -> None:
        self._change(lambda scene: scene.show_all())

    # -- classes and storeys ---------------------------------------------------------------------
    def _on_spaces(self) -> None:
        shown = self.action_spaces.isChecked()

        def show_spaces(scene: Scene) -> None:
            for name in HIDDEN_CLASSES:
                scene.set_class_visible(name, shown)

        self._change(show_spaces)

    def _fill_classes(self) -> None:
        self.classes_menu.clear()
        current = self._current()
        if current is None:
            return
        for name, shown in sorted(current.scene.classes.items()):
            action = self.classes_menu.addAction(name)
            action.setCheckable(True)
            action.setChecked(shown)
            action.toggled.connect(partial(self._set_class, name))

    def _set_class(self, name: str, shown: bool) -> None:
        self._change(lambda scene: scene.set_class_visible(name, shown))

    def _fill_storeys(self) -> None:
        self.storeys_menu.clear()
        current = self._current()
        if current is None:
            return
        shown = current.scene.storeys
        for storey, name in current.loader.storey_names.items():
            if storey in shown:
                action = self.storeys_menu.addAction(name)
                action.setCheckable(True)
                action.setChecked(shown[storey])
                action.toggled.connect(partial(self._set_storey, storey))

    def _set_storey(self, storey: int, shown: bool) -> None:
        self._change(lambda scene: scene.set_storey_visible(storey, shown))

    # -- the section -----------------------------------------------------------------------------
    def _fill_section(self) -> None:
        menu = self.section_menu
        menu.clear()
        current = self._current()
        if current is None:
            return
        scene = current.scene
        box_action = menu.addAction("Section box around the selection", self.section_selection)
        box_action.setEnabled(bool(scene.selection))
        cuts = menu.addMenu("Cut above storey")
        for storey, name in current.loader.storey_names.items():
            if scene.storey_bounds(storey) is not None:
                cuts.addAction(name, partial(self.cut_above_storey, storey))
        menu.addAction("Remove the section", self.clear_section).setEnabled(
            scene.section_box is not None)

    def section_selection(self) -> None:
        current = self._current()
        box = current.scene.bounds(current.scene.selection) if current is not None else None
        if current is not None and box is not None:
            margin = 0.05 * float(max(box.hi - box.lo)) + 0.1
            current.scene.set_section_box((box.lo - margin).tolist(), (box.hi + margin).tolist())
            self._refresh()

    def cut_above_storey(self, storey: int) -> None:
        """A horizontal cut: everything above the storey's own elements is cut away."""
        current = self._current()
        if current is None:
            return
        scene = current.scene
        storey_box, whole = scene.storey_bounds(storey), scene.bounds()
        if storey_box is None or whole is None:
            return
        lo, hi = whole.lo - 1.0, whole.hi + 1.0
        hi[2] = storey_box.hi[2] + 0.01
        scene.set_section_box(lo.tolist(), hi.tolist())
        self._refresh()

    def clear_section(self) -> None:
        self._change(lambda scene: scene.clear_section_box())
