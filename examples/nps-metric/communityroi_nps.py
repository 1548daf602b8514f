"""Net Promoter Score from a member survey — an example third-party metric plugin.

The survey is not part of the canonical tables, so this metric reads its own file, named
in its options (``[metrics.nps] survey = "survey.csv"``): a CSV with one row per answer
to "How likely are you to recommend us to a friend? (0–10)", with the answer time and,
when known, the member id (问卷星-style Chinese headers are recognised). The file is
scanned lazily inside ``compute``, like every other frame, and joined to the canonical
members for the segment breakdown (its member ids cast with ``cast_person_keys`` to the
type they have in the canonical tables).

Definitions (P = the report period; times without an offset are in the report time zone):

- **Counted answers**: answers given in P with a score; a member who answered more than
  once in P counts once, with their latest answer. Answers without a member id
  (anonymous) each count.
- **Promoters** score 9–10, **passives** 7–8, **detractors** 0–6 (``promoter_min`` and
  ``detractor_max`` change the cut-offs).
- **NPS** = (promoters − detractors) / counted answers × 100, from −100 to +100.
- **Margin of error (95 %)** = 1.96 × √((p + d − (p − d)²) / n) × 100, with p and d the
  promoter and detractor shares and n the counted answers (the normal approximation to
  the variance of a difference of two multinomial shares).
- Rows with an empty score (question skipped) are ignored; a score that is not a whole
  number from 0 to 10, or a missing or unreadable time, stops the section with the row.
- **Response rate** = members at the end of P with a counted answer / members at the end
  of P × 100 %.
- **NPS by segment**: the same formula per ``members.segment`` (``unknown`` for anonymous
  answers and ids not in the member list).

KPI changes against the previous period are not shown: NPS is a difference of shares,
and the core reports changes of non-percent KPIs as relative changes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from communityroi import (
    KPI,
    Chart,
    ColumnInfo,
    CommunityData,
    DataError,
    Finding,
    Formula,
    MetricResult,
    MetricSpec,
    Section,
    T,
    Table,
    cast_person_keys,
    hookimpl,
)

COLUMNS = {  # our name -> headers recognised, in order
    "score": ("score", "推荐意愿", "推荐意愿(0-10)", "推荐度", "nps"),
    "member_id": ("member_id", "用户ID", "会员ID"),
    "answered_at": ("answered_at", "提交答卷时间", "提交时间", "答题时间"),
}
TIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
)
Z95 = 1.96
MAX_PROBLEMS = 20


class NPSOptions(BaseModel):
    """``[metrics.nps]``; naming the section enables the metric (it needs a survey file)."""

    model_config = ConfigDict(extra="forbid")

    survey: Path = Field(description="CSV of answers; relative to the report.toml folder")
    score_column: str | None = None  # default: the first of COLUMNS["score"] present
    member_column: str | None = None
    time_column: str | None = None
    promoter_min: int = Field(9, ge=1, le=10, description="lowest promoter score")
    detractor_max: int = Field(6, ge=0, le=9, description="highest detractor score")

    @field_validator("survey")
    @classmethod
    def _exists(cls, v: Path, info: ValidationInfo) -> Path:
        base = (info.context or {}).get("base_dir") if info.context else None
        path = v.expanduser()
        if not path.is_absolute() and base is not None:
            path = Path(base) / path
        if not path.is_file():
            raise ValueError(f"survey file {path} not found")
        return path

    @model_validator(mode="after")
    def _cutoffs(self) -> NPSOptions:
        if self.detractor_max >= self.promoter_min:
            raise ValueError("detractor_max must be below promoter_min")
        return self


def _column(opts: NPSOptions, have: list[str], name: str, given: str | None) -> str | None:
    if given is not None:
        if given not in have:
            raise DataError(f"{opts.survey}: no column '{given}' (found: {', '.join(have)})")
        return given
    return next((h for h in COLUMNS[name] if h in have), None)


def compute(data: CommunityData, opts: NPSOptions) -> MetricResult:
    raw = pl.scan_csv(opts.survey, infer_schema=False)
    have = raw.collect_schema().names()
    score_col = _column(opts, have, "score", opts.score_column)
    time_col = _column(opts, have, "answered_at", opts.time_column)
    member_col = _column(opts, have, "member_id", opts.member_column)
    if score_col is None or time_col is None:
        raise DataError(
            f"{opts.survey}: needs a score and an answer-time column (found: {', '.join(have)});"
            f" name them with score_column / time_column"
        )
    text = pl.col(time_col).str.strip_chars()
    local = pl.coalesce(text.str.to_datetime(f, strict=False, time_unit="us") for f in TIME_FORMATS)
    answers = raw.with_row_index("row", offset=2).select(
        "row",
        score=pl.col(score_col).str.strip_chars().cast(pl.Int64, strict=False),
        score_text=pl.col(score_col),
        time_text=pl.col(time_col),
        at=local.dt.replace_time_zone(
            data.timezone, ambiguous="earliest", non_existent="null"
        ).dt.convert_time_zone("UTC"),
        member_id=(
            pl.col(member_col).str.strip_chars() if member_col else pl.lit(None, pl.String)
        ).replace("", None),
    )
    answers = cast_person_keys(answers)  # member_id as in data.members, so the two join
    score_given = pl.col("score_text").str.strip_chars().fill_null("") != ""
    problems = (
        pl.concat(
            [
                answers.filter(score_given & ~pl.col("score").is_between(0, 10).fill_null(False))
                .select("row", pl.lit(score_col).alias("column"), value="score_text")
                .with_columns(problem=pl.lit("is not a whole score from 0 to 10")),
                answers.filter(pl.col("at").is_null())
                .select("row", pl.lit(time_col).alias("column"), value="time_text")
                .with_columns(problem=pl.lit("is not a time such as 2026-10-01 09:30")),
            ]
        )
        .sort("row")
        .head(MAX_PROBLEMS)
    )

    roster = data.members.group_by("member_id").agg(
        pl.col("segment").sort_by("joined_at").drop_nulls().first(),
        pl.col("left_at").is_null().any().alias("member_at_end"),
    )
    counted = (
        answers.filter(data.in_period("at") & pl.col("score").is_between(0, 10).fill_null(False))
        .sort("at", "row")
        .filter(pl.col("member_id").is_null() | pl.col("member_id").is_last_distinct())
        .join(roster, on="member_id", how="left")
        .with_columns(
            pl.col("segment").fill_null("unknown"),
            pl.col("member_at_end").fill_null(False),
            promoter=pl.col("score") >= opts.promoter_min,
            detractor=pl.col("score") <= opts.detractor_max,
        )
    )
    tally = [  # Int64: differences of unsigned counts would wrap around
        pl.len().cast(pl.Int64).alias("answers"),
        pl.col("promoter").sum().cast(pl.Int64).alias("promoters"),
        pl.col("detractor").sum().cast(pl.Int64).alias("detractors"),
    ]
    overall = counted.select(
        *tally,
        pl.col("member_id").filter(pl.col("member_at_end")).n_unique().alias("respondents"),
    ).join(roster.select(pl.col("member_at_end").sum().alias("members")), how="cross")
    by_segment = (
        counted.group_by("segment").agg(tally).sort("answers", "segment", descending=[True, False])
    )
    scores = pl.LazyFrame({"score": list(range(11))}, schema={"score": pl.Int64})
    distribution = (
        scores.join(
            counted.group_by("score").agg(pl.len().alias("answers")), on="score", how="left"
        )
        .select(pl.col("score").cast(pl.String), pl.col("answers").fill_null(0))
        .sort(pl.col("score").cast(pl.Int64))
    )
    frames = {
        "overall": overall,
        "by_segment": by_segment,
        "distribution": distribution,
        "problems": problems,
    }
    return MetricResult(frames, lambda got: build(got, opts))


def nps(promoters: int, detractors: int, answers: int) -> float | None:
    """(promoters − detractors) / answers × 100; None without answers.

    >>> nps(6, 2, 10)
    40.0
    """
    return (promoters - detractors) / answers * 100 if answers else None


def margin(promoters: int, detractors: int, answers: int) -> float | None:
    """95 % margin of error of the NPS, in NPS points.

    >>> round(margin(6, 2, 10), 2)
    49.58
    """
    if not answers:
        return None
    p, d = promoters / answers, detractors / answers
    return Z95 * math.sqrt((p + d - (p - d) ** 2) / answers) * 100


def build(got: Mapping[str, pl.DataFrame], opts: NPSOptions) -> Section:
    bad = got["problems"]
    if bad.height:
        raise DataError(
            [
                f"{opts.survey} row {r['row']}, column {r['column']}: "
                f"'{r['value'] or ''}' {r['problem']}"
                for r in bad.iter_rows(named=True)
            ]
        )
    o = got["overall"].row(0, named=True)
    n, pro, det = o["answers"], o["promoters"], o["detractors"]
    score = nps(pro, det, n)
    segments = got["by_segment"].with_columns(
        nps=(pl.col("promoters") - pl.col("detractors")) / pl.col("answers") * 100
    )
    findings = []
    if score is not None:
        tone = "good" if score >= 30 else ("bad" if score < 0 else "neutral")
        findings.append(
            Finding(
                T(
                    f"NPS is {score:+.0f} from {n} answers: {pro} promoters, {det} detractors.",
                    f"净推荐值为 {score:+.0f}（{n} 份答卷：推荐者 {pro} 人，贬损者 {det} 人）。",
                ),
                tone=tone,
                weight=0.6,
            )
        )
        if n < 30:
            moe = margin(pro, det, n)
            findings.append(
                Finding(
                    T(
                        f"Only {n} answers: the NPS is uncertain by about ±{moe:.0f}.",
                        f"仅 {n} 份答卷，净推荐值的误差约为 ±{moe:.0f}。",
                    ),
                    weight=0.4,
                )
            )
    cut = f"{opts.promoter_min}–10 / 0–{opts.detractor_max}"
    return Section(
        intro=T(
            "How likely members are to recommend the community (survey, 0–10).",
            "成员向朋友推荐社群的意愿（问卷，0–10 分）。",
        ),
        kpis=(
            KPI(
                "nps",
                T("Net Promoter Score", "净推荐值"),
                score,
                "score",
                headline=True,
                formula=T("% promoters − % detractors", "推荐者占比 − 贬损者占比"),
            ),
            KPI("answers", T("Survey answers", "答卷数"), n, "count"),
            KPI("promoters", T("Promoters", "推荐者"), pro / n * 100 if n else None, "percent"),
            KPI(
                "detractors",
                T("Detractors", "贬损者"),
                det / n * 100 if n else None,
                "percent",
                higher_is_better=False,
            ),
            KPI(
                "margin",
                T("Margin of error (95 %)", "误差范围（95%）"),
                margin(pro, det, n),
                "score",
                higher_is_better=False,
            ),
            KPI(
                "response_rate",
                T("Response rate", "答卷率"),
                o["respondents"] / o["members"] * 100 if o["members"] else None,
                "percent",
            ),
        ),
        tables=(
            Table(
                "by_segment",
                T("NPS by segment", "各分层净推荐值"),
                segments,
                {
                    "segment": ColumnInfo(
                        T("Segment", "分层"),
                        values={
                            "unknown": T(
                                "unknown (anonymous or not a member)", "未知（匿名或非成员）"
                            )
                        },
                    ),
                    "answers": ColumnInfo(T("Answers", "答卷数"), "count"),
                    "promoters": ColumnInfo(T("Promoters", "推荐者"), "count"),
                    "detractors": ColumnInfo(T("Detractors", "贬损者"), "count"),
                    "nps": ColumnInfo(T("NPS", "净推荐值"), "score"),
                },
            ),
            Table(
                "distribution",
                T("Answers by score", "各分值答卷数"),
                got["distribution"],
                {
                    "score": ColumnInfo(T("Score", "分值")),
                    "answers": ColumnInfo(T("Answers", "答卷数"), "count"),
                },
            ),
        ),
        charts=(
            Chart(
                "distribution",
                "bar",
                T("Answers by score", "各分值答卷数"),
                "distribution",
                x="score",
                y=("answers",),
                unit="count",
            ),
        ),
        findings=tuple(findings),
        methodology=(
            Formula(
                T("Net Promoter Score", "净推荐值"),
                T(
                    f"(promoters − detractors) / answers × 100; promoter / detractor scores {cut}",
                    f"（推荐者 − 贬损者）/ 答卷数 × 100；推荐者 / 贬损者分值 {cut}",
                ),
                T(
                    "A member who answered twice in the period counts once (latest answer).",
                    "同一成员本期多次作答只计最后一次。",
                ),
            ),
            Formula(
                T("Margin of error (95 %)", "误差范围（95%）"),
                T(
                    "1.96 × √((p + d − (p − d)²) / n) × 100",
                    "1.96 × √((p + d − (p − d)²) / n) × 100",
                ),
            ),
            Formula(
                T("Response rate", "答卷率"),
                T(
                    "members at period end who answered / members at period end × 100 %",
                    "期末成员中作答人数 / 期末成员数 × 100%",
                ),
            ),
        ),
    )


SPEC = MetricSpec(
    name="nps",
    title=T("Net Promoter Score", "净推荐值 NPS"),
    description="NPS from a survey file: promoters, detractors, margin of error, by segment",
    compute=compute,
    options=NPSOptions,
    order=450,
    compare_previous=False,
    enabled_by_default=False,  # needs [metrics.nps] survey = "…"
)


@hookimpl
def communityroi_metrics():
    return [SPEC]
