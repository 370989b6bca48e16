"""The Python layer's gaps of issue 9 (finding 8), through the real path: client -> worker -> run.

Each attack was seen to get around the Python layer before it was closed: code built from a
dataclass's field names or a string annotation ran with the real builtins (then ``os``,
``sys``, and the guard switched off); a class given ``__array_interface__`` made numpy read
memory at any address; unpickling named ``("pandas.io.common", "os.getpid")``; format strings
walked into ``__globals__``. Each now ends the run as ``error`` naming the refusal, even when
the script catches it, with no effect: no canary file, the secret file's text and the worker's
environment nowhere in what comes back.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from ifcscript_desktop.core.client import Request, WorkerClient
from tests.worker.test_sandbox_end_to_end import secret_worker  # noqa: F401 - a fixture
from tests.worker.test_sandbox_layers import SECRET, SECRET_VAR, attempt
from tests.worker.conftest import LIMITS

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the run sandbox forks (Linux)")

#: numpy's array interface for the 16 bytes of ``bait``'s text, found by its address (CPython
#: keeps a bytes object's text 32 bytes after its start): read, they would print B's.
INTERFACE = "{'data': (id(bait) + 32, False), 'shape': (16,), 'typestr': '|u1', 'version': 3}"
RAW = "'__array_' + 'interface__'"  # the name put together at run time, as an attacker would
BAIT = "bait = b'B' * 64\n"


def _pickle(module: str, name: str) -> bytes:
    """A protocol 4 pickle calling module.name() (STACK_GLOBAL, dotted names allowed)."""
    def text(value: str) -> bytes:
        return b"\x8c" + bytes([len(value)]) + value.encode()
    return b"\x80\x04" + text(module) + text(name) + b"\x93)R."


GETPID = _pickle("pandas.io.common", "os.getpid")

# (id, code, what the refusal must name). Several variants of each gap.
GAPS = [
    # 1. dataclasses write code from field names and ran it with the real builtins
    ("dataclass-field-import",
     "import dataclasses\nclass C:\n    y: int = 0\n"
     "    __annotations__['y,__import__(\"os\").system(\"touch ' + CANARY + '\")'] = int\n"
     "C = dataclasses.dataclass(init=False, repr=False)(C)\nC() == C()",
     r'dataclass whose field names hold code \(using "__import__"\)'),
    ("dataclass-field-guard-off",
     "import dataclasses\nclass C:\n    y: int = 0\n    __annotations__['y,__import__(\"sys\")"
     ".modules[\"ifcscript_desktop.worker.sandbox.guard\"]._GUARD.__setattr__(\"armed\", 0)']"
     " = int\nC = dataclasses.dataclass(init=False, repr=False)(C)\nC() == C()\n"
     "print(open(SECRET_FILE).read())",
     "dataclass whose field names hold code"),
    ("dataclass-field-builtins",  # no dunder at all: the code runs, with the script's builtins
     "import dataclasses\nclass C:\n    y: int = 0\n"
     "    __annotations__['y,print(open(' + repr(SECRET_FILE) + ').read())'] = int\n"
     "C = dataclasses.dataclass(init=False, repr=False)(C)\nC() == C()",
     r'reading the file ".*secret\.txt"'),
    ("dataclass-field-getattr",
     "import dataclasses\nclass C:\n    y: int = 0\n"
     "    __annotations__[\"y,getattr(print, '__se' + 'lf__')\"] = int\n"
     "C = dataclasses.dataclass(init=False, repr=False)(C)\nC() == C()",
     '"__self__"'),
    ("dataclass-base-field-name",  # the name comes from a base dataclass's fields, changed
     "import dataclasses\n@dataclasses.dataclass\nclass Base:\n    y: int = 0\n"
     "Base.__dataclass_fields__['y'].name = 'y,__import__(\"os\").getpid()'\n"
     "@dataclasses.dataclass(init=False, repr=False)\nclass C(Base):\n    z: int = 0",
     "dataclass whose field names hold code"),
    ("dataclass-make-namespace",
     BAIT + "import dataclasses\nD = dataclasses.make_dataclass('D', ['a'], namespace={"
     f"{RAW}: property(lambda self: {INTERFACE})}})\nprint(np.asarray(D(1)).tobytes())",
     'defining "__array_interface__" in the dataclass "D"'),
    # 1b. typing evaluated string annotations where it liked (singledispatch asks it to)
    ("annotation-subclasses",
     "import functools\n@functools.singledispatch\ndef f(x):\n    pass\n"
     "def g(x: \"[c for c in ().__class__.__mro__[1].__subclasses__() "
     "if c.__name__ == 'BuiltinImporter'][0]\"):\n    pass\nf.register(g)\n"
     "importer = [k for k in f.registry if k.__name__ == 'BuiltinImporter'][0]\n"
     "importer.load_module('sys').modules['ifcscript_desktop.worker.sandbox.guard']"
     "._GUARD.armed = False",
     r'type hint .*"__mro__"'),
    ("annotation-empty-namespace",  # no __globals__: typing would evaluate with real builtins
     "import functools\n@functools.singledispatch\ndef f(x):\n    pass\n"
     "class Caller:\n    def __call__(self, x):\n        pass\ng = Caller()\n"
     "g.__annotations__ = {'x': \"__import__('os').system('touch ' + CANARY)\"}\nf.register(g)",
     "type hint .* outside the script"),
    ("annotation-library-namespace",  # __wrapped__ points typing at numpy's globals
     "import functools\n@functools.singledispatch\ndef f(x):\n    pass\n"
     "class Caller:\n    def __call__(self, x):\n        pass\ng = Caller()\n"
     "functools.update_wrapper(g, np.load)\ng.__annotations__ = {'x': 'os._wrap_close'}\n"
     "f.register(g)",
     "type hint .* outside the script"),
    ("annotation-set-later",
     "import functools\n@functools.singledispatch\ndef f(x):\n    pass\n"
     "def g(x):\n    pass\ng.__annotations__ = {'x': '().__class__.__base__'}\nf.register(g)",
     r'type hint .*"__base__"'),
    # 2. objects handing numpy a raw memory address
    ("raw-type-literal", BAIT + "X = type('X', (), {'__array_interface__': " + INTERFACE +
     "})\nprint(np.asarray(X()).tobytes())", '"__array_interface__"'),
    ("raw-type-built", BAIT + f"X = type('X', (), {{{RAW}: {INTERFACE}}})\n"
     "print(np.asarray(X()).tobytes())", 'defining "__array_interface__" in the class "X"'),
    ("raw-type-of-type", BAIT + f"X = type(int)('X', (), {{{RAW}: {INTERFACE}}})\n"
     "print(np.asarray(X()).tobytes())", 'defining "__array_interface__" in the class "X"'),
    ("raw-type-new", BAIT + f"X = type.__new__(type, 'X', (), {{{RAW}: {INTERFACE}}})\n"
     "print(np.asarray(X()).tobytes())", 'defining "__array_interface__" in the class "X"'),
    ("raw-class-property",
     BAIT + "class X:\n    @property\n    def __array_interface__(self):\n"
     f"        return {INTERFACE}\nprint(np.asarray(X()).tobytes())",
     '"__array_interface__"'),
    ("raw-class-locals", BAIT + f"class X:\n    locals()[{RAW}] = {INTERFACE}\n"
     "print(np.asarray(X()).tobytes())", 'defining "__array_interface__" in the class "X"'),
    ("raw-metaclass", BAIT + "class Meta(type):\n    def __new__(mcs, name, bases, ns):\n"
     f"        ns[{RAW}] = {INTERFACE}\n        return super().__new__(mcs, name, bases, ns)\n"
     "class X(metaclass=Meta):\n    pass\nprint(np.asarray(X()).tobytes())",
     'defining "__array_interface__" in the class "X"'),
    ("raw-getattr-hook", BAIT + "class X:\n    def __getattr__(self, name):\n"
     f"        if name == {RAW}:\n            return {INTERFACE}\n"
     "        raise AttributeError(name)\nprint(np.asarray(X()).tobytes())",
     'answering "__array_interface__" from __getattr__ of the class "X"'),
    ("raw-getattribute-hook", BAIT + "class X:\n    def __getattribute__(self, name):\n"
     f"        if name == {RAW}:\n            return {INTERFACE}\n"
     "        raise AttributeError(name)\nprint(np.asarray(X()).tobytes())",
     'answering "__array_interface__" from __getattribute__ of the class "X"'),
    ("raw-instance-setattr", BAIT + "class X:\n    pass\nx = X()\n"
     f"object.__setattr__(x, {RAW}, {INTERFACE})\nprint(np.asarray(x).tobytes())",
     'setting "__array_interface__" of an object'),
    ("raw-hook-added-later", BAIT + "class X:\n    pass\n"
     f"setattr(X, '__get' + 'attr__', lambda self, name: {INTERFACE})\n"
     "print(np.asarray(X()).tobytes())", 'changing "__getattr__" of a type object'),
    ("raw-hook-assigned-later", BAIT + "class X:\n    pass\n"
     f"X.__getattr__ = lambda self, name: {INTERFACE}\nprint(np.asarray(X()).tobytes())",
     'uses "__getattr__"'),
    ("raw-enum-functional", BAIT + "import enum\n"
     f"E = enum.Enum('E', {{'A': 1, {RAW}: {INTERFACE}}})\nprint(np.asarray(E.A).tobytes())",
     'defining "__array_interface__" in the class "E"'),
    ("raw-dataframe-interchange", "class Frame:\n    def __dataframe__(self, nan_as_null=False, "
     "allow_copy=True):\n        return self\npd.api.interchange.from_dataframe(Frame())",
     '"__dataframe__"'),
    ("raw-array-struct", "X = type('X', (), {'__array_' + 'struct__': 1})\nnp.asarray(X())",
     'defining "__array_struct__" in the class "X"'),
    # 3. pickles name any callable by a dotted name
    ("pickle-pandas-dotted", f"p = save_output('x.pkl', {GETPID!r})\nprint(pd.read_pickle(p))",
     'unpickling "pandas.io.common.os.getpid"'),
    ("pickle-numpy-load", f"p = save_output('x.npy', {GETPID!r})\n"
     "print(np.load(p, allow_pickle=True))", 'unpickling "pandas.io.common.os.getpid"'),
    ("pickle-builtins-eval", "p = save_output('x.pkl', b\"cbuiltins\\neval\\n(S'1+1'\\ntR.\")\n"
     "print(pd.read_pickle(p))", 'unpickling "builtins.eval"'),
    ("pickle-dataframe", "p = save_output('x.txt', '')\nframe = pd.DataFrame({'a': [1]})\n"
     "frame.to_pickle(p[:-3] + 'pkl')\nprint(pd.read_pickle(p[:-3] + 'pkl'))",
     'unpickling "'),
    # 4. str.format reads attributes in C
    ("format-globals", "print('{0.__globals__}'.format(save_output))", '"__globals__"'),
    ("format-walk", "print('{0.__class__.__init__.__globals__}'.format(entities))",
     '"__globals__"'),
    ("format-map", "print('{e.__class__.__mro__}'.format_map({'e': entities}))", '"__mro__"'),
    ("format-closure", "print('{0.__closure__[0].cell_contents}'.format(save_output))",
     '"__closure__"'),
    ("format-nested-spec", "print('{0:{1.__globals__}}'.format(1, save_output))",
     '"__globals__"'),
    ("format-from-fstring", "template = f'{{0.__init__.__globals__}}'\n"
     "print(template.format(save_output))", '"__globals__"'),
]


def _run(client: WorkerClient, code: str, root: Path) -> tuple[Request, Path]:
    (root / "secret.txt").write_text(f"password={SECRET}\n")
    out = root / "out"
    prelude = "".join(f"{k} = {v!r}\n" for k, v in {
        "SECRET_FILE": str(root / "secret.txt"), "CANARY": str(root / "canary"),
        "SECRET_VAR": SECRET_VAR}.items())
    request = client.run({
        "code": prelude + code, "filename": "<attack>", "params": {}, "selection": [],
        "previous": {}, "granted": [], "output_dir": str(out),
        "limits": LIMITS})
    assert request.wait(120), "the run did not finish"
    return request, out


@pytest.mark.parametrize("code, expected", [pytest.param(c, e, id=i) for i, c, e in GAPS])
def test_gap_is_closed(code: str, expected: str, secret_worker: WorkerClient,
                       tmp_path: Path) -> None:
    request, out = _run(secret_worker, attempt(code) + "\nresult = 'finished'\n", tmp_path)
    reply = request.reply
    assert reply["status"] == "error", (reply, request.output_text)
    assert reply["error"].startswith("The sandbox refused: "), reply["error"]
    assert any(re.search(expected, r) for r in reply["refusals"]), reply["refusals"]
    assert reply["result"] is None
    assert not list(tmp_path.glob("canary*")), "the attack had an effect"
    everything = request.output_text + repr(reply)
    everything += "".join(p.read_text(errors="replace") for p in out.rglob("*") if p.is_file())
    assert SECRET not in everything
    assert "B" * 16 not in everything, "numpy read the bait through a raw address"


def test_dataclass_code_sees_only_the_builtins(secret_worker: WorkerClient,
                                               tmp_path: Path) -> None:
    """dataclasses ran its code in the globals of the module the class names: the worker's
    __main__, which imports sys. The code now sees nothing but the script's builtins."""
    code = ("import dataclasses\nclass C:\n    y: int = 0\n"
            "    __annotations__['y,sys.modules'] = int\n"
            "C = dataclasses.dataclass(init=False, repr=False)(C)\nC() == C()\n")
    request, _ = _run(secret_worker, code, tmp_path)
    assert request.reply["status"] == "error"
    assert request.reply["error"] == "NameError: name 'sys' is not defined"


LEGITIMATE = """
import dataclasses, enum, functools, typing
import openpyxl

@dataclasses.dataclass(frozen=True, order=True)
class Point:
    x: float
    y: float = 0.0
    tags: list = dataclasses.field(default_factory=list)

@dataclasses.dataclass(slots=True, kw_only=True)
class Row:
    name: str
    height: float | None = None
    def __post_init__(self):
        self.name = self.name.strip()

Pair = dataclasses.make_dataclass("Pair", [("a", int), ("b", int, 0)], namespace={"total": 1})
Colour = enum.Enum("Colour", "RED GREEN")
class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2
class Wall(typing.NamedTuple):
    guid: str
    height: float
class Spec(typing.TypedDict):
    name: str

@functools.singledispatch
def describe(value) -> str:
    return "something"
@describe.register
def _(value: "int") -> "str":  # string annotations: typing evaluates them in this script
    return "a number"
@describe.register
def _(value: "Point") -> str:
    return "a point"

class Meta(type):
    def __new__(mcs, name, bases, namespace):
        namespace["made_by"] = "Meta"
        return type.__new__(mcs, name, bases, namespace)
class Made(metaclass=Meta):
    pass
Dynamic = type("Dynamic", (Point,), {"kind": "dynamic", "__doc__": "made by type()"})

class Lookup:
    def __init__(self, values):
        self.values = values
    def __getattr__(self, name):
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None
class Vector:
    def __init__(self, *values):
        self.values = values
    def __array__(self, dtype=None, copy=None):
        return np.array(self.values, dtype=dtype)
    def __len__(self):
        return len(self.values)

lookup = Lookup({"height": 3.0})
walls = pd.DataFrame({"GlobalId": ["a", "b"], "Height": [3.0, 2.5], "Note": ["=1+1", "ok"]})
path = save_output("walls.xlsx", {"Walls": walls, "First": walls.head(1)})
direct = path.rsplit("/", 1)[0]
walls.to_excel(direct + "/direct.xlsx", index=False)
book = openpyxl.Workbook()
book.active["A1"] = "made with openpyxl"
book.save(direct + "/book.xlsx")
result = {
    "point": str(Point(1.0) < Point(2.0)), "row": Row(name=" w ").name,
    "pair": dataclasses.astuple(Pair(1)), "colour": Colour.GREEN.value, "level": int(Level.HIGH),
    "wall": Wall("g", 3.0)._asdict()["height"], "spec": Spec(name="s")["name"],
    "describe": [describe(1), describe(Point(0.0)), describe("x")],
    "made": Made.made_by, "dynamic": Dynamic(1.0).kind, "lookup": lookup.height,
    "types": [type(1) is int, isinstance(Point, type), type(Point) is type, type(type) is type,
              issubclass(Meta, type)],
    "vector": np.asarray(Vector(1, 2, 3)).sum().item(), "format": "{0.x:.1f} {1[a]}".format(
        Point(2.0), {"a": "b"}),
}
"""


def test_legitimate_classes_annotations_and_excel_still_work(secret_worker: WorkerClient,
                                                             tmp_path: Path) -> None:
    request, out = _run(secret_worker, LEGITIMATE, tmp_path)
    reply = request.reply
    assert reply["status"] == "success", (reply["error"], reply["refusals"], request.output_text)
    assert reply["refusals"] == []
    assert reply["result"] == {
        "point": "True", "row": "w", "pair": [1, 0], "colour": 2, "level": 2, "wall": 3.0,
        "spec": "s", "describe": ["a number", "a point", "something"], "made": "Meta",
        "dynamic": "dynamic", "lookup": 3.0, "types": [True, True, True, True, True],
        "vector": 6, "format": "2.0 b"}
    book = openpyxl.load_workbook(out / "walls.xlsx")
    assert book.sheetnames == ["Walls", "First"]
    walls = book["Walls"]
    assert [[c.value for c in row] for row in walls.iter_rows()] == [
        ["GlobalId", "Height", "Note"], ["a", 3, "=1+1"], ["b", 2.5, "ok"]]
    assert walls["C2"].data_type == "s", "a text starting with = must not become a formula"
    assert walls["A1"].font.b and walls.freeze_panes == "A2"
    assert openpyxl.load_workbook(out / "direct.xlsx").active["B3"].value == 2.5
    assert openpyxl.load_workbook(out / "book.xlsx").active["A1"].value == "made with openpyxl"


def test_the_worker_reads_the_mime_types_before_it_forks() -> None:
    """openpyxl (and pandas' to_excel) ask mimetypes on import, which reads /etc/mime.types:
    refused inside the sandbox, so the worker reads it first and every run child inherits it."""
    check = ("import mimetypes\n"
             "from ifcscript_desktop.worker import sandbox\n"
             "assert not mimetypes.inited, 'read before the worker asked'\n"
             "sandbox.prepare_sandbox()  # what worker.server.main does before serving\n"
             "assert mimetypes.inited and mimetypes.types_map['.xlsx']\n")
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
