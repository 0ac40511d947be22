#!/bin/sh
# Build the Linux release of Writer Desktop from the repository:
#   dist/Writer Desktop/                                 the PyInstaller bundle
#   dist/writer-desktop-<version>-linux-x86_64.tar.gz    bundle + menu entry + icons + install.sh
#   dist/writer-desktop_<version>_amd64.deb              for Debian/Ubuntu (installs to /opt)
# Usage: packaging/linux/build.sh            (PYTHON=... to pick the Python with PyInstaller)
#        SKIP_BUILD=1 packaging/linux/build.sh   to package an existing dist/Writer Desktop
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
PYTHON=${PYTHON:-python3}
HERE=packaging/linux
VERSION=$("$PYTHON" -c 'import writer_desktop; print(writer_desktop.__version__)')
ARCH=x86_64
DEBARCH=amd64
DIST=$ROOT/dist
BUNDLE="$DIST/Writer Desktop"

if [ -z "${SKIP_BUILD:-}" ]; then
    "$PYTHON" -m PyInstaller --noconfirm --clean --distpath "$DIST" --workpath "$ROOT/build" pyinstaller.spec
fi
[ -x "$BUNDLE/writer-desktop" ] || { echo "no bundle at $BUNDLE" >&2; exit 1; }

# share/ tree shared by both packages: menu entry, AppStream metadata, icons.
share_tree() {  # $1 = destination share/ folder
    mkdir -p "$1/applications" "$1/metainfo"
    cp "$HERE/writer-desktop.desktop" "$1/applications/"
    cp "$HERE/com.writer.WriterDesktop.metainfo.xml" "$1/metainfo/"
    for dir in resources/icons/hicolor/*/apps; do
        size=$(basename "$(dirname "$dir")")
        mkdir -p "$1/icons/hicolor/$size/apps"
        cp "$dir/writer-desktop.png" "$1/icons/hicolor/$size/apps/"
    done
    mkdir -p "$1/icons/hicolor/scalable/apps"
    cp resources/writer-desktop.svg "$1/icons/hicolor/scalable/apps/"
}

# --- the tar.gz: unpack anywhere, run ./install.sh (per user) or run writer-desktop/writer-desktop
NAME=writer-desktop-$VERSION-linux-$ARCH
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
mkdir "$STAGE/$NAME"
cp -a "$BUNDLE" "$STAGE/$NAME/writer-desktop"
share_tree "$STAGE/$NAME/share"
install -m 755 "$HERE/install.sh" "$STAGE/$NAME/install.sh"
tar -C "$STAGE" --owner=0 --group=0 -czf "$DIST/$NAME.tar.gz" "$NAME"
echo "built $DIST/$NAME.tar.gz"

# --- the .deb
PKG=$STAGE/deb
mkdir -p "$PKG/DEBIAN" "$PKG/opt" "$PKG/usr/bin" "$PKG/usr/share"
cp -a "$BUNDLE" "$PKG/opt/writer-desktop"
ln -s /opt/writer-desktop/writer-desktop "$PKG/usr/bin/writer-desktop"
share_tree "$PKG/usr/share"
chmod -R u+rwX,go+rX,go-w "$PKG"
SIZE=$(du -sk "$PKG" | cut -f1)
# The bundle carries Qt, Python and the X/xkb helper libraries; these are what it takes from the
# system (found with ldd on the bundle): glibc, libxcb, OpenGL/EGL through glvnd, Wayland.
cat > "$PKG/DEBIAN/control" <<CONTROL
Package: writer-desktop
Version: $VERSION
Architecture: $DEBARCH
Maintainer: Writer Desktop developers <desktop@writer.invalid>
Installed-Size: $SIZE
Depends: libc6 (>= 2.36), libxcb1, libxcb-cursor0, libxkbcommon-x11-0, libegl1, libgl1, libwayland-client0, libwayland-cursor0, libwayland-egl1, libfontconfig1
Recommends: gnome-keyring | kwalletmanager | keepassxc
Section: utils
Priority: optional
Homepage: https://writer.com
Description: fast, calm desktop assistant for Writer's Palmyra models
 Writer Desktop is a native window for Writer's Palmyra models: replies stream
 as they arrive, conversations are plain JSON files saved crash-safely, and the
 API key lives in the system keyring.
CONTROL
dpkg-deb --root-owner-group -Zxz --build "$PKG" "$DIST/writer-desktop_${VERSION}_$DEBARCH.deb" >/dev/null
echo "built $DIST/writer-desktop_${VERSION}_$DEBARCH.deb"
