"""Stage 3c: near-duplicate removal across a whole run, and a cap on kept dialogues per persona.

Small models asked the same thing twice often say the same thing twice; a dataset full of
paraphrases of one session trains a model to repeat it. Dialogues are compared on the Jaccard
similarity of their word shingles, estimated with datasketch's MinHash and indexed with
MinHashLSH, so each new dialogue is checked against everything kept so far in roughly constant
time, however long the run.

A run is processed in chunks, so the check is a stateful object (`NearDuplicates`) that lives for
the whole run. First come, first kept: the earliest dialogue of a near-duplicate group is kept
and later ones are rejected naming it, so results depend only on the order dialogues arrive in.
"""

from __future__ import annotations

import re
from collections import Counter

from datasketch import LeanMinHash, MinHash, MinHashLSH

from healme_synth.records import Dialogue, Reason

_WORD = re.compile(r"\w+")

SEED = 1
"""MinHash permutation seed: fixed, so signatures (and therefore results) are reproducible."""


def shingles(d: Dialogue, shingle: int = 5) -> set[str]:
    """The dialogue's word n-grams: lower-cased words of all utterances, in order.

    Punctuation and case are ignored (a paraphrase that only re-punctuates is a duplicate);
    roles are ignored too. A dialogue shorter than `shingle` words is one shingle of all its
    words, and an empty dialogue has none.
    """
    if shingle < 1:
        raise ValueError(f"shingle must be at least 1, got {shingle}")
    words = _WORD.findall(" ".join(m.content for m in d.messages).lower())
    if len(words) < shingle:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + shingle]) for i in range(len(words) - shingle + 1)}


def signature(d: Dialogue, num_perm: int = 128, shingle: int = 5) -> MinHash:
    """MinHash of the dialogue's shingles, with the fixed seed so runs compare alike."""
    m = MinHash(num_perm=num_perm, seed=SEED)
    m.update_batch([s.encode("utf-8") for s in sorted(shingles(d, shingle))])
    return m


class NearDuplicates:
    """Remembers the kept dialogues of a run and rejects near-duplicates and over-cap personas.

    Call `check` only with dialogues the caller is keeping (i.e. that passed the filters, and
    in the run's order); a dialogue `check` accepts is recorded as kept, so a dialogue rejected
    later for another reason would still shadow its near-duplicates. Run it last, or accept that.

    Memory: the LSH index holds `num_perm` hashes per kept dialogue (in its bands), and a lean
    copy of each kept signature (another `num_perm` values) is kept to confirm LSH candidates;
    at num_perm=128 that measured about 4 KB per kept dialogue (about 4 GB per million), all in
    this process. Empty dialogues all share one signature, so only the first is kept.
    """

    def __init__(
        self,
        threshold: float = 0.8,
        num_perm: int = 128,
        shingle: int = 5,
        max_per_persona: int | None = None,
    ) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        if max_per_persona is not None and max_per_persona < 1:
            raise ValueError(f"max_per_persona must be at least 1 or None, got {max_per_persona}")
        if shingle < 1:
            raise ValueError(f"shingle must be at least 1, got {shingle}")
        self.threshold = threshold
        self.num_perm = num_perm
        self.shingle = shingle
        self.max_per_persona = max_per_persona
        self._lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        # LSH keys are positions in arrival order (ids need not be unique across imports).
        self._kept: list[tuple[str, LeanMinHash]] = []
        self._per_persona: Counter[str] = Counter()

    def __len__(self) -> int:
        """How many dialogues have been kept so far."""
        return len(self._kept)

    def check(self, d: Dialogue) -> Reason | None:
        """Reject `d` if it nearly duplicates a kept dialogue or its persona is at the cap;
        otherwise record it as kept and return None. Near-duplicates are checked first."""
        sig = signature(d, self.num_perm, self.shingle)
        best: tuple[float, int] | None = None
        for key in self._lsh.query(sig):
            j = float(self._kept[key][1].jaccard(sig))
            # LSH returns candidates, not matches: confirm with the estimate itself. Among
            # several matches the most similar wins, then the earliest kept.
            if j >= self.threshold and (best is None or (-j, key) < (-best[0], best[1])):
                best = (j, key)
        if best is not None:
            j, key = best
            return Reason(
                name="near_duplicate",
                detail=f"near-duplicate of {self._kept[key][0]} (estimated Jaccard {j:.2f})",
            )
        pid = d.persona.id
        n = self._per_persona[pid]
        if self.max_per_persona is not None and n >= self.max_per_persona:
            return Reason(
                name="persona_cap",
                detail=f"persona {pid} already has {n} kept dialogues (cap {self.max_per_persona})",
            )
        self._lsh.insert(len(self._kept), sig)
        self._kept.append((d.id, LeanMinHash(sig)))
        self._per_persona[pid] += 1
        return None
