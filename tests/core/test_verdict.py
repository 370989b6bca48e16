"""A check's verdict beside the run's status: read strictly, recorded, migrated, listed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ifcscript_desktop.core import migrations, runs, store as store_module
from ifcscript_desktop.core.reply import RunReply
from ifcscript_desktop.core.store import MIGRATIONS, ScriptExecution, Store, open_store
from ifcscript_desktop.core.verdict import Verdict, read_verdict


@pytest.fixture
def store(data_dir: Path) -> Iterator[Store]:
    opened = open_store(data_dir)
    yield opened
    opened.close()


def finished(store: Store, result: Any, status: str = "success") -> ScriptExecution:
    run = runs.create_execution(
        store, script=None, script_name="IDS Check", script_path=None, code="result = 1",
        model_path="house.ifc", parameters={}, source="cli")
    runs.finish_execution(run, status=status, duration_s=1.2, result=result)
    return runs.get_execution(store, run.id)


# -- reading a result ----------------------------------------------------------------------------


@pytest.mark.parametrize("declared, word", [("FAIL", "FAIL"), ("pass", "PASS"), ("Warn", "WARN")])
def test_the_three_words_in_any_case_are_a_verdict(declared: str, word: str) -> None:
    assert read_verdict({"status": declared}) == Verdict(word)


@pytest.mark.parametrize("declared", [
    "hacked", "FAILED", " FAIL", "FAIL\n", "", None, 1, True, ["FAIL"], {"FAIL": 1},
    "PAſS",  # a long s upper-cases to S in Python: not one of the three words as written
])
def test_anything_else_is_no_verdict(declared: Any) -> None:
    assert read_verdict({"status": declared, "failed": 3}) is None


@pytest.mark.parametrize("result", [None, "FAIL", ["FAIL"], [{"status": "FAIL"}], 0])
def test_a_result_that_is_not_a_dict_has_no_verdict(result: Any) -> None:
    assert read_verdict(result) is None


def test_a_run_that_did_not_succeed_has_no_verdict_whatever_its_result_says() -> None:
    for status in ("error", "timeout", "cancelled", "interrupted"):
        assert read_verdict({"status": "PASS"}, status) is None


def test_the_detail_tells_the_problem_counts_above_zero() -> None:
    verdict = read_verdict({"status": "FAIL", "failed": 13, "passed": 40, "missing": 0})
    assert verdict == Verdict("FAIL", "13 failed")
    assert verdict.label() == "FAIL: 13 failed"
    guid = read_verdict({"status": "FAIL", "checked": 300, "invalid_format": 1,
                         "duplicate_guids": 2})
    assert guid is not None and guid.detail == "2 duplicate GlobalIds, 1 with a bad GlobalId"


def test_a_clean_check_tells_what_passed_and_a_result_without_counts_has_no_detail() -> None:
    assert read_verdict({"status": "PASS", "failed": 0, "passed": 40}) == Verdict("PASS", "40 passed")
    assert read_verdict({"status": "PASS", "checked": 7}) == Verdict("PASS", "7 checked")
    assert read_verdict({"status": "WARN", "note": "look"}) == Verdict("WARN")


def test_counts_that_are_not_plain_counts_are_left_out() -> None:
    verdict = read_verdict({"status": "FAIL", "failed": True, "missing": -3, "invalid": 10**20,
                            "errors": "13", "warnings": 1.5})
    assert verdict == Verdict("FAIL")


# -- recorded, replied, listed -------------------------------------------------------------------


def test_a_failed_check_is_recorded_as_success_with_its_verdict_in_its_own_column(
        store: Store) -> None:
    run = finished(store, {"status": "fail", "failed": 13})
    assert run.status == "success"
    assert (run.verdict, run.verdict_detail) == ("FAIL", "13 failed")
    reply = RunReply.from_execution(run)
    assert (reply.status, reply.verdict, reply.verdict_label) == ("success", "FAIL", "FAIL: 13 failed")
    line = reply.json_line()
    assert (line["status"], line["verdict"], line["verdict_detail"]) == ("success", "FAIL", "13 failed")
    assert runs.execution_as_dict(run)["verdict"] == "FAIL"


def test_a_declared_word_that_is_not_a_verdict_is_recorded_without_one(store: Store) -> None:
    for declared in ("hacked", 42):
        run = finished(store, {"status": declared, "failed": 13})
        assert (run.status, run.verdict, run.verdict_detail) == ("success", None, None)
        line = RunReply.from_execution(run).json_line()
        assert line["verdict"] is None and line["status"] == "success"


def test_a_run_that_failed_keeps_no_verdict(store: Store) -> None:
    run = finished(store, {"status": "PASS"}, status="error")
    assert (run.status, run.verdict) == ("error", None)


def test_a_hand_edited_verdict_in_the_file_is_not_believed(store: Store) -> None:
    run = finished(store, {"status": "PASS"})
    ScriptExecution.update(verdict="hacked").where(ScriptExecution.id == run.id).execute()
    assert RunReply.from_execution(runs.get_execution(store, run.id)).verdict is None


def test_the_worker_reply_carries_the_verdict_before_it_is_recorded() -> None:
    reply = RunReply.from_message({"status": "success", "result": {"status": "WARN",
                                                                  "below_target": 4}})
    assert (reply.status, reply.verdict, reply.verdict_detail) == ("success", "WARN", "4 below target")
    assert RunReply.from_message({"status": "success", "result": {"status": "hacked"}}).verdict is None


def test_history_lists_runs_of_one_verdict_or_of_none(store: Store) -> None:
    failed = finished(store, {"status": "FAIL", "failed": 2})
    passed = finished(store, {"status": "PASS"})
    plain = finished(store, {"walls": 12})
    assert [r.id for r in runs.list_executions(store, verdict="FAIL", summary=True)] == [failed.id]
    assert [r.id for r in runs.list_executions(store, verdict="PASS")] == [passed.id]
    assert [r.id for r in runs.list_executions(store, verdict=runs.NO_VERDICT)] == [plain.id]
    [summary] = runs.list_executions(store, verdict="FAIL", summary=True)
    assert (summary.verdict, summary.verdict_detail) == ("FAIL", "2 failed")


# -- migration from an older database -------------------------------------------------------------


def test_a_store_of_schema_3_keeps_its_runs_and_old_checks_get_their_verdict(
        data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old_rows = [
        ("success", {"status": "FAIL", "failed": 13, "passed": 40}),
        ("success", {"status": "hacked"}),
        ("error", {"status": "PASS"}),
        ("success", [{"status": "FAIL"}]),
        ("success", None),
    ]
    with monkeypatch.context() as patch:
        patch.setattr(store_module, "MIGRATIONS", MIGRATIONS[:3])
        patch.setattr(store_module, "SCHEMA_VERSION", 3)
        old = open_store(data_dir)
        assert "verdict" not in {c.name for c in old.db.get_columns("script_execution")}
        for status, result in old_rows:
            old.db.execute_sql(
                "INSERT INTO script_execution (script_name, code, model_path, queued_at, status,"
                " result) VALUES ('IDS Check', 'result = 1', '/m/house.ifc',"
                " '2024-01-01T00:00:00+00:00', ?, ?)",
                (status, None if result is None else json.dumps(result)))
        old.db.execute_sql("INSERT INTO script_execution (script_name, code, model_path,"
                           " queued_at, status, result) VALUES ('Broken', 'x', '/m/a.ifc',"
                           " '2024-01-01T00:00:00+00:00', 'success', 'not json')")
        old.close()
    upgraded = open_store(data_dir)
    try:
        assert upgraded.db.user_version == len(MIGRATIONS)
        rows = list(ScriptExecution.select(  # not `result`: the broken row's is not JSON
            ScriptExecution.id, ScriptExecution.status, ScriptExecution.verdict,
            ScriptExecution.verdict_detail).order_by(ScriptExecution.id))
        assert [r.status for r in rows] == [s for s, _ in old_rows] + ["success"]
        assert [(r.verdict, r.verdict_detail) for r in rows] == [
            ("FAIL", "13 failed"), (None, None), (None, None), (None, None), (None, None),
            (None, None)]
        assert [r.id for r in runs.list_executions(upgraded, verdict="FAIL")] == [rows[0].id]
    finally:
        upgraded.close()


def test_an_old_result_the_back_fill_cannot_read_is_skipped_and_the_store_still_opens(
        data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A result Python cannot decode (nested past the recursion limit, say) leaves that run
    without a verdict; it must not stop the migration, or every later start would fail."""
    with monkeypatch.context() as patch:
        patch.setattr(store_module, "MIGRATIONS", MIGRATIONS[:3])
        patch.setattr(store_module, "SCHEMA_VERSION", 3)
        old = open_store(data_dir)
        for label in ("odd", "fine"):
            old.db.execute_sql(
                "INSERT INTO script_execution (script_name, code, model_path, queued_at, status,"
                " result) VALUES (?, 'x', '/m/a.ifc', '2024-01-01T00:00:00+00:00', 'success', ?)",
                (label, json.dumps({"status": "FAIL", "failed": 2, "label": label})))
        old.close()
    real = migrations.read_verdict

    def read(result: Any) -> Any:
        if result.get("label") == "odd":
            raise RecursionError("maximum recursion depth exceeded while decoding")
        return real(result)

    monkeypatch.setattr(migrations, "read_verdict", read)
    upgraded = open_store(data_dir)
    try:
        assert upgraded.db.user_version == len(MIGRATIONS)
        rows = ScriptExecution.select().order_by(ScriptExecution.id)
        assert [(r.script_name, r.verdict) for r in rows] == [("odd", None), ("fine", "FAIL")]
    finally:
        upgraded.close()
