"""Bilingual text: every label a reader sees exists in English and Simplified Chinese."""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES = ("en", "zh-CN")


@dataclass(frozen=True, slots=True)
class Text:
    """A label in both report languages.

    >>> Text("Members", "成员").get("zh-CN")
    '成员'
    """

    en: str
    zh: str

    def get(self, lang: str) -> str:
        return self.zh if lang.lower().startswith("zh") else self.en

    def format(self, **values: object) -> Text:
        """Fill ``{placeholders}`` in both languages with the same values."""
        return Text(self.en.format(**values), self.zh.format(**values))

    def as_dict(self) -> dict[str, str]:
        return {"en": self.en, "zh-CN": self.zh}


def T(en: str, zh: str | None = None) -> Text:
    """Build a :class:`Text`; ``zh`` defaults to ``en`` (for names and codes)."""
    return Text(en, en if zh is None else zh)
