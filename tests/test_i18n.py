import string

from audit import i18n


def test_both_languages_have_the_same_keys():
    zh, en = i18n.catalog("zh-CN"), i18n.catalog("en")
    assert sorted(set(zh) ^ set(en)) == []


def test_both_languages_fill_in_the_same_values():
    def placeholders(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}

    zh, en = i18n.catalog("zh-CN"), i18n.catalog("en")
    assert [key for key in en if placeholders(en[key]) != placeholders(zh.get(key, en[key]))] == []


def test_no_text_is_left_empty():
    for language in i18n.LANGUAGES:
        assert [key for key, text in i18n.catalog(language).items() if not text.strip()] == []


def test_browser_locale_picks_the_language():
    assert i18n.language_for("en-GB") == "en"
    assert i18n.language_for("zh-Hans-CN") == "zh-CN"
    assert i18n.language_for(None) == "zh-CN"
    assert i18n.language_for("fr-FR") == "zh-CN"


def test_missing_key_shows_itself():
    assert i18n.t("no.such.key", "en") == "no.such.key"
