"""One window per user and data folder: a second launch hands its file to the first."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest
from PySide6.QtCore import QDir

from ifcscript_desktop.ui.app import build_main_window, serve_instance
from ifcscript_desktop.ui.main_window import MainWindow
from ifcscript_desktop.ui.single_instance import InstanceServer, _paths, forward, server_name

LAUNCH_TIMEOUT = 90_000
OPEN_TIMEOUT = 120_000


@pytest.fixture
def window(qtbot, data_dir: Path) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    win = build_main_window(str(data_dir), [])
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()
    win.store.close()


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
    name = server_name(data_dir)
    path = os.path.join(QDir.tempPath(), name)
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
