"""The run template: the process every run child is forked from, so none inherits another run.

A run child is a copy of the process that forks it. Were that the worker, each child would
carry in its memory whatever earlier runs sent the worker or received from it (their code and
parameters, the rows of their tables, their results: freed objects are not wiped), and a
script reading its own memory would see them. So right after a model is parsed and indexed,
before any run request reaches it, the worker forks this template. The template holds the
model and the index, never sees a run's data, and forks the run children on request; the
worker keeps the client channel, the queries and everything a run sends.

Worker and template talk over a socket pair (one JSON message per datagram; descriptors ride
along with SCM_RIGHTS):

- ``{"op": "spare"}`` with the run's three pipe ends (job read, output write, event write):
  the template forks a child that runs `worker.child.run_child` on them; reply ``{"spare": pid}``.
- ``{"op": "properties"}``: build the property rows here (later children inherit them); reply
  ``{"done": "properties", "timings": {...}}``.
- ``{"op": "preload", "names": [...]}``: import those libraries here; reply ``{"done":
  "preload", "loaded": [...]}``.
- Unasked: ``{"exit": pid, "status": status}`` each time a child exits or stops (waitpid's
  status, WUNTRACED): the worker learns a run's end from here, not from the run.

The template dies with the worker, and its children with it (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import gc
import json
import logging
import os
import select
import signal
import socket
import sys
from typing import Any

from ifcscript_desktop.worker.sandbox import landlock
from ifcscript_desktop.worker.child import run_child
from ifcscript_desktop.worker.heap import settle
from ifcscript_desktop.worker.preload import load

log = logging.getLogger("ifcscript.worker")

_PR_SET_PDEATHSIG = 1
_MESSAGE = 1 << 16


class TemplateGone(RuntimeError):
    """The template process ended (or never answered)."""


class Template:
    """The worker's handle on its template process."""

    def __init__(self, index: Any, model: Any) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        worker = os.getpid()
        self.pid = os.fork()
        if self.pid == 0:
            code = 1
            try:
                ours.close()
                die_with(worker)
                close_all_but({0, 1, 2, theirs.fileno()})
                _serve(theirs, index, model)
                code = 0
            finally:
                os._exit(code)
        theirs.close()
        self.sock = ours
        self.exits: dict[int, int] = {}  # pid -> status, for children the worker tracks
        self.tracked: set[int] = set()
        self.spares: list[int] = []  # spares forked on request, not taken yet
        self.pending_spares = 0
        self.alive = True

    def fileno(self) -> int:
        return self.sock.fileno()

    # -- requests ------------------------------------------------------------------------------
    def request_spare(self, fds: tuple[int, int, int]) -> None:
        """Ask for a child on these pipe ends (the caller closes its copies); its pid comes
        back later (`take_spare`)."""
        self._send({"op": "spare"}, list(fds))
        self.pending_spares += 1

    def take_spare(self, timeout: float = 60.0) -> int:
        """The pid of the oldest spare asked for, waiting for it if need be."""
        while not self.spares:
            if not self.alive:
                raise TemplateGone("the run template has ended")
            if not self.pending_spares:
                raise TemplateGone("no spare child was asked for")
            self._receive(timeout)
        return self.spares.pop(0)

    def call(self, request: dict[str, Any], timeout: float = 3600.0) -> dict[str, Any]:
        """Send `request` and wait for its reply (exit reports meanwhile are kept)."""
        self._send(request)
        while True:
            reply = self._receive(timeout, want=str(request["op"]))
            if reply is not None:
                return reply

    def status_of(self, pid: int) -> int | None:
        """The status the template reported for child `pid` (exit or stop), once."""
        return self.exits.pop(pid, None)

    def track(self, pid: int) -> None:
        self.tracked.add(pid)

    def forget(self, pid: int) -> None:
        self.tracked.discard(pid)
        self.exits.pop(pid, None)

    def on_readable(self) -> None:
        """Take whatever the template sent (exit reports, spare pids) without waiting."""
        while self.alive:
            ready, _, _ = select.select([self.sock], [], [], 0)
            if not ready:
                return
            self._handle(self._read())

    def close(self) -> None:
        if self.sock.fileno() < 0:
            return  # closed before
        if self.alive:
            self.alive = False
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        self.sock.close()

    # -- plumbing ------------------------------------------------------------------------------
    def _send(self, message: dict[str, Any], fds: list[int] | None = None) -> None:
        if not self.alive:
            raise TemplateGone("the run template has ended")
        data = json.dumps(message).encode()
        try:
            if fds:
                socket.send_fds(self.sock, [data], fds)
            else:
                self.sock.send(data)
        except OSError as exc:
            self.alive = False
            raise TemplateGone(f"the run template has ended ({exc})") from None

    def _read(self) -> dict[str, Any] | None:
        try:
            data = self.sock.recv(_MESSAGE)
        except OSError:
            data = b""
        if not data:
            self.alive = False
            return None
        message: dict[str, Any] = json.loads(data)
        return message

    def _receive(self, timeout: float, want: str | None = None) -> dict[str, Any] | None:
        if not self.alive:
            raise TemplateGone("the run template has ended")
        ready, _, _ = select.select([self.sock], [], [], timeout)
        if not ready:
            raise TemplateGone("the run template did not answer")
        message = self._read()
        if message is None:
            raise TemplateGone("the run template has ended")
        if want is not None and message.get("done") == want:
            return message
        self._handle(message)
        return None

    def _handle(self, message: dict[str, Any] | None) -> None:
        if message is None:
            return
        if "exit" in message:
            pid = int(message["exit"])
            if pid in self.tracked:
                self.exits[pid] = int(message["status"])
        elif "spare" in message:
            self.pending_spares -= 1
            self.spares.append(int(message["spare"]))


# -- in the template process -------------------------------------------------------------------
def _serve(sock: socket.socket, index: Any, model: Any) -> None:
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # only to wake the select below
    me = os.getpid()

    def reply(message: dict[str, Any]) -> None:
        sock.send(json.dumps(message).encode())

    while True:
        ready, _, _ = select.select([sock.fileno(), wake_r], [], [])
        if wake_r in ready:
            try:
                while os.read(wake_r, 4096):
                    pass
            except BlockingIOError:
                pass
        _report_exits(reply)
        if sock.fileno() not in ready:
            continue
        data, fds, _, _ = socket.recv_fds(sock, _MESSAGE, 3)
        if not data:
            return  # the worker went away
        request = json.loads(data)
        op = request.get("op")
        if op == "spare" and len(fds) == 3:
            pid = os.fork()
            if pid == 0:
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                # The run leads its own process group, so the worker can kill all of it at
                # once, and dies with the template (so with the worker).
                os.setpgid(0, 0)
                die_with(me)
                close_all_but({0, 1, 2, *fds})
                run_child(fds[0], fds[1], fds[2], index, model)
            try:
                os.setpgid(pid, pid)  # also here: whichever runs first makes it so
            except OSError:
                pass
            reply({"spare": pid})
        elif op == "properties":
            index.ensure_properties()
            gc.freeze()  # as after the open: children must not copy these pages on a collection
            settle()  # nor its free lists (worker.heap)
            reply({"done": "properties", "timings": {k: v for k, v in index.timings.items()
                                                     if isinstance(v, (int, float))}})
        elif op == "preload":
            loaded = [name for name in request.get("names") or [] if load(name)]
            gc.freeze()
            settle()
            reply({"done": "preload", "loaded": loaded})
        for fd in fds:
            os.close(fd)


def _report_exits(reply: Any) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG | os.WUNTRACED)
        except ChildProcessError:
            return
        if pid == 0:
            return
        reply({"exit": pid, "status": status})


def die_with(parent: int) -> None:
    """In a fresh child: SIGKILL when `parent` ends (Linux); exit now if it already has."""
    if sys.platform.startswith("linux"):
        try:
            landlock.libc().prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:
        os._exit(0)


def close_all_but(keep: set[int]) -> None:
    """In a fresh child: close every descriptor but `keep` (it inherits only what it needs)."""
    ordered = sorted(keep)
    for low, high in zip(ordered, ordered[1:] + [os.sysconf("SC_OPEN_MAX")]):
        os.closerange(low + 1, high)
