"""Domain types of the inspection audit tracker.

Plain dataclasses and enums with the rules that need no I/O: how a measured value
fails an item, which deadline a severity gives, how overdue a finding is, and which
steps of a finding's life are legal; the inspection drafts, the one filter the ledger, the
exports and the dashboard share, and what the dashboard returns. The store and the services
build on these.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from audit.i18n import short

if TYPE_CHECKING:
    import pandas as pd


def new_id() -> str:
    """Ids are made by the application so no server depends on the database for them."""
    return str(uuid.uuid4())


class SiteKind(str, enum.Enum):
    ISOLATION_POINT = "isolation_point"
    FEVER_CLINIC = "fever_clinic"
    HOSPITAL = "hospital"
    COMMUNITY_HEALTH_CENTRE = "community_health_centre"
    COMMUNITY = "community"
    ENTERPRISE = "enterprise"
    CHECKPOINT = "checkpoint"


class Severity(str, enum.Enum):
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"

    @property
    def default_days(self) -> int:
        """Days given to fix a finding when no deadline is set."""
        return {"minor": 7, "major": 3, "critical": 1}[self.value]


class ResponseType(str, enum.Enum):
    PASS_FAIL = "pass_fail"
    NUMBER = "number"
    TEXT = "text"


class Result(str, enum.Enum):
    PASS = "pass"
    FAIL = "fail"
    NA = "na"


class Status(str, enum.Enum):
    OPEN = "open"
    AWAITING_VERIFICATION = "awaiting_verification"
    CLOSED = "closed"
    REOPENED = "reopened"

    @property
    def is_open(self) -> bool:
        return self is not Status.CLOSED


class Role(str, enum.Enum):
    INSPECTOR = "inspector"
    SUPERVISOR = "supervisor"
    UNIT = "unit"
    ADMIN = "admin"


class Overdue(str, enum.Enum):
    """Colours Chinese offices give deadlines: blue soon due, yellow overdue, red long overdue."""

    NONE = "none"
    BLUE = "blue"
    YELLOW = "yellow"
    RED = "red"


DUE_SOON_DAYS = 2
LONG_OVERDUE_DAYS = 7
REPEAT_WINDOW_DAYS = 90


OVERDUE_BANDS = ((Overdue.RED, LONG_OVERDUE_DAYS + 1), (Overdue.YELLOW, 1), (Overdue.BLUE, -DUE_SOON_DAYS))
"""The overdue rule, stated once: (colour, days past the deadline at least), worst first. Both
`overdue_colour` and the store's SQL (`audit.store.filters.overdue_sql`) are built from it."""


def overdue_colour(deadline: date | None, status: Status, today: date) -> Overdue:
    if deadline is None or status is Status.CLOSED:
        return Overdue.NONE
    late = (today - deadline).days
    return next((colour for colour, least in OVERDUE_BANDS if late >= least), Overdue.NONE)


def default_deadline(found: date, severity: Severity) -> date:
    return found + timedelta(days=severity.default_days)


class Comparison(str, enum.Enum):
    AT_LEAST = ">="
    AT_MOST = "<="
    MORE_THAN = ">"
    LESS_THAN = "<"


@dataclass(frozen=True)
class Limit:
    """A measured value's limit, e.g. temperature checks per day >= 2."""

    comparison: Comparison
    value: float
    unit: str

    def accepts(self, measured: float) -> bool:
        return {
            Comparison.AT_LEAST: measured >= self.value,
            Comparison.AT_MOST: measured <= self.value,
            Comparison.MORE_THAN: measured > self.value,
            Comparison.LESS_THAN: measured < self.value,
        }[self.comparison]

    def __str__(self) -> str:
        value = f"{self.value:g}"
        return f"{self.comparison.value} {value} {self.unit}".strip()


@dataclass(frozen=True)
class Text:
    """Text in both languages the product speaks."""

    zh: str
    en: str

    def get(self, lang: str) -> str:
        return getattr(self, short(lang))


@dataclass(frozen=True)
class Item:
    id: str
    text: Text
    severity: Severity
    response: ResponseType
    limit: Limit | None = None
    photo_required: bool = False
    rule: str | None = None

    def result_for(self, value: float | None) -> Result | None:
        """A measurement beyond its limit fails the item by itself."""
        if self.limit is None or value is None:
            return None
        return Result.PASS if self.limit.accepts(value) else Result.FAIL


@dataclass(frozen=True)
class Section:
    id: str
    title: Text
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Checklist:
    id: str
    version: int
    title: Text
    site_kinds: tuple[SiteKind, ...]
    sections: tuple[Section, ...]
    content_hash: str = ""

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for section in self.sections for item in section.items)

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def applies_to(self, kind: SiteKind) -> bool:
        return kind in self.site_kinds


@dataclass
class Site:
    id: str
    code: str
    name: Text
    kind: SiteKind
    district: Text
    subdistrict: Text
    community: Text
    unit: Text
    active: bool = True


@dataclass
class Finding:
    id: str
    number: str
    site_id: str
    description: str
    severity: Severity
    responsible_unit: str
    deadline: date
    found_at: datetime
    inspector: str
    status: Status = Status.OPEN
    checklist_id: str | None = None
    item_id: str | None = None
    inspection_id: str | None = None
    immediate_measure: str = ""
    responsible_person: str = ""
    requirement: str = ""
    fix_report: str = ""
    reported_by: str | None = None
    reported_at: datetime | None = None
    verifier: str | None = None
    closed_at: datetime | None = None
    repeat_of: list[str] = field(default_factory=list)
    version: int = 1
    updated_at: datetime | None = None
    updated_by: str | None = None
    self_reported: bool = False  # found by the unit's own self-inspection (自查), not by supervision


def finding_number(year: int, sequence: int) -> str:
    """The short number people quote on the phone: 2026-0412."""
    return f"{year}-{sequence:04d}"


@dataclass(frozen=True)
class User:
    """Who is acting. A unit account carries the unit whose findings it may see."""

    id: str
    username: str
    display_name: str
    role: Role
    unit: str | None = None
    active: bool = True


# --- inspections -------------------------------------------------------------------------

DRAFT = "draft"
SUBMITTED = "submitted"


@dataclass(frozen=True)
class Inspection:
    id: str
    site_id: str
    checklist_id: str
    checklist_version: int
    checklist_hash: str
    inspectors: list[str]
    started_at: datetime
    status: str
    created_by: str
    submitted_at: datetime | None = None
    score: float | None = None
    version: int = 1
    updated_at: datetime | None = None
    updated_by: str | None = None
    self_reported: bool = False  # a unit's self-inspection (自查), kept apart from supervision

    @property
    def is_draft(self) -> bool:
        return self.status == DRAFT


@dataclass(frozen=True)
class Response:
    inspection_id: str
    item_id: str
    result: Result | None
    value: float | None
    text: str | None
    answered_at: datetime
    answered_by: str


@dataclass(frozen=True)
class FindingDraft:
    """The finding form of one failed item (item_id set) or an ad-hoc finding (item_id None)."""

    id: str
    inspection_id: str
    item_id: str | None
    severity: Severity
    created_at: datetime
    updated_at: datetime
    updated_by: str
    description: str = ""
    immediate_measure: str = ""
    responsible_unit: str = ""
    responsible_person: str = ""
    requirement: str = ""
    deadline: date | None = None
    photos: list[str] = field(default_factory=list)
    earlier: list[str] = field(default_factory=list)
    recorded: bool = False


@dataclass(frozen=True)
class EarlierFinding:
    """A finding shown beside a new failure of the same item at the same site."""

    id: str
    number: str
    found_at: datetime
    description: str
    status: str


@dataclass(frozen=True)
class InspectionLine:
    """One row of the "my inspections" list."""

    id: str
    site_id: str
    site_zh: str
    site_en: str
    checklist_id: str
    title_zh: str
    title_en: str
    started_at: datetime
    status: str
    score: float | None
    answered: int
    updated_at: datetime | None


# --- which findings: one filter for the ledger, its exports and the dashboard --------------

DEFAULT_DAYS = 90


@dataclass(frozen=True)
class FindingFilter:
    """Which findings a ledger page, an export or the dashboard covers; empty means no restriction.

    Places match their name in either language (a subdistrict or community chosen from a list,
    or typed in English at the command line, finds the same findings); a site matches its id,
    code or either name; a checklist its id or either title. Days are inclusive.
    """

    statuses: tuple[Status, ...] = ()
    colours: tuple[Overdue, ...] = ()
    severities: tuple[Severity, ...] = ()
    subdistrict: str | None = None
    community: str | None = None
    site_kind: SiteKind | None = None
    site: str | None = None
    unit: str | None = None  # the responsible unit, exactly
    checklist: str | None = None
    found_from: date | None = None
    found_to: date | None = None
    repeats_only: bool = False
    search: str = ""  # part of the number or the description
    # Who found it: supervision only unless asked, so a unit's self-inspection (自查) findings stay out of every
    # supervision count; "self" shows them alone, "all" both.
    origin: str = "supervision"

    @classmethod
    def last_days(cls, today: date, days: int = DEFAULT_DAYS, **choices) -> FindingFilter:
        return cls(found_from=today - timedelta(days=days - 1), found_to=today, **choices)

    @property
    def days(self) -> int:
        return (self.found_to - self.found_from).days + 1

    @property
    def previous_start(self) -> date:
        """Start of the period of the same length just before this one."""
        return self.found_from - timedelta(days=self.days)

    @property
    def grain(self) -> str:
        """Days for a month or less, weeks up to half a year, months beyond."""
        return "day" if self.days <= 31 else "week" if self.days <= 183 else "month"

    def narrowed_to(self, start: date) -> FindingFilter:
        """This filter narrowed to one bar of a chart over time: the day, week or month (by `grain`) that
        starts on `start`, within this filter's range (a week or month at either end may stick out of it)."""
        if self.grain == "day":
            end = start
        elif self.grain == "week":
            end = start + timedelta(days=6)
        else:
            end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        return replace(self, found_from=max(start, self.found_from), found_to=min(end, self.found_to))


@dataclass(frozen=True)
class LedgerRow:
    id: str
    number: str
    found_at: datetime
    site: str | None
    site_unit: str | None
    checklist: str | None
    item: str | None
    description: str
    severity: Severity
    responsible_unit: str
    responsible_person: str
    deadline: date
    status: Status
    overdue: Overdue
    is_repeat: bool


class ExportStage(str, enum.Enum):
    """Where an export is, as its progress reports say: a bar reaches its end only at DONE."""

    WRITING = "writing"  # rows (or notices) going into the file; done of total counts them
    FINISHING = "finishing"  # the rows are in; the file is being completed (the zip closed, the PDF laid out)
    DONE = "done"  # the file is complete


ExportProgress = Callable[[int, int, ExportStage], None]
"""Called with (done, total, stage) as an export goes on; the last call, DONE, comes when the file is complete."""

# --- what the dashboard shows ----------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    key: str
    current: float | None
    previous: float | None
    higher_is_better: bool
    unit: str = "count"
    """count, rate (0..1) or days."""

    @property
    def change(self) -> float | None:
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous


@dataclass(frozen=True)
class Dashboard:
    filters: FindingFilter
    headline: tuple[Figure, ...]
    by_site: pd.DataFrame
    over_time: pd.DataFrame
    site_checklist: pd.DataFrame
    ageing: pd.DataFrame
    time_to_close: pd.DataFrame
    failing_items: pd.DataFrame
    repeat_offenders: pd.DataFrame
    selected_site: str | None = None

    def figure(self, key: str) -> Figure:
        return next(figure for figure in self.headline if figure.key == key)

    @property
    def empty(self) -> bool:
        """Nothing found and nothing inspected in the range: the page says so instead of drawing."""
        return not self.figure("findings").current and not self.figure("inspections").current


@dataclass(frozen=True)
class FindingsPage:
    rows: pd.DataFrame
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class FilterChoices:
    """What the filters offer; each narrower choice lists only what lies in the wider ones."""

    sites: pd.DataFrame
    checklists: pd.DataFrame
    severities: tuple[str, ...] = ("critical", "major", "minor")
    statuses: tuple[str, ...] = ("open", "awaiting_verification", "reopened", "closed")
    site_kinds: tuple[str, ...] = field(default_factory=tuple)

    def _within(self, **chosen) -> pd.DataFrame:
        sites = self.sites
        for column, value in chosen.items():
            if value is not None:
                sites = sites[sites[column] == value]
        return sites

    def subdistricts(self) -> dict[str, str]:
        """Subdistrict (its Chinese name, the value filtered by) -> its name in the UI language."""
        return dict(zip(self.sites["subdistrict"], self.sites["subdistrict_label"]))

    def communities(self, subdistrict: str | None) -> dict[str, str]:
        sites = self._within(subdistrict=subdistrict)
        return dict(zip(sites["community"], sites["community_label"]))

    def site_names(
        self, subdistrict: str | None = None, community: str | None = None, kind: str | None = None
    ) -> dict[str, str]:
        sites = self._within(subdistrict=subdistrict, community=community, kind=kind)
        return dict(zip(sites["site_id"], sites["site"]))

    def checklist_titles(self) -> dict[str, str]:
        return dict(zip(self.checklists["checklist_id"], self.checklists["checklist"]))


# --- Bulletins (督查通报) -------------------------------------------------------------------


class BulletinKind(str, enum.Enum):
    """Numbered per year and per kind: 日报, 周报, 专项."""

    DAILY = "daily"
    WEEKLY = "weekly"
    SPECIAL = "special"


class BulletinStatus(str, enum.Enum):
    DRAFT = "draft"
    ISSUED = "issued"


MAX_TYPICAL_CASES = 20


@dataclass(frozen=True)
class ProblemCount:
    """Findings of a period under one checklist section (or one imported checklist name)."""

    checklist: str
    section: str
    count: int


@dataclass(frozen=True)
class UnitCount:
    unit: str
    count: int


@dataclass(frozen=True)
class BulletinFigures:
    """What the summary paragraph says, all counted in the store for the period and scope."""

    inspections: int
    sites_inspected: int
    sites_due: int | None  # None while no plan says which sites were due
    findings: int
    by_severity: dict[str, int]
    closed: int
    overdue: int
    by_subdistrict: tuple[UnitCount, ...] = ()
    by_day: tuple[tuple[date, int], ...] = ()


@dataclass(frozen=True)
class TypicalCase:
    """One finding chosen as a typical case, as the bulletin prints it."""

    finding_id: str
    number: str
    site: str
    description: str
    immediate_measure: str
    requirement: str
    responsible_unit: str
    photo_sha256: str | None


@dataclass(frozen=True)
class MeasureLine:
    """An accountability measure decided in a bulletin's period, as the bulletin names it."""

    decided_on: date
    kind: str
    unit: str
    person: str


@dataclass(frozen=True)
class Bulletin:
    """A drafted or issued bulletin; an issued one is frozen with the hash of its content."""

    id: str
    kind: BulletinKind
    period_from: date
    period_to: date
    subdistrict: str | None
    language: str
    as_of: date
    figures: BulletinFigures
    problems: tuple[ProblemCount, ...]
    overdue_units: tuple[UnitCount, ...]
    cases: tuple[TypicalCase, ...]
    summary: str
    requirements: str
    signature: str
    status: BulletinStatus = BulletinStatus.DRAFT
    year: int | None = None
    number: int | None = None
    corrects: str | None = None
    corrects_label: str | None = None
    measures: tuple[MeasureLine, ...] = ()
    content_hash: str | None = None
    created_by: str = ""
    issued_by: str | None = None
    issued_at: datetime | None = None
    version: int = 1

    @property
    def units_named(self) -> tuple[str, ...]:
        """The units a bulletin names: those late, and those of its typical cases."""
        names = (
            [entry.unit for entry in self.overdue_units]
            + [case.responsible_unit for case in self.cases]
            + [line.unit for line in self.measures]
        )
        return tuple(dict.fromkeys(name for name in names if name))


# --- Accountability (问责) ------------------------------------------------------------------


@dataclass(frozen=True)
class MeasureKind:
    """One kind of measure from data/accountability.yaml, e.g. 提醒谈话."""

    id: str
    name: Text


@dataclass(frozen=True)
class EscalationRule:
    """When to suggest a measure: `repeats` (count repeats within days) or `overdue` (severity late > days)."""

    id: str
    kind: str
    days: int
    suggest: str
    text: Text
    count: int = 0
    severity: Severity | None = None


@dataclass(frozen=True)
class Measure:
    """A measure a person decided, recorded against a unit (and, if named, a person of it)."""

    id: str
    kind: str
    unit: str
    person: str
    decided_on: date
    decided_by: str
    basis: str
    note: str
    finding_ids: tuple[str, ...]
    recorded_by: str
    recorded_at: datetime
    documents: tuple[str, ...] = ()  # names of attached documents
    suggestion: str | None = None
    version: int = 1


@dataclass(frozen=True)
class Suggestion:
    """A rule's suggestion for a unit, keyed so a dismissal holds until new findings change it."""

    key: str
    rule: str
    unit: str
    finding_ids: tuple[str, ...]
    numbers: tuple[str, ...]
    suggest: str


# --- Plans and tasks (督查计划 / 督查任务) ---------------------------------------------------

WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


@dataclass(frozen=True)
class Recurrence:
    """How often a plan's sites are due: daily, on given weekdays, every N days, or monthly on day N.

    Written as `daily`, `weekdays:MON,THU`, `days:3`, `monthly:15`; a monthly day past a short
    month's end falls on that month's last day.
    """

    kind: str
    weekdays: tuple[int, ...] = ()
    every: int = 1
    day_of_month: int = 0

    @property
    def text(self) -> str:
        if self.kind == "weekdays":
            return "weekdays:" + ",".join(WEEKDAYS[day] for day in self.weekdays)
        if self.kind == "days":
            return f"days:{self.every}"
        if self.kind == "monthly":
            return f"monthly:{self.day_of_month}"
        return "daily"

    def due_on(self, day: date, start: date) -> bool:
        if self.kind == "weekdays":
            return day.weekday() in self.weekdays
        if self.kind == "days":
            return (day - start).days % self.every == 0
        if self.kind == "monthly":
            next_month = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
            last = (next_month - timedelta(days=1)).day
            return day.day == min(self.day_of_month, last)
        return True

    def days(self, start: date, end: date) -> list[date]:
        return [
            start + timedelta(days=n)
            for n in range((end - start).days + 1)
            if self.due_on(start + timedelta(days=n), start)
        ]


def parse_recurrence(text: str) -> Recurrence:
    """`daily`, `weekdays:MON,TUE`, `days:N` or `monthly:N`; ValueError says what is wrong."""
    kind, _, value = (text or "").strip().partition(":")
    kind = kind.lower()
    if kind == "daily" and not value:
        return Recurrence("daily")
    if kind == "weekdays":
        names = [name.strip().upper()[:3] for name in value.split(",") if name.strip()]
        unknown = [name for name in names if name not in WEEKDAYS]
        if not names or unknown:
            raise ValueError("weekdays")
        return Recurrence("weekdays", weekdays=tuple(sorted({WEEKDAYS.index(name) for name in names})))
    if kind in ("days", "monthly") and value.strip().isdigit():
        number = int(value)
        if kind == "days" and 1 <= number <= 366:
            return Recurrence("days", every=number)
        if kind == "monthly" and 1 <= number <= 31:
            return Recurrence("monthly", day_of_month=number)
    raise ValueError(kind or "empty")


@dataclass(frozen=True)
class Plan:
    """Which sites are inspected against which checklists, by whom, how often, between two dates.

    Sites are a list of codes and/or a rule (a site kind, a subdistrict) evaluated each day, so a
    site registered later joins. `team` holds usernames; `self_inspection` gives the task to each
    site's own unit instead (每日一查一报).
    """

    id: str
    name: str
    checklist_ids: tuple[str, ...]
    site_codes: tuple[str, ...]
    site_kind: str | None
    subdistrict: str | None
    team: tuple[str, ...]
    self_inspection: bool
    recurrence: Recurrence
    start: date
    end: date
    created_by: str = ""
    active: bool = True
    version: int = 1


@dataclass(frozen=True)
class Task:
    """One site, checklist and due day that a plan asks for; done once an inspection is submitted."""

    id: str
    plan_id: str
    plan_name: str
    site_id: str
    site_name: str
    checklist_id: str
    checklist_title: str
    due: date
    self_inspection: bool
    done: bool


@dataclass(frozen=True)
class CoverageRow:
    """Tasks due, done and missed for one group (a subdistrict, site kind, team or checklist)."""

    group: str
    due: int
    done: int

    @property
    def missed(self) -> int:
        return self.due - self.done

    @property
    def rate(self) -> float | None:
        return self.done / self.due if self.due else None


@dataclass(frozen=True)
class CoverageBoard:
    """The dashboard's coverage of plans: figures against the period before, supervision tasks done and
    missed over time, and the sites missed this week, units' self-reports (每日一查一报) apart."""

    headline: tuple[Figure, ...]
    over_time: pd.DataFrame  # period, state, state_label, tasks
    missed_sites: pd.DataFrame  # site_id, site, due, missed: supervision tasks this week
    missed_self_reports: pd.DataFrame  # the same for units' daily self-reports
    week_start: date
    due: int  # tasks of either kind due in the period
    selected_site: str | None = None

    def figure(self, key: str) -> Figure:
        return next(figure for figure in self.headline if figure.key == key)


# --- Re-checks of closed findings (回头看) ---------------------------------------------------


class RecheckOutcome(str, enum.Enum):
    HELD = "held"  # 巩固: the fix is still in place
    RELAPSED = "relapsed"  # 反弹: the problem is back, and a new finding is opened


@dataclass(frozen=True)
class CampaignFilter:
    """Which closed findings a campaign draws from: closed between two days, optionally narrowed."""

    closed_from: date
    closed_to: date
    site_kind: str | None = None
    severity: str | None = None
    unit: str | None = None


@dataclass(frozen=True)
class Campaign:
    """A re-check campaign: its filter, how many matched, how many were drawn, and the seed of the draw.

    `sample_size` and `sample_share` are what the supervisor asked for (neither: all of them).
    """

    id: str
    name: str
    scope: CampaignFilter
    team: tuple[str, ...]
    due: date
    seed: int
    population: int
    drawn: int
    sample_size: int | None = None
    sample_share: float | None = None
    created_by: str = ""
    created_at: datetime | None = None


@dataclass(frozen=True)
class CampaignItem:
    """One closed finding to re-check at its site, and what the re-check found."""

    campaign_id: str
    campaign_name: str
    finding_id: str
    number: str
    site_id: str
    site_name: str
    site_kind: str
    unit: str
    severity: str
    description: str
    due: date
    outcome: RecheckOutcome | None = None
    note: str = ""
    new_finding_id: str | None = None
    new_number: str | None = None
    checked_by: str | None = None
    checked_at: datetime | None = None


@dataclass(frozen=True)
class RelapseRate:
    """Re-checks done and relapses among them for one unit or site kind."""

    group: str
    items: int
    checked: int
    relapsed: int

    @property
    def rate(self) -> float | None:
        return self.relapsed / self.checked if self.checked else None
