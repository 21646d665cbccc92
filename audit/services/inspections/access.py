"""Whose inspection it is: a draft belongs to its creator and named team; a submitted one is corrected
by its team or a supervisor. Checked on every call, so an address typed by hand, a fragment and a
widget callback meet the same rule; each refusal is logged.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from audit.errors import PermissionDenied
from audit.model import Role, User
from audit.store import Database, audit_log
from audit.store.inspections import Inspection


class NotYours(PermissionDenied):
    """Refused because the inspection is someone else's; the caller logs it after the rollback."""

    title_key = "error.title.not_yours"

    def __init__(self, key: str, *, inspection_id: str):
        super().__init__(key, field="inspection")
        self.inspection_id = inspection_id


def on_team(user: User, inspection: Inspection) -> bool:
    """The creator, or a person the team names (teams are kept as display names, as my_inspections reads them)."""
    return inspection.created_by == user.id or user.display_name in inspection.inspectors


def check_draft_access(user: User, inspection: Inspection) -> Inspection:
    """A draft is seen and changed by its creator and team only."""
    if inspection.is_draft and not on_team(user, inspection):
        raise NotYours("inspect.error.not_on_team", inspection_id=inspection.id)
    return inspection


def check_correction_access(user: User, inspection: Inspection) -> Inspection:
    """A submitted inspection is corrected by its team or a supervisor."""
    if not (on_team(user, inspection) or user.role is Role.SUPERVISOR):
        raise NotYours("inspect.error.may_not_correct", inspection_id=inspection.id)
    return inspection


@contextmanager
def refusals_logged(database: Database, user: User, attempt: str, **details) -> Iterator[None]:
    """Log a refusal in a transaction of its own: the refused work's transaction has rolled back."""
    try:
        yield
    except NotYours as refused:
        with database.write() as cursor:
            audit_log.append(
                cursor,
                actor=user.username,
                action="inspection.refused",
                entity="access",
                entity_id=refused.inspection_id,
                after={
                    "inspection": refused.inspection_id,
                    "attempt": attempt,
                    "role": user.role.value,
                    "rule": refused.key,
                    **details,
                },
            )
        raise
