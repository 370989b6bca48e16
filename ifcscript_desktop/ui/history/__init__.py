"""The History pane: every run recorded in the store, live with the command line."""

from ifcscript_desktop.ui.history.detail import RunDetail
from ifcscript_desktop.ui.history.model import EXECUTION_ID_ROLE, HistoryModel
from ifcscript_desktop.ui.history.pane import HistoryPane

__all__ = ["EXECUTION_ID_ROLE", "HistoryModel", "HistoryPane", "RunDetail"]
