"""Shrink the ICU data library that PySide6 bundles (``libicudata.so.73``, 32 MB) to what Qt uses.

Qt 6 calls only a handful of ICU functions (checked with ``readelf --dyn-syms libQt6*.so.6``):
case mapping (``u_strToUpper``/``u_strToLower``, tables compiled into libicuuc), collation
(``ucol_*``: QCollator, file dialogs sort with it), converters (``ucnv_*``: QStringConverter for
legacy encodings) and time zones (``ucal_*``: canonical ids; display names). It never formats
numbers, currencies, units or dates with ICU, never transliterates and never uses ICU's break
iterators (Qt has its own text boundary tables), so this drops:

- the ``brkitr``, ``curr``, ``unit``, ``lang``, ``region``, ``translit``, ``rbnf`` and ``zone``
  trees (``zone`` only names time zones for ``QTimeZone::displayName``, which the app never shows);
- the per-locale top-level bundles (``de.res``, ``ja_JP.res`` ... — date/number patterns) except
  English, and the data for APIs Qt does not call (``uspoof``, ``u_charName``, StringPrep, UTS46,
  NFKC, layout and emoji properties);

and keeps collation (``coll``), converters (``*.cnv``), time zone rules and the supplemental data.

The data is an ICU "common data" package (``CmnD``): a header, a table of contents of
(name offset, data offset) pairs sorted by name, the names, then 16-byte-aligned items. It is
rewritten without the dropped items and linked back into a shared library with the same soname
and data symbol (``icudt73_dat``) using binutils ``as`` and ``ld`` (which the Linux build already
needs for ``strip``).

    python packaging/trim_icu.py IN_LIBICUDATA OUT_LIBICUDATA      # prints the sizes
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

DROP_TREES = ("brkitr", "curr", "unit", "lang", "region", "translit", "rbnf", "zone")
DROP_FILES = re.compile(
    r"""^(
        confusables(WholeScript)?\.cfu | unames\.icu | .*\.spp | uts46\.nrm | nfkc(_cf)?\.nrm
        | ulayout\.icu | uemoji\.icu
        | (?!en(_|\.))[a-z]{2,3}(_[A-Za-z0-9]+)*\.res        # locale bundles, except English
    )$""",
    re.VERBOSE,
)


def dropped(name: str) -> bool:
    """``name`` is a TOC entry without the package prefix, e.g. ``coll/de.res`` or ``de.res``."""
    tree, _, rest = name.rpartition("/")
    if tree:
        return tree in DROP_TREES
    return bool(DROP_FILES.match(rest))


def trim(data: bytes) -> tuple[bytes, int, int]:
    """The package without the dropped items; also (items kept, items dropped)."""
    header_size, magic1, magic2 = struct.unpack_from("<HBB", data, 0)
    if (magic1, magic2) != (0xDA, 0x27) or data[12:16] != b"CmnD":
        raise ValueError("not an ICU common data package")
    if data[8] != 0:
        raise ValueError("only little-endian ICU data is handled")
    toc = data[header_size:]
    (count,) = struct.unpack_from("<I", toc, 0)
    entries = [struct.unpack_from("<II", toc, 4 + 8 * i) for i in range(count)]
    names = [toc[n : toc.index(b"\0", n)] for n, _ in entries]
    ends = [d for _, d in entries[1:]] + [len(toc)]
    items = [
        (name, toc[d:end])
        for name, (_, d), end in zip(names, entries, ends, strict=True)
        if not dropped(name.decode("ascii").split("/", 1)[1])
    ]
    # Same layout as ICU's icupkg: TOC, names, padding to 16, then the items (each padded to 16).
    names_start = 4 + 8 * len(items)
    name_blob = b""
    name_offsets = []
    for name, _ in items:
        name_offsets.append(names_start + len(name_blob))
        name_blob += name + b"\0"
    offset = names_start + len(name_blob)
    pad = -offset % 16
    offset += pad
    toc_out = struct.pack("<I", len(items))
    body = b""
    for (_name, blob), name_offset in zip(items, name_offsets, strict=True):
        toc_out += struct.pack("<II", name_offset, offset + len(body))
        body += blob + b"\0" * (-len(blob) % 16)
    out = data[:header_size] + toc_out + name_blob + b"\0" * pad + body
    return out, len(items), count - len(items)


def _readelf(option: str, lib: Path) -> str:
    return subprocess.run(
        ["readelf", option, str(lib)], capture_output=True, text=True, check=True
    ).stdout


DATA_SYMBOL = re.compile(
    r"\s([0-9a-f]+)\s+(0x[0-9a-f]+|\d+)\s+OBJECT\s+GLOBAL\s+\S+\s+\d+\s+(icudt\d+_dat)"
)


def data_symbol(lib: Path) -> tuple[str, int, int, str]:
    """(symbol, file offset, size, soname) of the ICU data blob in ``lib``."""
    match = DATA_SYMBOL.search(_readelf("-Ws", lib))
    if not match:
        raise ValueError(f"no icudtNN_dat symbol in {lib}")
    address, size, symbol = int(match[1], 16), int(match[2], 0), match[3]
    for line in _readelf("-SW", lib).splitlines():
        parts = line.replace("[ ", "[").split()
        if len(parts) > 6 and parts[1] == ".rodata":
            sec_addr, sec_off = int(parts[3], 16), int(parts[4], 16)
            break
    else:
        raise ValueError(f"no .rodata in {lib}")
    soname = re.search(r"Library soname: \[(.*?)\]", _readelf("-d", lib))
    return symbol, address - sec_addr + sec_off, size, soname[1] if soname else lib.name


def trim_library(src: Path, dst: Path) -> tuple[int, int]:
    """Write a trimmed copy of ``src`` to ``dst``; returns (old size, new size) of the file."""
    for tool in ("readelf", "as", "ld"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} (binutils) is needed to trim ICU data")
    symbol, offset, size, soname = data_symbol(src)
    with open(src, "rb") as f:
        f.seek(offset)
        data = f.read(size)
    trimmed, _kept, _gone = trim(data)
    with tempfile.TemporaryDirectory() as tmp:
        blob = Path(tmp, "icudata.dat")
        blob.write_bytes(trimmed)
        asm = Path(tmp, "icudata.s")
        asm.write_text(
            f".section .rodata\n.globl {symbol}\n.type {symbol}, @object\n.balign 16\n"
            f'{symbol}:\n.incbin "{blob}"\n.size {symbol}, . - {symbol}\n'
            '.section .note.GNU-stack,"",@progbits\n'
        )
        obj = Path(tmp, "icudata.o")
        subprocess.run(["as", "-o", str(obj), str(asm)], check=True)
        dst.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["ld", "-shared", "-soname", soname, "-z", "noexecstack", "-o", str(dst), str(obj)],
            check=True,
        )
    subprocess.run(["strip", "--strip-unneeded", str(dst)], check=False)
    return src.stat().st_size, dst.stat().st_size


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    old, new = trim_library(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"{sys.argv[1]}: {old / 1e6:.1f} MB -> {sys.argv[2]}: {new / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
