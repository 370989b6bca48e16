"""The SQLite store: schema versions, WAL, shared use by several processes, interrupted runs."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import peewee
import pytest

from ifcscript_desktop.core import runs, store as store_module
from ifcscript_desktop.core.datadir import resolve_data_dir
from ifcscript_desktop.core.store import (
    INTERRUPTED_MESSAGE,
    MIGRATIONS,
    MODELS,
    SCHEMA_VERSION,
    RunStatus,
    ScriptExecution,
    Store,
    StoreError,
    WorkflowExecution,
    current_boot_id,
    open_store,
    process_start_ticks,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def store(data_dir: Path) -> Iterator[Store]:
    opened = open_store(data_dir)
    yield opened
    opened.close()


def child_env() -> dict[str, str]:
    """The environment of a Python child that imports the package from this checkout."""
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}




def new_run(store: Store) -> ScriptExecution:
    return runs.create_execution(
        store, script=None, script_name="Count walls", script_path=None, code="print(1)",
        model_path="house.ifc", parameters={}, source="cli",
    )


def set_owner(run: ScriptExecution, pid: int, boot_id: str, started: int | None) -> None:
    ScriptExecution.update(owner_pid=pid, owner_boot_id=boot_id, owner_started=started).where(
        ScriptExecution.id == run.id
    ).execute()


def reopen(store: Store) -> Store:
    store.close()
    return open_store(store.data_dir)


def status_of(run: ScriptExecution) -> str:
    return ScriptExecution.get_by_id(run.id).status


def dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


# -- creation, schema, reopening ------------------------------------------------------------------


def test_fresh_store_has_current_schema_wal_and_runs_folder(data_dir: Path) -> None:
    store = open_store(data_dir)
    try:
        assert store.db_path == data_dir / "ifcscript.sqlite3"
        assert store.db_path.is_file()
        assert store.runs_dir == data_dir / "runs" and store.runs_dir.is_dir()
        assert SCHEMA_VERSION == len(MIGRATIONS) >= 1
        assert store.db.user_version == SCHEMA_VERSION
        assert store.db.journal_mode == "wal"
        assert store.db.foreign_keys == 1
    finally:
        store.close()
    # The version and WAL are in the file itself, so every other program sees them too.
    with sqlite3.connect(data_dir / "ifcscript.sqlite3") as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_models_match_the_migrated_tables(store: Store) -> None:
    for model in MODELS:
        table = model._meta.table_name
        columns = {c.name: c for c in store.db.get_columns(table)}
        fields = {f.column_name: f for f in model._meta.sorted_fields}
        assert set(columns) == set(fields), table
        for name, field in fields.items():
            nullable = bool(field.null) and not field.primary_key
            assert columns[name].null == nullable, f"{table}.{name}"


def test_reopening_keeps_data_and_runs_no_migration_again(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = new_run(store)
    store.close()

    def must_not_run(db: peewee.SqliteDatabase) -> None:
        raise AssertionError("migration ran again")

    monkeypatch.setattr(store_module, "MIGRATIONS", (must_not_run,) * SCHEMA_VERSION)
    again = open_store(store.data_dir)
    try:
        assert again.db.user_version == SCHEMA_VERSION
        assert ScriptExecution.get_by_id(run.id).script_name == "Count walls"
    finally:
        again.close()


def test_an_appended_migration_upgrades_an_existing_store_once(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = new_run(store)
    store.close()
    calls = []

    def add_note_column(db: peewee.SqliteDatabase) -> None:
        calls.append(1)
        db.execute_sql("ALTER TABLE script_execution ADD COLUMN note TEXT")

    monkeypatch.setattr(store_module, "MIGRATIONS", (*MIGRATIONS, add_note_column))
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    for _ in range(2):
        upgraded = open_store(store.data_dir)
        assert upgraded.db.user_version == SCHEMA_VERSION + 1
        assert "note" in {c.name for c in upgraded.db.get_columns("script_execution")}
        assert ScriptExecution.get_by_id(run.id).script_name == "Count walls"
        upgraded.close()
    assert calls == [1]


def test_a_store_of_schema_1_gains_keep_and_removed_columns_and_keeps_its_runs(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(store_module, "MIGRATIONS", MIGRATIONS[:1])
        patch.setattr(store_module, "SCHEMA_VERSION", 1)
        old = open_store(data_dir)
        old.db.execute_sql(
            "INSERT INTO script_execution (script_name, code, model_path, queued_at, status)"
            " VALUES ('Count walls', 'print(1)', '/m/house.ifc', '2024-01-01T00:00:00+00:00',"
            " 'success')")
        old.close()
    upgraded = open_store(data_dir)
    try:
        assert upgraded.db.user_version == SCHEMA_VERSION
        [run] = ScriptExecution.select()
        assert (run.script_name, run.kept, run.outputs_removed_at) == ("Count walls", False, None)
    finally:
        upgraded.close()


def test_database_errors_while_polling_are_store_errors_with_a_sentence(store: Store) -> None:
    store.db.execute_sql("DROP TABLE script_execution")
    with pytest.raises(StoreError, match="checked for interrupted runs"):
        store_module.mark_interrupted_runs(store)
    store.db.close()
    store.db.init(str(store.data_dir / "missing folder" / "x.sqlite3"))
    with pytest.raises(StoreError, match="checked for new runs"):
        store.data_version()


def test_a_store_from_a_newer_version_is_refused_with_a_sentence(data_dir: Path) -> None:
    open_store(data_dir).close()
    with sqlite3.connect(data_dir / "ifcscript.sqlite3") as raw:
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    with pytest.raises(StoreError, match="newer version of IFC Script Desktop"):
        open_store(data_dir)


def test_a_damaged_database_file_is_reported_not_crashed_on(data_dir: Path) -> None:
    data_dir.mkdir()
    (data_dir / "ifcscript.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot be opened"):
        open_store(data_dir)


def test_data_dir_order_option_then_environment_then_user_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IFCSCRIPT_DATA_DIR", str(tmp_path / "from-env"))
    assert resolve_data_dir(str(tmp_path / "from-option")) == tmp_path / "from-option"
    assert (tmp_path / "from-option").is_dir()
    assert resolve_data_dir(None) == tmp_path / "from-env"
    monkeypatch.delenv("IFCSCRIPT_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert resolve_data_dir(None) == tmp_path / "xdg" / "ifcscript-desktop"


def test_data_dir_that_is_a_file_is_explained(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("")
    with pytest.raises(StoreError, match="a file has that name"):
        resolve_data_dir(str(tmp_path / "taken"))


# -- runs whose owner is gone ---------------------------------------------------------------------


def test_run_of_a_process_that_exited_becomes_interrupted_on_open(store: Store) -> None:
    run = new_run(store)
    runs.mark_running(run)
    set_owner(run, dead_pid(), current_boot_id(), None)
    store = reopen(store)
    try:
        reloaded = ScriptExecution.get_by_id(run.id)
        assert reloaded.status == RunStatus.INTERRUPTED
        assert reloaded.error == INTERRUPTED_MESSAGE
        assert reloaded.finished_at is not None
    finally:
        store.close()


def test_queued_run_of_an_earlier_boot_becomes_interrupted(store: Store) -> None:
    run = new_run(store)
    # Our own pid is alive, but it was another process in the boot the run was recorded in.
    set_owner(run, os.getpid(), "00000000-0000-0000-0000-000000000000", None)
    store = reopen(store)
    try:
        assert status_of(run) == RunStatus.INTERRUPTED
    finally:
        store.close()


@pytest.mark.skipif(process_start_ticks(os.getpid()) is None, reason="needs /proc")
def test_run_whose_pid_was_reused_by_another_process_becomes_interrupted(store: Store) -> None:
    run = new_run(store)
    started = process_start_ticks(os.getpid())
    assert started is not None
    set_owner(run, os.getpid(), current_boot_id(), started - 1)
    store = reopen(store)
    try:
        assert status_of(run) == RunStatus.INTERRUPTED
    finally:
        store.close()


def test_live_run_of_another_process_is_never_touched(store: Store) -> None:
    # A child that lives until its stdin closes: no sleeps, no timing.
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    try:
        run = new_run(store)
        runs.mark_running(run)
        set_owner(run, child.pid, current_boot_id(), process_start_ticks(child.pid))
        store = reopen(store)
        assert status_of(run) == RunStatus.RUNNING
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait()
    store = reopen(store)
    try:
        assert status_of(run) == RunStatus.INTERRUPTED
    finally:
        store.close()


def test_this_process_own_runs_and_finished_runs_stay_as_they_are(store: Store) -> None:
    queued = new_run(store)
    done = new_run(store)
    runs.finish_execution(done, status="success")
    set_owner(done, dead_pid(), current_boot_id(), None)
    # Whoever records a workflow run owns it, without having to say so.
    workflow_run = WorkflowExecution.create(
        workflow_name="Checks", model_path="/m.ifc", status=RunStatus.RUNNING
    )
    again = open_store(store.data_dir)
    try:
        assert status_of(queued) == RunStatus.QUEUED
        assert status_of(done) == RunStatus.SUCCESS
        assert WorkflowExecution.get_by_id(workflow_run.id).status == RunStatus.RUNNING
        assert workflow_run.owner_pid == os.getpid()
    finally:
        again.close()


def test_workflow_run_of_a_process_that_exited_becomes_interrupted(store: Store) -> None:
    workflow_run = WorkflowExecution.create(
        workflow_name="Checks", model_path="/m.ifc", status=RunStatus.RUNNING,
        owner_pid=dead_pid(), owner_boot_id=current_boot_id(),
    )
    store = reopen(store)
    try:
        assert WorkflowExecution.get_by_id(workflow_run.id).status == RunStatus.INTERRUPTED
    finally:
        store.close()


# -- several processes on one file ----------------------------------------------------------------

WRITER = """
    import sys
    from pathlib import Path
    from ifcscript_desktop.core import runs
    from ifcscript_desktop.core.store import open_store
    store = open_store(Path(sys.argv[1]))
    print("ready", flush=True)
    sys.stdin.readline()  # "go": start together with the other writers
    for i in range(int(sys.argv[2])):
        run = runs.create_execution(
            store, script=None, script_name=sys.argv[3], script_path=None, code="pass",
            model_path="m.ifc", parameters={"i": i}, source="cli")
        runs.mark_running(run)
        runs.finish_execution(run, status="success", output="x" * 1000)
    store.close()
"""


def wait_ready(child: subprocess.Popen[str]) -> None:
    assert child.stdout is not None and child.stderr is not None
    assert child.stdout.readline().strip() == "ready", child.stderr.read()


def start_writer(data_dir: Path, count: int, name: str) -> subprocess.Popen[str]:
    """A child that opens the store, says "ready", waits for "go", then records runs."""
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(WRITER), str(data_dir), str(count), name],
        env=child_env(), text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def release(children: list[subprocess.Popen[str]]) -> None:
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()


def finish(children: list[subprocess.Popen[str]]) -> None:
    for child in children:
        _, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        assert "locked" not in err


def test_window_and_command_write_at_the_same_time_without_database_is_locked(
    store: Store,
) -> None:
    count = 150
    child = start_writer(store.data_dir, count, "from the command")
    wait_ready(child)
    release([child])
    for i in range(count):
        run = runs.create_execution(
            store, script=None, script_name="from the window", script_path=None, code="pass",
            model_path="m.ifc", parameters={"i": i}, source="gui",
        )
        runs.mark_running(run)
        runs.finish_execution(run, status="success")
    finish([child])
    assert len(runs.list_executions(store, limit=None, script="from the command")) == count
    assert len(runs.list_executions(store, limit=None, script="from the window")) == count


def test_several_processes_creating_a_fresh_store_at_once(data_dir: Path) -> None:
    # Children open the fresh folder at the same moment: the schema is made exactly once.
    children = [start_writer(data_dir, 20, f"writer {n}") for n in range(4)]
    for child in children:
        wait_ready(child)
    release(children)
    finish(children)
    store = open_store(data_dir)
    try:
        assert store.db.user_version == SCHEMA_VERSION
        assert len(runs.list_executions(store, limit=None)) == 80
    finally:
        store.close()


def test_a_run_added_by_the_command_is_seen_by_an_open_window(store: Store) -> None:
    before = store.data_version()
    child = start_writer(store.data_dir, 1, "from the command")
    wait_ready(child)
    release([child])
    finish([child])
    assert store.data_version() != before
    assert [r.script_name for r in runs.list_executions(store)] == ["from the command"]


def test_the_switch_to_wal_is_tried_again_while_another_process_holds_the_fresh_file() -> None:
    """SQLite may answer "database is locked" to `journal_mode = wal` at once, without the busy
    timeout, when processes open a fresh folder together (the race above, 1 in 80 opens)."""
    from ifcscript_desktop.core.store import _use_wal

    class Racing:
        def __init__(self, locked_times: int, error: str = "database is locked") -> None:
            self.left, self.error, self.calls = locked_times, error, 0

        def execute_sql(self, sql: str) -> None:
            self.calls += 1
            assert sql == "PRAGMA journal_mode = wal"
            if self.left:
                self.left -= 1
                raise peewee.OperationalError(self.error)

    racing = Racing(locked_times=3)
    _use_wal(racing)  # type: ignore[arg-type]
    assert racing.calls == 4
    damaged = Racing(locked_times=1, error="file is not a database")
    with pytest.raises(peewee.OperationalError):  # not a lock: said at once, as before
        _use_wal(damaged)  # type: ignore[arg-type]
    assert damaged.calls == 1
