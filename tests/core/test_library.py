"""The script library: revisions, drafts, built-ins, .py files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ifcscript_desktop.core import library
from ifcscript_desktop.core.library import (
    ScriptNameError,
    ScriptNotFoundError,
    clear_draft,
    delete_script,
    ensure_builtins,
    export_script_file,
    get_draft,
    get_script,
    import_script_file,
    list_drafts,
    list_revisions,
    list_scripts,
    load_builtins,
    rename_script,
    require_script,
    save_draft,
    save_script,
)
from ifcscript_desktop.core.scriptfile import ScriptFileError, parse_script
from ifcscript_desktop.core.store import Script, ScriptRevision, Store, open_store

REPO = Path(__file__).resolve().parents[2]


def script_code(name: str, body: str = "print(len(model.by_type(params['query'])))",
                category: str = "Quality", default: str = "IfcWall") -> str:
    return (
        "# /// ifcscript\n"
        f'# name = "{name}"\n'
        '# description = "Counts elements of a class"\n'
        f'# category = "{category}"\n'
        "#\n"
        "# [[parameters]]\n"
        '# name = "query"\n'
        '# type = "ifc_class"\n'
        f'# default = "{default}"\n'
        "# ///\n"
        f"{body}\n"
    )


@pytest.fixture
def store(data_dir: Path) -> Iterator[Store]:
    opened = open_store(data_dir)
    yield opened
    opened.close()


@pytest.fixture
def builtins_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "builtin_scripts"
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    (folder / "_helpers.py").write_text("# not a script\n")
    (folder / "notes.txt").write_text("not a script either\n")
    (folder / "count_walls.py").write_text(script_code("Count Walls"))
    (folder / "count_slabs.py").write_text(script_code("Count Slabs", default="IfcSlab"))
    return folder


def draft_text(store: Store, target: Script | str) -> str | None:
    draft = get_draft(store, target)
    return draft.text if draft is not None else None


def revision_codes(script: Script) -> list[tuple[int, str]]:
    return [(r.number, r.code) for r in list_revisions(script)]


# -- saving and revisions -------------------------------------------------------------------------


def test_every_code_change_is_a_numbered_revision(store: Store) -> None:
    v1, v2 = script_code("Count"), script_code("Count", body="print('changed')")
    script, changed = save_script(store, "Count", v1)
    assert changed and revision_codes(script) == [(1, v1)]
    script, changed = save_script(store, "Count", v1)
    assert not changed and revision_codes(script) == [(1, v1)]
    script, changed = save_script(store, "Count", v2)
    assert changed and revision_codes(script) == [(1, v1), (2, v2)]
    assert require_script(store, "Count").code == v2


def test_parameters_description_and_category_come_from_the_metadata_block(store: Store) -> None:
    script, _ = save_script(store, "Count", script_code("Count", default="IfcSlab"))
    assert script.description == "Counts elements of a class"
    assert script.category == "Quality"
    assert [(p["name"], p["type"], p["default"]) for p in script.parameters] == [
        ("query", "ifc_class", "IfcSlab")
    ]
    save_script(store, "Count", script_code("Count", default="IfcDoor"))
    assert require_script(store, "Count").parameters[0]["default"] == "IfcDoor"


def test_a_script_without_a_metadata_block_is_saved_without_parameters(store: Store) -> None:
    script, _ = save_script(store, "Quick look", "print(model.schema)\n")
    assert script.parameters == [] and script.name == "Quick look"


def test_a_broken_metadata_block_is_refused_naming_the_line(store: Store) -> None:
    broken = script_code("Count").replace('# type = "ifc_class"', '# type = "colour"')
    with pytest.raises(ScriptFileError, match="line 8"):
        save_script(store, "Count", broken)
    assert get_script(store, "Count") is None


def test_names_must_be_given(store: Store) -> None:
    with pytest.raises(ScriptNameError, match="needs a name"):
        save_script(store, "   ", "print(1)")


def test_scripts_are_listed_by_category_then_name(store: Store) -> None:
    save_script(store, "b check", script_code("b check", category="Quality"))
    save_script(store, "Export", script_code("Export", category="Export"))
    save_script(store, "A check", script_code("A check", category="Quality"))
    assert [s.name for s in list_scripts(store)] == ["Export", "A check", "b check"]


def test_deleting_a_script_removes_its_revisions(store: Store) -> None:
    script, _ = save_script(store, "Count", script_code("Count"))
    delete_script(store, "Count")
    assert get_script(store, "Count") is None
    assert ScriptRevision.select().where(ScriptRevision.script == script.id).count() == 0
    with pytest.raises(ScriptNotFoundError, match="no stored script named 'Count'"):
        delete_script(store, "Count")


def test_renaming_updates_the_metadata_block_as_a_new_revision(store: Store) -> None:
    save_script(store, "Count", script_code("Count"))
    renamed = rename_script(store, "Count", "Count walls")
    assert get_script(store, "Count") is None
    assert renamed.name == "Count walls"
    assert '# name = "Count walls"' in renamed.code
    assert [n for n, _ in revision_codes(renamed)] == [1, 2]
    assert renamed.parameters[0]["name"] == "query"


def test_renaming_onto_another_script_is_refused(store: Store) -> None:
    save_script(store, "A", script_code("A"))
    save_script(store, "B", script_code("B"))
    with pytest.raises(ScriptNameError, match="'B' already exists"):
        rename_script(store, "A", "B")
    assert require_script(store, "A").code == script_code("A")


# -- drafts ---------------------------------------------------------------------------------------


def test_drafts_keep_unsaved_text_until_cleared(store: Store) -> None:
    script, _ = save_script(store, "Count", script_code("Count"))
    save_draft(store, script, "print('half written')")
    save_draft(store, "untitled-1", "print('new script')")
    save_draft(store, script, "print('half written, more')")
    assert draft_text(store, script) == "print('half written, more')"
    assert draft_text(store, "untitled-1") == "print('new script')"
    assert len(list_drafts(store)) == 2
    clear_draft(store, script)
    assert get_draft(store, script) is None
    assert get_draft(store, "untitled-1") is not None


def test_drafts_survive_closing_the_store(store: Store) -> None:
    save_draft(store, "untitled-1", "print('unsaved')")
    store.close()
    again = open_store(store.data_dir)
    try:
        assert draft_text(again, "untitled-1") == "print('unsaved')"
    finally:
        again.close()


def test_saving_the_drafted_text_retires_the_draft(store: Store) -> None:
    script, _ = save_script(store, "Count", script_code("Count"))
    edited = script_code("Count", body="print('edited')")
    save_draft(store, script, edited)
    save_script(store, "Count", edited)
    assert get_draft(store, script) is None


# -- built-ins ------------------------------------------------------------------------------------


def test_loading_builtins_reports_created_then_unchanged(
    store: Store, builtins_folder: Path
) -> None:
    assert load_builtins(store, builtins_folder) == [
        ("Count Slabs", "Created"), ("Count Walls", "Created"),
    ]
    assert load_builtins(store, builtins_folder) == [
        ("Count Slabs", "Unchanged"), ("Count Walls", "Unchanged"),
    ]
    walls = get_script(store, "Count Walls")
    assert walls is not None and walls.is_builtin and len(list_revisions(walls)) == 1
    assert {s.name for s in list_scripts(store)} == {"Count Slabs", "Count Walls"}


def test_a_changed_builtin_file_updates_the_stored_script(
    store: Store, builtins_folder: Path
) -> None:
    load_builtins(store, builtins_folder)
    new_code = script_code("Count Walls", body="print('v2')")
    (builtins_folder / "count_walls.py").write_text(new_code)
    assert dict(load_builtins(store, builtins_folder)) == {
        "Count Slabs": "Unchanged", "Count Walls": "Updated",
    }
    walls = get_script(store, "Count Walls")
    assert walls is not None and walls.code == new_code
    assert [n for n, _ in revision_codes(walls)] == [1, 2]


def test_a_users_script_with_a_builtin_name_is_never_overwritten(
    store: Store, builtins_folder: Path
) -> None:
    mine = script_code("Count Walls", body="print('my own version')")
    save_script(store, "Count Walls", mine)
    assert dict(load_builtins(store, builtins_folder))["Count Walls"] == "Skipped"
    assert require_script(store, "Count Walls").code == mine


def test_editing_a_builtin_makes_it_the_users_and_keeps_the_edit(
    store: Store, builtins_folder: Path
) -> None:
    load_builtins(store, builtins_folder)
    edited = script_code("Count Walls", body="print('tuned by me')")
    script, changed = save_script(store, "Count Walls", edited)
    assert changed and not script.is_builtin
    assert dict(load_builtins(store, builtins_folder))["Count Walls"] == "Skipped"
    assert require_script(store, "Count Walls").code == edited


def test_saving_a_builtin_unchanged_keeps_it_a_builtin(
    store: Store, builtins_folder: Path
) -> None:
    load_builtins(store, builtins_folder)
    walls = get_script(store, "Count Walls")
    assert walls is not None
    _, changed = save_script(store, "Count Walls", walls.code)
    assert not changed
    assert require_script(store, "Count Walls").is_builtin


def test_a_fresh_store_gets_the_builtins_once(store: Store, builtins_folder: Path) -> None:
    assert len(ensure_builtins(store, builtins_folder)) == 2
    delete_script(store, "Count Slabs")
    # Same built-ins as last time: nothing loaded, so the user's deletion stands.
    assert ensure_builtins(store, builtins_folder) == []
    assert get_script(store, "Count Slabs") is None


def test_a_new_set_of_builtins_is_loaded_by_ensure(store: Store, builtins_folder: Path) -> None:
    ensure_builtins(store, builtins_folder)
    (builtins_folder / "count_doors.py").write_text(script_code("Count Doors", default="IfcDoor"))
    assert dict(ensure_builtins(store, builtins_folder))["Count Doors"] == "Created"


def test_a_broken_builtin_file_is_named(store: Store, builtins_folder: Path) -> None:
    (builtins_folder / "broken.py").write_text("# /// ifcscript\n# name = \n# ///\n")
    with pytest.raises(library.StoreError, match="broken.py is broken"):
        load_builtins(store, builtins_folder)
    assert list_scripts(store) == []


def test_the_shipped_builtins_all_load(store: Store) -> None:
    shipped = sorted(
        p for p in (REPO / "builtin_scripts").glob("*.py") if not p.name.startswith("_")
    )
    report = load_builtins(store)
    assert len(report) == len(shipped)
    assert {status for _, status in report} <= {"Created"}


# -- .py files ------------------------------------------------------------------------------------


def test_export_then_import_round_trips_a_script(store: Store, tmp_path: Path) -> None:
    code = script_code("Count walls")
    save_script(store, "Count walls", code)
    exported = export_script_file(store, "Count walls", tmp_path / "count.py")
    assert exported.read_bytes() == code.encode()

    other = open_store(tmp_path / "other-data")
    try:
        imported = import_script_file(other, exported)
        assert (imported.name, imported.code) == ("Count walls", code)
        assert imported.parameters == require_script(other, "Count walls").parameters
        assert imported.category == "Quality"
    finally:
        other.close()


def test_a_renamed_script_round_trips_under_its_new_name(store: Store, tmp_path: Path) -> None:
    save_script(store, "Count", script_code("Count"))
    rename_script(store, "Count", "Count walls")
    path = export_script_file(store, "Count walls", tmp_path / "anything.py")
    delete_script(store, "Count walls")
    assert import_script_file(store, path).name == "Count walls"


def test_a_file_without_a_name_is_named_after_the_file(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "quick_look.py"
    path.write_text("print(model.schema)\n")
    assert import_script_file(store, path).name == "quick_look"


def test_importing_over_a_script_keeps_the_old_code_as_a_revision(
    store: Store, tmp_path: Path
) -> None:
    old, new = script_code("Count"), script_code("Count", body="print('new')")
    save_script(store, "Count", old)
    (tmp_path / "count.py").write_text(new)
    script = import_script_file(store, tmp_path / "count.py")
    assert script.code == new
    assert revision_codes(script) == [(1, old), (2, new)]


def test_import_problems_are_sentences(store: Store, tmp_path: Path) -> None:
    with pytest.raises(library.StoreError, match="does not exist"):
        import_script_file(store, tmp_path / "missing.py")
    bad = tmp_path / "bad.py"
    bad.write_text(script_code("Bad").replace('"ifc_class"', '"colour"'))
    with pytest.raises(library.StoreError, match=r"bad.py cannot be imported: line 8"):
        import_script_file(store, bad)
    with pytest.raises(ScriptNotFoundError):
        export_script_file(store, "Nothing", tmp_path / "nothing.py")


def test_create_and_duplicate_make_scripts_the_user_owns(store: Store) -> None:
    from ifcscript_desktop.core.library import create_script, duplicate_script, unique_name

    created = create_script(store, unique_name(store, "New script"))
    assert created.name == "New script" and not created.is_builtin
    assert parse_script(created.code).name == "New script"
    assert unique_name(store, "New script") == "New script 2"
    copy = duplicate_script(store, "New script", "Copy")
    assert parse_script(copy.code).name == "Copy"  # export + import never lands on the original
    with pytest.raises(ScriptNameError):
        create_script(store, "Copy")
