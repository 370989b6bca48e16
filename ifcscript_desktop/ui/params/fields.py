"""One input widget per parameter type; each gives a typed value (None when left empty)."""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from ifcscript_desktop.core.params import ParamSpec

NOT_SET = "not set"
IFC_CLASS_HINT = "IfcWall, or a selector: IfcWall, IfcSlab"
INT_LIMIT = 2**31 - 2  # QSpinBox holds a C int; one step is kept for "not set"
FLOAT_LIMIT = 1e12


class ParamField(QWidget):
    """The input of one parameter: ``value()`` typed, ``set_value()`` from a stored value."""

    changed = Signal()

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    def value(self) -> Any:
        raise NotImplementedError

    def set_value(self, value: Any) -> bool:
        """Show ``value``; False (and nothing changes) when it cannot be shown here."""
        raise NotImplementedError

    def _add(self, widget: QWidget, stretch: int = 1) -> None:
        # No tool tip of its own: the field's (the parameter's help) shows over every part.
        self._layout.addWidget(widget, stretch)


class TextField(ParamField):
    """``str`` (empty text is a value, unless the parameter is required) and ``ifc_class``."""

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.editor = QLineEdit()
        if spec.type == "ifc_class":
            self.editor.setPlaceholderText(IFC_CLASS_HINT)
        self.editor.textChanged.connect(self.changed)
        self._add(self.editor)
        self.set_value(spec.default)

    def value(self) -> str | None:
        text = self.editor.text()
        if self.spec.type == "ifc_class":
            text = text.strip()
        return text if text or (self.spec.type == "str" and not self.spec.required) else None

    def set_value(self, value: Any) -> bool:
        if value is not None and not isinstance(value, (str, int, float)):
            return False
        self.editor.setText("" if value is None else str(value))
        return True


class NumberField(ParamField):
    """``int`` (QSpinBox) and ``float`` (QDoubleSpinBox) within the declared min and max.

    Without a default the box starts at "not set" (its lowest step). A stored value outside
    the bounds is shown as it is, for validation to name, rather than silently clamped.
    """

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self._is_int = spec.type == "int"
        self.editor: QSpinBox | QDoubleSpinBox = QSpinBox() if self._is_int else QDoubleSpinBox()
        limit = INT_LIMIT if self._is_int else FLOAT_LIMIT
        self._low = spec.min if spec.min is not None else -limit
        self._high = spec.max if spec.max is not None else limit
        self._nullable = spec.default is None
        if isinstance(self.editor, QDoubleSpinBox):
            self.editor.setDecimals(_decimals(spec.default, spec.min, spec.max))
            self.editor.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        if self._nullable:
            self.editor.setSpecialValueText(NOT_SET)
        self.editor.setAccelerated(True)
        self._set_range(self._low, self._high)
        self._show(self.editor.minimum() if self._nullable else spec.default)
        self.editor.valueChanged.connect(self.changed)
        self._add(self.editor)

    def value(self) -> int | float | None:
        number = self.editor.value()
        if self._nullable and number == self.editor.minimum():
            return None
        return int(number) if self._is_int else float(number)

    def set_value(self, value: Any) -> bool:
        if value is None and self._nullable:
            self._show(self.editor.minimum())
            return True
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if not math.isfinite(value) or (self._is_int and not float(value).is_integer()):
            return False
        if abs(value) > (INT_LIMIT - 1 if self._is_int else FLOAT_LIMIT):
            return False  # beyond what the box can hold
        self._set_range(min(self._low, value), max(self._high, value))
        self._show(value)
        return True

    def _show(self, number: float) -> None:
        if isinstance(self.editor, QSpinBox):
            self.editor.setValue(int(number))
        else:
            self.editor.setValue(float(number))

    def _set_range(self, low: float, high: float) -> None:
        step = 1 if self._is_int else 10 ** -self._decimals()
        bottom = low - step if self._nullable else low
        if isinstance(self.editor, QSpinBox):
            self.editor.setRange(int(bottom), int(high))
        else:
            self.editor.setRange(bottom, high)

    def _decimals(self) -> int:
        return self.editor.decimals() if isinstance(self.editor, QDoubleSpinBox) else 0


def _decimals(*numbers: int | float | None) -> int:
    """Enough decimals to show every given number, between 2 and 6."""
    places = 2
    for number in numbers:
        if isinstance(number, float) and math.isfinite(number):
            text = repr(number)
            if "e" not in text and "." in text:
                places = max(places, len(text.split(".")[1]))
    return min(places, 6)


class BoolField(ParamField):
    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.editor = QCheckBox()
        self.editor.setChecked(bool(spec.default))
        self.editor.toggled.connect(self.changed)
        self._add(self.editor)

    def value(self) -> bool:
        return self.editor.isChecked()

    def set_value(self, value: Any) -> bool:
        if not isinstance(value, bool):
            return False
        self.editor.setChecked(value)
        return True


class ChoiceField(ParamField):
    """A drop-down of the declared choices; without a default nothing is chosen at first."""

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self._choices = list(spec.choices or ())
        self.editor = QComboBox()
        self.editor.addItems([str(choice) for choice in self._choices])
        self.editor.setPlaceholderText("Choose…")
        self.editor.setCurrentIndex(-1)
        self.set_value(spec.default)
        self.editor.currentIndexChanged.connect(self.changed)
        self._add(self.editor)

    def value(self) -> Any:
        index = self.editor.currentIndex()
        return self._choices[index] if 0 <= index < len(self._choices) else None

    def set_value(self, value: Any) -> bool:
        if value is None or isinstance(value, bool):
            return value is None
        for index, choice in enumerate(self._choices):
            if value == choice or str(value) == str(choice):
                self.editor.setCurrentIndex(index)
                return True
        return False
