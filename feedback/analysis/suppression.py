"""Small-number suppression, so that no published count, total or share exposes a count of 1-4.

The rule follows NHS England's FFT publications: a count of 1 up to ``threshold - 1`` is
shown as ``*`` (primary suppression) and zero is shown as 0. Where a line of figures adds up to
a shown total, further figures are hidden (secondary suppression) until no hidden figure can
be worked out from the shown ones. Totals are figures like any other: a total of 1-4 is hidden,
and a hidden total always shares its line with another hidden figure, or adding up the cells
would give it back.

"Worked out" here is stronger than "the only ``*`` in its line", in two ways that matter:

- Peeling lines one at a time misses a hidden cell that joins two otherwise separate groups
  of hidden cells: adding the row equations of one group and taking away its column equations
  leaves that cell alone, even though every line holds two or more ``*``.
- Since zero is shown as 0, a reader knows every ``*`` is at least 1. A line ``*, *, 40``
  under a total of 42 therefore shows two 1s as plainly as if they were printed.

So the check is exact for a reader who knows the shown figures, that every ``*`` is a whole
number of at least 1, and how the lines add up. A hidden figure can be pinned down if, and
only if, there is no other way to fill in the ``*`` s that agrees with everything shown; any
other way differs by moves around closed loops of hidden figures (add 1 here, take 1 there,
round the loop), and a move is allowed only if every figure it takes 1 from is at least 2.
The reader is not assumed to know that a ``*`` is at most 4, because a secondary ``*`` can be
any size and nothing marks which is which.

Tables are checked on the grid of cells with the row totals as an extra column and the column
totals (and grand total) as an extra row; in that grid every row and every column adds up, so
the same rule covers cells and totals alike.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from .statistics import Z_95, Share, share_with_interval

HIDDEN = None  # how a hidden value is represented in results
TOTAL = "total"  # the key of the total in what suppress_counts returns

# The grid's extra row and column (the totals) have no name of their own; a key with None in
# it names a total: (row, None) is a row's total, (None, column) a column's, (None, None) the
# grand total.
_MARGIN = None


@dataclass(frozen=True)
class Cell:
    """A published figure: its value, or HIDDEN and why."""

    value: int | None
    hidden: bool
    primary: bool  # True when hidden for being 1 to threshold - 1 itself

    def __post_init__(self):
        # A hidden cell that still carried its value would leak into any page that printed it.
        if self.hidden and self.value is not HIDDEN:
            raise ValueError("a hidden cell carries no value")
        if not self.hidden and (self.primary or not _is_count(self.value)):
            raise ValueError("a shown cell has a count as its value and is not primary")


def _is_count(value) -> bool:
    # bool is an int subclass; True as a count is always a caller's mistake.
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_count(name, value) -> None:
    if not _is_count(value):
        raise ValueError(f"count for {name!r} must be a whole number of 0 or more, got {value!r}")


def _check_threshold(threshold) -> None:
    if not _is_count(threshold):
        raise ValueError(f"threshold must be a whole number of 0 or more, got {threshold!r}")


def suppress_value(count: int, threshold: int = 5) -> Cell:
    """One figure on its own: hidden when it is 1 to threshold - 1, shown otherwise."""
    _check_count("count", count)
    _check_threshold(threshold)
    if 0 < count < threshold:
        return Cell(HIDDEN, hidden=True, primary=True)
    return Cell(count, hidden=False, primary=False)


def may_quote(group_size: int, minimum: int = 10) -> bool:
    """Whether comments from a group this size may be quoted: small groups make writers known."""
    _check_count("group_size", group_size)
    _check_count("minimum", minimum)
    return group_size >= minimum


def suppressed_share(part: Cell, whole: Cell, z: float = Z_95) -> Share | None:
    """part/whole with its Wilson interval; None if either is hidden or whole is 0.

    A share of a hidden count, or of a hidden total, would give the hidden figure back.
    """
    if part.hidden or whole.hidden or whole.value == 0:
        return None
    return share_with_interval(part.value, whole.value, z)


@dataclass(frozen=True)
class SuppressedTable:
    """A table of counts ready to publish: hidden figures carry no value."""

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    cells: Mapping[tuple[str, str], Cell]
    row_totals: Mapping[str, Cell]  # empty when the table shows no totals
    column_totals: Mapping[str, Cell]
    grand_total: Cell
    with_totals: bool = True

    def cell(self, row: str | None, column: str | None) -> Cell:
        """The figure at row, column; None for either names the total along it."""
        if _MARGIN not in (row, column):
            return self.cells[(row, column)]
        if not self.with_totals:
            return _NOT_SHOWN
        if row is _MARGIN and column is _MARGIN:
            return self.grand_total
        if column is _MARGIN:
            return self.row_totals[row]
        return self.column_totals[column]

    def share(self, row: str | None, column: str | None, *, of: str = "row") -> float | None:
        """The figure as a fraction of its row's total, its column's total or the grand total.

        None when either figure is hidden, the totals are not shown (a share would give the
        total away), or the total is 0. ``share(row, None, of="column")`` is a row total's
        share of the grand total.

        :param of: "row", "column" or "grand".
        :raise ValueError: for any other ``of``.
        """
        if of == "row":
            whole = self.cell(row, _MARGIN)
        elif of == "column":
            whole = self.cell(_MARGIN, column)
        elif of == "grand":
            whole = self.grand_total
        else:
            raise ValueError(f"of must be 'row', 'column' or 'grand', not {of!r}")
        part = self.cell(row, column)
        if part.hidden or whole.hidden or whole.value == 0:
            return None
        return part.value / whole.value


# What the table shows where it shows no total.
_NOT_SHOWN = Cell(HIDDEN, hidden=True, primary=False)


def suppress_table(
    counts: Mapping[tuple[str, str], int],
    rows: Sequence[str],
    columns: Sequence[str],
    *,
    threshold: int = 5,
    with_totals: bool = True,
) -> SuppressedTable:
    """Hide small counts in a rows x columns table, and enough others that none can be worked out.

    Secondary suppression hides the smallest figure that protects an exposed one (cells before
    totals, then in row and column order on ties), and afterwards shows again any secondary
    figure that turned out not to be needed, so every secondary ``*`` is there for a reason.

    :param counts: (row, column) -> count; a missing pair counts 0.
    :param with_totals: False for a table published without totals: nothing then adds up to a
        shown figure, so only primary suppression applies, and no share can be given.
    :raise ValueError: for a negative or non-integer count, a count outside rows x columns,
        or repeated row or column names.
    """
    rows, columns = _names(rows, "row"), _names(columns, "column")
    _check_threshold(threshold)
    values = _table_values(counts, rows, columns)
    entries = _table_entries(rows, columns)
    if not with_totals:
        entries = [e for e in entries if _MARGIN not in e.key]
    hidden = _suppress(entries, values, threshold, lines_add_up=with_totals)
    published = {e.key: _publish(values[e.key], e.key in hidden, threshold) for e in entries}
    return SuppressedTable(
        rows=rows,
        columns=columns,
        cells=MappingProxyType({(r, c): published[(r, c)] for r in rows for c in columns}),
        row_totals=MappingProxyType(
            {r: published[(r, _MARGIN)] for r in rows} if with_totals else {}),
        column_totals=MappingProxyType(
            {c: published[(_MARGIN, c)] for c in columns} if with_totals else {}),
        grand_total=published[(_MARGIN, _MARGIN)] if with_totals else _NOT_SHOWN,
        with_totals=with_totals,
    )


def suppress_counts(
    counts: Mapping[str, int], *, threshold: int = 5, total: int | None = None
) -> dict[str, Cell]:
    """Hide small counts in one line of figures whose total is shown, e.g. responses by channel.

    The result has every key of ``counts`` in order, then the total under ``TOTAL``: the total
    may need hiding too (five counts of 1 under a total of 5 would show every one of them), so
    show the total from here, not from anywhere else.

    :param total: the total the page shows, to cross-check the counts against; it must be their
        sum. Anything else the total covers (say, responses with no rating) belongs in
        ``counts`` under a name of its own, so that it is suppressed like the rest.
    :raise ValueError: for a bad count, a ``total`` that is not the sum, or a count named TOTAL.
    """
    _check_threshold(threshold)
    if TOTAL in counts:
        raise ValueError(f"{TOTAL!r} names the total; give that count another name")
    for name, count in counts.items():
        _check_count(name, count)
    values = dict(counts)
    values[TOTAL] = sum(counts.values())
    if total is not None and total != values[TOTAL]:
        raise ValueError(f"total {total!r} is not the sum of the counts ({values[TOTAL]})")
    entries = _line_entries(counts)
    hidden = _suppress(entries, values, threshold, lines_add_up=True)
    return {e.key: _publish(values[e.key], e.key in hidden, threshold) for e in entries}


def _publish(value: int, hidden: bool, threshold: int) -> Cell:
    if not hidden:
        return Cell(value, hidden=False, primary=False)
    return Cell(HIDDEN, hidden=True, primary=0 < value < threshold)


def _names(names: Sequence[str], what: str) -> tuple[str, ...]:
    names = tuple(names)
    if not all(isinstance(n, str) for n in names):
        raise ValueError(f"{what} names must be strings")
    if len(set(names)) != len(names):
        raise ValueError(f"{what} names repeat: {names!r}")
    return names


def _table_values(counts, rows, columns) -> dict[tuple, int]:
    unknown = set(counts) - {(r, c) for r in rows for c in columns}
    if unknown:
        # It would vanish from the totals without a word.
        outside = sorted(unknown, key=repr)
        raise ValueError(f"counts outside the table's rows and columns: {outside!r}")
    values = {}
    for r in rows:
        for c in columns:
            values[(r, c)] = counts.get((r, c), 0)
            _check_count((r, c), values[(r, c)])
    for r in rows:
        values[(r, _MARGIN)] = sum(values[(r, c)] for c in columns)
    for c in columns:
        values[(_MARGIN, c)] = sum(values[(r, c)] for r in rows)
    values[(_MARGIN, _MARGIN)] = sum(values[(r, _MARGIN)] for r in rows)
    return values


# --- The grid, as a graph -----------------------------------------------------------------
#
# Every figure sits in one row line and one column line of the grid (a total sits in the
# totals column or row). Each line states that its cells add up to its total. Writing each
# figure y with a sign s (-1 for a row or column total, +1 for a cell or the grand total), the
# line "cells - total = 0" becomes "sum of s*y = 0" for every row and every column alike.
# Figures are then edges between a row vertex and a column vertex, and a change to the hidden
# figures that keeps every line adding up is a set of loops of edges, alternately +1 and -1
# in s*y. A one-line list of counts is the same picture with one row vertex (the line) and
# one column vertex, _FREE, that adds up to nothing.

_FREE = ("free",)
_LINE = ("line",)


@dataclass(frozen=True)
class _Entry:
    key: Hashable
    row: Hashable  # the vertex of the row line it belongs to
    column: Hashable  # the vertex of the column line it belongs to
    sign: int  # -1 for a row or column total, +1 for a cell or the grand total


def _table_entries(rows, columns) -> list[_Entry]:
    # Cells first, then totals: the order breaks ties, so equal figures hide cells first.
    entries = [_Entry((r, c), ("row", r), ("column", c), 1) for r in rows for c in columns]
    entries += [_Entry((r, _MARGIN), ("row", r), ("column", _MARGIN), -1) for r in rows]
    entries += [_Entry((_MARGIN, c), ("row", _MARGIN), ("column", c), -1) for c in columns]
    entries.append(_Entry((_MARGIN, _MARGIN), ("row", _MARGIN), ("column", _MARGIN), 1))
    return entries


def _line_entries(names: Iterable[str]) -> list[_Entry]:
    return [_Entry(n, _LINE, _FREE, 1) for n in names] + [_Entry(TOTAL, _LINE, _FREE, -1)]


def _suppress(entries, values, threshold, *, lines_add_up) -> set:
    primary = {e.key for e in entries if 0 < values[e.key] < threshold}
    if not lines_add_up:
        return primary
    hidden = set(primary)
    while exposed := _exposed(entries, values, hidden):
        hidden.add(_cover(entries, values, hidden, exposed[0]))
    return _prune(entries, values, hidden, primary)


def _rank(entries) -> dict:
    return {e.key: i for i, e in enumerate(entries)}


def _cover(entries, values, hidden, exposed_key):
    """The shown figure to hide next, to protect the exposed one.

    The smallest figure that protects it on its own, looking first along its own lines, then
    anywhere. Failing that, the smallest figure along a line where it is the only ``*`` (or
    else along either of its lines), which begins a loop that later rounds close.
    """
    order = _rank(entries)
    exposed = next(e for e in entries if e.key == exposed_key)
    shown = sorted(
        (e for e in entries if e.key not in hidden and values[e.key] > 0),
        key=lambda e: (values[e.key], order[e.key]),
    )
    near = [e for e in shown if e.row == exposed.row or e.column == exposed.column]
    for pool in (near, shown):
        for candidate in pool:
            if _can_move(exposed, entries, values, hidden | {candidate.key}):
                return candidate.key
    alone = [e for e in near if _alone(exposed, e, entries, hidden)]
    # Hiding every non-zero figure always protects them all (a cell can rise by 1 with its row
    # total, column total and the grand total), so something is always left to hide.
    return (alone or near or shown)[0].key


def _alone(exposed, candidate, entries, hidden) -> bool:
    """Whether candidate lies on a line of exposed's where exposed is the only hidden figure."""
    def line_of(e):
        return e.row if candidate.row == exposed.row else e.column

    if candidate.row != exposed.row and candidate.column != exposed.column:
        return False
    line = line_of(exposed)
    return not any(line_of(e) == line for e in entries if e.key in hidden and e != exposed)


def _prune(entries, values, hidden, primary) -> set:
    """Show again each secondary figure that is not needed, largest first, until none is."""
    order = _rank(entries)
    changed = True
    while changed:
        changed = False
        for key in sorted(hidden - primary, key=lambda k: (values[k], order[k]), reverse=True):
            if not _exposed(entries, values, hidden - {key}):
                hidden = hidden - {key}
                changed = True
    return hidden


def _exposed(entries, values, hidden) -> list:
    """The hidden figures that the shown ones pin down, in the grid's order.

    :param values: the true figures, or any whole numbers of at least 1 for the hidden ones
        that agree with the shown ones; the answer is the same either way.
    """
    return [e.key for e in entries
            if e.key in hidden and not _can_move(e, entries, values, hidden)]


def _can_move(entry, entries, values, hidden) -> bool:
    """Whether a loop of hidden figures through entry can change it, keeping every ``*`` ≥ 1.

    Going round a loop, an edge is crossed row to column (its s*y rises by 1) or column to row
    (s*y falls by 1); a crossing is allowed if it leaves the figure at 1 or more.
    """
    arcs: dict[Hashable, list[Hashable]] = {}
    for other in entries:
        if other.key in hidden and other.key != entry.key:
            value = values[other.key]
            if value + other.sign >= 1:
                arcs.setdefault(other.row, []).append(other.column)
            if value - other.sign >= 1:
                arcs.setdefault(other.column, []).append(other.row)
    value = values[entry.key]
    forward = value + entry.sign >= 1 and _reaches(arcs, entry.column, entry.row)
    backward = value - entry.sign >= 1 and _reaches(arcs, entry.row, entry.column)
    return forward or backward


def _reaches(arcs, start, goal) -> bool:
    seen, queue = {start}, deque([start])
    while queue:
        vertex = queue.popleft()
        if vertex == goal:
            return True
        for following in arcs.get(vertex, ()):
            if following not in seen:
                seen.add(following)
                queue.append(following)
    return False


# --- Checking a published table, as a reader would ----------------------------------------


def derivable(published: SuppressedTable | Mapping[str, Cell]) -> list[tuple]:
    """The hidden figures a reader could work out from what is shown: [] when it is safe.

    Takes a table from suppress_table or a line from suppress_counts, and uses only what they
    publish: it finds some whole numbers for the ``*`` s that agree with the shown figures, and
    asks of each ``*`` whether another filling-in exists that changes it. A table key is
    (row, column), with None for a total; a line key is (name,).

    :raise ValueError: if no filling-in agrees with the shown figures (the table was altered),
        or a line comes without its total.
    """
    if isinstance(published, SuppressedTable):
        if not published.with_totals:
            return []  # nothing adds up to anything shown
        entries = _table_entries(published.rows, published.columns)
        cells = {e.key: published.cell(*e.key) for e in entries}
        wrap = tuple
    else:
        if TOTAL not in published:
            raise ValueError(f"a line is checked with its total, under {TOTAL!r}")
        names = [k for k in published if k != TOTAL]
        entries = _line_entries(names)
        cells = dict(published)
        wrap = _one_tuple
    hidden = {k for k, c in cells.items() if c.hidden}
    shown = {k: c.value for k, c in cells.items() if not c.hidden}
    values = {**shown, **_fill_in(entries, shown, hidden)}
    return [wrap(k) for k in _exposed(entries, values, hidden)]


def _one_tuple(key) -> tuple:
    return (key,)


def _fill_in(entries, shown, hidden) -> dict:
    """Whole numbers of at least 1 for the hidden figures, so that every line adds up.

    Each hidden figure is a flow of 1 + f along its edge (row to column for sign +1, column to
    row for sign -1); what each vertex must send out is fixed by the shown figures, _FREE
    takes up the rest, and a maximum flow finds the f s or shows there are none.
    """
    supply: dict[Hashable, int] = {}
    arcs = []
    for e in entries:
        tail, head = (e.row, e.column) if e.sign > 0 else (e.column, e.row)
        # The shown figure, or the 1 every hidden one starts from, is already on its way.
        amount = shown[e.key] if e.key not in hidden else 1
        supply[tail] = supply.get(tail, 0) - amount
        supply[head] = supply.get(head, 0) + amount
        if e.key in hidden:
            arcs.append((e.key, tail, head))
    # A vertex that has taken in more than it sent on must send the difference along the
    # hidden edges, and one that sent more must take it in from them.
    flows = _max_flow(supply, arcs)
    return {key: 1 + flows[key] for key, _, _ in arcs}


def _max_flow(supply, arcs) -> dict:
    """Edmonds-Karp on a graph of a few dozen vertices; raises if the supply cannot be met.

    _FREE needs no care of its own: every figure leaves one vertex and enters another, so what
    the other vertices need is exactly what _FREE has over.
    """
    graph = _Residual()
    # No flow along a hidden edge need exceed all the supply there is.
    big = sum(v for v in supply.values() if v > 0)
    for key, tail, head in arcs:
        graph.add(tail, head, big, key)
    for vertex, amount in supply.items():
        if amount > 0:
            graph.add("source", vertex, amount)
        elif amount < 0:
            graph.add(vertex, "sink", -amount)
    graph.run("source", "sink")
    if not graph.saturated("source"):
        raise ValueError("no whole numbers of 1 or more for the * s agree with the shown figures")
    return graph.flows()


class _Residual:
    """A residual graph for a maximum flow, with arcs that remember the figure they carry."""

    def __init__(self):
        self.edges: list[list] = []  # [head, capacity, twin index, key, original capacity]
        self.out: dict[Hashable, list[int]] = {}

    def add(self, tail, head, capacity, key=None):
        self.out.setdefault(tail, []).append(len(self.edges))
        self.edges.append([head, capacity, len(self.edges) + 1, key, capacity])
        self.out.setdefault(head, []).append(len(self.edges))
        self.edges.append([tail, 0, len(self.edges) - 1, None, 0])

    def run(self, source, sink):
        while path := self._path(source, sink):
            push = min(self.edges[i][1] for i in path)
            for i in path:
                self.edges[i][1] -= push
                self.edges[self.edges[i][2]][1] += push

    def _path(self, source, sink) -> list[int] | None:
        came_by: dict[Hashable, int | None] = {source: None}
        queue = deque([source])
        while queue and sink not in came_by:
            vertex = queue.popleft()
            for i in self.out.get(vertex, ()):
                head, capacity = self.edges[i][0], self.edges[i][1]
                if capacity > 0 and head not in came_by:
                    came_by[head] = i
                    queue.append(head)
        if sink not in came_by:
            return None
        path, vertex = [], sink
        while came_by[vertex] is not None:
            i = came_by[vertex]
            path.append(i)
            vertex = self.edges[self.edges[i][2]][0]
        return path

    def saturated(self, source) -> bool:
        return all(self.edges[i][1] == 0 for i in self.out.get(source, ()))

    def flows(self) -> dict:
        return {key: original - capacity
                for _, capacity, _, key, original in self.edges if key is not None}
