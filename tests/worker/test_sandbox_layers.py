"""The run sandbox's layers in real forked processes: what a script may not do, what still works.

Each test forks a child from this process (which already holds an ifcopenshell model, as the
worker does). The child applies the OS layer and/or the Python layer, runs a snippet in guarded
globals and reports back on a pipe: every refusal the moment it happens, then how the snippet
ended. Attacks catch their own exceptions, so a refusal must be reported anyway, and each
checks that nothing happened: no canary file, no connection, no secret in what came back.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import shutil
import signal
import socket
import sys
import time
import traceback
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the run sandbox forks (Linux)")

import ifcopenshell  # noqa: E402
import ifcopenshell.util.element  # noqa: E402
import numpy  # noqa: E402
import pandas  # noqa: E402

from ifcscript_desktop.worker import sandbox
from ifcscript_desktop.worker.sandbox import landlock  # noqa: E402

FIXTURES = Path(__file__).parents[1] / "fixtures"
SECRET = "S3CRET-7f3a9c-do-not-leak"
SECRET_VAR = "IFCSCRIPT_TEST_SECRET"
BOTH = ("os", "python")


@dataclass
class Run:
    """What a sandboxed child reported."""

    refusals: list[str] = field(default_factory=list)
    error: str | None = None
    result: str | None = None
    traceback: str | None = None
    notes: list[str] = field(default_factory=list)
    new_modules: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    output: str = ""
    exit_signal: int | None = None
    raw: str = ""
    channel: bytes = b""

    def everything(self) -> str:
        """All text that came back from the child."""
        return self.raw + self.output


@dataclass
class Box:
    """A run's folders and the bait around them."""

    root: Path
    out: Path
    secret: Path
    canary: Path
    granted_csv: Path
    granted_ifc: Path
    other_ifc: Path
    port: int = 0


@pytest.fixture(scope="module")
def model() -> Any:
    """The model, parsed before any fork (as the worker holds it); the worker's preparation."""
    sandbox.prepare_sandbox()
    return ifcopenshell.open(FIXTURES / "AC20-FZK-Haus.ifc")


@pytest.fixture
def box(tmp_path: Path) -> Box:
    out = tmp_path / "run-output"
    out.mkdir()
    (tmp_path / "secret.txt").write_text(f"password={SECRET}\n")
    (tmp_path / "granted.csv").write_text("name,height\nwall,3.0\nslab,0.3\n")
    shutil.copy(FIXTURES / "AC20-FZK-Haus.ifc", tmp_path / "granted.ifc")
    shutil.copy(FIXTURES / "AC20-FZK-Haus.ifc", tmp_path / "other.ifc")
    return Box(tmp_path, out, tmp_path / "secret.txt", tmp_path / "canary",
               tmp_path / "granted.csv", tmp_path / "granted.ifc", tmp_path / "other.ifc")


@pytest.fixture
def listener(box: Box) -> Iterator[socket.socket]:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)
    box.port = server.getsockname()[1]
    yield server
    server.close()


def _got_connection(server: socket.socket) -> bool:
    # The child has exited: a connect it made has completed and waits in the backlog.
    try:
        conn, _ = server.accept()
    except BlockingIOError:
        return False
    conn.close()
    return True


def _child(code: str, box: Box, model: Any, layers: tuple[str, ...], report: int, output: int,
           channel: int, memory_bytes: int | None, cpu_seconds: int | None,
           no_landlock: bool) -> None:
    def send(message: dict[str, Any]) -> None:
        os.write(report, (json.dumps(message) + "\n").encode())

    os.dup2(output, 1)
    os.dup2(output, 2)
    sys.stdout = sys.stderr = open(1, "w", buffering=1, closefd=False)
    warnings.simplefilter("always")  # undo pytest's recording: warnings go to the output
    warnings.showwarning = lambda message, category, *args, **kwargs: print(
        f"{category.__name__}: {message}")
    policy = sandbox.Policy(output_dir=box.out, read_paths=[box.granted_csv, box.granted_ifc],
                            memory_bytes=memory_bytes, cpu_seconds=cpu_seconds,
                            keep_fds=(report,))
    if no_landlock:
        def unavailable(*args: Any) -> int:
            raise OSError("Landlock disabled for this test")
        landlock.restrict = unavailable  # type: ignore[assignment]
    started = time.perf_counter()
    notes = sandbox.enter_os_sandbox(policy) if "os" in layers else []
    os_done = time.perf_counter()
    script_builtins: Any = __builtins__
    if "python" in layers:
        script_builtins = sandbox.install_python_guard(
            policy, lambda text: send({"refusal": text}))
    python_done = time.perf_counter()
    guard = sandbox.guard_module if "python" in layers else (lambda module: module)

    def save_output(name: str, data: str) -> str:
        path = box.out / name
        path.write_text(data)
        return str(path)

    namespace: dict[str, Any] = {
        "__builtins__": script_builtins, "__name__": "__script__", "model": model,
        "np": guard(numpy), "numpy": guard(numpy), "pd": guard(pandas), "pandas": guard(pandas),
        "ifcopenshell": guard(ifcopenshell), "save_output": save_output,
        "OUT": str(box.out), "SECRET_FILE": str(box.secret), "CANARY": str(box.canary),
        "GRANTED_CSV": str(box.granted_csv), "GRANTED_IFC": str(box.granted_ifc),
        "OTHER_IFC": str(box.other_ifc), "PORT": box.port, "SECRET_VAR": SECRET_VAR,
        "CHANNEL_FD": channel,
    }
    before = set(sys.modules)
    message: dict[str, Any] = {"notes": notes, "timings": {
        "enter_os_sandbox_ms": (os_done - started) * 1e3,
        "install_python_guard_ms": (python_done - os_done) * 1e3}}
    try:
        if "python" in layers:
            try:
                sandbox.check_source(code, "<script>")
            except sandbox.Refused as exc:
                send({"refusal": str(exc)})
                raise
            sandbox.arm_python_guard()
        exec(compile(code, "<script>", "exec", dont_inherit=True), namespace)
    except BaseException as exc:
        message["error"] = f"{type(exc).__name__}: {exc}"
        # As the run child does: no source lookups of our own files (the sandbox refuses them).
        frames = [f for f in traceback.StackSummary.extract(traceback.walk_tb(exc.__traceback__),
                                                            lookup_lines=False)
                  if f.filename == "<script>"]
        message["traceback"] = "".join(traceback.format_list(frames)
                                       + traceback.format_exception_only(exc))
    message["result"] = repr(namespace.get("result"))
    message["new_modules"] = sorted(set(sys.modules) - before)
    sys.stdout.flush()
    send(message)


def run_sandboxed(code: str, box: Box, model: Any, layers: tuple[str, ...] = BOTH,
                  memory_bytes: int | None = 2 << 30, cpu_seconds: int | None = 60,
                  no_landlock: bool = False) -> Run:
    """Fork, sandbox the child, run ``code`` there; collect its report."""
    read_end, write_end = os.pipe()
    output_path = box.root / "child-output.txt"
    output = os.open(output_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    # Stands for the worker's client channel: inherited by the fork, must be closed in the run.
    channel_read, channel_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_end)
            _child(code, box, model, layers, write_end, output, channel_write, memory_bytes,
                   cpu_seconds, no_landlock)
        finally:
            os._exit(0)
    os.close(write_end)
    os.close(output)
    os.close(channel_write)
    raw = b""
    deadline = time.monotonic() + 120
    with selectors.DefaultSelector() as selector:
        selector.register(read_end, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if selector.select(timeout=deadline - time.monotonic()):
                chunk = os.read(read_end, 65536)
                if not chunk:
                    break
                raw += chunk
        else:
            os.kill(pid, signal.SIGKILL)
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    os.set_blocking(channel_read, False)
    try:
        channel = os.read(channel_read, 65536)
    except BlockingIOError:
        channel = b""
    os.close(channel_read)
    run = Run(raw=raw.decode(errors="replace"), output=output_path.read_text(errors="replace"),
              channel=channel)
    if os.WIFSIGNALED(status):
        run.exit_signal = os.WTERMSIG(status)
    for line in run.raw.splitlines():
        message = json.loads(line)
        if "refusal" in message:
            run.refusals.append(message["refusal"])
        else:
            for key in ("error", "result", "traceback", "notes", "new_modules", "timings"):
                setattr(run, key, message.get(key, getattr(run, key)))
    return run


ATTEMPT = """
try:
{body}
except BaseException as exc:
    print("caught:", type(exc).__name__)
print("still running")
"""


def attempt(body: str) -> str:
    """Wrap an attack so that it catches whatever stops it, as a sly script would."""
    return ATTEMPT.format(body="\n".join("    " + line for line in body.splitlines()))


# Each category of the corpus, several ways each: (id, code, what the refusal must name).
ATTACKS = [
    ("open-read", "print(open(SECRET_FILE).read())", r'reading the file ".*secret\.txt"'),
    ("open-write", "open(CANARY, 'w').write('x')", r'writing the file ".*canary"'),
    ("open-traversal", "open(OUT + '/../canary', 'w').write('x')", r'writing the file ".*canary"'),
    ("open-fd", "open(CHANNEL_FD, 'w').write('forged')", "descriptor number"),
    ("open-shifty-path", "class P:\n    calls = 0\n    def __fspath__(self):\n"
     "        P.calls += 1\n        return GRANTED_CSV if P.calls == 1 else SECRET_FILE\n"
     "print(open(P()).read())", "unusual path object"),
    ("open-lying-str", "class S(str):\n    def startswith(self, *args):\n        return False\n"
     "    def endswith(self, *args):\n        return False\n"
     "getattr(np.load, S('__glo' + 'bals__'))['os'].system('touch ' + CANARY)",
     '"__globals__"'),
    ("io-import", "import io\nio.open(SECRET_FILE).read()", 'importing the module "io"'),
    ("io-via-pandas", "import pandas.io.parsers.readers\n"
     "pandas.io.parsers.readers.io.open(SECRET_FILE)", 'the module "io"'),
    ("pathlib-import", "import pathlib\npathlib.Path(SECRET_FILE).read_text()",
     'importing the module "pathlib"'),
    ("pathlib-via-ifcopenshell", "print(ifcopenshell.Path(SECRET_FILE).read_text())",
     '"pathlib.Path"'),
    ("pathlib-via-pandas", "pd.io.common.Path(CANARY).write_text('x')", '"pathlib.Path"'),
    ("numpy-save", "np.save(CANARY, np.zeros(3))", r'writing the file ".*canary'),
    ("numpy-fromfile", "print(np.fromfile(SECRET_FILE, dtype='uint8').tobytes())",
     r'reading the file ".*secret\.txt"'),
    ("numpy-loadtxt", "print(np.loadtxt(SECRET_FILE, dtype=str))", r'reading the file ".*secret'),
    ("numpy-tofile", "np.arange(3).tofile(CANARY)", r'writing the file ".*canary"'),
    ("numpy-ctypeslib", "np.ctypeslib.load_library('libc', '/lib')", '"numpy.ctypeslib"'),
    ("numpy-ctypeslib-import", "import numpy.ctypeslib", '"numpy.ctypeslib"'),
    ("numpy-ctypes-object", "c = getattr(np.zeros(1).ctypes, '_ct' + 'ypes')\n"
     "c.CDLL(None).system(b'touch ' + CANARY.encode())", '"_ctypes"'),
    ("pandas-read-csv", "print(pd.read_csv(SECRET_FILE))", r'reading the file ".*secret\.txt"'),
    ("pandas-to-csv", "pd.DataFrame({'a': [1]}).to_csv(CANARY)", r'writing the file ".*canary"'),
    ("pandas-to-pickle", "pd.DataFrame({'a': [1]}).to_pickle(CANARY)",
     r'writing the file ".*canary"'),
    ("pandas-read-pickle", "pd.read_pickle(SECRET_FILE)", r'reading the file ".*secret\.txt"'),
    ("ifc-open", "ifcopenshell.open(OTHER_IFC)", r'opening the IFC file ".*other\.ifc"'),
    ("ifc-open-secret", "ifcopenshell.open(SECRET_FILE)", r'opening the IFC file ".*secret'),
    ("ifc-model-write", "model.write(CANARY + '.ifc')", r'writing the IFC file ".*canary\.ifc"'),
    ("ifc-entity-file-write", "model.by_type('IfcWall')[0].file.write(CANARY + '.ifc')",
     r'writing the IFC file ".*canary\.ifc"'),
    ("ifc-raw-write", "model._write(CANARY + '.ifc')", r'writing the IFC file ".*canary\.ifc"'),
    ("ifc-new-file-write", "ifcopenshell.file().write(CANARY + '.ifc')",
     r'writing the IFC file ".*canary\.ifc"'),
    ("ifc-wrapper-module", "ifcopenshell.ifcopenshell_wrapper.open(OTHER_IFC)",
     '"ifcopenshell.ifcopenshell_wrapper"'),
    ("ifc-wrapper-import", "from ifcopenshell import ifcopenshell_wrapper",
     '"ifcopenshell.ifcopenshell_wrapper"'),
    ("ifc-plugins", "ifcopenshell.set_plugin_search_paths([OUT])", "plug-ins"),
    ("os-import", "import os\nos.system('touch ' + CANARY)", 'importing the module "os"'),
    ("subprocess-import", "import subprocess\nsubprocess.run(['touch', CANARY])",
     'importing the module "subprocess"'),
    ("ctypes-import", "import ctypes\nctypes.CDLL(None).system(b'id')",
     'importing the module "ctypes"'),
    ("exec-import", "exec('import os')", 'importing the module "os"'),
    ("eval-import", "eval(\"__imp\" + \"ort__('os')\")", '"__import__"'),
    ("importlib", "import importlib\nimportlib.import_module('os')",
     'importing the module "importlib"'),
    ("builtins-import", "import builtins\nbuiltins.open(SECRET_FILE)",
     'importing the module "builtins"'),
    ("sys-modules", "import sys\nsys.modules['os'].system('touch ' + CANARY)",
     'importing the module "sys"'),
    ("sys-via-library", "import datetime\ndatetime.sys.modules['os']", '"datetime.sys"'),
    ("subclasses", "object.__subclasses__()", r'line \d+ uses "__subclasses__"'),
    ("subclasses-mro", "().__class__.__mro__[1].__subclasses__()", '"__mro__"'),
    ("subclasses-getattr", "getattr(object, '__subcl' + 'asses__')()", '"__subclasses__"'),
    ("subclasses-vars", "vars(type)['__subcl' + 'asses__'](object)", "namespace of a type"),
    ("frames-generator", "def g():\n    yield 1\ng().gi_frame.f_back.f_globals",
     '"gi_frame"'),
    ("frames-attrgetter", "import operator\ndef g():\n    yield 1\n"
     "operator.attrgetter('gi_fr' + 'ame')(g())", '"gi_frame"'),
    ("frames-getattr", "def g():\n    yield 1\ngetattr(g(), 'gi_fr' + 'ame')", '"gi_frame"'),
    ("traceback", "try:\n    1 / 0\nexcept ZeroDivisionError as e:\n"
     "    e.__traceback__.tb_frame.f_globals", '"__traceback__"'),
    ("traceback-getattr", "try:\n    1 / 0\nexcept ZeroDivisionError as e:\n"
     "    getattr(getattr(e, '__trace' + 'back__'), 'tb_frame')", '"__traceback__"'),
    ("function-globals", "np.load.__globals__['os'].system('touch ' + CANARY)",
     '"__globals__"'),
    ("function-globals-attrgetter", "import operator\n"
     "operator.attrgetter('__glo' + 'bals__')(np.load)['os'].system('touch ' + CANARY)",
     '"__globals__"'),
    ("function-globals-wrapper", "import functools\nclass A: pass\na = A()\n"
     "functools.update_wrapper(a, np.load, assigned=('__glo' + 'bals__',))",
     "update_wrapper"),
    ("function-globals-formatter", "import string\n"
     "string.Formatter().get_field('0.__globals__', [np.load], {})", "string.Formatter"),
    ("function-self", "getattr(print, '__se' + 'lf__').open(SECRET_FILE)", '"__self__"'),
    ("library-ifcopenshell-os", "ifcopenshell.os.system('touch ' + CANARY)",
     'the module "os" through "ifcopenshell.os"'),
    ("library-pandas-os", "print(pd.io.common.os.environ)",
     'the module "os" through "pandas.io.common.os"'),
    ("library-from-import", "from pandas.io.common import os", 'the module "os"'),
    ("library-private", "np._core.multiarray", '"numpy._core"'),
    ("library-pandas-eval", "g = pd.eval('f.__globals__', local_dict={'f': np.load})\n"
     "g['os'].system('touch ' + CANARY)", "pandas expression"),
    ("library-pandas-query", "f = np.load\ndf = pd.DataFrame({'a': [1]})\n"
     "df.eval('@f.__globals__')['os'].system('touch ' + CANARY)", "pandas expression"),
    ("library-as-strided", "from numpy.lib.stride_tricks import as_strided\n"
     "as_strided(np.zeros(1), shape=(10**6,), strides=(1,))", "as_strided"),
    ("socket-import", "import socket\nsocket.create_connection(('127.0.0.1', PORT))",
     'importing the module "socket"'),
    ("socket-pandas-url", "pd.read_csv(f'http://127.0.0.1:{PORT}/x.csv')", "network"),
    ("socket-pandas-urlopen", "pd.io.common.urlopen(f'http://127.0.0.1:{PORT}/')", "network"),
    ("environment-os", "import os\nprint(os.environ[SECRET_VAR])", 'importing the module "os"'),
    ("environment-library", "print(ifcopenshell.os.environ.get(SECRET_VAR))",
     '"ifcopenshell.os"'),
    ("environment-proc", "print(open('/proc/self/environ').read())", "/environ"),
    ("environment-proc-numpy", "print(np.fromfile('/proc/self/environ', dtype='uint8'))",
     "/environ"),
    ("write-outside-save-output", "save_output('../canary', 'x')",
     r'writing the file ".*canary"'),
    ("write-absolute-save-output", "save_output(CANARY, 'x')", r'writing the file ".*canary"'),
    ("dunder-builtins", "__builtins__", '"__builtins__"'),
    ("input", "input('password? ')", "keyboard input"),
]


@pytest.mark.parametrize("code, expected", [pytest.param(c, e, id=i) for i, c, e in ATTACKS])
def test_attack_is_refused_reported_and_has_no_effect(code: str, expected: str, box: Box,
                                                      model: Any, listener: socket.socket,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_VAR, SECRET)
    run = run_sandboxed(attempt(code), box, model)

    assert run.exit_signal is None, run.everything()
    assert run.refusals, f"nothing was refused:\n{run.everything()}"
    assert any(re.search(expected, r) for r in run.refusals), run.refusals
    assert all(r.startswith("The sandbox refused: ") for r in run.refusals)
    assert not list(box.root.glob("canary*")), "the attack had an effect"
    assert SECRET not in run.everything()
    assert not _got_connection(listener)
    assert run.channel == b""


@pytest.mark.parametrize("code, expected", [
    pytest.param("print(open(SECRET_FILE).read())", "PermissionError", id="read"),
    pytest.param("open(CANARY, 'w')", "PermissionError", id="write"),
    pytest.param("import socket\nsocket.create_connection(('127.0.0.1', PORT), timeout=5)",
                 "PermissionError", id="tcp"),
    pytest.param("import socket\nsocket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
                 "PermissionError", id="udp"),
    pytest.param("import socket\nsocket.socket(socket.AF_UNIX)", "PermissionError", id="unix"),
    pytest.param("import os\nassert os.system('touch ' + CANARY) != 0\nraise PermissionError",
                 "PermissionError", id="shell"),
    pytest.param("import subprocess\nsubprocess.run(['/usr/bin/touch', CANARY])",
                 "PermissionError", id="program"),
    pytest.param("ifcopenshell.file().write(CANARY)", "RuntimeError", id="ifc-write"),
    pytest.param("pd.DataFrame({'a': [1]}).to_csv(CANARY)", "PermissionError", id="pandas"),
    pytest.param("import os\nos.write(CHANNEL_FD, b'forged')", "OSError", id="closed-fd"),
    pytest.param("import os, stat\nos.mknod(OUT + '/mem', stat.S_IFCHR | 0o600, "
                 "os.makedev(1, 1))", "PermissionError", id="device-node"),
    pytest.param("import os\nos.symlink(SECRET_FILE, OUT + '/link')", "PermissionError",
                 id="symlink"),
])
def test_os_layer_alone_holds(code: str, expected: str, box: Box, model: Any,
                              listener: socket.socket) -> None:
    """Even with real builtins and no audit hook, the kernel refuses (Landlock, seccomp)."""
    if landlock.landlock_abi() < 4:
        pytest.skip("needs Landlock ABI 4+")
    run = run_sandboxed(code, box, model, layers=("os",))
    assert run.error is not None and run.error.startswith(expected), run.everything()
    assert not list(box.root.glob("canary*"))
    assert not (box.out / "link").exists() and not (box.out / "mem").exists()
    assert SECRET not in run.everything()
    assert not _got_connection(listener)
    assert run.channel == b""


def test_os_layer_empties_the_environment(box: Box, model: Any,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_VAR, SECRET)
    code = ("import os, posix\nprint(os.environ.get(SECRET_VAR), os.getenv(SECRET_VAR), "
            "dict(os.environ), posix.environ)\nresult = len(os.environ)")
    run = run_sandboxed(code, box, model, layers=("os",))
    assert run.error is None, run.everything()
    assert run.result == "0"
    assert SECRET not in run.everything()


@pytest.mark.parametrize("code, expected", [
    pytest.param("print(open(SECRET_FILE).read())", 'reading the file', id="read"),
    pytest.param("pd.DataFrame({'a': [1]}).to_csv(CANARY)", 'writing the file', id="write"),
    pytest.param("pd.read_csv(f'http://127.0.0.1:{PORT}/')", 'network', id="network"),
])
def test_python_layer_alone_holds(code: str, expected: str, box: Box, model: Any,
                                  listener: socket.socket) -> None:
    """Where Landlock is missing, the Python layer still refuses and reports."""
    run = run_sandboxed(attempt(code), box, model, layers=("python",))
    assert any(expected in r for r in run.refusals), run.everything()
    assert not box.canary.exists() and SECRET not in run.everything()
    assert not _got_connection(listener)


def test_missing_landlock_is_noted_and_python_layer_still_refuses(box: Box, model: Any) -> None:
    run = run_sandboxed(attempt("print(open(SECRET_FILE).read())"), box, model,
                        no_landlock=True)
    assert any("Landlock is not available" in note for note in run.notes), run.notes
    assert any("reading the file" in r for r in run.refusals)
    assert SECRET not in run.everything()


LEGITIMATE = """
import math, statistics, json, csv, re, datetime, collections, itertools, functools, operator
import decimal, fractions, random, string, textwrap, typing, dataclasses, enum
import numpy.linalg
from collections import namedtuple, Counter
from math import *
from numpy.linalg import *
import ifcopenshell.util.element, ifcopenshell.util.selector, ifcopenshell.guid

Point = namedtuple("Point", "x y")
Colour = enum.Enum("Colour", "RED GREEN")

@dataclasses.dataclass
class Row:
    name: str
    height: float = 0.0

arr = np.arange(12, dtype=float).reshape(3, 4)
df = pd.DataFrame({"a": [3, 1, 2], "b": ["x", "y", "x"]})
walls = model.by_type("IfcWall")
psets = ifcopenshell.util.element.get_psets(walls[0])
selected = ifcopenshell.util.selector.filter_elements(model, "IfcWall")
dates = pd.to_datetime(["13/01/2020", "14/01/2020"])  # warns: pandas inspects the frames

with open(GRANTED_CSV) as handle:
    rows = list(csv.DictReader(handle))
with open(OUT + "/notes.txt", "w") as handle:
    handle.write("written by the script")
df.to_csv(OUT + "/table.csv", index=False)
np.save(OUT + "/array.npy", arr)
other = ifcopenshell.open(GRANTED_IFC)
model.write(OUT + "/copy.ifc")

result = {
    "sum": float(arr.sum()), "norm": round(float(numpy.linalg.norm(arr)), 3),
    "fft": len(np.fft.fft(arr[0])), "median": statistics.median([1, 5, 3]),
    "csv_text": df.sort_values("a").to_csv(index=False), "json": df.to_json(),
    "groupby": df.groupby("b")["a"].sum().to_dict(), "point": Point(1, 2).x,
    "colour": Colour.RED.name, "row": dataclasses.asdict(Row("w", 3.0)),
    "counter": Counter("aab")["a"], "fraction": str(fractions.Fraction(1, 3)),
    "decimal": str(decimal.Decimal("1.10") + 1), "regex": re.sub(r"\\d", "#", "a1b2"),
    "today": datetime.date.today().year > 2000, "psets": sorted(psets),
    "walls": len(selected), "guid": len(ifcopenshell.guid.new()),
    "granted_rows": len(rows), "granted_pandas": len(pd.read_csv(GRANTED_CSV)),
    "granted_numpy": np.loadtxt(GRANTED_CSV, delimiter=",", skiprows=1, usecols=1).tolist(),
    "other_walls": len(other.by_type("IfcWall")), "saved": save_output("saved.txt", "ok"),
    "reloaded": np.load(OUT + "/array.npy").shape, "eval": eval("1 + 2"),
    "vars": sorted(vars(Row("v"))), "getattr": getattr(df, "shape"),
    "attrgetter": operator.attrgetter("real")(3), "dir": "linalg" in dir(np),
    "star": (floor(2.5), round(float(det(np.eye(2))))),
}
"""


def test_legitimate_work_still_works(box: Box, model: Any) -> None:
    run = run_sandboxed(LEGITIMATE, box, model)

    assert run.error is None, run.everything()
    assert run.refusals == []
    result = run.result or ""
    walls = len(model.by_type("IfcWall"))
    for expected in ("'sum': 66.0", "'csv_text': 'a,b\\n1,y\\n2,x\\n3,x\\n'",
                     f"'walls': {walls}", "'granted_rows': 2", "'granted_pandas': 2",
                     "'granted_numpy': [3.0, 0.3]", f"'other_walls': {walls}", "'eval': 3",
                     "'guid': 22", "'colour': 'RED'", "'star': (2, 1)"):
        assert expected in result, result
    assert "Pset_WallCommon" in result
    assert {"notes.txt", "table.csv", "array.npy", "copy.ifc", "saved.txt"} <= set(
        os.listdir(box.out))
    assert ifcopenshell.open(box.out / "copy.ifc").by_type("IfcWall")
    assert "Parsing dates" in run.output  # pandas' warning, located through the frames
    assert any(m.startswith(("pandas.", "numpy.")) for m in run.new_modules), \
        "no library module was imported lazily inside the sandbox"


def test_geometry_works_inside_the_sandbox(box: Box, model: Any) -> None:
    code = """
import ifcopenshell.geom
settings = ifcopenshell.geom.settings()
settings.set("use-world-coords", True)
shape = ifcopenshell.geom.create_shape(settings, model.by_type("IfcWall")[0])
verts = np.array(shape.geometry.verts).reshape(-1, 3)
result = (len(verts) > 0, bool(np.isfinite(verts).all()))
"""
    run = run_sandboxed(code, box, model)
    assert run.error is None, run.everything()
    assert run.refusals == []
    assert run.result == "(True, True)"


def test_script_error_traceback_is_formatted_without_refusal(box: Box, model: Any) -> None:
    code = "def check(wall):\n    raise ValueError('no height')\ncheck(model.by_type('IfcWall')[0])"
    run = run_sandboxed(code, box, model)
    assert run.error == "ValueError: no height"
    assert run.refusals == []
    assert "in check" in (run.traceback or "")


def test_exit_ends_the_script_cleanly(box: Box, model: Any) -> None:
    run = run_sandboxed("print('bye')\nexit(3)", box, model)
    assert run.error == "SystemExit: 3" and run.refusals == []


def test_repeated_refusal_is_reported_once(box: Box, model: Any) -> None:
    run = run_sandboxed(attempt("for _ in range(50):\n    try:\n        open(SECRET_FILE)\n"
                                "    except PermissionError:\n        pass"), box, model)
    assert len(run.refusals) == 1 and "secret.txt" in run.refusals[0]


def test_refusal_names_the_line(box: Box, model: Any) -> None:
    run = run_sandboxed("x = 1\ny = 2\nz = x.__class__.__bases__", box, model)
    assert run.refusals == ['The sandbox refused: line 3 uses "__bases__" (scripts may not '
                            "reach the interpreter's internals (frames, globals, code objects))"]
    with pytest.raises(sandbox.Refused) as refused:
        sandbox.check_source("import math\n\nmath.floor.__self__", "/scripts/check.py")
    assert refused.value.line == 3 and "/scripts/check.py, line 3" in str(refused.value)


def test_memory_limit(box: Box, model: Any) -> None:
    run = run_sandboxed("blob = bytearray(600 * 1024 * 1024)", box, model,
                        memory_bytes=256 * 1024 * 1024)
    assert run.error is not None and run.error.startswith("MemoryError"), run.everything()


def test_cpu_limit(box: Box, model: Any) -> None:
    run = run_sandboxed("while True:\n    pass", box, model, cpu_seconds=1)
    assert run.exit_signal in (signal.SIGXCPU, signal.SIGKILL), run.everything()


def test_layers_are_fast(box: Box, model: Any) -> None:
    run = run_sandboxed("result = 1", box, model)
    print(f"\nsandbox set-up: {run.timings}")
    assert run.timings["enter_os_sandbox_ms"] > 0
