"""Issue 9's limits as attacks through the real `ifcscript run`: the output quota (direct
writes, space hidden from the folder), floods on the event channel, threads.

Like `test_sandbox_attacks`, most run with the Python layer bypassed (`tests/bypass.py`): the
worker enforces these without the child's help.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.test_cli import ifcscript, json_lines
from tests.test_sandbox_attacks import FORGE, assert_clean, run_attack


# -- the event channel -----------------------------------------------------------------------------
def test_garbage_on_the_event_pipe_is_an_error(data_dir: Path, house: Path, tmp_path: Path) -> None:
    code = FORGE + "RAW_OS.write(EVENTS, (2**31).to_bytes(4, 'big') + b'x' * 64)\nresult = 1\n"
    line, done = run_attack(tmp_path, house, code, mode="raw_os")
    assert line["status"] == "error" and "garbage" in line["error"]
    assert_clean(line, done)


# -- finding 7: the output quota, enforced without the child's help -------------------------------
QUOTA_ATTACKS = {
    "one big file, then spin": ("--outputs-max-mb", "8", """\
with open(os.path.join(OUT, "big.bin"), "wb") as f:
    for _ in range(40):
        f.write(b"x" * (1 << 20))
while True:
    pass
""", "outputs_max_bytes"),
    "many files": ("--outputs-max-files", "50", """\
for i in range(400):
    with open(os.path.join(OUT, f"f{i}.txt"), "w") as f:
        f.write("x")
while True:
    pass
""", "outputs_max_files"),
    "a fast finish over quota": ("--outputs-max-mb", "4", """\
for i in range(3):
    with open(os.path.join(OUT, f"part{i}.bin"), "wb") as f:
        f.write(b"y" * (2 << 20))
""", "outputs_max_bytes"),
    "sparse terabyte": ("--outputs-max-mb", "4", """\
with open(os.path.join(OUT, "sparse.bin"), "wb") as f:
    try:
        f.truncate(1 << 40)
    except OSError as exc:
        print("truncate refused:", exc.errno)
with open(os.path.join(OUT, "sparse.bin"), "wb") as f:
    for _ in range(8):
        f.write(b"z" * (1 << 20))
""", "outputs_max_bytes"),
}


@pytest.mark.parametrize("option, value, body, setting", list(QUOTA_ATTACKS.values()),
                         ids=list(QUOTA_ATTACKS))
def test_the_output_quota_stops_direct_writes(data_dir: Path, house: Path, tmp_path: Path,
                                              option: str, value: str, body: str,
                                              setting: str) -> None:
    code = "import os\nOUT = os.path.dirname(save_output('first.txt', 'x'))\n" + body
    started = time.monotonic()
    line, done = run_attack(tmp_path, house, code, option, value, "--timeout", "60")
    assert line["status"] == "error", line
    assert setting in line["error"]
    assert time.monotonic() - started < 40
    assert_clean(line, done)


def test_the_output_quota_holds_for_save_output(data_dir: Path, house: Path, tmp_path: Path) -> None:
    script = tmp_path / "big.py"
    script.write_text("save_output('big.txt', 'x' * (12 << 20))\nresult = 'saved'\n")
    done = ifcscript("run", str(script), str(house), "--json", "--outputs-max-mb", "5")
    [line] = json_lines(done.stdout)
    assert done.returncode == 1 and line["status"] == "error"
    assert "outputs_max_bytes" in line["error"] and "5 MiB" in line["error"]


def test_the_quota_settings_are_in_the_help() -> None:
    for command in (("run", "--help"), ("workflow", "run", "--help")):
        text = ifcscript(*command).stdout
        assert "outputs_max_bytes" in text and "outputs_max_files" in text


def test_the_quota_settings_limit_runs(data_dir: Path, house: Path, tmp_path: Path) -> None:
    """The stored settings (what the Settings dialog writes) are what a run obeys."""
    from ifcscript_desktop.core.settings import save_setting
    from ifcscript_desktop.core.store import open_store

    store = open_store(data_dir)
    save_setting(store, "outputs_max_files", 20)
    save_setting(store, "outputs_max_bytes", 3 << 20)
    store.close()
    many = tmp_path / "many.py"
    many.write_text("for i in range(40):\n    save_output(f'f{i}.txt', 'x')\n")
    big = tmp_path / "big.py"
    big.write_text("save_output('big.txt', 'x' * (4 << 20))\n")
    small = tmp_path / "small.py"
    small.write_text("for i in range(10):\n    save_output(f'f{i}.txt', 'x' * 1000)\nresult = 'ok'\n")
    lines = [json_lines(ifcscript("run", str(s), str(house), "--json").stdout)[0]
             for s in (many, big, small)]
    assert "outputs_max_files" in lines[0]["error"] and "20 files" in lines[0]["error"]
    assert "outputs_max_bytes" in lines[1]["error"] and "3 MiB" in lines[1]["error"]
    assert lines[2]["status"] == "success" and len(lines[2]["outputs"]) == 10


def test_a_frame_nested_too_deep_does_not_take_the_worker_down(data_dir: Path, house: Path,
                                                               tmp_path: Path) -> None:
    code = FORGE + """\
body = b'{"event": "chart", "chart": ' + b"[" * 200000 + b"]" * 200000 + b"}"
RAW_OS.write(EVENTS, len(body).to_bytes(4, "big") + body)
result = 1
"""
    line, done = run_attack(tmp_path, house, code, mode="raw_os")
    assert line["status"] == "error" and "garbage" in line["error"]
    assert_clean(line, done)


def test_a_deeply_nested_table_cell_is_refused_by_the_worker(data_dir: Path, house: Path,
                                                             tmp_path: Path) -> None:
    """Deep enough to pass the JSON decoder, too deep for the window and the store."""
    code = FORGE + """\
cell = json.loads("[" * 500 + "]" * 500)
RAW_OS.write(EVENTS, frame({"event": "table", "table": {"title": "t", "columns": ["a"],
                                                       "rows": [{"a": cell}]}}))
result = 1
"""
    line, done = run_attack(tmp_path, house, code, mode="raw_os")
    assert line["status"] == "error" and "garbage" in line["error"]
    assert not line["tables"]
    assert_clean(line, done)


HIDDEN_WRITES = {
    "nested past PATH_MAX": """\
fd = os.open(OUT, os.O_RDONLY | os.O_DIRECTORY)
for _ in range(18):                       # 18 x 251 bytes of path: more than PATH_MAX
    os.mkdir("d" * 250, dir_fd=fd)
    inner = os.open("d" * 250, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
    os.close(fd)
    fd = inner
for i in range(6):
    out = os.open(f"f{i}", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
    os.write(out, b"A" * (2 << 20))
    os.close(out)
""",
    "held open with no name": """\
held = []
for i in range(6):
    fd = os.open(OUT, os.O_TMPFILE | os.O_WRONLY, 0o600)
    os.write(fd, b"A" * (2 << 20))
    held.append(fd)
while True:
    pass
""",
    "unlinked after writing": """\
held = []
for i in range(6):
    path = os.path.join(OUT, f"gone{i}.bin")
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.write(fd, b"A" * (2 << 20))
    os.unlink(path)
    held.append(fd)
while True:
    pass
""",
}


@pytest.mark.parametrize("body", list(HIDDEN_WRITES.values()), ids=list(HIDDEN_WRITES))
def test_space_hidden_from_the_folder_still_counts(data_dir: Path, house: Path, tmp_path: Path,
                                                   body: str) -> None:
    code = "import os\nOUT = os.path.dirname(save_output('first.txt', 'x'))\n" + body
    line, done = run_attack(tmp_path, house, code, "--outputs-max-mb", "5", "--timeout", "60")
    assert line["status"] == "error" and "outputs_max_bytes" in line["error"], line
    assert_clean(line, done)


EVENT_FLOODS = {
    "one huge frame": FORGE + """\
body = b'{"event": "chart", "chart": [' + b"{}," * 30_000_000 + b'{}]}'
RAW_OS.write(EVENTS, len(body).to_bytes(4, "big"))
view = memoryview(body)
while view:
    view = view[RAW_OS.write(EVENTS, view):]
""",
    "many small lists": FORGE + """\
chunk = frame({"event": "chart", "chart": [[] for _ in range(50_000)]})
for _ in range(100):
    RAW_OS.write(EVENTS, chunk)
""",
}


@pytest.mark.parametrize("code", list(EVENT_FLOODS.values()), ids=list(EVENT_FLOODS))
def test_an_event_flood_is_stopped_before_the_worker_drowns(data_dir: Path, house: Path,
                                                            tmp_path: Path, code: str) -> None:
    started = time.monotonic()
    line, done = run_attack(tmp_path, house, code + "result = 1\n", mode="raw_os")
    assert line["status"] == "error", line
    assert "garbage" in line["error"] or "more tables, charts and results" in line["error"]
    assert time.monotonic() - started < 60
    assert_clean(line, done)


def test_a_progress_flood_does_not_hold_the_timeout(data_dir: Path, house: Path,
                                                    tmp_path: Path) -> None:
    code = FORGE + """\
burst = frame({"event": "progress", "fraction": 0.5, "message": "x"}) * 20_000
while True:
    view = memoryview(burst)
    while view:
        view = view[RAW_OS.write(EVENTS, view):]
"""
    started = time.monotonic()
    line, done = run_attack(tmp_path, house, code, "--timeout", "4", mode="raw_os")
    assert line["status"] in ("timeout", "error"), line
    assert time.monotonic() - started < 4 + 20
    assert line["duration_s"] < 4 + 5


def test_a_thread_bomb_is_stopped(data_dir: Path, house: Path, tmp_path: Path) -> None:
    """Threads are allowed (numpy needs them) but each takes a process id of the machine's."""
    code = """\
import threading, time
threading.stack_size(64 * 1024)
gate = threading.Event()
for _ in range(3000):
    threading.Thread(target=gate.wait, daemon=True).start()
while True:
    pass
"""
    started = time.monotonic()
    line, done = run_attack(tmp_path, house, code, "--timeout", "60")
    assert line["status"] == "error" and "threads" in line["error"], line
    assert time.monotonic() - started < 30
    assert_clean(line, done)


def test_space_kept_only_in_a_mapping_still_counts(data_dir: Path, house: Path,
                                                   tmp_path: Path) -> None:
    """A file mapped, unlinked and closed keeps its space with no name and no descriptor."""
    code = """\
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                      ctypes.c_int, ctypes.c_long]
OUT = os.path.dirname(save_output('first.txt', 'x'))
for i in range(6):
    path = os.path.join(OUT, f"mapped{i}.bin")
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.write(fd, b"A" * (2 << 20))
    assert libc.mmap(None, 4096, 1, 1, fd, 0) not in (None, ctypes.c_void_p(-1).value)
    os.close(fd)
    os.unlink(path)
while True:
    pass
"""
    line, done = run_attack(tmp_path, house, code, "--outputs-max-mb", "5", "--timeout", "60")
    assert line["status"] == "error" and "outputs_max_bytes" in line["error"], line
    assert_clean(line, done)
