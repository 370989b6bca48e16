"""Library entry points the Python layer checks in the run child (the worker is untouched).

ifcopenshell reads and writes files in C++, where no audit event is raised; under Landlock a
refused write raises RuntimeError but a refused read makes ``ifcopenshell.open`` crash the
process (SIGSEGV). So every path-taking entry point is wrapped here: a path outside the granted
files (reads) or the output folder (writes) is refused with a sentence before C++ sees it,
and the checked, resolved path is what C++ gets.

pandas' expression evaluator (``pd.eval``, ``DataFrame.eval``/``query``) resolves attribute
chains itself (``df.eval("@f.__globals__")``), so forbidden attribute names are refused there too.

Two standard library modules turn a script's text into code that the source check never sees:
``dataclasses`` writes each class's ``__init__``/``__eq__``... from its field names and runs it
with the globals (and so the real builtins) of whatever module the class claims to come from,
and ``typing`` evaluates string annotations (``functools.singledispatch`` asks it to) in a
namespace of its choosing. Rather than refusing field names or string annotations outright
(``from __future__ import annotations`` makes every annotation a string), both are patched so
that such text is checked like the script's own source and runs only with the script's
restricted builtins. ``make_dataclass`` and enum's functional API make classes from names given
as data: those names are checked as :mod:`.classes` checks ``type()``.

``mimetypes`` reads the system's ``/etc/mime.types`` the first time it is asked (openpyxl on
import, urllib for ``file:`` URLs), which the sandbox refuses: the worker initialises it before
it forks any run child (:func:`prepare_libraries`, on import of this module), and a run child
that finds it uninitialised uses Python's built-in table.
"""

from __future__ import annotations

import ast
import dataclasses
import enum
import keyword
import mimetypes
import os
import sys
import typing
from types import CodeType
from typing import TYPE_CHECKING, Any

from .classes import check_names, guard_class
from .policy import (INTERNALS_WHY, NATIVE_WHY, READ_WHY, WRITE_WHY, Refused, _under,
                             as_path, exact_str, resolve)
from .source import check_source, is_forbidden_attribute, refused_name

if TYPE_CHECKING:
    from .hook import GuardState


#: Names dataclasses' generated methods use for their own helpers.
_DATACLASS_NAMES = frozenset({"__create_fn__", "__dataclass_self__",
                              "__dataclass_builtins_object__"})


def prepare_libraries() -> None:
    """In the worker, before any run child is forked: read what libraries would otherwise read
    from system files inside the sandbox (where it is refused)."""
    if not mimetypes.inited:
        try:
            mimetypes.init()
        except OSError:  # an unreadable system table: Python's built-in one will do
            _init_mimetypes_builtin()


def _init_mimetypes_builtin() -> None:
    known, mimetypes.knownfiles = mimetypes.knownfiles, []
    try:
        mimetypes.init()
    finally:
        mimetypes.knownfiles = known


def patch_libraries(state: GuardState) -> None:
    """Apply every patch of this module (in the run child only)."""
    if not mimetypes.inited:  # a child of a worker that did not call prepare_libraries
        _init_mimetypes_builtin()
    patch_ifcopenshell(state)
    patch_pandas(state)
    patch_dataclasses(state)
    patch_typing(state)
    patch_enum(state)


def patch_dataclasses(state: GuardState) -> None:
    """Check the methods dataclasses writes from field names, and run them with the script's
    builtins; check the namespace given to make_dataclass."""
    original_make = dataclasses.make_dataclass

    def make_dataclass(cls_name: Any, fields: Any, *args: Any, **kwargs: Any) -> Any:
        namespace = kwargs.get("namespace")
        if state.armed and namespace is not None:
            if type(namespace) is not dict:
                raise TypeError("make_dataclass: namespace must be a dict")
            check_names(state, list(namespace), f'the dataclass "{exact_str(cls_name) or "?"}"')
        cls = original_make(cls_name, fields, *args, **kwargs)
        return guard_class(state, cls) if state.armed else cls

    make_dataclass.__doc__ = original_make.__doc__
    dataclasses.make_dataclass = make_dataclass
    original_create = getattr(dataclasses, "_create_fn", None)
    if original_create is not None:
        checked = _checked_create_fn(state, original_create)
        dataclasses._create_fn = checked  # type: ignore[attr-defined]
    else:  # Python 3.13+ writes the methods elsewhere: at least refuse names that are not names
        _patch_dataclass_names(state)


def _checked_create_fn(state: GuardState, original: Any) -> Any:
    def create_fn(name: str, args: list[str], body: list[str], **kwargs: Any) -> Any:
        if state.armed:
            lines = "\n".join(f"  {line}" for line in body)
            text = f"def {name}({','.join(args)}):\n{lines}"
            try:
                with state.checking():
                    check_source(text, "<dataclass>", allowed=_DATACLASS_NAMES)
            except SyntaxError:
                raise state.refuse("making a dataclass whose field names are not names",
                                   INTERNALS_WHY) from None
            except Refused as exc:
                raise state.refuse(f'making a dataclass whose field names hold code (using '
                                   f'"{refused_name(exc)}")', INTERNALS_WHY) from None
            # Not the globals of the module the class names (the worker's __main__ holds sys):
            # the generated code needs only its locals and the builtins.
            kwargs["globals"] = {"__builtins__": state.builtins}
        return original(name, args, body, **kwargs)

    return create_fn


def _patch_dataclass_names(state: GuardState) -> None:
    original = dataclasses._process_class  # type: ignore[attr-defined]

    def process_class(cls: Any, *args: Any, **kwargs: Any) -> Any:
        if state.armed:
            names = list(vars(type)["__dict__"].__get__(cls).get("__annotations__", {}))
            for base in vars(type)["__mro__"].__get__(cls)[1:]:
                fields = getattr(base, "__dataclass_fields__", None)
                names += [f.name for f in fields.values()] if type(fields) is dict else []
            for name in names:
                if type(name) is not str or not name.isidentifier() or keyword.iskeyword(name):
                    raise state.refuse("making a dataclass whose field names are not names",
                                       INTERNALS_WHY)
        return original(cls, *args, **kwargs)

    dataclasses._process_class = process_class  # type: ignore[attr-defined]


def patch_typing(state: GuardState) -> None:
    """Evaluate string annotations only in the script's own namespace, after the source check."""
    original = typing.ForwardRef._evaluate

    def evaluate(self: Any, globalns: Any, localns: Any, *args: Any, **kwargs: Any) -> Any:
        if state.armed:
            _check_forward_ref(state, self, globalns, localns)
        return original(self, globalns, localns, *args, **kwargs)

    typing.ForwardRef._evaluate = evaluate  # type: ignore[method-assign]


def _check_forward_ref(state: GuardState, ref: Any, globalns: Any, localns: Any) -> None:
    if type(ref) is not typing.ForwardRef:  # a subclass could answer differently each time
        raise state.refuse("evaluating a type hint of the script's own making", INTERNALS_WHY)
    text = exact_str(ref.__forward_arg__)
    shown = (text or "?")[:80]
    code = ref.__forward_code__
    if text is None or type(code) is not CodeType or code != compile(
            f"({text},)[0]" if text.startswith("*") else text, "<string>", "eval",
            dont_inherit=True):
        raise state.refuse(f'evaluating the type hint "{shown}", which was changed',
                           INTERNALS_WHY)
    if globalns is None:
        globalns = localns
    module = ref.__forward_module__
    if module is not None:
        name = exact_str(module)
        globalns = getattr(sys.modules.get(name) if name else None, "__dict__", globalns)
    if type(globalns) is not dict or globalns.get("__builtins__") is not state.builtins:
        raise state.refuse(f'evaluating the type hint "{shown}" outside the script',
                           "scripts may evaluate type hints only in their own namespace")
    try:
        with state.checking():
            check_source(text, "<type hint>")
    except Refused as exc:
        raise state.refuse(f'evaluating the type hint "{shown}", which uses '
                           f'"{refused_name(exc)}"', INTERNALS_WHY) from None


def patch_enum(state: GuardState) -> None:
    """Enum's functional API makes a class from names given as data: check it as type() does."""
    original = enum.EnumType._create_  # type: ignore[attr-defined]

    def create(cls: Any, class_name: Any, names: Any, *args: Any, **kwargs: Any) -> Any:
        made = original(cls, class_name, names, *args, **kwargs)
        return guard_class(state, made) if state.armed else made

    enum.EnumType._create_ = create  # type: ignore[attr-defined]


def patch_pandas(state: GuardState) -> None:
    """Refuse forbidden attribute names in pandas expressions before pandas resolves them."""
    try:
        from pandas.core.computation.expr import BaseExprVisitor
    except ImportError:
        return
    original = BaseExprVisitor.visit_Module

    def visit_module(self: Any, node: ast.Module, **kwargs: Any) -> Any:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Attribute) and is_forbidden_attribute(sub.attr):
                raise state.refuse(f'reaching "{sub.attr}" in a pandas expression',
                                   INTERNALS_WHY)
        return original(self, node, **kwargs)

    BaseExprVisitor.visit_Module = visit_module


def patch_ifcopenshell(state: GuardState) -> None:
    """Wrap ifcopenshell.open, file.write and the SWIG wrapper's path-taking calls in place."""
    try:
        import ifcopenshell
        from ifcopenshell import ifcopenshell_wrapper as wrapper
    except ImportError:
        return
    rules = state.rules
    # ifcopenshell's own data (property set templates that util.pset opens) is part of the library.
    package = (os.path.realpath(os.path.dirname(ifcopenshell.__file__)),)

    def checked(value: Any, what: str, write: bool) -> str:
        path = as_path(value)
        if path is None:
            raise state.refuse(f"{what} given as an unusual path object", READ_WHY)
        real = resolve(path)
        if write and not rules.may_write(real):
            raise state.refuse(f'{what} "{real}"', WRITE_WHY)
        if not write and not (rules.may_read_data(real) or _under(real, package)):
            raise state.refuse(f'{what} "{real}"', READ_WHY)
        return real

    def is_path(value: Any) -> bool:
        return as_path(value) is not None and not isinstance(value, (bytes, bytearray))

    original_open = ifcopenshell.open
    original_wrapper_open = wrapper.open
    original_initialize = wrapper.file.initialize
    original_write = wrapper.file.write
    original_raw_write = wrapper.file._write
    original_streamer = wrapper.instance_streamer.__init__
    original_rocksdb = wrapper.RocksDbSerializer.__init__
    original_buffer = wrapper.buffer.__init__
    original_serializer = wrapper.create_geometry_serializer

    def open(path: Any, *args: Any, **kwargs: Any) -> Any:
        return original_open(checked(path, "opening the IFC file", False), *args, **kwargs)

    def wrapper_open(path: Any, *args: Any, **kwargs: Any) -> Any:
        return original_wrapper_open(checked(path, "opening the IFC file", False), *args, **kwargs)

    def initialize(self: Any, path: Any, *args: Any, **kwargs: Any) -> Any:
        return original_initialize(self, checked(path, "opening the IFC file", False),
                                   *args, **kwargs)

    def write(self: Any, path: Any, *args: Any, **kwargs: Any) -> Any:
        return original_write(self, checked(path, "writing the IFC file", True), *args, **kwargs)

    def raw_write(self: Any, path: Any, *args: Any) -> Any:
        return original_raw_write(self, checked(path, "writing the IFC file", True), *args)

    def streamer_init(self: Any, *args: Any) -> None:
        if args and is_path(args[0]):
            args = (checked(args[0], "streaming the IFC file", False),) + args[1:]
        original_streamer(self, *args)

    def rocksdb_init(self: Any, source: Any, target: Any, *args: Any) -> None:
        original_rocksdb(self, checked(source, "converting the IFC file", False),
                         checked(target, "writing the database", True), *args)

    def buffer_init(self: Any, *args: Any) -> None:
        if args and is_path(args[0]):
            args = (checked(args[0], "writing the geometry file", True),) + args[1:]
        original_buffer(self, *args)

    def create_serializer(kind: Any, output: Any, temporary: Any, *args: Any) -> Any:
        if is_path(output):
            output = checked(output, "writing the geometry file", True)
        if is_path(temporary):
            temporary = checked(temporary, "writing the geometry file", True)
        return original_serializer(kind, output, temporary, *args)

    def plugin_paths(*args: Any, **kwargs: Any) -> None:
        raise state.refuse("loading ifcopenshell plug-ins from another folder", NATIVE_WHY)

    for function, name in ((open, "open"), (write, "write"), (plugin_paths,
                                                             "set_plugin_search_paths")):
        function.__name__ = function.__qualname__ = name
    open.__doc__ = original_open.__doc__
    write.__doc__ = original_write.__doc__
    patches: list[tuple[object, str, object]] = [
        (ifcopenshell, "open", open), (ifcopenshell, "set_plugin_search_paths", plugin_paths),
        (wrapper, "open", wrapper_open), (wrapper, "set_plugin_search_paths", plugin_paths),
        (wrapper, "create_geometry_serializer", create_serializer),
        (wrapper.file, "initialize", initialize), (wrapper.file, "write", write),
        (wrapper.file, "_write", raw_write), (wrapper.instance_streamer, "__init__", streamer_init),
        (wrapper.RocksDbSerializer, "__init__", rocksdb_init),
        (wrapper.buffer, "__init__", buffer_init),
    ]
    for owner, attribute, replacement in patches:
        setattr(owner, attribute, replacement)


def prepare_import(name: str, state: GuardState) -> None:
    """Import and patch a library the script is about to import, when it needs a patch that
    would cost every run too much if applied up front (the import takes a fifth of a second)."""
    if name.partition(".")[0] == "ifctester":
        patch_ifctester(state)


def patch_ifctester(state: GuardState) -> None:
    """Import ifctester with xmlschema reading its schema files, and build ifctester's IDS
    schema from local files only.

    ``ids.xsd`` imports three W3C schemas by their http address. xmlschema would try to fetch
    them (the sandbox refuses the network, which ends the run) before falling back to the
    copies it ships. With ``allow="local"`` it skips the remote addresses and uses its own
    copies at once, and an IDS file can never make it reach the network either. The IDS file
    and the schema files are read through ``file:`` URLs, which the audit hook checks like any
    other read.
    """
    # (xmlschema opens schema files as file: URLs; urllib's file: handler asks mimetypes for a
    # Content-Type: patch_libraries made sure mimetypes reads no system file then.)
    import ifctester.ids as ids
    from xmlschema import XMLSchema

    if getattr(ids.get_schema, "_sandboxed", False):
        return

    def get_schema() -> Any:
        if ids.schema is None:
            ids.schema = XMLSchema(os.path.join(ids.cwd, "ids.xsd"), allow="local")
        return ids.schema

    get_schema._sandboxed = True  # type: ignore[attr-defined]
    get_schema.__doc__ = "ifctester's IDS schema, built without network access (sandbox)."
    ids.get_schema = get_schema


