"""Running the editor's script on the active model: check it, start it, stream it, stop it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from ifcscript_desktop.core import library
from ifcscript_desktop.core.execute import Limits, source_from_text
from ifcscript_desktop.core.lastparams import remember_params
from ifcscript_desktop.core.params import ParamError, coerce_params
from ifcscript_desktop.core.reply import RunReply
from ifcscript_desktop.core.runs import get_execution
from ifcscript_desktop.core.scriptfile import ScriptFileError
from ifcscript_desktop.core.session import RunSession
from ifcscript_desktop.core.settings import load_settings
from ifcscript_desktop.core.store import Script, ScriptExecution, Store, StoreError
from ifcscript_desktop.ui.models import OpenModel, OpenModels
from ifcscript_desktop.ui.params.form import metadata_problem, refuse_suggested


class RunController(QObject):
    """One run at a time from the window, through the same `RunSession` as the command."""

    #: A run started (execution id).
    run_started = Signal(int)
    #: Streamed text of the current run.
    output_arrived = Signal(str)
    #: Progress of the current run: fraction, message.
    progress_changed = Signal(float, str)
    #: The run ended and is recorded: its `RunReply`.
    run_finished = Signal(object)
    #: The run could not start: a sentence (and the script line at fault, or 0).
    run_refused = Signal(str, int)
    #: The run could not start because of one parameter's value: its name and the sentence.
    param_refused = Signal(str, str)

    def __init__(self, store: Store, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.current: RunSession | None = None

    @property
    def running(self) -> bool:
        return self.current is not None

    def run(self, code: str, name: str, script: Script | None, raw_params: dict[str, Any],
            model: OpenModel | None, selection: list[int]) -> bool:
        """Gather, check and start; False (with run_refused) when it cannot start."""
        if self.current is not None:
            self.run_refused.emit("A run is already going: stop it or wait for it to end.", 0)
            return False
        if model is None or not model.info:
            self.run_refused.emit("Open a model first: drop an IFC file on the window.", 0)
            return False
        try:
            source = source_from_text(code, name, script)
            # The code's own block decides what it takes: the form may still show inputs of a
            # block the editor no longer has (it follows the text after a pause), and a run of
            # selected text declares its own.
            raw_params = {key: value for key, value in raw_params.items()
                          if source.meta.param(key) is not None}
            refuse_suggested(source.meta, raw_params)  # only the user grants files
            params = coerce_params(source.meta, raw_params)
        except ScriptFileError as exc:
            self.run_refused.emit(metadata_problem(exc), exc.line or 0)
            return False
        except ParamError as exc:
            self.param_refused.emit(exc.name, str(exc))
            self.run_refused.emit(str(exc), 0)
            return False
        try:
            limits = Limits.from_settings(load_settings(self.store))
            session = self.current = RunSession(self.store, source, params, limits, model.path,
                                                "gui")
            remember_params(self.store, name, raw_params)
            session.start(model.handle.client, selection=selection, model_sha256=model.sha256,
                          on_event=self._on_event, on_done=self._on_finished)
        except (StoreError, OSError) as exc:  # the history refused the record: nothing ran
            self.current = None
            self.run_refused.emit(f"The run could not start: {exc}", 0)
            return False
        self.run_started.emit(session.execution.id)
        return True

    def rerun(self, execution_id: int, models: OpenModels) -> None:
        """Run a past run's exact code and parameters again, on its model (opened if needed)."""
        execution = get_execution(self.store, execution_id)
        model = next((m for m in models.models if m.path == execution.model_path), None)
        if model is None or not model.info:
            model = models.open(execution.model_path)
            if model is None:
                return
            model.handle.model_opened.connect(
                lambda _info, m=model: self._run_execution_again(execution, m))
            return
        self._run_execution_again(execution, model)

    def _run_execution_again(self, execution: ScriptExecution, model: OpenModel) -> None:
        script = library.get_script(self.store, execution.script_name)
        self.run(execution.code, execution.script_name, script, dict(execution.parameters or {}),
                 model, [])

    def stop(self) -> None:
        if self.current is not None:
            self.current.cancel()

    def _on_event(self, message: dict[str, Any]) -> None:
        if message.get("event") == "output":
            self.output_arrived.emit(str(message.get("data", "")))
        elif message.get("event") == "progress":
            self.progress_changed.emit(float(message.get("fraction") or 0.0),
                                       str(message.get("message") or ""))

    def _on_finished(self, reply: RunReply) -> None:
        self.current = None
        self.run_finished.emit(reply)
