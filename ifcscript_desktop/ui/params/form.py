"""The parameters form: one input per declared parameter, checked the way a run checks them."""

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
from ifcscript_desktop.core.scriptfile import ScriptMeta
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

    def __init__(self, parent: QWidget | None = None, *,
                 dialogs: ParamsDialogs | None = None) -> None:
        super().__init__(parent)
        self.dialogs = dialogs or ParamsDialogs()
        self._meta: ScriptMeta | None = None
        self._fields: dict[str, ParamField] = {}
        self._errors: dict[str, QLabel] = {}
        self._body: QWidget | None = None
        self.notice = QLabel(NO_SCRIPT)
        self.notice.setWordWrap(True)
        self.notice.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.notice.setMargin(8)
        self._scroll = QScrollArea()
        self._scroll.setWidgetResizable(True)
        self._scroll.setFrameShape(QFrame.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.notice)
        layout.addWidget(self._scroll, 1)
        self._scroll.hide()

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
            cell = QWidget()
            column = QVBoxLayout(cell)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(2)
            column.addWidget(field)
            column.addWidget(error)
            label = self._label(spec)
            label.setBuddy(field)
            field.setToolTip(label.toolTip())
            form.addRow(label, cell)
            self._fields[spec.name] = field
            self._errors[spec.name] = error
        self._scroll.setWidget(body)  # the previous body is deleted with it
        self._body = body
        self.notice.setText(NO_PARAMETERS)
        self.notice.setVisible(not meta.parameters)
        self._scroll.setVisible(bool(meta.parameters))
        self.values_changed.emit()

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

    def _on_field_changed(self, name: str) -> None:
        if self.error_text(name):
            self._check(name)  # the message goes away as soon as the value is right
        self.values_changed.emit()
