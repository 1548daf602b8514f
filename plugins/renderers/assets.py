"""What the HTML and PDF renderers may embed or load, and how it is checked.

- Images (logo, cover image) come only from local files the configuration names
  (``RenderContext.allowed_files``) and are embedded as ``data:`` URIs, so the HTML is one
  self-contained file. A URL or any other path raises :class:`communityroi.RenderError`.
- Colours must match ``^#[0-9a-fA-F]{6}$`` and font names a short safe alphabet before
  they reach CSS.
- :func:`external_refs` lists every ``src``/``href``/``url()`` in finished HTML that is not
  a ``data:`` URI or ``#anchor``; the HTML renderer refuses to return a document that has
  one (a custom template cannot make the report fetch anything).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from html.parser import HTMLParser
from pathlib import Path

from communityroi import RenderError

HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
FONT_NAME = re.compile(r"^[\w .\-\u4e00-\u9fff]{1,60}$")
URL_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*:")
IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
}
DEFAULT_COLOURS = {"primary_color": "#1f4e79", "accent_color": "#e07a1f"}


def colour(branding: dict, key: str) -> str:
    """A validated ``#rrggbb`` colour from branding (the default when unset)."""
    value = branding.get(key) or DEFAULT_COLOURS[key]
    if not isinstance(value, str) or not HEX.match(value):
        raise RenderError(
            f"branding.{key} = {value!r} is not a colour like #1f4e79; use six hex digits"
        )
    return value.lower()


def font_stack(branding: dict, fallbacks: Iterable[str]) -> str:
    """A CSS ``font-family`` list: the brand font (validated) first, then ``fallbacks``."""
    names = []
    brand = branding.get("font_family")
    if brand:
        if not isinstance(brand, str) or not FONT_NAME.match(brand):
            raise RenderError(
                f"branding.font_family = {brand!r} may contain letters, digits, spaces, "
                f"'.', '-' only"
            )
        names.append(brand)
    names.extend(fallbacks)
    generic = {"serif", "sans-serif", "monospace", "system-ui"}
    return ", ".join(n if n in generic else f'"{n}"' for n in names)


def local_file(value: str | Path, allowed: frozenset[Path], what: str) -> Path:
    """Resolve ``value`` to one of the allowed local files, or refuse it clearly."""
    text = str(value)
    if URL_SCHEME.match(text) and not re.match(r"^[a-zA-Z]:[\\/]", text):
        raise RenderError(
            f"{what} '{text}' is a URL; reports render offline and never fetch anything — "
            f"download the file and set {what} to its local path"
        )
    path = Path(text).expanduser()
    resolved = {p.resolve() for p in allowed}
    candidate = path.resolve()
    if candidate in resolved:
        return candidate
    if not path.is_absolute():  # a relative path from the config: match an allowed file
        tail = path.parts
        for p in sorted(resolved):
            if p.parts[-len(tail) :] == tail:
                return p
    raise RenderError(
        f"{what} '{text}' is not a file named in the configuration; renderers read only "
        f"the files the configuration names (branding.logo, branding.cover_image)"
    )


def data_uri(value: str | Path, allowed: frozenset[Path], what: str) -> str:
    """An allowed local image as a ``data:`` URI."""
    path = local_file(value, allowed, what)
    mime = IMAGE_TYPES.get(path.suffix.lower())
    if mime is None:
        raise RenderError(
            f"{what} '{path.name}' is not an image the report can embed; use one of "
            f"{', '.join(sorted(IMAGE_TYPES))}"
        )
    try:
        blob = path.read_bytes()
    except OSError as exc:
        raise RenderError(f"{what} '{path}' cannot be read: {exc.strerror}") from exc
    return f"data:{mime};base64,{base64.b64encode(blob).decode('ascii')}"


_CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)|@import\s+(['"])(.*?)\3""", re.I | re.S)
_URL_ATTRS = {"src", "href", "srcset", "poster", "data", "action", "formaction", "xlink:href"}
_URL_ATTRS |= {"background", "manifest", "ping", "cite", "longdesc", "usemap", "codebase"}


def _allowed_ref(ref: str) -> bool:
    ref = ref.strip()
    return ref.startswith("#") or ref.lower().startswith("data:") or ref == ""


class _RefCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.refs: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_style = tag == "style"
        for name, value in attrs:
            if value is None:
                continue
            if name in _URL_ATTRS:
                parts = value.split(",") if name == "srcset" else [value]
                self.refs.extend(p.strip().split(" ")[0] for p in parts)
            elif name == "style":
                self.refs.extend(css_refs(value))
            elif name == "http-equiv" and value.lower() == "refresh":
                self.refs.append("meta refresh")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.refs.extend(css_refs(data))


def css_refs(css: str) -> list[str]:
    """Every ``url(...)`` and ``@import`` target in a piece of CSS."""
    return [m.group(2) if m.group(2) is not None else m.group(4) for m in _CSS_URL.finditer(css)]


def external_refs(html: str) -> list[str]:
    """References in ``html`` that would make a viewer load something (not data:/#)."""
    parser = _RefCollector()
    parser.feed(html)
    parser.close()
    return [r for r in parser.refs if not _allowed_ref(r)]
