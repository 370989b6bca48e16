"""Classes a script makes: no attribute names the source check would refuse, no raw memory.

numpy turns any object with an ``__array_interface__`` (a dict holding a memory address) or an
``__array_struct__`` into an array over that memory, without asking. The source check refuses
these names in the script's text; this module refuses them, and any dunder a script may not
define, where a class is made at run time from names put together as data:

- ``type(name, bases, namespace)`` (the script's ``type`` is :func:`guarded_type`, which also
  answers ``isinstance(x, type)`` and ``type(x)`` as the real one does);
- ``class`` statements (``__build_class__``): the finished class's namespace is checked, which
  covers ``locals()[...] = ...`` in the class body and metaclasses adding entries;
- ``dataclasses.make_dataclass`` and enum's functional API (patched in
  :mod:`.libraries`).

Each class that passes gets two attributes numpy cannot read, ``__array_interface__`` and
``__array_struct__`` (data descriptors, so they win over an instance's ``__dict__``), and its
``__getattr__``/``__getattribute__`` are wrapped: asked for a raw memory attribute (numpy asks
every object it is given), the script's hook may decline (AttributeError); an answer is refused
and never reaches the library.

This is the second line. A script that reaches the real ``type`` through an attribute
(``int.__class__``) or changes a class after the fact (``type.__setattr__``) still gets around
it: the operating-system layer is what holds then, since raw memory is only this process's.
"""

from __future__ import annotations

import builtins
import weakref
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from .policy import INTERNALS_WHY, exact_str
from .source import RAW_MEMORY_NAMES, RAW_MEMORY_WHY, is_definable

if TYPE_CHECKING:
    from .hook import GuardState

_TYPE = type
_BUILD_CLASS = builtins.__build_class__
_TYPE_DICT = vars(_TYPE)["__dict__"]
_TYPE_MRO = vars(_TYPE)["__mro__"]
_TYPE_NAME = vars(_TYPE)["__qualname__"]
_TYPE_SETATTR = _TYPE.__setattr__
_TYPE_INIT: Any = _TYPE.__init__
_TYPE_CALL: Any = _TYPE.__call__

#: Entries Python, typing and dataclasses add to a class's namespace themselves.
_MADE_BY_PYTHON = frozenset("""
    __dict__ __weakref__ __orig_bases__ __parameters__ __abstractmethods__ __dataclass_params__
    __total__ __required_keys__ __optional_keys__ __protocol_attrs__ __type_params__
    __static_attributes__ __firstlineno__ __non_callable_proto_members__ __final__
""".split())
#: What numpy reads from any object it is given; blocked on every class a script makes.
_BLOCKED = ("__array_interface__", "__array_struct__")
_LOOKUP_HOOKS = ("__getattr__", "__getattribute__")

_WRAPPERS: weakref.WeakSet[Any] = weakref.WeakSet()


def _class_name(cls: type) -> str:
    return str(_TYPE_NAME.__get__(cls))


def check_names(state: GuardState, names: Iterable[Any], where: str,
                made_by_python: bool = False) -> None:
    """Refuse a namespace key a script may not define (``where``: "the class X")."""
    for key in names:
        name = exact_str(key)
        if name is None or type(key) is not str:
            raise state.refuse(f"naming an attribute of {where} with an unusual object",
                               INTERNALS_WHY)
        if is_definable(name) or made_by_python and name in _MADE_BY_PYTHON:
            continue
        why = RAW_MEMORY_WHY if name in RAW_MEMORY_NAMES else INTERNALS_WHY
        raise state.refuse(f'defining "{name}" in {where}', why)


def guard_class(state: GuardState, cls: Any) -> Any:
    """Check a class the script just made and make it safe to hand to numpy; returns it."""
    if not isinstance(cls, _TYPE):
        return cls
    namespace = _TYPE_DICT.__get__(cls)
    where = f'the class "{_class_name(cls)}"'
    check_names(state, list(namespace), where, made_by_python=True)
    for hook in _LOOKUP_HOOKS:
        function = namespace.get(hook)
        if function is not None and function not in _WRAPPERS:
            _TYPE_SETATTR(cls, hook, _hiding_raw_memory(state, function, hook, where))
    mro = _TYPE_MRO.__get__(cls)
    if _TYPE in mro:
        # A metaclass: the classes it makes are checked and blocked themselves (a blocker here
        # would even keep them from getting their own).
        return cls
    for name in _BLOCKED:
        if not any(name in _TYPE_DICT.__get__(base) for base in mro):
            _TYPE_SETATTR(cls, name, _Unreadable(state, name))
    return cls


class _Unreadable:
    """A class attribute numpy cannot read, which a script cannot set on an instance."""

    __slots__ = ("state", "name")

    def __init__(self, state: GuardState, name: str) -> None:
        self.state, self.name = state, name

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        raise AttributeError(self.name)

    def __set__(self, obj: Any, value: Any) -> None:
        raise self.state.refuse(f'setting "{self.name}" of an object', RAW_MEMORY_WHY)

    def __delete__(self, obj: Any) -> None:
        raise AttributeError(self.name)


def _hiding_raw_memory(state: GuardState, function: Any, hook: str,
                       where: str) -> Callable[[Any, str], Any]:
    """``function`` (a class's __getattr__/__getattribute__) whose answers to raw memory
    questions are refused instead of handed to the library that asked."""

    def lookup(self: Any, name: str) -> Any:
        bind = getattr(_TYPE(function), "__get__", None)
        bound = function if bind is None else bind(function, self, _TYPE(self))
        if _TYPE(name) is str and name in RAW_MEMORY_NAMES:
            bound(name)  # declining (AttributeError) is the only acceptable answer
            raise state.refuse(f'answering "{name}" from {hook} of {where}', RAW_MEMORY_WHY)
        return bound(name)

    lookup.__name__ = lookup.__qualname__ = hook
    lookup.__doc__ = getattr(function, "__doc__", None)
    _WRAPPERS.add(lookup)
    return lookup


def _real(value: Any, fake: Any) -> Any:
    return _TYPE if value is fake else value


def make_class_builtins(state: GuardState) -> dict[str, Any]:
    """``type`` and ``__build_class__`` for the script's builtins."""

    class _TypeMeta(_TYPE):
        def __instancecheck__(cls, obj: Any) -> bool:
            return isinstance(obj, _TYPE)

        def __subclasscheck__(cls, sub: Any) -> bool:
            return issubclass(sub, _TYPE)

        def __call__(cls, *args: Any, **kwargs: Any) -> Any:
            if len(args) == 1 and not kwargs:
                kind = _TYPE(args[0])
                return fake if kind is _TYPE or kind is _TypeMeta else kind
            return _new_class(_TYPE, args, kwargs)

        def __getattr__(cls, name: str) -> Any:
            return getattr(_TYPE, name)

        def __repr__(cls) -> str:
            return "<class 'type'>"

    def _new_class(metaclass: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if len(args) == 3:
            name, bases, namespace = args
            if _TYPE(namespace) is not dict:
                raise TypeError("type() argument 3 must be dict")
            check_names(state, list(namespace), f'the class "{exact_str(name) or "?"}"')
            if _TYPE(bases) is tuple:
                args = (name, tuple(_real(b, fake) for b in bases), namespace)
        return guard_class(state, _TYPE_CALL(metaclass, *args, **kwargs))

    class _FakeType(metaclass=_TypeMeta):
        """type(object) -> the object's type; type(name, bases, dict) -> a new class."""

        def __new__(mcs, *args: Any, **kwargs: Any) -> Any:  # type.__new__(M, ...) in metaclasses
            if len(args) == 3 and _TYPE(args[2]) is dict:
                check_names(state, list(args[2]), f'the class "{exact_str(args[0]) or "?"}"')
            return _TYPE.__new__(_real(mcs, fake), *args, **kwargs)

        def __init__(cls, *args: Any, **kwargs: Any) -> None:
            _TYPE_INIT(cls, *args, **kwargs)

        def __call__(cls, *args: Any, **kwargs: Any) -> Any:  # type.__call__(cls, ...)
            return _TYPE_CALL(cls, *args, **kwargs)

    fake = _FakeType
    for made in (_TypeMeta, fake):  # what messages and repr() show
        made.__name__ = made.__qualname__ = "type"
        made.__module__ = "builtins"

    def build_class(function: Any, name: Any, *bases: Any, **kwargs: Any) -> Any:
        bases = tuple(_real(b, fake) for b in bases)
        if "metaclass" in kwargs:
            kwargs["metaclass"] = _real(kwargs["metaclass"], fake)
        return guard_class(state, _BUILD_CLASS(function, name, *bases, **kwargs))

    return {"type": fake, "__build_class__": build_class}
