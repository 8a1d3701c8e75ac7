"""Declared shares met by quota rather than luck, with random streams that are stable across
processes: the persona sampler and the crisis-probe assignment both deal out their slots
this way, so a share of n items is always within 1/n of its target under the run seed."""

from __future__ import annotations

import hashlib
import random
from fractions import Fraction


def stream(seed: int, *parts: str) -> random.Random:
    """A stream per purpose, stable across processes (Python's hash() is salted per process)."""
    digest = hashlib.sha256(":".join((str(seed), *parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def quota(n: int, weights: dict[str, float]) -> list[str]:
    """Largest-remainder rounding, exact: each value gets the floor or ceiling of n x share."""
    exact = {v: n * share for v, share in exact_shares(weights).items()}
    counts = {v: int(q) for v, q in exact.items()}
    # sorted() is stable, so equal remainders go to values in declared order.
    by_remainder = sorted(exact, key=lambda v: exact[v] - counts[v], reverse=True)
    for value in by_remainder[: n - sum(counts.values())]:
        counts[value] += 1
    return [v for v in weights for _ in range(counts[v])]


def exact_shares(weights: dict[str, float]) -> dict[str, Fraction]:
    total = sum(Fraction(w) for w in weights.values())
    return {v: Fraction(w) / total for v, w in weights.items()}
