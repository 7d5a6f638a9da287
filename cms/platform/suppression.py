"""Disclosure control: no shown figure rests on fewer answers than the threshold, and no
suppressed figure can be worked out from the figures that are shown.

A table is a set of named cells (each an answer count; the number positive follows the same
rule, so suppressing a cell hides its count, percentage and interval together) and a list of
additive relations: "this total is the sum of these parts" (e.g. all answers = White + ethnic
minorities + Prefer not to say; ethnic minorities = Asian + Black + Mixed + Other).

1. Primary suppression: every cell with 0 < n < threshold.
2. Secondary suppression: while any suppressed cell can be solved for from the shown cells and
   the relations (a linear-algebra check, not just "one cell missing from a sum"), suppress one
   more cell from a relation it appears in: the smallest shown part, or else the total.

Pure Python with numpy (a scipy dependency); no Django, so the statistics use it directly.
The threshold is read by cms.platform.disclosure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

SUPPRESSED = "[c]"
FOOTNOTE = (
    "[c] Confidential: fewer than {threshold} answers, or suppressed so that a smaller group "
    "cannot be worked out from the figures shown."
)


@dataclass(frozen=True)
class Relation:
    total: str
    parts: tuple[str, ...]


def _determinable(
    cells: Sequence[str], relations: Sequence[Relation], hidden: set[str]
) -> set[str]:
    """The hidden cells whose values follow from the shown cells and the relations."""
    unknown = [name for name in cells if name in hidden]
    if not unknown or not relations:
        return set()
    column = {name: i for i, name in enumerate(unknown)}
    rows = []
    for relation in relations:
        row = np.zeros(len(unknown))
        touched = False
        if relation.total in column:
            row[column[relation.total]] += 1
            touched = True
        for part in relation.parts:
            if part in column:
                row[column[part]] -= 1
                touched = True
        if touched:
            rows.append(row)
    if not rows:
        return set()
    matrix = np.array(rows)
    rank = np.linalg.matrix_rank(matrix)
    solved = set()
    for name, index in column.items():
        unit = np.zeros(len(unknown))
        unit[index] = 1
        # The cell is determined iff its unit vector lies in the row space of the relations.
        if np.linalg.matrix_rank(np.vstack([matrix, unit])) == rank:
            solved.add(name)
    return solved


def _candidates(
    target: str | None,
    relations: Sequence[Relation],
    hidden: set[str],
    counts: Mapping[str, int],
    keep: Sequence[str],
) -> list[str]:
    """Shown, non-zero members of the relations the target is in (of every relation, for
    ``None``), smallest first, ``keep`` cells last."""
    return sorted(
        {
            member
            for relation in relations
            if target is None or target in (relation.total, *relation.parts)
            for member in (relation.total, *relation.parts)
            if member not in hidden and counts[member] > 0
        },
        key=lambda name: (name in keep, counts[name], name),
    )


def suppress(
    counts: Mapping[str, int],
    relations: Sequence[Relation] = (),
    *,
    threshold: int,
    unshown: Iterable[str] = (),
    keep: Sequence[str] = (),
) -> set[str]:
    """The names of the shown cells to suppress (primary and secondary).

    ``keep``: cells to hide for secondary suppression only when nothing else protects (the
    comparison group a report hinges on, say).

    ``unshown`` cells are part of the relations but never displayed (e.g. White minus White
    British): the reader does not know them, so they may be determinable when large, but one
    with 0 < n < threshold is protected like any small cell.
    """
    cells = list(counts)
    relations = [r for r in relations if r.total in counts and all(p in counts for p in r.parts)]
    unshown = {name for name in unshown if name in counts}
    hidden = {name for name, n in counts.items() if 0 < n < threshold} | unshown
    while True:
        exposed = {
            name
            for name in _determinable(cells, relations, hidden)
            if name not in unshown or 0 < counts[name] < threshold
        }
        if not exposed:
            return hidden - unshown
        target = sorted(exposed)[0]
        # Candidates: the shown members of the relations the target is in. Never a zero: hiding
        # a cell the reader can tell is empty (a row shown only when it has answers) protects
        # nothing. Prefer the smallest cell whose hiding protects the target; otherwise the
        # smallest, and go round again.
        candidates = _candidates(target, relations, hidden, counts, keep)
        if not candidates:
            # Every shown sibling is zero or hidden, yet the target follows from a chain of
            # relations (ethnic minorities from All less White less Prefer not to say, when the
            # minority parts are hidden): hide the smallest shown cell anywhere in the table.
            candidates = _candidates(None, relations, hidden, counts, keep)
        if not candidates:  # pragma: no cover - nothing shown, so nothing can be worked out
            raise RuntimeError(f"Cannot protect {target}.")
        for candidate in candidates:
            if target not in _determinable(cells, relations, hidden | {candidate}):
                hidden.add(candidate)
                break
        else:
            hidden.add(candidates[0])


def recoverable(
    counts: Mapping[str, int],
    relations: Sequence[Relation],
    hidden: set[str],
    *,
    unshown: Iterable[str] = (),
    threshold: int | None = None,
) -> set[str]:
    """For checking: which hidden cells could be worked out from what is shown. Unshown cells
    count only when small (0 < n < threshold)."""
    relations = [r for r in relations if r.total in counts and all(p in counts for p in r.parts)]
    unshown = {name for name in unshown if name in counts}
    found = _determinable(list(counts), relations, set(hidden) | unshown)
    return {
        name
        for name in found
        if name not in unshown or (threshold is not None and 0 < counts[name] < threshold)
    }
