"""One window per user and data folder: a second `ifcscript FILE` hands FILE to the first.

Two windows on one data folder would write one SQLite history from two processes and show each
other's runs late. The running window listens on a QLocalServer named by a hash of the resolved
data folder, so another `--data-dir` (a test's temporary folder too) gets a window of its own. A
socket left behind by a crashed window answers nobody: it is removed and the new window serves
in its place.

The socket lives in a folder only this user can open (the session's runtime folder, else one in
the data folder, else a private folder in /tmp): in a shared /tmp another user could create the
socket first, read the paths each launch hands over and keep every later launch from opening.
A socket that is not this user's own is never talked to nor removed: the launch opens a window.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

ACK = b"ok\n"
MAX_MESSAGE = 64 * 1024  # hundreds of paths; anything bigger is not from our own launcher
TIMEOUT_MS = 3000
#: sun_path holds 108 bytes with its terminating NUL on Linux, 104 on macOS and the BSDs.
MAX_SOCKET_PATH = 103
#: What `forward` reports: the window took the paths; they were handed over but the window did
#: not answer in time (busy: it opens them when it is free); no window serves the name.
ACKNOWLEDGED, SENT, NO_WINDOW = "acknowledged", "sent", ""


def server_name(data_dir: Path, fallback_root: str | None = None) -> str | None:
    """The local socket for this user and data folder: an absolute path in a private folder
    (a pipe name on Windows, where the pipe's access is the user's only); None when no private
    folder can be had, and then every launch opens a window of its own.

    `fallback_root` is where the last-resort folder is made (the system's temporary folder).
    """
    digest = hashlib.sha256(str(Path(data_dir).resolve()).encode("utf-8")).hexdigest()[:16]
    leaf = f"ifcscript-{digest}"
    if not hasattr(os, "getuid"):  # Windows: named pipes, one namespace for every user
        return _windows_pipe_name(Path(data_dir))
    for folder in _private_folders(Path(data_dir), fallback_root):
        path = os.path.join(folder, leaf)
        if len(path.encode("utf-8")) <= MAX_SOCKET_PATH:
            return path
    log.warning("Each launch opens its own window: no private folder with a short enough path "
                "was found for the single-instance socket.")
    return None


def _windows_pipe_name(data_dir: Path) -> str | None:
    """A pipe name nobody else can work out: the data folder's path is guessable (it holds the
    user name), so a random secret kept in the data folder (the user's own profile) goes into
    the hash. Untested here: this team builds on Linux."""
    secret_file = data_dir / "run" / "instance-secret"
    try:
        secret_file.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(secret_file, "x", encoding="ascii") as out:
                out.write(os.urandom(16).hex())
        except FileExistsError:
            pass
        secret = secret_file.read_text(encoding="ascii").strip()
    except OSError as exc:
        log.warning("Each launch opens its own window: %s cannot be kept (%s).", secret_file, exc)
        return None
    key = f"{Path(data_dir).resolve()}\n{secret}".encode("utf-8")
    return f"ifcscript-{hashlib.sha256(key).hexdigest()[:32]}"


def _private_folders(data_dir: Path, fallback_root: str | None) -> Iterator[str]:
    """Folders only this user can open, best first; each is made (mode 0700) only when reached."""
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if os.path.isabs(runtime) and is_private_folder(runtime):
        yield runtime
    own = data_dir.resolve() / "run"
    short = len(str(own / "ifcscript-0123456789abcdef").encode("utf-8")) <= MAX_SOCKET_PATH
    if short and _make_private(str(own)):  # (not on a share that shows every file as 0777)
        yield str(own)
    shared = os.path.join(fallback_root or tempfile.gettempdir(), f"ifcscript-{os.getuid()}")
    if _make_private(shared):
        yield shared


def _make_private(folder: str) -> bool:
    """Create `folder` with mode 0700 (failing if something is already there), or accept one
    that already is this user's own, private, real folder."""
    try:
        os.makedirs(os.path.dirname(folder), exist_ok=True)  # a data folder not made yet
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        log.warning("The single-instance folder %s cannot be made: %s", folder,
                    os.strerror(exc.errno or errno.EIO))
        return False
    if is_private_folder(folder):
        return True
    log.warning("The single-instance folder %s is not used: it is not a folder of this user's "
                "that only they can open (owner and mode 0700).", folder)
    return False


def is_private_folder(folder: str) -> bool:
    """A real folder (not a symlink) owned by this user, which nobody else may open."""
    try:
        info = os.lstat(folder)
    except OSError:
        return False
    return (stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()
            and stat.S_IMODE(info.st_mode) & 0o077 == 0)


def is_own_socket(path: str) -> bool | None:
    """True: a socket of this user's; False: something else is there (never to be used nor
    removed); None: nothing is there. Always True for Windows pipe names."""
    if not hasattr(os, "getuid"):
        return True
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError:
        return False
    return stat.S_ISSOCK(info.st_mode) and info.st_uid == os.getuid()


def forward(name: str, paths: list[str], timeout_ms: int = TIMEOUT_MS) -> str:
    """Hand `paths` (absolute) to the window serving `name`: ACKNOWLEDGED once it said so, SENT
    when the message went out but a busy window did not answer in time (it reads it when free:
    a window of our own too would open the files twice, on one history), NO_WINDOW (falsy) when
    no window took the connection. Blocking: called before this process has a window."""
    if not is_own_socket(name):  # nobody's, or someone else's: never handed our paths
        return NO_WINDOW
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(timeout_ms):
        return NO_WINDOW
    message = json.dumps({"open": paths}).encode("utf-8") + b"\n"
    socket.write(message)
    sent = socket.waitForBytesWritten(timeout_ms) or socket.bytesToWrite() == 0
    answer = b""
    while ACK not in answer and socket.waitForReadyRead(timeout_ms):
        answer += bytes(socket.readAll().data())
    socket.disconnectFromServer()
    return ACKNOWLEDGED if ACK in answer else SENT if sent else NO_WINDOW


class InstanceServer(QObject):
    """Listens for later launches on the same data folder; `files_received` gives the paths
    each one asked to open (an empty list: it only asked for the window)."""

    files_received = Signal(list)

    def __init__(self, name: str, parent: QObject | None = None,
                 idle_ms: int = TIMEOUT_MS) -> None:
        super().__init__(parent)
        self.name = name
        self.idle_ms = idle_ms
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._on_connection)
        self._buffers: dict[QLocalSocket, bytes] = {}

    def listen(self) -> bool:
        """Serve `name`; False when a live window already serves it (the caller should have
        forwarded), something not this user's socket is in its place, or listening failed. A
        stale socket of this user's (nobody answers on it) is removed."""
        if is_own_socket(self.name) is False:
            log.warning("%s is not this user's socket: it is left alone.", self.name)
            return False
        probe = QLocalSocket()
        probe.connectToServer(self.name)
        if probe.waitForConnected(500):
            probe.disconnectFromServer()
            return False
        # Asked first: with UserAccessOption, listen() would replace even a live window's socket.
        QLocalServer.removeServer(self.name)
        return self._server.listen(self.name)

    def close(self) -> None:
        self._server.close()

    def _on_connection(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            self._buffers[socket] = b""
            idle = QTimer(socket)  # a connection that says nothing is not our launcher
            idle.setSingleShot(True)
            idle.timeout.connect(lambda s=socket: self._drop(s))
            idle.start(self.idle_ms)
            socket.readyRead.connect(lambda s=socket: self._on_ready(s))
            socket.disconnected.connect(lambda s=socket: self._forget(s))
            socket.disconnected.connect(socket.deleteLater)  # once the answer is out

    def _on_ready(self, socket: QLocalSocket) -> None:
        if socket not in self._buffers:  # already answered: later bytes mean nothing
            return
        data = self._buffers[socket] + bytes(socket.readAll().data())
        if b"\n" not in data:
            if len(data) > MAX_MESSAGE:
                self._drop(socket)
            else:
                self._buffers[socket] = data
            return
        line = data.split(b"\n", 1)[0]
        if len(line) > MAX_MESSAGE:
            self._drop(socket)
            return
        self._forget(socket)  # one message per connection, handled once
        socket.write(ACK)
        socket.flush()
        socket.disconnectFromServer()
        self.files_received.emit(_paths(line))

    def _drop(self, socket: QLocalSocket) -> None:
        if socket in self._buffers:
            self._forget(socket)
            socket.abort()
            socket.deleteLater()

    def _forget(self, socket: QLocalSocket) -> None:
        self._buffers.pop(socket, None)


def _paths(line: bytes) -> list[str]:
    """The absolute paths of a launcher's message; anything else in it is ignored."""
    try:
        message = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # [[[[… nested past the stack
        return []
    paths = message.get("open") if isinstance(message, dict) else None
    if not isinstance(paths, list):
        return []
    return [p for p in paths if isinstance(p, str) and Path(p).is_absolute()]
