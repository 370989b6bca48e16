"""A database failure as a sentence: peewee's errors never leave the core.

Core functions that read or write the store (`core.store` itself included) wrap their work in
:func:`store_errors`, so the window and the command catch one exception, :class:`StoreError`
(re-exported by `core.store`),
whose message a user can act on ("the database file is read-only"), never a raw
``peewee.OperationalError``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlite3

import peewee

#: Seconds a writer waits for another process's write to finish before giving up.
BUSY_TIMEOUT_S = 30


class StoreError(Exception):
    """The store cannot do what was asked; the message is a sentence for the user."""


class DatabaseFailure(StoreError):
    """The database file refused a read or a write (locked, read-only, full, damaged)."""


@contextmanager
def store_errors(what_failed: str) -> Iterator[None]:
    """Turn a database error inside the block into a :class:`DatabaseFailure` sentence.

    `what_failed` starts the sentence, e.g. "The workflow 'Checks' could not be saved"; the
    reason follows in plain words. Usable as a decorator too.
    """
    try:
        yield
    except (peewee.PeeweeException, sqlite3.Error) as exc:
        raise DatabaseFailure(f"{what_failed}: {database_reason(exc)}.") from exc


def database_reason(exc: Exception) -> str:
    """Why the database refused, in words a user can act on."""
    text = " ".join(str(exc).split())
    lowered = text.lower()
    if "locked" in lowered or "busy" in lowered:
        return (f"another program kept the database busy for more than {BUSY_TIMEOUT_S} "
                "seconds; try again when it has finished")
    if "readonly" in lowered or "read-only" in lowered:
        return ("the database file is read-only; check that you may write to the data folder "
                "and its files")
    if "full" in lowered:
        return "the disk holding the database is full"
    if "malformed" in lowered or "not a database" in lowered:
        return ("the database file is damaged; move it away and the application will start "
                "with an empty history")
    if "unable to open" in lowered:
        return "the database file cannot be opened; check that the data folder still exists"
    return f"the database reported {text!r}" if text else "the database refused the request"
