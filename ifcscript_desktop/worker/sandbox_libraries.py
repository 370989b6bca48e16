"""Library entry points the Python layer checks in the run child (the worker is untouched).

ifcopenshell reads and writes files in C++, where no audit event is raised; under Landlock a
refused write raises RuntimeError but a refused read makes ``ifcopenshell.open`` crash the
process (SIGSEGV). So every path-taking entry point is wrapped here: a path outside the granted
files (reads) or the output folder (writes) is refused with a sentence before C++ sees it,
and the checked, resolved path is what C++ gets.

pandas' expression evaluator (``pd.eval``, ``DataFrame.eval``/``query``) resolves attribute
chains itself (``df.eval("@f.__globals__")``), so forbidden attribute names are refused there too.
"""

from __future__ import annotations

import ast
import os
from typing import TYPE_CHECKING, Any

from .sandbox_policy import (INTERNALS_WHY, NATIVE_WHY, READ_WHY, WRITE_WHY, _under, as_path,
                             resolve)
from .sandbox_source import is_forbidden_attribute

if TYPE_CHECKING:
    from .sandbox_hook import GuardState


def patch_libraries(state: GuardState) -> None:
    """Apply every patch of this module (in the run child only)."""
    patch_ifcopenshell(state)
    patch_pandas(state)


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

    BaseExprVisitor.visit_Module = visit_module  # type: ignore[method-assign]


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
    import mimetypes

    if not mimetypes.inited:
        # xmlschema opens schema files (its own ones on import) as file: URLs; urllib's file:
        # handler asks mimetypes for a Content-Type, and mimetypes would read the system's
        # /etc/mime.types (refused): use Python's built-in table only.
        known, mimetypes.knownfiles = mimetypes.knownfiles, []
        try:
            mimetypes.init()
        finally:
            mimetypes.knownfiles = known

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
