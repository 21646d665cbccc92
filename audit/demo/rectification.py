"""Each finding's life as steps in time (found, reported, rejected or accepted, reopened...).

The whole would-be history is drawn first and then cut at `now`, so every finding's status
is exactly where its kept events lead, and older findings are mostly closed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from audit.demo.findings import Findings
from audit.demo.vectors import DAY, lognormal_days, texts
from audit.demo.wording import ACCEPTED, INSPECTORS, REJECTIONS, REOPENED, WORKED_CASE

STATUSES = ("open", "awaiting_verification", "closed", "reopened")
OPEN, AWAITING, CLOSED, REOPEN = range(4)
ACTIONS = ("found", "reported", "accepted", "rejected", "reopened")
FOUND, REPORTED, ACCEPT, REJECT, REOPENED_ACTION = range(5)
REPORT_STAGES, VERDICT_STAGES = (1, 3, 6), (2, 4, 7)


@dataclass
class Stage:
    """One possible step in every finding's life; `valid` says for which findings it happens."""

    time: np.ndarray
    valid: np.ndarray
    action: np.ndarray
    before: np.ndarray
    after: np.ndarray
    actor: np.ndarray
    note: pa.Array


def delay(rng: np.random.Generator, median_days, n: int, sigma: float, least: int) -> np.ndarray:
    return np.maximum(lognormal_days(rng, median_days, n, sigma), least)


def rectification_stages(
    rng: np.random.Generator,
    findings: Findings,
    days: np.ndarray,
    staff: np.ndarray,
    inspector: np.ndarray,
    fix_note: pa.Array,
) -> list[Stage]:
    """The full would-be history of each finding: found, reported, rejected or accepted, reopened...

    Units mostly report within the time given, a few never do, one report in ten is sent back,
    and a closed finding is sometimes reopened when a later check fails the same item.
    """
    n, case = len(days), findings.worked
    neglected = (rng.random(n) < 0.01) & ~case
    rejected = (rng.random(n) < 0.10) & ~case
    first_report = findings.found + delay(rng, days * 0.55, n, 0.6, 3600)
    case_report = (findings.found // DAY + WORKED_CASE.report_after_days) * DAY + 10 * 3600
    first_report = np.where(case, case_report, first_report)
    first_verdict = first_report + delay(rng, 0.8, n, 0.8, 1800)
    second_report = first_verdict + delay(rng, days * 0.4, n, 0.6, 3600)
    second_verdict = second_report + delay(rng, 0.8, n, 0.8, 1800)
    closed = np.where(rejected, second_verdict, first_verdict)
    following = findings.following
    reopened_at = np.where(following >= 0, findings.found[np.maximum(following, 0)], 0)
    reopened = (following >= 0) & (reopened_at > closed) & (rng.random(n) < 0.03) & ~neglected & ~case
    left_open = rng.random(n) < 0.25
    third_report = reopened_at + delay(rng, days * 0.55, n, 0.6, 3600)
    third_verdict = third_report + delay(rng, 0.8, n, 0.8, 1800)
    verifiers = rng.integers(0, len(INSPECTORS), (3, n))
    verifiers[:, case] = INSPECTORS.index(WORKED_CASE.verifier)
    verdict_note = texts(
        np.where(rejected, rng.integers(0, len(REJECTIONS), n), -1),
        lambda code: REJECTIONS[code] if code >= 0 else ACCEPTED,
    )
    accepted_note = texts(np.zeros(n, dtype=np.int64), lambda code: ACCEPTED)
    reopen_note = texts(
        np.where(reopened, following, -1),
        lambda code: REOPENED.format(number=findings.numbers[code]) if code >= 0 else "",
    )
    empty = texts(np.zeros(n, dtype=np.int64), lambda code: "")
    always, never = np.ones(n, dtype=bool), np.full(n, -1)

    def stage(time, valid, action, before, after, actor, note) -> Stage:
        full = np.broadcast_to
        return Stage(time, valid, full(action, n), full(before, n), full(after, n), full(actor, n), note)

    reported = ~neglected
    return [
        stage(findings.found, always, FOUND, never, OPEN, inspector, empty),
        stage(first_report, reported, REPORTED, OPEN, AWAITING, staff, fix_note),
        stage(
            first_verdict,
            reported,
            np.where(rejected, REJECT, ACCEPT),
            AWAITING,
            np.where(rejected, OPEN, CLOSED),
            verifiers[0],
            verdict_note,
        ),
        stage(second_report, reported & rejected, REPORTED, OPEN, AWAITING, staff, fix_note),
        stage(second_verdict, reported & rejected, ACCEPT, AWAITING, CLOSED, verifiers[1], accepted_note),
        stage(reopened_at, reopened, REOPENED_ACTION, CLOSED, REOPEN, inspector[np.maximum(following, 0)], reopen_note),
        stage(third_report, reopened & ~left_open, REPORTED, REOPEN, AWAITING, staff, fix_note),
        stage(third_verdict, reopened & ~left_open, ACCEPT, AWAITING, CLOSED, verifiers[2], accepted_note),
    ]


def latest(kept: np.ndarray, among: tuple[int, ...]) -> np.ndarray:
    """For each finding, the last of the given stages that happened, or -1."""
    chosen = np.full(kept.shape[1], -1)
    for number in among:
        chosen = np.where(kept[number], number, chosen)
    return chosen


def at(stages: list[Stage], field: str, stage: np.ndarray) -> np.ndarray:
    values = np.stack([np.asarray(getattr(s, field)) for s in stages])
    return values[np.maximum(stage, 0), np.arange(values.shape[1])]
