"""The window's menus and toolbar: File, Edit, View, Run, Help, each action calling one thing.

The actions the rest of the window drives (run, stop, open, close model...) are set on the
window under their old names (`window.action_run`...), so the window file only assembles.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QObject, Qt
from PySide6.QtGui import QAction, QActionGroup, QFont, QKeySequence
from PySide6.QtWidgets import (QApplication, QComboBox, QDockWidget, QLabel, QMenu, QTabWidget,
                               QToolBar, QWidget)

from ifcscript_desktop.core import library
from ifcscript_desktop.core.store import Script, StoreError
from ifcscript_desktop.ui import theme
from ifcscript_desktop.ui.about import show_about, show_shortcuts
from ifcscript_desktop.ui.library.ops import sentence
from ifcscript_desktop.ui.settings import SettingsDialog

if TYPE_CHECKING:
    from ifcscript_desktop.ui.main_window import MainWindow

Key = QKeySequence.StandardKey


def _typed(sequence: QKeySequence) -> bool:
    """A key combination with a modifier, or a function key (F1-F35)."""
    combination = sequence[0]  # type: ignore[index]  # the stubs miss operator[]
    return bool(combination.keyboardModifiers()) or \
        Qt.Key.Key_F1.value <= combination.key().value <= Qt.Key.Key_F35.value


class PaneTabs(QTabWidget):
    """The bottom tabs (Results, History, Workflows, Help). View can hide one; a tab the window
    brings forward (a run's Results, F1's Help) shows again first."""

    def setCurrentWidget(self, widget: QWidget) -> None:
        index = self.indexOf(widget)
        if index >= 0:
            self.setTabVisible(index, True)
        super().setCurrentWidget(widget)


class WindowMenus(QObject):
    """Builds the menu bar and the toolbar of `window` and holds their actions."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.toolbar = QToolBar("Main")
        self.toolbar.setObjectName("main_toolbar")
        window.addToolBar(self.toolbar)
        self._build_file()
        self._build_edit()
        self._build_view()
        self._build_run()
        self._build_help()
        self._build_toolbar()
        # The layout as built, before a saved state replaces it: View > Reset layout.
        self.first_state: QByteArray = window.saveState()
        self.font_step = 0

    def _action(self, text: str, slot: object, keys: QKeySequence | Key | str | None = None,
                menu: QMenu | None = None) -> QAction:
        action = QAction(text, self.window)
        if isinstance(keys, Key):
            # The platform's bindings one types (Redo: Ctrl+Y, Ctrl+Shift+Z), not the media keys
            # some keyboards have for Copy or Zoom In.
            action.setShortcuts([sequence for sequence in QKeySequence.keyBindings(keys)
                                 if _typed(sequence)])
        elif keys is not None:
            action.setShortcut(QKeySequence(keys))
        action.triggered.connect(slot)
        if menu is not None:
            menu.addAction(action)
        return action

    # -- File --------------------------------------------------------------------------------
    def _build_file(self) -> None:
        w = self.window
        menu = w.menuBar().addMenu("&File")
        w.action_open = self._action("&Open model…", w._on_open_dialog, Key.Open, menu)
        w.recent_menu = menu.addMenu("Open &recent")
        w.recent_menu.aboutToShow.connect(self._fill_recent)
        w.action_close_model = self._action("&Close model", w.close_active_model, Key.Close,
                                            menu)
        menu.addSeparator()
        self.save = self._action("&Save script", w.scripts.save, Key.Save, menu)
        self.save_copy = self._action("Save script as &copy…",
                                      lambda: self.save_as_copy(),  # not triggered's bool
                                      "Ctrl+Shift+S", menu)
        self.import_script = self._action("&Import script…", w.library.action_import.trigger,
                                          None, menu)
        self.export_script = self._action("&Export script…", w.library.action_export.trigger,
                                          None, menu)
        menu.addSeparator()
        menu.addAction(w.view3d.action_save_image)
        menu.addAction(w.view3d.action_copy_image)
        menu.addSeparator()
        self.settings = self._action("Se&ttings…", lambda: SettingsDialog(w.store, w).exec(),
                                     "Ctrl+,", menu)
        menu.addSeparator()
        self.quit = self._action("&Quit", w.close, "Ctrl+Q", menu)

    def _fill_recent(self) -> None:
        menu = self.window.recent_menu
        menu.clear()
        for path in self.window._recent():
            action = menu.addAction(path)
            action.triggered.connect(lambda _c=False, p=path: self.window.models.open(p))
        if not menu.actions():
            menu.addAction("(none yet)").setEnabled(False)

    def save_as_copy(self, name: str | None = None) -> None:
        """The editor's text as a new script of the user's (the current one keeps its saved
        revision); the copy becomes the editor's script. `name` skips the question."""
        w = self.window
        original = w.scripts.script
        if name is None:
            name = w.library.dialogs.ask_name(
                w, "Save script as copy", "Name of the copy:",
                library.unique_name(w.store, f"{w.scripts.name} copy"))
            if name is None:
                return
        try:
            if library.get_script(w.store, name) is not None:
                raise StoreError(f"A script named {name.strip()!r} already exists: choose "
                                 "another name.")
            copy = self._copy_of(name, w.editor.text())
        except (StoreError, ValueError) as exc:
            w.statusBar().showMessage(f"Not saved: {sentence(exc)}")
            return
        w.editor.set_saved()  # the text now lives in the copy: the original keeps no draft
        if original is not None and not original.is_builtin:
            library.clear_draft(w.store, original)
        w.library.refresh()
        w.library.select_script(copy.name)
        w.scripts.load(copy.name)
        w.history.refresh()
        w.statusBar().showMessage(f"Saved a copy as {copy.name!r}.")

    def _copy_of(self, name: str, text: str) -> Script:
        """A stored script's copy is made by the library with the editor's text as its next
        revision; either way the metadata block is renamed, so an exported copy never lands on
        the original when imported."""
        original = self.window.scripts.script
        store = self.window.store
        if original is None:
            return library.save_script(store, name, library.with_block_name(text, name))[0]
        store.activate()
        # One transaction: text the copy cannot take (a broken metadata block) leaves no
        # half-made copy behind to block the name on the next try.
        with store.db.atomic():
            copy = library.duplicate_script(store, original.name, name)
            return library.save_script(store, copy.name,
                                       library.with_block_name(text, copy.name))[0]

    # -- Edit --------------------------------------------------------------------------------
    def _build_edit(self) -> None:
        editor = self.window.editor
        menu = self.window.menuBar().addMenu("&Edit")
        self.undo = self._action("&Undo", editor.undo, Key.Undo, menu)
        self.redo = self._action("&Redo", editor.redo, Key.Redo, menu)
        menu.addSeparator()
        self.cut = self._action("Cu&t", editor.cut, Key.Cut, menu)
        self.copy = self._action("&Copy", editor.copy, Key.Copy, menu)
        self.paste = self._action("&Paste", editor.paste, Key.Paste, menu)
        menu.addSeparator()
        self.find = self._action("&Find…", lambda: editor.show_find(), "Ctrl+F", menu)
        self.replace = self._action("R&eplace…", lambda: editor.show_find(replace=True),
                                    "Ctrl+H", menu)
        self.go_to_line = self._action("&Go to line…", editor.ask_go_to_line, "Ctrl+G", menu)
        self.comment = self._action("Toggle co&mment", editor.toggle_comment, "Ctrl+/", menu)
        # The keys act in the editor only: elsewhere Ctrl+C copies a table's cells, Ctrl+F may
        # search a pane. The menu items always act on the editor.
        for action in menu.actions():
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            editor.addAction(action)

    # -- View --------------------------------------------------------------------------------
    def _build_view(self) -> None:
        w = self.window
        menu = w.menuBar().addMenu("&View")
        self.pane_actions: dict[str, QAction] = {}
        for dock in w.findChildren(QDockWidget):
            action = dock.toggleViewAction()
            self.pane_actions[dock.windowTitle()] = action
            menu.addAction(action)
        menu.addSeparator()
        for index in range(w.bottom.count()):
            title = w.bottom.tabText(index)
            action = self._action(title, lambda on, i=index: self._show_tab(i, on), None, menu)
            action.setCheckable(True)
            action.setChecked(True)
            self.pane_actions[title] = action
        menu.aboutToShow.connect(self._sync_tab_actions)
        menu.addSeparator()
        self.reset_layout = self._action("Reset &layout", self.reset_window_layout, None, menu)
        menu.addSeparator()
        self.bigger = self._action("&Bigger text", lambda: self.set_font_step(self.font_step + 1),
                                   Key.ZoomIn, menu)
        self.smaller = self._action("&Smaller text",
                                    lambda: self.set_font_step(self.font_step - 1), Key.ZoomOut,
                                    menu)
        self.normal_size = self._action("&Normal text size", lambda: self.set_font_step(0),
                                        "Ctrl+0", menu)
        theme_menu = menu.addMenu("&Theme")
        group = QActionGroup(self)
        self.theme_actions: dict[str, QAction] = {}
        for name, text in theme.THEMES.items():
            action = self._action(text, lambda _c=False, n=name: self.set_theme(n), None,
                                  theme_menu)
            action.setCheckable(True)
            group.addAction(action)
            self.theme_actions[name] = action

    def _show_tab(self, index: int, shown: bool) -> None:
        tabs = self.window.bottom
        tabs.setTabVisible(index, shown)
        if shown:
            tabs.setCurrentIndex(index)

    def _sync_tab_actions(self) -> None:
        tabs = self.window.bottom
        for index in range(tabs.count()):
            self.pane_actions[tabs.tabText(index)].setChecked(tabs.isTabVisible(index))

    def reset_window_layout(self) -> None:
        """Every pane back where the first start put it, at the first start's sizes."""
        w = self.window
        view3d_was_hidden = w.view3d_dock.isHidden()
        w.restoreState(self.first_state)
        for index in range(w.bottom.count()):
            w.bottom.setTabVisible(index, True)
        self._sync_tab_actions()
        w._size_side_docks()
        if w.view3d_dock.isHidden() != view3d_was_hidden:  # as if View > 3D had been clicked
            w._on_view3d_toggled(not w.view3d_dock.isHidden())
        w.statusBar().showMessage("The panes are back in their first-start layout.")

    def set_font_step(self, step: int) -> None:
        """Text in the panes and the editor `step` points off the default, remembered."""
        step = min(max(step, theme.FONT_STEPS[0]), theme.FONT_STEPS[-1])
        self.font_step = step
        w = self.window
        font = QFont(QApplication.font())
        font.setPointSize(max(6, font.pointSize() + step))
        w.setFont(font)
        w.editor.set_font_size(max(6, w.editor.default_font_size() + step))
        w.qsettings.setValue(theme.FONT_STEP_KEY, step)

    def set_theme(self, name: str) -> None:
        theme.apply_theme(name)
        self.theme_actions[name].setChecked(True)
        self.window.qsettings.setValue(theme.THEME_KEY, name)

    def restore_appearance(self) -> None:
        """The theme and font step this user chose last time (System and 0 at first)."""
        settings = self.window.qsettings
        self.set_theme(theme.saved_theme(settings))
        if theme.saved_font_step(settings):
            self.set_font_step(theme.saved_font_step(settings))

    # -- Run ---------------------------------------------------------------------------------
    def _build_run(self) -> None:
        w = self.window
        menu = w.menuBar().addMenu("&Run")
        w.action_run = self._action("&Run", w.run_script, "F5", menu)
        w.action_stop = self._action("&Stop", w.runs.stop, "Shift+F5", menu)
        w.action_stop.setEnabled(False)
        self.run_selection = self._action("Run s&elected text", w.run_selection, "Ctrl+F5", menu)
        w.action_cancel_open = self._action("Cancel opening", w.models.cancel_opening)
        w.action_cancel_open.setVisible(False)
        menu.addSeparator()
        w.action_workflows = self._action("&Workflows…",
                                          lambda: w.bottom.setCurrentWidget(w.workflows),
                                          "Ctrl+Shift+W", menu)

    # -- Help --------------------------------------------------------------------------------
    def _build_help(self) -> None:
        w = self.window
        menu = w.menuBar().addMenu("&Help")
        self.script_api = self._action("&Script API", self.show_script_api, None, menu)
        self.shortcuts = self._action("&Keyboard shortcuts", self.show_shortcuts, None, menu)
        menu.addSeparator()
        self.about = self._action("&About IFC Script Desktop", self.show_about, None, menu)

    def show_script_api(self) -> None:
        self.window.bottom.setCurrentWidget(self.window.help)
        self.window.help.show_topic("index")

    def show_shortcuts(self) -> QWidget:
        return show_shortcuts(self.window, self.window.menuBar())

    def show_about(self) -> QWidget:
        return show_about(self.window, self.window.store.data_dir)

    # -- toolbar -----------------------------------------------------------------------------
    def _build_toolbar(self) -> None:
        w, bar = self.window, self.toolbar
        bar.addAction(w.action_open)
        bar.addAction(w.action_cancel_open)
        bar.addSeparator()
        bar.addWidget(QLabel(" Model: "))
        w.model_box = QComboBox()
        w.model_box.setMinimumWidth(260)
        w.model_box.currentIndexChanged.connect(w._on_model_chosen)
        bar.addWidget(w.model_box)
        bar.addSeparator()
        bar.addAction(w.action_run)
        bar.addAction(w.action_stop)
