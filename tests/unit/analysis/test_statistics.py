"""Tests for Wilson intervals and shares, against values worked out by hand."""

import pytest

from feedback.analysis.statistics import Share, share_with_interval, wilson_interval

# Wilson score interval, with p = s/n and z = 1.959963984540054 (z² = 3.841458820694124):
#   centre = (p + z²/2n) / (1 + z²/n)
#   half   = z / (1 + z²/n) · √(p(1−p)/n + z²/4n²)
#   interval = centre ± half
# Worked through:
#   0/10:   p = 0, so half = centre = (z²/20)/(1 + z²/10); upper = z²/(n + z²) = 3.8415/13.8415
#           = 0.27753, lower = 0.
#   10/10:  the mirror image: lower = n/(n + z²) = 10/13.8415 = 0.72247, upper = 1.
#   5/10:   centre = 0.5; half = (1.96/1.38415)·√(0.025 + 0.0096036) = 1.41600·0.186021
#           = 0.26341; so 0.23659 .. 0.76341.
#   81/263: p = 0.307985; z²/n = 0.014606; centre = (0.307985 + 0.007303)/1.014606 = 0.310749;
#           half = (1.96/1.014606)·√(0.000810377 + 0.0000138845) = 1.931748·0.0287098
#           = 0.055460; so 0.25529 .. 0.36621.
HAND_COMPUTED = [
    (0, 10, 0.0, 0.27753),
    (10, 10, 0.72247, 1.0),
    (5, 10, 0.23659, 0.76341),
    (81, 263, 0.25529, 0.36621),
]


@pytest.mark.parametrize(("successes", "total", "low", "high"), HAND_COMPUTED)
def test_wilson_interval_matches_hand_computed_values(successes, total, low, high):
    assert wilson_interval(successes, total) == pytest.approx((low, high), abs=5e-5)


def test_wilson_interval_is_none_when_total_is_zero():
    assert wilson_interval(0, 0) is None


def test_wilson_interval_bounds_are_exact_at_the_extremes():
    assert wilson_interval(0, 7)[0] == 0.0
    assert wilson_interval(7, 7)[1] == 1.0


def test_wilson_interval_narrows_when_z_is_smaller():
    wide, narrow = wilson_interval(5, 10), wilson_interval(5, 10, z=1.0)
    assert wide[0] < narrow[0] < 0.5 < narrow[1] < wide[1]


def test_wilson_interval_contains_the_proportion_and_stays_within_zero_and_one():
    for total in range(1, 40):
        for successes in range(total + 1):
            low, high = wilson_interval(successes, total)
            assert 0.0 <= low <= successes / total <= high <= 1.0


@pytest.mark.parametrize(
    ("successes", "total", "error"),
    [(-1, 10, ValueError), (11, 10, ValueError), (1, -1, ValueError),
     (1.0, 10, TypeError), (True, 10, TypeError)],
)
def test_wilson_interval_refuses_impossible_counts(successes, total, error):
    with pytest.raises(error):
        wilson_interval(successes, total)


def test_wilson_interval_refuses_a_z_that_is_not_positive():
    with pytest.raises(ValueError, match="z must be"):
        wilson_interval(1, 2, z=0)


def test_share_with_interval_carries_the_count_proportion_and_interval():
    share = share_with_interval(81, 263)
    assert share == Share(81, 263, pytest.approx(0.307985, abs=5e-6),
                          pytest.approx(0.25529, abs=5e-5), pytest.approx(0.36621, abs=5e-5))


def test_share_with_interval_is_none_when_total_is_zero_not_zero_percent():
    assert share_with_interval(0, 0) is None
