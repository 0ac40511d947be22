#!/bin/sh
# Install Writer Desktop for the current user, into ~/.local (no root needed):
#   ~/.local/opt/writer-desktop/             the app
#   ~/.local/bin/writer-desktop              a symlink to it (put ~/.local/bin on your PATH)
#   ~/.local/share/applications/             the menu entry
#   ~/.local/share/icons/hicolor/            the icons
#   ~/.local/share/metainfo/                 the AppStream description
# Run it from the unpacked release folder. `./install.sh --uninstall` removes all of that again;
# your conversations and settings (~/.local/share/Writer Desktop, ~/.config/Writer Desktop) stay.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
PREFIX=$HOME/.local
APPDIR=$PREFIX/opt/writer-desktop
BIN=$PREFIX/bin/writer-desktop

# $1 as one argument of a menu entry's Exec line (Desktop Entry spec): in double quotes with
# " ` $ \ escaped, \ doubled again for the file's own escapes, % as %%.
exec_arg() {
    printf '%s' "$1" | sed -e 's/[\\"`$]/\\&/g' -e 's/\\/\\\\/g' -e 's/%/%%/g' -e 's/^/"/' -e 's/$/"/'
}
# $1 as a plain string value of the file (TryExec): \ doubled.
string_value() { printf '%s' "$1" | sed -e 's/\\/\\\\/g'; }
# $1 made safe as the replacement of a sed s||| command.
sed_text() { printf '%s' "$1" | sed -e 's/[\\&|]/\\&/g'; }

refresh() {
    command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$DATA/applications" || true
    # No gtk-update-icon-cache here: a cache in ~/.local/share/icons would hide icons other apps
    # install there later. Desktops pick up new icons in an uncached folder by themselves.
    touch "$DATA/icons/hicolor" 2>/dev/null || true
}

if [ "${1:-}" = "--uninstall" ]; then
    rm -rf "$APPDIR"
    [ -L "$BIN" ] && rm -f "$BIN"
    rm -f "$DATA/applications/writer-desktop.desktop" "$DATA/metainfo/com.writer.WriterDesktop.metainfo.xml"
    find "$DATA/icons/hicolor" -path "*/apps/writer-desktop.*" -delete 2>/dev/null || true
    find "$DATA/icons/hicolor" -mindepth 1 -type d -empty -delete 2>/dev/null || true
    # "Start when I log in" (Settings) wrote an entry that runs this copy: it would fail at
    # every login. An entry for another copy (a pip install) is left alone.
    AUTOSTART=${XDG_CONFIG_HOME:-$HOME/.config}/autostart/writer-desktop.desktop
    if [ -f "$AUTOSTART" ] && grep -qF -e "$APPDIR/" -e "$(string_value "$APPDIR")/" "$AUTOSTART"; then
        rm -f "$AUTOSTART"
    fi
    refresh
    echo "Writer Desktop removed. Your conversations and settings were kept."
    exit 0
fi

[ -x "$HERE/writer-desktop/writer-desktop" ] || { echo "run install.sh from the unpacked release folder" >&2; exit 1; }

mkdir -p "$PREFIX/opt" "$PREFIX/bin" "$DATA/applications"
# Replace an older version as a whole (a new folder first, then swap it in).
rm -rf "$APPDIR.new"
cp -R "$HERE/writer-desktop" "$APPDIR.new"
rm -rf "$APPDIR"
mv "$APPDIR.new" "$APPDIR"
ln -sfn "$APPDIR/writer-desktop" "$BIN"
# The menu entry runs the absolute path, so it works even without ~/.local/bin on PATH; quoted,
# as a home folder may hold a space.
EXEC=$(sed_text "$(exec_arg "$APPDIR/writer-desktop")")
TRY=$(sed_text "$(string_value "$APPDIR/writer-desktop")")
sed -e "s|^Exec=writer-desktop|Exec=$EXEC|" \
    -e "s|^TryExec=writer-desktop|TryExec=$TRY|" \
    "$HERE/share/applications/writer-desktop.desktop" > "$DATA/applications/writer-desktop.desktop"
cp -R "$HERE/share/icons" "$DATA/"
if [ -d "$HERE/share/metainfo" ]; then  # AppStream: what software centres show about the app
    mkdir -p "$DATA/metainfo"
    cp "$HERE/share/metainfo/com.writer.WriterDesktop.metainfo.xml" "$DATA/metainfo/"
fi
refresh
echo "Writer Desktop installed: $APPDIR (command: $BIN)"
case ":$PATH:" in
    *":$PREFIX/bin:"*) ;;
    *) echo "Note: $PREFIX/bin is not on your PATH; the menu entry works anyway." ;;
esac
