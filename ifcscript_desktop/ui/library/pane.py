"""The script library pane: built-ins and the user's scripts by category, with search."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QToolBar,
    QToolButton,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ifcscript_desktop.core import library
from ifcscript_desktop.core.scriptfile import ScriptFileError
from ifcscript_desktop.core.store import Store, StoreError
from ifcscript_desktop.ui.library import ops
from ifcscript_desktop.ui.library.dialogs import LibraryDialogs
from ifcscript_desktop.ui.library.tree import DESCRIPTION_ROLE, READ_ONLY_TIP, ScriptTree

T = TypeVar("T")
ERROR_STYLE = "color: #c0392b;"


class LibraryPane(QWidget):
    """Lists the stored scripts; new, duplicate, rename, delete, import and export them.

    ``script_chosen`` is emitted whenever another script becomes the current one (a click,
    :meth:`select_script`, a new, duplicated, renamed or imported script); ``library_changed``
    after every change this pane made to the store. Built-ins are read-only here: they can be
    duplicated and exported, not renamed or deleted.
    """

    script_chosen = Signal(str)
    library_changed = Signal()

    def __init__(self, store: Store, parent: QWidget | None = None, *,
                 dialogs: LibraryDialogs | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self.dialogs = dialogs or LibraryDialogs()
        self._chosen: str | None = None
        self._populating = False

        self.action_new = self._action("New…", "New script from a template", self._on_new)
        self.action_duplicate = self._action("Duplicate…", "Copy the script",
                                             self._on_duplicate)
        self.action_rename = self._action("Rename…", "Rename the script", self._on_rename,
                                          QKeySequence(Qt.Key.Key_F2))
        self.action_delete = self._action("Delete…", "Delete the script", self._on_delete,
                                          QKeySequence(QKeySequence.StandardKey.Delete))
        self.action_import = self._action("Import .py…", "Import a .py script file",
                                          self._on_import)
        self.action_export = self._action("Export .py…", "Export the script to a .py file",
                                          self._on_export)
        self.toolbar = QToolBar("Library")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.toolbar.addActions([self.action_new, self.action_duplicate, self.action_rename,
                                 self.action_delete])
        files = QToolButton()
        files.setText("Files")
        files.setToolTip("Import or export .py script files")
        files.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(files)
        menu.addActions([self.action_import, self.action_export])
        files.setMenu(menu)
        self.toolbar.addWidget(files)

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search name, description, category")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._on_search_changed)

        self.tree = ScriptTree()
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.tree.addActions([self.action_new, self.action_duplicate, self.action_rename,
                              self.action_delete, self.action_import, self.action_export])
        self.tree.currentItemChanged.connect(self._on_current_changed)

        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.duplicate_button = QPushButton("Duplicate to edit")
        self.duplicate_button.setToolTip(READ_ONLY_TIP)
        self.duplicate_button.clicked.connect(self.action_duplicate.trigger)
        self.read_only = QWidget()
        read_only = QHBoxLayout(self.read_only)
        read_only.setContentsMargins(0, 0, 0, 0)
        read_only.addWidget(QLabel("Built-in scripts are read-only."), 1)
        read_only.addWidget(self.duplicate_button)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.search)
        layout.addWidget(self.tree, 1)
        notes = QVBoxLayout()
        notes.setContentsMargins(4, 0, 4, 4)
        notes.addWidget(self.details)
        notes.addWidget(self.read_only)
        notes.addWidget(self.message)
        layout.addLayout(notes)
        self.refresh()

    # -- public -----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the scripts from the store again; the current script stays current."""
        self._populating = True
        try:
            self.tree.fill(library.list_scripts(self._store))
            item = self.tree.item_of(self._chosen) if self._chosen else None
            if item is None:
                self._chosen = None
            else:
                self.tree.setCurrentItem(item)
        finally:
            self._populating = False
        self._on_search_changed(self.search.text())

    def select_script(self, name: str) -> bool:
        """Make ``name`` the current script (clearing a search that hides it); False if unknown."""
        item = self.tree.item_of(name)
        if item is None:
            return False
        if not any(name in names for names in self.tree.visible().values()):
            self.search.clear()
        self.tree.setCurrentItem(item)
        self.tree.scrollToItem(item)
        return True

    def current_script(self) -> str | None:
        """The name of the selected script, or None (nothing or a category selected)."""
        return self.tree.name_of(self.tree.currentItem())

    def visible_scripts(self) -> dict[str, list[str]]:
        """The scripts the search lets through, by category: what the user sees."""
        return self.tree.visible()

    def message_text(self) -> str:
        """The last error (or export note) shown under the tree; empty when none."""
        return self.message.text() if self.message.isVisibleTo(self) else ""

    # -- actions: each gathers its inputs, then makes one call ------------------------------

    def _on_new(self) -> None:
        name = self.dialogs.ask_name(self, "New script", "Name of the new script:",
                                     library.unique_name(self._store, "New script"))
        if name is not None:
            self._change(lambda: library.create_script(self._store, name).name)

    def _on_duplicate(self) -> None:
        source = self.current_script()
        if source is None:
            return
        name = self.dialogs.ask_name(self, "Duplicate script", f"Name of the copy of {source}:",
                                     library.unique_name(self._store, f"{source} (copy)"))
        if name is not None:
            self._change(lambda: library.duplicate_script(self._store, source, name).name)

    def _on_rename(self) -> None:
        old = self.current_script()
        if old is None or self.tree.is_builtin(self.tree.currentItem()):
            return
        name = self.dialogs.ask_name(self, "Rename script", f"New name for {old}:", old)
        if name is not None and name.strip() != old:
            self._change(lambda: library.rename_script(self._store, old, name).name)

    def _on_delete(self) -> None:
        name = self.current_script()
        if name is None or self.tree.is_builtin(self.tree.currentItem()):
            return
        question = (f"Delete the script “{name}” with all its saved versions? "
                    "Its past runs stay in the history.")
        if not self.dialogs.confirm(self, "Delete script", question):
            return
        if self._attempt(lambda: library.delete_script(self._store, name)) is not False:
            self._chosen = None
            self.refresh()
            self.library_changed.emit()

    def _on_import(self) -> None:
        path = self.dialogs.open_file(self, "Import script")
        if path is not None:
            self._change(lambda: library.import_script_file(self._store, path).name)

    def _on_export(self) -> None:
        name = self.current_script()
        if name is None:
            return
        path = self.dialogs.save_file(self, "Export script", ops.export_file_name(name))
        if path is not None:
            written = self._attempt(lambda: library.export_script_file(self._store, name, path))
            if written:
                self._show_message(f"Exported “{name}” to {written}.", error=False)

    # -- helpers ----------------------------------------------------------------------------

    def _action(self, text: str, tip: str, slot: Callable[[], None],
                shortcut: QKeySequence | None = None) -> QAction:
        action = QAction(text, self)
        action.setIconText(text.removesuffix("…"))
        action.setToolTip(tip)
        action.setStatusTip(tip)
        if shortcut is not None:
            action.setShortcut(shortcut)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(slot)
        return action

    def _attempt(self, call: Callable[[], T]) -> T | bool:
        """``call()``'s result, or False after showing the store's refusal as a sentence."""
        try:
            result = call()
        except (StoreError, ScriptFileError) as exc:
            self._show_message(ops.sentence(exc))
            return False
        self._show_message("")
        return result

    def _change(self, call: Callable[[], str]) -> None:
        """Make a change that yields a script's name; show that script and tell the window."""
        name = self._attempt(call)
        if isinstance(name, str):
            self.refresh()
            self.select_script(name)
            self.library_changed.emit()

    def _show_message(self, text: str, *, error: bool = True) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(ERROR_STYLE if error else "")
        self.message.setVisible(bool(text))

    def _on_current_changed(self, current: QTreeWidgetItem | None,
                            previous: QTreeWidgetItem | None) -> None:
        self._update_actions()
        name = self.tree.name_of(current)
        if self._populating or name is None or name == self._chosen:
            return
        self._show_message("")  # an old error is about what was done before
        self._chosen = name
        self.script_chosen.emit(name)

    def _on_search_changed(self, text: str) -> None:
        self.tree.filter(text)
        # Actions never act on a script the search hides; the chosen one comes back with it.
        current = self.tree.currentItem()
        if current is not None and current.isHidden():
            self.tree.setCurrentIndex(QModelIndex())
        elif current is None and self._chosen:
            item = self.tree.item_of(self._chosen)
            if item is not None and not item.isHidden():
                self.tree.setCurrentItem(item)
        self._update_actions()

    def _update_actions(self) -> None:
        item = self.tree.currentItem()
        has_script = self.tree.name_of(item) is not None
        builtin = self.tree.is_builtin(item)
        self.action_duplicate.setEnabled(has_script)
        self.action_duplicate.setText("Duplicate to edit…" if builtin else "Duplicate…")
        self.action_export.setEnabled(has_script)
        for action, tip in ((self.action_rename, "Rename the script"),
                            (self.action_delete, "Delete the script")):
            action.setEnabled(has_script and not builtin)
            action.setToolTip(READ_ONLY_TIP if builtin else tip)
        self.read_only.setVisible(builtin)
        self.details.setText(self._details_text(item))

    def _details_text(self, item: QTreeWidgetItem | None) -> str:
        if not self.tree.visible():
            query = self.search.text().strip()
            return f"No script matches “{query}”." if query else "No scripts yet: press New."
        if item is None or self.tree.name_of(item) is None:
            return ""
        text = str(item.data(0, DESCRIPTION_ROLE) or "").split("\n\n")[0]
        text = text if len(text) <= 280 else text[:277].rstrip() + "…"
        return text
