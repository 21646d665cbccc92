"""Which sites are inspected when, against which checklist, and which items fail."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from audit.demo.vectors import DAY, zipf_weights
from audit.demo.wording import INSPECTORS, WORKED_CASE
from audit.model import Checklist, Item, ResponseType, Severity, Site, SiteKind

FINDINGS_PER_INSPECTION = 3
WINDOW_DAYS = 548  # eighteen months
SECONDS_PER_ITEM = 150
VISITS = {
    SiteKind.ISOLATION_POINT: 3.0,
    SiteKind.FEVER_CLINIC: 2.5,
    SiteKind.HOSPITAL: 1.5,
    SiteKind.COMMUNITY_HEALTH_CENTRE: 1.2,
    SiteKind.COMMUNITY: 0.8,
    SiteKind.ENTERPRISE: 0.7,
    SiteKind.CHECKPOINT: 1.0,
}
"""How often teams visit each kind of site: isolation points were checked every day."""


@dataclass
class Catalogue:
    """Every checklist item in one flat numbering, with per-item arrays for vector work."""

    checklists: list[Checklist]
    items: list[Item]
    checklist_of: np.ndarray
    start: np.ndarray
    count: np.ndarray
    failable: np.ndarray
    severity_days: np.ndarray

    @classmethod
    def of(cls, checklists: list[Checklist]) -> Catalogue:
        items = [item for checklist in checklists for item in checklist.items]
        count = np.array([len(c.items) for c in checklists], dtype=np.int64)
        return cls(
            checklists=checklists,
            items=items,
            checklist_of=np.repeat(np.arange(len(checklists)), count),
            start=np.cumsum(count) - count,
            count=count,
            failable=np.array([item.response is not ResponseType.TEXT for item in items], dtype=bool),
            severity_days=np.array([item.severity.default_days for item in items], dtype=np.int64),
        )

    def find(self, checklist_id: str, item_id: str) -> int | None:
        for index, item in enumerate(self.items):
            if item.id == item_id and self.checklists[self.checklist_of[index]].id == checklist_id:
                return index
        return None


def applicable(sites: list[Site], catalogue: Catalogue) -> np.ndarray:
    """sites × checklists: which checklist may be used where (and has something that can fail)."""
    can_fail = np.bincount(catalogue.checklist_of, weights=catalogue.failable, minlength=len(catalogue.checklists)) > 0
    return np.array(
        [[c.applies_to(site.kind) and can_fail[j] for j, c in enumerate(catalogue.checklists)] for site in sites],
        dtype=bool,
    ).reshape(len(sites), len(catalogue.checklists))


@dataclass
class Inspections:
    site: np.ndarray
    checklist: np.ndarray
    started: np.ndarray
    team: np.ndarray
    worked: int
    """The last `worked` inspections are the worked case's."""

    @classmethod
    def none(cls) -> Inspections:
        empty = np.zeros(0, dtype=np.int64)
        return cls(empty, empty, empty, np.zeros((0, 2), dtype=np.int64), 0)


def recent_days(rng: np.random.Generator, n: int, ramp: float = 0.6) -> np.ndarray:
    """Day numbers in the window, the most recent days about 1 + ramp times as busy as the first."""
    u = rng.random(n)
    x = (np.sqrt(1.0 + 2.0 * ramp * u * (1.0 + ramp / 2.0)) - 1.0) / ramp
    return np.minimum((x * WINDOW_DAYS).astype(np.int64), WINDOW_DAYS - 1)


def time_of_day(rng: np.random.Generator, n: int) -> np.ndarray:
    """Mostly office hours; about one check in eight late at night, as in the article."""
    late = rng.random(n) < 0.12
    seconds = np.where(late, rng.uniform(20 * 3600, 24 * 3600 - 60, n), rng.uniform(8.5 * 3600, 17.5 * 3600, n))
    return (seconds // 60 * 60).astype(np.int64)


def teams(rng: np.random.Generator, n: int) -> np.ndarray:
    """Two different inspectors per inspection."""
    first = rng.integers(0, len(INSPECTORS), n)
    second = (first + rng.integers(1, len(INSPECTORS), n)) % len(INSPECTORS)
    return np.stack([first, second], axis=1)


def draw_inspections(
    rng: np.random.Generator, sites: list[Site], catalogue: Catalogue, allowed: np.ndarray, n: int, now: int
) -> Inspections:
    visits = np.array([VISITS[site.kind] for site in sites]) * rng.lognormal(0.0, 0.4, len(sites))
    visits = visits * allowed.any(axis=1)
    site = rng.choice(len(sites), size=n, p=visits / visits.sum())
    choice = (rng.random(n) * allowed.sum(axis=1)[site]).astype(np.int64)
    checklist = np.argmax(np.cumsum(allowed, axis=1)[site] > choice[:, None], axis=1)
    first_day = (now // DAY - (WINDOW_DAYS - 1)) * DAY
    started = first_day + recent_days(rng, n) * DAY + time_of_day(rng, n)
    finished = started + catalogue.count[checklist] * SECONDS_PER_ITEM + 300
    started = np.where(finished > now, started - DAY, started)
    return Inspections(site, checklist, started, teams(rng, n), 0)


def inspection_count(findings: int) -> int:
    return math.ceil(findings / FINDINGS_PER_INSPECTION)


def draw_enough_inspections(rng, sites, catalogue, allowed, count: int, now: int) -> Inspections:
    """About three findings per inspection, more inspections when the checklists are short."""
    per_checklist = np.bincount(catalogue.checklist_of, weights=catalogue.failable, minlength=len(catalogue.checklists))
    n = inspection_count(count)
    inspections = draw_inspections(rng, sites, catalogue, allowed, n, now)
    slots = per_checklist[inspections.checklist].sum()
    if slots < 1.5 * count:
        n = math.ceil(n * 1.5 * count / max(slots, 1))
        inspections = draw_inspections(rng, sites, catalogue, allowed, n, now)
    return inspections


def worked_case_items(sites: list[Site], catalogue: Catalogue, count: int) -> list[int]:
    """The worked case's item numbers, or none when its site or items are missing or count is too small."""
    items = [catalogue.find(checklist_id, item_id) for checklist_id, item_id in WORKED_CASE.items]
    if None in items or count < len(items) or WORKED_CASE.site_code not in {site.code for site in sites}:
        return []
    return items


def add_worked_case(
    inspections: Inspections, sites: list[Site], catalogue: Catalogue, items: list[int], now: int
) -> None:
    """Append the worked case's inspections, one per checklist, timed so each item fails at its hour."""
    case = WORKED_CASE
    night = (now // DAY - case.days_ago) * DAY
    found = [night + int(h) * 3600 + int(m) * 60 for h, m in (time.split(":") for time in case.found_at)]
    position = np.asarray(items) - catalogue.start[catalogue.checklist_of[items]]
    starts = np.asarray(found) - (position + 1) * SECONDS_PER_ITEM
    team = [INSPECTORS.index(name) for name in case.inspectors]
    site = [site.code for site in sites].index(case.site_code)
    inspections.site = np.append(inspections.site, [site] * len(items))
    inspections.checklist = np.append(inspections.checklist, catalogue.checklist_of[items])
    inspections.started = np.append(inspections.started, starts)
    inspections.team = np.vstack([inspections.team, [team] * len(items)])
    inspections.worked = len(items)


@dataclass
class Responses:
    inspection: np.ndarray
    item: np.ndarray
    position: np.ndarray
    failed: np.ndarray


def lay_out_responses(inspections: Inspections, catalogue: Catalogue) -> Responses:
    """One response per item of each inspection's checklist, in checklist order."""
    counts = catalogue.count[inspections.checklist]
    inspection = np.repeat(np.arange(len(counts)), counts)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    position = np.arange(len(inspection)) - first
    item = catalogue.start[inspections.checklist][inspection] + position
    return Responses(inspection, item, position, np.zeros(len(inspection), dtype=bool))


def choose_failures(
    rng: np.random.Generator,
    responses: Responses,
    inspections: Inspections,
    catalogue: Catalogue,
    n_sites: int,
    count: int,
    worked_items: list[int],
) -> None:
    """Exactly `count` failed items, weighted so a few sites and items fail again and again.

    Weighted sampling without replacement by random keys (Efraimidis–Spirakis): each
    failable response gets log(u)/weight and the largest keys fail.
    """
    severity = {Severity.MINOR: 1.5, Severity.MAJOR: 1.0, Severity.CRITICAL: 0.6}
    item_weight = zipf_weights(rng, len(catalogue.items), 0.8, 0.1) * np.array(
        [severity[item.severity] for item in catalogue.items]
    )
    site_weight = zipf_weights(rng, n_sites, 1.0, 0.08)
    careless = rng.lognormal(0.0, 0.6, len(inspections.site))
    weight = site_weight[inspections.site][responses.inspection] * item_weight[responses.item]
    key = np.log(rng.random(len(weight))) / (weight * careless[responses.inspection])
    key[~catalogue.failable[responses.item]] = -np.inf
    in_case = responses.inspection >= len(inspections.site) - inspections.worked
    key[in_case] = np.where(np.isin(responses.item[in_case], worked_items), 1.0, -np.inf)
    if count:
        responses.failed[np.argpartition(-key, count - 1)[:count]] = True


def response_results(rng, responses: Responses, catalogue: Catalogue) -> np.ndarray:
    """0 pass, 1 fail, 2 not applicable, -1 none (free-text items)."""
    pass_fail = np.array([i.response is ResponseType.PASS_FAIL for i in catalogue.items])[responses.item]
    text = ~catalogue.failable[responses.item]
    na = pass_fail & ~responses.failed & (rng.random(len(responses.item)) < 0.05)
    return np.select([text, responses.failed, na], [-1, 1, 2], default=0)
