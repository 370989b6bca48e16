"""Reading a model's property sets, shared out between forked processes when the model is large.

The relationships (IfcRelDefinesByProperties) are cut into slices. Every process, this one
included, takes the next slice number from a pipe until none is left (so a process slowed by a
busy core simply takes fewer), reads those slices (the parse is shared copy-on-write: a fork
costs page tables, not a re-parse) and sends what it read back through its own pipe,
marshalled. Slices are taken in in order, so the result is exactly the serial one; a slice
whose process failed for any reason is read again here.

A worker started with `IFCSCRIPT_PROPERTY_PROCESSES=N` in its environment reads with at most N
processes: a workflow batch running several workers side by side sets 1, since the other
workers keep the cores busy and extra readers would only add their forks and transfers.
"""

from __future__ import annotations

import logging
import marshal
import os
import signal
from collections.abc import Sequence
from typing import Any

import ifcopenshell

from ifcscript_desktop.worker.propertysets import Chunk, PropertySets, SetReader
from ifcscript_desktop.worker.relations import by_type

log = logging.getLogger("ifcscript.worker")

#: Below this many relationships a fork (~60 ms on a 100 MB model) does not pay for itself.
PARALLEL_MIN_RELATIONS = 20_000
#: More processes cost a fork each, in this process, before it starts reading.
MAX_PROCESSES = 4
#: The environment variable that caps the processes (see the module's docstring).
PROCESSES_ENV = "IFCSCRIPT_PROPERTY_PROCESSES"
SLICES_PER_PROCESS = 8
_NUMBER = 4  # bytes per slice number in the queue: one read takes exactly one
_HEADER = 8  # bytes of a result's length, ahead of it


class PropertyReading:
    """A read of every property set, started at once and finished by `finish()`; this
    process's own share happens in `finish()`, so it can do other work in between."""

    def __init__(self, model: ifcopenshell.file, processes: int | None = None,
                 min_relations: int = PARALLEL_MIN_RELATIONS) -> None:
        self.reader = SetReader(model)
        self.sets = PropertySets(model, self.reader)
        rels = by_type(model, "IfcRelDefinesByProperties")
        count = default_processes() if processes is None else processes
        count = min(count, len(rels))
        self.readers: list[_Reader] = []
        if count < 2 or len(rels) < min_relations or not hasattr(os, "fork"):
            self.slices: list[Sequence[Any]] = [rels]
            self.queue: int | None = None
            return
        total = min(count * SLICES_PER_PROCESS, len(rels))
        bounds = [len(rels) * i // total for i in range(total + 1)]
        self.slices = [rels[start:end] for start, end in zip(bounds, bounds[1:])]
        self.queue, queue_w = os.pipe()
        os.write(queue_w, b"".join(i.to_bytes(_NUMBER, "little") for i in range(total)))
        try:
            self.readers = [_Reader(self.reader, self.slices, self.queue) for _ in range(count - 1)]
        finally:
            os.close(queue_w)  # an empty queue now reads as its end

    def cancel(self) -> None:
        """Stop the other processes without taking what they read."""
        for child in self.readers:
            child.reap()
        self.readers = []
        if self.queue is not None:
            os.close(self.queue)
            self.queue = None

    def finish(self) -> tuple[PropertySets, int]:
        """Every property set and the objects each defines; and how many processes read them
        (1: this one alone)."""
        found: dict[int, Chunk] = {}
        try:
            if self.queue is None:
                found[0] = self.reader.read_relations(self.slices[0])
            else:
                found.update(_take_slices(self.reader, self.slices, self.queue))
            for child in self.readers:
                found.update(child.result() or {})
        finally:
            used = 1 + sum(child.pid is not None for child in self.readers)
            self.cancel()  # all taken by now, unless something failed here
        missing = [n for n in range(len(self.slices)) if n not in found]
        if missing:
            log.warning("a property reading process failed; reading its %d slices again",
                        len(missing))
        for number, part in enumerate(self.slices):
            self.sets.add(found[number] if number in found else self.reader.read_relations(part))
        return self.sets, used


def read_property_sets(model: ifcopenshell.file, processes: int | None = None,
                       min_relations: int = PARALLEL_MIN_RELATIONS) -> tuple[PropertySets, int]:
    """Every property set of the model and the objects each defines; and how many processes
    read them. `processes` None: `default_processes()`; in several only from `min_relations`
    relationships."""
    return PropertyReading(model, processes, min_relations).finish()


def default_processes() -> int:
    """One per available core, at most MAX_PROCESSES, and at most `IFCSCRIPT_PROPERTY_PROCESSES`
    when that is set to a positive number."""
    count = min(_cores(), MAX_PROCESSES)
    try:
        cap = int(os.environ.get(PROCESSES_ENV, ""))
    except ValueError:
        return count
    return min(count, cap) if cap > 0 else count


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _take_slices(reader: SetReader, slices: list[Sequence[Any]], queue: int) -> dict[int, Chunk]:
    """Read the slices whose numbers this process takes from the queue, until it is empty."""
    found: dict[int, Chunk] = {}
    while number := os.read(queue, _NUMBER):
        index = int.from_bytes(number, "little")
        found[index] = reader.read_relations(slices[index])
    return found


class _Reader:
    """A forked process reading slices; `pid` None when the fork itself failed."""

    def __init__(self, reader: SetReader, slices: list[Sequence[Any]], queue: int) -> None:
        self.pid: int | None = None
        self.fd: int | None = None
        try:
            result_r, result_w = os.pipe()
        except OSError:
            return
        try:
            self.pid = os.fork()
        except OSError:
            os.close(result_r)
            os.close(result_w)
            return
        if self.pid == 0:
            _child(reader, slices, queue, result_w)
        os.close(result_w)
        self.fd = result_r

    def result(self) -> dict[int, Chunk] | None:
        """What the process read, by slice number; None if it failed (a crash, a value
        marshal cannot carry)."""
        if self.fd is None:
            return None
        parts = []
        while data := os.read(self.fd, 1 << 22):
            parts.append(data)
        data = b"".join(parts)
        os.close(self.fd)
        self.fd = None
        if len(data) < _HEADER or len(data) != _HEADER + int.from_bytes(data[:_HEADER], "little"):
            return None
        found: dict[int, Chunk] = marshal.loads(memoryview(data)[_HEADER:])
        return found

    def reap(self) -> None:
        """Wait for the process to end; stop it first if its result was not taken."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
            if self.pid is not None:
                os.kill(self.pid, signal.SIGKILL)
        if self.pid is not None:
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass


def _child(reader: SetReader, slices: list[Sequence[Any]], queue: int, fd: int) -> None:
    """In the forked process: read, send, exit. Never returns into the worker's code."""
    code = 1
    try:
        # Keep only the queue and the result pipe (and stdio): the client channel and the
        # queue's write end must not outlive their owner.
        keep = sorted({0, 1, 2, queue, fd})
        for low, high in zip(keep, keep[1:] + [os.sysconf("SC_OPEN_MAX")]):
            os.closerange(low + 1, high)
        data = marshal.dumps(_take_slices(reader, slices, queue))
        for part in (len(data).to_bytes(_HEADER, "little"), data):
            view = memoryview(part)
            while view:
                view = view[os.write(fd, view):]
        code = 0
    finally:
        os._exit(code)
