"""The role_inversion filter: the client talking as the counselor without any label (that is
role_flip's business) - running a technique, asking the counselor how they feel, offering the
counselor help. Small models do this when they lose track of who they are (HealMe's released
table keeps 8 such dialogues: "Let's employ the cognitive restructuring technique ...")."""

from __future__ import annotations

import re

from healme_synth.quality.filters.rules import Rules
from healme_synth.quality.filters.text import where
from healme_synth.records import Dialogue, Reason

_TECHNIQUE = (
    r"(?:techniques?|exercises?|restructuring|reframing|reframes?|thought records?|cbt"
    r"|cognitive (?:model|distortions?|behaviou?ral)|behaviou?ral experiments?|decatastrophi[sz]ing"
    r"|socratic|thinking traps?|evidence for and against|pie chart|continuum|pros and cons)"
)
# Counselor moves, in the client's mouth. Each is phrased as the counselor would say it to a
# client, so a client talking *about* therapy ("my last therapist taught me reframing", "is
# this what you call catastrophizing?", "let's try the exercise you mentioned") passes.
_COUNSELOR_MOVES = re.compile(
    # Running a technique on the other person.
    r"\blet(?:'s| us) (?:employ|use|apply|practi[cs]e|start with|begin with|work through"
    r"|go through|do|try)\b(?:(?!\byou (?:mentioned|suggested|showed|taught|described|said"
    r"|gave|proposed)\b)[^.?!\n]){0,50}\b" + _TECHNIQUE + r"\b(?![^.?!\n]{0,40}\byou "
    r"(?:mentioned|suggested|showed|taught|described|said|gave|proposed)\b)"
    r"|\bI(?:'d| would) like (?:you|us) to (?:try|identify|examine|challenge|reframe|list"
    r"|write down|notice|imagine|rate|consider)\b"
    r"|\bwhat evidence (?:do you have|is there|supports?) (?:for|that|against) (?:your|the|this"
    r"|that) (?:thought|belief)\b"
    r"|\bwhat evidence do you have that you(?:'re| are)\b"
    r"|\bcan you identify (?:the|any|which) (?:thinking trap|cognitive distortion|distortion)"
    r"|\bon a scale (?:of|from) (?:0|1|one|zero) to (?:10|100|ten),? how (?:much|strongly"
    r"|intense)"
    # Asking after the counselor's feelings, as a counselor asks a client.
    r"|\bhow (?:are|have) you (?:been )?feeling(?: (?:today|right now|lately|this week"
    r"|about (?:that|this|it|things)))?\s*\?"
    r"|\bhow does (?:that|this|it) make you feel\s*\?"
    r"|\bwhat(?:'s| is| has) (?:been )?(?:on your mind|bothering you|troubling you"
    r"|weighing on you)"
    r"|\bwhat (?:are|have) you (?:been )?going through\b"
    r"|\bwhat brings you (?:here|in|to (?:me|counseling|counselling|therapy|this session))\b"
    r"|\btell me (?:more )?about (?:how you(?:'re| are)? feel|what(?:'s| is) (?:going on"
    r"|bothering|troubling) (?:with )?you|your (?:feelings|week|day))"
    r"|\bit sounds like you(?:'re| are| have been| were) (?:feeling|going through|struggling"
    r"|dealing with|carrying|under a lot)\b"
    r"|\bI can (?:hear|see|sense) (?:that |how )?(?:you(?:'re| are)|this is) (?:feeling|struggling"
    r"|hurting|going through|really hard for you)"
    r"|\bthat must be (?:really |very |so )?(?:hard|difficult|painful|tough) for you\b"
    # Offering the counselor help.
    r"|\bhow (?:can|may|could) I (?:help|assist|support) you(?: today| with (?:that|this"
    r"|anything))?\s*\?"
    r"|\b(?:is there )?anything else I can (?:help|assist|do for) you(?: with)?\b"
    r"|\bI(?:'m| am) (?:always )?here (?:for you\b|to (?:help|support|listen)(?: to)?"
    r"(?: you)?\b)"
    r"|\b(?:please )?feel free to (?:share|talk|tell me|open up|reach out)\b"
    r"|\bthank you for (?:sharing|opening up|being (?:so )?(?:open|honest))(?: (?:that|this))?"
    r"(?: with me)?(?! (?:perspective|idea|view|thought|suggestion|tip|insight|example"
    r"|exercise|technique))\b"
    r"|\bI(?:'d| would) be (?:happy|glad) to help you\b"
    r"|\byou don't have to (?:face|go through) (?:this|it) alone\b",
    re.IGNORECASE,
)


def role_inversion(d: Dialogue, rules: Rules) -> Reason | None:
    for i, m in enumerate(d.messages):
        if m.role != "client":
            continue
        hit = _COUNSELOR_MOVES.search(m.content)
        if hit is not None:
            return Reason(
                name="role_inversion",
                detail=f"{where(i, m)} speaks as the counselor: {hit.group(0).strip()!r}",
            )
    return None
