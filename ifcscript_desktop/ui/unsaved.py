"""Closing the window over unsaved editor text: Save, Discard or Cancel, said as it is.

Without the question, the text would stay behind as an autosaved draft that comes back the
next time the script is opened; the question makes that a choice. The box opens without
blocking (`open()`), so the window's event loop and tests carry on while it shows.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from ifcscript_desktop.core import library
from ifcscript_desktop.ui.script_controller import ScriptController

Button = QMessageBox.StandardButton


class UnsavedPrompt(QObject):
    """Decides whether the window may close now; asks first when the editor has unsaved text
    (a user's script, or a past run's code). `close_again` is called once the user chose Save (and it saved) or Discard."""

    def __init__(self, scripts: ScriptController, parent: QWidget,
                 close_again: Callable[[], object]) -> None:
        super().__init__(parent)
        self._scripts = scripts
        self._parent = parent
        self._close_again = close_again
        self._answered = False
        self._discarded = False
        self.box: QMessageBox | None = None

    def has_unsaved_text(self) -> bool:
        """Edits to a user's script, or to code that is no script at all (a past run's, opened
        from History): those would be lost without a trace."""
        script = self._scripts.script
        if script is not None and script.is_builtin:
            return False
        return self._scripts.editor.is_modified()

    def copy_name(self) -> str:
        """The free name Save gives code that is no stored script (its editor title)."""
        return library.unique_name(self._scripts.store, self._scripts.name)

    def may_close(self) -> bool:
        """True when nothing is lost by closing (or the user answered); otherwise the question
        opens (once) and the caller keeps the window open for now."""
        if self._answered or not self.has_unsaved_text():
            return True
        if self.box is None:
            self._ask()
        return False

    def settle(self) -> None:
        """As the window closes: unsaved text the user did not discard stays as a draft (and
        a pending autosave cannot bring discarded text back)."""
        self._scripts.stop_timers()
        if not self._discarded:
            self._scripts.flush_draft()

    def _ask(self) -> None:
        name = self._scripts.name
        box = QMessageBox(QMessageBox.Icon.Warning, "Unsaved changes",
                          f"“{name}” has changes that are not saved.",
                          Button.Save | Button.Discard | Button.Cancel, self._parent)
        box.setObjectName("unsaved_box")
        if self._scripts.script is None:
            box.setInformativeText(
                f"This code is not a stored script. Save keeps it as the new script "
                f"“{self.copy_name()}” in Scripts. Discard throws the changes away: the run "
                "keeps the code it ran. Cancel keeps the window open.")
        else:
            box.setInformativeText(
                "Save makes them the script's next revision. Discard throws them away: the "
                "last saved revision stays. Cancel keeps the window open.")
        box.setDefaultButton(Button.Save)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.finished.connect(lambda _result: self._on_answer(box))
        self.box = box
        box.open()

    def _on_answer(self, box: QMessageBox) -> None:
        self.box = None
        button = box.standardButton(box.clickedButton()) if box.clickedButton() else Button.Cancel
        box.deleteLater()
        if button == Button.Save:
            if self._scripts.script is None:
                self._scripts.keep_as_script(self.copy_name())
            else:
                self._scripts.save()
            if self._scripts.editor.is_modified():
                return  # not saved (the status bar says why): the window stays open
        elif button == Button.Discard:
            self._scripts.discard_draft()
            self._discarded = True
        else:
            return
        self._answered = True
        self._close_again()
