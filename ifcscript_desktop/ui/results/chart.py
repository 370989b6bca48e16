"""The Chart tab: what `show_chart` asked for, drawn with pyqtgraph.

Bar, line and scatter; a pie request is drawn as bars (pie charts compare badly and pyqtgraph
has none). Text x values become categories: every bar is named, the names turned upright when
they do not fit across; only when even upright names crowd are some left out, and the pane says
how many it shows.
pyqtgraph is imported on the first chart (it takes a second to import on a slow machine).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QFontMetrics, QPalette
from PySide6.QtWidgets import QComboBox, QLabel, QStackedWidget, QVBoxLayout, QWidget

from ifcscript_desktop.ui.results.cells import cell_text
from ifcscript_desktop.ui.results.placeholder import placeholder

BAR_COLOR = "#4C72B0"
LABEL_CHARS = 24
UPRIGHT_ROOM = 140  # pixels of height at most for names turned upright (longer ones elided)
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


def _category_axis(labels: Sequence[str], on_names: Callable[[int, int], None]) -> Any:
    import pyqtgraph as pg

    class CategoryAxis(pg.AxisItem):
        """Bottom axis naming every bar: across when the names fit, turned upright when they do
        not, and only then thinned (`on_names(shown, total)` tells the pane so it can say so)."""

        def __init__(self) -> None:
            super().__init__("bottom")
            half = LABEL_CHARS // 2  # elide the middle: names often differ at the end
            self.labels = [t if len(t) <= LABEL_CHARS else t[:half - 1] + "…" + t[-half:]
                           for t in labels]
            self.upright = False  # the names are drawn turned 90°, reading upwards
            self.drawn: list[str] = []  # the names painted last time (what the user sees)
            self._values: list[float] = []
            self._told: tuple[int, int] | None = None

        def tickValues(self, minVal: float, maxVal: float, size: float) -> list[Any]:
            first, last = max(0, math.ceil(minVal)), min(len(self.labels) - 1, math.floor(maxVal))
            if last < first or size <= 0 or maxVal <= minVal:
                self._values = []
                return []
            metrics = QFontMetrics(self.font())
            per_bar = size / (maxVal - minVal)  # pixels between two bars' centres
            widest = max(metrics.horizontalAdvance(t) for t in self.labels[first:last + 1]) + 12
            self.upright = widest > per_bar
            needed = metrics.height() + 2 if self.upright else widest
            step = max(1, math.ceil(needed / per_bar))
            self._values = [float(v) for v in range(first, last + 1, step)]
            self._fit_height(metrics, widest)
            told = (len(self._values), last - first + 1)
            if told != self._told:
                self._told = told
                on_names(*told)
            return [(float(step), self._values)]

        def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
            return [self.labels[int(v)] if 0 <= int(v) < len(self.labels) else ""
                    for v in values]

        def _fit_height(self, metrics: QFontMetrics, widest: int) -> None:
            scene = self.scene()  # a short chart keeps most of its height for the bars
            total = scene.sceneRect().height() if scene is not None else 0.0
            most = UPRIGHT_ROOM if total <= 0 else min(UPRIGHT_ROOM, max(48, int(0.3 * total)))
            room = min(widest, most) if self.upright else metrics.height()
            height = int(room + max(0, self.style["tickLength"]) + 12)
            if abs(self.height() - height) > 1:
                self.setHeight(height)

        def drawPicture(self, p: Any, axisSpec: Any, tickSpecs: Any, textSpecs: Any) -> None:
            if not self.upright:
                super().drawPicture(p, axisSpec, tickSpecs, textSpecs)
                self.drawn = [text for _rect, _flags, text in textSpecs]
                return
            super().drawPicture(p, axisSpec, tickSpecs, [])
            bounds = self.mapRectFromParent(self.geometry())
            low, high = self.range
            if high <= low:
                return
            metrics = QFontMetrics(p.font())
            top = bounds.top() + max(0, self.style["tickLength"]) + 4
            room = bounds.height() - (top - bounds.top()) - 2
            self.drawn = []
            for value in self._values:
                x = bounds.left() + (value - low) * bounds.width() / (high - low)
                text = metrics.elidedText(self.labels[int(value)], Qt.TextElideMode.ElideMiddle,
                                          int(room))
                p.save()
                p.translate(x, top)
                p.rotate(-90)  # the text runs upwards from the axis, its end under the bar
                p.drawText(QRectF(-room, -metrics.height() / 2, room, metrics.height()),
                           int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), text)
                p.restore()
                self.drawn.append(text)

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
        #: Says which bar names are left out when they crowd, and how to see them.
        self.note = QLabel()
        self.note.setEnabled(False)
        self.note.setWordWrap(True)
        self.note.hide()
        layout.addWidget(self.note)
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
            self.note.hide()
            self.stack.setCurrentWidget(self.placeholder)
            return
        self._draw(0)

    def _on_names(self, shown: int, total: int) -> None:
        self.note.setText(f"Showing the names of {shown} of {total} bars: widen the pane or zoom "
                          "in (mouse wheel) to see the others." if shown < total else "")
        self.note.setVisible(shown < total)

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
        self.note.hide()
        axis = _category_axis(labels, self._on_names) if labels is not None \
            else pg.AxisItem("bottom")
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
