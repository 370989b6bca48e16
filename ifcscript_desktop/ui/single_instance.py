"""One window per user and data folder: a second `ifcscript FILE` hands FILE to the first.

Two windows on one data folder would write one SQLite history from two processes and show each
other's runs late. The running window listens on a QLocalServer whose name comes from the user
and a hash of the resolved data folder, so another `--data-dir` (a test's temporary folder too)
gets a window of its own. A socket left behind by a crashed window answers nobody: it is
removed and the new window serves in its place.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

ACK = b"ok\n"
MAX_MESSAGE = 256 * 1024  # a few thousand paths; anything bigger is not from our own launcher
TIMEOUT_MS = 3000


def server_name(data_dir: Path) -> str:
    """The local socket's name for this user and data folder."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for the uid (a bare container)
        user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    digest = hashlib.sha256(str(Path(data_dir).resolve()).encode("utf-8")).hexdigest()[:16]
    safe_user = "".join(c if c.isalnum() else "_" for c in user)[:32]
    return f"ifcscript-desktop-{safe_user}-{digest}"


def forward(name: str, paths: list[str], timeout_ms: int = TIMEOUT_MS) -> bool:
    """Hand `paths` (absolute) to the window serving `name`; True once it acknowledged them,
    False when no window answers. Blocking: called before this process has a window."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(timeout_ms):
        return False
    socket.write(json.dumps({"open": paths}).encode("utf-8") + b"\n")
    socket.flush()
    answer = b""
    while ACK not in answer and socket.waitForReadyRead(timeout_ms):
        answer += bytes(socket.readAll().data())
    socket.disconnectFromServer()
    return ACK in answer


class InstanceServer(QObject):
    """Listens for later launches on the same data folder; `files_received` gives the paths
    each one asked to open (an empty list: it only asked for the window)."""

    files_received = Signal(list)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._on_connection)
        self._buffers: dict[QLocalSocket, bytes] = {}

    def listen(self) -> bool:
        """Serve `name`; False when a live window already serves it (the caller should have
        forwarded) or listening failed. A stale socket (nobody answers on it) is removed."""
        probe = QLocalSocket()
        probe.connectToServer(self.name)
        if probe.waitForConnected(500):
            probe.disconnectFromServer()
            return False
        # Asked first: with UserAccessOption, listen() would replace even a live window's socket.
        QLocalServer.removeServer(self.name)
        return self._server.listen(self.name)

    def full_name(self) -> str:
        return self._server.fullServerName()

    def close(self) -> None:
        self._server.close()

    def _on_connection(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            self._buffers[socket] = b""
            socket.readyRead.connect(lambda s=socket: self._on_ready(s))
            socket.disconnected.connect(lambda s=socket: self._forget(s))

    def _on_ready(self, socket: QLocalSocket) -> None:
        data = self._buffers.get(socket, b"") + bytes(socket.readAll().data())
        if len(data) > MAX_MESSAGE:
            socket.abort()
            self._forget(socket)
            return
        self._buffers[socket] = data
        if b"\n" not in data:
            return
        paths = _paths(data.split(b"\n", 1)[0])
        socket.write(ACK)
        socket.flush()
        self.files_received.emit(paths)

    def _forget(self, socket: QLocalSocket) -> None:
        if self._buffers.pop(socket, None) is not None:
            socket.deleteLater()


def _paths(line: bytes) -> list[str]:
    """The absolute paths of a launcher's message; anything else in it is ignored."""
    try:
        message = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return []
    paths = message.get("open") if isinstance(message, dict) else None
    if not isinstance(paths, list):
        return []
    return [p for p in paths if isinstance(p, str) and Path(p).is_absolute()]
