"""The script library pane: scripts by category, search, new/duplicate/rename/delete, files."""

from ifcscript_desktop.ui.library.dialogs import LibraryDialogs
from ifcscript_desktop.ui.library.pane import LibraryPane

__all__ = ["LibraryDialogs", "LibraryPane"]
