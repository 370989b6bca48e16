"""One window per user and data folder: a second launch hands its file to the first."""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Iterator

import pytest
from PySide6.QtNetwork import QLocalSocket

from ifcscript_desktop.ui import single_instance
from ifcscript_desktop.ui.app import build_main_window, serve_instance
from ifcscript_desktop.ui.main_window import MainWindow
from tests.ui.test_app import OPEN_TIMEOUT, window  # noqa: F401  (window: a fixture)
from ifcscript_desktop.ui.single_instance import (
    MAX_MESSAGE,
    InstanceServer,
    _paths,
    forward,
    is_own_socket,
    is_private_folder,
)

LAUNCH_TIMEOUT = 90_000
Connected = QLocalSocket.LocalSocketState.ConnectedState
Unconnected = QLocalSocket.LocalSocketState.UnconnectedState


def server_name(data_dir: Path) -> str:
    name = single_instance.server_name(data_dir)
    assert name is not None
    return name


def _launch(data_dir: Path, *args: str) -> subprocess.Popen[str]:
    """`ifcscript --data-dir DIR ARGS` as a user types it, in a process of its own."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.Popen([sys.executable, "-m", "ifcscript_desktop", "--data-dir", str(data_dir),
                             *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)


def _finish(qtbot, process: subprocess.Popen[str]) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    try:
        qtbot.waitUntil(lambda: process.poll() is not None, timeout=LAUNCH_TIMEOUT)
    finally:
        if process.poll() is None:  # it opened a window of its own: the test failed
            process.kill()
        out, err = process.communicate()
    return int(process.returncode), out + err


def test_a_second_launch_hands_its_file_to_the_running_window(qtbot, window: MainWindow,  # type: ignore[no-untyped-def]
                                                              data_dir: Path, house: Path) -> None:
    assert serve_instance(window, server_name(data_dir)) is not None
    process = _launch(data_dir, str(house))
    with qtbot.waitSignal(window.models.model_opened, timeout=OPEN_TIMEOUT) as opened:
        code, said = _finish(qtbot, process)
    assert code == 0, said
    assert "already open on the data folder" in said and "AC20-FZK-Haus.ifc" in said
    assert Path(opened.args[0].path) == house.absolute()


def test_a_second_launch_without_a_file_brings_the_window_forward(qtbot, window: MainWindow,  # type: ignore[no-untyped-def]
                                                                   data_dir: Path) -> None:
    server = serve_instance(window, server_name(data_dir))
    assert server is not None
    with qtbot.waitSignal(server.files_received, timeout=LAUNCH_TIMEOUT) as received:
        code, said = _finish(qtbot, _launch(data_dir))
    assert code == 0 and "its window is brought to the front" in said, said
    assert received.args == [[]]


def test_a_stale_socket_of_a_crashed_window_is_replaced(qtbot, window: MainWindow,  # type: ignore[no-untyped-def]
                                                        data_dir: Path, house: Path) -> None:
    name = path = server_name(data_dir)
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(path)  # a crashed window's socket file: there, but nobody answers
    stale.close()
    try:
        assert os.path.exists(path) and not forward(name, [], timeout_ms=500)
        assert serve_instance(window, name) is not None
        process = _launch(data_dir, str(house))
        with qtbot.waitSignal(window.models.model_opened, timeout=OPEN_TIMEOUT):
            code, said = _finish(qtbot, process)
        assert code == 0, said
    finally:
        if os.path.exists(path):
            os.unlink(path)


def test_another_data_folder_gets_its_own_window(qtbot, window: MainWindow, data_dir: Path,  # type: ignore[no-untyped-def]
                                                 tmp_path: Path, house: Path) -> None:
    assert serve_instance(window, server_name(data_dir)) is not None
    other = tmp_path / "other-data"
    other.mkdir()
    assert server_name(other) != server_name(data_dir)
    assert server_name(data_dir / "." / "sub" / "..") == server_name(data_dir)  # one folder
    received: list[list[str]] = []
    window.findChild(InstanceServer).files_received.connect(received.append)
    assert not forward(server_name(other), [str(house)], timeout_ms=500)
    assert received == [] and window.models.models == []
    second = InstanceServer(server_name(data_dir))
    assert not second.listen()  # the live window keeps its data folder


def test_only_absolute_paths_are_taken_from_a_message() -> None:
    assert _paths(b'{"open": ["relative.ifc", "/abs/model.ifc", 3, null]}') == ["/abs/model.ifc"]
    assert _paths(b"not json") == [] and _paths(b'["/a.ifc"]') == [] and _paths(b"\xff") == []


# -- Where the socket lives ------------------------------------------------------------------

def test_the_socket_is_in_a_folder_only_the_user_can_open(data_dir: Path) -> None:
    path = server_name(data_dir)
    folder = os.path.dirname(path)
    assert os.path.isabs(path) and len(path.encode()) <= 107  # what a Unix socket can take
    assert folder not in ("/tmp", "/var/tmp")  # not where anyone may create it first
    info = os.lstat(folder)
    assert stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()
    assert stat.S_IMODE(info.st_mode) == 0o700


def test_the_session_runtime_folder_is_used_only_when_private(
        data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    os.chmod(runtime, 0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    assert os.path.dirname(server_name(data_dir)) == str(runtime)
    os.chmod(runtime, 0o755)  # others may look in: not a place for it
    assert os.path.dirname(server_name(data_dir)) != str(runtime)
    assert is_private_folder(os.path.dirname(server_name(data_dir)))


def test_a_data_folder_with_a_long_path_uses_a_private_temporary_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    # A short root, as /tmp is: pytest's own temporary folders are too long for a socket path
    # that must also fit macOS's 104 bytes.
    root = Path(tempfile.mkdtemp(prefix="si-"))
    request.addfinalizer(lambda: shutil.rmtree(root, ignore_errors=True))
    path = single_instance.server_name(deep, fallback_root=str(root))
    private = root / f"ifcscript-{os.getuid()}"
    assert path is not None and os.path.dirname(path) == str(private)
    assert stat.S_IMODE(os.lstat(private).st_mode) == 0o700
    # Someone else's trap in its place (a folder others can write, a symlink): no socket at all,
    # so each launch opens its own window instead of talking to it.
    os.chmod(private, 0o777)
    assert single_instance.server_name(deep, fallback_root=str(root)) is None
    os.rmdir(private)
    (tmp_path / "elsewhere").mkdir(mode=0o700)
    os.symlink(tmp_path / "elsewhere", private)
    assert single_instance.server_name(deep, fallback_root=str(root)) is None


def _listen_as_a_stranger(path: str, answered: list[bytes]) -> threading.Thread:
    """Another user's trap at our socket's path: it takes what is sent and answers 'ok'."""
    trap = socket.socket(socket.AF_UNIX)
    trap.bind(path)
    trap.listen(1)
    trap.settimeout(5)

    def serve() -> None:
        try:
            connection, _ = trap.accept()
            answered.append(connection.recv(65536))
            connection.sendall(b"ok\n")
            connection.close()
        except OSError:
            pass
        finally:
            trap.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


def test_a_socket_that_is_not_the_users_own_is_never_used(
        qtbot, window: MainWindow, data_dir: Path, house: Path) -> None:  # type: ignore[no-untyped-def]
    name = server_name(data_dir)
    seen: list[bytes] = []
    thread = _listen_as_a_stranger(name, seen)
    try:
        if os.getuid() == 0:  # root can give it to another user: 'nobody'
            os.chown(name, 65534, 65534)
            assert is_own_socket(name) is False
            assert not forward(name, [str(house)], timeout_ms=500)  # not handed our paths
        else:  # a user cannot give a file away: a live socket of ours is still talked to
            assert is_own_socket(name) is True
        assert seen == [] or os.getuid() != 0
    finally:
        if os.getuid() != 0:
            forward(name, [], timeout_ms=500)  # lets the trap's thread end
        thread.join(10)
        os.unlink(name)
    # Something that is no socket at the path (any user can test this): not talked to, not
    # removed, and the window does not serve in its place.
    Path(name).write_text("not a socket")
    try:
        assert is_own_socket(name) is False and not forward(name, [str(house)], timeout_ms=500)
        assert serve_instance(window, name) is None
        assert Path(name).read_text() == "not a socket"
    finally:
        os.unlink(name)


# -- What the server takes from a connection -------------------------------------------------

def _client(qtbot, name: str) -> QLocalSocket:  # type: ignore[no-untyped-def]
    client = QLocalSocket()
    client.connectToServer(name)
    qtbot.waitUntil(lambda: client.state() == Connected)
    return client


@pytest.fixture
def server(data_dir: Path) -> Iterator[InstanceServer]:
    serving = InstanceServer(server_name(data_dir), idle_ms=300)
    assert serving.listen()
    yield serving
    serving.close()


def test_a_message_is_handled_once_whatever_follows_it(qtbot, server: InstanceServer) -> None:  # type: ignore[no-untyped-def]
    received: list[list[str]] = []
    server.files_received.connect(received.append)
    client = _client(qtbot, server.name)
    answer: list[bytes] = []
    client.readyRead.connect(lambda: answer.append(bytes(client.readAll().data())))
    with qtbot.waitSignal(server.files_received):
        client.write(json.dumps({"open": ["/a.ifc"]}).encode() + b"\n")
        client.flush()
    qtbot.waitUntil(lambda: b"".join(answer) == b"ok\n")
    client.write(b"abc")  # more bytes on the same connection: nothing more to open
    client.flush()
    qtbot.waitUntil(lambda: client.state() == Unconnected)  # answered, then hung up
    assert received == [["/a.ifc"]]


def test_an_oversized_message_is_cut_off(qtbot, server: InstanceServer) -> None:  # type: ignore[no-untyped-def]
    received: list[list[str]] = []
    server.files_received.connect(received.append)
    client = _client(qtbot, server.name)
    client.write(b"x" * (MAX_MESSAGE + 1024))
    client.flush()
    qtbot.waitUntil(lambda: client.state() == Unconnected, timeout=5000)
    assert received == []


def test_a_silent_connection_is_dropped(qtbot, server: InstanceServer) -> None:  # type: ignore[no-untyped-def]
    client = _client(qtbot, server.name)
    qtbot.waitUntil(lambda: client.state() == Unconnected, timeout=5000)
    with qtbot.waitSignal(server.files_received) as received:  # the next launch is served
        client = _client(qtbot, server.name)
        client.write(b'{"open": []}\n')
        client.flush()
    assert received.args == [[]]


def test_a_closed_window_stops_serving(qtbot, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    win = build_main_window(str(data_dir), [])
    qtbot.addWidget(win)
    name = server_name(data_dir)
    assert serve_instance(win, name) is not None and os.path.exists(name)
    win.close()
    win.store.close()
    assert not os.path.exists(name)  # a later launch opens a window of its own
    assert not forward(name, [], timeout_ms=500)


def test_a_message_nested_past_the_stack_opens_nothing() -> None:
    assert _paths(b'{"open": ' + b"[" * 30_000 + b"]" * 30_000 + b"}") == []


def test_a_busy_window_gets_the_files_and_no_second_window_opens(  # type: ignore[no-untyped-def]
        qtbot, data_dir: Path) -> None:
    """A window whose event loop is busy (a long layout, a dialog's nested loop) answers late:
    the launch must not open a window of its own too (two windows on one history, the file
    opened twice)."""
    from PySide6.QtNetwork import QLocalServer

    name = server_name(data_dir)
    busy = QLocalServer()
    assert busy.listen(name)
    try:
        # This thread is the "window" too: while forward() waits, nothing here can answer.
        assert forward(name, ["/m/house.ifc"], timeout_ms=300) == single_instance.SENT
        qtbot.waitUntil(busy.hasPendingConnections)
        connection = busy.nextPendingConnection()
        qtbot.waitUntil(lambda: b"\n" in bytes(connection.peek(MAX_MESSAGE).data()))
        assert _paths(bytes(connection.readAll().data()).split(b"\n")[0]) == ["/m/house.ifc"]
    finally:
        busy.close()
    busy_sentence = single_instance_app_sentence(data_dir)
    assert "busy" in busy_sentence and "house.ifc" in busy_sentence


def single_instance_app_sentence(data_dir: Path) -> str:
    from ifcscript_desktop.ui.app import forwarded_sentence

    return forwarded_sentence(data_dir, ["/m/house.ifc"], busy=True)


def test_on_windows_the_pipe_name_holds_a_secret_of_the_data_folder(
        data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pipe names are one namespace for every user of a Windows machine: a name made from the
    (guessable) data folder path alone could be taken first by someone else."""
    monkeypatch.delattr(os, "getuid")
    first = single_instance.server_name(data_dir)
    assert first is not None and first == single_instance.server_name(data_dir)  # kept
    guessable = __import__("hashlib").sha256(str(data_dir.resolve()).encode()).hexdigest()[:16]
    assert guessable not in first
    assert (data_dir / "run" / "instance-secret").read_text().strip() not in first
    other = tmp_path / "other-data"
    assert single_instance.server_name(other) not in (None, first)
