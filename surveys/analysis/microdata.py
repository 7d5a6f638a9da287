"""Minimising a row-level export: no combination of identifying answers shared by fewer than
the disclosure threshold.

A row per response is microdata. Someone who knows a colleague's ethnic group, directorate
and pay band (things colleagues do know) and finds the only row with that combination reads
every answer that colleague gave: in the demo's 3,000 responses, 116 were unique on detailed
ethnic group, directorate and pay band. So the export analysts get by default is k-anonymous
with k the disclosure threshold, the rule the ONS and the Anonymisation Decision-making
Framework apply to key variables before microdata leaves a secure setting:

- **Key variables** are the answers a colleague could know: the ethnic group and every single
  or multiple choice question (directorate, pay band, training taken...). The platform cannot
  tell a choice question about the person from one about their views, so it treats them all
  as identifying. Agreement scales are the opinions the survey is for: they are not keys.
- **Global recoding** first: the ethnic group in the five ONS high-level groups (and Prefer
  not to say), never the 19 detailed ones.
- **Local suppression** then: while any combination of key values is shared by fewer than
  ``threshold`` rows, withhold (write ``[c]`` for) one key variable in every row of every such
  combination, taking the variables least useful to the analysis first (multiple choice, then
  single choice, the later questions first; the ethnic group last). A combination that is
  still rare when every key is withheld joins the others withheld entirely; if those are
  themselves fewer than ``threshold``, the smallest other combinations join them until they
  are not. A row's opinion answers are never withheld.
- A wave of fewer than ``threshold`` responses has no rows in the minimised export at all, as
  its results are never shown.

Withholding never makes a combination smaller (rows only leave rare combinations, to join
others), so once a combination is shared by enough rows it stays so. This module sees only the
combinations and how many rows share each: the export streams the rows twice, once to count and
once to write. Pure Python; no Django.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from cms.platform.suppression import SUPPRESSED

WITHHELD = SUPPRESSED

Combination = tuple[str, ...]


def _tally(counts: Mapping[Combination, int], mapping: Mapping[Combination, Combination]):
    published: Counter[Combination] = Counter()
    for combination, rows in counts.items():
        published[mapping[combination]] += rows
    return published


def withhold(combination: Combination, position: int) -> Combination:
    return (*combination[:position], WITHHELD, *combination[position + 1 :])


def minimise(
    counts: Mapping[Combination, int],
    *,
    threshold: int,
    order: Sequence[int],
) -> dict[Combination, Combination] | None:
    """For each combination of key values, the combination to write instead.

    ``counts``: how many rows have each combination. ``order``: the positions of the key
    variables in the order they are withheld. None when there are fewer than ``threshold``
    rows in all: then no row may be written.
    """
    if sum(counts.values()) < threshold:
        return None
    mapping = {combination: combination for combination in counts}
    for position in order:
        rare = {c for c, rows in _tally(counts, mapping).items() if rows < threshold}
        if not rare:
            return mapping
        for combination, published in mapping.items():
            if published in rare:
                mapping[combination] = withhold(published, position)
    width = len(next(iter(counts), ()))
    everything = (WITHHELD,) * width
    published = _tally(counts, mapping)
    rare = {c for c, rows in published.items() if rows < threshold}
    for combination, shown in mapping.items():
        if shown in rare:
            mapping[combination] = everything
    # The rows withheld entirely are a combination too: when too few, the smallest others join.
    withheld = sum(counts[c] for c, shown in mapping.items() if shown == everything)
    others = sorted(
        ((rows, shown) for shown, rows in _tally(counts, mapping).items() if shown != everything)
    )
    while 0 < withheld < threshold and others:
        rows, joining = others.pop(0)
        for combination, shown in mapping.items():
            if shown == joining:
                mapping[combination] = everything
        withheld += rows
    return mapping
