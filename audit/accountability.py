"""The accountability data file (data/accountability.yaml): kinds of measure and escalation rules.

Kept as data, like the checklists, so an office names its own measures and thresholds. A file
that cannot be used is refused with the file and the entry named; nothing is guessed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from audit.errors import InvalidInput
from audit.model import EscalationRule, MeasureKind, Severity, Text


class _Kind(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: Literal["repeats", "overdue"]
    days: int = Field(ge=1, le=3650)
    suggest: str
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)
    count: int = Field(0, ge=0)
    severity: Severity | None = None

    @model_validator(mode="after")
    def _complete(self):
        if self.kind == "repeats" and self.count < 1:
            raise ValueError("a 'repeats' rule needs count (at least 1)")
        return self


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    measures: list[_Kind] = Field(min_length=1)
    rules: list[_Rule] = []

    @model_validator(mode="after")
    def _known(self):
        ids = [kind.id for kind in self.measures]
        if len(set(ids)) != len(ids):
            raise ValueError("two measures share an id")
        for rule in self.rules:
            if rule.suggest not in ids:
                raise ValueError(f"rule {rule.id} suggests '{rule.suggest}', which is not among the measures")
        return self


def load(path: Path) -> tuple[tuple[MeasureKind, ...], tuple[EscalationRule, ...]]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        data = _File.model_validate(raw)
    except FileNotFoundError:
        raise InvalidInput("accountability.error.file_missing", field="AUDIT_ACCOUNTABILITY", path=str(path)) from None
    except (yaml.YAMLError, ValidationError) as error:
        raise InvalidInput(
            "accountability.error.file_invalid",
            field="AUDIT_ACCOUNTABILITY",
            path=str(path),
            reason=str(error).splitlines()[0]
            if isinstance(error, yaml.YAMLError)
            else "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()),
        ) from None
    kinds = tuple(MeasureKind(kind.id, Text(kind.zh, kind.en)) for kind in data.measures)
    rules = tuple(
        EscalationRule(rule.id, rule.kind, rule.days, rule.suggest, Text(rule.zh, rule.en), rule.count, rule.severity)
        for rule in data.rules
    )
    return kinds, rules
