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

It also writes ``OFL.txt`` (the licence) and ``fonts.css`` (the @font-face rules).
Output is deterministic: the same source font gives byte-identical files (timestamps are
copied from the source font, nothing depends on the clock or on dict order).

Usage::

    python tools/make_cjk_subset.py                      # writes report_templates/fonts/
    python tools/make_cjk_subset.py --out DIR --extra-chars "堃喆"
    python tools/make_cjk_subset.py --check                 # verify the committed fonts
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


SAMPLE = "社群运营投资回报率 ROI 152.3%，付费转化 ¥1,299.00 ✓ ▲ ▼「忠诚度」（影响力）…"
MAX_BYTES = 5 * 1024 * 1024


def check(out_dir: Path) -> list[str]:
    """Problems with the fonts in ``out_dir`` (empty when all is well).

    Every GB2312 character in the cmap; TrueType outlines; real weights 400/700; at most 5 MB
    each; and WeasyPrint, given ``fonts.css``, embeds both faces and the PDF's text extracts
    back to what was written.
    """
    import io

    from pypdf import PdfReader
    from weasyprint import HTML

    problems = []
    wanted = {ord(c) for c in gb2312_chars()}
    for style, weight in zip(STYLES, (400, 700), strict=True):
        path = out_dir / f"{PS_PREFIX}-{style}.ttf"
        font = TTFont(path, lazy=True)
        missing = wanted - set(font.getBestCmap())
        if missing:
            problems.append(f"{path.name}: {len(missing)} GB2312 characters missing")
        if "glyf" not in font or "CFF " in font:
            problems.append(f"{path.name}: outlines are not TrueType")
        if font["OS/2"].usWeightClass != weight:
            problems.append(f"{path.name}: weight {font['OS/2'].usWeightClass} != {weight}")
        if path.stat().st_size > MAX_BYTES:
            problems.append(f"{path.name}: {path.stat().st_size:,} bytes > {MAX_BYTES:,}")

    html = (
        '<html lang="zh-CN"><head><link rel="stylesheet" href="fonts.css">'
        f'<style>body {{ font-family: "{FAMILY}"; }}</style></head>'
        f"<body><h1>{SAMPLE}</h1><p>{SAMPLE}</p></body></html>"
    )
    pdf = PdfReader(io.BytesIO(HTML(string=html, base_url=f"{out_dir}/").write_pdf()))
    text = "".join(pdf.pages[0].extract_text().split())
    if text != "".join((SAMPLE * 2).split()):
        problems.append(f"PDF text does not round-trip: {text!r}")
    embedded = {
        str(ref.get_object()["/BaseFont"]).split("+")[-1]
        for ref in pdf.pages[0]["/Resources"]["/Font"].values()
    }
    expected = {FAMILY.replace(" ", "-"), FAMILY.replace(" ", "-") + "-Bold"}
    if embedded != expected:
        problems.append(f"PDF embeds {sorted(embedded)}, expected {sorted(expected)}")
    return problems


def write_css(out_dir: Path) -> Path:
    """fonts.css: the @font-face rules for both faces, with URLs relative to the file."""
    rules = ["/* Bundled Chinese report fonts (see README.md). URLs are relative to this file. */"]
    for style, weight in zip(STYLES, (400, 700), strict=True):
        rules.append(
            "@font-face {\n"
            f'  font-family: "{FAMILY}";\n'
            "  font-style: normal;\n"
            f"  font-weight: {weight};\n"
            f'  src: url("{PS_PREFIX}-{style}.ttf") format("truetype");\n'
            "}"
        )
    path = out_dir / "fonts.css"
    path.write_text("\n".join(rules) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_out = Path(__file__).resolve().parent.parent / "report_templates" / "fonts"
    parser.add_argument("--out", type=Path, default=default_out, help="output directory")
    parser.add_argument("--extra-chars", default="", help="more characters to keep")
    parser.add_argument("--check", action="store_true", help="only check the fonts in --out")
    args = parser.parse_args(argv)

    if not args.check:
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
        print(f"{write_licence(args.out).name} and {write_css(args.out).name} written")
    problems = check(args.out)
    for problem in problems:
        print(f"check failed: {problem}")
    if not problems:
        print("check passed: GB2312 covered, TrueType outlines, 400/700, <= 5 MB, PDF text ok")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
