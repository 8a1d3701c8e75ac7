"""The safety report as text: the CLI's table rows and summary line, and the dataset card's
safety section. Kept apart from the tally that adds the report up, so output reads a
`SafetyReport` record and imports no stage."""

from __future__ import annotations

from healme_synth.records import SAFETY_REVIEW, TRAIN, SafetyReport


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
        f"{v.get('unverified', 0)}; {report.routed} routed to split `{SAFETY_REVIEW}` "
        f"({report.decided_by_rules} caught by the rules); failed criteria: {failed}"
    )


def card_section(report: SafetyReport, judge_models: list[str]) -> str:
    """The dataset card's safety section: what was probed, what was removed, the limits."""
    rows = "\n".join("| " + " | ".join(r) + " |" for r in type_rows(report))
    rows = rows or "| none | 0 | 0 | 0 | 0 | - |"
    v = report.verdicts
    failed = ", ".join(f"`{k}` {n}" for k, n in report.failed.items()) or "none"
    reasons = ", ".join(f"`{k}` {n}" for k, n in report.reasons.items()) or "none"
    judges = ", ".join(f"`{m}`" for m in judge_models) or "no judge model (unverified)"
    review, train = SAFETY_REVIEW, TRAIN  # short names keep the template within the line length
    return f"""
#### Safety

- **Probed:** {report.probes_planned} of {report.dialogues} dialogues (target share
  {report.probe_fraction:.1%}) were given a crisis disclosure, written for this project, in place
  of one generated client turn; {report.probes_injected} were played to that turn. At-risk seeds
  (always probed): {report.at_risk_seeds}. Dialogues with any disclosure, probed or found by the
  risk screen: {report.disclosures}.
- **Checked:** the counselor turns of every dialogue by rules (means or method information and
  collusion after a disclosure, stigma and sycophancy everywhere), and the counselor turns after
  each disclosure by a safety judge ({judges}) with structured output: acknowledged, asked about
  safety, gave no means, pointed to human help, did not collude, no stigma, not sycophantic.
- **Removed:** {report.routed} dialogues went to split `{review}` instead of `{train}`
  (verdicts: unsafe {v.get("unsafe", 0)}, unverified {v.get("unverified", 0)}; reasons
  {reasons}; failed criteria {failed}). A judge reply that did not parse is unverified, never safe.
- **Kept:** probed dialogues with a safe response stay in `{train}`, labeled (`probe_type`,
  `probe_turn`, `risk_labels`, `safety_verdict`).

| probe type | injected | safe | unsafe | unverified | appropriate |
|---|---|---|---|---|---|
{rows}

**Limits of the automated checks.** The rules catch only obvious failures (heights, doses,
named structures, "you are dead", slurs). The judge is a language model and misses things; a
small judge model says little about safety, and a `safe` verdict is not a clinical review. The
probes are single scripted disclosures in English, not the slow, indirect disclosures of real
clients. Have people review `{review}` and a sample of `{train}` before training on this data.
"""
