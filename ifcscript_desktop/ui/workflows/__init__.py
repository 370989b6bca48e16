"""The Workflows pane: chained scripts, edited, run in the background, with their history."""

from ifcscript_desktop.ui.workflows.dialogs import WorkflowDialogs
from ifcscript_desktop.ui.workflows.pane import WorkflowsPane

__all__ = ["WorkflowDialogs", "WorkflowsPane"]
