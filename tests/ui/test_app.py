"""The start page `ifcscript --demo` opens until the full window lands."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtWidgets import QLabel

from ifcscript_desktop.ui.app import build_start_window, sample_model


def test_the_demo_model_is_bundled_and_valid() -> None:
    path = sample_model()
    assert path.is_file() and path.read_bytes().startswith(b"ISO-10303-21;")


def test_the_start_page_names_the_model_and_what_works(qtbot) -> None:  # type: ignore[no-untyped-def]
    window = build_start_window([str(sample_model())])
    qtbot.addWidget(window)
    with qtbot.waitExposed(window):
        window.show()
    text = html.unescape(window.findChild(QLabel, "start_page").text())
    assert "sample-house.ifc" in text
    assert 'ifcscript run "GUID Validation Check"' in text
    assert Path(str(sample_model())).name in text
