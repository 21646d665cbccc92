"""Starting an inspection: the site, a checklist that applies to it, the team and the time."""

from __future__ import annotations

from datetime import datetime

from audit.errors import InvalidInput, PermissionDenied
from audit.model import DRAFT, Checklist, Inspection, Role, Site, User, new_id
from audit.services.database import unit_of_work
from audit.services.inspections.problems import CLOCK_SKEW, LIMITS, MAX_INSPECTORS, label
from audit.services.inspections.sheet import inspection_record, own_site, site_of
from audit.services.permissions import Permission, can, inspecting
from audit.store import Database, audit_log
from audit.store import checklists as checklist_store
from audit.store import inspections as store
from audit.store import sites as site_store


def find_sites(
    database: Database,
    user: User,
    *,
    text: str = "",
    subdistrict: str | None = None,
    community: str | None = None,
    kind: str | None = None,
    limit: int = 30,
) -> list[Site]:
    """Active sites whose name (zh or en) or code contains the text, narrowed by place and kind."""
    user = inspecting(user, database)
    with database.read() as cursor:
        sites = site_store.list_sites(
            cursor, search=text.strip() or None, subdistrict=subdistrict, community=community, kind=kind
        )
    if user.role is Role.UNIT:
        sites = [site for site in sites if own_site(user, site)]
    return sites[:limit]


def site_places(database: Database, user: User) -> list[site_store.Place]:
    """Subdistricts and communities to narrow the site search by."""
    user = inspecting(user, database)
    with database.read() as cursor:
        return site_store.hierarchy(cursor)


def checklists_for(database: Database, user: User, site_id: str) -> list[Checklist]:
    """The newest version of every checklist that applies to the site's kind."""
    user = inspecting(user, database)
    with database.read() as cursor:
        site = site_of(cursor, site_id)
        return [c for c in checklist_store.latest(cursor) if c.applies_to(site.kind)]


def known_inspectors(database: Database, user: User) -> list[str]:
    user = inspecting(user, database)
    with database.read() as cursor:
        names = store.known_inspector_names(cursor)
    return sorted(set(names) | {user.display_name})


def team_of(inspectors: list[str]) -> list[str]:
    team = list(dict.fromkeys(name.strip() for name in inspectors if name and name.strip()))
    if not team:
        raise InvalidInput("inspect.error.required", field="inspectors", label=label("inspectors"))
    if len(team) > MAX_INSPECTORS:
        raise InvalidInput(
            "inspect.error.too_many", field="inspectors", label=label("inspectors"), limit=MAX_INSPECTORS
        )
    for name in team:
        if len(name) > LIMITS["inspector"]:
            raise InvalidInput(
                "inspect.error.name_too_long",
                field="inspectors",
                label=label("inspectors"),
                name=name[:20],
                limit=LIMITS["inspector"],
            )
    return team


def inspection_time(started_at: datetime | None, now: datetime) -> datetime:
    if started_at is None:
        raise InvalidInput("inspect.error.required", field="started_at", label=label("started_at"))
    if started_at > now + CLOCK_SKEW:
        raise InvalidInput(
            "inspect.error.future", field="started_at", label=label("started_at"), now=now.strftime("%Y-%m-%d %H:%M")
        )
    return started_at.replace(second=0, microsecond=0)


@unit_of_work
def start_inspection(
    database: Database,
    user: User,
    *,
    site_id: str | None,
    checklist_id: str | None,
    inspectors: list[str],
    started_at: datetime | None,
    now: datetime | None = None,
) -> Inspection:
    user = inspecting(user, database)
    if not site_id:
        raise InvalidInput("inspect.error.choose", field="site", label=label("site"))
    if not checklist_id:
        raise InvalidInput("inspect.error.choose", field="checklist", label=label("checklist"))
    team = team_of(inspectors)
    when = inspection_time(started_at, now or datetime.now())
    with database.write() as cursor:
        site = site_of(cursor, site_id)
        self_inspection = not can(user, Permission.RUN_INSPECTION)  # a unit account inspects itself (自查)
        if self_inspection and not own_site(user, site):
            raise PermissionDenied("inspect.error.not_own_site", field="site")
        checklist = next((c for c in checklist_store.latest(cursor) if c.id == checklist_id), None)
        if checklist is None or not checklist.applies_to(site.kind):
            raise InvalidInput("inspect.error.not_for_site", field="checklist")
        inspection = Inspection(
            id=new_id(),
            site_id=site.id,
            checklist_id=checklist.id,
            checklist_version=checklist.version,
            checklist_hash=checklist.content_hash,
            inspectors=team,
            started_at=when,
            status=DRAFT,
            created_by=user.id,
            updated_at=now or datetime.now(),
            updated_by=user.username,
            self_reported=self_inspection,
        )
        store.insert_inspection(cursor, inspection)
        audit_log.append(
            cursor,
            actor=user.username,
            action="inspection.started",
            entity="inspection",
            entity_id=inspection.id,
            after=inspection_record(inspection),
        )
    return inspection
