"""Build the bundled Chinese report fonts from the system Noto Sans CJK SC.

Why: WeasyPrint spends almost all of a Chinese PDF's time subsetting the 20 MB CFF font it
embeds (~10 s for a 9-page report). A font that already holds only the characters reports use,
with TrueType (quadratic, ``glyf``) outlines instead of CFF, makes the same PDF several times
faster, and bundling it makes Chinese PDFs render on machines that have no CJK font at all.

What it does, for the Regular and the Bold face of Noto Sans CJK SC (Debian package
``fonts-noto-cjk``; the SC face is picked out of the ``.ttc`` collection by its name table):

1. Subset (fontTools.subset) to the character set of :func:`charset`: ASCII, Latin-1, general
   punctuation, CJK symbols and punctuation, full-width forms, every character of GB2312
   (6,763 hanzi plus its symbols, kana, Greek, Cyrillic and box drawing; derived by decoding
   every GB2312 code point with Python's own codec), and a list of symbols used in reports.
   Hinting is dropped, and so are vertical-writing tables and the ``locl``/``vert`` lookups,
   which would pull in Japanese/Korean/Traditional variants that SC text never uses.
2. Convert the CFF outlines to TrueType: every glyph is drawn through ``Cu2QuPen`` (cubic to
   quadratic, max error 1 unit of 1000, contours reversed to TrueType's clockwise direction)
   into a ``TTGlyphPen``; ``glyf``/``loca`` replace ``CFF ``/``VORG``; ``maxp`` becomes version
   1.0, ``post`` stays format 3 (no glyph names), ``head`` is told the outlines are glyf.
3. Rename the family to ``Noto Sans SC CR`` (a modified version under the SIL OFL 1.1; the
   Reserved Font Name of the upstream licence is "Source", which this name does not use),
   keep the copyright, trademark and licence name records, and say what was changed.

Output is deterministic: the same source font gives byte-identical files (timestamps are
copied from the source font, nothing depends on the clock or on dict order).

Usage::

    python tools/make_cjk_subset.py                      # writes report_templates/fonts/
    python tools/make_cjk_subset.py --out DIR --extra-chars "堃喆"
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

SOURCE_DIR = Path("/usr/share/fonts/opentype/noto")
SOURCE_FAMILY = "Noto Sans CJK SC"
DEBIAN_COPYRIGHT = Path("/usr/share/doc/fonts-noto-cjk/copyright")
FAMILY = "Noto Sans SC CR"
PS_PREFIX = "NotoSansSC-CR"
STYLES = ("Regular", "Bold")
MAX_ERR = 1.0  # cu2qu tolerance in font units (UPM 1000): invisible at any print size
UPSTREAM_COPYRIGHT = (
    "Copyright 2014-2021 Adobe (http://www.adobe.com/), with Reserved Font Name 'Source'."
)

# Symbols seen in business reports beyond the ranges below. Those the source font lacks are
# reported (and left to the renderer's fallback font), never silently dropped.
REPORT_SYMBOLS = (
    "¥€£$¢%‰‱°℃№™®©×÷±≤≥≠≈∞√∑∆∏"  # currency, units, maths
    "✓✔✗✘▲▼△▽▶◀►◄●○◎■□◆◇★☆•·…‥–—―‐‑‘’‚“”„′″‹›«»"  # marks, bullets, dashes, quotes
    "←↑→↓↔↗↘⇒⇐"  # arrows
    "①②③④⑤⑥⑦⑧⑨⑩ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ²³¹½¼¾"  # numbering
    "※§¶†‡"
)


def gb2312_chars() -> set[str]:
    """Every character of GB2312, by decoding each two-byte code (rows/cells 0xA1–0xFE)."""
    chars = set()
    for hi in range(0xA1, 0xFF):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes((hi, lo)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


def gb2312_hanzi() -> set[str]:
    """The 6,763 hanzi of GB2312: rows 16–87 (lead bytes 0xB0–0xF7)."""
    return {c for c in gb2312_chars() if 0xB0 <= c.encode("gb2312")[0] <= 0xF7}


def charset(extra: str = "") -> set[int]:
    """Code points to keep: see the module docstring."""
    ranges = [
        (0x0020, 0x007E),  # ASCII
        (0x00A0, 0x00FF),  # Latin-1 supplement (punctuation, ¥, ©, accented letters)
        (0x2010, 0x2027),  # general punctuation: dashes, quotes, bullets, ellipsis
        (0x2030, 0x203B),  # per mille, primes, guillemets, reference mark
        (0x3000, 0x303F),  # CJK symbols and punctuation
        (0xFF01, 0xFF5E),  # full-width ASCII forms
        (0xFFE0, 0xFFE6),  # full-width signs (￥ ￡ ￠ …)
    ]
    cps = {cp for lo, hi in ranges for cp in range(lo, hi + 1)}
    cps |= {ord(c) for c in gb2312_chars()}
    cps |= {ord(c) for c in REPORT_SYMBOLS + extra if not c.isspace()}
    return cps


def find_face(style: str) -> TTFont:
    """Load the SC face of the Noto Sans CJK collection for ``style``."""
    path = SOURCE_DIR / f"NotoSansCJK-{style}.ttc"
    if not path.exists():
        sys.exit(f"{path} not found: install the Debian package fonts-noto-cjk")
    for number, face in enumerate(TTCollection(path, lazy=True).fonts):
        name = face["name"]
        if name.getDebugName(1) == SOURCE_FAMILY and name.getDebugName(2) == style:
            return TTFont(path, fontNumber=number, recalcTimestamp=False)
    sys.exit(f"{path} has no face named {SOURCE_FAMILY!r} {style!r}")


def subset_font(font: TTFont, unicodes: set[int]) -> None:
    """Keep ``unicodes`` (those the font has), horizontal layout only, no hinting."""
    options = subset.Options()
    options.hinting = False
    options.desubroutinize = True
    options.layout_features = ["ccmp", "liga", "calt", "kern", "mark", "mkmk"]
    options.drop_tables += ["VORG", "vhea", "vmtx"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.recalc_timestamp = False
    sub = subset.Subsetter(options)
    sub.populate(unicodes=sorted(unicodes))
    sub.subset(font)


def cff_to_glyf(font: TTFont) -> None:
    """Replace the CFF outlines with quadratic TrueType ones (see the module docstring)."""
    order = font.getGlyphOrder()
    glyphset = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(None)
        glyphset[name].draw(Cu2QuPen(pen, MAX_ERR, reverse_direction=True))
        glyphs[name] = pen.glyph()

    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    font["loca"] = newTable("loca")
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]

    font.sfntVersion = "\x00\x01\x00\x00"
    font["head"].glyphDataFormat = 0
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for field in (
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
        "maxComponentDepth",
    ):
        setattr(maxp, field, 0)
    maxp.maxZones = 1  # no twilight zone is used; the spec allows only 1 or 2
    post = font["post"]
    post.formatType = 3.0  # no glyph names: smaller, and CFF names are meaningless here
    # Unhinted outlines: ask rasterisers for smoothing at every size.
    gasp = font["gasp"] = newTable("gasp")
    gasp.version = 1
    gasp.gaspRange = {0xFFFF: 0x000F}


def rename(font: TTFont, style: str) -> None:
    """Give the modified font its own name; keep copyright, trademark and licence records."""
    name = font["name"]
    source_version = name.getDebugName(5) or ""
    version = re.match(r"Version [\d.]+", source_version)
    version = version.group(0) if version else "Version 2.004"
    changed = (
        f"Modified from {SOURCE_FAMILY} {style} ({source_version}) by the communityroi "
        "project (tools/make_cjk_subset.py): subset to GB2312 and report symbols, outlines "
        "converted from CFF to TrueType, hinting removed."
    )
    records = {
        1: FAMILY,
        2: style,
        3: f"{version[8:]};{PS_PREFIX}-{style}",
        4: FAMILY if style == "Regular" else f"{FAMILY} {style}",
        5: f"{version}; {PS_PREFIX} subset",
        6: f"{PS_PREFIX}-{style}",
        10: changed,
    }
    for name_id in (16, 17, 21, 22, 25):
        name.removeNames(nameID=name_id)
    for name_id, text in records.items():
        name.removeNames(nameID=name_id)
        name.setName(text, name_id, 3, 1, 0x409)
    name.names.sort(key=lambda r: (r.platformID, r.platEncID, r.langID, r.nameID))


def build(style: str, unicodes: set[int], out_dir: Path) -> tuple[Path, set[int]]:
    """Write one face; return its path and the requested code points it lacks."""
    font = find_face(style)
    have = set(font.getBestCmap())
    subset_font(font, unicodes)
    cff_to_glyf(font)
    rename(font, style)
    path = out_dir / f"{PS_PREFIX}-{style}.ttf"
    font.save(path, reorderTables=True)
    return path, unicodes - have


def write_licence(out_dir: Path) -> Path:
    """OFL.txt: the upstream copyright line plus the licence text from Debian's copyright file."""
    text = DEBIAN_COPYRIGHT.read_text(encoding="utf-8")
    start = text.index("License: SIL-1.1\n ---")
    body = text[start:].split("\n", 1)[1]
    lines = []
    for line in body.splitlines():
        if not line.startswith(" "):
            break
        lines.append("" if line == " ." else line[1:])
    path = out_dir / "OFL.txt"
    path.write_text(UPSTREAM_COPYRIGHT + "\n\n" + "\n".join(lines).strip() + "\n", "utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_out = Path(__file__).resolve().parent.parent / "report_templates" / "fonts"
    parser.add_argument("--out", type=Path, default=default_out, help="output directory")
    parser.add_argument("--extra-chars", default="", help="more characters to keep")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    unicodes = charset(args.extra_chars)
    print(f"requested {len(unicodes)} code points ({len(gb2312_hanzi())} GB2312 hanzi)")
    for style in STYLES:
        path, missing = build(style, unicodes, args.out)
        kept = len(TTFont(path, lazy=True).getBestCmap())
        print(f"{path.name}: {path.stat().st_size:,} bytes, {kept} characters")
        if missing:
            shown = "".join(chr(cp) for cp in sorted(missing) if cp > 0x7F)
            print(f"  not in the source font ({len(missing)}): {shown}")
    print(f"{write_licence(args.out).name} written")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
