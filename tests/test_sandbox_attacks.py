"""Issue 9's findings as attacks through the real `ifcscript run` and `workflow run`.

Each attack runs with the Python layer bypassed (`tests/bypass.py`): what must hold here is
what the worker and the operating system guarantee, whatever the script got hold of. A run
ends as `error` (or `timeout`) naming what was refused or exceeded, no canary or parent
environment variable shows up anywhere, no process of the run is left, the command returns
within its time limit plus a few seconds, and `history show` of the run works.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_cli import ifcscript, json_lines

BYPASS = Path(__file__).parent / "bypass.py"
SECRET_VAR = "IFCSCRIPT_TEST_PARENT_TOKEN"
SECRET = "parent-token-5f3a9c1e"

#: Finds the run child's event pipe (the only pipe above 2) and writes frames into it.
FORGE = """\
import json
def event_fd():
    for fd in range(3, 64):
        try:
            if RAW_OS.fstat(fd).st_mode & 0o170000 == 0o010000:  # a pipe
                return fd
        except OSError:
            pass
def frame(message):
    body = json.dumps(message).encode()
    return len(body).to_bytes(4, "big") + body
EVENTS = event_fd()
"""


def attack(mode: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, SECRET_VAR: SECRET}
    return subprocess.run([sys.executable, str(BYPASS), mode, *args], capture_output=True,
                          text=True, timeout=timeout, env=env)


def run_attack(tmp_path: Path, house: Path, code: str, *options: str, mode: str = "bare",
               timeout: float = 120) -> tuple[dict, subprocess.CompletedProcess[str]]:
    script = tmp_path / "attack.py"
    script.write_text(code)
    done = attack(mode, "run", str(script), str(house), "--json", *options, timeout=timeout)
    lines = json_lines(done.stdout)
    assert len(lines) == 1, done.stderr
    return lines[0], done


def assert_clean(line: dict, done: subprocess.CompletedProcess[str], *canaries: str) -> None:
    """Nothing secret anywhere the user or a later step can see, and the run shows again."""
    everything = done.stdout + done.stderr
    for path in line["outputs"] or []:
        everything += Path(path).read_text(errors="replace")
    for canary in (SECRET, *canaries):
        assert canary not in everything
    assert "Traceback (most recent call last)" not in done.stderr
    shown = ifcscript("history", "show", str(line["execution_id"]), "--json")
    assert shown.returncode == 0, shown.stderr
    assert json_lines(shown.stdout)[0]["status"] == line["status"]


def gone(pid: int) -> bool:
    """No process `pid`, or only its zombie (PID 1 here may not reap orphans)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")


# -- finding 2: forged `saved` events never become outputs or grants ------------------------------
FORGER = """\
# /// ifcscript
# name = "Forger"
# ///
""" + FORGE + """\
save_output("real.txt", "made by the run")
for path in [{secret!r}, {outside!r}, "../../escape.txt", "/etc/passwd"]:
    RAW_OS.write(EVENTS, frame({{"event": "saved", "path": path}}))
RAW_OS.write(EVENTS, frame({{"event": "table", "table": {{"title": "t", "columns": ["a"],
                            "row_count": 1, "file": {secret!r}}}}}))
result = "forged"
"""

READER = """\
# /// ifcscript
# name = "Reader"
# ///
seen = {}
for path in previous["Forger"]["outputs"]:
    try:
        with open(path) as f:
            seen[path] = f.read()
    except Exception as exc:
        seen[path] = type(exc).__name__
print(seen)
result = sorted(seen)
"""

FORGED_WORKFLOW = """\
name = "Forged outputs"
stop_on_error = false
[[steps]]
name = "Forger"
script = "Forger"
[[steps]]
name = "Reader"
script = "Reader"
"""


def test_forged_saved_paths_are_neither_outputs_nor_grants(data_dir: Path, house: Path,
                                                           tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("canary-forged-saved-7731")
    outside = tmp_path / "outside.csv"
    outside.write_text("canary-outside-8842")
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "forger.py").write_text(FORGER.format(secret=str(secret), outside=str(outside)))
    (scripts / "reader.py").write_text(READER)
    for name in ("forger.py", "reader.py"):
        assert ifcscript("scripts", "import", str(scripts / name)).returncode == 0
    (tmp_path / "wf.toml").write_text(FORGED_WORKFLOW)
    assert ifcscript("workflow", "import", str(tmp_path / "wf.toml")).returncode == 0

    done = attack("raw_os", "workflow", "run", "Forged outputs", str(house), "--json")
    rows = json_lines(done.stdout)
    assert [r["status"] for r in rows] == ["success", "success"], done.stderr
    forger = json_lines(ifcscript("history", "show", str(rows[0]["execution_id"]), "--json").stdout)[0]
    assert [Path(p).name for p in forger["outputs"]] == ["real.txt"]
    assert not forger["tables"], "a table file outside the run's folder was accepted"
    reader = json_lines(ifcscript("history", "show", str(rows[1]["execution_id"]), "--json").stdout)[0]
    assert [Path(p).name for p in reader["result"]] == ["real.txt"]
    assert "made by the run" in reader["output"]
    assert_clean(reader, done, "canary-forged-saved-7731", "canary-outside-8842")


# -- finding 3: a refusal cannot be swallowed, the status cannot be forged ------------------------
@pytest.mark.parametrize("redirect", [False, True], ids=["caught", "event-pipe-redirected"])
def test_a_refusal_ends_the_run_whatever_the_script_forges(data_dir: Path, house: Path,
                                                          tmp_path: Path, redirect: bool) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("canary-swallowed-5512")
    code = FORGE + f"""\
RAW_OS.write(EVENTS, frame({{"event": "done", "status": "success", "result": "forged early"}}))
if {redirect!r}:
    r, w = RAW_OS.pipe()
    RAW_OS.dup2(w, EVENTS)
try:
    print(open({str(secret)!r}).read())
except Exception:
    pass
print("the script went on after the refusal")
RAW_OS.write(EVENTS, frame({{"event": "done", "status": "success", "result": "forged late"}}))
result = "finished"
"""
    line, done = run_attack(tmp_path, house, code, mode="raw_os")
    assert done.returncode == 1
    assert line["status"] == "error" and line["result"] is None
    if redirect:
        assert "refused" in line["error"] and "kept the refusal's message" in line["error"]
    else:
        assert line["error"].startswith("The sandbox refused: reading the file")
    assert "went on after the refusal" not in (line["output"] or "")
    assert_clean(line, done, "canary-swallowed-5512")


# -- finding 4: nothing of the parent's environment in the run's reach ----------------------------
def test_the_parent_environment_is_not_in_the_run(data_dir: Path, house: Path,
                                                  tmp_path: Path) -> None:
    code = """\
import os, posix, sys
print(dict(os.environ), dict(posix.environ), sys.argv, sys.orig_argv)
for path in ("/proc/self/environ", "/proc/1/environ", f"/proc/{os.getppid()}/environ"):
    try:
        print(open(path, "rb").read())
    except OSError as exc:
        print(path, "refused", exc.errno)
result = "looked"
"""
    line, done = run_attack(tmp_path, house, code)
    assert line["status"] == "success", line
    assert "refused" in line["output"]
    assert SECRET_VAR not in line["output"]
    assert_clean(line, done)


# -- finding 5: the timeout holds, no process of the run survives it ------------------------------
FORKS = {
    "os.fork": "os.fork()",
    "subprocess": "import subprocess; subprocess.Popen(['sleep', '100'])",
    "posix_spawn": "os.posix_spawn('/bin/sleep', ['sleep', '100'], {})",
    "libc fork": "import ctypes; assert ctypes.CDLL(None).fork() >= 0, 'fork failed'",
    "clone syscall": "import ctypes, signal; libc = ctypes.CDLL(None, use_errno=True); "
                     "assert libc.syscall(56, signal.SIGCHLD, 0, 0, 0, 0) >= 0, 'clone failed'",
    "setsid": "os.setsid()",
}


@pytest.mark.parametrize("attempt", list(FORKS.values()), ids=list(FORKS))
def test_no_process_outlives_the_timeout(data_dir: Path, house: Path, tmp_path: Path,
                                         attempt: str) -> None:
    code = f"""\
import os
print("pid", os.getpid(), flush=True)
try:
    {attempt}
    print("started another process", flush=True)
except (OSError, AssertionError) as exc:
    print("refused:", exc, flush=True)
r, w = os.pipe()
os.read(r, 1)   # blocks for good, like a grandchild holding the run's pipes
"""
    started = time.monotonic()
    line, done = run_attack(tmp_path, house, code, "--timeout", "4", timeout=60)
    elapsed = time.monotonic() - started
    assert line["status"] == "timeout", line
    assert "started another process" not in line["output"]
    assert "refused:" in line["output"]
    assert elapsed < 4 + 20, f"the command took {elapsed:.1f} s for --timeout 4"
    pid = int(line["output"].split("pid", 1)[1].split()[0])
    assert gone(pid)
    assert_clean(line, done)


def test_threads_still_work_under_the_process_filter(data_dir: Path, house: Path,
                                                     tmp_path: Path) -> None:
    """numpy's and OpenBLAS's threads are created with clone(CLONE_THREAD): still allowed."""
    code = """\
a = np.ones((1500, 1500))
b = a @ a
result = {"corner": float(b[0, 0]), "sum": float(b.sum())}
"""
    script = tmp_path / "matrices.py"
    script.write_text(code)
    done = ifcscript("run", str(script), str(house), "--json")
    [line] = json_lines(done.stdout)
    assert line["status"] == "success", line
    assert line["result"] == {"corner": 1500.0, "sum": 1500.0 ** 3}


# -- finding 1 in workflows: a step never takes a script's suggested file -------------------------
def test_a_workflow_step_does_not_take_a_scripts_suggested_file(data_dir: Path, house: Path,
                                                                tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("canary-step-default-4410")
    script = tmp_path / "suggests.py"
    script.write_text(f"""\
# /// ifcscript
# name = "Suggests"
# [[parameters]]
# name = "source"
# type = "file"
# default = {json.dumps(str(secret))}
# ///
print(open(params["source"]).read() if params["source"] else "nothing granted")
""")
    assert ifcscript("scripts", "import", str(script)).returncode == 0
    (tmp_path / "wf.toml").write_text('name = "Suggested"\n[[steps]]\nname = "S"\nscript = "Suggests"\n')
    assert ifcscript("workflow", "import", str(tmp_path / "wf.toml")).returncode == 0
    done = ifcscript("workflow", "run", "Suggested", str(house), "--json")
    assert done.returncode == 2
    assert f"source suggests {secret}" in done.stderr and "step" in done.stderr
    assert "canary-step-default-4410" not in done.stdout + done.stderr


# -- what a review found past the first round -----------------------------------------------------
KERNEL_ESCAPES = {  # (the call, the errno it must fail with)
    "prlimit on the worker": ("libc.syscall(PRLIMIT64, os.getppid(), 0, ctypes.byref(one), None)", 1),
    "memfd_create": ("os.memfd_create('ram')", 1),
    "keyring": ("libc.syscall(KEYCTL, 0, -3, 0, 0, 0)", 1),
    "unshare": ("libc.syscall(UNSHARE, 0x10000000, 0, 0, 0, 0)", 1),
    "userfaultfd": ("libc.syscall(USERFAULTFD, 0, 0, 0, 0, 0)", 1),
    "System V shared memory": ("libc.syscall(SHMGET, 0, 4096, 0o1600, 0, 0)", 1),
    "socketpair": ("__import__('socket').socketpair()", 13),
}


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="x86_64 syscall numbers")
@pytest.mark.parametrize("call, errno", list(KERNEL_ESCAPES.values()), ids=list(KERNEL_ESCAPES))
def test_kernel_calls_landlock_does_not_cover_are_refused(data_dir: Path, house: Path,
                                                          tmp_path: Path, call: str,
                                                          errno: int) -> None:
    code = f"""\
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
class Limit(ctypes.Structure):
    _fields_ = [("cur", ctypes.c_ulong), ("max", ctypes.c_ulong)]
one = Limit(1, 1)
PRLIMIT64, KEYCTL, UNSHARE, USERFAULTFD, SHMGET = 302, 250, 272, 323, 29
try:
    answer = {call}
    print("answer", answer, ctypes.get_errno())
except OSError as exc:
    print("answer -1", exc.errno)
result = "tried"
"""
    line, done = run_attack(tmp_path, house, code)
    assert line["status"] == "success", line
    assert f"answer -1 {errno}\n" in line["output"], line["output"]
    assert_clean(line, done)


def test_a_runs_limits_cannot_reach_another_process(data_dir: Path, house: Path,
                                                    tmp_path: Path) -> None:
    bystander = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                                 stdin=subprocess.PIPE)
    try:
        code = f"""\
import resource
try:
    resource.prlimit({bystander.pid}, resource.RLIMIT_CPU, (0, 0))
    print("changed")
except OSError as exc:
    print("refused", exc.errno)
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))   # its own limits it may still lower
"""
        line, done = run_attack(tmp_path, house, code)
        assert "refused 1" in line["output"] and "changed" not in line["output"]
        assert resource_cpu_limit(bystander.pid) == "unlimited"
    finally:
        bystander.kill()
        bystander.wait()


def resource_cpu_limit(pid: int) -> str:
    for row in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if row.startswith("Max cpu time"):
            return row.split()[3]
    raise AssertionError("no cpu time row")


def test_odd_file_names_are_not_outputs(data_dir: Path, house: Path, tmp_path: Path) -> None:
    code = """\
import os
OUT = os.path.dirname(save_output("fine.csv", "a\\n1\\n"))
for name in [b"\\xff\\xfe bad.csv", b"new\\nline.csv", b"esc\\x1b[31m.csv"]:
    with open(os.path.join(os.fsencode(OUT), name), "wb") as f:
        f.write(b"x")
result = "named"
"""
    line, done = run_attack(tmp_path, house, code)
    assert line["status"] == "success", line
    assert [Path(p).name for p in line["outputs"]] == ["fine.csv"]
    assert_clean(line, done)


# -- finding 8: the Python layer's own gaps, through the plain command ----------------------------
PYTHON_GAPS = {
    "dataclass field name": ("""\
import dataclasses
class C:
    y: int = 0
    __annotations__['y,__import__("os").system("touch {canary}")'] = int
C = dataclasses.dataclass(init=False, repr=False)(C)
C() == C()
""", "dataclass whose field names hold code"),
    "numpy raw memory": ("""\
bait = b'B' * 64
X = type('X', (), {'__array_' + 'interface__': {'data': (id(bait) + 32, False), 'shape': (16,),
                                               'typestr': '|u1', 'version': 3}})
print(np.asarray(X()).tobytes())
""", "__array_interface__"),
    "unpickled dotted name": ("""\
path = save_output("p.pkl", b"\\x80\\x04\\x8c\\x10pandas.io.common\\x8c\\tos.getpid\\x93)R.")
print(pd.read_pickle(path))
""", "pickle"),
    "format walk": ("""\
print('{0.__globals__}'.format(save_output))
""", "__globals__"),
}


@pytest.mark.parametrize("code, expected", list(PYTHON_GAPS.values()), ids=list(PYTHON_GAPS))
def test_python_layer_gaps_end_the_run(data_dir: Path, house: Path, tmp_path: Path, code: str,
                                       expected: str) -> None:
    canary = tmp_path / "canary"
    script = tmp_path / "gap.py"
    script.write_text(code.replace("{canary}", str(canary)) + "result = 'finished'\n")
    done = ifcscript("run", str(script), str(house), "--json")
    [line] = json_lines(done.stdout)
    assert done.returncode == 1 and line["status"] == "error", line
    assert line["error"].startswith("The sandbox refused") and expected in line["error"]
    assert line["result"] is None and not canary.exists()
    assert "BBBBBBBB" not in (line["output"] or "") and "ifcscript_desktop" not in (line["output"] or "")
    assert_clean(line, done)


