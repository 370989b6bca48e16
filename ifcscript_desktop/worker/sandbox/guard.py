"""The Python layer of the run sandbox: restricted builtins, the import allowlist, module proxies.

:func:`install_python_guard` returns the ``__builtins__`` for the script's globals and installs
the audit hook (:mod:`.hook`); :func:`arm_python_guard` switches it on right before the
script's code starts. Modules reach the script only as :class:`ModuleProxy` objects, which hand
out functions and classes but refuse modules outside the allowlist (``ifcopenshell.os``,
``pandas.io.common.os``, ``numpy.ctypeslib``...).

This layer is the second line: the OS layer (:mod:`.sandbox`) is what holds when a script finds
its way around Python-level checks.
"""

from __future__ import annotations

import builtins
import dis
import functools
import importlib
import operator
import sys
from collections.abc import Callable, Iterator, MutableMapping
from types import (BuiltinFunctionType, CodeType, FrameType, FunctionType, GeneratorType,
                   MethodType, ModuleType, TracebackType)
from typing import Any

from .classes import make_class_builtins
from .hook import GuardState
from .libraries import patch_libraries, prepare_import
from .policy import (ENV_WHY, INTERNALS_WHY, READ_WHY, WRITE_WHY, PathRules, Policy,
                             Refused, as_path, exact_str, resolve, type_name)
from .source import check_source, is_dunder, is_forbidden_attribute, refused_parts

#: Top-level modules a script may import (documented in the README).
ALLOWED_MODULES = (
    "math statistics re json csv datetime collections itertools functools operator decimal "
    "fractions random string textwrap typing dataclasses enum numpy pandas openpyxl ifcopenshell "
    "ifctester"
).split()
_IFC_PACKAGES = frozenset({"util", "guid", "geom"})
#: ifctester (IDS checking) without its web app (``ifctester.webapp`` serves HTTP).
_IFCTESTER_PACKAGES = frozenset({"ids", "facet", "reporter"})
_DENIED_MODULES = (
    "numpy.ctypeslib", "numpy.f2py", "numpy.distutils", "numpy.testing", "numpy.tests",
    "numpy.conftest", "pandas.io.clipboard", "pandas.io.clipboards", "pandas.tests",
    "pandas.conftest", "ifcopenshell.geom.app", "ifcopenshell.geom.code_editor_pane",
    "ifcopenshell.util.scripts", "ifcopenshell.util.generate_pset_templates",
    "ifcopenshell.util.ifc4x3dev_scrape_data_for_docs",
)
#: Callables from these modules are refused when a library hands them out (ifcopenshell.Path).
_DANGEROUS_ORIGINS = frozenset(
    "os posix nt sys subprocess _posixsubprocess ctypes _ctypes importlib _imp pathlib io _io "
    "shutil socket _socket tempfile gc marshal pickle _pickle inspect types code codeop runpy "
    "signal threading _thread multiprocessing mmap resource fcntl pty select selectors asyncio "
    "urllib http ftplib smtplib webbrowser sqlite3 _sqlite3 shelve dbm glob linecache "
    "traceback zipfile tarfile zipimport sysconfig site".split()
)
_DANGEROUS_BUILTINS = frozenset(
    "open eval exec compile __import__ getattr setattr delattr vars globals locals input "
    "breakpoint help".split()
)
_MODULE_DUNDERS = frozenset({"__name__", "__doc__", "__version__", "__file__"})
_IMPORT_WHY = "scripts may import only: " + ", ".join(ALLOWED_MODULES) + \
    " (with ifcopenshell.util, ifcopenshell.guid and ifcopenshell.geom; ifctester.ids, " \
    "ifctester.facet and ifctester.reporter)"
_PRIVATE_WHY = "scripts may only use the public parts of libraries"
_NO_CONSOLE_WHY = "scripts run without a console: use parameters"

_IMPORT_NAME = dis.opmap["IMPORT_NAME"]

_GUARD: GuardState | None = None
_REAL: dict[int, ModuleType] = {}
_PROXIES: dict[str, "ModuleProxy"] = {}
_APPROVED_CODE: dict[int, CodeType] = {}


def module_allowed(name: str) -> bool:
    """True when a script may use the module with this dotted name."""
    if name == "__future__":
        return True  # compiler directives (from __future__ import annotations)
    parts = name.split(".")
    if parts[0] not in ALLOWED_MODULES or any(p.startswith("_") for p in parts):
        return False
    if parts[0] == "ifcopenshell" and len(parts) > 1 and parts[1] not in _IFC_PACKAGES:
        return False
    if parts[0] == "ifctester" and len(parts) > 1 and parts[1] not in _IFCTESTER_PACKAGES:
        return False
    return not any(name == d or name.startswith(d + ".") for d in _DENIED_MODULES)


def _guard() -> GuardState:
    if _GUARD is None:
        raise RuntimeError("the Python guard is not installed in this process")
    return _GUARD


def _refuse(what: str, why: str = INTERNALS_WHY) -> Refused:
    return _guard().refuse(what, why)


# -- module proxies ----------------------------------------------------------------------------
class ModuleProxy:
    """A script's view of an allowed module: attributes pass, other modules are refused."""

    __slots__ = ()

    def __getattribute__(self, name: str) -> Any:
        return _proxy_get(self, name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise _refuse(f'changing "{name}" of the module "{_REAL[id(self)].__name__}"',
                      _PRIVATE_WHY)

    def __delattr__(self, name: str) -> None:
        raise _refuse(f'deleting "{name}" of the module "{_REAL[id(self)].__name__}"',
                      _PRIVATE_WHY)

    def __repr__(self) -> str:
        return f"<module {_REAL[id(self)].__name__!r} (sandboxed)>"

    def __dir__(self) -> list[str]:
        return [n for n in dir(_REAL[id(self)]) if not n.startswith("_")]


def guard_module(module: ModuleType) -> ModuleProxy:
    """The proxy through which the script sees ``module`` (one per module)."""
    proxy = _PROXIES.get(module.__name__)
    if proxy is None or _REAL[id(proxy)] is not module:
        proxy = object.__new__(ModuleProxy)
        _REAL[id(proxy)] = module
        _PROXIES[module.__name__] = proxy
    return proxy


def _star_names(module: ModuleType) -> list[str]:
    """What ``from module import *`` may bind: public names a proxy would hand out."""
    names = []
    for name in getattr(module, "__all__", None) or list(vars(module)):
        if type(name) is not str or name.startswith("_") \
                or f"{module.__name__}.{name}".startswith(_DENIED_MODULES):
            continue  # (a denied submodule is not even imported)
        if _refusal_of(getattr(module, name, None)) is None:
            names.append(name)
    return names


def _proxy_get(proxy: ModuleProxy, attribute: str) -> Any:
    real = _REAL[id(proxy)]
    name = exact_str(attribute)
    if name is None:
        raise TypeError("attribute name must be a string")
    modname = real.__name__
    if is_dunder(name):
        if name == "__all__":
            return _star_names(real)
        if name == "__class__":
            return ModuleProxy
        if name in _MODULE_DUNDERS:
            return getattr(real, name)
        raise _refuse(f'reaching "{name}" of the module "{modname}"')
    override = _OVERRIDES.get(f"{modname}.{name}")
    if override is not None:
        return override()
    if name.startswith("_"):
        raise _refuse(f'using "{modname}.{name}"', _PRIVATE_WHY)
    if f"{modname}.{name}".startswith(_DENIED_MODULES):
        raise _refuse(f'using the module "{modname}.{name}"', _IMPORT_WHY)  # not even imported
    try:
        value = getattr(real, name)
    except AttributeError:
        if not module_allowed(f"{modname}.{name}"):
            raise
        try:
            value = importlib.import_module(f"{modname}.{name}")
        except ModuleNotFoundError:
            raise AttributeError(f"module {modname!r} has no attribute {name!r}") from None
    return _hand_out(value, f"{modname}.{name}")


def _refusal_of(value: Any) -> str | None:
    """What handing ``value`` to the script would give away, or None when it is harmless."""
    if isinstance(value, ModuleType):
        return None if module_allowed(value.__name__) else f'the module "{value.__name__}"'
    if isinstance(value, (type, FunctionType, BuiltinFunctionType, MethodType)):
        origin = getattr(value, "__module__", None) or ""
        name = getattr(value, "__name__", "")
        if origin.partition(".")[0] in _DANGEROUS_ORIGINS or (
                origin == "builtins" and name in _DANGEROUS_BUILTINS):
            return f'"{origin}.{name}"'
    return None


def _hand_out(value: Any, where: str) -> Any:
    refusal = _refusal_of(value)
    if refusal is not None:
        through = "" if refusal.endswith(f'"{where}"') else f' through "{where}"'
        raise _refuse(f"using {refusal}{through}", _IMPORT_WHY)
    return guard_module(value) if isinstance(value, ModuleType) else value


def _restricted_import(name: str, globals: Any = None, locals: Any = None,
                       fromlist: Any = (), level: int = 0) -> Any:
    exact = exact_str(name)
    if exact is None:
        raise TypeError("module name must be a string")
    name = exact
    caller = sys._getframe(1)
    if not _is_import_statement(caller):
        # C code importing its own internals while the script's frame is current (numpy's
        # x.sum() imports numpy._core._methods through the *script's* __import__). The import
        # happens; the module is not handed out (C ignores the return value).
        importlib.import_module(name)
        return None
    if level:
        raise _refuse("a relative import", _IMPORT_WHY)
    if not module_allowed(name):
        raise _refuse(f'importing the module "{name}"', _IMPORT_WHY)
    for item in fromlist or ():
        if item != "*" and (not isinstance(item, str) or item.startswith("_")
                            or f"{name}.{item}".startswith(_DENIED_MODULES)):
            raise _refuse(f'importing "{item}" from the module "{name}"', _IMPORT_WHY)
    prepare_import(name, _guard())
    module = importlib.import_module(name)
    if fromlist:
        return guard_module(module)
    return guard_module(sys.modules[name.partition(".")[0]])


def _is_import_statement(frame: FrameType) -> bool:
    code = frame.f_code.co_code
    return 0 <= frame.f_lasti < len(code) and code[frame.f_lasti] == _IMPORT_NAME


# -- gadgets of allowed modules, replaced in the proxies --------------------------------------
def _checked_names(names: tuple[Any, ...]) -> list[str]:
    checked = []
    for dotted in names:
        exact = exact_str(dotted)
        if exact is None:
            raise TypeError("attribute name must be a string")
        for part in exact.split("."):
            if is_forbidden_attribute(part):
                raise _refuse(f'reaching "{part}" through operator/functools')
        checked.append(exact)
    return checked


def _attrgetter(*names: str) -> Callable[[Any], Any]:
    getter = operator.attrgetter(*_checked_names(names))
    return lambda obj: getter(obj)


def _methodcaller(name: str, /, *args: Any, **kwargs: Any) -> Callable[[Any], Any]:
    caller = operator.methodcaller(_checked_names((name,))[0], *args, **kwargs)
    return lambda obj: caller(obj)


def _update_wrapper(wrapper: Any, wrapped: Any, assigned: Any = functools.WRAPPER_ASSIGNMENTS,
                    updated: Any = functools.WRAPPER_UPDATES) -> Any:
    if not (set(assigned) <= set(functools.WRAPPER_ASSIGNMENTS)
            and set(updated) <= set(functools.WRAPPER_UPDATES)):
        raise _refuse("copying interpreter internals with functools.update_wrapper")
    return functools.update_wrapper(wrapper, wrapped, assigned, updated)


def _wraps(wrapped: Any, assigned: Any = functools.WRAPPER_ASSIGNMENTS,
           updated: Any = functools.WRAPPER_UPDATES) -> Callable[[Any], Any]:
    return lambda wrapper: _update_wrapper(wrapper, wrapped, assigned, updated)


def _refusing(what: str) -> Callable[[], Any]:
    def refuse() -> Any:
        raise _refuse(what)
    return refuse


_OVERRIDES: dict[str, Callable[[], Any]] = {
    "operator.attrgetter": lambda: _attrgetter,
    "operator.methodcaller": lambda: _methodcaller,
    "functools.update_wrapper": lambda: _update_wrapper,
    "functools.wraps": lambda: _wraps,
    "string.Formatter": _refusing("using string.Formatter, which can reach any attribute"),
    "typing.get_type_hints": _refusing("evaluating type hints (typing.get_type_hints)"),
    "typing.ForwardRef": _refusing("evaluating type hints (typing.ForwardRef)"),
    "numpy.lib.stride_tricks.as_strided": _refusing(
        "reading memory by address with as_strided (sliding_window_view is the safe way)"),
}


# -- restricted builtins -----------------------------------------------------------------------
def _attribute(obj: Any, name: Any, verb: str) -> str:
    exact = exact_str(name)
    if exact is None:
        raise TypeError("attribute name must be a string")
    if is_forbidden_attribute(exact):
        raise _refuse(f'{verb} "{exact}" of a {type_name(obj)} object')
    return exact


def _checked_getattr(obj: Any, name: str, *default: Any) -> Any:
    return getattr(obj, _attribute(obj, name, "reaching"), *default)


def _class_attribute(obj: Any, name: Any, verb: str) -> str:
    exact = _attribute(obj, name, verb)
    if exact in ("__getattr__", "__getattribute__"):
        # they decide what every attribute read returns (numpy's raw memory questions
        # included): a class may define them in its body only, where they are wrapped
        raise _refuse(f'{verb} "{exact}" of a {type_name(obj)} object')
    return exact


def _checked_setattr(obj: Any, name: str, value: Any) -> None:
    setattr(obj, _class_attribute(obj, name, "changing"), value)


def _checked_delattr(obj: Any, name: str) -> None:
    delattr(obj, _class_attribute(obj, name, "deleting"))


_NO_VARS = (ModuleType, ModuleProxy, type, FunctionType, BuiltinFunctionType, MethodType,
            CodeType, FrameType, TracebackType, GeneratorType, functools.partial)


def _checked_vars(*args: Any) -> dict[str, Any]:
    if not args:
        return sys._getframe(1).f_locals
    obj = args[0]
    if issubclass(type(obj), _NO_VARS):
        raise _refuse(f"reaching the namespace of a {type_name(obj)} object")
    namespace = vars(obj)
    if type(namespace) is not dict or any(
            is_forbidden_attribute(exact_str(k) or "") for k in namespace):
        raise _refuse(f"reaching the namespace of a {type_name(obj)} object")
    return namespace


def _checked_open(file: Any, mode: Any = "r", *args: Any, **kwargs: Any) -> Any:
    if issubclass(type(file), int):
        raise _refuse("opening a file by its descriptor number", READ_WHY)
    if len(args) >= 6 or kwargs.get("opener") is not None:
        raise _refuse("opening a file with a custom opener", READ_WHY)
    path = as_path(file)
    if path is None:
        raise _refuse("opening a file given as an unusual path object", READ_WHY)
    real = resolve(path)
    rules = _guard().rules
    mode = exact_str(mode)
    if mode is None:
        raise TypeError("open() mode must be a string")
    if any(c in mode for c in "wax+"):
        if not rules.may_write(real):
            raise _refuse(f'writing the file "{real}"', WRITE_WHY)
    elif not rules.may_read_data(real):
        raise _refuse(f'reading the file "{real}"', READ_WHY)
    return open(real, mode, *args, **kwargs)


def _code_for(source: Any, mode: str) -> Any:
    if isinstance(source, CodeType):
        if _APPROVED_CODE.get(id(source)) is source:
            return source
        raise _refuse("running a code object the sandbox did not check")
    return _checked_compile(source, "<string>", mode)


def _checked_compile(source: Any, filename: Any = "<string>", mode: str = "exec",
                     flags: int = 0, dont_inherit: bool = False, optimize: int = -1) -> Any:
    if isinstance(source, (bytes, bytearray)):
        source = bytes(source).decode()
    if type(source) is not str:
        raise _refuse("compiling something other than source text")
    try:
        with _guard().checking():
            check_source(source, "<string>")
    except Refused as exc:
        raise _refuse(*refused_parts(exc)) from None
    # dont_inherit: the script must not get this module's __future__ flags
    code = compile(source, str(filename), mode, flags, True, optimize)
    if isinstance(code, CodeType):
        _APPROVED_CODE[id(code)] = code
    return code


def _namespaces(globals_: Any, locals_: Any) -> tuple[dict[str, Any], Any]:
    if globals_ is None:
        caller = sys._getframe(2)
        globals_ = caller.f_globals
        locals_ = caller.f_locals if locals_ is None else locals_
    if type(globals_) is not dict:
        raise TypeError("globals must be a dict")
    if globals_.setdefault("__builtins__", _guard().builtins) is not _guard().builtins:
        raise _refuse("running code with other builtins")
    return globals_, locals_


def _checked_exec(source: Any, globals: Any = None, locals: Any = None, /) -> None:
    code = _code_for(source, "exec")
    namespace, local_namespace = _namespaces(globals, locals)
    exec(code, namespace, local_namespace)


def _checked_eval(source: Any, globals: Any = None, locals: Any = None, /) -> Any:
    code = _code_for(source.lstrip(" \t") if isinstance(source, str) else source, "eval")
    namespace, local_namespace = _namespaces(globals, locals)
    return eval(code, namespace, local_namespace)


def _exit(code: Any = None) -> None:
    raise SystemExit(code)


def _make_builtins(state: GuardState) -> dict[str, Any]:
    namespace = dict(vars(builtins))
    for name in ("copyright", "credits", "license", "__loader__", "__spec__", "__package__"):
        namespace.pop(name, None)
    namespace.update(
        __import__=_restricted_import, open=_checked_open, getattr=_checked_getattr,
        setattr=_checked_setattr, delattr=_checked_delattr, vars=_checked_vars,
        compile=_checked_compile, exec=_checked_exec, eval=_checked_eval, exit=_exit, quit=_exit,
        input=_refusing_builtin("asking for keyboard input", _NO_CONSOLE_WHY),
        breakpoint=_refusing_builtin("starting the debugger", _NO_CONSOLE_WHY),
        help=_refusing_builtin("opening the interactive help", _NO_CONSOLE_WHY),
    )
    namespace.update(make_class_builtins(state))  # type() and class statements
    return namespace


def _refusing_builtin(what: str, why: str) -> Callable[..., Any]:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise _refuse(what, why)
    return refuse


# -- the environment ---------------------------------------------------------------------------
class SandboxEnviron(MutableMapping[str, str]):
    """``os.environ`` in the run child: empty. The script reading it is a refusal; libraries
    reading it find nothing (and may set variables of their own)."""

    def __init__(self) -> None:
        self._own: dict[str, str] = {}

    def _check(self, what: str) -> None:
        guard = _GUARD
        if guard is None or not guard.armed:
            return
        frame: FrameType | None = sys._getframe(1)
        skip = (globals(), vars(sys.modules["os"]), vars(sys.modules["_collections_abc"]))
        while frame is not None and any(frame.f_globals is g for g in skip):
            frame = frame.f_back
        if guard.is_script_frame(frame):
            raise guard.refuse(what, ENV_WHY)

    def __getitem__(self, key: str) -> str:
        self._check(f'reading the environment variable "{key}"')
        return self._own[key]

    def __setitem__(self, key: str, value: str) -> None:
        self._check(f'setting the environment variable "{key}"')
        self._own[key] = value

    def __delitem__(self, key: str) -> None:
        self._check(f'removing the environment variable "{key}"')
        del self._own[key]

    def __iter__(self) -> Iterator[str]:
        self._check("reading the environment")
        return iter(dict(self._own))

    def __len__(self) -> int:
        self._check("reading the environment")
        return len(self._own)

    def copy(self) -> dict[str, str]:
        """A plain dict of what is (not) there, like ``os.environ.copy()``."""
        self._check("reading the environment")
        return dict(self._own)

    def __repr__(self) -> str:
        self._check("reading the environment")
        return f"environ({self._own!r})"


# -- installation ------------------------------------------------------------------------------
def install_python_guard(policy: Policy, on_refusal: Callable[[str], None],
                         rules: PathRules | None = None) -> dict[str, Any]:
    """Install the Python layer in this (run child) process; return the script's __builtins__.

    Patches ifcopenshell's file entry points and pandas' evaluator, and adds the audit hook,
    which stays inert until :func:`arm_python_guard`. Call once per process, in the forked
    child only.
    """
    global _GUARD
    if _GUARD is not None:
        raise RuntimeError("the Python guard is already installed in this process")
    state = GuardState(rules or PathRules.from_policy(policy), on_refusal)
    state.builtins = _make_builtins(state)
    _GUARD = state
    patch_libraries(state)
    sys.addaudithook(state.hook)
    return state.builtins


def arm_python_guard() -> None:
    """Start refusing: call right before the script's first line runs. Cannot be undone."""
    _guard().arm()
