"""The model tree pane: a lazy item model fed by the worker, its search list, and its widget."""

from ifcscript_desktop.ui.tree.model import KEY_ROLE, STEP_ID_ROLE, VIEWS, ModelTreeModel
from ifcscript_desktop.ui.tree.view import ModelTreeView

__all__ = ["KEY_ROLE", "STEP_ID_ROLE", "VIEWS", "ModelTreeModel", "ModelTreeView"]
