"""Bulk drawing helpers: seeded ids, repeated texts, timestamps and measured values as arrays.

Everything here works on whole columns at once; a million findings never meet a Python loop.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import numpy as np
import pyarrow as pa

from audit.model import Comparison, Item

DAY = 86_400
COMPARISONS = (Comparison.AT_LEAST, Comparison.AT_MOST, Comparison.MORE_THAN, Comparison.LESS_THAN)


def uuid_strings(rng: np.random.Generator, n: int, stamp: int | None = None) -> pa.Array:
    """UUID text made from the seeded generator, 36 bytes per id, no Python loop.

    Version 4 (all random) unless `stamp` is given: then version 7, whose first 48 bits are that
    Unix time in milliseconds, so ids made later sort after those made before. An index on such
    ids grows at its end, where the part just loaded touches only the newest of its nodes.
    """
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    version = 0x40
    if stamp is not None:
        raw[:, :6] = np.frombuffer(int(stamp).to_bytes(8, "big")[2:], dtype=np.uint8)
        version = 0x70
    raw[:, 6] = (raw[:, 6] & 0x0F) | version
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    digits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    hexed = np.empty((n, 32), dtype=np.uint8)
    hexed[:, 0::2], hexed[:, 1::2] = digits[raw >> 4], digits[raw & 0x0F]
    text = np.full((n, 36), ord("-"), dtype=np.uint8)
    text[:, np.r_[0:8, 9:13, 14:18, 19:23, 24:36]] = hexed
    offsets = np.arange(0, 36 * (n + 1), 36, dtype=np.int64)
    return pa.Array.from_buffers(pa.large_string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(text)])


def texts(codes: np.ndarray, make: Callable[[int], str]) -> pa.Array:
    """Build each distinct text once, then repeat it by code: 1M findings share a few thousand texts."""
    unique, inverse = np.unique(codes, return_inverse=True)
    return pa.array([make(int(code)) for code in unique], pa.string()).take(pa.array(inverse.ravel()))


def timestamps(seconds: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    mask = None if valid is None else ~valid
    return pa.array(seconds * 1_000_000, pa.timestamp("us"), mask=mask)


def epoch_seconds(moment: datetime) -> int:
    return int((moment - datetime(1970, 1, 1)).total_seconds())


def lognormal_days(rng: np.random.Generator, median: np.ndarray | float, n: int, sigma: float) -> np.ndarray:
    return (median * rng.lognormal(0.0, sigma, n) * DAY).astype(np.int64)


def zipf_weights(rng: np.random.Generator, n: int, exponent: float, floor: float) -> np.ndarray:
    """A few heavy offenders and a long tail, in a seeded order."""
    return floor + 1.0 / (rng.permutation(n) + 1.0) ** exponent


def measured_values(
    rng: np.random.Generator, items: list[Item], item_index: np.ndarray, failed: np.ndarray
) -> np.ndarray:
    """Values inside the item's limit when it passed and outside when it failed.

    Precision follows the limit: whole numbers for counts like "2 checks a day", one decimal
    around 1 (metres), two below that (0.25 g/100 g).
    """
    limits = [item.limit for item in items]
    has_limit = np.array([limit is not None for limit in limits])[item_index]
    values = np.full(len(item_index), np.nan)
    if not has_limit.any():
        return values
    index, fail = item_index[has_limit], failed[has_limit]
    limit = np.array([float(lim.value) if lim else 0.0 for lim in limits])[index]
    comparison = np.array([COMPARISONS.index(lim.comparison) if lim else 0 for lim in limits])[index]
    decimals = np.array([precision(float(lim.value)) if lim else 0 for lim in limits])[index]
    upward = np.isin(comparison, (0, 2))
    scale = np.where(limit != 0, np.abs(limit), 1.0)
    away = np.where(upward, rng.uniform(0.1, 0.9, len(index)), rng.uniform(0.1, 1.5, len(index)))
    offset = np.where(fail, -away, rng.uniform(0.0, 1.0, len(index))) * scale
    value = rounded(limit + np.where(upward, offset, -offset), decimals)
    accepted = np.choose(comparison, [value >= limit, value <= limit, value > limit, value < limit])
    wrong = accepted == fail  # rounding landed on the wrong side of the limit: one step across
    step = 10.0**-decimals
    value = np.where(wrong, rounded(limit + np.where(upward != fail, step, -step), decimals), value)
    values[has_limit] = value
    return values


def precision(limit: float) -> int:
    if limit.is_integer() and abs(limit) >= 2:
        return 0
    return 1 if abs(limit) >= 1 else 2


def rounded(values: np.ndarray, decimals: np.ndarray) -> np.ndarray:
    out = values.copy()
    for places in np.unique(decimals):
        chosen = decimals == places
        out[chosen] = np.round(values[chosen], int(places))
    return out + 0.0  # no -0.0
