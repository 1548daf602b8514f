"""The one-way pipeline: sources → CommunityData → metrics → Report → renderers."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import polars as pl

from core.data import CommunityData, make_data
from core.errors import ConfigError, DataError
from core.loading import Loaded, conform_frames, resolve_period
from core.manager import Registry, build_registry, guard
from core.metrics import MetricJob, ScoreJob, run_all
from core.prepare import Prepare
from core.privacy import pseudonymize, resolve_key
from core.quality import describe_sources, notes, summarize
from core.rendering import Progress, _quiet, _resolve, _wants_members, render, render_contexts
from core.report import Period, Report, Section, Table
from core.settings import Settings, validate_options
from core.specs import SourceContext
from core.targets import apply_targets


@dataclass
class Run:
    """Everything one run produced, for the CLI to print."""

    settings: Settings
    registry: Registry
    loaded: Loaded | None = None
    data: CommunityData | None = None
    report: Report | None = None
    written: list[Path] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        return self.registry.warnings


def registry_for(settings: Settings, *, strict: bool | None = None) -> Registry:
    return build_registry(
        disabled=settings.plugins.disable,
        strict=settings.plugins.strict if strict is None else strict,
    )


def load(
    settings: Settings,
    registry: Registry,
    *,
    progress: Progress = _quiet,
    check: bool = True,
    raise_problems: bool = True,
    materialize: bool = True,
) -> tuple[Loaded, CommunityData]:
    """Load every configured source, conform it, apply transforms, clip to the period.

    Data problems raise DataError listing them all, unless ``raise_problems`` is False
    (``validate`` wants the counts too); they are always in ``Loaded.problems``.
    ``materialize=False`` leaves the person-keyed tables lazy (for callers that run no
    metric, see :func:`core.data.make_data`).
    """
    rs = settings.report
    ctx = SourceContext(
        base_dir=settings.base_dir, timezone=rs.timezone, currency=rs.currency, progress=progress
    )
    if not settings.sources:
        raise ConfigError(
            "no [[sources]] configured; add one (see 'communityroi init') or "
            "try 'communityroi demo'"
        )
    parts = []
    for i, cfg in enumerate(settings.sources, 1):
        kind = cfg["type"]
        if kind not in registry.sources:
            raise ConfigError(
                f"source #{i}: unknown type '{kind}'; installed: "
                f"{', '.join(sorted(registry.sources)) or 'none'}"
            )
        spec, info = registry.sources[kind]
        opts = validate_options(
            spec.options,
            {k: v for k, v in cfg.items() if k != "type"},
            f"source #{i} ({kind})",
            settings.base_dir,
        )
        progress(f"loading source #{i} ({kind})")
        parts.extend(
            guard(
                info,
                "loading data",
                registry.strict,
                lambda spec=spec, opts=opts: list(spec.load(opts, ctx)),
            )
        )
    progress("checking data")
    transforms = [
        (name, spec, info)
        for name, (spec, info) in sorted(registry.transforms.items(), key=lambda kv: kv[1][0].order)
        if name in settings.transforms or spec.enabled_by_default
    ]
    loaded = conform_frames(
        parts,
        tz=rs.timezone,
        currency=rs.currency,
        fx_rates=rs.fx_rates,
        check=check,
        dropped=ctx.dropped,
        # with no transform to hand text ids to, the one pass also makes the person keys
        # Categorical: the tables are held once, as the metrics read them
        person_keys=materialize and not transforms,
    )
    if loaded.problems and raise_problems:
        raise DataError(loaded.problems)
    frames = dict(loaded.frames)
    for name, spec, info in transforms:
        opts = validate_options(
            spec.options, settings.transforms.get(name), f"transform '{name}'", settings.base_dir
        )
        progress(f"transform {name}")
        frames = guard(
            info,
            "transforming data",
            registry.strict,
            lambda spec=spec, opts=opts, frames=frames: spec.apply(frames, opts, ctx),
        )
    loaded.identity = _report_identity(frames, registry)
    loaded.tables = frames
    period = resolve_period(settings, frames)
    return loaded, make_data(frames, period, rs.timezone, rs.currency, materialize=materialize)


def _report_identity(frames: dict[str, pl.LazyFrame], registry: Registry) -> dict | None:
    """Turn a transform's ``identity_report`` frame (if any) into warnings; its counts."""
    report = frames.pop("identity_report", None)
    if report is None:
        return None
    row = report.collect().row(0, named=True)
    notes = {
        "members_unlinked": "member account(s) could not be linked to any other account or order",
        "identifier_conflicts": "identifier conflict(s) (one e-mail/phone on several "
        "people in the mapping)",
    }
    for key, text in notes.items():
        if row.get(key):
            registry.warnings.append(f"identity: {row[key]:,} {text}")
    return row


def compute(
    settings: Settings, registry: Registry, data: CommunityData, *, progress: Progress = _quiet
) -> list[Section]:
    return compute_all(settings, registry, data, progress=progress)[0]


def compute_all(
    settings: Settings,
    registry: Registry,
    data: CommunityData,
    *,
    members: bool = False,
    progress: Progress = _quiet,
    release: bool = False,
    prepare: Prepare | None = None,
) -> tuple[list[Section], Table | None]:
    """The sections and, when ``members`` is asked or an enabled metric needs it, the
    member scorecard from every ``communityroi_member_scores`` spec (those tied to a
    metric use its options and are left out when it is disabled)."""
    jobs = []
    for name, (spec, info) in sorted(registry.metrics.items(), key=lambda kv: kv[1][0].order):
        raw = dict(settings.metrics.get(name, {}))
        enabled = raw.pop("enabled", spec.enabled_by_default or name in settings.metrics)
        if spec.options is not None and "seed" in spec.options.model_fields:
            raw.setdefault("seed", settings.report.seed)  # --seed / report.seed
        table = settings.targets.get(name)
        if isinstance(table, dict) and spec.options is not None:
            if "targets" not in spec.options.model_fields:
                raise ConfigError(f"[targets.{name}]: metric '{name}' takes no per-item targets")
            raw.setdefault("targets", table)  # [targets.<metric>]: per-item targets
        if not enabled:
            continue
        opts = validate_options(
            spec.options, raw, f"metric '{name}' ({info.describe()})", settings.base_dir
        )
        jobs.append(MetricJob(spec, opts, info.describe()))
    unknown = set(settings.metrics) - set(registry.metrics)
    if unknown:
        raise ConfigError(
            f"[metrics.{sorted(unknown)[0]}] names no installed metric; "
            f"installed: {', '.join(sorted(registry.metrics))}"
        )
    scores = []
    if members or any(job.spec.members for job in jobs):
        scores = score_jobs(registry, {job.spec.name: job.options for job in jobs})
    return run_all(
        data, jobs, scores, strict=registry.strict, warn=registry.warnings.append,
        progress=progress, release=release, prepare=prepare,
    )  # fmt: skip


def score_jobs(registry: Registry, options: Mapping[str, Any]) -> list[ScoreJob]:
    """The member-score specs the scorecard is assembled from, in their order: those tied
    to no metric, and those tied to a metric named in ``options`` (the enabled metrics and
    their options; a spec whose metric is disabled is left out)."""
    return [
        ScoreJob(spec, options.get(spec.metric), info.describe())
        for _name, (spec, info) in sorted(
            registry.member_scores.items(), key=lambda kv: (kv[1][0].order, kv[0])
        )
        if spec.metric is None or spec.metric in options
    ]


def build_report(
    settings: Settings,
    sections: list[Section],
    data: CommunityData,
    warnings: list[str],
    data_quality: dict[str, Any] | None = None,
    members: Table | None = None,
) -> Report:
    rs, br = settings.report, settings.branding
    sections = apply_targets(sections, settings.targets)
    if settings.privacy.pseudonymize:
        key = resolve_key(settings.privacy, base_dir=settings.base_dir, warn=warnings.append)
        sections, members = pseudonymize(sections, members, key.secret)
    elif members is not None:  # the scorecard comes in no set order (core.scorecard)
        members = replace(members, data=members.data.sort("member_id"))
    prev = data.previous_period
    branding = br.model_dump(mode="json")
    for key in ("logo", "cover_image", "template_dir"):
        branding[key] = str(_resolve(settings, getattr(br, key))) if getattr(br, key) else None
    branding["agency"] = rs.agency
    return Report(
        title=rs.title
        or ("社群运营价值报告" if rs.language == "zh-CN" else "Community value report"),
        client=rs.client,
        agency=rs.agency,
        language=rs.language,
        currency=rs.currency,
        timezone=rs.timezone,
        period=data.period,
        previous_period=prev,
        sections=tuple(sections),
        branding=branding,
        settings=settings.model_dump(
            mode="json",
            exclude={"base_dir": True, "sources": True, "privacy": {"key", "key_file", "salt"}},
        ),
        warnings=tuple(warnings),
        pseudonymized=settings.privacy.pseudonymize,
        data_quality=data_quality,
        members=members,
    )


def data_quality(
    settings: Settings, loaded: Loaded, period: Period, *, detected_by: str | None = None
) -> dict[str, Any]:
    """The data-quality summary of a load (see :mod:`core.quality`)."""
    return summarize(
        loaded,
        loaded.tables,
        period=period,
        currency=settings.report.currency,
        sources=describe_sources(settings.sources, detected_by),
        identity=loaded.identity,
    )


def run(
    settings: Settings,
    *,
    formats: list[str] | None = None,
    out_dir: Path | None = None,
    progress: Progress = _quiet,
    registry: Registry | None = None,
    more_sections: Callable[[list[Section], Period], list[Section]] | None = None,
) -> Run:
    """Load, compute, build and render: the whole ``communityroi report`` job.

    ``more_sections(sections, period)`` may add sections after the metrics' (the agency
    batch adds its trend lines from the history database, see :mod:`core.trends`)."""
    registry = registry or registry_for(settings)
    result = Run(settings, registry)
    formats = formats or settings.output.formats
    contexts = render_contexts(settings, registry, formats)  # a bad format fails first
    result.loaded, result.data = load(settings, registry, progress=progress)
    written = _wants_members(registry, formats)
    # the renderers' set-up runs beside the metrics' collect (core.prepare)
    prepare = Prepare(
        functools.partial(spec.prepare, contexts[fmt])
        for fmt in formats
        if (spec := registry.renderers[fmt][0]).prepare is not None
    )
    # the data-quality summary (a small collect of its own, ≈ 0.3 s on 10 M activities)
    # runs beside the metrics too: only the report needs it. Its notes go where they
    # went when it ran first, before the metrics' warnings
    at = len(registry.warnings)
    with ThreadPoolExecutor(max_workers=1) as side:
        summary = side.submit(data_quality, settings, replace(result.loaded), result.data.period)
        # only the metrics' collect and the summary read the tables now; run_all then
        # releases them
        result.loaded.frames, result.loaded.tables = {}, {}
        sections, members = compute_all(
            settings, registry, result.data, members=written, progress=progress,
            release=True, prepare=prepare,
        )  # fmt: skip
        quality = summary.result()
    registry.warnings[at:at] = notes(quality)
    if more_sections is not None:
        sections = [*sections, *more_sections(sections, result.data.period)]
    # the scorecard goes into the report only when a renderer writes it (a metric may
    # have read it): pseudonymising 1 M rows nobody writes cost ~2.5 s
    card = members if written else None
    result.report = build_report(settings, sections, result.data, registry.warnings, quality, card)
    out = out_dir or _resolve(settings, settings.output.dir)
    prepare.wait()
    result.written = render(
        settings, registry, result.report, formats, out, progress=progress, contexts=contexts
    )
    return result
