"""The application's look: System (the platform's own), Light or Dark, and the font size step.

Light and Dark use the Fusion style with a palette of our own, so they look the same on every
platform; System gives back the style and palette the application started with. The choice and
the font step live in QSettings (window-only state, see STYLE.md).
"""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

SYSTEM, LIGHT, DARK = "system", "light", "dark"
THEMES = {SYSTEM: "&System", LIGHT: "&Light", DARK: "&Dark"}
THEME_KEY = "view/theme"
FONT_STEP_KEY = "view/font_step"
FONT_STEPS = range(-4, 13)  # points below or above the default: readable, never absurd

_started_with: tuple[str, QPalette] | None = None  # the system look, to go back to
_current = SYSTEM


def saved_theme(settings: QSettings) -> str:
    value = str(settings.value(THEME_KEY, SYSTEM))
    return value if value in THEMES else SYSTEM


def saved_font_step(settings: QSettings) -> int:
    try:
        step = int(str(settings.value(FONT_STEP_KEY, 0)))
    except ValueError:
        return 0
    return min(max(step, FONT_STEPS[0]), FONT_STEPS[-1])


def apply_theme(name: str) -> None:
    """Give the whole application the look `name`; widgets that follow the palette (the
    editor's colours) repaint through their PaletteChange event."""
    global _started_with, _current
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    if name == _current:
        return
    _current = name
    style = app.style()
    if _started_with is None:
        _started_with = (style.name() if style else "fusion", QPalette(app.palette()))
    if name in (LIGHT, DARK):
        if style is None or style.name().lower() != "fusion":
            app.setStyle(QStyleFactory.create("Fusion"))
        app.setPalette(dark_palette() if name == DARK else light_palette())
        return
    system_style, system_palette = _started_with
    if style is None or style.name().lower() != system_style.lower():
        app.setStyle(QStyleFactory.create(system_style))
    app.setPalette(system_palette)


def _palette(colours: dict[QPalette.ColorRole, str], disabled_text: str) -> QPalette:
    palette = QPalette()
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText,
                 QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(disabled_text))
    return palette


def light_palette() -> QPalette:
    role = QPalette.ColorRole
    return _palette({
        role.Window: "#f0f0f0", role.WindowText: "#1f2328", role.Base: "#ffffff",
        role.AlternateBase: "#f6f8fa", role.ToolTipBase: "#ffffdc", role.ToolTipText: "#1f2328",
        role.PlaceholderText: "#6e7781", role.Text: "#1f2328", role.Button: "#f0f0f0",
        role.ButtonText: "#1f2328", role.BrightText: "#d1242f", role.Link: "#0969da",
        role.Highlight: "#0969da", role.HighlightedText: "#ffffff", role.Light: "#ffffff",
        role.Midlight: "#e3e3e3", role.Mid: "#b8b8b8", role.Dark: "#a0a0a0", role.Shadow: "#696969",
    }, "#8c959f")


def dark_palette() -> QPalette:
    role = QPalette.ColorRole
    return _palette({
        role.Window: "#2b2d30", role.WindowText: "#dfe1e5", role.Base: "#1e1f22",
        role.AlternateBase: "#26282e", role.ToolTipBase: "#3c3f41", role.ToolTipText: "#dfe1e5",
        role.PlaceholderText: "#868a91", role.Text: "#dfe1e5", role.Button: "#3c3f41",
        role.ButtonText: "#dfe1e5", role.BrightText: "#f75464", role.Link: "#56a8f5",
        role.Highlight: "#2f65ca", role.HighlightedText: "#ffffff", role.Light: "#4e5157",
        role.Midlight: "#43454a", role.Mid: "#393b40", role.Dark: "#1e1f22", role.Shadow: "#0f1012",
    }, "#6f737a")
