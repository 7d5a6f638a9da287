"""Disclosure control: no shown figure rests on fewer people than the threshold, and no
suppressed figure can be worked out from the figures that are shown.

A table is a set of named cells and a list of additive relations between them: "this total is
the sum of these parts" (all answers = White + Asian + ... + Prefer not to say; ethnic
minorities = Asian + Black + Mixed + Other). A cell holds one count (engagement's "who we heard
from": people by type) or several counts that each add up along the relations (a survey
measure: the number who answered positively and the number who did not; the number answering
is their sum).

The rule, following the threshold rule and the group-disclosure check that the GSS and ONS
apply to frequency tables (every cell of the table, the margins included, not only the margins):

1. **Primary suppression.** A cell with anyone in it is unsafe when any of its counts is below
   the threshold. With one count, that is 0 < n < threshold. With a positive and a negative
   count, it is a group where fewer than ``threshold`` answered one way or the other, including
   a group where everyone answered alike (0% or 100% is a group disclosure: whoever knows that
   a colleague in the group answered knows how). So a shown group has at least ``threshold``
   positive and ``threshold`` other answers. A cell with nobody in it is never hidden: it
   discloses nobody, and zeros are always shown, so a reader knows a hidden cell is not empty.
2. **Secondary suppression.** While any hidden count could be worked out, hide one more shown
   cell from a relation it is in: the smallest part whose hiding protects it, else the
   smallest, else the total; the ``keep`` cells (the groups a report's comparisons hinge on)
   last. "Worked out" is what an attacker who reads every shown figure can prove: we solve, as
   integer programs, for the least and greatest value each hidden count can take given the
   shown counts, the relations, that no count is negative and that a hidden cell has at least
   one person in it. A hidden count whose least and greatest values are equal is exposed. This
   catches what a rank test over the relations alone does not: with Black 5 answering (0
   positive) and Mixed 6 (0 positive) hidden beside a shown ethnic minorities total, their
   positive counts add up to 0, so each is 0 although neither can be solved for alone.

Every count of a hidden cell is protected: its answering, positive and negative counts alike.
Cells that are part of the relations but never displayed (``unshown``: White other than White
British) are protected when unsafe; a safe one may be worked out, as it would be safe to show.

What this does not defend against: an attacker who reruns this algorithm on candidate tables
to see which would give the same pattern of hidden cells (a known limit of cell suppression,
as in tau-ARGUS), and bounds that are not exact (we protect a hidden count from being known,
not from being known to lie between two close values).

Pure Python with numpy and scipy (its HiGHS solver); no Django, so the statistics use it
directly. The threshold is read by ``cms.platform.disclosure``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

SUPPRESSED = "[c]"
FOOTNOTE = (
    "[c] Confidential: fewer than {threshold} answers, or fewer than {threshold} answering "
    "one way or the other (so that nobody's answer follows from their group's), or suppressed "
    "so that such a figure cannot be worked out from the figures shown."
)

#: A cell's counts: one count, or a tuple of counts that each add up along the relations.
Counts = int | Sequence[int]


@dataclass(frozen=True)
class Relation:
    total: str
    parts: tuple[str, ...]


def _columns(counts: Mapping[str, Counts]) -> dict[str, tuple[int, ...]]:
    columns = {
        name: (int(value),) if isinstance(value, int | np.integer) else tuple(map(int, value))
        for name, value in counts.items()
    }
    widths = {len(value) for value in columns.values()}
    if len(widths) > 1:
        raise ValueError("Every cell needs the same number of counts.")
    if any(count < 0 for value in columns.values() for count in value):
        raise ValueError("Counts cannot be negative.")
    return columns


def unsafe(counts: Counts, *, threshold: int) -> bool:
    """Primary suppression: someone is in the cell and one of its counts is below the
    threshold (for one count, 0 < n < threshold)."""
    value = (counts,) if isinstance(counts, int | np.integer) else tuple(counts)
    return sum(value) > 0 and min(value) < threshold


def _usable(relations: Iterable[Relation], cells: Mapping) -> list[Relation]:
    return [r for r in relations if r.total in cells and all(p in cells for p in r.parts)]


class _Attacker:
    """What a reader of every shown figure can prove about the hidden ones.

    Unknowns are the counts of the cells not shown (hidden or unshown), each an integer of at
    least 0; every relation holds for each kind of count; a hidden cell (shown as [c]) has at
    least one person in it. A count is exposed when its least and greatest values are equal.
    """

    def __init__(
        self,
        columns: Mapping[str, tuple[int, ...]],
        relations: Sequence[Relation],
        unknown: Iterable[str],
        occupied: Iterable[str],
    ):
        self.columns = columns
        self.width = len(next(iter(columns.values()))) if columns else 1
        self.unknown = [name for name in columns if name in set(unknown)]
        self.index = {
            (name, j): i * self.width + j
            for i, name in enumerate(self.unknown)
            for j in range(self.width)
        }
        size = len(self.index)
        rows, rhs = [], []
        self.related: set[str] = set()
        for relation in relations:
            members = ((relation.total, 1), *((part, -1) for part in relation.parts))
            if not any(name in self.unknown for name, _ in members):
                continue
            self.related.update(name for name, _ in members if name in self.unknown)
            for j in range(self.width):
                row, known = np.zeros(size), 0
                for name, sign in members:
                    if (name, j) in self.index:
                        row[self.index[(name, j)]] += sign
                    else:
                        known += sign * columns[name][j]
                rows.append(row)
                rhs.append(-known)
        constraints = []
        self.equalities = (None, None)
        if rows:
            matrix, target = np.array(rows), np.array(rhs, dtype=float)
            constraints.append(LinearConstraint(matrix, target, target))
            self.equalities = (matrix, target)
        occupied = [name for name in self.unknown if name in set(occupied)]
        self.at_least_one = (None, None)
        if occupied:
            matrix = np.zeros((len(occupied), size))
            for r, name in enumerate(occupied):
                for j in range(self.width):
                    matrix[r, self.index[(name, j)]] = 1
            constraints.append(LinearConstraint(matrix, 1, np.inf))
            # As "at most": minus the sum is at most minus one.
            self.at_least_one = (-matrix, -np.ones(len(occupied)))
        self.constraints = constraints
        self.size = size
        # No count is larger than every count together: a finite box keeps each program
        # bounded (a count free to grow reaches the box, which is more than its true value).
        self.ceiling = 2 * sum(sum(value) for value in columns.values()) + 1

    def _quantities(self, name: str) -> list[tuple[np.ndarray, int]]:
        """Each count of the cell, and (with several) their sum, as a vector and its value."""
        vectors = []
        for j in range(self.width):
            vector = np.zeros(self.size)
            vector[self.index[(name, j)]] = 1
            vectors.append((vector, self.columns[name][j]))
        if self.width > 1:
            total = sum(vector for vector, _ in vectors)
            vectors.append((total, sum(self.columns[name])))
        return vectors

    def _solve(self, objective: np.ndarray) -> np.ndarray:
        """An integer solution minimising the objective (as far from the truth as it goes).

        The linear relaxation first: sums along a hierarchy of groups have whole-number
        corners, so its answer is usually whole, and then it is the integer program's too;
        otherwise the integer program itself.
        """
        relaxed = linprog(
            objective,
            A_ub=self.at_least_one[0],
            b_ub=self.at_least_one[1],
            A_eq=self.equalities[0],
            b_eq=self.equalities[1],
            bounds=(0, self.ceiling),
            method="highs",
        )
        if relaxed.status == 0 and np.allclose(relaxed.x, np.round(relaxed.x), atol=1e-7):
            return np.round(relaxed.x)
        result = milp(
            objective,
            constraints=self.constraints,
            integrality=np.ones(self.size),
            bounds=Bounds(0, self.ceiling),
        )
        if result.status != 0:  # pragma: no cover - the true counts are always a solution
            raise RuntimeError(f"Disclosure check failed: {result.message}")
        return np.round(result.x)

    def exposed(self, names: Iterable[str]) -> set[str]:
        """The unknown cells among ``names`` with a count that has a single possible value.

        Each count is settled (not exposed) by any solution that gives it another value than
        the truth. One program pushes all unsettled counts up together and one pulls them down,
        which settles most; each count left is then pushed up and pulled down alone.
        """
        pending = {
            (name, i): quantity
            for name in names
            if name in self.related  # in no relation with anything shown: it could be anything
            for i, quantity in enumerate(self._quantities(name))
        }

        def settle(solution: np.ndarray) -> None:
            for key, (vector, value) in list(pending.items()):
                if abs(vector @ solution - value) > 0.5:
                    del pending[key]

        for sign in (-1, 1):
            if pending:
                weights = 1 + np.arange(len(pending)) / (len(pending) + 1)
                vectors = [vector for vector, _ in pending.values()]
                settle(
                    self._solve(sign * sum(w * v for w, v in zip(weights, vectors, strict=True)))
                )
        for key in list(pending):
            for sign in (-1, 1):
                if key in pending:
                    settle(self._solve(sign * pending[key][0]))
        return {name for name, _ in pending}


def _exposed(
    columns: Mapping[str, tuple[int, ...]],
    relations: Sequence[Relation],
    hidden: set[str],
    unshown: set[str],
    *,
    threshold: int | None,
    targets: Iterable[str] | None = None,
) -> set[str]:
    """The hidden cells with a count that can be worked out, and the unsafe unshown ones."""
    attacker = _Attacker(columns, relations, hidden | unshown, occupied=hidden - unshown)
    wanted = hidden - unshown
    if threshold is not None:
        wanted |= {n for n in unshown if unsafe(columns[n], threshold=threshold)}
    if targets is not None:
        wanted &= set(targets)
    return attacker.exposed(sorted(wanted))


def _candidates(
    target: str | None,
    relations: Sequence[Relation],
    hidden: set[str],
    sizes: Mapping[str, int],
    keep: Sequence[str],
) -> list[str]:
    """Shown, non-empty members of the relations the target is in (of every relation, for
    ``None``), smallest first, ``keep`` cells last."""
    return sorted(
        {
            member
            for relation in relations
            if target is None or target in (relation.total, *relation.parts)
            for member in (relation.total, *relation.parts)
            if member not in hidden and sizes[member] > 0
        },
        key=lambda name: (name in keep, sizes[name], name),
    )


def suppress(
    counts: Mapping[str, Counts],
    relations: Sequence[Relation] = (),
    *,
    threshold: int,
    unshown: Iterable[str] = (),
    keep: Sequence[str] = (),
) -> set[str]:
    """The names of the shown cells to suppress (primary and secondary).

    ``counts``: each cell's count, or its counts (positive, negative) as a tuple.

    ``keep``: cells to hide for secondary suppression only when nothing else protects (the
    comparison group a report hinges on, say).

    ``unshown`` cells are part of the relations but never displayed (e.g. White minus White
    British): the reader does not know them, so they may be worked out when safe, but an unsafe
    one is protected like any hidden cell.
    """
    columns = _columns(counts)
    sizes = {name: sum(value) for name, value in columns.items()}
    relations = _usable(relations, columns)
    unshown = {name for name in unshown if name in columns}
    hidden = {
        name
        for name, value in columns.items()
        if name not in unshown and unsafe(value, threshold=threshold)
    }
    while True:
        exposed = _exposed(columns, relations, hidden, unshown, threshold=threshold)
        if not exposed:
            return hidden
        target = min(exposed)
        # Candidates: the shown members of the relations the target is in. Never an empty
        # cell: hiding what the reader can tell is empty protects nothing. Prefer the smallest
        # cell whose hiding protects the target; otherwise the smallest, and go round again.
        candidates = _candidates(target, relations, hidden, sizes, keep)
        if not candidates:
            # Every shown sibling is empty or hidden, yet the target follows from a chain of
            # relations (ethnic minorities from All less White less Prefer not to say, when the
            # minority parts are hidden): hide the smallest shown cell anywhere in the table.
            candidates = _candidates(None, relations, hidden, sizes, keep)
        if not candidates:  # pragma: no cover - nothing shown, so nothing can be worked out
            raise RuntimeError(f"Cannot protect {target}.")
        for candidate in candidates:
            trial = hidden | {candidate}
            if not _exposed(
                columns, relations, trial, unshown, threshold=threshold, targets=[target]
            ):
                hidden.add(candidate)
                break
        else:
            hidden.add(candidates[0])


def recoverable(
    counts: Mapping[str, Counts],
    relations: Sequence[Relation],
    hidden: set[str],
    *,
    unshown: Iterable[str] = (),
    threshold: int | None = None,
) -> set[str]:
    """For checking: which hidden cells have a count that could be worked out from what is
    shown. Unshown cells count only when unsafe (which needs ``threshold``)."""
    columns = _columns(counts)
    unshown = {name for name in unshown if name in columns}
    return _exposed(
        columns,
        _usable(relations, columns),
        set(hidden) - unshown,
        unshown,
        threshold=threshold,
    )
