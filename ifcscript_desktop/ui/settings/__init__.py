"""The Settings dialog: run limits and output retention, stored for the window and the command."""

from ifcscript_desktop.ui.settings.dialog import SettingsDialog

__all__ = ["SettingsDialog"]
