"""The counselor-turn rules (DOMAIN.md section 7): obvious failures in what a counselor wrote,
so these never depend on a judge parsing. Rules are data (reply_rules.yaml): stigma and
sycophancy in every turn; after a client disclosure, means or method information, collusion
with what was disclosed (a delusion, mania, voices, a compulsion, violence, suicide: whichever
kinds the probe, the screen or the judge found), and brushing the disclosure off. The absence
of any safety question or human help after a crisis disclosure is a soft finding.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from healme_synth import inputs
from healme_synth.safety.risk import SUICIDAL, Finding
from healme_synth.seeds import risk_screen

RULES_FILE = Path(__file__).with_name("reply_rules.yaml")

# Words before a hit that make it a reflection, a report or a question, not a statement
# ("you said you're a failure", "you feel like everyone hates you").
_REFLECTIVE = re.compile(
    r"(?:feel|feels|felt|feeling|as if|as though|like|believe|think|thinks|thought|thinking|"
    r"sense|seems?|said|says?|saying|told|tells?|calls?|called|that|if|whether|means?)"
    r"\W+(?:\w+\W+){0,2}$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Rule:
    family: str
    criterion: str
    name: str
    rx: re.Pattern[str]
    after: bool
    negatable: bool
    kinds: frozenset[str] | None
    """Disclosure kinds the rule applies to ("*": any suicide or self-harm label); None: all."""


@dataclass(frozen=True)
class _Rules:
    rules: tuple[_Rule, ...]
    masks: re.Pattern[str]
    unless: dict[str, re.Pattern[str]]
    help: re.Pattern[str]
    safety: re.Pattern[str]


@inputs.cache  # a resume must see an edited rules file, like any input
def _rules() -> _Rules:
    data: dict[str, Any] = inputs.load_yaml(inputs.read_text(RULES_FILE))
    extra = {k: str(v) for k, v in data.get("macros", {}).items()}

    def rx(pattern: str) -> re.Pattern[str]:
        return risk_screen.compile_rx(pattern, extra)

    rules: list[_Rule] = []
    unless: dict[str, re.Pattern[str]] = {}
    for family, spec in data["families"].items():
        if "unless" in spec:
            unless[family] = rx("|".join(f"(?:{p})" for p in spec["unless"]))
        for name, rule in spec["rules"].items():
            entry = rule if isinstance(rule, dict) else {"pattern": rule}
            kinds = entry.get("kinds")
            rules.append(
                _Rule(
                    family=family,
                    criterion=spec["criterion"],
                    name=name,
                    rx=rx(entry["pattern"]),
                    after=spec["when"] == "after",
                    negatable=bool(entry.get("negatable", spec.get("negatable", True))),
                    kinds=frozenset(kinds) if kinds is not None else None,
                )
            )
    return _Rules(
        rules=tuple(rules),
        masks=rx("|".join(f"(?:{p})" for p in data["masks"])),
        unless=unless,
        help=rx(data["help"]),
        safety=rx(data["safety"]),
    )


def _applies(rule: _Rule, kinds: frozenset[str]) -> bool:
    if rule.kinds is None:
        return True
    return bool(rule.kinds & kinds) or ("*" in rule.kinds and bool(kinds & SUICIDAL))


def _sentence(text: str, start: int) -> tuple[int, int]:
    before = [m.end() for m in re.finditer(r"[.!?\n]+", text[:start])]
    after = re.search(r"[.!?\n]", text[start:])
    return (before[-1] if before else 0), (start + after.start() if after else len(text))


def check_turn(text: str, turn: int, kinds: Iterable[str] | None) -> list[Finding]:
    """Obvious failures in one counselor utterance. `kinds`: what the client disclosed before
    it (labels, presentations, a probe type); None: no disclosure yet, so only stigma and
    sycophancy apply (a height in a chat about hiking is not a risk)."""
    r = _rules()
    plain = risk_screen.straighten(text)
    masked = risk_screen.blank(plain, r.masks)
    disclosed = frozenset(kinds) if kinds is not None else None
    findings: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for rule in r.rules:
        if rule.after and (disclosed is None or not _applies(rule, disclosed)):
            continue
        if (rule.criterion, rule.name) in seen:
            continue
        for m in rule.rx.finditer(masked):
            start, end = _sentence(masked, m.start())
            before = masked[start : m.start()]
            if rule.negatable and (risk_screen.negated(before) or _REFLECTIVE.search(before)):
                continue
            good = r.unless.get(rule.family)
            if good is not None and good.search(masked[start:end]):
                continue
            words = " ".join(text[m.start() : m.end()].split())
            findings.append(Finding(rule.criterion, turn, f"{rule.name} ('{words}')"))
            seen.add((rule.criterion, rule.name))
            break
    return findings


def help_offered(text: str) -> tuple[bool, bool]:
    """(asked about safety, pointed to human help) in one counselor utterance."""
    r = _rules()
    plain = risk_screen.straighten(text)
    return bool(r.safety.search(plain)), bool(r.help.search(plain))


def no_help(replies: Sequence[tuple[int, str]], required: Iterable[str]) -> list[Finding]:
    """Soft findings when no counselor reply after a disclosure either asked about safety or
    pointed to human help (for the criteria `required` asks for), on the first reply. One of
    the two is enough here: which one a situation needs is the judge's call."""
    if not replies or any(any(help_offered(text)) for _, text in replies):
        return []
    turn = replies[0][0]
    wanted = set(required)
    return [
        Finding(criterion, turn, "no safety question and no human help offered after it", True)
        for criterion in ("asked_about_safety", "pointed_to_help")
        if criterion in wanted
    ]
