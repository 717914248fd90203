"""Tests for small-number suppression: hand-worked tables, then properties over random ones."""

import itertools
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedback.analysis.statistics import share_with_interval
from feedback.analysis.suppression import (
    HIDDEN,
    TOTAL,
    Cell,
    SuppressedTable,
    derivable,
    may_quote,
    suppress_counts,
    suppress_table,
    suppress_value,
    suppressed_share,
)

# Hypothesis runs the same examples every time (derandomize), so a failure here is never a
# fluke of the day, and it keeps no example database in the working tree.
PROPERTIES = settings(
    max_examples=60, derandomize=True, database=None, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def layout(table):
    """The table as text rows: a figure, * (hidden, primary) or # (hidden, secondary)."""
    def mark(cell):
        return "*" if cell.primary else "#" if cell.hidden else str(cell.value)
    lines = [[mark(table.cell(r, c)) for c in (*table.columns, None)] for r in table.rows]
    return lines + [[mark(table.cell(None, c)) for c in (*table.columns, None)]]


def grid(rows):
    """{(row, column): count} from a list of lists, rows named a, b, ... columns x, y, ..."""
    return {(r, c): n for r, line in zip("abcdef", rows, strict=False)
            for c, n in zip("xyzuvw", line, strict=False)}


def names(counts):
    rows = sorted({r for r, _ in counts})
    columns = sorted({c for _, c in counts}, key="xyzuvw".index)
    return rows, columns


# --- one figure ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, Cell(0, False, False)), (1, Cell(HIDDEN, True, True)), (4, Cell(HIDDEN, True, True)),
     (5, Cell(5, False, False)), (250, Cell(250, False, False))],
)
def test_suppress_value_hides_one_to_four_and_shows_zero(count, expected):
    assert suppress_value(count) == expected


def test_suppress_value_hides_nothing_when_the_threshold_is_one():
    assert suppress_value(1, threshold=1) == Cell(1, False, False)


@pytest.mark.parametrize("count", [-1, 2.0, True, None])
def test_suppress_value_refuses_what_is_not_a_count(count):
    with pytest.raises(ValueError):
        suppress_value(count)


@pytest.mark.parametrize(
    "cell",
    [lambda: Cell(3, True, True), lambda: Cell(3, False, True), lambda: Cell(None, False, False)],
)
def test_a_cell_cannot_be_hidden_and_keep_its_value_or_be_shown_without_one(cell):
    with pytest.raises(ValueError):
        cell()


@pytest.mark.parametrize(("size", "minimum", "allowed"),
                         [(9, 10, False), (10, 10, True), (0, 10, False), (3, 3, True)])
def test_may_quote_only_when_the_group_is_large_enough(size, minimum, allowed):
    assert may_quote(size, minimum) is allowed


def test_may_quote_defaults_to_groups_of_ten():
    assert not may_quote(9) and may_quote(10)


def test_suppressed_share_is_hidden_when_either_count_is_hidden():
    assert suppressed_share(Cell(HIDDEN, True, True), Cell(40, False, False)) is None
    assert suppressed_share(Cell(10, False, False), Cell(HIDDEN, True, False)) is None
    assert suppressed_share(Cell(0, False, False), Cell(0, False, False)) is None


def test_suppressed_share_carries_the_wilson_interval_when_both_are_shown():
    assert suppressed_share(Cell(12, False, False), Cell(40, False, False)) == (
        share_with_interval(12, 40))


# --- one line of figures ------------------------------------------------------------------


def marks(line):
    return {k: "*" if c.primary else "#" if c.hidden else c.value for k, c in line.items()}


# Worked by hand. A reader knows each * is at least 1, since 0 is shown as 0.
LINES = [
    # Nothing small: nothing hidden.
    ({"web": 30, "sms": 12, "paper": 0}, {"web": 30, "sms": 12, "paper": 0, TOTAL: 42}),
    # 3 alone would be 25 - 10 - 12; hide the next smallest, 10; the * s then add up to 13,
    # which could be 3 + 10 or 4 + 9 or ...
    ({"web": 3, "sms": 10, "paper": 12}, {"web": "*", "sms": "#", "paper": 12, TOTAL: 25}),
    # Two * s add up to 52 - 50 = 2, so both are 1: the rule "two * in the line" is not enough.
    # Only web is left to hide; now the three add up to 52 and none is fixed.
    ({"web": 50, "sms": 1, "paper": 1}, {"web": "#", "sms": "*", "paper": "*", TOTAL: 52}),
    # Two * s adding up to 4 can be 1 + 3, 2 + 2 or 3 + 1: safe as they are.
    ({"web": 2, "sms": 2, "paper": 9}, {"web": "*", "sms": "*", "paper": 9, TOTAL: 13}),
    # Five 1s under a total of 5: the total must go, or each * is plainly 1.
    ({"a": 1, "b": 1, "c": 1, "d": 1, "e": 1},
     {"a": "*", "b": "*", "c": "*", "d": "*", "e": "*", TOTAL: "#"}),
    # A small total is hidden; it and its one small count are two * s in the line.
    ({"web": 3, "sms": 0}, {"web": "*", "sms": 0, TOTAL: "*"}),
    # Ties go to the first named: 6 and 6, hide web.
    ({"web": 6, "sms": 6, "paper": 2}, {"web": "#", "sms": 6, "paper": "*", TOTAL: 14}),
    # Nothing at all.
    ({}, {TOTAL: 0}),
]


@pytest.mark.parametrize(("counts", "expected"), LINES)
def test_suppress_counts_matches_hand_worked_lines(counts, expected):
    line = suppress_counts(counts)
    assert marks(line) == expected
    assert list(line) == [*counts, TOTAL]
    assert derivable(line) == []


def test_suppress_counts_accepts_a_total_that_is_the_sum():
    assert marks(suppress_counts({"web": 8, "sms": 9}, total=17))[TOTAL] == 17


@pytest.mark.parametrize(
    ("counts", "total"),
    [({"web": 8, "sms": 9}, 20), ({"web": -1}, None), ({"web": 1.5}, None), ({TOTAL: 3}, None)],
)
def test_suppress_counts_refuses_a_total_it_cannot_check_or_a_bad_count(counts, total):
    with pytest.raises(ValueError):
        suppress_counts(counts, total=total)


def test_derivable_finds_the_one_hidden_count_in_a_line():
    line = {"web": Cell(HIDDEN, True, True), "sms": Cell(10, False, False),
            TOTAL: Cell(13, False, False)}
    assert derivable(line) == [("web",)]


def test_derivable_needs_the_total_of_a_line():
    with pytest.raises(ValueError):
        derivable({"web": Cell(HIDDEN, True, True), "sms": Cell(10, False, False)})


def test_derivable_finds_hidden_ones_from_the_gap_they_leave():
    line = {"web": Cell(50, False, False), "sms": Cell(HIDDEN, True, True),
            "paper": Cell(HIDDEN, True, True), TOTAL: Cell(52, False, False)}
    assert derivable(line) == [("sms",), ("paper",)]


# --- tables -------------------------------------------------------------------------------


# Worked by hand. Each table is printed with its row totals as a last column and the column
# totals and grand total as a last row; * is primary, # secondary.
TABLES = [
    # 3 at a/x is the only * in row a and in column x. Every loop of * through it needs a
    # rectangle (or its row, column and grand totals); the cheapest rectangle is with b/y:
    # 10 + 8 + 9 = 27, against b/z 58, c/y 37, c/z 38.
    ([[3, 10, 20], [8, 9, 30], [12, 15, 6]],
     [["*", "#", "20", "33"],
      ["#", "#", "30", "47"],
      ["12", "15", "6", "33"],
      ["23", "34", "56", "113"]]),
    # Row a is all small, so its total (3) is hidden too. Column x, column y and the totals
    # column then each hold one *, which take the smallest other figure in each: 10, 20 and
    # 30, all in row b, whose own line then holds three. Hiding row c instead would cost more.
    ([[2, 1], [10, 20], [30, 40]],
     [["*", "*", "*"], ["#", "#", "#"], ["30", "40", "70"], ["42", "61", "103"]]),
    # A hidden total with a zero beside it: a/x and the row total 2 are both *; column x and
    # the totals column each need one more, and b/x with b's total closes the loop
    # a/x -> b/x -> b total -> a total (2+1, 10-1, 30-1, 2+1 still adds up everywhere).
    ([[2, 0], [10, 20]],
     [["*", "0", "*"], ["#", "20", "#"], ["12", "20", "32"]]),
    # A table of one small count: the count and every total are the same 3, and all four
    # rising together by 1 keeps everything adding up, so none is fixed.
    ([[3]], [["*", "*"], ["*", "*"]]),
    # Ties: b/y and b/z would both close a rectangle at the same cost (8 + 8 + 8); y is first.
    ([[3, 8, 8], [8, 8, 8]],
     [["*", "#", "8", "19"], ["#", "#", "8", "24"], ["11", "16", "16", "43"]]),
    # Zeros are never hidden and small counts elsewhere need no help from them: two 2s in a
    # rectangle with 6s. 2 + 2 on one diagonal against 6 + 6 can shift either way.
    ([[2, 6, 0], [6, 2, 0], [0, 0, 9]],
     [["*", "#", "0", "8"], ["#", "*", "0", "8"], ["0", "0", "9", "9"], ["8", "8", "9", "25"]]),
]


@pytest.mark.parametrize(("rows", "expected"), TABLES)
def test_suppress_table_matches_hand_worked_tables(rows, expected):
    counts = grid(rows)
    table = suppress_table(counts, *names(counts))
    assert layout(table) == expected
    assert derivable(table) == []


def test_share_is_of_the_row_total_by_default_and_none_where_anything_is_hidden():
    counts = grid([[3, 10, 20], [8, 9, 30], [12, 15, 6]])
    table = suppress_table(counts, *names(counts))
    assert table.share("c", "x") == 12 / 33
    assert table.share("c", "x", of="column") == 12 / 23
    assert table.share("c", "x", of="grand") == 12 / 113
    assert table.share("a", "z") == 20 / 33
    assert table.share("a", "x") is None  # a hidden count
    assert table.share("a", None, of="column") == 33 / 113  # a row's share of everything


def test_share_is_none_when_the_total_is_hidden_or_zero():
    counts = grid([[2, 1], [10, 20], [30, 40]])
    table = suppress_table(counts, *names(counts))
    assert table.share("c", "x", of="row") == 30 / 70
    assert table.share("a", None, of="column") is None  # a hidden row total
    zero = suppress_table({("a", "x"): 0}, ["a"], ["x"])
    assert zero.share("a", "x") is None


def test_share_refuses_an_unknown_denominator():
    table = suppress_table({("a", "x"): 7}, ["a"], ["x"])
    with pytest.raises(ValueError):
        table.share("a", "x", of="everything")


def test_a_table_without_totals_hides_only_small_counts_and_gives_no_shares():
    counts = grid([[3, 10], [8, 9]])
    table = suppress_table(counts, *names(counts), with_totals=False)
    assert [[table.cell(r, c) for c in "xy"] for r in "ab"] == [
        [Cell(HIDDEN, True, True), Cell(10, False, False)],
        [Cell(8, False, False), Cell(9, False, False)],
    ]
    assert table.row_totals == {} and table.column_totals == {}
    assert table.grand_total.hidden and table.cell("a", None).hidden
    # 10 out of a total that is not shown would give the total, and then the 3, away.
    assert table.share("a", "y") is None
    assert derivable(table) == []


def test_a_table_counts_missing_pairs_as_zero():
    table = suppress_table({("a", "x"): 9}, ["a", "b"], ["x"])
    assert table.cell("b", "x") == Cell(0, False, False)
    assert table.cell(None, "x") == Cell(9, False, False)


@pytest.mark.parametrize(
    ("counts", "rows", "columns"),
    [({("a", "q"): 1}, ["a"], ["x"]),  # a count outside the table would drop out of the totals
     ({("a", "x"): -2}, ["a"], ["x"]),
     ({("a", "x"): 2}, ["a", "a"], ["x"]),
     ({(None, "x"): 2}, [None], ["x"])],
)
def test_suppress_table_refuses_what_it_cannot_publish_safely(counts, rows, columns):
    with pytest.raises(ValueError):
        suppress_table(counts, rows, columns)


def test_threshold_one_turns_suppression_off():
    counts = grid([[1, 2], [3, 4]])
    table = suppress_table(counts, *names(counts), threshold=1)
    assert not any(table.cell(r, c).hidden for r in ("a", "b", None) for c in ("x", "y", None))


# --- derivable finds what simpler checks miss ---------------------------------------------


def hide(counts, rows, columns, hidden):
    """A published table with exactly the given figures hidden (keys may name totals)."""
    values = dict(counts)
    for r in rows:
        values[(r, None)] = sum(counts.get((r, c), 0) for c in columns)
    for c in columns:
        values[(None, c)] = sum(counts.get((r, c), 0) for r in rows)
    values[(None, None)] = sum(counts.values())
    cells = {k: Cell(HIDDEN, True, False) if k in hidden else Cell(v, False, False)
             for k, v in values.items()}
    return SuppressedTable(
        tuple(rows), tuple(columns),
        {(r, c): cells[(r, c)] for r in rows for c in columns},
        {r: cells[(r, None)] for r in rows}, {c: cells[(None, c)] for c in columns},
        cells[(None, None)],
    )


def test_derivable_finds_a_cell_that_joins_two_loops_though_no_line_has_one_star():
    # Two hidden rectangles, a/b x w/x and c/d x y/z, joined by b/y. Every line holds two or
    # three *, so peeling finds nothing, yet rows a + b less columns w + x leaves b/y alone:
    # (20 - 15) + (16 - 9) - (20 - 14) - (21 - 16) = 5 + 7 - 6 - 5 = 1.
    counts = grid([[2, 3, 7, 8], [4, 2, 1, 9], [6, 7, 3, 2], [8, 9, 4, 3]])
    columns = ["x", "y", "z", "u"]
    hidden = {("a", "x"), ("a", "y"), ("b", "x"), ("b", "y"), ("b", "z"),
              ("c", "z"), ("c", "u"), ("d", "z"), ("d", "u")}
    assert derivable(hide(counts, "abcd", columns, hidden)) == [("b", "z")]


def test_derivable_finds_a_hidden_total_whose_cells_are_shown():
    counts = grid([[5, 6], [7, 8]])
    assert derivable(hide(counts, "ab", "xy", {("a", None)})) == [("a", None)]


def test_derivable_finds_a_rectangle_of_ones():
    # Row a: two * under a total of 2 (the shown 0 does not count), so both are 1.
    counts = grid([[1, 1, 0], [1, 1, 9]])
    hidden = {("a", "x"), ("a", "y"), ("b", "x"), ("b", "y")}
    assert derivable(hide(counts, "ab", "xyz", hidden)) == [
        ("a", "x"), ("a", "y"), ("b", "x"), ("b", "y")]


def test_derivable_refuses_a_table_that_does_not_add_up():
    counts = grid([[5, 6], [7, 8]])
    table = hide(counts, "ab", "xy", {("a", "x"), ("a", "y")})
    broken = SuppressedTable(table.rows, table.columns, table.cells,
                             {**table.row_totals, "a": Cell(1, False, False)},
                             table.column_totals, table.grand_total)
    with pytest.raises(ValueError):
        derivable(broken)


# --- properties over random tables --------------------------------------------------------


# Mostly small counts, with zeros and large counts among them, as a service's month looks.
COUNT = st.one_of(st.integers(0, 4), st.integers(0, 4), st.integers(5, 30), st.just(0))


@st.composite
def tables(draw, max_rows=5, max_columns=6):
    n_rows = draw(st.integers(1, max_rows))
    n_columns = draw(st.integers(1, max_columns))
    rows, columns = list("abcdef"[:n_rows]), list("xyzuvw"[:n_columns])
    counts = {(r, c): draw(COUNT) for r in rows for c in columns}
    return counts, rows, columns


# FFT's threshold, and the GP Patient Survey's (results on fewer than 10 are not shown).
THRESHOLD = st.sampled_from([5, 10])


def true_values(counts, rows, columns):
    values = dict(counts)
    for r in rows:
        values[(r, None)] = sum(counts[(r, c)] for c in columns)
    for c in columns:
        values[(None, c)] = sum(counts[(r, c)] for r in rows)
    values[(None, None)] = sum(counts.values())
    return values


@PROPERTIES
@given(tables(), THRESHOLD)
def test_suppressed_tables_hide_every_small_count_and_leave_nothing_to_work_out(case, threshold):
    counts, rows, columns = case
    table = suppress_table(counts, rows, columns, threshold=threshold)
    for (r, c), value in true_values(counts, rows, columns).items():
        cell = table.cell(r, c)
        assert not (cell.hidden and value == 0), "a zero was hidden"
        assert cell.primary == (0 < value < threshold)
        if not cell.hidden:
            assert cell.value == value
    assert derivable(table) == []


@PROPERTIES
@given(tables(), THRESHOLD)
def test_every_secondary_star_is_needed(case, threshold):
    counts, rows, columns = case
    table = suppress_table(counts, rows, columns, threshold=threshold)
    values = true_values(counts, rows, columns)
    hidden = {k for k in values if table.cell(*k).hidden}
    for key in hidden:
        if not table.cell(*key).primary:
            assert derivable(hide(counts, rows, columns, hidden - {key})), (
                f"{key} need not be hidden")


@PROPERTIES
@given(st.lists(COUNT, max_size=8))
def test_suppressed_lines_hide_every_small_count_and_every_secondary_is_needed(counts):
    counts = {f"k{i}": n for i, n in enumerate(counts)}
    line = suppress_counts(counts)
    values = {**counts, TOTAL: sum(counts.values())}
    assert derivable(line) == []
    for key, cell in line.items():
        assert cell.primary == (0 < values[key] < 5)
        assert not (cell.hidden and values[key] == 0)
        if cell.hidden and not cell.primary:
            shown = {**line, key: Cell(values[key], False, False)}
            assert derivable(shown), f"{key} need not be hidden"


def test_suppression_is_deterministic():
    rng = random.Random(7)
    for _ in range(20):
        counts = {(r, c): rng.choice([0, 1, 2, 3, 6, 9, 14]) for r in "abcd" for c in "xyz"}
        assert layout(suppress_table(counts, "abcd", "xyz")) == layout(
            suppress_table(dict(reversed(counts.items())), "abcd", "xyz"))


# --- derivable against independent answers ----------------------------------------------


def _members(line, table):
    """The figures along a line with the sign they add up with: cells +1, the line's total -1."""
    kind, name = line
    if kind == "row":
        return [((name, c), 1) for c in table.columns] + [((name, None), -1)]
    return [((r, name), 1) for r in table.rows] + [((None, name), -1)]


def pinned_by_linear_programming(table, values):
    """The hidden figures whose least and greatest possible values, given the shown ones, agree.

    The lines of a table form a network matrix, which is totally unimodular, so the bounds of
    the linear programme fall on whole numbers and are the same as the whole-number bounds.
    """
    optimize = pytest.importorskip("scipy.optimize")
    keys = sorted((k for k in values if table.cell(*k).hidden), key=str)
    index = {k: i for i, k in enumerate(keys)}
    equations, targets = [], []
    lines = [("row", r) for r in (*table.rows, None)]
    lines += [("column", c) for c in (*table.columns, None)]
    for line in lines:
        equation, target = [0.0] * len(keys), 0.0
        for key, sign in _members(line, table):
            if key in index:
                equation[index[key]] += sign
            else:
                target -= sign * values[key]
        equations.append(equation)
        targets.append(target)
    pinned = []
    for key in keys:
        cost = [0.0] * len(keys)
        cost[index[key]] = 1.0
        bounds = [(1, None)] * len(keys)  # a * is at least 1, since 0 is shown as 0
        low = optimize.linprog(cost, A_eq=equations, b_eq=targets, bounds=bounds)
        high = optimize.linprog([-x for x in cost], A_eq=equations, b_eq=targets, bounds=bounds)
        if high.status == 0 and abs(low.fun + high.fun) < 1e-6:
            pinned.append(key)
    return pinned


@settings(max_examples=40, derandomize=True, database=None, deadline=None)
@given(tables(max_rows=3, max_columns=3), st.randoms(use_true_random=False))
def test_derivable_agrees_with_linear_programming_on_random_hidden_figures(case, rng):
    counts, rows, columns = case
    values = true_values(counts, rows, columns)
    hidden = {k for k, v in values.items() if v > 0 and rng.random() < 0.5}
    table = hide(counts, rows, columns, hidden)
    assert sorted(derivable(table), key=str) == pinned_by_linear_programming(table, values)


def test_derivable_agrees_with_trying_every_small_two_by_two_table():
    # A reader who tries every 2 x 2 table of counts 0..5 and keeps those that look the same
    # once published. True tables have counts 0..3, so any other filling-in (which moves
    # figures by 1 round a loop, see the module's notes) stays within 0..5.
    candidates = [true_values(grid([[a, b], [c, d]]), "ab", "xy")
                  for a, b, c, d in itertools.product(range(6), repeat=4)]
    keys = list(candidates[0])
    rng = random.Random(11)
    for _ in range(40):
        hidden = {k for k in keys if rng.random() < 0.5}
        looks = {}
        for values in candidates:
            if all(values[k] > 0 for k in hidden):
                seen = tuple(None if k in hidden else values[k] for k in keys)
                looks.setdefault(seen, []).append(values)
        for values in rng.sample(candidates, 60):
            if max(values[k] for k in keys if k[0] and k[1]) > 3:
                continue
            if not all(values[k] > 0 for k in hidden):
                continue
            alike = looks[tuple(None if k in hidden else values[k] for k in keys)]
            pinned = {k for k in hidden if len({other[k] for other in alike}) == 1}
            counts = {k: v for k, v in values.items() if k[0] and k[1]}
            assert set(derivable(hide(counts, "ab", "xy", hidden))) == pinned
