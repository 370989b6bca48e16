"""The results area of the window: Output, Result (tables and the `result` value), Chart, Files."""

from ifcscript_desktop.ui.results.chart import ChartPane
from ifcscript_desktop.ui.results.files import FilesPane
from ifcscript_desktop.ui.results.output import OutputPane
from ifcscript_desktop.ui.results.pane import ResultsPane
from ifcscript_desktop.ui.results.table_model import TableModel
from ifcscript_desktop.ui.results.table_view import TableView

__all__ = ["ChartPane", "FilesPane", "OutputPane", "ResultsPane", "TableModel", "TableView"]
