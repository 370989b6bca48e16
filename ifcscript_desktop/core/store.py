"""The local SQLite store: every script, revision, draft, run and workflow the user has.

The window and the command share one file, so it is opened in WAL mode with a busy timeout and
every write transaction starts with ``BEGIN IMMEDIATE`` (a deferred transaction that later
writes can fail at once with "database is locked" instead of waiting).

The models bind to a ``DatabaseProxy``: :func:`open_store` points it at the file just opened.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import StrEnum
from pathlib import Path
from typing import Any

import peewee

from ifcscript_desktop.core.migrations import MIGRATIONS, SCHEMA_VERSION
from ifcscript_desktop.core.storeerrors import BUSY_TIMEOUT_S, StoreError, store_errors

log = logging.getLogger(__name__)

DB_FILENAME = "ifcscript.sqlite3"
database_proxy = peewee.DatabaseProxy()


class RunStatus(StrEnum):
    """Status of a script run (and of a workflow run)."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    ERROR = "error"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"


ACTIVE_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)
FINISHED_STATUSES = tuple(s for s in RunStatus if s not in ACTIVE_STATUSES)
INTERRUPTED_MESSAGE = "The run was interrupted: the program running it stopped before it finished."


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (how every timestamp is stored)."""
    return datetime.now(timezone.utc)


# -- fields ---------------------------------------------------------------------------------------


class JSONField(peewee.Field):
    """Any JSON-able value, stored as JSON text."""

    field_type = "TEXT"

    def db_value(self, value: Any) -> str | None:
        if value is None:
            return None
        # default=str: a stray Path or date in parameters must not stop a run being recorded.
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)

    def python_value(self, value: Any) -> Any:
        if value is None:
            return None
        return json.loads(value)


class TimestampField(peewee.Field):
    """A timezone-aware datetime, stored as ISO 8601 text in UTC (sorts as text)."""

    field_type = "TEXT"

    def db_value(self, value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None:
            raise TypeError("timestamps must be timezone-aware")
        return value.astimezone(timezone.utc).isoformat(timespec="microseconds")

    def python_value(self, value: Any) -> datetime | None:
        if value is None:
            return None
        return datetime.fromisoformat(value)


# -- models ---------------------------------------------------------------------------------------


class BaseModel(peewee.Model):
    class Meta:
        database = database_proxy
        legacy_table_names = False


class Script(BaseModel):
    """A script in the library; ``parameters`` is derived from the code's metadata block."""

    id = peewee.AutoField()
    name = peewee.TextField(unique=True)
    description = peewee.TextField(default="")
    category = peewee.TextField(default="")
    code = peewee.TextField()
    parameters = JSONField(default=list)
    is_builtin = peewee.BooleanField(default=False)
    created_at = TimestampField(default=utcnow)
    updated_at = TimestampField(default=utcnow)


class ScriptRevision(BaseModel):
    """One saved version of a script's code, numbered 1, 2, 3 per script."""

    id = peewee.AutoField()
    script = peewee.ForeignKeyField(Script, backref="revisions", on_delete="CASCADE")
    number = peewee.IntegerField()
    code = peewee.TextField()
    created_at = TimestampField(default=utcnow)

    class Meta:
        indexes = ((("script", "number"), True),)


class Draft(BaseModel):
    """Unsaved editor text, autosaved; ``key`` is ``script:<id>`` or a name the editor chose."""

    id = peewee.AutoField()
    key = peewee.TextField(unique=True)
    script = peewee.ForeignKeyField(Script, null=True, backref="drafts", on_delete="CASCADE")
    text = peewee.TextField()
    updated_at = TimestampField(default=utcnow)


class AutomationWorkflow(BaseModel):
    """Scripts chained in order; ``steps`` is a list of ``{name, script, params}``."""

    id = peewee.AutoField()
    name = peewee.TextField(unique=True)
    description = peewee.TextField(default="")
    steps = JSONField(default=list)
    trigger = JSONField(null=True)
    enabled = peewee.BooleanField(default=True)
    stop_on_error = peewee.BooleanField(default=True)
    created_at = TimestampField(default=utcnow)
    updated_at = TimestampField(default=utcnow)


class WorkflowExecution(BaseModel):
    """One run of a workflow on one model; ``report`` holds the step runs."""

    id = peewee.AutoField()
    # Nullable so the history survives deleting the workflow; the name is kept for display.
    workflow = peewee.ForeignKeyField(
        AutomationWorkflow, null=True, backref="executions", on_delete="SET NULL"
    )
    workflow_name = peewee.TextField()
    model_path = peewee.TextField()
    trigger = peewee.TextField(default="manual")
    status = peewee.TextField(default=RunStatus.QUEUED, index=True)
    started_at = TimestampField(null=True)
    finished_at = TimestampField(null=True)
    report = JSONField(null=True)
    #: When retention removed the report folder the app made for this run (see core.runs).
    outputs_removed_at = TimestampField(null=True)
    # The process that records the row owns it (see mark_interrupted_runs).
    owner_pid = peewee.IntegerField(null=True, default=os.getpid)
    owner_boot_id = peewee.TextField(null=True, default=lambda: current_boot_id())
    owner_started = peewee.BigIntegerField(null=True, default=lambda: _own_start_ticks())


class ScriptExecution(BaseModel):
    """One run of a script on one model, recorded whatever started it."""

    id = peewee.AutoField()
    # Nullable so the history survives deleting the script; name and exact code are kept.
    script = peewee.ForeignKeyField(Script, null=True, backref="executions", on_delete="SET NULL")
    script_name = peewee.TextField()
    script_path = peewee.TextField(null=True)
    code = peewee.TextField()
    model_path = peewee.TextField(index=True)
    model_sha256 = peewee.TextField(null=True)
    model_schema = peewee.TextField(null=True)
    parameters = JSONField(default=dict)
    status = peewee.TextField(default=RunStatus.QUEUED, index=True)
    queued_at = TimestampField(default=utcnow)
    started_at = TimestampField(null=True)
    finished_at = TimestampField(null=True)
    duration_s = peewee.FloatField(null=True)
    output = peewee.TextField(default="")
    output_truncated = peewee.BooleanField(default=False)
    error = peewee.TextField(null=True)
    traceback = peewee.TextField(null=True)
    result = JSONField(null=True)
    tables = JSONField(null=True)
    charts = JSONField(null=True)
    highlights = JSONField(null=True)
    #: The run's `color_by` calls (`core.colors` records), in order.
    colors = JSONField(null=True)
    outputs = JSONField(default=list)
    output_dir = peewee.TextField(null=True)
    workflow_execution = peewee.ForeignKeyField(
        WorkflowExecution, null=True, backref="step_runs", on_delete="SET NULL"
    )
    owner_pid = peewee.IntegerField(null=True, default=os.getpid)
    owner_boot_id = peewee.TextField(null=True, default=lambda: current_boot_id())
    # Start time of the owner process (clock ticks since boot) so a reused pid is not the owner.
    owner_started = peewee.BigIntegerField(null=True, default=lambda: _own_start_ticks())
    source = peewee.TextField(default="gui")
    #: The user pinned the run: retention never removes its output files.
    kept = peewee.BooleanField(default=False)
    #: When retention removed the run's output folder (the record itself stays).
    outputs_removed_at = TimestampField(null=True)
    #: "PASS", "FAIL" or "WARN" the script's `result["status"]` declared (`core.verdict`), or
    #: None; a label beside `status`, never a status itself.
    verdict = peewee.TextField(null=True, index=True)
    #: The counts behind the verdict ("13 failed"), or None.
    verdict_detail = peewee.TextField(null=True)


class Setting(BaseModel):
    """A setting shared by the window and the command; see :mod:`.settings`."""

    key = peewee.TextField(primary_key=True)
    value = JSONField(null=True)


MODELS: tuple[type[BaseModel], ...] = (
    Script,
    ScriptRevision,
    Draft,
    AutomationWorkflow,
    WorkflowExecution,
    ScriptExecution,
    Setting,
)


def _migrate(db: peewee.SqliteDatabase, db_path: Path) -> None:
    """Bring the schema to :data:`SCHEMA_VERSION`; safe when two processes open at once."""
    if db.user_version == SCHEMA_VERSION:
        return
    # IMMEDIATE (the database's lock type) takes the write lock first, so a second process
    # waits here and then sees the version the first one reached.
    with db.atomic():
        version = db.user_version
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"The database {db_path} was written by a newer version of IFC Script Desktop"
                f" (schema {version}, this version knows up to {SCHEMA_VERSION}). Update the"
                " application or choose another data folder."
            )
        for number in range(version + 1, SCHEMA_VERSION + 1):
            log.info("Migrating %s to schema version %d", db_path, number)
            MIGRATIONS[number - 1](db)
            db.execute_sql(f"PRAGMA user_version = {number:d}")


# -- process identity (who owns a run) ------------------------------------------------------------


def current_boot_id() -> str:
    """An id of the running system boot; empty where the platform has none we can read."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def process_start_ticks(pid: int) -> int | None:
    """When process ``pid`` started, in clock ticks since boot (Linux), else None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    fields = stat[stat.rindex(")") + 2:].split()
    return int(fields[19])  # field 22 of proc_pid_stat(5); fields[0] is field 3


def _own_start_ticks() -> int | None:
    return process_start_ticks(os.getpid())


def pid_exists(pid: int) -> bool:
    """Whether a process with this id exists now (zombies count as existing)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":
        return _windows_pid_exists(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists but belongs to another user
    return True


def _windows_pid_exists(pid: int) -> bool:
    # os.kill(pid, 0) would terminate the process on Windows.
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return False
    try:
        code = ctypes.c_ulong()
        kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        return code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


@dataclass(frozen=True)
class Owner:
    """The process that owns a run: pid, boot id and start time."""

    pid: int
    boot_id: str
    started: int | None

    @classmethod
    def current(cls) -> Owner:
        pid = os.getpid()
        return cls(pid, current_boot_id(), process_start_ticks(pid))

    def is_alive(self) -> bool:
        """Whether this exact process is still running (a reused pid is not it)."""
        if self.boot_id != current_boot_id() or not pid_exists(self.pid):
            return False
        if self.started is not None:
            started = process_start_ticks(self.pid)
            if started is not None and started != self.started:
                return False
        return True


def mark_interrupted_runs(store: Store) -> int:
    """Mark queued or running runs whose owner process is gone as ``interrupted``.

    A run owned by a live process, this one or another, is never touched. Returns how many
    script runs were marked. :class:`StoreError` when the database cannot be read or written.
    """
    store.activate()
    with store_errors("The history database could not be checked for interrupted runs"):
        runs = _interrupt_orphans(store, ScriptExecution, error=INTERRUPTED_MESSAGE)
        workflows = _interrupt_orphans(store, WorkflowExecution)
    if runs or workflows:
        log.info("Marked %d script run(s), %d workflow run(s) as interrupted", runs, workflows)
    return runs


def _interrupt_orphans(
    store: Store, model: type[ScriptExecution] | type[WorkflowExecution], **extra: Any
) -> int:
    active = model.status.in_(list(ACTIVE_STATUSES))
    rows = model.select(model.id, model.owner_pid, model.owner_boot_id, model.owner_started)
    orphans = [
        row.id
        for row in rows.where(active)
        # A row without an owner (written by hand) cannot be judged: it is left alone.
        if row.owner_pid is not None
        and not Owner(row.owner_pid, row.owner_boot_id or "", row.owner_started).is_alive()
    ]
    if not orphans:
        return 0
    values = {"status": RunStatus.INTERRUPTED, "finished_at": utcnow(), **extra}
    with store.db.atomic():
        # "active" again: the owner may have finished the run since it was read.
        return int(model.update(**values).where(model.id.in_(orphans), active).execute())


# -- the store ------------------------------------------------------------------------------------


class Store:
    """An open store: the SQLite file and the folder runs write their outputs to."""

    def __init__(self, data_dir: Path, db: peewee.SqliteDatabase) -> None:
        self.data_dir = data_dir
        self.db_path = data_dir / DB_FILENAME
        self.runs_dir = data_dir / "runs"
        self.db = db

    def activate(self) -> None:
        """Point the models at this store (the last one opened is active by default)."""
        if database_proxy.obj is not self.db:
            database_proxy.initialize(self.db)

    def data_version(self) -> int:
        """A number that changes whenever another connection commits (cheap to poll)."""
        with store_errors("The history database could not be checked for new runs"):
            return int(self.db.data_version)

    def close(self) -> None:
        """Close this thread's connection to the file."""
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({str(self.db_path)!r})"


def _use_wal(db: peewee.SqliteDatabase) -> None:
    """Switch the file to WAL (kept in the file: later connections find it so).

    Several processes opening a fresh folder at once (the window and a workflow's `ifcscript
    run`s) race for the switch: SQLite may answer "database is locked" at once, without waiting
    out the busy timeout (it does so rather than risk a deadlock between two lock upgrades). So
    the switch is tried again until the busy timeout has passed (1 open in 80 failed when eight
    processes started together)."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            db.execute_sql("PRAGMA journal_mode = wal")
            return
        except peewee.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)  # a back-off between tries, not a wait for another thread


def open_store(data_dir: Path) -> Store:
    """Open (creating or migrating as needed) the store in ``data_dir``.

    Runs left ``queued`` or ``running`` by a process that is gone are marked ``interrupted``.
    """
    data_dir = Path(data_dir)
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        (data_dir / "runs").mkdir(exist_ok=True)
    except OSError as exc:
        raise StoreError(f"The data folder {data_dir} cannot be created: {exc.strerror}.") from exc
    db_path = data_dir / DB_FILENAME
    db = peewee.SqliteDatabase(
        str(db_path),
        timeout=BUSY_TIMEOUT_S,
        lock_type="IMMEDIATE",
        pragmas=[  # journal_mode is set once connected (`_use_wal`)
            ("busy_timeout", BUSY_TIMEOUT_S * 1000),
            ("foreign_keys", 1),
            # Safe with WAL (no corruption on power loss, at worst the last commit is lost).
            ("synchronous", "normal"),
        ],
    )
    store = Store(data_dir, db)
    try:
        db.connect()
        _use_wal(db)
        _migrate(db, db_path)
        store.activate()
        mark_interrupted_runs(store)
    except (peewee.DatabaseError, StoreError) as exc:
        db.close()
        # mark_interrupted_runs says "database error" as a StoreError: a damaged file all the same.
        damaged = exc.__cause__ if isinstance(exc, StoreError) else exc
        if not isinstance(damaged, peewee.DatabaseError):
            raise
        raise StoreError(
            f"The database {db_path} cannot be opened: {damaged}. If the file is damaged, move it"
            " away and the application will start with an empty history."
        ) from damaged
    except BaseException:
        db.close()
        raise
    return store
