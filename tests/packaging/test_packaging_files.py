"""Fast checks of the packaging files: they parse, name the right things, and the icons are real."""

from __future__ import annotations

import configparser
import importlib.util
import re
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from writer_desktop import __version__

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
RESOURCES = ROOT / "resources"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def desktop_entry() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(PACKAGING / "linux" / "writer-desktop.desktop", encoding="utf-8")
    return parser


def test_desktop_file_launches_the_app_and_offers_the_quick_prompt() -> None:
    entry = desktop_entry()
    main = entry["Desktop Entry"]
    assert main["Type"] == "Application"
    assert main["Name"] == "Writer Desktop"
    assert main["Exec"] == "writer-desktop"
    assert main["Icon"] == "writer-desktop"
    assert main["StartupWMClass"] == "writer-desktop"
    assert {"Office", "Utility"} <= set(filter(None, main["Categories"].split(";")))
    assert main["Keywords"].endswith(";")
    assert "quick" in main["Actions"].split(";")
    quick = entry["Desktop Action quick"]
    assert quick["Name"] == "Quick prompt"
    assert quick["Exec"] == "writer-desktop quick"


def test_metainfo_is_appstream_with_the_right_id() -> None:
    tree = ET.parse(PACKAGING / "linux" / "com.writer.WriterDesktop.metainfo.xml")
    root = tree.getroot()
    assert root.tag == "component"
    assert root.get("type") == "desktop-application"
    assert root.findtext("id") == "com.writer.WriterDesktop"
    assert root.findtext("launchable") == "writer-desktop.desktop"
    assert root.findtext("provides/binary") == "writer-desktop"
    versions = [r.get("version") for r in root.iter("release")]
    assert __version__ in versions, "add a <release> for the current version"


@pytest.mark.parametrize("size", PNG_SIZES)
def test_hicolor_png_has_its_size(size: int) -> None:
    path = RESOURCES / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "writer-desktop.png"
    image = QImage(str(path))
    assert not image.isNull(), path
    assert (image.width(), image.height()) == (size, size)
    assert image.hasAlphaChannel()


def test_ico_is_a_multi_size_icon() -> None:
    data = (RESOURCES / "writer-desktop.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind) == (0, 1)
    sizes = set()
    for i in range(count):
        entry = data[6 + 16 * i : 22 + 16 * i]
        w, h, _, _, _, _, length, offset = struct.unpack("<BBBBHHII", entry)
        blob = data[offset : offset + length]
        assert len(blob) == length
        side = w or 256
        assert png_size(blob) == (side, h or 256)
        sizes.add(side)
    assert {16, 32, 48, 256} <= sizes


def test_icns_is_a_valid_container() -> None:
    data = (RESOURCES / "writer-desktop.icns").read_bytes()
    assert data[:4] == b"icns"
    assert struct.unpack(">I", data[4:8])[0] == len(data)
    entries = {}
    pos = 8
    while pos < len(data):
        ostype, length = data[pos : pos + 4], struct.unpack(">I", data[pos + 4 : pos + 8])[0]
        assert length > 8
        entries[ostype] = png_size(data[pos + 8 : pos + length])
        pos += length
    assert pos == len(data)
    expected = {b"ic07": 128, b"ic08": 256, b"ic09": 512, b"ic10": 1024}
    for ostype, side in expected.items():
        assert entries[ostype] == (side, side)


def test_spec_is_python_and_trims_the_bundle() -> None:
    source = (ROOT / "pyinstaller.spec").read_text(encoding="utf-8")
    compile(source, "pyinstaller.spec", "exec")
    for name in ("PyQt5", "PyQt6", "PySide2", "QtQml", "QtQuick", "QtPdf", "QtVirtualKeyboard"):
        assert f'"{name}"' in source, name
    for dropped in ("libqgtk3", "gtk-3", "/translations/"):
        assert dropped in source, dropped
    assert 'collect_submodules("writer_desktop")' in source  # the lazily imported hotkey backends
    assert 'bundle_identifier="com.writer.WriterDesktop"' in source


def test_inno_setup_installs_per_user_and_keeps_user_data_by_default() -> None:
    iss = (PACKAGING / "windows" / "writer-desktop.iss").read_text(encoding="utf-8")
    assert re.search(r"^PrivilegesRequired=lowest$", iss, re.M)
    assert r"DefaultDirName={localappdata}\Programs\{#AppName}" in iss
    assert r"CurrentVersion\Run" in iss
    assert "MB_DEFBUTTON2" in iss  # "No, keep my conversations" is the default answer


def test_shell_scripts_are_executable() -> None:
    for script in ("linux/build.sh", "linux/install.sh", "macos/make_dmg.sh"):
        path = PACKAGING / script
        assert path.read_text(encoding="utf-8").startswith("#!/bin/sh\n"), script
        assert path.stat().st_mode & 0o111, f"{script} is not executable"


def _common_data(items: dict[str, bytes]) -> bytes:
    """A tiny ICU common data package (CmnD) with the given items, laid out as ICU does."""
    header = struct.pack("<HBB", 32, 0xDA, 0x27) + struct.pack("<HHBBBB", 20, 0, 0, 0, 2, 0)
    header += b"CmnD" + bytes([1, 0, 0, 0]) + bytes(4)
    header += b"\0" * (32 - len(header))
    names = sorted(items)
    toc_len = 4 + 8 * len(names)
    blob, offsets = b"", []
    for name in names:
        offsets.append(toc_len + len(blob))
        blob += f"icudt73l/{name}".encode() + b"\0"
    start = toc_len + len(blob) + (-(toc_len + len(blob)) % 16)
    toc, body = struct.pack("<I", len(names)), b""
    for name, name_offset in zip(names, offsets, strict=True):
        toc += struct.pack("<II", name_offset, start + len(body))
        body += items[name] + b"\0" * (-len(items[name]) % 16)
    return header + toc + blob + b"\0" * (start - toc_len - len(blob)) + body


def test_icu_trim_keeps_what_qt_uses() -> None:
    spec = importlib.util.spec_from_file_location("trim_icu", PACKAGING / "trim_icu.py")
    assert spec is not None
    assert spec.loader is not None
    trim_icu = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(trim_icu)
    keep = {"coll/de.res": b"collation", "root.res": b"root", "en_GB.res": b"en",
            "ibm-943_P15A-2003.cnv": b"sjis", "zoneinfo64.res": b"tz" * 20}  # fmt: skip
    drop = {"brkitr/line.brk": b"x", "de.res": b"de", "curr/de.res": b"eur", "unames.icu": b"n"}
    trimmed, kept, gone = trim_icu.trim(_common_data(keep | drop))
    assert (kept, gone) == (len(keep), len(drop))
    assert trimmed == _common_data(keep)
