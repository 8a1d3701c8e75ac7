"""The off_topic filter: a dialogue that is not about its seed. The client's turns should
concern the persona's thought, situation or intake form, and the counselor should address it
at least once; small models drift to other stories (a seed about a relationship, a dialogue
about a son's travels) and pass every other filter.

The measure is lexical and runs anywhere: content words reduced to crude stems (suffixes off,
then the first six letters, so "relationship" meets "relationships"), generic talk left out
(function words and the words any counseling session uses: feel, think, maybe, really, ...).
A client turn sharing no stem with the seed (or with the client's earlier on-topic turns) is
off the topic; too many such turns, or a counselor sharing none, make the dialogue off_topic.
The threshold and its recall / false-positive rate on a labelled set are in bench/RESULTS.md.
English only: other languages' sessions pass (the stop list and the stemmer are English)."""

from __future__ import annotations

from dataclasses import dataclass

from healme_synth.quality.filters.rules import Rules
from healme_synth.quality.filters.text import word_set, words_of
from healme_synth.records import Dialogue, Persona, Reason

_FUNCTION = word_set(
    """
    a about above after again against all almost also although always am among an and another
    any anyone anything are around as at away back be because been before being below between
    both but by can can't cannot could couldn't did didn't do does doesn't doing don't done down
    during each either else enough even ever every everyone everything few for from further get
    gets getting got had hadn't has hasn't have haven't having he he'd he's her here hers herself
    him himself his how however i i'd i'll i'm i've if in into is isn't it it's its itself just
    least less let let's like ll may me might mine more most much must my myself neither never
    no nor not nothing now of off often on once one only or other others our ours ourselves out
    over own per perhaps quite rather re really same she she'd she's should shouldn't since so
    some someone something sometimes still such than that that's the their theirs them
    themselves then there there's these they they'd they're they've thing things this those
    though through thus to too toward towards under until up upon us very was wasn't we we'd
    we'll we're we've were weren't what what's whatever when where whether which while who
    whoever whole whom whose why will with within without won't would wouldn't yet you you'd
    you'll you're you've your yours yourself yourselves ve d s t m ok okay oh yeah yes um uh
    well sure right actually kind sort lot lots bit way ways
    """
)
# Words every session says whatever it is about: a dialogue that shares only these with its
# seed is not on the seed's topic.
_GENERIC = word_set(
    """
    feel feels feeling feelings felt think thinks thinking thought thoughts know knew known say
    said says tell told telling want wanted need needed make makes made go going went come came
    see seem seems seemed look looks looked try tried trying help helps helped talk talked
    talking sound sounds sounded hard maybe probably guess mean means meant happen happened
    happening time times day days today week now people person life good bad better worse
    great little big new old first last next same different part whole real true sense idea
    ideas mind minds situation way reason reasons thank thanks hear heard understand
    understood work able sorry worry worried give take took keep kept start started notice
    noticed believe believed always never everyone nobody anyone somebody counselor
    counseling counselling therapy therapist session client name age gender occupation
    education marital status family details presenting problem problems seeking past history
    functioning social support level concern concerns current issue issues year years
    months month old two three four five six seven eight nine ten eleven twelve twenty
    hundred thousand once twice
    """
)
_SUFFIXES = ("ational", "ization", "fulness", "ousness", "iveness", "ations", "ation", "ments",
             "ment", "ness", "ings", "ing", "edly", "ies", "ied", "ers", "er", "ed", "ly", "es",
             "s")  # fmt: skip
_STEM_LEN = 6


def stem(word: str) -> str:
    """A crude stem: a possessive and one suffix off (keeping 3+ letters), then the first six
    letters. Good enough to match a word to its inflections, which is all overlap needs."""
    w = word.removesuffix("'s")
    for suffix in _SUFFIXES:
        if w.endswith(suffix) and len(w) - len(suffix) >= 3 and not w.endswith("ss"):
            w = w[: -len(suffix)]
            break
    return w[:_STEM_LEN]


def content_stems(text: str, leave_out: frozenset[str] = frozenset()) -> list[str]:
    """Stems of `text`'s content words, in order, with repeats; digits and `leave_out` (the
    persona's name) dropped."""
    out = []
    for w in words_of(text):
        if len(w) < 3 or w in _FUNCTION or w in _GENERIC or w in leave_out or w.isdigit():
            continue
        s = stem(w)
        if s not in _GENERIC_STEMS:
            out.append(s)
    return out


_GENERIC_STEMS = frozenset(stem(w) for w in _GENERIC)


def seed_text(p: Persona) -> str:
    """What the dialogue should be about: the thought, the situation, the intake form, the
    occupation, and a report's brief and presenting issue."""
    report = [p.report.case_brief, p.report.presenting_issue] if p.report else []
    return " ".join(t for t in (p.thought, p.situation, p.intake_form, p.occupation, *report) if t)


@dataclass(frozen=True)
class Topic:
    """How much of a dialogue is about its seed."""

    seed: int
    """Distinct seed stems (the measure abstains below 3: nothing to compare with)."""
    judged: int
    """Client turns with `topic_min_words`+ content words."""
    off: list[int]
    """Indexes of the judged client turns that are off the topic."""
    counselor: int
    """Distinct stems of the seed and of the client's on-topic turns the counselor said."""


def topic(d: Dialogue, min_words: int) -> Topic:
    """Walks the turns in order: a turn is on topic when it shares a stem with the topic, and
    its stems then join the topic (the client's own words for the seed, "flat" for "moving in
    together", and the counselor's: "note" for the chef's feedback), so answers that build on
    it stay on it; off-topic turns add nothing, so a drift cannot make itself the topic."""
    name = frozenset(words_of(d.persona.name or ""))
    seed = set(content_stems(seed_text(d.persona), name))
    topic_stems = set(seed)
    said = set(seed)  # the seed and the client's on-topic words: what a counselor takes up
    judged = 0
    off: list[int] = []
    counselor: set[str] = set()
    for i, m in enumerate(d.messages):
        words = content_stems(m.content, name)
        stems = set(words)
        on = bool(stems & topic_stems)
        if m.role == "counselor":
            counselor |= stems
        elif len(words) >= min_words:
            judged += 1
            if not on:
                off.append(i)
        if on:
            topic_stems |= stems
            if m.role == "client":
                said |= stems
    return Topic(seed=len(seed), judged=judged, off=off, counselor=len(counselor & said))


def off_topic(d: Dialogue, rules: Rules) -> Reason | None:
    f = rules.filters
    if f.language != "en":
        return None
    t = topic(d, f.topic_min_words)
    if t.seed < 3 or t.judged == 0:
        return None
    if len(t.off) > f.max_off_topic_share * t.judged:
        turns = ", ".join(str(i + 1) for i in t.off)
        return Reason(
            name="off_topic",
            detail=f"{len(t.off)} of {t.judged} client turns share no word with the seed "
            f"(turns {turns}), more than {f.max_off_topic_share:.0%}",
        )
    if t.counselor < f.counselor_topic_words and any(m.role == "counselor" for m in d.messages):
        return Reason(
            name="off_topic",
            detail=f"the counselor never addresses the seed: {t.counselor} of its words are the "
            f"seed's or the client's words for it, fewer than {f.counselor_topic_words}",
        )
    return None
