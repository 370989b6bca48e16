"""The Chart tab: what `show_chart` asked for, drawn with pyqtgraph.

Bar, line and scatter; a pie request is drawn as bars (pie charts compare badly and pyqtgraph
has none). Text x values become categories: one tick label per bar, thinned when they crowd.
pyqtgraph is imported on the first chart (it takes a second to import on a slow machine).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from PySide6.QtGui import QFontMetrics, QPalette
from PySide6.QtWidgets import QComboBox, QStackedWidget, QVBoxLayout, QWidget

from ifcscript_desktop.ui.results.cells import cell_text
from ifcscript_desktop.ui.results.placeholder import placeholder

BAR_COLOR = "#4C72B0"
LABEL_CHARS = 24
NO_CHART = "The run drew no chart. Scripts draw one with show_chart(\"bar\", x, y, title=\"…\")."


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) \
        and math.isfinite(value)


def chart_points(chart: dict[str, Any]) -> tuple[list[float], list[float], list[str] | None]:
    """(x positions, y values, category labels or None) with points lacking a y value dropped.

    x values that are not all numbers are categories, placed at 0, 1, 2...
    """
    xs, ys = list(chart.get("x") or []), list(chart.get("y") or [])
    pairs = [(x, y) for x, y in zip(xs, ys) if _is_number(y)]
    if all(_is_number(x) for x, _ in pairs):
        return [float(x) for x, _ in pairs], [float(y) for _, y in pairs], None
    labels = [cell_text(x) for x, _ in pairs]
    return [float(i) for i in range(len(pairs))], [float(y) for _, y in pairs], labels


def _category_axis(labels: Sequence[str]) -> Any:
    import pyqtgraph as pg

    class CategoryAxis(pg.AxisItem):
        """Bottom axis naming categories; labels are thinned so they never overlap."""

        def __init__(self) -> None:
            super().__init__("bottom")
            half = LABEL_CHARS // 2  # elide the middle: names often differ at the end
            self.labels = [t if len(t) <= LABEL_CHARS else t[:half - 1] + "…" + t[-half:]
                           for t in labels]

        def tickValues(self, minVal: float, maxVal: float, size: float) -> list[Any]:
            first, last = max(0, math.ceil(minVal)), min(len(self.labels) - 1, math.floor(maxVal))
            if last < first or size <= 0:
                return []
            metrics = QFontMetrics(self.font())
            shown = self.labels[first:last + 1]
            widest = 1.2 * max(metrics.horizontalAdvance(t) for t in shown) + 20  # with a gap
            step = max(1, math.ceil((last - first + 1) * widest / size))
            return [(float(step), [float(v) for v in range(first, last + 1, step)])]

        def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
            return [self.labels[int(v)] if 0 <= int(v) < len(self.labels) else ""
                    for v in values]

    return CategoryAxis()


class ChartPane(QWidget):
    """Shows one chart at a time; a chooser appears when the run drew several."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._charts: list[dict[str, Any]] = []
        self.chooser = QComboBox()
        self.chooser.currentIndexChanged.connect(self._draw)
        self.placeholder = placeholder(NO_CHART)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.placeholder)
        self.plot: Any = None  # a pyqtgraph PlotWidget, made on the first chart
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.chooser)
        layout.addWidget(self.stack)
        self.set_charts([])

    def set_charts(self, charts: Sequence[dict[str, Any]], empty: str | None = None) -> None:
        """Show the run's charts (each `{kind, x, y, title}`); an empty list clears, and the
        pane says `empty` (by default: the run drew none, and how a script draws one)."""
        self._charts = list(charts)
        self.placeholder.setText(empty or NO_CHART)
        self.chooser.blockSignals(True)
        self.chooser.clear()
        for number, chart in enumerate(self._charts, 1):
            self.chooser.addItem(chart.get("title") or f"Chart {number} ({chart.get('kind')})")
        self.chooser.blockSignals(False)
        self.chooser.setVisible(len(self._charts) > 1)
        if not self._charts:
            self.stack.setCurrentWidget(self.placeholder)
            return
        self._draw(0)

    def _ensure_plot(self) -> Any:
        if self.plot is None:
            import pyqtgraph as pg

            palette = self.palette()
            self.plot = pg.PlotWidget(background=palette.color(QPalette.ColorRole.Base))
            self._text_color = palette.color(QPalette.ColorRole.Text)
            self.stack.addWidget(self.plot)
        return self.plot

    def _draw(self, number: int) -> None:
        if not 0 <= number < len(self._charts):
            return
        import pyqtgraph as pg

        chart = self._charts[number]
        kind = str(chart.get("kind") or "bar")
        xs, ys, labels = chart_points(chart)
        plot = self._ensure_plot()
        item = plot.getPlotItem()
        item.clear()
        axis = _category_axis(labels) if labels is not None else pg.AxisItem("bottom")
        item.setAxisItems({"bottom": axis})
        for name in ("bottom", "left"):
            item.getAxis(name).setTextPen(self._text_color)
            item.getAxis(name).setPen(self._text_color)
        title = chart.get("title") or ""
        if kind == "pie":
            title = f"{title} (pie chart shown as bars)".strip()
        item.setTitle(title, color=self._text_color.name(), size="12pt")
        item.showGrid(x=False, y=True, alpha=0.2)
        if kind in ("bar", "pie"):
            gaps = [b - a for a, b in zip(sorted(xs), sorted(xs)[1:]) if b > a]
            width = 0.8 * (min(gaps) if gaps else 1.0)
            item.addItem(pg.BarGraphItem(x=xs, height=ys, width=width, brush=BAR_COLOR,
                                         pen=pg.mkPen(BAR_COLOR)))
        elif kind == "scatter":
            item.plot(xs, ys, pen=None, symbol="o", symbolSize=7, symbolBrush=BAR_COLOR,
                      symbolPen=None)
        else:
            symbol = "o" if len(xs) <= 50 else None
            item.plot(xs, ys, pen=pg.mkPen(BAR_COLOR, width=2), symbol=symbol, symbolSize=6,
                      symbolBrush=BAR_COLOR, symbolPen=None)
        item.enableAutoRange()
        self.stack.setCurrentWidget(plot)
