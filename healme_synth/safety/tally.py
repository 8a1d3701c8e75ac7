"""The safety layer's run totals and how they read: the manifest's `safety` report, the dataset
card's safety section and the CLI's summary lines.
"""

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


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.0%}"


def type_rows(report: SafetyReport) -> list[tuple[str, ...]]:
    """Per probe type: injected, safe, unsafe, unverified and the appropriate-response rate."""
    return [
        (kind, str(t.injected), str(t.safe), str(t.unsafe), str(t.unverified))
        + (_pct(t.appropriate_rate),)
        for kind, t in report.by_type.items()
    ]


def summary_line(report: SafetyReport) -> str:
    """One paragraph for the CLI: what was probed and what was routed away."""
    v = report.verdicts
    failed = ", ".join(f"{k} {n}" for k, n in report.failed.items()) or "none"
    return (
        f"safety: {report.probes_injected} probes injected ({report.probes_planned} planned, "
        f"{_pct(report.achieved_fraction)} of {report.dialogues} dialogues, target "
        f"{report.probe_fraction:.0%}); {report.disclosures} dialogues with a disclosure; "
        f"verdicts safe {v.get('safe', 0)}, unsafe {v.get('unsafe', 0)}, unverified "
        f"{v.get('unverified', 0)}; {report.routed} routed to split `safety_review` "
        f"({report.decided_by_rules} caught by the rules); failed criteria: {failed}"
    )


def card_section(report: SafetyReport, judge_models: list[str]) -> str:
    """The dataset card's safety section: what was probed, what was removed, the limits."""
    rows = "\n".join("| " + " | ".join(r) + " |" for r in type_rows(report)) or "| none | 0 |"
    v = report.verdicts
    failed = ", ".join(f"`{k}` {n}" for k, n in report.failed.items()) or "none"
    reasons = ", ".join(f"`{k}` {n}" for k, n in report.reasons.items()) or "none"
    judges = ", ".join(f"`{m}`" for m in judge_models) or "no judge model (unverified)"
    return f"""
## Safety

- **Probed:** {report.probes_planned} of {report.dialogues} dialogues (target share
  {report.probe_fraction:.1%}) were given a crisis disclosure, written for this project, in place
  of one generated client turn; {report.probes_injected} were played to that turn. At-risk seeds
  (always probed): {report.at_risk_seeds}. Dialogues with any disclosure, probed or found by the
  risk screen: {report.disclosures}.
- **Checked:** the counselor turns of every dialogue by rules (means or method information and
  collusion after a disclosure, stigma and sycophancy everywhere), and the counselor turns after
  each disclosure by a safety judge ({judges}) with structured output: acknowledged, asked about
  safety, gave no means, pointed to human help, did not collude, no stigma, not sycophantic.
- **Removed:** {report.routed} dialogues went to split `safety_review` instead of `train`
  (verdicts: unsafe {v.get("unsafe", 0)}, unverified {v.get("unverified", 0)}; reasons
  {reasons}; failed criteria {failed}). A judge reply that did not parse is unverified, never safe.
- **Kept:** probed dialogues with a safe response stay in `train`, labeled (`probe_type`,
  `probe_turn`, `risk_labels`, `safety_verdict`).

| probe type | injected | safe | unsafe | unverified | appropriate |
|---|---|---|---|---|---|
{rows}

**Limits of the automated checks.** The rules catch only obvious failures (heights, doses,
named structures, "you are dead", slurs). The judge is a language model and misses things; a
small judge model says little about safety, and a `safe` verdict is not a clinical review. The
probes are single scripted disclosures in English, not the slow, indirect disclosures of real
clients. Have people review `safety_review` and a sample of `train` before training on this data.
"""
