"""Running means for a run's summaries. The manifest's means are folded in dialogue by dialogue,
never taken over a list of them, so a run of any length holds the same memory."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Means:
    """Sums and counts by name; a value of None is not counted (missing, never 0)."""

    sums: dict[str, float] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, key: str, value: float | None) -> None:
        if value is None:
            return
        self.sums[key] = self.sums.get(key, 0.0) + value
        self.counts[key] += 1

    def mean(self, key: str, digits: int = 4) -> float | None:
        n = self.counts[key]
        return round(self.sums[key] / n, digits) if n else None
