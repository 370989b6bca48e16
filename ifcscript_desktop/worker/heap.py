"""Settling the worker's C heap before it forks, so the children it forks share its pages.

glibc keeps freed memory in bins whose lists run through the free chunks themselves. After a
build of millions of small objects (the index, the property rows) most freed chunks sit in the
unsorted bin; the first `malloc` in a forked child that misses its small caches sorts that bin,
writing into every chunk on it, and so copies every heap page holding one (measured: ~0.5 s and
~300 MB in the first run after opening a 100k-product model). Sorting the bin and returning free
pages here, once, before the fork, costs the parent only what it would have paid anyway.
"""

from __future__ import annotations

import ctypes
import time

#: Requests in glibc's large-bin range that rarely fit a free chunk exactly: each call sorts up
#: to 10,000 chunks of the unsorted bin (glibc's MAX_ITERS) before it is served.
_SORT_REQUEST = 4000
_SORT_CALLS = 400


def settle() -> float:
    """Sort the free lists and return free pages to the OS (glibc only; elsewhere nothing);
    the seconds it took."""
    started = time.perf_counter()
    try:
        libc = ctypes.CDLL(None)
        malloc, free, trim = libc.malloc, libc.free, libc.malloc_trim
    except (OSError, AttributeError, TypeError):  # not glibc (TypeError: Windows)
        return 0.0
    malloc.restype = ctypes.c_void_p
    free.argtypes = [ctypes.c_void_p]
    trim(0)  # consolidates the fast bins into the unsorted bin and returns free pages
    for _ in range(_SORT_CALLS):
        free(malloc(_SORT_REQUEST))
    return time.perf_counter() - started
