"""The compile-time check of a script's source and the attribute names a script may not use.

The usual ways out of a Python-level sandbox go through a handful of attributes (an object's
class hierarchy, a function's globals, a traceback's frame). A script names them in its source,
so they are refused before it runs; the same rule backs the checked ``getattr`` family at run
time. Ordinary dunder methods (``__init__``, ``__len__``, operators...) stay usable.

Three more things are refused in the source because the runtime cannot see them:

- defining a method or class with a dunder name that is neither usable nor a known protocol
  hook (``def __array_interface__``: numpy reads such an attribute as a raw memory address);
- text that names a raw memory attribute at all (``"__array_interface__"``, for ``type()`` or
  ``setattr`` keys put together at run time the runtime checks of :mod:`.classes` hold);
- format strings that walk into interpreter internals (``"{0.__init__.__globals__}".format(f)``:
  ``str.format`` reads attributes in C, where no check runs).
"""

from __future__ import annotations

import _string
import ast

from .policy import INTERNALS_WHY, Refused, sentence

#: Dunder names normal code uses: defining and calling protocol methods, names and docs.
SAFE_DUNDERS = frozenset("""
    __init__ __new__ __del__ __post_init__ __init_subclass__ __set_name__ __class_getitem__
    __name__ __qualname__ __doc__ __module__ __class__ __file__ __debug__ __version__ __all__
    __slots__ __annotations__ __match_args__ __dataclass_fields__
    __len__ __length_hint__ __iter__ __next__ __reversed__ __contains__ __getitem__ __setitem__
    __delitem__ __missing__ __enter__ __exit__ __aenter__ __aexit__ __aiter__ __anext__ __await__
    __repr__ __str__ __format__ __bytes__ __hash__ __bool__ __call__ __sizeof__ __fspath__
    __getattr__ __setattr__ __delattr__ __copy__ __deepcopy__ __array__
    __eq__ __ne__ __lt__ __le__ __gt__ __ge__
    __add__ __radd__ __iadd__ __sub__ __rsub__ __isub__ __mul__ __rmul__ __imul__
    __matmul__ __rmatmul__ __imatmul__ __truediv__ __rtruediv__ __itruediv__
    __floordiv__ __rfloordiv__ __ifloordiv__ __mod__ __rmod__ __imod__ __pow__ __rpow__ __ipow__
    __divmod__ __rdivmod__ __neg__ __pos__ __abs__ __invert__ __and__ __rand__ __iand__
    __or__ __ror__ __ior__ __xor__ __rxor__ __ixor__ __lshift__ __rlshift__ __ilshift__
    __rshift__ __rrshift__ __irshift__ __int__ __float__ __complex__ __index__ __round__
    __trunc__ __floor__ __ceil__
""".split())

#: Protocol hooks a script may define on its classes (Python or a library calls them), though
#: it may not reach them as attributes.
DEFINABLE_DUNDERS = frozenset("""
    __get__ __set__ __delete__ __getstate__ __setstate__ __getnewargs__ __getnewargs_ex__
    __instancecheck__ __subclasscheck__ __subclasshook__ __prepare__ __mro_entries__ __dir__
    __getattribute__ __array_ufunc__ __array_function__ __array_priority__ __array_wrap__
    __array_finalize__ __pandas_priority__
""".split())

#: Attributes through which a library takes a raw memory address (or a buffer) from an object:
#: numpy's array interface, DLPack, the dataframe interchange protocol, the buffer protocol.
RAW_MEMORY_NAMES = frozenset("""
    __array_interface__ __array_struct__ __cuda_array_interface__ __dlpack__ __dlpack_device__
    __dataframe__ __arrow_c_array__ __arrow_c_stream__ __arrow_c_schema__ __buffer__
    __release_buffer__
""".split())
RAW_MEMORY_WHY = "scripts may not hand libraries raw memory addresses"

#: Hooks that decide what every attribute read of a class's objects returns: set only in the
#: class body, where the sandbox wraps them (:mod:`.classes`).
_LOOKUP_HOOKS = frozenset({"__getattr__", "__getattribute__"})

#: Non-dunder attributes that lead to frames, code, globals or native code.
FORBIDDEN_ATTRIBUTES = frozenset("""
    f_globals f_locals f_builtins f_back f_code f_trace f_lasti f_lineno
    tb_frame tb_next tb_lasti gi_frame gi_code gi_yieldfrom gi_running cr_frame cr_code cr_await
    cr_origin ag_frame ag_code ag_await func_globals func_code func_closure
    co_code co_consts co_names mro _evaluate _eval_type _ctypes _getframe _current_frames
""".split())


def is_dunder(name: str) -> bool:
    """``__name__``-shaped."""
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


def is_forbidden_attribute(name: str) -> bool:
    """True for attribute names a script may not use (see the module docstring)."""
    if is_dunder(name):
        return name not in SAFE_DUNDERS
    return name in FORBIDDEN_ATTRIBUTES


def is_definable(name: str) -> bool:
    """True for names a script may give its own methods and class attributes."""
    return not is_dunder(name) or name in SAFE_DUNDERS or name in DEFINABLE_DUNDERS


def raw_memory_name(text: str) -> str | None:
    """The raw memory attribute ``text`` mentions, if any."""
    if "__" in text:
        for name in RAW_MEMORY_NAMES:
            if name in text:
                return name
    return None


def refused_name(exc: Refused) -> str:
    """The name a refusal of :func:`check_source` quotes (``line 3 uses "x"`` -> x)."""
    text = str(exc)
    start = text.find(' uses "') + len(' uses "')
    return text[start:text.find('"', start)] if start >= len(' uses "') else text


def refused_parts(exc: Refused) -> tuple[str, str]:
    """(what, why) of a refusal of :func:`check_source`, to word it again elsewhere."""
    why = RAW_MEMORY_WHY if refused_name(exc) in RAW_MEMORY_NAMES else INTERNALS_WHY
    what = str(exc).removeprefix(sentence("", "")[:-3]).removesuffix(f" ({why})")
    return what, why


def _refuse(name: str, node: ast.AST, filename: str) -> Refused:
    line = getattr(node, "lineno", None)
    where = f"line {line}" if filename.startswith("<") else f"{filename}, line {line}"
    why = RAW_MEMORY_WHY if name in RAW_MEMORY_NAMES else INTERNALS_WHY
    refused = Refused(sentence(f'{where} uses "{name}"', why))
    refused.line = line
    return refused


def check_source(code: str, filename: str, allowed: frozenset[str] = frozenset()) -> None:
    """Refuse (Refused, naming the line) a script that names interpreter internals.

    ``allowed``: names a library's own generated code may use (dataclasses' helpers).
    A syntax error is raised as SyntaxError, as compiling would.
    """
    tree = ast.parse(code, filename)
    found: list[tuple[int, int, str, ast.AST]] = []
    for node in ast.walk(tree):
        for name in _names_used(node):
            if name not in allowed:
                found.append((getattr(node, "lineno", 0),
                              getattr(node, "end_col_offset", 0) or 0, name, node))
    if found:
        _, _, name, node = min(found, key=lambda item: item[:2])
        raise _refuse(name, node, filename)


def format_attributes(text: str) -> list[str]:
    """The attribute names a ``str.format`` template reads (``"{0.a.b}"`` -> a, b), nested
    fields of format specs included; none for text that is not a valid template."""
    names: list[str] = []
    if "{" not in text or "." not in text:
        return names
    try:
        for _, field, spec, _ in _string.formatter_parser(text):
            if field is None:
                continue
            _, rest = _string.formatter_field_name_split(field)
            names += [key for is_attribute, key in rest if is_attribute and type(key) is str]
            if spec:
                names += format_attributes(spec)
    except ValueError:
        return names
    return names


def _names_used(node: ast.AST) -> list[str]:
    """The forbidden names this node uses (attributes, names, imports, match patterns,
    definitions, and text: raw memory attributes and format strings)."""
    if isinstance(node, ast.Attribute):
        if isinstance(node.ctx, ast.Store) and node.attr in _LOOKUP_HOOKS:
            return [node.attr]
        return [node.attr] if is_forbidden_attribute(node.attr) else []
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [] if is_definable(node.name) else [node.name]
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
        text = node.value if isinstance(node.value, str) else node.value.decode("latin-1")
        raw = raw_memory_name(text)
        if raw is not None:
            return [raw]
        return [n for n in format_attributes(text) if is_forbidden_attribute(n)][:1]
    names: list[str] = []
    if isinstance(node, ast.Name):
        names = [node.id]
    elif isinstance(node, (ast.Global, ast.Nonlocal)):
        names = list(node.names)
    elif isinstance(node, ast.ImportFrom):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.alias) and node.asname:
        names = [node.asname]
    elif isinstance(node, ast.MatchClass):
        return [n for n in node.kwd_attrs if is_forbidden_attribute(n)]
    return [n for n in names if is_dunder(n) and n not in SAFE_DUNDERS]
