"""Settings (Ctrl+,): the API key, new-conversation defaults, appearance, quick prompt, behaviour,
the API address.

The dialog only edits a copy of :class:`~writer_desktop.core.settings.Settings` and reports:
``settings_accepted(Settings)`` when the user presses OK with valid values, and
``replace_key_requested()`` / ``remove_key_requested()`` for the key, which never passes through
here. The base URL is checked with the same rule the client applies (https, or http only for
loopback) before the dialog accepts, and the quick-prompt shortcut with the hotkey parser.
What the dialog cannot know (the hotkey mechanism and its problem, whether a tray exists) is
passed in by the caller.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from writer_desktop.core.base_url import DEFAULT_BASE_URL, check_base_url
from writer_desktop.core.errors import ConfigError
from writer_desktop.core.secrets import KeyLookup, KeySource
from writer_desktop.core.settings import Settings

from .hint_label import HintLabel
from .hotkey import HotkeyError
from .hotkey_recorder import HotkeyGroup
from .screen_fit import room
from .theme import THEMES


class SettingsDialog(QDialog):
    settings_accepted = Signal(object)  # Settings
    replace_key_requested = Signal()
    remove_key_requested = Signal()

    def __init__(
        self,
        settings: Settings,
        key: KeyLookup,
        models: Sequence[str],
        *,
        base_url_from_env: str = "",
        hotkey_mechanism: str | None = None,
        hotkey_problem: str = "",
        tray_available: bool = True,
        taken_shortcuts: Mapping[str, str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """``hotkey_mechanism``: what listens for the shortcut ("" if nothing can, None if not
        known); ``hotkey_problem``: why it does not work, in words."""
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self._settings = settings
        # The groups scroll when the screen is shorter than they are (at 150 % on a 1080p
        # screen OK and Cancel were below its edge); see fit().
        self.body = QWidget(self)
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        self.scroll_area = QScrollArea(self)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Not a Tab stop of its own (it took the focus at open, with no ring): Tab scrolls it
        # to the field reached, as it passes through its focusNextPrevChild().
        self.scroll_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout = QVBoxLayout(self)
        layout.addWidget(self.scroll_area, 1)
        body.addWidget(self._key_group(key))
        body.addWidget(self._defaults_group(settings, models))
        body.addWidget(self._appearance_group(settings))
        self.hotkey_group = HotkeyGroup(
            settings.hotkey,
            settings.hotkey_enabled,
            mechanism=hotkey_mechanism,
            problem=hotkey_problem,
            taken=taken_shortcuts,
            parent=self,
        )
        body.addWidget(self.hotkey_group)
        body.addWidget(self._behaviour_group(settings, tray_available))
        body.addWidget(self._advanced_group(settings, base_url_from_env))
        body.addStretch(1)
        self.scroll_area.setWidget(self.body)
        self.error_label = QLabel("", self)
        self.error_label.setObjectName("settingsError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #c62828; font-weight: 600;")
        self.error_label.hide()
        self._error_field: QWidget | None = None  # the field the error is about
        layout.addWidget(self.error_label)
        self.base_url_edit.textEdited.connect(lambda: self._edited(self.base_url_edit))
        recorder = self.hotkey_group.recorder
        recorder.keySequenceChanged.connect(lambda: self._edited(recorder))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.setMinimumWidth(520)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._buttons = buttons
        self.hotkey_group.grew.connect(self.fit)
        self._align_forms()
        self.fit()
        self._focus_first_field()

    def _align_forms(self) -> None:
        """One label column for every group: each form sized its own, and the fields started
        at three different places down the dialog."""
        labels: list[QWidget] = []
        for form in self.body.findChildren(QFormLayout):
            for row in range(form.rowCount()):
                item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
                label = item.widget() if item is not None else None
                if label is not None:
                    labels.append(label)
        width = max((label.sizeHint().width() for label in labels), default=0)
        for label in labels:
            label.setMinimumWidth(width)

    def _focus_first_field(self) -> None:
        """Open on the first field Tab reaches (Qt chose the default button, OK)."""
        widget = self.body.nextInFocusChain()
        while widget is not self.body and widget is not None:
            tabbable = widget.focusPolicy() & Qt.FocusPolicy.TabFocus and widget.isEnabled()
            if tabbable and self.body.isAncestorOf(widget) and widget.isVisibleTo(self):
                widget.setFocus()
                return
            widget = widget.nextInFocusChain()

    def fit(self) -> None:
        """Tall enough to show every setting, unless the screen is shorter: then as tall as it
        has room for, the settings scrolling. Measured at the real width: Qt's adjustSize()
        measures word-wrapped labels at the narrower sizeHint width, a line short."""
        width = max(self.width(), self.minimumWidth()) if self.isVisible() else self.minimumWidth()
        layout = self.layout()
        assert layout is not None
        margins = layout.contentsMargins()
        inner = width - margins.left() - margins.right()
        wanted = self.body.heightForWidth(inner)
        if wanted < 0:
            wanted = self.body.sizeHint().height()
        rest = margins.top() + margins.bottom() + self._buttons.sizeHint().height()
        rest += layout.spacing()
        if not self.error_label.isHidden():
            rest += self.error_label.heightForWidth(inner) + layout.spacing()
        most = room(self.screen())
        shown = wanted if most is None else max(120, min(wanted, most.height() - rest))
        self.scroll_area.setMinimumHeight(shown)
        layout.activate()  # the dialog's minimum follows now, or it would hold the resize back
        height = max(self.height(), shown + rest) if self.isVisible() else shown + rest
        self.resize(width, height if most is None else min(height, most.height()))

    def show_key(self, key: KeyLookup) -> None:
        """Where the key in use comes from; kept up to date while the dialog is open (a key
        replaced or removed from here leaves the other edits as they are)."""
        text = f"Key: {key.description}"
        self.key_label.setText(f"{text} — {key.problem}" if key.problem else text)
        from_env = key.source is KeySource.ENVIRONMENT
        self.remove_key_button.setEnabled(key.source in (KeySource.KEYRING, KeySource.SESSION))
        self.replace_key_button.setEnabled(not from_env)
        # Nothing to replace without a key ("Replace key…" read as if one were set).
        self.replace_key_button.setText(
            "A&dd key…" if key.source is KeySource.NONE else "&Replace key…"
        )
        self.key_label.setToolTip(
            "Unset WRITER_API_KEY to manage the key here." if from_env else ""
        )

    # -- sections ----------------------------------------------------------------------------

    def _key_group(self, key: KeyLookup) -> QGroupBox:
        group = QGroupBox("Writer API key", self)
        self.key_label = QLabel(group)
        self.key_label.setObjectName("keySource")
        self.key_label.setWordWrap(True)
        self.replace_key_button = QPushButton("&Replace key…", group)
        self.remove_key_button = QPushButton("Remo&ve key", group)
        self.show_key(key)
        self.replace_key_button.clicked.connect(self.replace_key_requested)
        self.remove_key_button.clicked.connect(self.remove_key_requested)
        row = QHBoxLayout()
        row.addWidget(self.replace_key_button)
        row.addWidget(self.remove_key_button)
        row.addStretch(1)
        box = QVBoxLayout(group)
        box.addWidget(self.key_label)
        box.addLayout(row)
        return group

    def _defaults_group(self, settings: Settings, models: Sequence[str]) -> QGroupBox:
        group = QGroupBox("New conversations", self)
        form = QFormLayout(group)
        self.model_combo = QComboBox(group)
        self.model_combo.setAccessibleName("Default model")
        self.model_combo.setEditable(True)
        choices = list(dict.fromkeys([*models, settings.default_model]))
        self.model_combo.addItems(choices)
        self.model_combo.setCurrentText(settings.default_model)
        form.addRow("&Model:", self.model_combo)
        self.temperature_spin = QDoubleSpinBox(group)
        self.temperature_spin.setAccessibleName("Default temperature")
        self.temperature_spin.setRange(0.0, 2.0)
        self.temperature_spin.setSingleStep(0.1)
        self.temperature_spin.setDecimals(2)
        self.temperature_spin.setValue(settings.temperature)
        form.addRow("&Temperature:", self.temperature_spin)
        self.max_tokens_spin = QSpinBox(group)
        self.max_tokens_spin.setAccessibleName("Default maximum reply length in tokens")
        self.max_tokens_spin.setRange(1, 8192)
        self.max_tokens_spin.setSingleStep(256)
        self.max_tokens_spin.setValue(settings.max_tokens)
        form.addRow("Max tokens &per reply:", self.max_tokens_spin)
        return group

    def _appearance_group(self, settings: Settings) -> QGroupBox:
        group = QGroupBox("Appearance", self)
        form = QFormLayout(group)
        self.theme_combo = QComboBox(group)
        self.theme_combo.setAccessibleName("Theme")
        for value, label in THEMES:
            self.theme_combo.addItem(label.replace("&", ""), value)
        self.theme_combo.setCurrentIndex(self.theme_combo.findData(settings.theme))
        form.addRow("T&heme:", self.theme_combo)
        self.text_scale_spin = QSpinBox(group)
        self.text_scale_spin.setAccessibleName("Text size in percent")
        self.text_scale_spin.setRange(50, 300)
        self.text_scale_spin.setSingleStep(10)
        self.text_scale_spin.setSuffix(" %")
        self.text_scale_spin.setValue(settings.text_scale)
        form.addRow("Te&xt size:", self.text_scale_spin)
        return group

    def _behaviour_group(self, settings: Settings, tray_available: bool) -> QGroupBox:
        group = QGroupBox("Behaviour", self)
        box = QVBoxLayout(group)
        self.tray_check = QCheckBox("&Keep running in the tray when the window is closed", group)
        self.tray_check.setChecked(settings.close_to_tray and tray_available)
        self.tray_check.setEnabled(tray_available)
        box.addWidget(self.tray_check)
        self.tray_note = HintLabel(
            "Your desktop shows no tray icons, so closing the window quits Writer Desktop.", group
        )
        self.tray_note.setObjectName("trayNote")
        self.tray_note.setWordWrap(True)
        self.tray_note.setVisible(not tray_available)
        box.addWidget(self.tray_note)
        self.login_check = QCheckBox("Start Writer Desktop when I &log in", group)
        self.login_check.setChecked(settings.start_at_login)
        box.addWidget(self.login_check)
        return group

    def _advanced_group(self, settings: Settings, from_env: str) -> QGroupBox:
        """``from_env``: the address WRITER_BASE_URL sets ("" if unset), which is the one used."""
        group = QGroupBox("Advanced", self)
        form = QFormLayout(group)
        self.base_url_edit = QLineEdit(settings.base_url, group)
        self.base_url_edit.setAccessibleName("API address")
        self.base_url_edit.setPlaceholderText(DEFAULT_BASE_URL)
        form.addRow("API &address:", self.base_url_edit)
        if from_env:  # said where it is seen, not only in a tooltip
            self.base_url_note = QLabel(
                f"In use: {from_env} (WRITER_BASE_URL is set and takes precedence).", group
            )
            self.base_url_note.setWordWrap(True)
            self.base_url_note.setTextFormat(Qt.TextFormat.PlainText)
            form.addRow("", self.base_url_note)
        self.idle_spin = QSpinBox(group)
        self.idle_spin.setAccessibleName("Seconds of silence before a reply counts as cut off")
        self.idle_spin.setRange(5, 600)
        self.idle_spin.setSuffix(" s")
        self.idle_spin.setValue(round(settings.idle_timeout))
        form.addRow("&Give up on a silent reply after:", self.idle_spin)
        return group

    # -- result ------------------------------------------------------------------------------

    def values(self) -> Settings:
        """The edited settings; ConfigError for an unusable API address, HotkeyError for an
        unusable shortcut."""
        base_url = self.base_url_edit.text().strip()
        if base_url:
            base_url = check_base_url(base_url)
        model = self.model_combo.currentText().strip() or self._settings.default_model
        return dataclasses.replace(
            self._settings,
            default_model=model,
            temperature=round(self.temperature_spin.value(), 2),
            max_tokens=self.max_tokens_spin.value(),
            theme=self.theme_combo.currentData(),
            text_scale=self.text_scale_spin.value(),
            base_url=base_url,
            idle_timeout=float(self.idle_spin.value()),
            hotkey=self.hotkey_group.sequence(),
            hotkey_enabled=self.hotkey_group.enabled,
            # Without a tray the box is off and greyed; the user's choice is kept for later.
            close_to_tray=(
                self.tray_check.isChecked()
                if self.tray_check.isEnabled()
                else self._settings.close_to_tray
            ),
            start_at_login=self.login_check.isChecked(),
        )

    def _accept(self) -> None:
        try:
            values = self.values()
        except ConfigError as exc:
            self._show_error(exc.user_message, self.base_url_edit)
            return
        except HotkeyError as exc:
            self._show_error(str(exc), self.hotkey_group.recorder)
            return
        self.settings_accepted.emit(values)
        self.accept()

    def _show_error(self, text: str, field: QWidget) -> None:
        self.error_label.setText(text)
        self.error_label.show()
        self.fit()  # its lines come out of the settings' share when the screen is short
        field.setFocus()
        self._error_field = field

    def _edited(self, field: QWidget) -> None:
        """The field an error was about is being fixed: the error goes (it stayed until OK)."""
        if field is self._error_field and not self.error_label.isHidden():
            self.error_label.hide()
            self.error_label.clear()
            self._error_field = None
            self.fit()
