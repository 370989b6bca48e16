"""The worker's side of a run: a child the run template forked, its pipes, its limits and its
outcome."""

from __future__ import annotations

import codecs
import json
import os
import signal
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from ifcscript_desktop.core import colors as run_colors, tablefile
from ifcscript_desktop.core.protocol import FrameDecoder, ProtocolError, run_reply
from ifcscript_desktop.worker import outputs as run_outputs
from ifcscript_desktop.worker.child import EXIT_REFUSED, EXIT_REPORTED
from ifcscript_desktop.worker.template import Template, TemplateGone

#: More than this from a child's event pipe (tables, charts, result) stops the run: the worker
#: decodes it all and the window holds it all.
MAX_EVENT_BYTES = 256 << 20
MAX_EVENT_ITEMS = 2_000_000
MAX_EVENT_FRAME = 64 << 20
#: Reads of 64 KiB from one pipe before the worker looks at its clock and its client again.
READS_PER_TURN = 64
#: Progress events forwarded at most this often.
PROGRESS_EVERY_S = 0.05
#: Deepest nesting of lists and dicts an event may have (cells hold values, not trees).
MAX_EVENT_DEPTH = 40
#: More threads than this in a run (each takes a process id of the machine's) stop it.
MAX_THREADS = 1024
#: How often the worker measures a running script's output folder (seconds).
MEASURE_EVERY_S = 1.0
#: Events a child may send; anything else on its event pipe is ignored.
CHILD_EVENTS = {"refused", "progress", "table", "chart", "highlight", "color_by", "saved", "done"}


class SpareChild:
    """A run child forked ahead of time by the run template, waiting for its job (hides the
    fork's cost). Its end is what the template reports, never what the child says."""

    def __init__(self, template: Template) -> None:
        job_r, self.job_w = os.pipe()
        self.out_r, out_w = os.pipe()
        self.event_r, event_w = os.pipe()
        self.template = template
        try:
            template.request_spare((job_r, out_w, event_w))
        finally:
            for fd in (job_r, out_w, event_w):
                os.close(fd)
        for fd in (self.out_r, self.event_r):
            os.set_blocking(fd, False)
        self._closed: set[int] = set()
        self._pid: int | None = None

    @property
    def pid(self) -> int:
        if self._pid is None:  # forked by now, or soon: the template answers in order
            self._pid = self.template.take_spare()
            self.template.track(self._pid)
        return self._pid

    def status(self) -> int | None:
        """The child's wait status once it exited or stopped (None meanwhile; also None for
        good once the template is gone: the child died with it, unreported)."""
        return self.template.status_of(self.pid)

    def give(self, job: dict[str, Any]) -> bool:
        """Hand the job over; False if the child is gone."""
        try:
            data = json.dumps(job, allow_nan=False, default=str).encode()
            view = memoryview(data)
            while view:
                view = view[os.write(self.job_w, view):]
            return True
        except OSError:
            return False
        finally:
            os.close(self.job_w)

    def discard(self) -> None:
        try:
            os.close(self.job_w)  # an unused spare reads no job and exits
        except OSError:
            pass
        try:
            _kill_group(self.pid)
            self.template.forget(self.pid)
        except TemplateGone:
            pass
        self.close()

    def close(self, fd: int | None = None) -> None:
        """Close one of the run's descriptors (all of them without `fd`), each only once: a
        number closed twice could by then be another descriptor of the worker."""
        for own in (self.out_r, self.event_r) if fd is None else (fd,):
            if own not in self._closed:
                self._closed.add(own)
                _close(own)


@dataclass
class Run:
    """A run in flight, driven by the worker's select loop.

    Everything the child sends is untrusted: it shapes the run's presentation (output, result,
    tables, charts, progress) and nothing else. The status comes from what the worker observes
    (the child's exit status, its own kill reason), the outputs from its own scan of the folder.
    """

    request_id: int
    child: SpareChild
    timeout_s: float | None
    output_cap: int
    send: Callable[[dict[str, Any]], None]
    quota: run_outputs.Quota
    output_dir: str | None = None
    started: float = field(default_factory=time.monotonic)
    output_bytes: int = 0
    dropped_bytes: int = 0
    refusals: list[str] = field(default_factory=list)
    tables: list[Any] = field(default_factory=list)
    charts: list[Any] = field(default_factory=list)
    highlights: list[Any] = field(default_factory=list)
    colors: list[dict[str, Any]] = field(default_factory=list)
    reported_outputs: list[str] = field(default_factory=list)
    done: dict[str, Any] | None = None
    stop_reason: str | None = None  # "timeout", "cancelled" or "quota" once the worker killed it
    quota_error: str | None = None
    exit_status: int | None = None
    lost: bool = False  # the run template ended during the run
    out_open: bool = True
    events_open: bool = True
    event_bytes: int = 0
    event_items: int = 0
    progress_sent: float = 0.0

    def __post_init__(self) -> None:
        self._decoder = FrameDecoder(max_frame=MAX_EVENT_FRAME)
        self._text = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.next_measure = self.started + MEASURE_EVERY_S

    @property
    def pid(self) -> int:
        return self.child.pid

    @property
    def deadline(self) -> float | None:
        return self.started + self.timeout_s if self.timeout_s else None

    def wake_at(self) -> float:
        """When the select loop must look at this run again at the latest (its end wakes the
        loop through the template's report)."""
        return self.next_measure if self.deadline is None else min(self.deadline, self.next_measure)

    def fds(self) -> list[int]:
        fds = []
        if self.out_open:
            fds.append(self.child.out_r)
        if self.events_open:
            fds.append(self.child.event_r)
        return fds

    def on_readable(self, fd: int) -> None:
        if fd == self.child.out_r:
            self._read_output()
        else:
            self._read_events()

    def _read_output(self) -> None:
        chunks = []
        for _ in range(READS_PER_TURN):  # then back to the loop: deadlines, queries, cancel
            try:
                data = os.read(self.child.out_r, 1 << 16)
            except BlockingIOError:
                break
            if not data:
                self.out_open = False
                self.child.close(self.child.out_r)
                break
            room = self.output_cap - self.output_bytes
            if room > 0:
                chunks.append(data[:room])
            self.output_bytes += min(len(data), max(room, 0))
            self.dropped_bytes += max(0, len(data) - max(room, 0))
        text = self._text.decode(b"".join(chunks), final=not self.out_open)
        if text:
            self.send({"id": self.request_id, "event": "output", "data": text})

    def _read_events(self) -> None:
        for _ in range(READS_PER_TURN):  # then back to the loop: deadlines, queries, cancel
            try:
                data = os.read(self.child.event_r, 1 << 16)
            except BlockingIOError:
                return
            if not data:
                self.events_open = False
                self.child.close(self.child.event_r)
                return
            self.event_bytes += len(data)
            # Every { or [ may become a Python object of ~60 bytes: count them before decoding.
            self.event_items += data.count(b"{") + data.count(b"[")
            if self.event_bytes > MAX_EVENT_BYTES or self.event_items > MAX_EVENT_ITEMS:
                self.quota_error = ("The run sent more tables, charts and results than the window "
                                    f"can take ({_size(MAX_EVENT_BYTES)} or "
                                    f"{MAX_EVENT_ITEMS:,} rows and lists) and was stopped.")
                self.kill("quota")
                return
            try:
                for message in self._decoder.feed(data):
                    self._on_event(message)
            except ProtocolError:
                self.refusals.append("The script wrote garbage into the run's event channel.")
                self.events_open = False
                self.child.close(self.child.event_r)
                return

    def _on_event(self, message: dict[str, Any]) -> None:
        kind = message.get("event")
        if kind not in CHILD_EVENTS:
            return
        if _deeper_than(message, MAX_EVENT_DEPTH):
            # Nothing the runner sends nests this deep; the window and the store would recurse.
            self.refusals.append("The script wrote garbage into the run's event channel.")
            return
        if kind == "refused":
            self.refusals.append(str(message.get("message")))
        elif kind == "progress":
            now = time.monotonic()
            if now - self.progress_sent >= PROGRESS_EVERY_S:  # a bar need not move faster
                self.progress_sent = now
                self.send({"id": self.request_id, "event": "progress",
                           "fraction": message.get("fraction"), "message": message.get("message")})
        elif kind == "table":
            table = message.get("table")
            if isinstance(table, dict) and "file" in table:
                table = self._spilled_table(table)
            if table is not None:
                self.tables.append(table)
        elif kind == "chart":
            self.charts.append(message.get("chart"))
        elif kind == "highlight":
            self.highlights.append(message.get("highlight"))
        elif kind == "color_by":
            record = run_colors.checked(message.get("colors"))  # the child's word: checked
            if record is not None:
                self.colors.append(record)
        elif kind == "saved":
            # Only the order of the files: which files there are, the worker's scan decides.
            if isinstance(message.get("path"), str) and len(self.reported_outputs) < 100_000:
                self.reported_outputs.append(message["path"])
        elif kind == "done":
            self.done = message  # the last one counts: a forged early "done" is overwritten

    def _spilled_table(self, table: dict[str, Any]) -> dict[str, Any] | None:
        """A table the child wrote to a file: only a name it may give, in this run's folder."""
        name, count, columns = table.get("file"), table.get("row_count"), table.get("columns")
        if not (self.output_dir and isinstance(name, str) and tablefile.is_table_file_name(name)
                and type(count) is int
                and isinstance(columns, list) and all(isinstance(c, str) for c in columns)):
            return None
        title = table.get("title")
        return {"title": title if isinstance(title, str) else None, "columns": columns,
                "row_count": count, "file": str(tablefile.table_file_path(self.output_dir, name))}

    def _result(self, value: Any) -> Any:
        """The child's `result`; a reference to a table file only inside this run's folder."""
        reference = tablefile.result_table(value)
        if reference is None:
            return value
        table = self._spilled_table(reference)
        return None if table is None else {tablefile.RESULT_KEY: table}

    def measure_outputs(self) -> None:
        """Check the output folder against the quota; past it, the run is stopped."""
        self.next_measure = time.monotonic() + MEASURE_EVERY_S
        if not self.output_dir or self.quota_error:
            return
        usage = run_outputs.measure(self.output_dir, self.quota.max_files, self.pid)
        error = self.quota.exceeded(usage)
        threads = _thread_count(self.pid)
        if threads > MAX_THREADS:
            error = (f"The run started {threads:,} threads, more than the {MAX_THREADS:,} a run "
                     "may have, and was stopped.")
        if error:
            self.quota_error = error
            self.kill("quota")

    def kill(self, reason: str) -> None:
        if self.exit_status is None and self.stop_reason is None:
            self.stop_reason = reason
            self.kill_quietly()

    def kill_quietly(self) -> None:
        """SIGKILL the run's whole process group (the child and anything it started)."""
        _kill_group(self.pid)

    def poll_exit(self) -> bool:
        """Whether the child has ended (or stopped: see below), as the template reported."""
        if self.exit_status is None:
            status = self.child.status()
            if status is None and not self.child.template.alive:
                self.lost = True
                status = signal.SIGKILL  # it died with the template (PR_SET_PDEATHSIG)
            if status is None:
                return False
            self.kill_quietly()  # nothing of the run outlives it
            if os.WIFSTOPPED(status):
                # The runner's way to say EXIT_REPORTED without waiting for the teardown
                # (worker.child.run_child); a script able to stop itself could as well exit 0.
                status = EXIT_REPORTED << 8
            self.exit_status = status
            self.child.template.forget(self.pid)
        return True

    def finished(self) -> bool:
        """Over once the child has exited (its pipes drained), or at once once the worker
        killed it: then the pipes are not waited for, whatever still holds them."""
        if self.stop_reason is not None:
            self._drain(rounds=1)  # killed: what it had written last, not a flood
            self._close_pipes()
            self.child.template.forget(self.pid)  # the template reaps it
            return True
        if not self.poll_exit():
            return False
        self._drain()
        self._close_pipes()
        return True

    def _drain(self, rounds: int = 1024) -> None:
        """Read what the run's pipes already hold, without waiting for more."""
        for _ in range(rounds):
            before = (self.output_bytes + self.dropped_bytes, self.event_bytes)
            if self.out_open:
                self._read_output()
            if self.events_open:
                self._read_events()
            if not (self.out_open or self.events_open) or \
                    before == (self.output_bytes + self.dropped_bytes, self.event_bytes):
                return

    def _close_pipes(self) -> None:
        if self.out_open:
            tail = self._text.decode(b"", final=True)
            if tail:
                self.send({"id": self.request_id, "event": "output", "data": tail})
        self.out_open = self.events_open = False
        self.child.close()

    def outcome(self, memory_mb: float | None) -> dict[str, Any]:
        """The final reply: status decided here, from what the worker saw, not what it was told."""
        done = self.done or {}
        found: list[str] = []
        if self.output_dir:  # one walk: the quota at the end, and the run's files
            usage = run_outputs.measure(os.path.realpath(self.output_dir), self.quota.max_files,
                                        found=found)
            self.quota_error = self.quota_error or self.quota.exceeded(usage)
        code = _exit_code(self.exit_status)
        status, error = "error", None
        if self.stop_reason == "timeout":
            status, error = "timeout", f"The script ran longer than the time limit ({self.timeout_s:g} s) and was stopped."
        elif self.stop_reason == "cancelled":
            status, error = "cancelled", "The run was cancelled."
        elif self.quota_error:
            error = self.quota_error
        elif self.lost:
            error = ("The run's process was lost when the worker's run process ended (out of "
                     "memory, or stopped from outside). Run it again.")
        elif self.refusals or code == EXIT_REFUSED:
            error = self.refusals[0] if self.refusals else (
                "The sandbox refused something the script attempted, and the script kept the "
                "refusal's message from reaching the worker.")
        elif code == EXIT_REPORTED and done.get("status") == "success":
            status = "success"
        elif code is not None and code != EXIT_REPORTED and done.get("status") == "error":
            error = str(done.get("error") or "The script failed.")
        else:
            error = _describe_exit(self.exit_status, memory_mb, self.timeout_s)
        if self.dropped_bytes:
            note = (f"\n[output capped at {_size(self.output_cap)}: "
                    f"{_size(self.dropped_bytes)} more were not kept]\n")
            self.send({"id": self.request_id, "event": "output", "data": note})
        scripted = status == "error" and not self.refusals and error == done.get("error")
        outputs = run_outputs.ordered(found, self.reported_outputs, self.quota.max_files)
        return run_reply(
            self.request_id, status, error,
            traceback=done.get("traceback") if scripted else None,
            error_line=done.get("error_line") if status == "error" else None,
            result=self._result(done.get("result")) if status == "success" else None,
            tables=self.tables, charts=self.charts, highlights=self.highlights, colors=self.colors,
            outputs=outputs, output_truncated=bool(self.dropped_bytes), refusals=self.refusals,
            duration_s=round(time.monotonic() - self.started, 4))


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether lists and dicts nest more than `limit` levels in `value` (no recursion)."""
    pending = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, (list, dict)):
            if depth >= limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children
                           if isinstance(child, (list, dict)))
    return False


def _exit_code(status: int | None) -> int | None:
    """The child's exit code, or None when it was killed by a signal (or is unknown)."""
    if status is None or not os.WIFEXITED(status):
        return None
    return os.WEXITSTATUS(status)


def _describe_exit(status: int | None, memory_mb: float | None, timeout_s: float | None) -> str:
    if status is None:
        return "The run ended without a result."
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGSEGV:
            return ("The script crashed the run process (segmentation fault), usually by calling "
                    "into IfcOpenShell or numpy with something they cannot handle.")
        if sig == signal.SIGXCPU:
            return f"The script used more CPU time than the time limit ({timeout_s:g} s) allows."
        if sig == signal.SIGKILL:
            limit = f" ({int(memory_mb)} MB)" if memory_mb else ""
            return f"The run process was killed by the system, most likely for using too much memory{limit}."
        return f"The script crashed the run process ({signal.Signals(sig).name})."
    code = os.WEXITSTATUS(status)
    if code == EXIT_REPORTED:
        return "The run process ended without reporting a result."
    return f"The script ended the run process (exit code {code}) before it finished."


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB" if n >= 1024 * 1024 else f"{n} bytes"


def _close(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass


def _thread_count(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"Threads:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
