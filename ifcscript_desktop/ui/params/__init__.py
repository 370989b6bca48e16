"""The parameters form: an input per declared parameter, defaults, validation messages."""

from ifcscript_desktop.ui.params.dialogs import ParamsDialogs
from ifcscript_desktop.ui.params.form import ParamsForm

__all__ = ["ParamsDialogs", "ParamsForm"]
