"""The bundled Chinese font carried inside an HTML page, cut to the characters it uses.

The PDF embeds the bundled Noto Sans SC CR (``fonts/`` here); the HTML report named it
first in its font stack without carrying it, so a Chinese report opened where no CJK font
is installed — a bare Linux desktop, a container taking screenshots, Debian's headless
Chromium — showed empty boxes, and elsewhere it showed the reader's system font instead of
the PDF's. :func:`font_faces` returns ``@font-face`` rules with both weights (400 and 700)
as ``data:`` URIs, each subset to the characters of the page; :func:`embed` adds them to a
finished page. The html renderer and the agency's portfolio page (``core.portfolio``) use
it; it lives beside the fonts so that both can.

Subsetting is HarfBuzz's (``libharfbuzz-subset``: the library WeasyPrint subsets the PDF's
fonts with, installed by ``./install.sh``), called through cffi (a WeasyPrint dependency)
in ABI mode, nothing to compile: ≈ 5 ms a weight, where fontTools took ≈ 0.3 s. The faces
are the bundled TrueType wrapped as WOFF 1.0 (:func:`woff`: each table zlib-compressed;
≈ 100 KB a weight for the demo report's ≈ 690 characters, ≈ 270 KB of base64 in all). A
page without Chinese (or other CJK) characters gets nothing — every system has fonts for
Latin text and the marks an English report uses — and where the library cannot be loaded
the page keeps the system fonts, as before.
"""

from __future__ import annotations

import base64
import functools
import logging
import re
import struct
import zlib
from collections.abc import Iterable
from pathlib import Path

from report_templates import bundled

LOG = logging.getLogger(__name__)
FAMILY = "Noto Sans SC CR"  # the bundled family (report_templates/fonts/fonts.css)
FACES = ((400, "NotoSansSC-CR-Regular.ttf"), (700, "NotoSansSC-CR-Bold.ttf"))
# a page with a character in these blocks gets the font: CJK radicals to unified
# ideographs (with kana, CJK punctuation, extension A), compatibility ideographs and
# forms, full-width forms, the supplementary ideograph planes. Other text (Latin, the
# arrows and marks an English report uses) is in every system's fonts.
CJK = ((0x2E80, 0x9FFF), (0xF900, 0xFAFF), (0xFE30, 0xFE4F), (0xFF00, 0xFFEF), (0x20000, 0x3FFFF))
_NO_HINTING = 0x1  # HB_SUBSET_FLAGS_NO_HINTING: screens do not need the TrueType hints
# HB_SUBSET_SETS_NAME_ID: HarfBuzz keeps name records 0–6 unless told; the cut keeps the
# bundled font's 0–14 — its copyright, the note that it was modified, the licence (OFL)
_NAME_IDS, _KEPT_NAMES = 4, range(15)

_CDEF = """
typedef struct hb_blob_t hb_blob_t;
typedef struct hb_face_t hb_face_t;
typedef struct hb_set_t hb_set_t;
typedef struct hb_subset_input_t hb_subset_input_t;
hb_blob_t *hb_blob_create_from_file_or_fail(const char *file_name);
hb_face_t *hb_face_create(hb_blob_t *blob, unsigned int index);
hb_blob_t *hb_face_reference_blob(hb_face_t *face);
const char *hb_blob_get_data(hb_blob_t *blob, unsigned int *length);
void hb_blob_destroy(hb_blob_t *blob);
void hb_face_destroy(hb_face_t *face);
void hb_set_add(hb_set_t *set, uint32_t codepoint);
hb_subset_input_t *hb_subset_input_create_or_fail(void);
hb_set_t *hb_subset_input_unicode_set(hb_subset_input_t *input);
hb_set_t *hb_subset_input_set(hb_subset_input_t *input, unsigned int set_type);
void hb_subset_input_set_flags(hb_subset_input_t *input, unsigned int value);
void hb_subset_input_destroy(hb_subset_input_t *input);
hb_face_t *hb_subset_or_fail(hb_face_t *source, const hb_subset_input_t *input);
"""


@functools.lru_cache(maxsize=1)
def _harfbuzz():
    """(ffi, libharfbuzz, libharfbuzz-subset), or None where they cannot be loaded."""
    try:
        import cffi

        ffi = cffi.FFI()
        ffi.cdef(_CDEF)
        hb, hbs = ffi.dlopen("libharfbuzz.so.0"), ffi.dlopen("libharfbuzz-subset.so.0")
        for name in re.findall(r"(hb_\w+)\(", _CDEF):  # HarfBuzz older than 2.9 lacks some
            getattr(hbs if "subset" in name else hb, name)
        return ffi, hb, hbs
    except (ImportError, OSError, AttributeError) as exc:
        LOG.info("HarfBuzz subsetting unavailable (%s): the HTML uses system fonts", exc)
        return None


def prepare() -> None:
    """Load HarfBuzz and parse its declarations now (``html.prepare``), not in the render."""
    _harfbuzz()


def subset(path: Path, codepoints: Iterable[int]) -> bytes | None:
    """The font at ``path`` cut to ``codepoints`` (TrueType bytes), or None if it fails."""
    hb_libs = _harfbuzz()
    if hb_libs is None:
        return None
    ffi, hb, hbs = hb_libs
    blob = hb.hb_blob_create_from_file_or_fail(str(path).encode())
    if blob == ffi.NULL:
        return None
    face = hb.hb_face_create(blob, 0)
    spec = hbs.hb_subset_input_create_or_fail()
    try:
        wanted = hbs.hb_subset_input_unicode_set(spec)
        for cp in codepoints:
            hb.hb_set_add(wanted, cp)
        names = hbs.hb_subset_input_set(spec, _NAME_IDS)
        for name_id in _KEPT_NAMES:
            hb.hb_set_add(names, name_id)
        hbs.hb_subset_input_set_flags(spec, _NO_HINTING)
        cut = hbs.hb_subset_or_fail(face, spec)
        if cut == ffi.NULL:
            return None
        out = hb.hb_face_reference_blob(cut)
        size = ffi.new("unsigned int *")
        data = ffi.unpack(hb.hb_blob_get_data(out, size), size[0])
        hb.hb_blob_destroy(out)
        hb.hb_face_destroy(cut)
        return data or None
    finally:
        hbs.hb_subset_input_destroy(spec)
        hb.hb_face_destroy(face)
        hb.hb_blob_destroy(blob)


def woff(sfnt: bytes) -> bytes:
    """A TrueType font wrapped as WOFF 1.0 (W3C, 2012): the same tables, each compressed
    with zlib where that makes it smaller — ≈ a third less to carry in the page."""
    flavor, count = struct.unpack_from(">IH", sfnt)
    records = sorted(struct.unpack_from(">4sIII", sfnt, 12 + 16 * i) for i in range(count))
    offset = 44 + 20 * count
    directory, blocks = [], []
    for tag, checksum, start, length in records:
        table = sfnt[start : start + length]
        packed = zlib.compress(table, 9)
        data = packed if len(packed) < length else table
        directory.append(struct.pack(">4sIIII", tag, offset, len(data), length, checksum))
        blocks.append(data + b"\0" * (-len(data) % 4))
        offset += len(blocks[-1])
    sfnt_size = 12 + 16 * count + sum(length + (-length % 4) for *_, length in records)
    header = struct.pack(">4sIIHHIHHIIIII", b"wOFF", flavor, offset, count, 0, sfnt_size,
                         1, 0, 0, 0, 0, 0, 0)  # fmt: skip
    return header + b"".join(directory) + b"".join(blocks)


def font_faces(text: str) -> str:
    """``@font-face`` rules carrying the bundled family cut to the characters of ``text``
    (the finished page), or "" when ``text`` has no character in the :data:`CJK` blocks."""
    codepoints = {ord(c) for c in set(text)}
    if not any(lo <= cp <= hi for cp in codepoints for lo, hi in CJK):
        return ""
    rules = []
    for weight, name in FACES:
        data = subset(bundled("fonts", name), sorted(codepoints))
        if data is None:
            return ""
        uri = "data:font/woff;base64," + base64.b64encode(woff(data)).decode("ascii")
        rules.append(
            f'@font-face {{ font-family: "{FAMILY}"; font-style: normal; '
            f'font-weight: {weight}; src: url({uri}) format("woff"); }}'
        )
    return "\n".join(rules)


def embed(html: str) -> str:
    """``html`` with :func:`font_faces` for its characters in a ``<style>`` closing its
    ``<head>`` (unchanged when there is nothing to embed or no ``</head>``)."""
    at = html.find("</head>")
    faces = font_faces(html) if at >= 0 else ""
    if not faces:
        return html
    return f"{html[:at]}<style>\n{faces}\n</style>\n{html[at:]}"
