"""A paid circle's export (微密圈-style) → canonical members, orders, activities, groups.

An example of a third-party source plugin: it imports only from ``communityroi``. The
export is a folder of four CSV files (UTF-8; Beijing time unless ``timezone`` says
otherwise). Headers are matched by the Chinese names the platform writes, or by the
English names in brackets:

``members.csv`` — one row per member (current membership)
    用户ID (user_id), 昵称 (nickname), 加入时间 (joined_at), 到期时间 (expires_at; empty
    for the owner and guests), 会员类型 (plan: 年卡, 月卡, 体验卡, 星主, 嘉宾), 邀请人ID
    (invited_by)
``orders.csv`` — payments (optional file)
    订单号 (order_id), 用户ID (user_id), 支付时间 (paid_at), 支付金额 (amount, e.g.
    ``365.00`` or ``¥365``), 订单类型 (加入 / 续费), 订单状态 (已支付, 已退款)
``posts.csv``
    帖子ID (post_id), 作者ID (author_id), 发布时间 (posted_at), 帖子类型 (主题, 问答,
    打卡, 作业)
``comments.csv``
    评论ID (comment_id), 帖子ID (post_id), 评论者ID (user_id), 评论时间 (commented_at),
    回复评论ID (reply_to: the comment this one answers; empty for a comment on the post)

Mapping:

- members: member_id = 用户ID; joined_at = 加入时间; **left_at = 到期时间** — a paid
  membership that runs out is a member leaving (an expiry after the report period is not
  a leave yet: the core clears ``left_at`` after the period end); segment = the plan in
  English (annual, monthly, trial, owner, guest; other plans kept as written);
  group_id = ``circle_id``.
- orders: every row of orders.csv (renewals too); 已支付 → paid, 已退款 → refunded.
  Free memberships (trials, guests) have no order.
- activities: a post is kind ``post`` (``checkin`` for 打卡); a comment on a post is
  ``comment`` with target_member_id = the post's author; a reply to a comment is
  ``reply`` with target_member_id = that comment's author.
- groups: one row for the circle (``circle_id``, ``circle_name``, kind ``circle``).

Every output row comes from exactly one export row, so the core's problem messages name
the right file and row.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from pydantic import BaseModel, ConfigDict

from communityroi import DataError, SourceContext, SourceFrame, SourceSpec, hookimpl

PLATFORM = "weimiquan"

# canonical-ish name -> headers accepted (Chinese export name first)
HEADERS: dict[str, dict[str, tuple[str, ...]]] = {
    "members": {
        "user_id": ("用户ID", "user_id"),
        "nickname": ("昵称", "nickname"),
        "joined_at": ("加入时间", "joined_at"),
        "expires_at": ("到期时间", "expires_at"),
        "plan": ("会员类型", "plan"),
        "invited_by": ("邀请人ID", "invited_by"),
    },
    "orders": {
        "order_id": ("订单号", "order_id"),
        "user_id": ("用户ID", "user_id"),
        "paid_at": ("支付时间", "paid_at"),
        "amount": ("支付金额", "amount"),
        "status": ("订单状态", "status"),
    },
    "posts": {
        "post_id": ("帖子ID", "post_id"),
        "author_id": ("作者ID", "author_id"),
        "posted_at": ("发布时间", "posted_at"),
        "type": ("帖子类型", "type"),
    },
    "comments": {
        "comment_id": ("评论ID", "comment_id"),
        "post_id": ("帖子ID", "post_id"),
        "user_id": ("评论者ID", "user_id"),
        "commented_at": ("评论时间", "commented_at"),
        "reply_to": ("回复评论ID", "reply_to"),
    },
}
REQUIRED = {
    "members": ("user_id", "joined_at"),
    "orders": ("order_id", "user_id", "paid_at", "amount"),
    "posts": ("post_id", "author_id", "posted_at"),
    "comments": ("comment_id", "post_id", "user_id", "commented_at"),
}
PLANS = {"年卡": "annual", "月卡": "monthly", "体验卡": "trial", "星主": "owner", "嘉宾": "guest"}
STATUSES = {"已支付": "paid", "支付成功": "paid", "已退款": "refunded", "退款成功": "refunded"}
POST_KINDS = {"打卡": "checkin"}  # every other post type is a "post"


class WeimiquanOptions(BaseModel):
    """``[[sources]] type = "weimiquan"``."""

    model_config = ConfigDict(extra="forbid")

    path: str  # the export folder; relative to the report.toml folder
    circle_id: str = "circle"
    circle_name: str | None = None
    timezone: str = "Asia/Shanghai"  # the platform writes Beijing time
    members: str = "members.csv"
    orders: str = "orders.csv"
    posts: str = "posts.csv"
    comments: str = "comments.csv"


def _scan(path: Path, table: str) -> pl.LazyFrame:
    """The file with its headers renamed to our names; every column as text."""
    frame = pl.scan_csv(path, infer_schema=False, encoding="utf8")
    try:
        have = frame.collect_schema().names()
    except pl.exceptions.PolarsError as exc:
        raise DataError(f"{path}: cannot read it as UTF-8 CSV ({exc})") from None
    clean = [h.lstrip("\ufeff").strip() for h in have]
    if clean != have:  # a byte-order mark or spaces around a header
        frame = frame.rename(dict(zip(have, clean, strict=True)))
        have = clean
    rename, missing = {}, []
    for name, accepted in HEADERS[table].items():
        found = next((h for h in accepted if h in have), None)
        if found is not None:
            rename[found] = name
        elif name in REQUIRED[table]:
            missing.append(accepted[0])
    if missing:
        raise DataError(
            f"{path}: missing column(s) {', '.join(missing)} (found: {', '.join(have)}); "
            f"is this the {table} file of a 微密圈 export?"
        )
    frame = frame.rename(rename)
    absent = [n for n in HEADERS[table] if n not in rename.values()]
    return frame.with_columns(pl.lit(None, pl.String).alias(n) for n in absent)


def load(opts: WeimiquanOptions, ctx: SourceContext) -> list[SourceFrame]:
    folder = ctx.resolve(opts.path)
    if not folder.is_dir():
        raise DataError(
            f"{folder}: not a folder; 'path' of the weimiquan source is the export folder"
        )
    files = {t: folder / getattr(opts, t) for t in ("members", "orders", "posts", "comments")}
    for table, path in files.items():
        if table != "orders" and not path.is_file():
            raise DataError(f"{path}: missing; a 微密圈 export has members, posts and comments")
    common = {"platform": PLATFORM, "timezone": opts.timezone}
    circle = pl.lit(opts.circle_id)

    members = _scan(files["members"], "members").select(
        member_id="user_id",
        joined_at="joined_at",
        left_at="expires_at",
        invited_by="invited_by",
        group_id=circle,
        segment=pl.col("plan").str.strip_chars().replace(PLANS),
        display_name="nickname",
    )
    posts = _scan(files["posts"], "posts")
    comments = _scan(files["comments"], "comments")
    post_authors = posts.select("post_id", post_author="author_id")
    comment_authors = comments.select(reply_to="comment_id", replied_author="user_id")
    post_rows = posts.select(
        member_id="author_id",
        at="posted_at",
        kind=pl.col("type")
        .fill_null("")
        .str.strip_chars()
        .replace_strict(POST_KINDS, default="post"),
        group_id=circle,
    )
    is_reply = pl.col("reply_to").str.strip_chars().fill_null("") != ""
    comment_rows = (
        comments.with_row_index("_row")
        .join(post_authors.unique("post_id", keep="first"), on="post_id", how="left")
        .join(comment_authors.unique("reply_to", keep="first"), on="reply_to", how="left")
        .sort("_row")  # a join may reorder; errors must name the right row
        .select(
            member_id="user_id",
            at="commented_at",
            kind=pl.when(is_reply).then(pl.lit("reply")).otherwise(pl.lit("comment")),
            group_id=circle,
            target_member_id=pl.when(is_reply)
            .then(pl.col("replied_author"))
            .otherwise(pl.col("post_author")),
        )
    )
    groups = pl.LazyFrame(
        {
            "group_id": [opts.circle_id],
            "name": [opts.circle_name or opts.circle_id],
            "platform": [PLATFORM],
            "kind": ["circle"],
        }
    )
    frames = [
        SourceFrame("members", members, origin=str(files["members"]), **common),
        SourceFrame("activities", post_rows, origin=str(files["posts"]), **common),
        SourceFrame("activities", comment_rows, origin=str(files["comments"]), **common),
        SourceFrame("groups", groups, origin=f"{folder} (circle)", **common),
    ]
    if files["orders"].is_file():
        orders = _scan(files["orders"], "orders").select(
            order_id="order_id",
            member_id="user_id",
            at="paid_at",
            amount="amount",
            status=pl.col("status").str.strip_chars().replace(STATUSES),
        )
        frames.append(SourceFrame("orders", orders, origin=str(files["orders"]), **common))
    return frames


def detect(path: Path) -> bool:
    """A folder holding members.csv whose header has 用户ID and 会员类型, and posts.csv."""
    members = path / "members.csv"
    if not (path.is_dir() and members.is_file() and (path / "posts.csv").is_file()):
        return False
    with members.open(encoding="utf-8-sig") as f:
        header = f.readline()
    return "用户ID" in header and "会员类型" in header


SPEC = SourceSpec(
    name="weimiquan",
    description="微密圈-style paid circle export: members, orders, posts, comments (CSV)",
    load=load,
    options=WeimiquanOptions,
    detect=detect,
)


@hookimpl
def communityroi_sources():
    return [SPEC]
