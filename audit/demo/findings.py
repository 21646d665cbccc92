"""Failed items become findings: numbered per year in the order found, and linked to earlier repeats."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from audit.demo.inspections import SECONDS_PER_ITEM, Catalogue, Inspections, Responses
from audit.demo.vectors import DAY
from audit.model import REPEAT_WINDOW_DAYS, finding_number


@dataclass
class Findings:
    """Failed responses in the order they were found (which is also their number order)."""

    response: np.ndarray
    inspection: np.ndarray
    site: np.ndarray
    item: np.ndarray
    found: np.ndarray
    worked: np.ndarray
    previous: np.ndarray
    following: np.ndarray
    numbers: list[str]
    last_numbers: dict[int, int]


def number_findings(found: np.ndarray, last_numbers: dict[int, int]) -> tuple[list[str], dict[int, int]]:
    """YYYY-NNNN per year of discovery (found must be sorted), continuing after numbers already used."""
    years = years_of(found)
    sequence = np.arange(len(years)) - np.searchsorted(years, years) + 1
    last = dict(last_numbers)
    for year in np.unique(years).tolist():
        in_year = years == year
        sequence[in_year] += last_numbers.get(year, 0)
        last[year] = int(sequence[in_year][-1])
    return [finding_number(y, s) for y, s in zip(years.tolist(), sequence.tolist())], last


def link_repeats(site: np.ndarray, item: np.ndarray, found: np.ndarray, n_items: int):
    """Each finding's earlier finding at the same site and item within the repeat window, and the reverse."""
    group = site * n_items + item
    order = np.lexsort((np.arange(len(group)), group))
    same = group[order][1:] == group[order][:-1]
    close = np.diff(found[order]) <= REPEAT_WINDOW_DAYS * DAY
    previous = np.full(len(group), -1, dtype=np.int64)
    previous[order[1:][same & close]] = order[:-1][same & close]
    following = np.full(len(group), -1, dtype=np.int64)
    linked = np.flatnonzero(previous >= 0)
    following[previous[linked]] = linked
    return previous, following


def failed_in_order(responses: Responses, inspections: Inspections) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The failed responses in the order found (ties by response), their inspections and times."""
    failed = np.flatnonzero(responses.failed)
    inspection = responses.inspection[failed]
    found = inspections.started[inspection] + (responses.position[failed] + 1) * SECONDS_PER_ITEM
    order = np.lexsort((failed, found))
    return failed[order], inspection[order], found[order]


def collect_findings(
    responses: Responses,
    inspections: Inspections,
    catalogue: Catalogue,
    last_numbers: dict[int, int],
    sequence: np.ndarray | None = None,
) -> Findings:
    """The findings of these responses; `sequence` gives their numbers within the year when a larger
    load numbered them together with others (`number_parts`), else they continue from `last_numbers`."""
    failed, inspection, found = failed_in_order(responses, inspections)
    site, item = inspections.site[inspection], responses.item[failed]
    worked = inspection >= len(inspections.site) - inspections.worked
    previous, following = link_repeats(site, item, found, len(catalogue.items))
    if sequence is None:
        numbers, last = number_findings(found, last_numbers)
    else:
        numbers, last = [finding_number(y, s) for y, s in zip(years_of(found).tolist(), sequence.tolist())], {}
    return Findings(failed, inspection, site, item, found, worked, previous, following, numbers, last)


def years_of(found: np.ndarray) -> np.ndarray:
    return found.astype("datetime64[s]").astype("datetime64[Y]").astype(np.int64) + 1970


def number_parts(found: list[np.ndarray], last_numbers: dict[int, int]) -> tuple[list[np.ndarray], dict[int, int]]:
    """Per-year sequence numbers for findings drawn in parts, in the order found across all parts.

    Each part's times are in its own order found; ties between parts go to the earlier part.
    Returns each part's numbers (in its order) and the last number of each year.
    """
    sizes = [len(part) for part in found]
    every = np.concatenate(found) if found else np.zeros(0, dtype=np.int64)
    order = np.argsort(every, kind="stable")
    years = years_of(every[order])
    del every
    sequence = (np.arange(len(years)) - np.searchsorted(years, years) + 1).astype(np.int64)
    last = dict(last_numbers)
    for year in np.unique(years).tolist():
        in_year = years == year
        sequence[in_year] += last_numbers.get(year, 0)
        last[year] = int(sequence[in_year][-1])
    numbers = np.empty(len(order), dtype=np.int32)
    numbers[order] = sequence
    return np.split(numbers, np.cumsum(sizes)[:-1]) if sizes else [], last
