"""Every error a user may see has a title and a text in both languages, and every raise names its text."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import string
from pathlib import Path

import pytest

import audit
from audit import i18n
from audit.errors import AuditError, InvalidInput, Key, StoreUnavailable
from audit.model import Role, User
from audit.services.permissions import Permission, require

ROOT = Path(audit.__file__).resolve().parent.parent
SOURCES = [*sorted((ROOT / "audit").rglob("*.py")), ROOT / "app.py"]
CATALOGS = {language: i18n.catalog(language) for language in i18n.LANGUAGES}


def error_classes() -> list[type[AuditError]]:
    """AuditError and every subclass, once every module that may define one is imported.

    The modules in audit/ui are page scripts that draw as they are imported; the AST check
    below makes sure none of them defines an error class.
    """
    for module in pkgutil.walk_packages(audit.__path__, "audit."):
        if not module.name.startswith("audit.ui.") and module.name != "audit.__main__":
            importlib.import_module(module.name)
    found, waiting = [], [AuditError]
    while waiting:
        cls = waiting.pop()
        if cls.__module__.startswith("audit."):
            found.append(cls)
        waiting.extend(cls.__subclasses__())
    return found


CLASSES = error_classes()
BY_NAME = {cls.__name__: cls for cls in CLASSES}


def placeholders(text: str) -> set[str]:
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(text) if name}


def trees():
    for path in SOURCES:
        yield path.relative_to(ROOT), ast.parse(path.read_text(encoding="utf-8"))


def called_class(node: ast.Call) -> type[AuditError] | None:
    name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
    return BY_NAME.get(name)


def key_problems(cls: type[AuditError], call: ast.Call) -> list[str]:
    """What is wrong with the key (and values) this call of an error class gives."""
    first = call.args[0] if call.args else None
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        keys = [first.value]
    elif (
        isinstance(first, ast.JoinedStr)
        and first.values
        and isinstance(first.values[0], ast.Constant)
        and first.values[0].value
    ):
        prefix = first.values[0].value
        keys = [key for key in CATALOGS["en"] if key.startswith(prefix)]
        if not keys:
            return [f"no catalog key starts with {prefix!r}"]
    else:
        return ["the first argument is not a catalog key written out (a string, or an f-string with a literal start)"]
    problems = []
    consumed = {"field", "reason"} if issubclass(cls, StoreUnavailable) else {"field"}  # not filled into the text
    given = {keyword.arg for keyword in call.keywords if keyword.arg} - consumed
    spread = any(keyword.arg is None for keyword in call.keywords)
    plain_constructor = cls.__init__ in (AuditError.__init__, StoreUnavailable.__init__)
    for key in keys:
        missing = [language for language, texts in CATALOGS.items() if key not in texts]
        if missing:
            problems.append(f"{key} is missing in {', '.join(missing)}")
            continue
        wanted = placeholders(CATALOGS["en"][key])
        if placeholders(CATALOGS["zh-CN"][key]) != wanted:
            problems.append(f"{key} has other placeholders in zh-CN than in en")
        if plain_constructor and (given - wanted or (not spread and wanted - given)):
            problems.append(f"{key} wants {sorted(wanted)}, the call gives {sorted(given)}")
    return problems


def test_error_classes_are_all_found():
    """No module the walk skipped (the pages) defines an error class of its own."""
    defined = set()
    for _, tree in trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and any(
                getattr(base, "id", getattr(base, "attr", None)) in BY_NAME for base in node.bases
            ):
                defined.add(node.name)
    assert defined <= set(BY_NAME), sorted(defined - set(BY_NAME))
    assert {"SignInRefused", "ChecklistError", "LedgerImportError", "FontMissing"} <= defined


@pytest.mark.parametrize("cls", CLASSES, ids=[cls.__name__ for cls in CLASSES])
def test_every_error_class_has_a_title_of_its_own_in_both_languages(cls):
    assert "title_key" in vars(cls), f"{cls.__name__} only borrows its parent's title"
    required = {
        name: []
        for name, parameter in inspect.signature(cls).parameters.items()
        if parameter.kind is parameter.KEYWORD_ONLY and parameter.default is parameter.empty
    }
    with pytest.raises(cls) as raised:
        raise cls("error.title.error", **required)
    for language, texts in CATALOGS.items():
        assert cls.title_key in texts, f"{cls.title_key} is missing in {language}"
        assert raised.value.title(language) == texts[cls.title_key]
    assert CATALOGS["zh-CN"][cls.title_key] != CATALOGS["en"][cls.title_key]


def test_titles_tell_the_classes_apart():
    assert len({cls.title_key for cls in CLASSES}) == len(CLASSES)


def test_every_error_names_its_text_in_both_catalogs():
    calls, problems = 0, []
    for path, tree in trees():
        for node in ast.walk(tree):
            cls = isinstance(node, ast.Call) and called_class(node)
            if cls:
                calls += 1
                problems += [f"{path}:{node.lineno}: {problem}" for problem in key_problems(cls, node)]
    assert problems == []
    assert calls > 80  # the scan sees the raise sites, not an empty list


def test_the_scan_catches_an_english_sentence_and_a_missing_value():
    def check(source: str) -> list[str]:
        call = ast.parse(source).body[0].value
        return key_problems(called_class(call), call)

    assert check('InvalidInput("Please sign in first.")') == ["Please sign in first. is missing in zh-CN, en"]
    assert check('InvalidInput(f"The site {name} is gone")') == ["no catalog key starts with 'The site '"]
    assert check('PermissionDenied("permissions.error.no_unit")') == [
        "permissions.error.no_unit wants ['username'], the call gives []"
    ]
    assert check('PermissionDenied("permissions.error.no_unit", username=name)') == []
    assert check('InvalidInput(f"ledger.error.too_long_{field}", field=field, limit=1, length=2)') == []


def test_values_that_are_keys_or_errors_are_said_in_the_readers_language():
    inspector = User("u1", "zhang", "张三", Role.INSPECTOR)
    with pytest.raises(AuditError) as refused:
        require(inspector, Permission.MANAGE_ACCOUNTS)
    assert refused.value.text("zh-CN") == "账号 zhang（督查人员）无权管理账号。"
    assert str(refused.value) == "The account 'zhang' (Inspector) may not manage accounts."
    outer = InvalidInput(
        "inspect.error.finding_invalid",
        item="QT-01",
        problem=InvalidInput("inspect.error.required", label=Key("inspect.field.description")),
    )
    assert outer.text("zh-CN") == "QT-01 的问题：问题描述不能为空，请填写。"
    assert outer.message == "The finding for QT-01: Description of the problem is empty: fill it in."
