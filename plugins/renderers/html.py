"""The HTML report: one self-contained file (inline CSS and SVG, images and the bundled
Chinese font, cut to the page's characters, as data: URIs — :mod:`report_templates.webfonts`).

Templates are Jinja2 with ``autoescape=True`` and ``StrictUndefined``. They are looked up
in ``RenderContext.template_dirs`` (the user's folder, then plugin folders, then the
built-in theme) and, with the ``default:`` prefix, in the built-in default theme only, so
an override can change one block::

    {% extends "default:report.html" %}
    {% block cover %}…{% endblock %}

A section uses ``Section.template`` when set, else ``section.html``. Templates get the
pre-formatted values built by :mod:`plugins.renderers.view` plus ``report`` (the raw
:class:`communityroi.Report`) and the globals ``label(key)``, ``t(text)``,
``fmt(value, unit)`` and ``on_paper()`` (True for the print page the PDF lays out; macros,
imported without the template's context, cannot see ``medium``). The finished HTML is
checked: any ``src``/``href``/``url()`` that is not a ``data:`` URI or an ``#anchor`` is
refused (reports never fetch anything).
"""

from __future__ import annotations

import contextvars
import functools
from pathlib import Path

import jinja2
from pydantic import BaseModel, ConfigDict, Field

from communityroi import RenderContext, RenderError, RendererSpec, Report, hookimpl
from plugins.renderers import assets
from plugins.renderers.view import View
from report_templates import bundled, webfonts

DEFAULT_DIR = bundled("default")


class PageOptions(BaseModel):
    """What the HTML page shows, on screen and on paper (the html and pdf renderers)."""

    model_config = ConfigDict(extra="forbid")

    max_table_rows: int = Field(
        50, ge=1, le=100_000, description="rows shown per table (JSON and Excel hold all)"
    )
    print_max_rows: int = Field(
        10,
        ge=1,
        le=100_000,
        description=(
            "rows a long table keeps when printed (browser print of the HTML; the PDF has "
            "its own [renderers.pdf] print_max_rows): tables with more than 1.5 times as "
            "many print their first rows and say where the rest is"
        ),
    )


class HTMLOptions(PageOptions):
    """Options of the html renderer (``[renderers.html]``)."""

    embed_fonts: bool = Field(
        True,
        description=(
            "carry the bundled Chinese font in the page, cut to the characters it uses "
            "(≈ 100 KB a weight for a Chinese report, nothing for one without Chinese "
            "text), so it shows as in the PDF on machines without a CJK font"
        ),
    )


# The View of the report being rendered: the template globals ``label``, ``t`` and ``fmt``
# read it, so one cached Environment (compiled templates) serves every report and thread.
_VIEW: contextvars.ContextVar[View] = contextvars.ContextVar("communityroi_view")


def _label(key: str, **values) -> str:
    return _VIEW.get().label(key, **values)


def _t(text) -> str:
    return _VIEW.get().t(text)


def _fmt(value, unit: str = "count") -> str:
    return _VIEW.get().fmt(value, unit)


def _on_paper() -> bool:
    return _VIEW.get().medium == "print"


def environment(template_dirs: tuple[Path, ...] | list[Path]) -> jinja2.Environment:
    """The Jinja2 environment over ``template_dirs`` (+ built-in) with the ``default:``
    prefix; cached per folder list, so templates compile once per process (Jinja still
    reloads a template whose file changed)."""
    return _environment(tuple(Path(d) for d in template_dirs))


@functools.lru_cache(maxsize=16)
def _environment(dirs_in: tuple[Path, ...]) -> jinja2.Environment:
    default = DEFAULT_DIR
    dirs = list(dirs_in)
    if default not in dirs:
        dirs.append(default)
    loader = jinja2.ChoiceLoader(
        [
            jinja2.FileSystemLoader([str(d) for d in dirs]),
            jinja2.PrefixLoader({"default": jinja2.FileSystemLoader(str(default))}, ":"),
        ]
    )
    env = jinja2.Environment(
        loader=loader,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(label=_label, t=_t, fmt=_fmt, on_paper=_on_paper)
    return env


def prepare(ctx: RenderContext) -> None:
    """Compile the report's templates and load HarfBuzz for the fonts (≈ 40 ms) ahead of
    the first render (``RendererSpec.prepare``, run while the metrics collect)."""
    webfonts.prepare()
    env = environment(ctx.template_dirs)
    for name in env.list_templates(filter_func=lambda n: n.endswith(".html") and ":" not in n):
        env.get_template(name)


def render_html(report: Report, ctx: RenderContext, medium: str = "screen") -> str:
    """Render the report to an HTML string (raises RenderError with the template named).

    ``medium="print"`` is the page the PDF prints: long tables cut to their first rows,
    charts as images without tooltips (templates see ``medium`` too)."""
    opts = ctx.options if isinstance(ctx.options, PageOptions) else HTMLOptions()
    view = View(report, ctx.allowed_files, opts.max_table_rows, opts.print_max_rows, medium)
    env = environment(ctx.template_dirs)
    token = _VIEW.set(view)
    try:
        context = view.context()
        html = env.get_template("report.html").render(context)
    except jinja2.TemplateNotFound as exc:
        raise RenderError(
            f"template '{exc.name}' not found in {', '.join(map(str, ctx.template_dirs))}"
        ) from exc
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(
            f"template {exc.filename or exc.name}, line {exc.lineno}: {exc.message}"
        ) from exc
    except jinja2.UndefinedError as exc:
        raise RenderError(f"a report template uses an undefined value: {exc.message}") from exc
    finally:
        _VIEW.reset(token)
    refs = assets.external_refs(html)
    if refs:
        raise RenderError(
            f"the HTML report would load '{refs[0]}'; reports are self-contained and never "
            f"fetch anything — embed images through branding.logo / branding.cover_image"
        )
    if medium == "screen" and getattr(opts, "embed_fonts", False):
        html = webfonts.embed(html)  # after the check: data: URIs made here
    return html


def render(report: Report, ctx: RenderContext) -> bytes:
    return render_html(report, ctx).encode("utf-8")


@hookimpl
def communityroi_renderers() -> list[RendererSpec]:
    return [
        RendererSpec(
            name="html",
            description="Self-contained HTML report (inline CSS, SVG charts, embedded logo "
            "and Chinese font)",
            render=render,
            extension="html",
            options=HTMLOptions,
            prepare=prepare,
        )
    ]
