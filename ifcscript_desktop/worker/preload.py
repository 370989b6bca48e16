"""Libraries a script names, loaded once in the worker so that later run children inherit them.

A run child imports what its script imports, each run anew. For the heavy ones a script names
(ifctester: its modules and its XML schema take ~0.4-0.8 s), the worker has the run template
(worker.template) load them before it forks the first run that names them; that run's child and
every later one start with them.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Callable

log = logging.getLogger(__name__)


def _ifctester() -> None:
    import ifctester.facet  # noqa: F401
    import ifctester.ids
    import ifctester.reporter  # noqa: F401

    ifctester.ids.get_schema()  # parsed once, kept by ifctester


_LOADERS: dict[str, Callable[[], None]] = {"ifctester": _ifctester}
_tried: set[str] = set()
_loaded: set[str] = set()


def wanted(code: str) -> list[str]:
    """The libraries `code` names that were not asked for before (each is asked for once)."""
    names = [name for name in _LOADERS if name not in _tried and re.search(rf"\b{name}\b", code)]
    _tried.update(names)
    return names


def load(name: str) -> bool:
    """Import library `name` into this process; False when it failed (the run will say why)."""
    started = time.perf_counter()
    try:
        _LOADERS[name]()
    except Exception as exc:  # noqa: BLE001 - the run child will meet (and report) it
        log.warning("preloading %s failed: %s", name, exc)
        return False
    log.info("preloaded %s in %.2f s", name, time.perf_counter() - started)
    _loaded.add(name)
    return True


def mark_loaded(names: list[str]) -> None:
    """Record libraries another process (the run template) loaded for this one's runs."""
    _loaded.update(names)


def preloaded() -> list[str]:
    """What this process has preloaded, by name."""
    return sorted(_loaded)
