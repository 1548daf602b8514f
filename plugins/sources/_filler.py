"""Filler replies (好的, OK, 👍): messages that acknowledge without answering.

A chat source that reads message text marks them with the canonical ``activities.filler``
column, so service-quality metrics (the ``operators`` section's first-response time) do
not count "好的" as a response. The words are a source option (``filler_replies``).
"""

from __future__ import annotations

import polars as pl

FILLER_REPLIES: tuple[str, ...] = (
    "好的", "好", "好滴", "好哒", "好嘞", "嗯", "嗯嗯", "哦", "哦哦", "噢", "收到", "收到啦",
    "知道了", "明白", "了解", "谢谢", "谢谢你", "多谢", "感谢", "没问题", "稍等", "ok", "okay",
    "好的呢", "好的谢谢", "thanks", "thx", "noted",
)  # fmt: skip
_PUNCT = r"[\s\p{P}~～]+"
# only emoji (with skin tones, variation selectors, joiners) or WeChat's bracket codes
# such as [微笑] [强] [OK]
_EMOJI_ONLY = r"^[\s\p{Extended_Pictographic}\p{Emoji_Modifier}\x{FE0F}\x{200D}]+$"
_CODES_ONLY = r"^(\s*\[[^\[\]]{1,6}\])+\s*$"


def _norm(text: pl.Expr) -> pl.Expr:
    return text.str.replace_all(_PUNCT, "").str.to_lowercase()


def is_filler(text: str | pl.Expr, words: tuple[str, ...] | list[str] = FILLER_REPLIES) -> pl.Expr:
    """True when ``text`` is only a filler word (compared without spaces and punctuation,
    case-insensitive), only emoji, or only WeChat emoji codes; null for null text.

    >>> df = pl.DataFrame({"t": ["好的！", "OK.", "👍🏻", "[强]", "好的，明天发货", None]})
    >>> df.select(is_filler("t"))["t"].to_list()
    [True, True, True, True, False, None]
    """
    col = pl.col(text) if isinstance(text, str) else text
    norm_words = pl.Series(list(words), dtype=pl.String).str.replace_all(_PUNCT, "")
    norm_words = norm_words.str.to_lowercase().filter(norm_words != "").unique()
    return (
        _norm(col).is_in(norm_words.implode())
        | col.str.contains(_EMOJI_ONLY)
        | col.str.contains(_CODES_ONLY)
    )
