"""Proportions with Wilson score intervals, for shares that reports show beside small counts."""

from __future__ import annotations

import math
from dataclasses import dataclass

# The two-sided 95% normal quantile, so the default interval is a 95% one.
Z_95 = 1.959963984540054


@dataclass(frozen=True)
class Share:
    """A count out of a total, its proportion and the interval around it (all as fractions)."""

    count: int
    total: int
    proportion: float
    low: float
    high: float


def _check_counts(successes: int, total: int) -> None:
    for name, value in (("successes", successes), ("total", total)):
        # bool is an int subclass; True/False as a count is always a caller's mistake.
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int, not {type(value).__name__}")
        if value < 0:
            raise ValueError(f"{name} must not be negative, got {value}")
    if successes > total:
        raise ValueError(f"successes ({successes}) cannot exceed total ({total})")


def wilson_interval(
    successes: int, total: int, z: float = Z_95
) -> tuple[float, float] | None:
    """The Wilson score interval for successes out of total; None when total is 0.

    Wilson rather than the textbook p ± z·√(p(1−p)/n): the latter collapses to a zero-width
    interval at 0/n and n/n and strays outside 0..1 for the small counts a single service has.

    :raise ValueError: if a count is negative, successes exceed total, or z is not positive.
    """
    _check_counts(successes, total)
    if not z > 0 or not math.isfinite(z):
        raise ValueError(f"z must be a positive number, got {z}")
    if total == 0:
        return None
    n = total
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half_width = (z / denominator) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    # The bounds are exactly 0 and 1 at the extremes; pin them so rounding cannot show
    # "-0.0%" or "100.0000001%".
    low = 0.0 if successes == 0 else max(0.0, centre - half_width)
    high = 1.0 if successes == total else min(1.0, centre + half_width)
    return low, high


def share_with_interval(count: int, total: int, z: float = Z_95) -> Share | None:
    """count/total with its Wilson interval; None when total is 0, since 0/0 is blank, not 0%."""
    interval = wilson_interval(count, total, z)
    if interval is None:
        return None
    low, high = interval
    return Share(count, total, count / total, low, high)
