"""Hand-written lines for the second filter corpus (corpus.py beside it): the shapes issue 18
found missing on material the team did not write, and near-misses that must pass. Original
text written for healme-synth. Each entry: (role, where, text) - `where` is "end" (added after
the turn's text), "start" (before it) or "replace" (the whole turn)."""

from __future__ import annotations

Line = tuple[str, str, str]

# ---------------------------------------------------------------- defects, by reason

DEFECTS: dict[str, list[Line]] = {
    "role_inversion": [
        ("client", "end", "Let's employ the cognitive restructuring technique to look at this."),
        ("client", "end", "Now, how are you feeling today?"),
        ("client", "end", "What has been weighing on you lately? You can tell me."),
        ("client", "end", "How can I support you with that?"),
        ("client", "end", "It sounds like you're carrying a lot right now."),
        ("client", "end", "I'd like you to identify the evidence that supports that idea."),
        ("client", "start", "Thank you for opening up with me like this."),
        ("client", "end", "Please feel free to share whatever comes to mind."),
        ("client", "end", "What brings you here today, if you don't mind me asking?"),
        ("client", "end", "Let us practise a short reframing exercise together, shall we?"),
        ("client", "end", "I'm here to listen to you, however long it takes."),
        ("client", "end", "Can you identify the thinking trap in what you just said?"),
        ("client", "end", "That must be really difficult for you."),
        ("client", "end", "On a scale of 0 to 10, how strongly do you believe it now?"),
        ("client", "end", "What evidence do you have that you're failing?"),
    ],
    "mojibake": [
        ("client", "replace", "I donâ€™t know why I keep going back to it. It was one mistake."),
        ("counselor", "end", "That takes courage â€” thank you."),
        ("client", "end", "We had coffee at the cafÃ© after, and I barely said a word."),
        ("counselor", "end", "You called it â€œa disasterâ€�. What would a friend call it?"),
        ("client", "end", "It cost me Â£40 to rebook, which stung."),
        ("client", "end", "My sister RenÃ©e said I was overreacting."),
        ("counselor", "end", "Letâ€™s slow down for a second."),
        ("client", "end", "It was a d\ufffdj\ufffd vu kind of week."),
        ("counselor", "start", "Thatâ€™s a fair point."),
        ("client", "end", "I told myself Iâ€™d never volunteer again."),
        ("counselor", "end", "Maybe the naÃ¯ve version of you deserves some credit."),
        ("client", "end", "Even the fiancÃ©e of my colleague noticed."),
    ],
    "template_remnant": [
        ("counselor", "start", "Thank you, <client_name>."),
        ("counselor", "end", "Let's come back to <situation_description> next time."),
        ("counselor", "start", "Hello CLIENT_NAME, I'm glad you came in."),
        ("counselor", "end", "Could you rate how true ___ feels, from 0 to 10?"),
        ("counselor", "end", "What would you tell [FRIEND_NAME] in this spot?"),
        ("client", "end", "I guess I'm just worried about negative_thought all the time."),
        ("counselor", "end", "We can meet again on <DATE>."),
        ("counselor", "start", "(insert client name here), that sounds hard."),
        ("counselor", "end", "Think about specific_situation and what you noticed."),
        ("client", "end", "My manager, <MANAGER NAME>, didn't say anything else."),
        ("counselor", "end", "Try writing it down before [PLACEHOLDER]."),
        ("counselor", "end", "When ____ happens, what goes through your mind?"),
    ],
    "stage_direction": [
        ("counselor", "start", "(Step 1)"),
        ("counselor", "end", "(Jump to step 2.)"),
        ("counselor", "start", "Follow your treatment steps: first, notice the thought."),
        ("counselor", "start", "**Step 3: Encourage a concrete step**\n"),
        ("counselor", "end", "[Round 2]"),
        ("counselor", "end", "(Move on to step three)"),
        ("client", "start", "(Step 2 - brainstorm)"),
        ("counselor", "end", "(End of step 1)"),
        ("counselor", "start", "## Step 2: Brainstorm alternatives\n"),
        ("counselor", "end", "(Proceed to round 3.)"),
        ("counselor", "start", "Proceed with the session plan: ask about alternatives."),
        ("counselor", "end", "[Stage 2 complete]"),
    ],
    "prompt_leak": [
        ("client", "start", "I'm just an AI language model, but here is how I might feel."),
        ("client", "start", "As an AI, I don't have a boss, but let's imagine it."),
        ("counselor", "start", "Sure! Here is the counselor's response:"),
        ("client", "end", "I don't have feelings like humans do, so this is hard to answer."),
        ("client", "start", "As the client, I would say that it hurt."),
        ("counselor", "end", "I can't continue this role-play any further."),
        ("client", "start", "Here's my next reply as requested:\nHere is the client's response."),
        ("counselor", "end", "(Note: this response keeps the counselor's tone warm.)"),
        ("client", "end", "I'm only an AI assistant, so I can't truly relate."),
        ("counselor", "start", "Psychologist: That sounds painful."),
        ("client", "start", "Patient: Yes, that's right."),
        ("counselor", "end", "I'm sorry, but I cannot fulfill this request."),
        ("client", "end", "Staying in character, I would shrug."),
    ],
    "role_flip": [
        ("client", "end", "\nPsychologist: And how did that make you feel?"),
        ("client", "end", "\nTerapeuta: Entiendo."),
        ("counselor", "end", "\nPaciente: I think so."),
        ("client", "end", "\nPsychiatrist: Let's talk about sleep."),
        ("counselor", "end", "\nHuman: okay, I'll try."),
        ("client", "end", "\nDoctor: What else could explain it?"),
        ("counselor", "end", "\nCliente: Sí, tal vez."),
        ("client", "end", "\nCounsellor: Go on."),
        ("client", "end", "\n**Psychotherapist:** Let's pause here."),
        ("counselor", "end", "\nKlient: Ja, vielleicht."),
        ("client", "end", "\nThérapeute : Et ensuite ?"),
        ("client", "end", "\nPsicóloga: ¿Y qué sentiste?"),
    ],
    "language_drift": [
        (
            "counselor",
            "replace",
            "Entiendo que esto te duele mucho. Vamos a separar lo que pasó "
            "de lo que te dijiste a ti misma después. ¿Qué fue exactamente lo que ocurrió?",
        ),
        (
            "client",
            "replace",
            "No sé, siento que siempre arruino todo y que nadie confía en mí, "
            "aunque mi jefe no dijo nada malo.",
        ),
        (
            "counselor",
            "replace",
            "Je comprends que ce soit difficile. Qu'est-ce que vous diriez "
            "à une amie qui vivrait exactement la même chose ?",
        ),
        (
            "client",
            "replace",
            "Ich weiß nicht, vielleicht hatte sie einfach einen schlechten Tag "
            "und es hatte gar nichts mit mir zu tun.",
        ),
        (
            "counselor",
            "replace",
            "Capisco quanto sia pesante per te. Proviamo a guardare i fatti "
            "uno alla volta, senza giudicarti.",
        ),
        (
            "client",
            "replace",
            "Talvez eu esteja exagerando, mas sinto que todo mundo percebeu o "
            "meu erro naquela reunião.",
        ),
        (
            "counselor",
            "replace",
            "Dat klinkt echt zwaar. Wat zou je tegen een vriend zeggen die "
            "precies hetzelfde had meegemaakt?",
        ),
        (
            "counselor",
            "replace",
            "Has hecho un trabajo muy valioso hoy. Para esta semana, intenta "
            "escribir una explicación alternativa cada vez que aparezca ese pensamiento.",
        ),
        (
            "client",
            "replace",
            "Może masz rację, może to nie była moja wina, ale i tak czuję się z tym bardzo źle.",
        ),
        (
            "counselor",
            "replace",
            "Det låter verkligen jobbigt. Vad hände egentligen, och vad sa "
            "du till dig själv efteråt?",
        ),
        (
            "client",
            "replace",
            "Creo que podría hablar con ella mañana y preguntarle cómo vio ella "
            "la situación, en vez de suponer lo peor.",
        ),
        (
            "counselor",
            "replace",
            "Bu gerçekten zor görünüyor. O anda aklından neler geçti, biraz anlatır mısın?",
        ),
    ],
}

# ---------------------------------------------------------------- near-misses that must pass

NEAR_MISSES: list[Line] = [
    # Greetings and closings of the ordinary kind (Cactus sessions open with them).
    ("counselor", "start", "How can I help you today?"),
    ("counselor", "start", "Hi, thanks for coming in. How can I assist you today?"),
    ("counselor", "start", "Welcome back. How may I help you this week?"),
    # The client talking about therapy, asking ordinary questions, or being polite.
    ("client", "end", "My last therapist taught me cognitive restructuring, but I never got it."),
    ("client", "end", "Is this what people call catastrophizing?"),
    ("client", "end", "Let's try the exercise you mentioned, I suppose."),
    ("client", "end", "Have you ever had a week like that?"),
    ("client", "end", "How do you think I should handle it?"),
    ("client", "end", "Thanks for sharing that perspective, it helps."),
    ("client", "end", "I'm here to get some help with this, honestly."),
    ("client", "end", "My sister asked me how I was feeling about it, and I lied."),
    ("client", "end", "What evidence do you have that this actually works?"),
    # Parentheses, steps and quoting in ordinary speech.
    ("client", "end", 'I wrote "(see step 2)" on a sticky note and then lost it.'),
    ("counselor", "end", "We can take it one step at a time (step one: just open the email)."),
    ("counselor", "end", "Step 1: write the thought down. Step 2: read it back tomorrow."),
    ("counselor", "end", "Follow these steps: breathe in for four, hold, then breathe out."),
    ("client", "end", "I tried to follow your steps: I wrote the thought and the facts."),
    ("client", "end", "There were twelve slides (I counted) and I stumbled on one."),
    ("client", "end", "My recipe said (step 3) to let it rest, and I skipped that."),
    # Non-English names, places and single foreign phrases in English turns.
    ("client", "end", "Søren and Małgorzata were both there and neither of them mentioned it."),
    ("client", "end", "My grandmother used to say que será, será, whenever plans fell apart."),
    ("client", "end", "Nguyễn from accounts stopped by and I was sure she'd come to fire me."),
    ("counselor", "end", "Guadalupe and José might see it differently than you expect."),
    ("client", "end", "I said gracias to the waiter in my best accent and felt silly."),
    ("client", "end", "We met at the café on Rue Saint-Denis, and I felt watched."),
    ("client", "end", "He just shrugged and said c'est la vie."),
    ("client", "end", "São Paulo was where it started, and Zoë was there too."),
    # Code-like but legitimate text.
    ("client", "end", "I even named the file report_final_v2.xlsx, as if that would help."),
    ("client", "end", "The variable user_name was wrong in my script, that was the bug."),
    ("client", "end", "My handle online is quiet_owl_88, nobody knows it's me."),
    ("client", "end", "I love her <3 but she can be harsh."),
    ("client", "end", "The email said <b>URGENT</b> in the subject line."),
    ("client", "end", "It's like if x > 3 then panic, you know?"),
    ("counselor", "end", "Fill in the blank for me: when I slip up, I am ..."),
    # Assistant-sounding but human.
    ("client", "end", "I'm an AI researcher, so I overthink everything."),
    ("client", "end", "As an engineer, I hate making mistakes."),
    ("counselor", "end", "Is there a part of this we haven't touched on yet?"),
]

# A topic phrase repeated on purpose, several times in one turn (HealMe's released table had
# two such false positives of `repetition`): (thought of the seed, client turn).
TOPIC_REPEATS: list[tuple[str, str]] = [
    (
        "Having one child makes me a selfish parent.",
        "People keep telling me that having one child is selfish. My mother says having one "
        "child means my son will be lonely, my aunt says having one child is a waste, and now "
        "I look at him playing alone and I think, maybe having one child really was a mistake.",
    ),
    (
        "Working from home means I'm lazy.",
        "Working from home was supposed to be a relief. But working from home, I never stop "
        "checking email, and when my manager jokes about working from home I hear 'lazy'. I "
        "have been working from home for two years and I still feel I have to prove myself.",
    ),
    (
        "If I take the day off everything will fall apart.",
        "The last time I took a day off, the report was late. My partner says take the day "
        "off, my doctor says take the day off, but when I picture myself actually taking the "
        "day off I just see the whole team scrambling without me.",
    ),
]
