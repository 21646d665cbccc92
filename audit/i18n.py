"""UI text in zh-CN and en, read from YAML catalogs in audit/locales/<lang>/*.yaml.

Each feature keeps its own catalog file; keys are flat and dotted (`home.title`).
Chinese is the first language: an unknown browser locale falls back to it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

LOCALES_DIR = Path(__file__).parent / "locales"
LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"


def language_for(locale: str | None) -> str:
    """Browser locale (e.g. 'en-GB', 'zh-Hans-CN') to a catalog language."""
    if locale and locale.lower().startswith("en"):
        return "en"
    return DEFAULT_LANGUAGE


@cache
def catalog(language: str) -> dict[str, str]:
    entries: dict[str, str] = {}
    for path in sorted((LOCALES_DIR / language).glob("*.yaml")):
        for key, text in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            if key in entries:
                raise ValueError(f"{path}: key {key!r} is defined twice")
            entries[key] = str(text)
    return entries


def t(key: str, language: str = DEFAULT_LANGUAGE, **values) -> str:
    """The text for key in language; a missing key shows itself so it is noticed, not hidden."""
    text = catalog(language if language in LANGUAGES else DEFAULT_LANGUAGE).get(key, key)
    return text.format(**values) if values else text


def short(language: str) -> str:
    """'zh' or 'en', the suffix of bilingual columns and fields."""
    return "en" if language == "en" else "zh"
