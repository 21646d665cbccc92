"""Checklists are data: YAML files in checklists/ loaded into the domain model.

A broken file must never take the app down, so loading collects `Problem`s (file, line,
item, reason) rather than stopping at the first, and the valid files still load. Pydantic
checks the shape of a file; the rules that span fields (a number item needs a limit, item
ids are unique) are checked after it. Line numbers come from the YAML node tree.
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import hashlib
import json
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, ValidationError

from audit.errors import AuditError
from audit.model import Checklist, Comparison, Item, Limit, ResponseType, Section, Severity, SiteKind, Text

Loc = tuple[str | int, ...]
LineMap = dict[Loc, int]


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    item: str | None
    reason: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        item = [f"item {self.item}"] if self.item else []
        return ": ".join([where, *item, self.reason])


class ChecklistError(AuditError):
    """A checklist file that cannot be loaded; `problems` name file, line, item and reason."""

    title_key = "error.title.checklist"

    def __init__(self, key: str, /, *, problems: list[Problem]):
        super().__init__(key, problems="\n".join(str(problem) for problem in problems))
        self.problems = list(problems)


@dataclass
class LoadResult:
    checklists: list[Checklist] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    """Checklist id -> the file it was loaded from."""


# --- the file format -------------------------------------------------------------------

Words = Annotated[str, Field(min_length=1)]
ItemId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=40)]
ChecklistId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)]


class _Schema(BaseModel):
    # Stripping makes `text: |` blocks and inline strings hash alike.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class TextSchema(_Schema):
    zh: Words
    en: Words


class LimitSchema(_Schema):
    comparison: Comparison
    value: StrictFloat
    unit: Words


class ItemSchema(_Schema):
    id: ItemId
    text: TextSchema
    severity: Severity
    response: ResponseType
    limit: LimitSchema | None = None
    photo_required: StrictBool = False
    rule: Words | None = None


class SectionSchema(_Schema):
    id: ItemId
    title: TextSchema
    items: list[ItemSchema] = Field(min_length=1)


class ChecklistSchema(_Schema):
    id: ChecklistId
    version: StrictInt = Field(ge=1)
    title: TextSchema
    site_kinds: list[SiteKind] = Field(min_length=1)
    sections: list[SectionSchema] = Field(min_length=1)


# --- public API ----------------------------------------------------------------------------


def load_checklist(path: str | Path) -> Checklist:
    """One file; raises ChecklistError listing every problem found in it."""
    return _load(Path(path))[0]


def load_checklists(directory: str | Path) -> LoadResult:
    """Every *.yaml file in directory; a broken file is reported, never fatal to the others."""
    directory, result = Path(directory), LoadResult()
    if not directory.is_dir():
        result.problems.append(Problem(str(directory), None, None, "no such directory"))
        return result
    paths = sorted(path for path in directory.iterdir() if path.suffix in (".yaml", ".yml"))
    if not paths:
        result.problems.append(Problem(str(directory), None, None, "no checklist files (*.yaml) here"))
    for path in paths:
        try:
            checklist, lines = _load(path)
        except ChecklistError as error:
            result.problems.extend(error.problems)
            continue
        if checklist.id in result.sources:
            first = Path(result.sources[checklist.id]).name
            reason = f"checklist id '{checklist.id}' is already used by {first}; give each checklist its own id"
            result.problems.append(Problem(str(path), lines.get(("id",)), None, reason))
            continue
        result.checklists.append(checklist)
        result.sources[checklist.id] = str(path)
    return result


def checklist_to_dict(checklist: Checklist) -> dict[str, Any]:
    """The content as plain JSON-able data, without the hash (which is derived from it)."""
    return {
        "id": checklist.id,
        "version": checklist.version,
        "title": _text_dict(checklist.title),
        "site_kinds": [kind.value for kind in checklist.site_kinds],
        "sections": [
            {"id": section.id, "title": _text_dict(section.title), "items": [_item_dict(i) for i in section.items]}
            for section in checklist.sections
        ],
    }


def checklist_from_dict(data: dict[str, Any]) -> Checklist:
    """Read back a stored version, validated by the same rules as a file."""
    return _validate(data, "<stored checklist>", {})


def content_hash(checklist: Checklist) -> str:
    """sha256 of the canonical JSON: layout and comments do not count, wording does."""
    canonical = json.dumps(checklist_to_dict(checklist), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --- reading a file ------------------------------------------------------------------------


def _load(path: Path) -> tuple[Checklist, LineMap]:
    file = str(path)
    data, root = _parse(path)
    if root is None:
        raise ChecklistError("checklists.error.invalid", problems=[Problem(file, None, None, "the file is empty")])
    lines, duplicates = _line_map(root)
    problems = [Problem(file, line, None, reason) for line, reason in duplicates]
    try:
        checklist = _validate(data, file, lines)
    except ChecklistError as error:
        problems.extend(error.problems)
    if problems:
        raise ChecklistError(
            "checklists.error.invalid", problems=sorted(problems, key=lambda problem: problem.line or 0)
        )
    return checklist, lines


def _parse(path: Path) -> tuple[Any, yaml.Node | None]:
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ChecklistError(
            "checklists.error.invalid", problems=[Problem(file, None, None, "not UTF-8 text; save the file as UTF-8")]
        ) from None
    except OSError as error:
        raise ChecklistError(
            "checklists.error.invalid", problems=[Problem(file, None, None, f"cannot be read: {error.strerror}")]
        ) from None
    try:
        loader = ChecklistLoader(text)  # checks every character before parsing
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        reason = f"character U+{error.character:04X} is not allowed in a checklist file; remove it"
        raise ChecklistError("checklists.error.invalid", problems=[Problem(file, line, None, reason)]) from None
    try:
        root = loader.get_single_node()
        return (loader.construct_document(root) if root is not None else None), root
    except AliasRefused as error:
        raise ChecklistError(
            "checklists.error.invalid", problems=[Problem(file, error.line, None, error.reason)]
        ) from None
    except yaml.MarkedYAMLError as error:
        raise ChecklistError("checklists.error.invalid", problems=[_yaml_problem(file, error)]) from None
    except yaml.YAMLError as error:
        raise ChecklistError(
            "checklists.error.invalid", problems=[Problem(file, None, None, f"not valid YAML: {error}")]
        ) from None
    finally:
        loader.dispose()


class AliasRefused(yaml.YAMLError):
    def __init__(self, line: int, reason: str):
        super().__init__(reason)
        self.line, self.reason = line, reason


class ChecklistLoader(yaml.SafeLoader):
    """A SafeLoader that refuses anchors (&name) and aliases (*name) as it meets them.

    A checklist never needs them, and nested aliases let a file of a few hundred bytes expand
    into gigabytes ("billion laughs"); refused while composing, nothing is ever expanded.
    """

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise AliasRefused(
                event.start_mark.line + 1,
                f"'*{event.anchor}' refers to another part of the file "
                "(a YAML alias); checklists may not use aliases: write the value out in full",
            )
        if getattr(event, "anchor", None) is not None:
            raise AliasRefused(
                event.start_mark.line + 1,
                f"'&{event.anchor}' names a part of the file (a YAML "
                "anchor); checklists may not use anchors or aliases: remove it",
            )
        return super().compose_node(parent, index)


def _yaml_problem(file: str, error: yaml.MarkedYAMLError) -> Problem:
    """Where the parser stopped, and where the construct it was reading began."""
    mark = error.problem_mark or error.context_mark
    reason = f"not valid YAML: {error.problem}"
    if error.context and error.context_mark and error.context_mark is not mark:
        reason += f" ({error.context} on line {error.context_mark.line + 1})"
    return Problem(file, mark.line + 1 if mark else None, None, reason)


def _line_map(
    node: yaml.Node, path: Loc = (), lines: LineMap | None = None, duplicates: list | None = None
) -> tuple[LineMap, list[tuple[int, str]]]:
    """Path of every key and list entry -> its 1-based line; and keys given twice."""
    lines = {} if lines is None else lines
    duplicates = [] if duplicates is None else duplicates
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            here = path + (key.value if isinstance(key, yaml.ScalarNode) else "?",)
            line = key.start_mark.line + 1
            if here in lines:
                duplicates.append((line, f"key '{key.value}' is given twice (first on line {lines[here]})"))
                continue
            lines[here] = line
            _line_map(value, here, lines, duplicates)
    elif isinstance(node, yaml.SequenceNode):
        for index, child in enumerate(node.value):
            _line_map(child, path + (index,), lines, duplicates)
    return lines, duplicates


def _validate(data: Any, file: str, lines: LineMap) -> Checklist:
    try:
        schema = ChecklistSchema.model_validate(data)
    except ValidationError as error:
        problems = [_problem(file, lines, data, e) for e in error.errors(include_url=False)]
        raise ChecklistError("checklists.error.invalid", problems=problems) from None
    broken = [Problem(file, _line(lines, loc), item, reason) for loc, item, reason in _rule_breaks(schema, lines)]
    if broken:
        raise ChecklistError("checklists.error.invalid", problems=broken)
    checklist = _to_domain(schema)
    return dataclasses.replace(checklist, content_hash=content_hash(checklist))


def _rule_breaks(schema: ChecklistSchema, lines: LineMap) -> Iterator[tuple[Loc, str | None, str]]:
    """What a single field cannot say: ids used twice, limits only on number items."""
    seen_kinds: set[SiteKind] = set()
    for index, kind in enumerate(schema.site_kinds):
        if kind in seen_kinds:
            yield ("site_kinds", index), None, f"site kind '{kind.value}' is listed twice"
        seen_kinds.add(kind)
    sections: dict[str, Loc] = {}
    items: dict[str, Loc] = {}
    for s, section in enumerate(schema.sections):
        loc = ("sections", s, "id")
        if section.id in sections:
            yield (
                loc,
                None,
                f"duplicate section id '{section.id}' (first used on line {_line(lines, sections[section.id])})",
            )
        sections.setdefault(section.id, loc)
        for i, item in enumerate(section.items):
            loc = ("sections", s, "items", i)
            if item.id in items:
                yield loc + ("id",), item.id, f"duplicate item id (first used on line {_line(lines, items[item.id])})"
            items.setdefault(item.id, loc + ("id",))
            if item.response is ResponseType.NUMBER and item.limit is None:
                yield loc + ("response",), item.id, "a number item needs a limit (comparison, value and unit)"
            if item.response is not ResponseType.NUMBER and item.limit is not None:
                yield (
                    loc + ("limit",),
                    item.id,
                    f"a {item.response.value} item takes no limit; remove 'limit' or set 'response: number'",
                )


def _to_domain(schema: ChecklistSchema) -> Checklist:
    return Checklist(
        id=schema.id,
        version=schema.version,
        title=Text(schema.title.zh, schema.title.en),
        site_kinds=tuple(schema.site_kinds),
        sections=tuple(
            Section(section.id, Text(section.title.zh, section.title.en), tuple(_item(i) for i in section.items))
            for section in schema.sections
        ),
    )


def _item(schema: ItemSchema) -> Item:
    limit = schema.limit
    return Item(
        id=schema.id,
        text=Text(schema.text.zh, schema.text.en),
        severity=schema.severity,
        response=schema.response,
        limit=Limit(limit.comparison, float(limit.value), limit.unit) if limit else None,
        photo_required=schema.photo_required,
        rule=schema.rule,
    )


def _text_dict(text: Text) -> dict[str, str]:
    return {"zh": text.zh, "en": text.en}


def _item_dict(item: Item) -> dict[str, Any]:
    limit = item.limit
    return {
        "id": item.id,
        "text": _text_dict(item.text),
        "severity": item.severity.value,
        "response": item.response.value,
        "limit": {"comparison": limit.comparison.value, "value": limit.value, "unit": limit.unit} if limit else None,
        "photo_required": item.photo_required,
        "rule": item.rule,
    }


# --- turning pydantic's errors into sentences -----------------------------------------------

LANGUAGES = {"zh": "Chinese", "en": "English"}
LABELS = {"site_kinds": "site kind", "response": "response type"}


def _problem(file: str, lines: LineMap, data: Any, error: dict) -> Problem:
    loc = tuple(error["loc"])
    return Problem(file, _line(lines, loc), _item_id(data, loc), _reason(error, loc, data))


def _line(lines: LineMap, loc: Loc) -> int | None:
    """The line of loc, or of the nearest enclosing entry (a missing key has no line)."""
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def _item_id(data: Any, loc: Loc) -> str | None:
    if len(loc) < 4 or loc[0] != "sections" or loc[2] != "items":
        return None
    try:
        item_id = data["sections"][loc[1]]["items"][loc[3]]["id"]
    except (KeyError, IndexError, TypeError):
        return None
    return item_id if isinstance(item_id, str) else None


def _reason(error: dict, loc: Loc, data: Any) -> str:
    kind, given, name = error["type"], error.get("input"), _relative(loc)
    if kind == "missing":
        language = f" ({LANGUAGES[loc[-1]]} text)" if loc[-1] in LANGUAGES else ""
        return f"missing field '{name}'{language}{_owner_words(loc, data)}"
    if kind == "extra_forbidden":
        allowed = list(_schema_at(loc[:-1]).model_fields)
        return f"unknown field '{loc[-1]}'{_suggestion(str(loc[-1]), allowed)}; allowed: {', '.join(allowed)}"
    if kind == "enum":
        label = LABELS.get(_last_name(loc), _last_name(loc))
        values = [member.value for member in _enum_at(loc)]
        return f"unknown {label} '{given}'{_suggestion(str(given), values)}; use one of: {', '.join(values)}"
    if kind == "too_short" and loc[-1] == "items":
        return f"section{_section_words(loc, data)} has no items; add an item or remove the section"
    if kind == "string_pattern_mismatch":
        if loc == ("id",):
            return f"checklist id {given!r} may hold only lower-case letters, digits and '_' (like quarantine_transfer)"
        return f"id {given!r} may hold only letters, digits, '_', '.' and '-' (like QT-01)"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        if not loc:
            return "the file must hold one checklist: a mapping with id, version, title, site_kinds and sections"
        subject = f"each entry of '{name}'" if isinstance(loc[-1], int) else f"'{name}'"
        fields = ", ".join(_schema_at(loc).model_fields)
        return f"{subject}{_owner_words(loc, data)} must be a mapping with {fields}, not {given!r}"
    shape = _SHAPES.get(kind)
    words = shape.format(given=given, **error.get("ctx", {})) if shape else error["msg"].lower()
    return f"'{name}'{_owner_words(loc, data)} {words}"


_SHAPES = {
    "int_type": "must be a whole number, not {given!r}",
    "greater_than_equal": "must be at least {ge}",
    "float_type": "must be a number, not {given!r}",
    "bool_type": "must be true or false, not {given!r}",
    "string_type": "must be text, not {given!r}",
    "string_too_short": "must not be empty",
    "string_too_long": "must be at most {max_length} characters",
    "too_short": "must list at least one entry",
    "list_type": "must be a list, not {given!r}",
}


def _relative(loc: Loc) -> str:
    """The field's path inside its item, section or checklist: 'limit.unit', 'title.en'."""
    names: list[str] = []
    for part in reversed(loc):
        if isinstance(part, int):
            break
        names.insert(0, part)
    return ".".join(names) or _last_name(loc)


def _last_name(loc: Loc) -> str:
    return next((part for part in reversed(loc) if isinstance(part, str)), "checklist")


def _owner_words(loc: Loc, data: Any) -> str:
    """Say which item or section holds the field, when the item id does not say it already."""
    if len(loc) > 4 and loc[2] == "items":
        return "" if _item_id(data, loc) else " in item"
    if len(loc) > 2 and loc[0] == "sections":
        return f" in section{_section_words(loc, data)}"
    return ""


def _section_words(loc: Loc, data: Any) -> str:
    try:
        section_id = data["sections"][loc[1]]["id"]
    except (KeyError, IndexError, TypeError):
        return ""
    return f" '{section_id}'" if isinstance(section_id, str) else ""


def _suggestion(given: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(given, choices, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _schema_at(loc: Loc) -> type[BaseModel]:
    """The schema model that holds the fields found at loc."""
    model: type[BaseModel] = ChecklistSchema
    for part in loc:
        if isinstance(part, str) and part in model.model_fields:
            model = _inside(model.model_fields[part].annotation, BaseModel) or model
    return model


def _enum_at(loc: Loc) -> type[enum.Enum]:
    name = _last_name(loc)
    owner = _schema_at(loc[: max(i for i, part in enumerate(loc) if part == name)])
    return _inside(owner.model_fields[name].annotation, enum.Enum)


def _inside(annotation: Any, base: type) -> Any:
    """The first class deriving from base in an annotation such as `list[X] | None`."""
    if isinstance(annotation, type) and issubclass(annotation, base):
        return annotation
    for argument in typing.get_args(annotation):
        found = _inside(argument, base)
        if found:
            return found
    return None
