"""The store's schema versions: each migration takes SQLite `user_version` N-1 to N.

Written in plain SQL, so a migration keeps meaning the same thing when the peewee models change
later (migration 4 reads old results with `core.verdict`, the rule new runs are read by).
Append a function to add a version.
"""

from __future__ import annotations

import json
from typing import Callable

import peewee

from ifcscript_desktop.core.verdict import read_verdict


def _migration_1_create_tables(db: peewee.SqliteDatabase) -> None:
    statements = [
        """CREATE TABLE script (
            id INTEGER NOT NULL PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            description TEXT NOT NULL DEFAULT '',
            category TEXT NOT NULL DEFAULT '',
            code TEXT NOT NULL,
            parameters TEXT NOT NULL DEFAULT '[]',
            is_builtin INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL)""",
        """CREATE TABLE script_revision (
            id INTEGER NOT NULL PRIMARY KEY,
            script_id INTEGER NOT NULL REFERENCES script (id) ON DELETE CASCADE,
            number INTEGER NOT NULL,
            code TEXT NOT NULL,
            created_at TEXT NOT NULL)""",
        "CREATE UNIQUE INDEX script_revision_script_id_number"
        " ON script_revision (script_id, number)",
        """CREATE TABLE draft (
            id INTEGER NOT NULL PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            script_id INTEGER REFERENCES script (id) ON DELETE CASCADE,
            text TEXT NOT NULL,
            updated_at TEXT NOT NULL)""",
        "CREATE INDEX draft_script_id ON draft (script_id)",
        """CREATE TABLE automation_workflow (
            id INTEGER NOT NULL PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            description TEXT NOT NULL DEFAULT '',
            steps TEXT NOT NULL DEFAULT '[]',
            trigger TEXT,
            enabled INTEGER NOT NULL DEFAULT 1,
            stop_on_error INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL)""",
        """CREATE TABLE workflow_execution (
            id INTEGER NOT NULL PRIMARY KEY,
            workflow_id INTEGER REFERENCES automation_workflow (id) ON DELETE SET NULL,
            workflow_name TEXT NOT NULL,
            model_path TEXT NOT NULL,
            trigger TEXT NOT NULL DEFAULT 'manual',
            status TEXT NOT NULL DEFAULT 'queued',
            started_at TEXT,
            finished_at TEXT,
            report TEXT,
            owner_pid INTEGER,
            owner_boot_id TEXT,
            owner_started INTEGER)""",
        "CREATE INDEX workflow_execution_workflow_id ON workflow_execution (workflow_id)",
        "CREATE INDEX workflow_execution_status ON workflow_execution (status)",
        """CREATE TABLE script_execution (
            id INTEGER NOT NULL PRIMARY KEY,
            script_id INTEGER REFERENCES script (id) ON DELETE SET NULL,
            script_name TEXT NOT NULL,
            script_path TEXT,
            code TEXT NOT NULL,
            model_path TEXT NOT NULL,
            model_sha256 TEXT,
            model_schema TEXT,
            parameters TEXT NOT NULL DEFAULT '{}',
            status TEXT NOT NULL DEFAULT 'queued',
            queued_at TEXT NOT NULL,
            started_at TEXT,
            finished_at TEXT,
            duration_s REAL,
            output TEXT NOT NULL DEFAULT '',
            output_truncated INTEGER NOT NULL DEFAULT 0,
            error TEXT,
            traceback TEXT,
            result TEXT,
            tables TEXT,
            charts TEXT,
            highlights TEXT,
            outputs TEXT NOT NULL DEFAULT '[]',
            output_dir TEXT,
            workflow_execution_id INTEGER
                REFERENCES workflow_execution (id) ON DELETE SET NULL,
            owner_pid INTEGER,
            owner_boot_id TEXT,
            owner_started INTEGER,
            source TEXT NOT NULL DEFAULT 'gui')""",
        "CREATE INDEX script_execution_script_id ON script_execution (script_id)",
        "CREATE INDEX script_execution_model_path ON script_execution (model_path)",
        "CREATE INDEX script_execution_status ON script_execution (status)",
        "CREATE INDEX script_execution_workflow_execution_id"
        " ON script_execution (workflow_execution_id)",
        """CREATE TABLE setting (
            key TEXT NOT NULL PRIMARY KEY,
            value TEXT)""",
    ]
    for statement in statements:
        db.execute_sql(statement)


def _migration_2_retention(db: peewee.SqliteDatabase) -> None:
    """Keep (a run retention never prunes) and when retention removed a run's files."""
    for statement in (
        "ALTER TABLE script_execution ADD COLUMN kept INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE script_execution ADD COLUMN outputs_removed_at TEXT",
        "ALTER TABLE workflow_execution ADD COLUMN outputs_removed_at TEXT",
    ):
        db.execute_sql(statement)


def _migration_3_colors(db: peewee.SqliteDatabase) -> None:
    """What a run's `color_by` calls coloured."""
    db.execute_sql("ALTER TABLE script_execution ADD COLUMN colors TEXT")


def _migration_4_verdict(db: peewee.SqliteDatabase) -> None:
    """A check's verdict (PASS/FAIL/WARN) and its counts, beside the run's status.

    Earlier runs get theirs from their stored result, read by the same rule as new runs
    (`core.verdict`), so History tells old failed checks apart too. Only results whose
    "status" is text are decoded (SQLite's JSON functions pick them); without those functions
    the old runs simply have no verdict.
    """
    db.execute_sql("ALTER TABLE script_execution ADD COLUMN verdict TEXT")
    db.execute_sql("ALTER TABLE script_execution ADD COLUMN verdict_detail TEXT")
    db.execute_sql("CREATE INDEX script_execution_verdict ON script_execution (verdict)")
    try:
        # CASE: SQLite does not promise to test json_valid before json_type reads the text.
        ids = [row[0] for row in db.execute_sql(
            "SELECT id FROM script_execution WHERE status = 'success' AND CASE WHEN"
            " json_valid(result) THEN json_type(result, '$.status') END = 'text'").fetchall()]
    except peewee.OperationalError:  # an SQLite built without JSON functions
        return
    for run_id in ids:  # one result in memory at a time: results can be large
        (text,) = db.execute_sql("SELECT result FROM script_execution WHERE id = ?",
                                 (run_id,)).fetchone()
        try:
            verdict = read_verdict(json.loads(text))
        except (ValueError, RecursionError):  # one odd old result must not stop every start
            continue
        if verdict is not None:
            db.execute_sql("UPDATE script_execution SET verdict = ?, verdict_detail = ?"
                           " WHERE id = ?", (verdict.word, verdict.detail, run_id))

Migration = Callable[[peewee.SqliteDatabase], None]
MIGRATIONS: tuple[Migration, ...] = (_migration_1_create_tables, _migration_2_retention,
                                     _migration_3_colors, _migration_4_verdict)
SCHEMA_VERSION = len(MIGRATIONS)


