"""Typed, frozen specs that plugins return from the registration hooks.

Polars, pydantic and the report types appear here only in annotations, so they are
imported for type checkers alone: importing the specs (``communityroi.hookimpl``, the
command line) loads neither Polars nor pydantic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl
    from pydantic import BaseModel

    from core.data import CommunityData
    from core.report import KPI, ColumnInfo, Report, Section
    from core.text import Text


@dataclass(frozen=True, slots=True)
class Dropped:
    """Records a source read but did not turn into canonical rows, and why.

    ``rows`` is a count, or a lazy frame whose first column's sum is the count (so a
    source that stays lazy does not collect just to count); the core collects it with
    the data. ``validate``, report.json and the data-quality appendix list every drop.
    """

    origin: str  # the file (or query) the records are in
    reason: str  # one line, e.g. "reaction without user list (DiscordChatExporter < 2.40)"
    rows: int | pl.LazyFrame


@dataclass(frozen=True, slots=True)
class SourceContext:
    """What a source needs besides its own options.

    A source calls :meth:`drop` for every record it reads but does not load (a system
    message, a duplicate, a response it cannot use), so the count is never silently lost.
    """

    base_dir: Path  # relative paths in the config resolve against this folder
    timezone: str  # default time zone for timestamps without an offset
    currency: str  # reporting currency
    progress: Callable[[str], None] = field(default=lambda _msg: None)
    dropped: list[Dropped] = field(default_factory=list)

    def resolve(self, path: str | Path) -> Path:
        p = Path(path).expanduser()
        return p if p.is_absolute() else (self.base_dir / p)

    def drop(self, origin: str | Path, reason: str, rows: int | pl.LazyFrame) -> None:
        """Report records of ``origin`` that were read and not loaded (0 rows: ignored)."""
        if isinstance(rows, int) and rows <= 0:
            return
        self.dropped.append(Dropped(str(origin), reason, rows))


@dataclass(frozen=True, slots=True)
class SourceFrame:
    """One table (or part of one) produced by a source, before the core conforms it.

    ``frame`` uses canonical column names; text timestamps/amounts are fine (the core
    parses them). ``origin`` names the file or query for error messages; a data row
    ``i`` (0-based) is reported as ``row_label row_base + i``.
    """

    table: str
    frame: pl.LazyFrame
    origin: str
    row_base: int = 2
    row_label: str = "row"
    platform: str | None = None  # default for a missing platform column
    timezone: str | None = None  # overrides the report time zone for naive timestamps


@dataclass(frozen=True, slots=True)
class Detected:
    """What a source's ``detect`` may return instead of a string: what matched, and the
    options ``validate FILE`` puts in the source's config for that file (for example the
    preset that matched: ``Detected("preset tmall: …", {"preset": "tmall"})``). The options
    are reported in ``validate --json`` as ``sources[].options``."""

    what: str
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """A data source type, used in the config as ``[[sources]] type = "<name>"``.

    ``load(options, context)`` returns SourceFrames; it should stay lazy (scan files)
    and raise :class:`core.errors.DataError` with a one-line message for bad input.
    """

    name: str
    description: str
    load: Callable[[Any, SourceContext], Iterable[SourceFrame]]
    options: type[BaseModel] | None = None
    # does this path look like our export? A non-empty string says what matched
    # ("users.json + channels.json"); True/False are fine too, and so is a Detected
    # (what matched + options for the config validate builds).
    detect: Callable[[Path], bool | str | Detected] | None = None
    # when no source recognises a path: what this source can say about it (the headers
    # found, a [[sources]] snippet to start from), or None
    hint: Callable[[Path], str | None] | None = None
    # a catch-all reader (plain tables by their headers): a platform source's match wins
    generic: bool = False


@dataclass(frozen=True, slots=True)
class TransformSpec:
    """A step between loading and metrics, configured as ``[transforms.<name>]``.

    ``apply(frames, options, context)`` receives the conformed canonical frames (a dict
    of LazyFrames by table name) and returns the adjusted dict, still lazy — for example
    to merge one person's identities across platforms. Transforms run in ``order``;
    one runs only when its section is present in the config or ``enabled_by_default``.
    """

    name: str
    description: str
    apply: Callable[[dict[str, pl.LazyFrame], Any, SourceContext], dict[str, pl.LazyFrame]]
    options: type[BaseModel] | None = None
    order: int = 100
    enabled_by_default: bool = False


@dataclass(frozen=True, slots=True)
class MetricResult:
    """A metric's lazy output.

    ``frames`` are collected by the core together with every other metric's frames in
    one ``pl.collect_all``; ``build`` then turns the collected DataFrames (same keys)
    into a :class:`Section`. ``build`` may use numpy/scipy on the collected frames (for
    example to fit a model) but must not collect anything itself.

    For the previous period (``compare_previous``) only the KPI values are used. A metric
    whose KPIs come from a few of its frames sets ``kpi_frames`` (those keys) and
    ``build_kpis`` (collected frames → the same KPIs ``build`` makes): the core then
    collects only ``kpi_frames`` for the previous period and calls ``build_kpis`` with a
    mapping holding just them, skipping the tables and models ``build`` would compute.
    Without them the previous period is collected and built in full.
    """

    frames: Mapping[str, pl.LazyFrame]
    build: Callable[[Mapping[str, pl.DataFrame]], Section]
    kpi_frames: tuple[str, ...] | None = None
    build_kpis: Callable[[Mapping[str, pl.DataFrame]], tuple[KPI, ...]] | None = None


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """A metric plugin: a pure function of CommunityData and options.

    ``compute(data, options)`` returns a :class:`MetricResult`. ``order`` sorts sections
    in the report; ``compare_previous`` asks the core to compute it for the previous
    period too, to fill each KPI's ``previous`` and ``change``. ``prepare()``, if given, is
    one-time set-up its builds need — importing a heavy library (scipy) — that the core
    runs in a background thread while the metrics' frames collect (:mod:`core.prepare`).
    """

    name: str
    title: Text
    description: str
    compute: Callable[[CommunityData, Any], MetricResult]
    options: type[BaseModel] | None = None
    order: int = 100
    compare_previous: bool = True
    enabled_by_default: bool = True
    # True: ``build`` also receives the member scorecard (every member-score column, one
    # row per person, see MemberScoreSpec) as ``got["members"]`` — the current period's
    # only: such a metric sets ``compare_previous=False`` or gives ``build_kpis`` that do
    # not read it
    members: bool = False
    prepare: Callable[[], object] | None = None


@dataclass(frozen=True, slots=True)
class MemberScores:
    """Member-score columns that need numpy after collecting (PageRank, a model fit).

    ``frames`` are collected with every metric's frames; ``build`` turns the collected
    DataFrames (same keys) into one DataFrame keyed by ``member_id``, without collecting.
    """

    frames: Mapping[str, pl.LazyFrame]
    build: Callable[[Mapping[str, pl.DataFrame]], pl.DataFrame]


@dataclass(frozen=True, slots=True)
class MemberScoreSpec:
    """Columns of the member scorecard (``--format members``), one row per person.

    ``compute(data, options)`` returns a LazyFrame with ``member_id`` (one row per member)
    and the ``columns`` it declares, or :class:`MemberScores` for columns computed after
    collecting. ``derive(scorecard, options)`` instead adds columns computed from other
    specs' columns (an action flag): it gets the scorecard so far as a LazyFrame and
    returns it with its columns added. Specs run in ``order``. With ``metric`` set, the
    options are that metric's (``[metrics.<metric>]``) and the columns are left out when
    it is disabled. ``columns`` labels every column; ``unit="member"`` marks personal data,
    which the core pseudonymises.
    """

    name: str
    description: str
    columns: Mapping[str, ColumnInfo]
    compute: Callable[[CommunityData, Any], pl.LazyFrame | MemberScores] | None = None
    derive: Callable[[pl.LazyFrame, Any], pl.LazyFrame] | None = None
    metric: str | None = None
    order: int = 100


@dataclass(frozen=True, slots=True)
class RendererSpec:
    """An output format. ``render(report, context)`` returns the bytes of one file,
    written as ``report.<extension>``; a renderer writing named files instead sets
    ``files(report, context)`` → ``{file name: bytes}`` (``render`` is then unused).
    ``prepare(context)``, if given, is one-time set-up — importing the layout engine,
    compiling templates — that the core runs in a background thread while the metrics
    collect, before any ``render`` (:mod:`core.prepare`)."""

    name: str
    description: str
    render: Callable[[Report, RenderContext], bytes]
    extension: str
    options: type[BaseModel] | None = None
    files: Callable[[Report, RenderContext], Mapping[str, bytes]] | None = None
    members: bool = False  # True: needs the member scorecard (``Report.members``)
    prepare: Callable[[RenderContext], object] | None = None


@dataclass(frozen=True, slots=True)
class RenderContext:
    """Shared by renderers: templates, allowed local files, options, other outputs."""

    template_dirs: tuple[Path, ...]  # user dir, then plugin dirs, then built-in
    allowed_files: frozenset[Path]  # local files the configuration names (logo, fonts…)
    options: Any = None
    extras: Mapping[str, Any] = field(default_factory=dict)
