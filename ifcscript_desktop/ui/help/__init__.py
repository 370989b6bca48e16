"""The Help pane: the script context, the metadata block, the import allowlist and the sandbox."""

from ifcscript_desktop.ui.help.pane import HelpPane

__all__ = ["HelpPane"]
