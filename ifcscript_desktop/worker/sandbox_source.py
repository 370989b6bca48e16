"""The compile-time check of a script's source and the attribute names a script may not use.

The usual ways out of a Python-level sandbox go through a handful of attributes (an object's
class hierarchy, a function's globals, a traceback's frame). A script names them in its source,
so they are refused before it runs; the same rule backs the checked ``getattr`` family at run
time. Ordinary dunder methods (``__init__``, ``__len__``, operators...) stay usable.
"""

from __future__ import annotations

import ast

from .sandbox_policy import INTERNALS_WHY, Refused, sentence

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


def _refuse(name: str, node: ast.AST, filename: str) -> Refused:
    line = getattr(node, "lineno", None)
    where = f"line {line}" if filename.startswith("<") else f"{filename}, line {line}"
    refused = Refused(sentence(f'{where} uses "{name}"', INTERNALS_WHY))
    refused.line = line
    return refused


def check_source(code: str, filename: str) -> None:
    """Refuse (Refused, naming the line) a script that names interpreter internals.

    A syntax error is raised as SyntaxError, as compiling would.
    """
    tree = ast.parse(code, filename)
    found: list[tuple[int, int, str, ast.AST]] = []
    for node in ast.walk(tree):
        for name in _names_used(node):
            found.append((getattr(node, "lineno", 0), getattr(node, "end_col_offset", 0) or 0,
                          name, node))
    if found:
        _, _, name, node = min(found, key=lambda item: item[:2])
        raise _refuse(name, node, filename)


def _names_used(node: ast.AST) -> list[str]:
    """The forbidden names this node uses (attributes, names, imports, match patterns)."""
    if isinstance(node, ast.Attribute):
        return [node.attr] if is_forbidden_attribute(node.attr) else []
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
