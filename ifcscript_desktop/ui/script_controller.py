"""The script in the editor: load from the library, save as a revision, autosave drafts, and
keep the parameters form on the metadata block being typed."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from ifcscript_desktop.core import library
from ifcscript_desktop.core.lastparams import last_params
from ifcscript_desktop.core.scriptfile import ScriptFileError, ScriptMeta, parse_script
from ifcscript_desktop.core.store import Script, Store, StoreError
from ifcscript_desktop.ui.editor import ScriptEditor
from ifcscript_desktop.ui.params import ParamsForm
from ifcscript_desktop.ui.params.form import metadata_problem

DRAFT_DELAY_MS = 800
#: The form follows the metadata block this long after typing stops.
PARAMS_DELAY_MS = 400


class ScriptController(QObject):
    """Keeps the editor, the parameters form and the store in step for one current script."""

    #: The current script changed or was saved: its name, and whether it has unsaved text.
    state_changed = Signal(str, bool)
    #: Something to tell the user (a sentence).
    message = Signal(str)
    #: The library must show a change (a save made a new revision, a built-in was copied).
    library_changed = Signal()

    def __init__(self, store: Store, editor: ScriptEditor, params: ParamsForm,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.editor = editor
        self.params = params
        self.script: Script | None = None
        self._title = "Untitled"
        self._draft_timer = QTimer(self)
        self._draft_timer.setSingleShot(True)
        self._draft_timer.setInterval(DRAFT_DELAY_MS)
        self._draft_timer.timeout.connect(self.flush_draft)
        self._params_timer = QTimer(self)
        self._params_timer.setSingleShot(True)
        self._params_timer.setInterval(PARAMS_DELAY_MS)
        self._params_timer.timeout.connect(self.follow_header)
        editor.sig_text_changed.connect(self._draft_timer.start)
        editor.sig_text_changed.connect(self._params_timer.start)
        editor.sig_modified_changed.connect(lambda _m: self._emit_state())
        editor.sig_save_requested.connect(self.save)

    @property
    def name(self) -> str:
        return self.script.name if self.script else self._title

    def load(self, name: str) -> None:
        """Show a stored script; an autosaved draft of it comes back with a note."""
        self.flush_draft()
        script = library.get_script(self.store, name)
        if script is None:
            self.message.emit(f"There is no script named {name!r}.")
            return
        self.script = script
        self.editor.set_text(script.code)
        self.editor.set_read_only(bool(script.is_builtin))
        draft = library.get_draft(self.store, script)
        if draft is not None and draft.text != script.code and not script.is_builtin:
            self.editor.set_draft(script.code, draft.text)
            self.message.emit(f"Restored your unsaved changes to {script.name!r} (not saved yet).")
        self._refresh_params()
        self._emit_state()

    def show_code(self, code: str, title: str) -> None:
        """Show code that is not a stored script (a past run's), editable; edits to it are
        unsaved (the window asks about them on Quit)."""
        self.flush_draft()
        self.script = None
        self._title = title
        self.editor.set_read_only(False)
        # The run keeps this code: only the user's edits to it are unsaved (and asked about).
        self.editor.set_text(code)
        draft = library.get_draft(self.store, self._code_key)
        if draft is not None and draft.text != code:
            self.editor.set_draft(code, draft.text)
            self.message.emit(f"Restored your unsaved changes to {title} (not saved yet).")
        self._refresh_params()
        self._emit_state()

    def save(self) -> None:
        """Ctrl+S: the editor's text becomes the script's next revision."""
        if self.script is None:
            self.message.emit("This code is not a stored script: File > Save script as copy "
                              "(Ctrl+Shift+S) keeps it as one.")
            return
        if self.script.is_builtin:
            self.message.emit("Built-in scripts are read-only: duplicate it in the library to edit.")
            return
        try:
            script, changed = library.save_script(self.store, self.script.name, self.editor.text())
        except (ScriptFileError, StoreError) as exc:
            self.message.emit(f"Not saved: {exc}")
            return
        self.script = script
        library.clear_draft(self.store, script)
        self.editor.set_saved()
        self.follow_header()  # values typed in the form stay
        self._emit_state()
        if changed:
            revisions = len(library.list_revisions(script))
            self.message.emit(f"Saved {script.name!r} as revision {revisions}.")
            self.library_changed.emit()

    def keep_as_script(self, name: str) -> bool:
        """Code that is no stored script (a past run's) becomes the new script `name`; False
        (and the reason said) when it cannot be saved."""
        text = library.with_block_name(self.editor.text(), name)  # not the original's name
        try:
            script, _changed = library.save_script(self.store, name, text)
        except (ScriptFileError, StoreError) as exc:
            self.message.emit(f"Not saved: {exc}")
            return False
        library.clear_draft(self.store, self._code_key)
        self.script = script
        self.editor.set_text(script.code)
        self.editor.set_saved()
        self._emit_state()
        self.message.emit(f"Saved as the new script {script.name!r}.")
        self.library_changed.emit()
        return True

    def stop_timers(self) -> None:
        """The window closes: no draft or form update may come after the user's answer."""
        self._draft_timer.stop()
        self._params_timer.stop()

    def _refresh_params(self) -> None:
        """A script was loaded: its inputs afresh, with the last values used."""
        meta = self._header(say=True)
        if meta is not None:
            self.params.set_parameters(meta, last_params(self.store, self.name))

    def follow_header(self) -> None:
        """The form shows what the editor's metadata block declares now (saved or not), and
        keeps the values typed in it.

        Called a moment after typing stops, by Save, and by a run before it reads the form's
        values, so a run never sees the inputs of a block the editor no longer has.
        """
        meta = self._header(say=False)
        if meta is not None and (meta != self.params.meta or self.params.metadata_error()):
            self.params.follow(meta, last_params(self.store, self.name))

    def _header(self, say: bool) -> ScriptMeta | None:
        """The editor's metadata block, or None with its problem shown in the form (and said
        in the status bar when `say`)."""
        self._params_timer.stop()
        try:
            return parse_script(self.editor.text(), default_name=self.name)
        except ScriptFileError as exc:
            self.params.show_metadata_error(metadata_problem(exc))
            if say:
                self.message.emit(metadata_problem(exc))
            return None

    @property
    def _code_key(self) -> str:
        """Where edits to code that is no stored script (a past run's) are autosaved: showing
        that code again brings them back, so switching scripts or a crash loses nothing."""
        return f"code:{self._title}"

    def flush_draft(self) -> None:
        self._draft_timer.stop()
        if self.script is not None and self.script.is_builtin:
            return
        if self.editor.is_modified():
            library.save_draft(self.store, self.script or self._code_key, self.editor.text())

    def discard_draft(self) -> None:
        """The user threw the unsaved text away: its autosaved copy goes too."""
        if self.script is None or not self.script.is_builtin:
            library.clear_draft(self.store, self.script or self._code_key)

    def _emit_state(self) -> None:
        self.state_changed.emit(self.name, self.editor.is_modified())
