"""The canonical tables every source produces and every metric reads.

One constant, :data:`SCHEMA`, describes them; :func:`core.conform.conform` enforces it at
the source boundary. Person keys (columns marked ``person_key``) are text at the boundary
and :data:`PERSON_KEY` (``pl.Categorical``) in the data every metric reads
(:meth:`TableSchema.data_schema`; cast once at the boundary, :mod:`core.casting`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from core.parsing import UTC_TIME

PERSON_KEY = pl.Categorical()
"""The type of every person key (``member_id``, ``invited_by``, ``target_member_id``,
``customer_id``) in ``CommunityData``: joins, group-bys and distinct counts compare small
integer codes instead of hashing strings, while values still sort and compare as text."""

LABEL = pl.Categorical()
"""The type of the short texts repeated on many rows — ``platform`` in every table,
``activities.kind``, ``group_id`` and ``campaign_id`` — in ``CommunityData``: a 4-byte code
per row instead of a 16-byte string view (10 M activities: 0.16 instead of 0.64 GB for the
four), compared with text literals (``pl.col("kind") == "reply"``, ``is_in``), grouped and
joined by code, sorted as text."""

COST_CATEGORIES = ("labour", "platform_fee", "ads", "content", "campaign", "tools", "other")
ORDER_STATUSES = ("paid", "refunded", "pending", "cancelled")
GROUP_PURPOSES = ("presales", "aftersales", "distribution", "vip")
ACTIVITY_KINDS = (
    "message",
    "reply",
    "reaction",
    "share",
    "post",
    "comment",
    "checkin",
    "attend",
    "join",
    "leave",
    "invite",
    "mention",
)


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    dtype: pl.DataType
    required: bool = False  # the column must be present and non-null in every row
    doc: str = ""
    allowed: tuple[str, ...] = ()  # for categorical text columns (compared lower-case)
    person_key: bool = False  # identifies a member or customer: PERSON_KEY in CommunityData
    label: bool = False  # short text repeated on many rows (platform, ids): LABEL in CommunityData

    @property
    def data_dtype(self) -> pl.DataType:
        """The type metrics see: :data:`PERSON_KEY` for a person key, :data:`LABEL` for a
        label, else ``dtype``."""
        if self.person_key:
            return PERSON_KEY
        return LABEL if self.label else self.dtype


@dataclass(frozen=True, slots=True)
class TableSchema:
    name: str
    columns: tuple[Column, ...]
    doc: str = ""
    key: tuple[str, ...] = field(default=())

    @property
    def polars_schema(self) -> pl.Schema:
        """The types at the source boundary (person keys as text)."""
        return pl.Schema({c.name: c.dtype for c in self.columns})

    @property
    def data_schema(self) -> pl.Schema:
        """The types in ``CommunityData`` (person keys as :data:`PERSON_KEY`)."""
        return pl.Schema({c.name: c.data_dtype for c in self.columns})

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def categorical(self) -> tuple[str, ...]:
        """Columns that are Categorical in ``CommunityData``: person keys and labels."""
        return tuple(c.name for c in self.columns if c.person_key or c.label)

    @property
    def person_keys(self) -> tuple[str, ...]:
        """Columns that identify a member or customer (text at the boundary,
        :data:`PERSON_KEY` in ``CommunityData``)."""
        return tuple(c.name for c in self.columns if c.person_key)


S, F, D = pl.String(), pl.Float64(), pl.Date()

SCHEMA: dict[str, TableSchema] = {
    t.name: t
    for t in (
        TableSchema(
            "members",
            (
                Column(
                    "member_id",
                    S,
                    True,
                    "Stable platform-scoped member id (personal data).",
                    person_key=True,
                ),
                Column(
                    "platform",
                    S,
                    True,
                    "wechat, wecom, slack, discord, telegram, discourse, …",
                    label=True,
                ),
                Column("joined_at", UTC_TIME, False, "When the member joined (UTC)."),
                Column("left_at", UTC_TIME, False, "When the member left, if they did."),
                Column(
                    "invited_by",
                    S,
                    False,
                    "member_id of the inviter (裂变 referrals).",
                    person_key=True,
                ),
                Column(
                    "group_id",
                    S,
                    False,
                    "Group the membership belongs to (one row per group).",
                    label=True,
                ),
                Column("segment", S, False, "Free label such as vip or flash."),
                Column(
                    "customer_id",
                    S,
                    False,
                    "Key linking the member to orders.customer_id.",
                    person_key=True,
                ),
                Column(
                    "display_name", S, False, "Display name (personal data; never an identity)."
                ),
                Column("email_hash", S, False, "SHA-256 hex of the trimmed, lower-cased e-mail."),
                Column("phone_hash", S, False, "SHA-256 hex of the phone number in E.164 form."),
                Column(
                    "operator_id",
                    S,
                    False,
                    "Operator (运营人员, staff account) who owns the relation, e.g. the WeCom "
                    "userid who added the customer.",
                ),
                Column(
                    "channel",
                    S,
                    False,
                    "How the member was acquired (WeCom add_way: qr_code, search_phone, …).",
                ),
            ),
            "One row per member per group; member counts use distinct member_id.",
            ("member_id", "group_id"),
        ),
        TableSchema(
            "activities",
            (
                Column("member_id", S, True, "Who acted.", person_key=True),
                Column("platform", S, True, "Platform of the activity.", label=True),
                Column("at", UTC_TIME, True, "When (UTC)."),
                Column(
                    "kind",
                    S,
                    True,
                    "message, reply, reaction, share, post, comment, checkin, "
                    "attend, join, leave, invite, mention (other kinds are kept as given).",
                    label=True,
                ),
                Column("group_id", S, False, "Where it happened.", label=True),
                Column(
                    "target_member_id",
                    S,
                    False,
                    "Who was replied to, mentioned, reacted to or invited.",
                    person_key=True,
                ),
                Column("campaign_id", S, False, "Campaign the activity belongs to.", label=True),
                Column(
                    "filler",
                    pl.Boolean(),
                    False,
                    "True for a message that is only a filler reply (好的, OK, an emoji), "
                    "per the source's filler list; service-quality metrics skip it.",
                ),
            ),
            "One row per action of a member.",
        ),
        TableSchema(
            "orders",
            (
                Column("order_id", S, True, "Order number."),
                Column(
                    "member_id",
                    S,
                    False,
                    "Buyer as a member (or use customer_id).",
                    person_key=True,
                ),
                Column(
                    "customer_id", S, False, "Buyer as a customer of the shop.", person_key=True
                ),
                Column("at", UTC_TIME, True, "When the order was placed (UTC)."),
                Column("amount", F, True, "Amount in the reporting currency after conversion."),
                Column("currency", S, False, "ISO code; defaults to the report currency."),
                Column("campaign_id", S, False, "Campaign the order is attributed to.", label=True),
                Column(
                    "status",
                    S,
                    False,
                    "paid, refunded, pending or cancelled. When empty or not mapped: "
                    "pending if paid_at is mapped and empty, refunded if fully refunded, "
                    "else paid.",
                    ORDER_STATUSES,
                ),
                Column(
                    "paid_at",
                    UTC_TIME,
                    False,
                    "When the order was paid (UTC). Without a status, a mapped paid_at "
                    "that is empty makes the order pending; a source without the column "
                    "leaves the default (paid).",
                ),
                Column(
                    "refunded_amount",
                    F,
                    False,
                    "Amount refunded so far, ≥ 0 and ≤ amount, converted like amount. A paid "
                    "order's revenue is amount − refunded_amount; refunded_amount = amount "
                    "makes a paid order refunded.",
                ),
                Column("gross_margin", F, False, "Margin of this order, if known (same currency)."),
                Column("email_hash", S, False, "SHA-256 hex of the buyer's e-mail (see members)."),
                Column("phone_hash", S, False, "SHA-256 hex of the buyer's phone (E.164)."),
                Column(
                    "product",
                    S,
                    False,
                    "What was bought: the product title, or the paid circle a membership fee "
                    "pays for.",
                ),
                Column(
                    "expires_at",
                    UTC_TIME,
                    False,
                    "For a membership fee (知识星球, 小鹅通 …): when the period it pays for ends "
                    "(UTC). A later fee of the same buyer for the same product is a renewal.",
                ),
            ),
            "One row per order.",
            ("order_id",),
        ),
        TableSchema(
            "costs",
            (
                Column(
                    "category",
                    S,
                    True,
                    "labour, platform_fee, ads, content, campaign, tools, other.",
                    COST_CATEGORIES,
                ),
                Column("amount", F, True, "Cost, ≥ 0, in the reporting currency after conversion."),
                Column("currency", S, False, "ISO code; defaults to the report currency."),
                Column("incurred_on", D, True, "Day the cost was incurred (report time zone)."),
                Column("campaign_id", S, False, "Campaign the cost belongs to.", label=True),
                Column("group_id", S, False, "Group the cost belongs to.", label=True),
                Column("note", S, False, "Free text."),
                Column(
                    "operator_id",
                    S,
                    False,
                    "Operator the cost belongs to (salary, bonus of one 运营人员).",
                ),
                Column(
                    "hours",
                    F,
                    False,
                    "Working hours the cost pays for (operator time), ≥ 0.",
                ),
            ),
            "The cost ledger: one row per cost item.",
        ),
        TableSchema(
            "campaigns",
            (
                Column("campaign_id", S, True, "Campaign id.", label=True),
                Column("name", S, False, "Display name."),
                Column("kind", S, False, "flash_group, vip_group, event, promotion, …"),
                Column("group_id", S, False, "Group the campaign runs in, if any.", label=True),
                Column("starts_at", UTC_TIME, False, "Start (UTC)."),
                Column("ends_at", UTC_TIME, False, "End (UTC)."),
                Column("budget", F, False, "Planned budget."),
            ),
            "One row per campaign.",
            ("campaign_id",),
        ),
        TableSchema(
            "groups",
            (
                Column("group_id", S, True, "Group, channel or circle id.", label=True),
                Column("name", S, False, "Display name."),
                Column("platform", S, False, "Platform.", label=True),
                Column("kind", S, False, "flash_group, vip_group, channel, circle, …"),
                Column("created_at", UTC_TIME, False, "Creation time (UTC)."),
                Column(
                    "purpose",
                    S,
                    False,
                    "presales, aftersales, distribution or vip (售前, 售后, 渠道分销, "
                    "VIP/专属服务); empty when unknown.",
                    GROUP_PURPOSES,
                ),
            ),
            "One row per group, channel or circle.",
            ("group_id",),
        ),
        TableSchema(
            "operator_days",
            (
                Column("operator_id", S, True, "Operator (staff account), e.g. a WeCom userid."),
                Column("day", D, True, "Day of the statistics (report time zone)."),
                Column("platform", S, True, "Platform, e.g. wecom.", label=True),
                Column("new_contacts", F, False, "Customers the operator added that day."),
                Column("new_applies", F, False, "Friend requests the operator sent that day."),
                Column("chats", F, False, "1:1 chats in which the operator sent a message."),
                Column("messages", F, False, "Messages the operator sent in 1:1 chats."),
                Column(
                    "reply_rate",
                    F,
                    False,
                    "Percent of customer-started chats the operator answered the same day.",
                ),
                Column(
                    "avg_reply_minutes",
                    F,
                    False,
                    "Mean minutes to the first reply in answered customer-started chats.",
                ),
                Column(
                    "negative_feedback",
                    F,
                    False,
                    "Customers who deleted or blocked the operator that day.",
                ),
            ),
            "One row per operator per day: the operator's own activity as the platform "
            "counts it (WeCom 联系客户统计).",
            ("operator_id", "day"),
        ),
    )
}

TABLE_NAMES = tuple(SCHEMA)
PERSON_TABLES = tuple(t for t, s in SCHEMA.items() if s.person_keys)  # members, activities, orders
CATEGORICAL_TABLES = tuple(t for t, s in SCHEMA.items() if s.categorical)
PERSON_KEY_NAMES = tuple(dict.fromkeys(c for t in PERSON_TABLES for c in SCHEMA[t].person_keys))


def empty_frame(table: str) -> pl.LazyFrame:
    """An empty frame for ``table``, typed as at the source boundary."""
    return pl.LazyFrame(schema=SCHEMA[table].polars_schema)
