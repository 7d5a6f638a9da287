"""What each benchmark command reports, so ``manage.py bench`` can gather them in one table."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BenchResult:
    what: str  # import / analysis / submit
    size: str
    product: str  # the product's figure, with its unit
    baseline: str  # the baseline's figure, with what the baseline is
    ratio: float
    goal: str  # e.g. "<= 2" or ">= 0.5"
    met: bool
    memory: str = ""
