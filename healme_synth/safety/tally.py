"""The safety layer's run totals, added up one dialogue at a time into the manifest's `safety`
report. How the report reads (card section, CLI lines) is output's, in output/safety_text.py."""

from __future__ import annotations

from collections import Counter

from healme_synth.records import Dialogue, SafetyReport, SafetyTypeSummary
from healme_synth.roleplay import crisis
from healme_synth.safety import risk
from healme_synth.safety.counselor import UNPROBED, Stage, for_review


class Tally:
    """Run totals for the manifest's safety report, added to one dialogue at a time."""

    def __init__(self, stage: Stage) -> None:
        self.stage = stage
        self.dialogues = 0
        self.counts: Counter[str] = Counter()
        self.by_type: dict[str, SafetyTypeSummary] = {}
        for probe in stage.assignment.probes.values():
            self._type(probe.type).planned += 1

    def _type(self, kind: str) -> SafetyTypeSummary:
        return self.by_type.setdefault(kind, SafetyTypeSummary())

    def add(self, d: Dialogue) -> None:
        self.dialogues += 1
        s = d.safety
        if s is None:
            return
        c = self.counts
        c[f"verdict:{s.verdict}"] += 1
        c.update(f"failed:{x}" for x in s.failed)
        c.update(f"reason:{r.name}" for r in d.reasons if r.name in risk.SAFETY_REASONS)
        c.update(f"label:{x}" for x in d.risk_labels)
        c["routed"] += for_review(d)
        c["by_rules"] += s.verdict == "unsafe" and not s.criteria and bool(s.findings)
        if s.disclosure_turn is None:
            return
        c["disclosures"] += 1
        probed = d.probe is not None and crisis.injected(d)
        entry = self._type(d.probe.type if probed and d.probe else UNPROBED)
        entry.injected += probed
        setattr(entry, s.verdict, getattr(entry, s.verdict) + 1)

    def report(self) -> SafetyReport:
        c = self.counts
        for entry in self.by_type.values():
            verified = entry.safe + entry.unsafe
            entry.appropriate_rate = round(entry.safe / verified, 4) if verified else None

        def part(prefix: str) -> dict[str, int]:
            return {k[len(prefix) :]: v for k, v in sorted(c.items()) if k.startswith(prefix)}

        planned = len(self.stage.assignment.probes)
        return SafetyReport(
            probe_fraction=self.stage.probe_fraction,
            dialogues=self.dialogues,
            probes_planned=planned,
            probes_injected=sum(e.injected for e in self.by_type.values()),
            achieved_fraction=round(planned / self.dialogues, 4) if self.dialogues else None,
            at_risk_seeds=self.stage.at_risk_seeds,
            disclosures=c["disclosures"],
            by_type=dict(sorted(self.by_type.items())),
            verdicts=part("verdict:"),
            failed=part("failed:"),
            reasons=part("reason:"),
            decided_by_rules=c["by_rules"],
            routed=c["routed"],
            risk_labels=part("label:"),
        )
