"""The models open in the window: one worker each, one of them active."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from ifcscript_desktop.core.runs import sha256_of
from ifcscript_desktop.ui.background import BackgroundRunner
from ifcscript_desktop.ui.worker_handle import WorkerHandle

MODEL_SUFFIXES = (".ifc", ".ifczip")


@dataclass(eq=False)
class OpenModel:
    """A model in its worker, with what the status bar and run records need."""

    path: str
    handle: WorkerHandle
    info: dict[str, Any] | None = None
    sha256: str | None = None

    @property
    def name(self) -> str:
        return Path(self.path).name

    def summary(self) -> str:
        if not self.info:
            return f"{self.name}: opening…"
        app = self.info.get("application") or "unknown application"
        return (f"{self.name}: {self.info.get('schema')}, {self.info.get('elements')} elements, "
                f"{app}, parsed in {self.info.get('parse_s', 0):.2f} s")


def refusal_for(path: Path) -> str | None:
    """Why a dropped or chosen path cannot be opened as a model, before any worker starts."""
    if path.is_dir():
        return f"{path.name} is a folder: drop IFC files (.ifc, .ifczip) instead."
    if path.suffix.lower() not in MODEL_SUFFIXES:
        return f"{path.name} is not an IFC file (.ifc or .ifczip)."
    return None


class OpenModels(QObject):
    """Opens models in workers, tracks the active one and reports in sentences."""

    #: A model finished opening (the OpenModel).
    model_opened = Signal(object)
    #: A model could not be opened: a sentence.
    open_failed = Signal(str)
    #: Parsing progresses: path, fraction, message.
    open_progress = Signal(str, float, str)
    #: The active model changed (the OpenModel or None).
    active_changed = Signal(object)
    #: A model's file hash is known (the OpenModel): its geometry cache can be looked up.
    model_hashed = Signal(object)
    #: A model was closed (the OpenModel).
    model_closed = Signal(object)

    def __init__(self, background: BackgroundRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._background = background
        self.models: list[OpenModel] = []
        self.active: OpenModel | None = None
        self.ahead: WorkerHandle | None = None  # a worker started before its model (see below)
        self._keep_ahead = False

    def keep_worker_ahead(self) -> None:
        """Keep a worker started and idle for the next model (and start another each time one
        is taken): dropping a model then costs its parse, not a Python start and the imports."""
        self._keep_ahead = True
        self._start_ahead()

    def _start_ahead(self) -> None:
        # Not while a model parses: the two would share the cores (see _on_opened).
        if self._keep_ahead and not self.opening and (
                self.ahead is None or not self.ahead.worker_running):
            if self.ahead is not None:
                self.ahead.close()
            self.ahead = WorkerHandle(self)
            self.ahead.start_ahead()

    def _take_worker(self) -> WorkerHandle:
        handle, self.ahead = self.ahead, None
        if handle is None or not handle.worker_running:
            if handle is not None:
                handle.close()
            handle = WorkerHandle(self)
        return handle

    def open(self, path_text: str) -> OpenModel | None:
        """Start opening a model (or activate it if it is open already)."""
        path = Path(path_text).expanduser().absolute()
        problem = refusal_for(path)
        if problem:
            self.open_failed.emit(problem)
            return None
        for model in self.models:
            if model.path == str(path):
                self.set_active(model)
                return model
        handle = self._take_worker()
        model = OpenModel(str(path), handle)
        self.models.append(model)
        handle.model_opened.connect(lambda info, m=model: self._on_opened(m, info))
        handle.open_failed.connect(lambda text, m=model: self._on_failed(m, text))
        handle.open_progress.connect(lambda f, text, m=model: self.open_progress.emit(m.path, f, text))
        handle.open_model(str(path))
        return model

    def set_active(self, model: OpenModel | None) -> None:
        if model is not self.active:
            self.active = model
            self.active_changed.emit(model)

    def cancel_opening(self) -> None:
        """Stop every open still parsing (its worker is killed; nothing else is affected)."""
        for model in list(self.models):
            if model.info is None:
                model.handle.cancel_open()

    @property
    def opening(self) -> bool:
        return any(model.info is None for model in self.models)

    def close(self, model: OpenModel) -> None:
        """Close a model: its worker (and any meshing or run in it) ends."""
        model.handle.close()
        self.models.remove(model)
        self.model_closed.emit(model)
        if self.active is model:
            self.set_active(self.models[-1] if self.models else None)

    def close_all(self) -> None:
        self._keep_ahead = False
        if self.ahead is not None:
            self.ahead.close()
            self.ahead = None
        for model in list(self.models):
            model.handle.close()
        self.models.clear()
        self.active = None

    def _on_opened(self, model: OpenModel, info: dict[str, Any]) -> None:
        model.info = info
        # The run records carry the file's hash; hashing 100 MB is not for the GUI thread.
        self._background.submit(lambda: sha256_of(model.path),
                                lambda digest: self._on_hashed(model, digest))
        self.set_active(model)
        self.model_opened.emit(model)
        self._start_ahead()

    def _on_hashed(self, model: OpenModel, digest: str) -> None:
        model.sha256 = digest
        if model in self.models:
            self.model_hashed.emit(model)

    def _on_failed(self, model: OpenModel, sentence: str) -> None:
        if model in self.models:
            self.models.remove(model)
        model.handle.close()
        self.open_failed.emit(sentence)
        self._start_ahead()
