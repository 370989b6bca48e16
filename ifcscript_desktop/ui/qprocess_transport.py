"""The window's transport to a worker: one QObject owning a QProcess (core.transport.Transport).

Bytes arrive on the GUI thread through `readyReadStandardOutput`, so the core client's callbacks
run there too. Nothing here ever blocks: no `waitFor*`; a closed worker is given a few seconds to
leave on its own and killed after that.
"""

from __future__ import annotations

import collections
import sys

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, Qt, QThread, QTimer, Signal

from ifcscript_desktop.core.transport import DataCallback, ExitCallback, worker_command, worker_env

#: How long a worker asked to shut down may take before it is killed.
SHUTDOWN_GRACE_MS = 5000

_ERRORS = {
    QProcess.ProcessError.FailedToStart: "The worker program could not be started",
    QProcess.ProcessError.Crashed: "The worker process crashed",
    QProcess.ProcessError.Timedout: "The worker process did not answer in time",
    QProcess.ProcessError.WriteError: "Sending a request to the worker failed",
    QProcess.ProcessError.ReadError: "Reading the worker's answer failed",
    QProcess.ProcessError.UnknownError: "The worker process failed",
}


def describe_error(error: QProcess.ProcessError, detail: str, program: str = "") -> str:
    """A QProcess error as a sentence for the user."""
    text = _ERRORS.get(error, _ERRORS[QProcess.ProcessError.UnknownError])
    if error == QProcess.ProcessError.FailedToStart and program:
        text += f" ({program})"
    return f"{text}: {detail}." if detail else f"{text}."


class QProcessTransport(QObject):
    """Starts one worker process and moves bytes to and from it on the GUI thread."""

    #: The process ended (exit code or None after a crash, the stderr tail or error sentence).
    exited = Signal(object, str)
    #: Bytes written from another thread, delivered to the QProcess on its own thread.
    _write_elsewhere = Signal(bytes)

    def __init__(self, command: list[str] | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.command = command or worker_command()
        self._process: QProcess | None = None
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=20)
        self._stderr_partial = b""
        self._error: str | None = None
        self._on_data: DataCallback | None = None
        self._on_exit: ExitCallback | None = None
        self._exited = False
        self._write_elsewhere.connect(self._write_here, Qt.ConnectionType.QueuedConnection)

    # -- Transport ---------------------------------------------------------------------------
    def start(self, on_data: DataCallback, on_exit: ExitCallback) -> None:
        self._on_data, self._on_exit = on_data, on_exit
        process = QProcess(self)
        process.setProgram(self.command[0])
        process.setArguments(self.command[1:])
        environment = QProcessEnvironment()
        for name, value in worker_env().items():
            environment.insert(name, value)
        process.setProcessEnvironment(environment)
        if sys.platform != "win32":
            # Own session, like SubprocessTransport: Ctrl+C in a terminal reaches the window only.
            flags = QProcess.UnixProcessFlag
            parameters = QProcess.UnixProcessParameters()
            parameters.flags = flags.CreateNewSession | flags.CloseFileDescriptors
            process.setUnixProcessParameters(parameters)
        process.readyReadStandardOutput.connect(self._on_stdout)
        process.readyReadStandardError.connect(self._on_stderr)
        process.errorOccurred.connect(self._on_error)
        process.finished.connect(self._on_finished)
        self._process = process
        process.start()  # writes before the process runs are buffered by QProcess

    def write(self, data: bytes) -> None:
        """Send bytes; from a thread other than the window's (a workflow batch borrowing this
        worker) they are handed to the window's thread, which owns the QProcess."""
        process = self._process
        if process is None or self._exited:
            raise BrokenPipeError("the worker is not running")
        if QThread.currentThread() is not self.thread():
            self._write_elsewhere.emit(data)
            return
        if process.write(data) < 0:
            raise BrokenPipeError(process.errorString())

    def _write_here(self, data: bytes) -> None:
        try:
            self.write(data)
        except BrokenPipeError:
            pass  # the worker ended meanwhile: its exit fails the requests waiting for it

    def kill(self) -> None:
        if self._process is not None and self._process.state() != QProcess.ProcessState.NotRunning:
            self._process.kill()

    def close_input(self) -> None:
        """Let the worker finish on its own (end of input), and kill it if it lingers."""
        if self._process is None or self._exited:
            return
        self._process.closeWriteChannel()
        QTimer.singleShot(SHUTDOWN_GRACE_MS, self, self.kill)

    def pid(self) -> int | None:
        if self._process is None or self._exited:
            return None
        return int(self._process.processId()) or None

    @property
    def running(self) -> bool:
        return self._process is not None and not self._exited

    @property
    def stderr_tail(self) -> str:
        return "\n".join(self._stderr_tail)

    # -- QProcess signals --------------------------------------------------------------------
    def _on_stdout(self) -> None:
        assert self._process is not None
        data = self._process.readAllStandardOutput().data()
        if data and self._on_data is not None:
            self._on_data(bytes(data))  # already bytes: no copy

    def _on_stderr(self) -> None:
        assert self._process is not None
        data = self._stderr_partial + self._process.readAllStandardError().data()
        *lines, self._stderr_partial = data.split(b"\n")
        for line in lines:
            self._stderr_tail.append(line.decode("utf-8", "replace").rstrip())

    def _on_error(self, error: QProcess.ProcessError) -> None:
        assert self._process is not None
        self._error = describe_error(error, self._process.errorString(), self.command[0])
        if error == QProcess.ProcessError.FailedToStart:
            # No `finished` follows a failed start. Report it from the event loop: this may run
            # inside start(), before the client has taken the transport in.
            QTimer.singleShot(0, self, lambda: self._finish(None))

    def _on_finished(self, code: int, status: QProcess.ExitStatus) -> None:
        self._on_stdout()
        self._on_stderr()
        if self._stderr_partial:
            self._stderr_tail.append(self._stderr_partial.decode("utf-8", "replace").rstrip())
            self._stderr_partial = b""
        self._finish(code if status == QProcess.ExitStatus.NormalExit else None)

    def _finish(self, code: int | None) -> None:
        if self._exited:
            return
        self._exited = True
        detail = self.stderr_tail
        if self._error and code is None:
            detail = "\n".join(filter(None, (detail, self._error)))
        if self._on_exit is not None:
            self._on_exit(code, detail)
        self.exited.emit(code, detail)
