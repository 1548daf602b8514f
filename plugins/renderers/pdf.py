"""The PDF report: the HTML report printed by WeasyPrint (A4), not a second layout.

Print rules live in the theme's CSS (``@page`` margin boxes: the client name and report
title in the running header, the footer text and "page x / y" at the bottom, none on the
cover; table-of-contents page numbers through ``target-counter``; table headers repeat
on every page). The page printed is the HTML report in its print medium
(``render_html(…, medium="print")``): long tables keep their first rows, and charts come
as SVG images — the same vector drawing, without a third of the document's elements in
the HTML parse and CSS cascade. Options (``[renderers.pdf]``) are the html renderer's.

Speed: WeasyPrint allocates hundreds of thousands of small objects (styles, boxes, text
lines) that all stay alive until the PDF is written, and Python's cyclic garbage collector
scans that growing heap again and again while it does — about a quarter of the render
time of the demo report. The collector is paused while WeasyPrint runs
(:func:`cyclic_gc_paused`; 3.2 → 2.3 s CPU on the zh-CN demo report, peak memory about
200 MB either way) and left to reclaim the cycles afterwards.

CSS custom properties: WeasyPrint re-parses a ``var()`` value for every element it
applies to (a table cell's ``border-bottom: 1px solid var(--line)`` once per cell), so a
property declared only on ``:root`` is written in as its value before printing
(:func:`inline_root_variables`; the same colours, ≈ 2 % of the demo report's PDF time).

Fonts: the bundled Noto Sans SC subset (``report_templates/fonts``, TrueType outlines,
fast to subset) is added as an extra stylesheet so Chinese and Latin text embed one small
font. Loading is locked down: :class:`OfflineFetcher` serves ``data:`` URIs, the bundled
fonts, the template folders and the files the configuration names, and refuses
everything else — any network URL above all — with a :class:`communityroi.RenderError`.
"""

from __future__ import annotations

import gc
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

from communityroi import RenderContext, RenderError, RendererSpec, Report, hookimpl
from plugins.renderers.html import PageOptions, render_html
from plugins.renderers.html import prepare as prepare_html
from report_templates import bundled

FONTS_CSS = "fonts.css"


def fonts_dir() -> Path:
    return bundled("fonts")


def _fetcher_class():
    from weasyprint.urls import FatalURLFetchingError, URLFetcher

    class Refused(FatalURLFetchingError):
        """Stops WeasyPrint (it would otherwise log a warning and carry on)."""

    class OfflineFetcher(URLFetcher):
        """Serves data: URIs and files inside ``roots`` or in ``files``; refuses the rest."""

        def __init__(self, roots: list[Path], files: frozenset[Path]) -> None:
            super().__init__(allowed_protocols={"data", "file"}, allow_redirects=False)
            self.roots = [r.resolve() for r in roots]
            self.files = {f.resolve() for f in files}

        def fetch(self, url, headers=None):
            scheme = urlparse(url).scheme.lower()
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "file":
                path = Path(url2pathname(unquote(urlparse(url).path))).resolve()
                if path in self.files or any(path.is_relative_to(r) for r in self.roots):
                    return super().fetch(url, headers)
                raise Refused(
                    f"the PDF would read {path}, which the configuration does not name; "
                    f"renderers read only branding files, templates and bundled fonts"
                )
            raise Refused(
                f"the PDF would fetch '{url}'; rendering never touches the network — "
                f"use a local file named in the configuration instead"
            )

    return OfflineFetcher, Refused


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the block (reference counting still
    frees everything that is not in a cycle), and restore its previous state after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_STYLE = re.compile(r"(<style[^>]*>)(.*?)(</style>)", re.S | re.I)
_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_ROOT_BLOCK = re.compile(r":root\s*\{([^{}]*)\}")
_DECLARATION = re.compile(r"(--[\w-]+)\s*:\s*([^;{}]*)")
_VAR = re.compile(r"var\(\s*(--[\w-]+)\s*(?:,\s*([^()]*?))?\s*\)")


def inline_root_variables(html: str) -> str:
    """Write each CSS custom property declared only in ``:root`` rules of the page's
    ``<style>`` elements into the ``var()`` uses in those elements (innermost first, so
    ``var(--a, var(--b))`` resolves too). A property declared anywhere else — another
    selector, a ``:root`` inside ``@media``, a ``style`` attribute, a value with
    ``!important`` or ``var()`` in it — is left to the cascade, as is every ``var()`` of
    an unknown property."""
    styles = [m.group(2) for m in _STYLE.finditer(html)]
    if not styles:
        return html
    css = _COMMENT.sub("", "\n".join(styles))
    everywhere: dict[str, int] = {}
    for m in _DECLARATION.finditer(_COMMENT.sub("", html)):
        everywhere[m.group(1)] = everywhere.get(m.group(1), 0) + 1
    values: dict[str, str] = {}
    counted: dict[str, int] = {}
    for block in _ROOT_BLOCK.finditer(css):
        before = css[: block.start()]
        if before.count("{") != before.count("}"):
            continue  # inside @media or @supports: not for every medium, left to the cascade
        for name, value in _DECLARATION.findall(block.group(1)):
            values[name] = value.strip()
            counted[name] = counted.get(name, 0) + 1
    safe = {
        name: value
        for name, value in values.items()
        if counted[name] == everywhere[name] and value and "!" not in value and "var(" not in value
    }
    if not safe:
        return html

    def substitute(m: re.Match) -> str:
        value = safe.get(m.group(1))
        return m.group(0) if value is None else value

    def rewrite(style: re.Match) -> str:
        body, before = style.group(2), None
        while before != body:
            before, body = body, _VAR.sub(substitute, body)
        return style.group(1) + body + style.group(3)

    return _STYLE.sub(rewrite, html)


class PDFOptions(PageOptions):
    """Options of the pdf renderer (``[renderers.pdf]``): the HTML page it prints."""


def render(report: Report, ctx: RenderContext) -> bytes:
    """Print the report to PDF bytes: the HTML report in its print medium."""
    return print_html(render_html(report, ctx, medium="print"), ctx)


def prepare(ctx: RenderContext) -> None:
    """Import WeasyPrint and its text stack (≈ 0.5 s: Pango through cffi) and compile the
    templates before the first render (``RendererSpec.prepare``, run while the metrics
    collect)."""
    from weasyprint import HTML  # noqa: F401
    from weasyprint.text.fonts import FontConfiguration

    FontConfiguration()
    prepare_html(ctx)


def print_html(html: str, ctx: RenderContext) -> bytes:
    """Lay out ``html`` on A4 with WeasyPrint, offline (see :class:`OfflineFetcher`)."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    html = inline_root_variables(html)
    offline, refused = _fetcher_class()
    fonts = fonts_dir()
    roots = [fonts, *ctx.template_dirs]
    fetcher = offline(roots, ctx.allowed_files)
    font_config = FontConfiguration()
    stylesheets = []
    if (fonts / FONTS_CSS).is_file():
        stylesheets.append(
            CSS(filename=str(fonts / FONTS_CSS), url_fetcher=fetcher, font_config=font_config)
        )
    base = Path(ctx.template_dirs[0]) if ctx.template_dirs else fonts
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    try:
        with cyclic_gc_paused():
            doc = HTML(string=html, base_url=str(base) + "/", url_fetcher=fetcher)
            return doc.write_pdf(
                stylesheets=stylesheets,
                font_config=font_config,
                pdf_identifier=b"communityroi",
                uncompressed_pdf=False,
            )
    except refused as exc:
        raise RenderError(str(exc)) from None


@hookimpl
def communityroi_renderers() -> list[RendererSpec]:
    return [
        RendererSpec(
            name="pdf",
            description="A4 PDF of the HTML report (WeasyPrint), with bundled Chinese fonts",
            render=render,
            extension="pdf",
            options=PDFOptions,
            prepare=prepare,
        )
    ]
