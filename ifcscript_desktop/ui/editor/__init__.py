"""The script editor: `ScriptEditor`, one widget around Scintilla (or a plain stand-in)."""

from ifcscript_desktop.ui.editor.backend import scintilla_problem
from ifcscript_desktop.ui.editor.widget import NOTICE, ScriptEditor
from ifcscript_desktop.ui.editor.words import CONTEXT_NAMES, DEFAULT_IFC_CLASSES

__all__ = ["CONTEXT_NAMES", "DEFAULT_IFC_CLASSES", "NOTICE", "ScriptEditor", "scintilla_problem"]
