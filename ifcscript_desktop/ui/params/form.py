"""The parameters form: one input per declared parameter, checked the way a run checks them.

It follows the editor's metadata block as it is typed (`follow`): a parameter added to the
block gets its input, one removed loses it, values the user typed stay; a block with an error
shows the error, the sentence a run is refused with.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ifcscript_desktop.core.params import ParamError, ParamSpec, coerce_params, suggested_files
from ifcscript_desktop.core.scriptfile import ScriptFileError, ScriptMeta
from ifcscript_desktop.ui.params.dialogs import ParamsDialogs
from ifcscript_desktop.ui.params.fields import (
    BoolField,
    ChoiceField,
    NumberField,
    ParamField,
    TextField,
)
from ifcscript_desktop.ui.params.files import FileField, FilesField
from ifcscript_desktop.ui.params.table import TableField

log = logging.getLogger(__name__)

NO_PARAMETERS = "This script has no parameters."
NO_SCRIPT = "Choose a script to see its parameters."
ERROR_STYLE = "color: #c0392b;"
#: A field with a problem: outlined in the error colour.
MARKED_STYLE = "QFrame#{name} {{ border: 1px solid #c0392b; border-radius: 3px; }}"
#: The width the pane takes with inputs (a file list and its buttons stay readable).
MIN_WIDTH = 260
#: The widest the pane grows by itself to show a table parameter whole.
MAX_PREFERRED_WIDTH = 640
#: Types whose input sits under its label, across the pane's whole width.
WIDE_TYPES = ("table", "files")


def metadata_problem(exc: ScriptFileError) -> str:
    """The sentence for a broken metadata block: shown in the form, and why a run is refused."""
    return f"The script's metadata block is wrong: {exc}"


def make_field(spec: ParamSpec, dialogs: ParamsDialogs) -> ParamField:
    """The input widget for one parameter, by its type."""
    if spec.type in ("int", "float"):
        return NumberField(spec)
    if spec.type == "bool":
        return BoolField(spec)
    if spec.type == "choice":
        return ChoiceField(spec)
    if spec.type == "file":
        return FileField(spec, dialogs)
    if spec.type == "files":
        return FilesField(spec, dialogs)
    if spec.type == "table":
        return TableField(spec, dialogs)
    return TextField(spec)  # str, ifc_class


def suggestion_sentence(name: str, paths: list[str]) -> str:
    """Why a parameter whose file the script only suggests has no value yet, and what to do."""
    return (f'parameter "{name}" suggests {", ".join(paths)}: click "Use suggested" to let the '
            "script read it, or choose a file")


def refuse_suggested(meta: ScriptMeta, values: Mapping[str, Any]) -> None:
    """ParamError for the first file parameter left at what the script only suggests."""
    suggested = suggested_files(meta, values)
    if suggested:
        name, paths = next(iter(suggested.items()))
        raise ParamError(name, suggestion_sentence(name, paths))


def field_message(name: str, message: str) -> str:
    """A ParamError's message as shown under its field, which already names the parameter."""
    for prefix in (f'parameter "{name}": ', f'parameter "{name}" is ', f'parameter "{name}" '):
        if message.startswith(prefix):
            rest = message[len(prefix):]
            return rest[:1].upper() + rest[1:]
    return message


class ParamsForm(QWidget):
    """Inputs for a script's declared parameters; ``values()`` are what a run is given.

    Labels come from ``label`` (else the name), tool tips from ``help``; required parameters
    are starred. ``validate()`` checks the values with :func:`coerce_params` and shows each
    problem under its field. A ``file``/``files`` default is shown as a suggestion, not as the
    value: the script gets it only once the user clicks "Use suggested".
    """

    values_changed = Signal()
    #: Whether the form has something to show (inputs, or a metadata error): the window
    #: narrows the pane to a one-line note when it has not.
    has_parameters_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None, *,
                 dialogs: ParamsDialogs | None = None) -> None:
        super().__init__(parent)
        self.dialogs = dialogs or ParamsDialogs()
        self._meta: ScriptMeta | None = None
        self._fields: dict[str, ParamField] = {}
        self._errors: dict[str, QLabel] = {}
        self._cells: dict[str, QFrame] = {}
        self._initial: dict[str, Any] = {}  # the values the inputs started with
        self._has: bool | None = None
        self._wide_width = 320  # the pane's width with inputs, kept while it is narrow
        self._body: QWidget | None = None
        self.notice = QLabel(NO_SCRIPT)
        self.notice.setWordWrap(True)
        self.notice.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.notice.setMargin(8)
        self.problem = QLabel()  # a metadata block with an error
        self.problem.setObjectName("metadata_problem")
        self.problem.setWordWrap(True)
        self.problem.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problem.setStyleSheet(ERROR_STYLE)
        self.problem.setMargin(8)
        self.problem.hide()
        self._scroll = QScrollArea()
        self._scroll.setWidgetResizable(True)
        self._scroll.setFrameShape(QFrame.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.problem)
        layout.addWidget(self.notice)
        layout.addWidget(self._scroll, 1)
        self._scroll.hide()
        self._set_has(False)

    # -- public -----------------------------------------------------------------------------

    @property
    def meta(self) -> ScriptMeta | None:
        """The script whose parameters are shown."""
        return self._meta

    def set_parameters(self, meta: ScriptMeta, values: Mapping[str, Any] | None = None) -> None:
        """Build the inputs for ``meta``: defaults, then ``values`` (e.g. the last ones used).

        A value for an undeclared parameter, or one its input cannot show, is skipped.
        """
        self._meta = meta
        self._fields.clear()
        self._errors.clear()
        self._cells.clear()
        body = QWidget()
        outer = QVBoxLayout(body)
        form = QFormLayout()
        outer.addLayout(form)
        outer.addStretch(1)  # spare height goes below the inputs, not between them
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        for spec in meta.parameters:
            field = make_field(spec, self.dialogs)
            field.setObjectName(f"param_{spec.name}")
            given = (values or {}).get(spec.name)
            if given is not None and not field.set_value(given):
                log.info("Not restoring %r for parameter %s: it does not fit", given, spec.name)
            field.changed.connect(lambda name=spec.name: self._on_field_changed(name))
            error = QLabel()
            error.setWordWrap(True)
            error.setStyleSheet(ERROR_STYLE)
            error.hide()
            cell = QFrame()  # outlined when its value is refused
            cell.setObjectName(f"param_cell_{spec.name}")
            column = QVBoxLayout(cell)
            column.setContentsMargins(2, 2, 2, 2)
            column.setSpacing(2)
            column.addWidget(field)
            column.addWidget(error)
            label = self._label(spec)
            label.setBuddy(field)
            field.setToolTip(label.toolTip())
            if spec.type in WIDE_TYPES:  # a grid or a list gets the whole width, not a column
                form.addRow(label)
                form.addRow(cell)
            else:
                form.addRow(label, cell)
            self._fields[spec.name] = field
            self._errors[spec.name] = error
            self._cells[spec.name] = cell
        self._scroll.setWidget(body)  # the previous body is deleted with it
        self._body = body
        self._initial = self.values()
        self.problem.hide()
        self._scroll.setEnabled(True)
        self.notice.setText(NO_PARAMETERS)
        self.notice.setVisible(not meta.parameters)
        self._scroll.setVisible(bool(meta.parameters))
        self._set_has(bool(meta.parameters))
        self.values_changed.emit()

    def follow(self, meta: ScriptMeta, remembered: Mapping[str, Any] | None = None) -> None:
        """Show the parameters of an edited metadata block, keeping what the user typed.

        An input whose parameter is still declared with the same type keeps a value the user
        changed; the others start from the default, then ``remembered`` (the last values used).
        Nothing is rebuilt when the block declares the same parameters as shown.
        """
        if meta == self._meta and not self.metadata_error():
            return
        typed = {name: value for name, value in self.values().items()
                 if value != self._initial.get(name)}
        kept = {}
        for name, value in typed.items():
            old, new = self._meta.param(name) if self._meta else None, meta.param(name)
            if old is not None and new is not None and old.type == new.type:
                kept[name] = value
        self.set_parameters(meta, {**(remembered or {}), **kept})

    def show_metadata_error(self, sentence: str) -> None:
        """The metadata block has an error: say it above the inputs (greyed out until fixed)."""
        self.problem.setText(sentence)
        self.problem.show()
        self.notice.hide()
        self._scroll.setEnabled(False)
        self._set_has(True)

    def metadata_error(self) -> str:
        """The metadata block's error on show; empty when none."""
        return self.problem.text() if not self.problem.isHidden() else ""

    def mark_problem(self, name: str, sentence: str) -> None:
        """A run refused the value of ``name``: mark its input, say why under it, go there."""
        if name not in self._fields:
            return
        self._show_error(name, field_message(name, sentence))
        self._scroll.ensureWidgetVisible(self._cells[name])
        self._fields[name].setFocus(Qt.FocusReason.OtherFocusReason)

    def is_marked(self, name: str) -> bool:
        """Whether the input of ``name`` is outlined as refused."""
        return bool(self._cells[name].styleSheet())

    def has_inputs(self) -> bool:
        """Whether the form shows inputs or a metadata error (not only a one-line note)."""
        return bool(self._has)

    def preferred_height(self) -> int:
        """The height of the one-line note."""
        return self.notice.fontMetrics().height() + 4 * self.notice.margin()

    def preferred_width(self) -> int:
        """The width the pane should take: one line of note, or what the inputs need."""
        if not self._has:
            text = self.notice.text() if not self.notice.isHidden() else NO_PARAMETERS
            return self.notice.fontMetrics().horizontalAdvance(text) + 4 * self.notice.margin()
        body = self._body.sizeHint().width() if self._body is not None else 0
        scroll_bar = self._scroll.verticalScrollBar().sizeHint().width()
        window = self.window()  # the editor keeps its room: a third of the window at most
        cap = window.width() // 3 if window is not self else MAX_PREFERRED_WIDTH
        return max(self._wide_width, min(body + scroll_bar + 8, MAX_PREFERRED_WIDTH, cap))

    def clear(self) -> None:
        """No script: the form says so."""
        self.set_parameters(ScriptMeta(name=""))
        self._meta = None
        self.notice.setText(NO_SCRIPT)

    def values(self) -> dict[str, Any]:
        """Every parameter's value as typed in the form (None where left empty)."""
        return {name: field.value() for name, field in self._fields.items()}

    def validate(self) -> str | None:
        """Check every value; show each problem under its field; return the first, or None."""
        first = None
        for name in self._fields:
            message = self._check(name)
            first = first or message
        return first

    def field(self, name: str) -> ParamField:
        """The input of parameter ``name`` (KeyError if the script declares none)."""
        return self._fields[name]

    def error_text(self, name: str) -> str:
        """The problem shown under parameter ``name``; empty when none."""
        label = self._errors[name]
        return label.text() if not label.isHidden() else ""

    # -- helpers ----------------------------------------------------------------------------

    def _label(self, spec: ParamSpec) -> QLabel:
        text = html.escape(spec.label or spec.name)
        if spec.required:
            text += f' <span style="{ERROR_STYLE}">*</span>'
        label = QLabel(text)
        label.setTextFormat(Qt.TextFormat.RichText)
        tip = spec.help or ""
        if spec.required:
            tip = f"{tip}\n(required)" if tip else "Required"
        label.setToolTip(tip)
        return label

    def _check(self, name: str) -> str | None:
        assert self._meta is not None
        spec = self._meta.param(name)
        assert spec is not None
        # One parameter at a time, so every field's problem shows, not only the first.
        single = replace(self._meta, parameters=(spec,))
        value = {name: self._fields[name].value()}
        try:
            refuse_suggested(single, value)
            coerce_params(single, value)
        except ParamError as exc:
            self._show_error(name, field_message(name, str(exc)))
            return str(exc)
        self._show_error(name, "")
        return None

    def _show_error(self, name: str, text: str) -> None:
        label = self._errors[name]
        label.setText(text)
        label.setVisible(bool(text))
        cell = self._cells[name]
        cell.setStyleSheet(MARKED_STYLE.format(name=cell.objectName()) if text else "")

    def _set_has(self, has: bool) -> None:
        """Inputs need a readable width; a one-line note does not (ui.params.dock sizes the
        pane on the signal)."""
        if has == self._has:
            return
        if self._has and self.width() > MIN_WIDTH:
            self._wide_width = self.width()
        self._has = has
        self.setMinimumWidth(MIN_WIDTH if has else 0)
        self.has_parameters_changed.emit(has)

    def _on_field_changed(self, name: str) -> None:
        if self.error_text(name):
            self._check(name)  # the message goes away as soon as the value is right
        self.values_changed.emit()
