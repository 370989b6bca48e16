"""The Help pane: every script context name documented, F1 lands on the right section."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QPoint, QUrl

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
def pane(qtbot: Any) -> HelpPane:
    widget = HelpPane()
    qtbot.addWidget(widget)
    widget.resize(700, 500)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


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


def test_an_unknown_name_shows_the_index_and_says_so(pane: HelpPane) -> None:
    pane.show_topic("entities")
    assert not pane.show_topic("IfcWall")
    assert pane.notice.isVisible() and "No help for" in pane.notice.text()
    assert "IfcWall" in pane.notice.text()
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
