"""Light, dark, or the system's colours.

Qt 6.8+ can switch a platform's colour scheme (``QStyleHints.setColorScheme``) where the platform
theme supports it (Windows 11, macOS, GNOME/KDE platform themes). Where it does not — plain X11 or
Wayland without a platform theme, where the request is silently ignored — the Fusion style with an
explicit palette gives the same result, so "Dark" is dark everywhere.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

THEMES = (("system", "Follow the &system"), ("light", "&Light"), ("dark", "&Dark"))  # menu labels

_SCHEMES = {
    "system": Qt.ColorScheme.Unknown,
    "light": Qt.ColorScheme.Light,
    "dark": Qt.ColorScheme.Dark,
}


def dark_palette() -> QPalette:
    """A calm dark palette, readable at contrast ratios above 7:1 for body text."""
    p = QPalette()
    roles = QPalette.ColorRole
    colours = {
        roles.Window: "#1f2125",
        roles.WindowText: "#e8e8ea",
        roles.Base: "#17181b",
        roles.AlternateBase: "#24262b",
        roles.ToolTipBase: "#2b2d31",
        roles.ToolTipText: "#e8e8ea",
        roles.PlaceholderText: "#8b8e96",
        roles.Text: "#e8e8ea",
        roles.Button: "#2a2c31",
        roles.ButtonText: "#e8e8ea",
        roles.BrightText: "#ff6b6b",
        roles.Light: "#3a3d43",
        roles.Midlight: "#32353a",
        roles.Mid: "#45484f",
        roles.Dark: "#111214",
        roles.Shadow: "#000000",
        roles.Highlight: "#4a7dff",
        roles.HighlightedText: "#ffffff",
        roles.Link: "#8ab4ff",
        roles.LinkVisited: "#c5a3ff",
    }
    for role, colour in colours.items():
        p.setColor(role, QColor(colour))
    for role in (roles.Text, roles.WindowText, roles.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6f727a"))
    return p


# Fusion draws the edges of check boxes, text fields and boxes (the prompt), spin boxes and combo
# boxes in the window
# colour made darker: on a dark window, dark on dark (an unchecked box, the filter field's edge
# at 1.1:1). Those classes get a window colour of their own, used for nothing but that edge.
OUTLINED = (
    "QCheckBox",
    "QRadioButton",
    "QLineEdit",
    "QPlainTextEdit",
    "QAbstractSpinBox",
    "QComboBox",
)
DARK_OUTLINE_WINDOW = "#5a5d64"  # its edge: #404247, beside #1f2125 around and #17181b inside


def outline_fields(app: QApplication, *, dark: bool) -> None:
    """Give the :data:`OUTLINED` classes visible edges in the dark palette, or none of their own
    (a palette with no colour set takes all of the application's)."""
    for name in OUTLINED:
        palette = QPalette()
        if dark:
            palette.setColor(QPalette.ColorRole.Window, QColor(DARK_OUTLINE_WINDOW))
        app.setPalette(palette, name)  # type: ignore[arg-type]  # a str, whatever the stub says


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


class ThemeSwitcher:
    """Applies ``system``, ``light`` or ``dark`` to the application, and can switch back."""

    def __init__(self, app: QApplication) -> None:
        self._app = app
        self._original_palette = QPalette(app.palette())
        # Recorded when Fusion first replaces it: asking for the style makes PySide6 build the
        # QStyle class and its enums (~6 ms), which a start with the system theme never needs.
        self._original_style: str | None = None
        self.current = "system"

    def apply(self, theme: str) -> None:
        scheme = _SCHEMES.get(theme, Qt.ColorScheme.Unknown)
        self.current = theme if theme in _SCHEMES else "system"
        hints = QGuiApplication.styleHints()
        hints.setColorScheme(scheme)
        app = self._app
        if scheme is Qt.ColorScheme.Unknown or hints.colorScheme() == scheme:
            # Following the system, or the platform switched for us: its own style and palette.
            if self._original_style is not None and app.style().name() != self._original_style:
                app.setStyle(self._original_style)
            app.setPalette(self._original_palette)
            outline_fields(app, dark=False)
            return
        # The platform ignored the request: Fusion with an explicit palette.
        if self._original_style is None:
            self._original_style = app.style().name()
        if app.style().name().lower() != "fusion":
            app.setStyle("Fusion")
        palette = dark_palette() if scheme is Qt.ColorScheme.Dark else app.style().standardPalette()
        app.setPalette(palette)
        outline_fields(app, dark=scheme is Qt.ColorScheme.Dark)
