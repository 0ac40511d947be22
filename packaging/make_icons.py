"""Render the app icon from ``resources/writer-desktop.svg`` into every format the installers need.

Run from anywhere: ``python packaging/make_icons.py``. Writes, next to the SVG:

- ``icons/hicolor/<N>x<N>/apps/writer-desktop.png`` for the freedesktop icon theme (Linux),
- ``writer-desktop.ico`` (Windows, several sizes in one file),
- ``writer-desktop.icns`` (macOS; PNG-encoded entries in an ICNS container, written here).

Only Qt (PySide6 QtSvg + QtGui) is needed, so anyone with the dev environment can regenerate them.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
SVG = RESOURCES / "writer-desktop.svg"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# ICNS entries that hold PNG data: OSType -> pixel size (the @2x types are the retina variants).
ICNS_TYPES = (
    (b"icp4", 16),
    (b"icp5", 32),
    (b"icp6", 64),
    (b"ic07", 128),
    (b"ic08", 256),
    (b"ic09", 512),
    (b"ic10", 1024),
    (b"ic11", 32),
    (b"ic12", 64),
    (b"ic13", 256),
    (b"ic14", 512),
)


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    return image.convertToFormat(QImage.Format.Format_ARGB32)


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):  # type: ignore[call-overload]  # stubs say bytes; 6.11 wants str
        raise RuntimeError("could not encode PNG")
    buffer.close()
    return bytes(data.data())


def ico_bytes(images: list[QImage]) -> bytes:
    """A Windows .ico with one PNG-compressed image per size (valid since Windows Vista)."""
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    entries, blobs = b"", b""
    for image in images:
        blob = png_bytes(image)
        side = image.width() if image.width() < 256 else 0  # 0 means 256
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(blob), offset)
        offset += len(blob)
        blobs += blob
    return header + entries + blobs


def icns_bytes(renderer: QSvgRenderer) -> bytes:
    body = b""
    for ostype, size in ICNS_TYPES:
        blob = png_bytes(render(renderer, size))
        body += ostype + struct.pack(">I", 8 + len(blob)) + blob
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        print(f"cannot read {SVG}", file=sys.stderr)
        return 1
    for size in PNG_SIZES:
        out = RESOURCES / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "writer-desktop.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(png_bytes(render(renderer, size)))
        print(out.relative_to(RESOURCES.parent))
    ico = RESOURCES / "writer-desktop.ico"
    ico.write_bytes(ico_bytes([render(renderer, s) for s in ICO_SIZES]))
    print(ico.relative_to(RESOURCES.parent))
    icns = RESOURCES / "writer-desktop.icns"
    icns.write_bytes(icns_bytes(renderer))
    print(icns.relative_to(RESOURCES.parent))
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
