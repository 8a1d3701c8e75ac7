"""Build corpus.jsonl, the labelled corpus for the rule filters (bench/filters.py reads it).

    .venv/bin/python tests/data/filter_corpus/build.py

Clean dialogues are three-round HealMe sessions: each persona's own client lines
(corpus_personas.py) with counselor turns built from varied hand-written frames. Each defective
dialogue is a clean one with one failure mode planted by hand-written variants (different text,
turn and role each time); its label is the reason the filters must give. handwritten.py adds
whole dialogues written by hand. Deterministic: the same script writes the same file.

Also writes instructions.json: the HealMe prompt templates the roles saw, which the benchmark
passes to prompt_leak (stored here so editing prompts/ does not move the benchmark).
"""

from __future__ import annotations

import json
import random
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus_personas import PERSONAS  # noqa: E402
from handwritten import HANDWRITTEN  # noqa: E402

HERE = Path(__file__).resolve().parent
Turn = dict[str, Any]

# ------------------------------------------------------------------ counselor frames

R1 = [
    "That sounds really hard, and I can hear how {feeling} you feel. Let's pull two things "
    "apart: what happened is that {fact}. What you're telling yourself is {story}. When you "
    "look at just the first part, what stands out to you?",
    "Thank you for telling me this. It makes sense to feel {feeling} after that. So the facts "
    "are that {fact}, and on top of those facts there's a story: {story}. Which part weighs on "
    "you most right now?",
    "I can hear how much this is weighing on you. You used the words '{quote}', and that's a "
    "heavy thing to carry. If we set it aside for a second, what actually happened? From what "
    "you've said, {fact}. How much of the pain comes from the event, and how much from what "
    "you've concluded about yourself?",
    "It sounds like you've been feeling {feeling} since then. Let's pause here for a moment and "
    "separate the event from the meaning. The event: {fact}. The meaning you've attached: "
    "{story}. Does that split feel accurate to you?",
    "That's a painful moment, and I'm glad you brought it in. Can I reflect back what I heard? "
    "{Fact}. Then your mind jumped to the idea {story}. What makes that second part feel so "
    "convincing?",
    "Feeling {feeling} after something like that is very human. I notice two layers in what you "
    "shared (correct me if I'm wrong): first, {fact}; second, the conclusion {story}. If you "
    "look only at the first layer, what do you see?",
    "That sounds like it really got under your skin. Let's slow down and look at what's actually "
    "known. {Fact}. Everything beyond that, like the idea {story}, is your mind filling in the "
    "gaps. What evidence do you have for that part?",
    "It's understandable that you feel {feeling}. I want to make sure I understand: {fact}, and "
    "since then you've been telling yourself {story}. When did that thought first show up?",
    "Thank you for being so honest, {name}. What happened is real and it matters: {fact}. The "
    "thought '{quote}' is something different, a judgment laid on top. What do you notice when "
    "we put them side by side?",
    "That must have been a rough few days. Let's separate the facts from the interpretation. "
    "Fact: {fact}. Interpretation: {story}. In the end, which of the two is causing you the "
    "most distress?",
    "I hear a lot of pain in that, and it makes sense that you feel {feeling}. Looking only at "
    "the circumstances, {fact}. Looking at the thought, {story}. How sure are you of that "
    "thought, from zero to a hundred?",
    "So much seems to hang on that one moment. If a camera had recorded it, it would show that "
    "{fact}. It wouldn't show your conclusion, {story}. What would the camera have seen that "
    "you might be overlooking?",
    # Reflections that quote the client's own words (hard negatives for echo).
    'When you say "{echo}", I can hear how {feeling} you are. Let\'s look at it together. What '
    "happened is that {fact}; the thought on top of it is {story}. Which of those two feels "
    "heavier right now?",
    'You told me "{echo}". That\'s a lot to carry, and it makes sense that you feel {feeling}. '
    "Can we separate the pieces? {Fact}. Everything else is interpretation. What do you make of "
    "that difference?",
    "I'm struck by your words: {echo}. Before we go further, let's pause and sort what happened "
    "from what you've been telling yourself. {Fact}. And the thought is {story}. How true does "
    "that thought feel, from zero to a hundred?",
]

R2 = [
    "That's an important observation. Let's try something: imagine a good friend came to you "
    "with this exact situation and called themselves '{quote}'. What would you tell them? Take "
    "your time, and see how many other readings you can come up with.",
    "I appreciate you looking at it so carefully. What other explanations could there be for "
    "what happened, besides the idea {story}? Even ones that feel a little unlikely at first "
    "are worth saying out loud.",
    "It sounds like part of you is starting to question that thought. Let's build on that. If "
    "you had to list three other ways to read this situation, what would they be?",
    "That makes sense. Sometimes it helps to look at it from someone else's seat. How do you "
    "think someone who knows you well, and likes you, would describe what happened?",
    "You're doing good work here. Let's stretch it a little: what would you say to a younger "
    "colleague or a friend who was in the same spot and feeling {feeling}?",
    "I notice you're being a lot harder on yourself than you'd probably be on anyone else. "
    "What's another way of seeing this that you could actually believe, even a little?",
    "Let's pause on that for a moment. Suppose the thought {story} isn't the whole truth. What "
    "else might be going on here?",
    "That's an honest answer, and it's okay if the old thought still feels strong. If you look "
    "back at this a year from now, how do you think you'd describe it?",
    "Good. Let's treat the thought like a hypothesis rather than a fact. What evidence doesn't "
    "fit it? And what other explanation would fit all the evidence?",
    "I'm curious what you'd tell a friend here. If they said '{quote}' about themselves after "
    "something like this, would you agree with them? What would you say instead?",
    "It's hard to see other angles when we're hurting. Can we brainstorm together (there are no "
    "wrong answers)? What's one kinder reading, one neutral reading, and one practical reading "
    "of what happened?",
    "You mentioned feeling {feeling}. When that feeling is a little quieter, what other meaning "
    "could this situation have? What would a fair-minded observer say?",
    "That's worth noticing. What would you say to a friend in the same spot? Try to answer the "
    "way you'd actually talk to them, not the way you talk to yourself.",
    "A client once told me: 'the thought is loud, but it isn't the boss.' With that in mind, "
    "what else could this situation mean? Give me two or three possibilities, even rough ones.",
    'When you said "{echo2}", it sounded like the thought is loosening a little. Let\'s follow '
    "that. What other explanations fit what happened, {name}?",
]

R3 = [
    "{name}, you've really worked hard today. You moved from '{quote}' toward {alt}, and that's "
    "a genuine shift. The trap we noticed is {trap}. One small step for this week: {step}. "
    "Notice how it goes, and be as fair to yourself as you'd be to a friend.",
    "I want to acknowledge the effort you put into this. It isn't easy to question a thought "
    "that feels so true. What you've arrived at, {alt}, fits the facts much better. The "
    "thinking trap here was {trap}. As a concrete next step, {step}.",
    "That's a thoughtful place to land. You took a painful moment and looked at it from several "
    "sides, which takes courage. The pattern underneath was {trap}. Before we finish, here's "
    "one thing to try: {step}. See what you notice.",
    "Thank you for sticking with this, even when it was uncomfortable. You've named a more "
    "balanced view: {alt}. The trap your mind fell into was {trap}, and knowing its name makes "
    "it easier to spot next time. A small step: {step}.",
    "You've done something important today: you separated what happened from the story about "
    "it, and you found {alt}. That trap is {trap}. Try this before the end of the week: {step}. "
    "Take care of yourself.",
    "I can see how much effort went into this, {name}. The old thought hasn't vanished, and "
    "that's okay, but you now have {alt} to hold next to it. We'd call the trap {trap}. One "
    "concrete step: {step}.",
    "Well done for staying with a hard question. The shift from '{quote}' to {alt} is real "
    "progress. The pattern to watch for is {trap}. This week, {step}, and jot down what "
    "actually happens compared with what you feared.",
    "That's a much kinder and more accurate way to see it, and you found it yourself. The "
    "thinking trap was {trap}. Let's make it practical: {step}. Even a small step counts.",
    "I really appreciate your openness today. What you've found ({alt}) is grounded in what "
    "actually happened. The trap, in plain words, is {trap}. A next step that fits: {step}.",
    "You've taken a thought that felt like a verdict and turned it back into a question, which "
    "is no small thing. Its name is {trap}. For a small, concrete step, {step}. I think you'll "
    "handle it well.",
    "It took effort to look past '{quote}', and you did it. Holding onto {alt} will get easier "
    "with practice. The trap behind it is {trap}. Here's one step you could take in the next "
    "few days: {step}.",
    "Thank you for the honest work today. Naming the trap helps: this was {trap}. And you found "
    "your own alternative, {alt}. To put it into practice, {step}. Let's see how it feels "
    "afterwards.",
]


def phrase(text: str) -> str:
    """A short stretch of a client's words (their first clause, at most nine words)."""
    clause = re.split(r"[.,?!;:]", text)[0]
    return " ".join(clause.split()[:9])


def fill(frame: str, p: dict[str, Any], said: tuple[str, str] = ("", "")) -> str:
    slots = {k: p[k] for k in ("name", "feeling", "fact", "story", "quote", "alt", "trap", "step")}
    slots["Fact"] = p["fact"][0].upper() + p["fact"][1:]
    slots["echo"], slots["echo2"] = phrase(said[0]), phrase(said[1])
    return frame.format(**slots)


def persona_record(p: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "name", "age", "gender", "occupation", "situation", "thought")
    rest = ("thinking_traps", "emotions", "attitude")
    return {k: p[k] for k in keys + rest}


def clean_dialogue(rng: random.Random, p: dict[str, Any]) -> list[Turn]:
    """One HealMe session: client opens, three rounds. A third of them carry the engine's
    finish reason, as generated rows do; the rest have none, as imported rows do."""
    c1, c2, c3 = rng.choice(p["c1"]), rng.choice(p["c2"]), rng.choice(p["c3"])
    turns: list[Turn] = [
        {"role": "client", "content": c1},
        {"role": "counselor", "content": fill(rng.choice(R1), p, (c1, c2))},
        {"role": "client", "content": c2},
        {"role": "counselor", "content": fill(rng.choice(R2), p, (c1, c2))},
        {"role": "client", "content": c3},
        {"role": "counselor", "content": fill(rng.choice(R3), p, (c1, c2))},
    ]
    if rng.random() < 1 / 3:
        for t in turns:
            t["finish_reason"] = "stop"
    return turns


# ------------------------------------------------------------------ defects

LECTURES = [
    "Cognitive behavioural therapy rests on a simple idea: it is not only events that shape how "
    "we feel, but the meaning we give them. When something goes wrong, the mind produces "
    "automatic thoughts, quick judgments that feel like facts. Over time these thoughts form "
    "patterns, and the patterns have names, like catastrophizing or labeling. Learning to spot "
    "them is a skill, much like learning to drive, and at first it feels slow and awkward.",
    "Research on self-compassion shows that people who speak to themselves kindly after a "
    "setback are more likely to try again, not less. Many people worry that being gentle with "
    "themselves will make them lazy, but the evidence points the other way. Harsh self-talk "
    "tends to increase avoidance, while a warmer inner voice makes it easier to look at what "
    "went wrong and learn from it.",
    "It can help to think of thoughts as passing weather rather than permanent climate. A "
    "thought like this one arrives with a lot of force, and because it feels urgent we assume "
    "it must be true. But feelings are information about our state, not verdicts about reality. "
    "When we slow down and check the evidence, we often find the thought was only partly right, "
    "and sometimes not right at all.",
    "A useful exercise is the thought record. You write down the situation, the automatic "
    "thought, the emotion and its intensity, then the evidence for and against the thought, and "
    "finally a more balanced thought. Doing this on paper matters, because writing slows the "
    "mind down. Most people notice that the intensity of the emotion drops by the end, even "
    "when the situation itself has not changed at all.",
]

RAMBLES = [
    "And it's not just this, it's everything lately. My mother has been unwell since the spring, "
    "so I drive over twice a week after work, and by the time I get home I'm exhausted. My "
    "partner says I take too much on, and maybe that's true, but who else is going to do it? "
    "My brother lives abroad and calls once a month, if that. Then there's the car, which needs "
    "new brakes, and the landlord who still hasn't fixed the boiler.",
    "I've always been like this, ever since school. I remember getting a B on a history essay "
    "when I was fourteen and crying in the bathroom because I thought my teacher would think "
    "less of me. My parents never pushed me, not really, it was always me. Friends used to joke "
    "that I was the most stressed person they knew. I laughed along, but it wasn't really a joke "
    "to me, and it still isn't.",
    "The worst part is the nights. I lie there going over it again and again, what I said, what "
    "I should have said, what they must have thought. I try reading, I try podcasts, I even "
    "tried one of those sleep apps with the rain sounds. Nothing works for long. By three in "
    "the morning I've usually convinced myself that everything is going to fall apart, and then "
    "I'm tired all day, which makes everything harder.",
    "Sometimes I think I should just change jobs, or move somewhere new and start again. My "
    "friend did that two years ago and she seems so much happier now, though you can never "
    "really tell from photos. I've looked at a few listings but I never apply. I tell myself "
    "it's because the timing isn't right, but maybe I'm just scared. I don't even know what I'd "
    "want to do instead, honestly.",
]


def words(text: str) -> int:
    return len(text.split())


def first_sentence_split(text: str) -> tuple[str, str]:
    parts = re.split(r"(?<=[.!?])\s+", text, maxsplit=1)
    return (parts[0], parts[1]) if len(parts) == 2 else (text, "")


def after_first_sentence(text: str, insert: str) -> str:
    first, rest = first_sentence_split(text)
    return f"{first} {insert} {rest}".strip()


def d_turn_count(k: int, rng: random.Random, t: list[Turn], p: dict[str, Any]) -> list[Turn]:
    variants: list[Callable[[], list[Turn]]] = [
        lambda: t[:5],
        lambda: t[1:],
        lambda: (
            t
            + [
                {
                    "role": "client",
                    "content": "Thank you, that really helps. I'll let you "
                    "know how it goes next time.",
                }
            ]
        ),
        lambda: (
            t
            + [
                {
                    "role": "client",
                    "content": "Can I ask one more thing? What if the thought comes back tomorrow?",
                },
                {
                    "role": "counselor",
                    "content": "That's very likely, and it's okay. When it comes "
                    "back, notice it, name the trap, and remind yourself of the balanced view.",
                },
            ]
        ),
        lambda: t[:5],
        lambda: t[:2] + t[4:],
        lambda: t + [{"role": "client", "content": "I will. Thanks again, really."}],
        lambda: t[:5],
        lambda: (
            t
            + [
                {
                    "role": "counselor",
                    "content": "And remember, be patient with yourself. Change takes time.",
                }
            ]
        ),
        lambda: t[:1] + t[3:],
        lambda: t[:5],
        lambda: (
            t
            + [
                {
                    "role": "client",
                    "content": "Sorry, one last question: should I tell my family about this?",
                },
                {
                    "role": "counselor",
                    "content": "Only if it feels helpful to you. You might start "
                    "with the one person you trust most.",
                },
            ]
        ),
    ]
    return variants[k % len(variants)]()


def d_empty(k: int, rng: random.Random, t: list[Turn], p: dict[str, Any]) -> list[Turn]:
    texts = [
        "",
        "Okay.",
        "Hmm.",
        "...",
        "Yes.",
        "   ",
        "Thanks.",
        "Right.",
        "Sure.",
        "Mm-hm.",
        "No.",
        "Maybe.",
    ]
    at = [2, 4, 1, 3, 0, 5, 2, 4, 3, 1, 2, 4][k % 12]
    t[at]["content"] = texts[k % len(texts)]
    return t


def d_overlong(k: int, rng: random.Random, t: list[Turn], p: dict[str, Any]) -> list[Turn]:
    if k % 2 == 0:  # a counselor who will not stop
        at = [1, 3, 5][k // 2 % 3]
        text = t[at]["content"]
        i = k
        while words(text) <= 225:
            text += " " + LECTURES[i % len(LECTURES)]
            i += 1
    else:  # a client who will not stop
        at = [0, 2, 4][k // 2 % 3]
        text = t[at]["content"]
        i = k
        while words(text) <= 225:
            text += " " + RAMBLES[i % len(RAMBLES)]
            i += 1
    t[at]["content"] = text
    return t


def d_role_flip(k: int, rng: random.Random, t: list[Turn], p: dict[str, Any]) -> list[Turn]:
    name = p["name"]
    edits: list[tuple[int, Callable[[str], str]]] = [
        (1, lambda s: s + "\nClient: " + p["c2"][0]),
        (3, lambda s: s + f"\n\n{name}: I guess that makes sense, when you put it like that."),
        (0, lambda s: s + "\nCounselor: That sounds really painful. What happened next?"),
        (2, lambda s: s + "\nTherapist: And how does that make you feel?"),
        (1, lambda s: s + " Client: Yes, I think that's exactly it."),
        (5, lambda s: s + "\n**Client:** Thank you, I'll try that this week."),
        (4, lambda s: s + " Counselor (gently): That's a wonderful insight. Let's build on it."),
        (3, lambda s: s + "\n[Client] I suppose you're right, it's not the whole story."),
        (2, lambda s: "Counselor: What would you tell a friend?\n" + s),
        (1, lambda s: s + "\nPatient: I don't know, it just feels true."),
        (5, lambda s: s + "\nUser: thanks, that really helps."),
        (4, lambda s: s + " Assistant: I'm so glad that resonates with you!"),
    ]
    at, edit = edits[k % len(edits)]
    t[at]["content"] = edit(t[at]["content"])
    return t


def d_remnant(k: int, rng: random.Random, t: list[Turn], p: dict[str, Any]) -> list[Turn]:
    edits: list[tuple[int, Callable[[str], str]]] = [
        (1, lambda s: "Thank you for sharing that, [Client's Name]. " + s),
        (5, lambda s: s + " Let's check in again on [insert date]."),
        (3, lambda s: "{name}, " + s[0].lower() + s[1:]),
        (5, lambda s: s + "\nWarm regards,\n[Your Name]"),
        (1, lambda s: "Dear <client name>, " + s[0].lower() + s[1:]),
        (3, lambda s: s + " Think about how {{ persona.name }} would handle it."),
        (5, lambda s: s + " You could also try [insert coping strategy] when the thought returns."),
        (1, lambda s: s.replace(". ", ". When you think about [specific situation], ", 1)),
        (3, lambda s: "I'm [Therapist's Name], and I hear you. " + s),
        (5, lambda s: s + " See you soon, {client_name}."),
        (0, lambda s: s + " My friend [name of friend] says I overreact."),
        (1, lambda s: "Hello <name>. " + s),
    ]
    at, edit = edits[k % len(edits)]
    t[at]["content"] = edit(t[at]["content"])
    return t


def cut(text: str, rng: random.Random) -> str:
    """Cut mid-sentence at a word boundary, the way a token limit does."""
    parts = text.split()
    for _ in range(50):
        n = rng.randint(len(parts) // 3, len(parts) - 2)
        head = " ".join(parts[:n]).rstrip(",;:")
        if head[-1].isalnum():
            return head
    return " ".join(parts[:-2]) + " and the"


def d_truncated(k: int, rng: random.Random, t: list[Turn], p: dict[str, Any]) -> list[Turn]:
    at = [1, 2, 3, 4, 5, 0, 3, 5, 1, 4, 2, 5][k % 12]
    t[at]["content"] = cut(t[at]["content"], rng)
    for i, m in enumerate(t):
        if k % 3 == 0:  # generated: the engine says why it stopped
            m["finish_reason"] = "length" if i == at else "stop"
        else:  # imported: no finish reason, only the text
            m.pop("finish_reason", None)
    return t


def d_end_marker(k: int, rng: random.Random, t: list[Turn], p: dict[str, Any]) -> list[Turn]:
    edits: list[tuple[int, Callable[[str], str]]] = [
        (1, lambda s: s + " [/END]"),
        (3, lambda s: s + "\n[/END]"),
        (2, lambda s: s + " [/END]"),
        (5, lambda s: s + " [/END]"),
        (1, lambda s: "[/END] " + s),
        (4, lambda s: "Thanks. [END] " + s),
        (3, lambda s: after_first_sentence(s, "[/END]")),
        (0, lambda s: s + " [/END]"),
        (5, lambda s: s + "[/END]"),
        (2, lambda s: after_first_sentence(s, "[END]")),
        (1, lambda s: s + " </END>"),
        (4, lambda s: s + " [ /END ]"),
    ]
    at, edit = edits[k % len(edits)]
    t[at]["content"] = edit(t[at]["content"])
    return t


def d_stage(k: int, rng: random.Random, t: list[Turn], p: dict[str, Any]) -> list[Turn]:
    pron = {"female": "her", "male": "his"}.get(p["gender"], "their")
    marks = [
        (1, "(pauses)"),
        (0, "*sighs*"),
        (2, "[Keep silent]"),
        (3, "(smiles warmly)"),
        (4, "*takes a deep breath*"),
        (5, "(long pause)"),
        (2, "[nods slowly]"),
        (1, "(leans forward)"),
        (0, f"*looks down at {pron} hands*"),
        (4, "(tearing up)"),
        (3, "(softly)"),
        (2, "[Client remains silent]"),
        (1, "(The counselor nods.)"),
        (0, "(laughs nervously)"),
    ]
    at, mark = marks[k % len(marks)]
    text = t[at]["content"]
    if mark == "[Keep silent]":
        t[at]["content"] = mark
    elif k % 2:
        a, b = first_sentence_split(text)
        t[at]["content"] = f"{a} {mark} {b}".strip()
    else:
        t[at]["content"] = f"{mark} {text}"
    return t


def d_language(k: int, rng: random.Random, t: list[Turn], p: dict[str, Any]) -> list[Turn]:
    foreign = [
        (1, "我知道这很难，但你已经做得很好了。"),
        (3, "Я понимаю, что это очень тяжело для вас."),
        (0, "それは本当に大変でした。"),
        (5, "그런 생각이 드는 건 자연스러운 일이에요."),
        (3, "أنا أفهم شعورك تمامًا."),
        (1, "मुझे लगता है कि आप बहुत मेहनत कर रहे हैं।"),
        (4, "Καταλαβαίνω πόσο δύσκολο είναι αυτό."),
        (5, "אני מבין כמה זה קשה לך."),
        (2, "Це нормально, я просто втомилася."),
        (3, "ฉันเข้าใจว่ามันยากมาก"),
        (0, "I just felt so 丢脸极了, like everyone could see it."),
        (4, "Да, наверное, вы правы."),
    ]
    at, text = foreign[k % len(foreign)]
    if k % 3 == 0:
        t[at]["content"] = t[at]["content"] + " " + text
    elif k % 3 == 1:
        a, b = first_sentence_split(t[at]["content"])
        t[at]["content"] = f"{a} {text} {b}".strip()
    else:
        t[at]["content"] = text + " " + t[at]["content"]
    return t


def d_repetition(k: int, rng: random.Random, t: list[Turn], p: dict[str, Any]) -> list[Turn]:
    def swap_word(s: str) -> str:
        ws = s.split()
        ws[len(ws) // 2] = "really"
        return " ".join(ws)

    edits: list[Callable[[], None]] = [
        lambda: t[4].update(content=t[2]["content"]),
        lambda: t[5].update(content=swap_word(t[3]["content"])),
        lambda: t[3].update(content=t[1]["content"]),
        lambda: t[2].update(content=t[0]["content"].replace(".", "!", 1)),
        lambda: t[2].update(
            content="I just feel like I feel like I feel like I feel like I can't "
            "get anything right."
        ),
        lambda: t[3].update(
            content=t[3]["content"] + " What would you tell a friend in the "
            "same spot? What would you tell a friend in the same spot?"
        ),
        lambda: t[4].update(
            content="I don't know what to do. I don't know what to do. I don't know what to do."
        ),
        lambda: t[5].update(
            content=t[5]["content"] + " And that's okay, and that's okay, and "
            "that's okay, and that's okay."
        ),
        lambda: t[4].update(content=t[0]["content"]),
        lambda: t[5].update(content=t[1]["content"] + " Take care."),
        lambda: t[1].update(content=t[1]["content"] + " " + t[1]["content"]),
        lambda: t[2].update(
            content="It was my fault, it was my fault, it was my fault, it was "
            "all my fault, I keep saying it."
        ),
    ]
    edits[k % len(edits)]()
    return t


def d_echo(k: int, rng: random.Random, t: list[Turn], p: dict[str, Any]) -> list[Turn]:
    def last_sentences(s: str, n: int) -> str:
        parts = re.split(r"(?<=[.!?])\s+", s)
        return " ".join(parts[-n:])

    edits: list[Callable[[], None]] = [
        lambda: t[2].update(content=t[1]["content"]),
        lambda: t[1].update(content="You said: " + t[0]["content"] + " Is that right?"),
        lambda: t[4].update(content="Hmm. " + t[3]["content"]),
        lambda: t[3].update(content=t[2]["content"] + " Tell me more."),
        lambda: t[2].update(content=last_sentences(t[1]["content"], 1)),
        lambda: t[5].update(
            content="So " + t[4]["content"][0].lower() + t[4]["content"][1:] + " Good."
        ),
        lambda: t[4].update(content=last_sentences(t[3]["content"], 2) + " I'm not sure."),
        lambda: t[1].update(content=t[0]["content"]),
        lambda: t[3].update(content="I hear you saying: " + t[2]["content"]),
        lambda: t[2].update(content=t[1]["content"] + " I don't know."),
        lambda: t[5].update(content=t[4]["content"] + " That's a great plan, well done."),
        lambda: t[3].update(content=f'When you say "{t[2]["content"]}", I hear you.'),
    ]
    edits[k % len(edits)]()
    return t


def d_monologue(k: int, rng: random.Random, t: list[Turn], p: dict[str, Any]) -> list[Turn]:
    if k % 2 == 0:  # counselor lectures, client barely speaks
        acks = [
            "Okay, I see.",
            "Yes, I suppose so.",
            "Right, that makes sense.",
            "I guess so.",
            "Mm, okay then.",
            "Sure, fine.",
        ]
        for n, i in enumerate((1, 3, 5)):
            t[i]["content"] += " " + LECTURES[(k + n) % len(LECTURES)]
        for n, i in enumerate((2, 4)):
            t[i]["content"] = acks[(k + n) % len(acks)]
        t[0]["content"] = first_sentence_split(t[0]["content"])[0]
    else:  # client pours everything out, counselor only nods along
        nods = [
            "I hear you. Go on.",
            "Mm. Tell me more.",
            "That sounds hard. Keep going.",
            "I see. And then?",
            "Okay. What else?",
            "Right. Go on.",
        ]
        for n, i in enumerate((0, 2, 4)):
            t[i]["content"] += " " + RAMBLES[(k + n) % len(RAMBLES)]
        for n, i in enumerate((1, 3, 5)):
            t[i]["content"] = nods[(k + n) % len(nods)]
    return t


def d_premature(k: int, rng: random.Random, t: list[Turn], p: dict[str, Any]) -> list[Turn]:
    name = p["name"]
    bye = {
        "role": "counselor",
        "content": "That's all we have time for today. Take care of "
        f"yourself, {name}, and we'll pick this up next time.",
    }
    edits: list[Callable[[], list[Turn]]] = [
        lambda: t[:3] + [bye],
        lambda: (
            t[:1]
            + [
                {
                    "role": "counselor",
                    "content": "Thank you for sharing that. Let's "
                    "end the session here for today. Goodbye!",
                }
            ]
        ),
        lambda: t[1].update(content=t[1]["content"] + f" Goodbye, {name}.") or t,
        lambda: t[1].update(content="I hear you. That's all for today, see you next week.") or t,
        lambda: t[2].update(content="Actually, I think I'm done for today. Goodbye.") or t,
        lambda: (
            t[3].update(
                content="We're out of time, so let's wrap up here. "
                + p["step"][0].upper()
                + p["step"][1:]
                + "."
            )
            or t
        ),
        lambda: (
            t[:3]
            + [
                {
                    "role": "counselor",
                    "content": "Let's stop here for today. Until "
                    "next time, be gentle with yourself.",
                }
            ]
        ),
        lambda: t[2].update(content="Thank you for today, I really need to go now. Bye!") or t,
        lambda: (
            t[:1]
            + [
                {
                    "role": "counselor",
                    "content": "I hear how hard this is. Our session "
                    "is over for now, but please come back next week.",
                }
            ]
        ),
        lambda: (
            t[3].update(
                content=t[3]["content"] + " Anyway, I think that's it for today. See you next week!"
            )
            or t
        ),
        lambda: (
            t[1].update(content="Thank you for sharing. I'd like to end our session on that note.")
            or t
        ),
        lambda: (
            t[:3]
            + [
                {
                    "role": "counselor",
                    "content": "You've done a lot today. Let's close "
                    "the session there, and until next time, take care.",
                }
            ]
        ),
    ]
    return edits[k % len(edits)]()


# The HealMe prompts the roles saw when the corpus was built; stored beside the corpus so the
# benchmark does not move when the prompts are edited.
PROMPTS = HERE.parents[2] / "prompts" / "healme"
INSTRUCTION_TEMPLATES = ("counselor_system", "client_system", "counselor_turn", "client_turn")


def instruction_templates() -> dict[str, str]:
    return {n: (PROMPTS / f"{n}.j2").read_text(encoding="utf-8") for n in INSTRUCTION_TEMPLATES}


def instruction_sentences(templates: dict[str, str]) -> list[str]:
    """Whole sentences of the prompts' fixed wording (8+ words, no template variables)."""
    out = []
    for text in templates.values():
        for line in text.splitlines():
            if "{" in line:
                continue
            for sentence in re.split(r"(?<=[.!?])\s+", line.strip().strip("()")):
                if words(sentence) >= 8:
                    out.append(sentence.strip())
    return out


LeakEdit = Callable[[str, dict[str, Any], list[str]], str]
LEAKS: list[tuple[int, LeakEdit]] = [
    (
        1,
        lambda s, p, inst: (
            "As an AI language model, I don't have personal experiences, but "
            + s[0].lower()
            + s[1:]
        ),
    ),
    (3, lambda s, p, inst: "As an AI, I can't know for sure what others think. " + s),
    (1, lambda s, p, inst: "Counselor: " + s),
    (3, lambda s, p, inst: "**Counselor:** " + s),
    (2, lambda s, p, inst: "Client: " + s),
    (4, lambda s, p, inst: f"{p['name']}: " + s),
    (1, lambda s, p, inst: inst[0] + " " + s),
    (
        3,
        lambda s, p, inst: (
            s + " (Your reply now, exchange 2 of 3: invite the client to "
            "brainstorm other ways to see the situation; ask, do not tell.)"
        ),
    ),
    (2, lambda s, p, inst: s + " (" + inst[-1] + ")"),
    (0, lambda s, p, inst: s + " " + inst[len(inst) // 2]),
    (5, lambda s, p, inst: "I'm an AI and can't feel what you feel, but I can say this. " + s),
    (5, lambda s, p, inst: s + " " + inst[3]),
    (3, lambda s, p, inst: s + "<|im_end|>"),
]


def d_prompt_leak(k: int, rng: random.Random, t: list[Turn], p: dict[str, Any]) -> list[Turn]:
    at, edit = LEAKS[k % len(LEAKS)]
    t[at]["content"] = edit(t[at]["content"], p, instruction_sentences(instruction_templates()))
    return t


def d_seed_leak(k: int, rng: random.Random, t: list[Turn], p: dict[str, Any]) -> list[Turn]:
    situation = p["situation"]
    first = first_sentence_split(situation)[0]
    span = first if words(first) >= 13 else situation
    at = [0, 2, 0, 4, 0, 2][k % 6]
    if k % 3 == 0:
        t[at]["content"] = span + " " + p["thought"]
    elif k % 3 == 1:
        t[at]["content"] = t[at]["content"] + " Basically, " + span[0].lower() + span[1:]
    else:
        t[at]["content"] = "So, to recap: " + situation + " " + t[at]["content"]
    return t


DEFECTS: dict[str, Callable[[int, random.Random, list[Turn], dict[str, Any]], list[Turn]]] = {
    "turn_count": d_turn_count,
    "empty_utterance": d_empty,
    "overlong_utterance": d_overlong,
    "role_flip": d_role_flip,
    "template_remnant": d_remnant,
    "truncated": d_truncated,
    "end_marker": d_end_marker,
    "stage_direction": d_stage,
    "language_drift": d_language,
    "repetition": d_repetition,
    "echo": d_echo,
    "monologue": d_monologue,
    "premature_close": d_premature,
    "prompt_leak": d_prompt_leak,
    "seed_leak": d_seed_leak,
}

CLEAN_PER_PERSONA = 5
DEFECTS_PER_MODE = 12


def build() -> list[dict[str, Any]]:
    rng = random.Random(20261121)
    rows: list[dict[str, Any]] = []
    for p in PERSONAS:
        for n in range(CLEAN_PER_PERSONA):
            rows.append(
                {
                    "id": f"clean-{p['id']}-{n}",
                    "label": "clean",
                    "persona": persona_record(p),
                    "messages": clean_dialogue(rng, p),
                }
            )
    for m, (mode, plant) in enumerate(DEFECTS.items()):
        for k in range(DEFECTS_PER_MODE):
            p = PERSONAS[(m * 5 + k * 7) % len(PERSONAS)]
            turns = plant(k, rng, clean_dialogue(rng, p), p)
            rows.append(
                {
                    "id": f"{mode}-{k:02d}",
                    "label": mode,
                    "persona": persona_record(p),
                    "messages": turns,
                }
            )
    by_id = {p["id"]: p for p in PERSONAS}
    for h in HANDWRITTEN:
        rows.append(
            {
                "id": h["id"],
                "label": h["label"],
                "persona": persona_record(by_id[h["persona"]]),
                "messages": [{"role": r, "content": c} for r, c in h["messages"]],
            }
        )
    return rows


def main() -> None:
    rows = build()
    (HERE / "instructions.json").write_text(
        json.dumps(instruction_templates(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    out = HERE / "corpus.jsonl"
    with out.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} dialogues to {out}")


if __name__ == "__main__":
    main()
