"""The parameters form: an input per type, typed values, validation, last values restored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from ifcscript_desktop.core.lastparams import last_params, remember_params
from ifcscript_desktop.core.scriptfile import ScriptMeta, parse_script
from ifcscript_desktop.core.store import Store, open_store
from ifcscript_desktop.ui.params import ParamsDialogs, ParamsForm
from ifcscript_desktop.ui.params.form import NO_PARAMETERS

EVERY_TYPE = '''\
# /// ifcscript
# name = "Every type"
# [[parameters]]
# name = "title"
# type = "str"
# default = "Report"
# label = "Title"
# help = "Shown above the table"
# [[parameters]]
# name = "count"
# type = "int"
# default = 10
# min = 1
# max = 100
# label = "How many"
# [[parameters]]
# name = "tolerance"
# type = "float"
# default = 0.25
# min = 0.0
# [[parameters]]
# name = "strict"
# type = "bool"
# default = true
# [[parameters]]
# name = "level"
# type = "choice"
# choices = [100, 200, 300]
# default = 200
# [[parameters]]
# name = "query"
# type = "ifc_class"
# label = "Elements"
# required = true
# [[parameters]]
# name = "ids"
# type = "file"
# [[parameters]]
# name = "others"
# type = "files"
# [[parameters]]
# name = "checks"
# type = "table"
# default = [{pset = "Pset_WallCommon", property = "FireRating"}]
# ///
'''


class Picker:
    """Stands in for the file dialogs and the column-name question."""

    def __init__(self) -> None:
        self.file: str | None = None
        self.files: list[str] = []
        self.text: str | None = None

    def dialogs(self) -> ParamsDialogs:
        return ParamsDialogs(open_file=lambda parent, title, start: self.file,
                             open_files=lambda parent, title, start: self.files,
                             ask_text=lambda parent, title, label, suggested: self.text)


@pytest.fixture
def meta() -> ScriptMeta:
    return parse_script(EVERY_TYPE)


@pytest.fixture
def picker() -> Picker:
    return Picker()


@pytest.fixture
def form(qtbot: QtBot, meta: ScriptMeta, picker: Picker) -> ParamsForm:
    widget = ParamsForm(dialogs=picker.dialogs())
    qtbot.addWidget(widget)
    widget.set_parameters(meta)
    widget.resize(440, 700)
    widget.show()
    return widget


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(tmp_path / "data")
    yield opened
    opened.close()


def editor(form: ParamsForm, name: str) -> QWidget:
    return form.field(name).editor  # type: ignore[attr-defined, no-any-return]


def test_every_type_gets_its_widget_with_the_default(form: ParamsForm) -> None:
    kinds = {"title": QLineEdit, "count": QSpinBox, "tolerance": QDoubleSpinBox,
             "strict": QCheckBox, "level": QComboBox, "query": QLineEdit, "ids": QLineEdit,
             "others": QListWidget, "checks": QTableWidget}
    for name, kind in kinds.items():
        assert isinstance(editor(form, name), kind), name
    count = editor(form, "count")
    assert isinstance(count, QSpinBox)
    assert (count.value(), count.minimum(), count.maximum()) == (10, 1, 100)
    assert editor(form, "title").text() == "Report"  # type: ignore[attr-defined]
    assert editor(form, "tolerance").value() == 0.25  # type: ignore[attr-defined]
    assert editor(form, "strict").isChecked()  # type: ignore[attr-defined]
    assert editor(form, "level").currentText() == "200"  # type: ignore[attr-defined]
    assert editor(form, "query").placeholderText().startswith("IfcWall")  # type: ignore
    assert [b.text() for b in form.field("ids").findChildren(QPushButton)] == ["Browse…"]
    table = editor(form, "checks")
    assert isinstance(table, QTableWidget)
    headers = [table.model().headerData(c, Qt.Orientation.Horizontal)
               for c in range(table.columnCount())]
    assert headers == ["pset", "property"] and table.rowCount() == 1


def test_labels_help_and_required_marks(form: ParamsForm) -> None:
    labels = {label.buddy(): label for label in form.findChildren(QLabel) if label.buddy()}
    assert labels[form.field("title")].text() == "Title"
    assert labels[form.field("tolerance")].text() == "tolerance"  # no label: the name
    assert labels[form.field("title")].toolTip() == "Shown above the table"
    assert form.field("title").toolTip() == "Shown above the table"
    assert labels[form.field("query")].text().startswith("Elements <span")
    assert "*" in labels[form.field("query")].text()
    assert "*" not in labels[form.field("count")].text()


def test_values_are_typed(form: ParamsForm) -> None:
    assert form.values() == {
        "title": "Report", "count": 10, "tolerance": 0.25, "strict": True, "level": 200,
        "query": None, "ids": None, "others": [],
        "checks": [{"pset": "Pset_WallCommon", "property": "FireRating"}],
    }
    values = form.values()
    assert type(values["count"]) is int and type(values["level"]) is int
    assert type(values["tolerance"]) is float


def test_editing_changes_the_values_and_says_so(qtbot: QtBot, form: ParamsForm) -> None:
    with qtbot.waitSignal(form.values_changed):
        editor(form, "count").setValue(42)  # type: ignore[attr-defined]
    editor(form, "level").setCurrentIndex(2)  # type: ignore[attr-defined]
    editor(form, "strict").setChecked(False)  # type: ignore[attr-defined]
    qtbot.keyClicks(editor(form, "query"), "IfcDoor")
    values = form.values()
    assert (values["count"], values["level"], values["strict"], values["query"]) == (
        42, 300, False, "IfcDoor")


def test_an_out_of_range_int_is_named_by_validate_and_shown_by_its_field(
    qtbot: QtBot, meta: ScriptMeta, picker: Picker,
) -> None:
    form = ParamsForm(dialogs=picker.dialogs())
    qtbot.addWidget(form)
    form.set_parameters(meta, {"count": 500, "query": "IfcWall"})
    assert form.values()["count"] == 500  # shown as it is, not clamped to 100
    message = form.validate()
    assert message is not None and '"count"' in message and "at most 100" in message
    assert form.error_text("count").startswith("Expected a whole number")
    assert form.error_text("query") == ""
    editor(form, "count").setValue(50)  # type: ignore[attr-defined]
    assert form.error_text("count") == ""  # gone as soon as the value fits
    assert form.validate() is None


def test_a_missing_required_value_is_named_by_validate(form: ParamsForm) -> None:
    message = form.validate()
    assert message is not None and '"query"' in message and "required" in message
    assert form.error_text("query").startswith("Required")
    editor(form, "query").setText("IfcWall")  # type: ignore[attr-defined]
    assert form.error_text("query") == ""
    assert form.validate() is None


def test_files_are_picked_with_the_dialogs_and_checked(
    form: ParamsForm, picker: Picker, tmp_path: Path,
) -> None:
    ids, a, b = (tmp_path / n for n in ("rules.ids", "a.ifc", "b.ifc"))
    for path in (ids, a, b):
        path.write_text("x")
    picker.file, picker.files = str(ids), [str(a), str(b), str(a)]
    (browse,) = form.field("ids").findChildren(QPushButton)
    browse.click()
    add, remove = form.field("others").findChildren(QPushButton)
    add.click()
    assert form.values()["ids"] == str(ids)
    assert form.values()["others"] == [str(a), str(b)]  # a file is listed once
    editor(form, "query").setText("IfcWall")  # type: ignore[attr-defined]
    assert form.validate() is None
    listing = editor(form, "others")
    assert isinstance(listing, QListWidget)
    listing.setCurrentRow(0)
    remove.click()
    assert form.values()["others"] == [str(b)]
    b.unlink()
    message = form.validate()
    assert message is not None and '"others"' in message and "does not exist" in message


def test_table_rows_and_columns_are_edited_as_a_grid(form: ParamsForm, picker: Picker) -> None:
    field = form.field("checks")
    table = editor(form, "checks")
    assert isinstance(table, QTableWidget)
    add_row, remove_rows, add_column = field.findChildren(QPushButton)
    add_row.click()
    table.setItem(1, 0, QTableWidgetItem("Pset_DoorCommon"))
    table.setItem(1, 1, QTableWidgetItem("IsExternal"))
    picker.text = "value"
    add_column.click()
    table.setItem(1, 2, QTableWidgetItem("TRUE"))
    add_row.click()  # an empty row is not a value
    assert form.values()["checks"] == [
        {"pset": "Pset_WallCommon", "property": "FireRating", "value": ""},
        {"pset": "Pset_DoorCommon", "property": "IsExternal", "value": "TRUE"},
    ]
    table.selectRow(0)
    remove_rows.click()
    assert form.values()["checks"] == [
        {"pset": "Pset_DoorCommon", "property": "IsExternal", "value": "TRUE"}]


def test_numbers_without_a_default_start_not_set(qtbot: QtBot) -> None:
    meta = parse_script('# /// ifcscript\n# name = "n"\n'
                        '# [[parameters]]\n# name = "limit"\n# type = "int"\n'
                        '# [[parameters]]\n# name = "width"\n# type = "float"\n'
                        '# required = true\n'
                        '# [[parameters]]\n# name = "mode"\n# type = "choice"\n'
                        '# choices = ["fast", "exact"]\n# ///\n')
    form = ParamsForm()
    qtbot.addWidget(form)
    form.set_parameters(meta)
    assert form.values() == {"limit": None, "width": None, "mode": None}
    assert editor(form, "limit").text() == "not set"  # type: ignore[attr-defined]
    message = form.validate()
    assert message is not None and '"width"' in message and "required" in message
    editor(form, "limit").setValue(7)  # type: ignore[attr-defined]
    editor(form, "mode").setCurrentIndex(1)  # type: ignore[attr-defined]
    assert form.values()["limit"] == 7 and form.values()["mode"] == "exact"


def test_a_script_without_parameters_says_so(qtbot: QtBot, form: ParamsForm) -> None:
    form.set_parameters(ScriptMeta(name="Plain"))
    assert form.notice.isVisibleTo(form) and form.notice.text() == NO_PARAMETERS
    assert form.values() == {} and form.validate() is None


def test_the_last_values_are_remembered_and_restored(
    qtbot: QtBot, form: ParamsForm, meta: ScriptMeta, store: Store, picker: Picker,
) -> None:
    editor(form, "count").setValue(33)  # type: ignore[attr-defined]
    editor(form, "title").setText("Walls")  # type: ignore[attr-defined]
    editor(form, "level").setCurrentIndex(0)  # type: ignore[attr-defined]
    editor(form, "query").setText("IfcWall, IfcSlab")  # type: ignore[attr-defined]
    editor(form, "strict").setChecked(False)  # type: ignore[attr-defined]
    used = form.values()
    remember_params(store, meta.name, used)

    again = ParamsForm(dialogs=picker.dialogs())
    qtbot.addWidget(again)
    again.set_parameters(meta, last_params(store, meta.name))
    assert again.values() == used
    assert editor(again, "count").value() == 33  # type: ignore[attr-defined]
    assert editor(again, "level").currentText() == "100"  # type: ignore[attr-defined]


def test_stale_remembered_values_fall_back_to_the_defaults(
    qtbot: QtBot, meta: ScriptMeta,
) -> None:
    form = ParamsForm()
    qtbot.addWidget(form)
    form.set_parameters(meta, {"level": 999, "strict": "maybe", "gone": 1, "count": 10**12,
                               "tolerance": "x"})
    values = form.values()
    assert (values["level"], values["strict"], values["count"], values["tolerance"]) == (
        200, True, 10, 0.25)
    assert "gone" not in values


SUGGESTS = '''\
# /// ifcscript
# name = "Suggests"
# [[parameters]]
# name = "key"
# type = "file"
# default = "{secret}"
# [[parameters]]
# name = "others"
# type = "files"
# default = ["{secret}", "{other}"]
# ///
paths = ([params["key"]] if params["key"] else []) + params["others"]
result = [open(path).read() for path in paths]
'''


def suggesting(tmp_path: Path) -> tuple[str, Path, Path]:
    secret, other = tmp_path / "secret.txt", tmp_path / "other.txt"
    secret.write_text(f"canary-{id(tmp_path)}")
    other.write_text("other")
    return SUGGESTS.format(secret=secret, other=other), secret, other


def test_a_suggested_file_is_shown_not_filled_in_until_confirmed(
    qtbot: QtBot, tmp_path: Path,
) -> None:
    code, secret, other = suggesting(tmp_path)
    form = ParamsForm()
    qtbot.addWidget(form)
    form.set_parameters(parse_script(code))
    key, others = form.field("key"), form.field("others")
    assert form.values() == {"key": None, "others": []}  # nothing the script could read
    assert editor(form, "key").text() == ""  # type: ignore[attr-defined]
    assert editor(form, "key").placeholderText() == f"Suggested: {secret}"  # type: ignore
    message = form.validate()
    assert message is not None and f'"key" suggests {secret}' in message
    assert form.error_text("key").startswith(f"Suggests {secret}: click")
    assert form.error_text("others").startswith(f"Suggests {secret}, {other}: click")

    use_key = key.findChild(QPushButton, "use_suggested")
    use_others = others.findChild(QPushButton, "use_suggested")
    assert use_key is not None and use_others is not None
    # The whole path is on screen (a narrow pane cuts a placeholder down to "S…").
    label = key.findChild(QLabel, "suggestion")
    assert label is not None and str(secret) in label.text() and label.wordWrap()
    assert not label.isHidden()
    with qtbot.waitSignal(form.values_changed):
        qtbot.mouseClick(use_key, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(use_others, Qt.MouseButton.LeftButton)
    assert form.values() == {"key": str(secret), "others": [str(secret), str(other)]}
    assert not use_key.isEnabled() and not use_others.isEnabled() and label.isHidden()
    assert form.validate() is None and form.error_text("key") == ""


def test_a_form_without_suggestions_has_no_suggest_button(form: ParamsForm) -> None:
    assert form.field("ids").findChild(QPushButton, "use_suggested") is None
    assert form.field("others").findChild(QPushButton, "use_suggested") is None
    assert editor(form, "ids").placeholderText() == "Path of a file"  # type: ignore


def test_the_window_runs_a_suggested_file_only_once_confirmed(
    qtbot: QtBot, tmp_path: Path, data_dir: Path, house: Path,
) -> None:
    from ifcscript_desktop.core.runs import list_executions
    from ifcscript_desktop.ui.app import build_main_window
    from tests.ui.test_app import RUN_TIMEOUT, open_house

    code, secret, other = suggesting(tmp_path)
    window = build_main_window(str(data_dir), [])
    qtbot.addWidget(window)
    window.show()
    try:
        open_house(qtbot, window, house)
        window.scripts.show_code(code, "Suggests")
        with qtbot.waitSignal(window.runs.run_refused) as refused:
            window.run_script()
        assert f'"key" suggests {secret}: click "Use suggested"' in refused.args[0]
        assert list_executions(window.store, limit=5) == []  # refused before anything ran
        for name in ("key", "others"):
            button = window.params.field(name).findChild(QPushButton, "use_suggested")
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        with qtbot.waitSignal(window.runs.run_finished, timeout=RUN_TIMEOUT) as finished:
            window.run_script()
        reply = finished.args[0]
        assert reply.status == "success", reply
        assert reply.result == [secret.read_text(), secret.read_text(), "other"]
    finally:
        window.close()
        window.store.close()


# -- the form follows the editor's header ---------------------------------------------------------

COUNTER = '''\
# /// ifcscript
# name = "Counter"
# ///
kinds = [name for name in ("kind", "other") if name in params]
result = {"declared": kinds, "count": len(model.by_type(params.get("kind") or "IfcWall"))}
'''
KIND_PARAMETER = '''\
# [[parameters]]
# name = "kind"
# type = "ifc_class"
# default = "IfcWall"
# label = "Class to count"
'''


def paste_at(window: object, marker: str, text: str) -> None:
    """What a user does to edit the header: select `marker` in the editor and paste `text`."""
    from PySide6.QtWidgets import QApplication

    editor = window.editor  # type: ignore[attr-defined]
    start = editor.text().index(marker)
    editor.select(start, start + len(marker))
    QApplication.clipboard().setText(text)
    editor.paste()


def test_the_form_follows_the_unsaved_header_and_the_run_uses_it(
    qtbot: QtBot, data_dir: Path, house: Path,
) -> None:
    from ifcscript_desktop.core.runs import list_executions
    from ifcscript_desktop.ui.app import build_main_window
    from tests.ui.test_app import RUN_TIMEOUT, open_house

    window = build_main_window(str(data_dir), [])
    qtbot.addWidget(window)
    window.show()
    try:
        open_house(qtbot, window, house)
        window.scripts.show_code(COUNTER, "Counter")
        assert window.params.values() == {}
        # A parameter typed into the header gets its input a moment later, unsaved.
        paste_at(window, "# ///\nkinds", '# name = "Counter"\n' + KIND_PARAMETER + "# ///\nkinds")
        paste_at(window, '# name = "Counter"\n# name = "Counter"\n', '# name = "Counter"\n')
        assert "kind" not in window.params.values()  # not on every key stroke
        qtbot.waitUntil(lambda: "kind" in window.params.values(), timeout=2000)
        assert window.editor.is_modified()
        assert window.params.field("kind").editor.text() == "IfcWall"  # type: ignore[attr-defined]
        window.params.field("kind").editor.setText("IfcSlab")  # type: ignore[attr-defined]
        with qtbot.waitSignal(window.runs.run_finished, timeout=RUN_TIMEOUT) as finished:
            window.run_script()
        reply = finished.args[0]
        assert reply.status == "success", reply
        assert reply.result["declared"] == ["kind"] and reply.result["count"] == 4
        # A second parameter added: the value typed for the first one stays.
        paste_at(window, "# ///\nkinds", KIND_PARAMETER.replace('"kind"', '"other"')
                 .replace("ifc_class", "str").replace('"IfcWall"', '"x"') + "# ///\nkinds")
        qtbot.waitUntil(lambda: "other" in window.params.values(), timeout=2000)
        assert window.params.values() == {"kind": "IfcSlab", "other": "x"}
        # The header loses its parameters and the run follows at once, with no pause to wait
        # for and no save ("is not a parameter ... it declares none" before).
        start = window.editor.text().index("# [[parameters]]")
        end = window.editor.text().index("# ///\nkinds")
        window.editor.select(start, end)
        window.editor.cut()
        with qtbot.waitSignal(window.runs.run_finished, timeout=RUN_TIMEOUT) as finished:
            window.run_script()
        assert finished.args[0].status == "success", finished.args[0]
        assert finished.args[0].result["declared"] == []
        assert window.params.values() == {} and window.params.notice.text() == NO_PARAMETERS

        # A broken block: the form says what is wrong, and a run is refused with that sentence.
        paste_at(window, '# name = "Counter"\n',
                 '# name = "Counter"\n' + KIND_PARAMETER.replace("ifc_class", "integer"))
        qtbot.waitUntil(lambda: bool(window.params.metadata_error()), timeout=2000)
        problem = window.params.metadata_error()
        assert problem.startswith("The script's metadata block is wrong: line 5: ")
        assert 'parameter "kind": "type" is "integer", which is not a known type' in problem
        assert window.params.problem.isVisible()
        runs = len(list_executions(window.store, limit=50))
        with qtbot.waitSignal(window.runs.run_refused) as refused:
            window.run_script()
        assert refused.args == [problem, 5]
        assert len(list_executions(window.store, limit=50)) == runs  # nothing ran
        paste_at(window, '"integer"', '"ifc_class"')  # fixed: the inputs are back
        qtbot.waitUntil(lambda: "kind" in window.params.values(), timeout=2000)
        assert window.params.metadata_error() == "" and not window.params.problem.isVisible()

        # A required parameter left empty is marked in the form, not only in the status bar.
        paste_at(window, '# default = "IfcWall"\n', "# required = true\n")
        qtbot.waitUntil(lambda: window.params.field("kind").spec.required, timeout=2000)
        window.params.field("kind").editor.setText("")  # type: ignore[attr-defined]
        with qtbot.waitSignal(window.runs.run_refused) as refused:
            window.run_script()
        assert refused.args[0].startswith('parameter "kind" is required')
        assert window.params.is_marked("kind")
        assert window.params.error_text("kind").startswith("Required: give an IFC class name")
        window.params.field("kind").editor.setText("IfcDoor")  # type: ignore[attr-defined]
        assert window.params.error_text("kind") == "" and not window.params.is_marked("kind")
    finally:
        window.close()
        window.store.close()


def test_a_refused_value_is_marked_and_scrolled_to(qtbot: QtBot) -> None:
    lines = ["# /// ifcscript", '# name = "Many"']
    for number in range(30):
        lines += ["# [[parameters]]", f'# name = "p{number}"', '# type = "str"']
    lines += ["# [[parameters]]", '# name = "last"', '# type = "ifc_class"', "# required = true",
              "# ///"]
    form = ParamsForm()
    qtbot.addWidget(form)
    form.set_parameters(parse_script("\n".join(lines) + "\n"))
    form.resize(300, 300)
    form.show()
    qtbot.waitExposed(form)
    scroll = form._scroll.verticalScrollBar()
    assert scroll.value() == 0
    form.mark_problem("last", 'parameter "last" is required: give an IFC class name')
    assert form.is_marked("last") and not form.is_marked("p0")
    assert form.error_text("last") == "Required: give an IFC class name"
    qtbot.waitUntil(lambda: scroll.value() > 0)
    cell = form._cells["last"]
    top = cell.mapTo(form._scroll.viewport(), cell.rect().topLeft()).y()
    assert 0 <= top < form._scroll.viewport().height()  # the marked input is on screen
    form.mark_problem("no_such_parameter", "anything")  # a name the form has not: ignored


def test_a_script_without_parameters_leaves_a_one_line_pane(
    qtbot: QtBot, data_dir: Path, meta: ScriptMeta,
) -> None:
    from ifcscript_desktop.ui.app import build_main_window

    window = build_main_window(str(data_dir), [])
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    try:
        window.params.set_parameters(meta)  # the first script may have parameters or not
        qtbot.waitUntil(lambda: window.params_dock.width() >= 260)
        with qtbot.waitSignal(window.params.has_parameters_changed) as shown:
            window.scripts.show_code("result = 1\n", "No parameters")
        assert shown.args == [False]
        note = window.params.notice
        assert note.text() == NO_PARAMETERS and note.isVisible()
        one_line = note.fontMetrics().horizontalAdvance(NO_PARAMETERS) + 4 * note.margin()
        qtbot.waitUntil(lambda: window.params_dock.width() <= one_line + 20)
        assert window.params_dock.width() < window.width() / 6
        lines = note.heightForWidth(note.width()) - 2 * note.margin()
        assert lines < 2 * note.fontMetrics().height()  # one line, not wrapped
        with qtbot.waitSignal(window.params.has_parameters_changed) as shown:
            window.params.set_parameters(meta)  # back to a script with inputs: room again
        assert shown.args == [True]
        qtbot.waitUntil(lambda: window.params_dock.width() >= 260)
        # The user put the 3D view under the Parameters pane: the note takes one line of
        # height there, and the 3D view keeps its width.
        window.splitDockWidget(window.params_dock, window.view3d_dock, Qt.Orientation.Vertical)
        qtbot.waitUntil(lambda: window.view3d_dock.y() > window.params_dock.y() + 50)
        wide = window.params_dock.width()
        window.scripts.show_code("result = 2\n", "No parameters either")
        qtbot.waitUntil(lambda: window.params_dock.height() < 5 * note.fontMetrics().height())
        assert window.view3d_dock.width() >= wide - 2
        assert window.view3d_dock.height() > window.height() / 2
    finally:
        window.close()
        window.store.close()


def test_a_table_parameter_shows_every_column_whole(qtbot: QtBot) -> None:
    code = EVERY_TYPE.replace(
        '# default = [{pset = "Pset_WallCommon", property = "FireRating"}]',
        '# default = [{property_set_name = "Pset_WallCommon", property_name = "ThermalTransmittance",'
        ' expected_value = "0.24", tolerance_in_percent = "5"}]')
    form = ParamsForm()
    qtbot.addWidget(form)
    form.set_parameters(parse_script(code))
    grid = editor(form, "checks")
    assert isinstance(grid, QTableWidget)
    for col in range(grid.columnCount() - 1):  # sized to its contents (the last one stretches)
        assert grid.columnWidth(col) >= grid.fontMetrics().horizontalAdvance(
            grid.item(0, col).text()), col
    columns = sum(grid.columnWidth(c) for c in range(grid.columnCount()))
    # The pane asks for the grid's width (the window sizes the dock to it).
    assert form.preferred_width() > columns
    form.resize(form.preferred_width(), 700)
    form.show()
    qtbot.waitExposed(form)
    qtbot.waitUntil(lambda: grid.viewport().width() >= columns)  # no column cut off
    assert grid.width() > form.width() - 60  # the grid spans the pane, not the value column
    assert grid.height() >= 4 * grid.verticalHeader().defaultSectionSize()
    # A pane narrower than the grid: the grid scrolls sideways, the other inputs stay whole.
    form.resize(380, 700)
    qtbot.waitUntil(lambda: grid.horizontalScrollBar().maximum() > 0)
    assert form._scroll.horizontalScrollBar().maximum() == 0


def test_ctrl_s_keeps_the_values_typed_in_the_form(qtbot: QtBot, data_dir: Path) -> None:
    from ifcscript_desktop.core import library
    from ifcscript_desktop.ui.app import build_main_window

    code = COUNTER.replace("# ///\nkinds", KIND_PARAMETER + "# ///\nkinds")
    window = build_main_window(str(data_dir), [])
    qtbot.addWidget(window)
    with qtbot.waitExposed(window):
        window.show()
    try:
        library.save_script(window.store, "Counter", code)
        window.scripts.load("Counter")
        window.params.field("kind").editor.setText("IfcSlab")  # type: ignore[attr-defined]
        paste_at(window, "result = {", "# a comment\nresult = {")
        with qtbot.waitActive(window):
            window.activateWindow()
        window.editor.setFocus()
        qtbot.keyClick(window.editor.focusProxy(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: not window.editor.is_modified())
        assert "# a comment" in library.require_script(window.store, "Counter").code
        assert window.params.values() == {"kind": "IfcSlab"}  # not the default IfcWall again
    finally:
        window.close()
        window.store.close()


def test_the_dock_is_sized_once_the_window_is_on_screen_not_before(qtbot: QtBot) -> None:
    from PySide6.QtWidgets import QDockWidget, QMainWindow

    from ifcscript_desktop.ui.params.dock import QWIDGETSIZE_MAX, fit_params_dock

    window = QMainWindow()
    qtbot.addWidget(window)
    window.setCentralWidget(QWidget())
    dock = QDockWidget("Parameters", window)
    form = ParamsForm()
    form.set_parameters(parse_script("result = 1\n", default_name="Plain"))  # no inputs: a one-line note
    dock.setWidget(form)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    fit_params_dock(window, dock, form, [])
    # Hidden, there is no geometry to measure: nothing is narrowed yet ...
    assert form.maximumWidth() == QWIDGETSIZE_MAX
    window.resize(1000, 700)
    with qtbot.waitExposed(window):
        window.show()
    # ... and once shown, the note's width is what the dock gets.
    qtbot.waitUntil(lambda: form.maximumWidth() == form.preferred_width())
