#!/bin/sh
# Build the macOS disk image of Writer Desktop (run on a Mac, from anywhere):
#   pyinstaller --noconfirm pyinstaller.spec      -> dist/Writer Desktop.app
#   packaging/macos/make_dmg.sh                   -> dist/writer-desktop-<version>-macos-<arch>.dmg
# The image holds the app and an Applications symlink to drag it onto.
# Signing and notarisation are not done here: set CODESIGN_IDENTITY to sign the app before
# imaging (notarise the .dmg afterwards with `xcrun notarytool submit --wait`).
# UNTESTED here: written on Linux; try it on macOS before shipping.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PYTHON=${PYTHON:-python3}
APP="$ROOT/dist/Writer Desktop.app"
VERSION=$(cd "$ROOT" && "$PYTHON" -c 'import writer_desktop; print(writer_desktop.__version__)')
ARCH=$(uname -m)
DMG="$ROOT/dist/writer-desktop-$VERSION-macos-$ARCH.dmg"

[ -d "$APP" ] || { echo "no $APP: run pyinstaller --noconfirm pyinstaller.spec first" >&2; exit 1; }

if [ -n "${CODESIGN_IDENTITY:-}" ]; then
    codesign --force --deep --options runtime --timestamp --sign "$CODESIGN_IDENTITY" "$APP"
    codesign --verify --deep --strict "$APP"
fi

STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
rm -f "$DMG"
hdiutil create -volname "Writer Desktop" -srcfolder "$STAGE" -fs HFS+ -format UDZO -ov "$DMG"
hdiutil verify "$DMG"
echo "built $DMG"
