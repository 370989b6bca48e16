"""The Help pane: every script context name documented, F1 lands on the right section."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest
from PySide6.QtCore import QPoint, Qt, QUrl

from ifcscript_desktop.core.params import PARAM_TYPES
from ifcscript_desktop.ui.editor.words import CONTEXT_NAMES
from ifcscript_desktop.ui.help import HelpPane
from ifcscript_desktop.ui.help.content import load_help_text, split_anchors
from ifcscript_desktop.worker.sandbox.guard import ALLOWED_MODULES

# DESIGN.md, "Script context": every name a script finds in its globals.
DESIGN_CONTEXT_NAMES = [
    "model", "model_path", "model_name", "schema", "entities", "properties", "systems",
    "materials", "types", "get_properties", "get_geometry", "save_output", "params",
    "selection", "previous", "progress", "result", "show_table", "show_chart", "highlight",
    "color_by", "np", "numpy", "pd", "pandas", "ifcopenshell",
]


@pytest.fixture
def pane(qtbot: Any) -> Iterator[HelpPane]:
    widget = HelpPane()
    qtbot.addWidget(widget)
    widget.resize(700, 500)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    pid = widget.model_free.worker_pid
    widget.shutdown()
    if pid is not None:  # the model-free worker is gone with the pane
        qtbot.waitUntil(lambda: not Path(f"/proc/{pid}").exists()
                        or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2],
                        timeout=15_000)


def top_line(pane: HelpPane) -> str:
    """The text of the line at the top of the visible part of the help."""
    return pane.browser.cursorForPosition(QPoint(4, 4)).block().text()


def sections(markdown: str) -> dict[str, str]:
    """Each anchor's section text (up to the next heading)."""
    return {anchor: s.body for s in split_anchors(markdown)[1] for anchor in s.anchors}


def test_show_topic_scrolls_to_the_section(pane: HelpPane) -> None:
    assert pane.show_topic("entities")
    assert pane.browser.verticalScrollBar().value() > 0
    assert top_line(pane) == "entities"
    assert not pane.notice.isVisible()
    assert pane.show_topic("get_geometry")
    assert top_line(pane) == "get_geometry"


def test_every_context_name_has_a_section_with_an_example(pane: HelpPane) -> None:
    topics = pane.topics()
    assert [name for name in DESIGN_CONTEXT_NAMES if name not in topics] == []
    assert set(CONTEXT_NAMES) <= set(topics)  # what the editor completes, the help explains
    bodies = sections(load_help_text())
    for name in DESIGN_CONTEXT_NAMES:
        assert "```python" in bodies[name], f"{name} has no example"
        explanation = bodies[name].strip().split("\n\n")[0]
        assert explanation and not explanation.startswith("```"), f"{name} is not explained"


def test_metadata_parameter_types_imports_and_sandbox(pane: HelpPane) -> None:
    bodies = sections(load_help_text())
    assert "# /// ifcscript" in bodies["metadata"] and "[[parameters]]" in bodies["metadata"]
    for kind in PARAM_TYPES:
        assert f"| `{kind}` |" in bodies["parameter-types"], kind
    for module in ALLOWED_MODULES:
        assert f"`{module}`" in bodies["imports"], module
    for phrase in ("No other file", "only into its own output folder", "network",
                   "other programs", "time limit", "memory limit", "Linux"):
        assert phrase in bodies["sandbox"], phrase


def test_an_unknown_name_shows_the_index_and_says_so(pane: HelpPane, qtbot: Any) -> None:
    pane.show_topic("entities")
    with qtbot.waitSignal(pane.doc_answered, timeout=60_000) as answered:
        assert not pane.show_topic("no_such_name")
    assert answered.args == ["no_such_name", False]
    assert pane.notice.isVisible() and pane.notice.text() == (
        "No help for <b>no_such_name</b>: it is not a script-context or ifcopenshell name.")
    assert pane.browser.verticalScrollBar().value() == 0
    assert pane.current_topic() == "index"


def test_dotted_names_and_links_lead_to_their_section(pane: HelpPane, qtbot: Any) -> None:
    assert pane.show_topic("properties.df") and pane.current_topic() == "properties"
    assert pane.show_topic("np.mean") and pane.current_topic() == "np"
    with qtbot.waitSignal(pane.topic_shown, timeout=1000) as shown:
        pane.browser.anchorClicked.emit(QUrl("#save_output"))
    assert shown.args == ["save_output"] and top_line(pane) == "save_output"
    pane.contents_button.click()
    assert pane.browser.verticalScrollBar().value() == 0


class FakeWorker:
    """Stands for a model handle whose worker never answers (what shows while it thinks)."""

    is_open = True

    def __init__(self) -> None:
        self.asked: list[dict[str, Any]] = []

    def query(self, op: str, fields: dict[str, Any], callback: Any) -> None:
        self.asked.append({"op": op, **fields, "callback": callback})


def test_without_a_model_a_worker_of_its_own_answers(pane: HelpPane, qtbot: Any) -> None:
    import ifcopenshell.util.selector

    with qtbot.waitSignal(pane.doc_answered, timeout=60_000) as answered:
        assert not pane.show_topic("filter_elements")
        assert "Asking ifcopenshell about <b>filter_elements</b>" in pane.notice.text()
    assert answered.args == ["filter_elements", True]
    first_line = ifcopenshell.util.selector.filter_elements.__doc__.strip().splitlines()[0]
    assert first_line in pane.doc_view.toPlainText()
    assert pane.model_free.running
    pane.set_source(FakeWorker())  # a model is open: its worker answers, this one goes
    qtbot.waitUntil(lambda: not pane.model_free.running, timeout=15_000)


def test_context_names_are_answered_by_the_pane_and_the_rest_asked_of_the_worker(
        pane: HelpPane, qtbot: Any) -> None:
    worker = FakeWorker()
    pane.set_source(worker)
    assert pane.show_topic("entities") and worker.asked == []  # the context's own section
    assert pane.show_topic("np.mean") and pane.current_topic() == "np" and worker.asked == []
    assert not pane.show_topic("model.by_type")
    assert worker.asked[-1]["op"] == "doc" and worker.asked[-1]["name"] == "model.by_type"
    assert "Asking" in pane.notice.text() and "model.by_type" in pane.notice.text()
    # A later F1 wins: the earlier answer, arriving late, is dropped.
    pane.show_topic("get_psets")
    late, latest = worker.asked[-2]["callback"], worker.asked[-1]["callback"]
    with qtbot.waitSignal(pane.doc_answered) as answered:
        late({"ok": True, "found": True, "name": "ifcopenshell.file.by_type", "doc": "late"})
        latest({"ok": True, "found": False})
    assert answered.args == ["get_psets", False]
    assert "No help for <b>get_psets</b>: it is not a script-context or ifcopenshell name" in \
        pane.notice.text()
    assert "late" not in pane.doc_view.toPlainText()


def press_f1_at(qtbot: Any, window: Any, code: str, word: str) -> Any:
    """F1 with the caret inside the last occurrence of `word` in `code`; the pane's answer."""
    window.editor.set_text(code)
    caret = code.rindex(word) + len(word) - 1
    window.editor.select(caret, caret)
    with qtbot.waitSignal(window.help.doc_answered, timeout=60_000) as answered:
        qtbot.keyClick(window.editor.focusProxy(), Qt.Key.Key_F1)
    return answered.args


def test_f1_on_ifcopenshell_names_shows_their_docstring_from_the_worker(
        qtbot: Any, data_dir: Path, house: Path) -> None:
    import ifcopenshell.util.element

    from ifcscript_desktop.ui.app import build_main_window
    from tests.ui.test_app import open_house

    window = build_main_window(str(data_dir), [])
    qtbot.addWidget(window)
    window.show()
    try:
        open_house(qtbot, window, house)
        code = "psets = ifcopenshell.util.element.get_psets(wall)\n"
        assert press_f1_at(qtbot, window, code, "get_psets") == [
            "ifcopenshell.util.element.get_psets", True]
        assert window.bottom.currentWidget() is window.help
        shown = window.help.doc_view.toPlainText()
        first_line = ifcopenshell.util.element.get_psets.__doc__.strip().splitlines()[0]
        assert "ifcopenshell.util.element.get_psets" in shown and first_line in shown
        assert window.help.pages.currentWidget() is window.help.doc_view
        assert press_f1_at(qtbot, window, "walls = model.by_type('IfcWall')\n", "IfcWall") == [
            "IfcWall", True]
        assert "vertical construction" in window.help.doc_view.toPlainText()
        assert press_f1_at(qtbot, window, "os.system('ls')\n", "system") == ["os.system", False]
        assert window.help.notice.text() == (
            "No help for <b>os.system</b>: it is not a script-context or ifcopenshell name.")
        assert window.help.pages.currentWidget() is window.help.browser
        window.help.contents_button.click()
        assert window.help.current_topic() == "index"
    finally:
        window.close()
        window.store.close()
