"""Libraries a script names, loaded once in the worker so that later run children inherit them.

A run child imports what its script imports, each run anew. For the heavy ones a script names
(ifctester: its modules and its XML schema take ~0.4-0.8 s), the worker loads them before
forking the first run that names them; that run's child and every later one start with them.
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


def preload_for(code: str) -> bool:
    """Load what `code` names and this process does not hold yet; True when something was."""
    loaded = False
    for name, load in _LOADERS.items():
        if name in _tried or not re.search(rf"\b{name}\b", code):
            continue
        _tried.add(name)
        started = time.perf_counter()
        try:
            load()
        except Exception as exc:  # noqa: BLE001 - the run child will meet (and report) it
            log.warning("preloading %s failed: %s", name, exc)
            continue
        log.info("preloaded %s in %.2f s", name, time.perf_counter() - started)
        _loaded.add(name)
        loaded = True
    return loaded


def preloaded() -> list[str]:
    """What this process has preloaded, by name."""
    return sorted(_loaded)
