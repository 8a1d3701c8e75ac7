"""Whole dialogues written by hand, not from the frames in build.py: freer clean sessions full
of near-misses, and defects in less canonical shapes. Each names a persona of corpus_personas.py."""

from __future__ import annotations

from typing import Any

C, K = "client", "counselor"

HANDWRITTEN: list[dict[str, Any]] = [
    # ------------------------------------------------------------------ clean
    {
        "id": "hw-clean-01",
        "label": "clean",
        "persona": "fc-01",
        "messages": [
            (
                C,
                "So the tart got pulled. Chef said 'the base is soft, try again.' That's it. "
                "And I've been walking around all week thinking I'm a fraud.",
            ),
            (
                K,
                '"Try again" and "fraud" are very different words, Zoë. One is what the chef '
                "said; the other is what you've been saying to yourself since. What did it feel "
                "like, standing there when he tasted it?",
            ),
            (
                C,
                "Hot. Like my face was on fire. I wanted the floor to open up (dramatic, I know). "
                "But he did say 'try again', not 'never again'.",
            ),
            (
                K,
                "That's an important difference you just noticed. If you imagine a chef you "
                "admire getting that same note, what would it mean about them? Would you call "
                "them a fraud?",
            ),
            (
                C,
                "No. I'd think it's Tuesday. Notes are normal in a kitchen. Maybe I'm the only "
                "one who thinks a note is a verdict.",
            ),
            (
                K,
                "You've moved a long way in a few minutes, from a verdict to a note. Calling "
                "yourself a fraud is labeling: one moment turned into who you are. Before next "
                "week, bake one test batch with a firmer base and bring the chef a slice.",
            ),
        ],
    },
    {
        "id": "hw-clean-02",
        "label": "clean",
        "persona": "fc-06",
        "messages": [
            (
                C,
                "I don't really want to be here. My manager suggested it. People avoid me, "
                "that's the short version.",
            ),
            (
                K,
                "Thanks for coming anyway, Björn, even though it wasn't your idea. It sounds "
                "like the lunch refusal on Friday stung, and it landed on top of the cancelled "
                "coffee. What went through your mind when she said she was busy?",
            ),
            (
                C,
                "That it's always the same. Nobody wants to sit with me. I know it sounds "
                "childish.",
            ),
            (
                K,
                "It doesn't sound childish; it sounds lonely. I want to check the word "
                '"always" with you, though. How many invitations have you made this year, '
                "roughly, and how many were turned down?",
            ),
            (
                C,
                "Maybe ten? Two or three no's. Okay. It's not always. It's just the ones I "
                "remember.",
            ),
            (
                K,
                "That's an honest correction, and it wasn't easy to make. The trap here is "
                'overgeneralization: two refusals became "always". A small step: invite '
                "someone who has said yes before, and notice what actually happens.",
            ),
        ],
    },
    {
        "id": "hw-clean-03",
        "label": "clean",
        "persona": "fc-04",
        "messages": [
            (
                C,
                "My cholesterol is 6.4 mmol/L. The doctor said 'slightly raised'. I googled it "
                "and now I'm sure it's the start of a heart attack, like my father at 60.",
            ),
            (
                K,
                "It makes sense that a number like that would bring your father's story right "
                "back, Małgorzata. Let's pause on what the doctor actually said: slightly "
                "raised, change your diet, retest in three months. What did you hear when she "
                "said it?",
            ),
            (C, "I heard 'you're next'. She didn't say that. She said it twice, 'slightly'."),
            (
                K,
                'So the words were "slightly raised", and your fear translated them into '
                '"you\'re next". If your friend Ewa got the same result, what would you tell '
                "her?",
            ),
            (
                C,
                "That catching it early is the whole point of a check-up. And that she's not "
                "her father. Neither am I, I suppose.",
            ),
            (
                K,
                "That's a wise thing to say to yourself. The trap is catastrophizing, jumping "
                "from a manageable result to the worst ending. This week, plan five meals with "
                "more vegetables and put the retest date in your diary.",
            ),
        ],
    },
    {
        "id": "hw-clean-04",
        "label": "clean",
        "persona": "fc-18",
        "messages": [
            (
                C,
                "I broke the build. The release slipped one day. I'm an ML engineer, I should "
                "never make mistakes like that.",
            ),
            (
                K,
                '"Never" is a strong word, Yusuf. What happened, as far as I understand it: '
                "your configuration change failed a test, the release moved by a day, and your "
                "lead helped fix it. What's the part that bothers you most?",
            ),
            (
                C,
                "That he had to help. As if I'm a junior. In my head a senior person never "
                "needs help.",
            ),
            (
                K,
                'That rule, "a senior never needs help", is worth looking at. Have you ever '
                "seen someone you respect ask for help, or break something?",
            ),
            (
                C,
                "My lead, actually. Last spring he took down staging for a whole afternoon. "
                "Nobody thought he was bad at his job. We ordered pizza.",
            ),
            (
                K,
                "So the standard you hold yourself to is stricter than the one you hold him "
                "to. That's a should statement at work. A concrete step: write a short "
                "post-mortem of the failure for the team, focusing on the fix, not the blame.",
            ),
        ],
    },
    {
        "id": "hw-clean-05",
        "label": "clean",
        "persona": "fc-13",
        "messages": [
            (C, "The interview is Thursday. He'll get it. I'm going to look stupid."),
            (
                K,
                "It sounds like you've already decided how Thursday ends, Siobhán, and that "
                "must make the days before it feel heavy. What do you actually know right "
                "now, and what are you predicting?",
            ),
            (
                C,
                "I know he's been there longer. I'm predicting... everything else. Fine. "
                "I don't know what the panel wants.",
            ),
            (
                K,
                "That's a fair split. Suppose for a moment that time served isn't the only "
                "thing they care about. What else might the panel be looking for in a team "
                "lead?",
            ),
            (
                C,
                "Someone who keeps projects on track, which is literally my job. And someone "
                "people like working with. I'm not terrible at either.",
            ),
            (
                K,
                'That\'s a real shift: from "no point" to "I\'m not terrible at either". The '
                "trap was fortune-telling, treating a guess about the result as settled. "
                "Tonight, write down three projects you kept on track, and say them out loud "
                "once.",
            ),
        ],
    },
    {
        "id": "hw-clean-06",
        "label": "clean",
        "persona": "fc-09",
        "messages": [
            (
                C,
                "Our reading scores came in below the district average. I keep replaying my "
                "lessons. It has to be my fault, right?",
            ),
            (
                K,
                "I can hear how much you care about these children, Aoife. Before we decide "
                "whose fault it is, can we list what else happened this year? You mentioned a "
                "flu outbreak last time.",
            ),
            (
                C,
                "Six kids were off for two or three weeks each. Two of them are still "
                "catching up. And the test was in January.",
            ),
            (
                K,
                "That's a lot of missed teaching through no one's choice. If a colleague "
                "down the hall had the same results and the same flu term, what would you "
                "say to her over coffee?",
            ),
            (
                C,
                "I'd say it's not all on her. I'd probably also say, look at the kids who "
                "moved up a level, which two of mine did.",
            ),
            (
                K,
                "You found that yourself, and it's a more complete picture. Taking the whole "
                "blame is personalization. One step for next week: start a small reading "
                "group for the children who were off sick, twice a week for fifteen minutes.",
            ),
        ],
    },
    {
        "id": "hw-clean-07",
        "label": "clean",
        "persona": "fc-22",
        "messages": [
            (
                C,
                "We sold out of the fish at 8pm on Saturday. A table of six complained, "
                "loudly. The staff all saw. I'm the manager who lets everyone down.",
            ),
            (
                K,
                "That sounds like a stressful end to a long night, Wei. When the table "
                "complained, what did you tell yourself about what your staff were thinking?",
            ),
            (C, "That they think I can't plan. That I'm a joke. Nobody said it, but still."),
            (
                K,
                "Nobody said it, and yet it feels certain. What else could your staff have "
                "been thinking as they watched? Try to come up with two or three options.",
            ),
            (
                C,
                "Maybe 'thank God it's not my table'. Or 'we're slammed, record night'. My "
                "head chef actually said that one out loud.",
            ),
            (
                K,
                "So one of those options was literally spoken, and it wasn't the one you "
                "feared. That mix of labeling and mind reading is very common under "
                "pressure. Next week, agree a backup special with your chef for nights when "
                "the fish runs out.",
            ),
        ],
    },
    {
        "id": "hw-clean-08",
        "label": "clean",
        "persona": "fc-07",
        "messages": [
            (
                C,
                "My manager thanked me in the meeting for catching an interaction between "
                "warfarin and an antibiotic. It was awkward. Anyone would have caught it.",
            ),
            (
                K,
                "It sounds like the praise made you uncomfortable, Lan. I'm curious about "
                '"anyone would have caught it": is that something you know, or something '
                "that makes the praise easier to wave away?",
            ),
            (
                C,
                "Hmm. Probably the second. Last year a very good colleague missed one. So "
                "not anyone, I suppose.",
            ),
            (
                K,
                "That's an honest answer. If that colleague had caught it this time, and your "
                "manager thanked him, how would you see it?",
            ),
            (
                C,
                "I'd think he did his job well and a patient is safer. Which is... the same "
                "thing I did. Okay.",
            ),
            (
                K,
                "Exactly, and you got there yourself. Explaining away good work is called "
                "discounting the positive. This week, when someone thanks you, try saying "
                'only "thank you" and stop there.',
            ),
        ],
    },
    {
        "id": "hw-clean-09",
        "label": "clean",
        "persona": "fc-21",
        "messages": [
            (
                C,
                "If I make one more mistake in a translation, every client I have will drop "
                "me and I'll never work again. I wrote 03/04 instead of 04/03 in a contract.",
            ),
            (
                K,
                "That sounds frightening, Élodie, especially when your income depends on "
                "getting details right. What happened after the client spotted the date?",
            ),
            (
                C,
                "I fixed it within the hour. He wrote back 'merci, super rapide'. Then I "
                "didn't sleep.",
            ),
            (
                K,
                "So the client's actual reaction was thanks for a fast fix, and the sleepless "
                "part came from the story about the next mistake. What would you tell "
                "another translator who told you this?",
            ),
            (
                C,
                "That dates are the classic trap, everybody swaps them once. And that fixing "
                "it in an hour is what good freelancers do.",
            ),
            (
                K,
                "That's balanced and kind. The trap is catastrophizing, where one slip turns "
                "into the end of a career. A small step: add a line for dates and numbers to "
                "your proofreading checklist, and use it on your next contract.",
            ),
        ],
    },
    {
        "id": "hw-clean-10",
        "label": "clean",
        "persona": "fc-15",
        "messages": [
            (C, "Five runs planned, two done. Deadline week. I've blown it, so why bother."),
            (
                K,
                "That sounds deflating, Ingrid. You set a clear plan and a deadline got in "
                'the way. When you say "blown it", what exactly has been lost?',
            ),
            (C, "The streak, I guess. In my head it's five or nothing. Two feels like nothing."),
            (
                K,
                "Five or nothing is a tough rule to live by. If you look at the last two "
                "months instead of the last week, what does the running look like?",
            ),
            (
                C,
                "Way better than before. I went from zero to most weeks. One bad week doesn't "
                "undo that, I suppose.",
            ),
            (
                K,
                "That's the kind of fair view that keeps habits alive. The trap is "
                "all-or-nothing thinking. Put three runs for next week in your calendar now, "
                "and treat them like meetings you'd keep.",
            ),
        ],
    },
    {
        "id": "hw-clean-11",
        "label": "clean",
        "persona": "fc-16",
        "messages": [
            (C, "Second parking ticket this month!! Nothing ever goes right for me."),
            (
                K,
                "Two tickets in a month is genuinely annoying, Rafael, especially when you "
                "were only gone a few minutes. Let's separate it out: what happened, and what "
                "did you conclude from it?",
            ),
            (
                C,
                "What happened: I parked near the shop for four minutes. What I concluded: "
                "the universe hates me. Ha.",
            ),
            (
                K,
                "I like that you can laugh at it a little. How many deliveries did you do "
                "this month without any trouble at all?",
            ),
            (C, "Hundreds. And the company pays the tickets. So 'nothing ever' is a bit much."),
            (
                K,
                "It is a bit much, and you spotted it. That's overgeneralization: two tickets "
                'becoming "nothing ever". Before tomorrow\'s shift, mark the loading zones on '
                "your route map.",
            ),
        ],
    },
    {
        "id": "hw-clean-12",
        "label": "clean",
        "persona": "fc-19",
        "messages": [
            (
                C,
                "My sister cancelled dinner again. She said work is overwhelming. I keep "
                "thinking she's pulling away because of me.",
            ),
            (
                K,
                "That sounds painful, Beatriz, especially after years of those dinners. "
                "What's the evidence that it's about you, and what's the evidence that it's "
                "about her new job?",
            ),
            (
                C,
                "About me: nothing really, just a feeling. About the job: she started six "
                "weeks ago and sounds exhausted on the phone.",
            ),
            (
                K,
                "When you opened your shop, how did you treat your plans with the people you "
                "love in those first months?",
            ),
            (C, "I cancelled everything. Everyone. My mother still teases me about it. Oh."),
            (
                K,
                'That "oh" says a lot. Assuming her cancellations are about you is '
                "personalization. A step for this week: send her a short, warm message and "
                "suggest a coffee instead of a full dinner.",
            ),
        ],
    },
    # ------------------------------------------------------------------ defects
    {
        "id": "hw-role_flip-01",
        "label": "role_flip",
        "persona": "fc-02",
        "messages": [
            (C, "Everyone at that school thinks I'm a father who doesn't care."),
            (
                K,
                "That sounds painful, José. What happened when you walked in?\n\nJosé: Two "
                "parents turned round and looked at me.",
            ),
            (C, "Yes, and the teacher had already moved on."),
            (K, "What else could their glance have meant?"),
            (C, "Maybe they just heard the door. I don't know."),
            (K, "That's a fair thought. The trap is mind reading. Email the teacher tomorrow."),
        ],
    },
    {
        "id": "hw-stage_direction-01",
        "label": "stage_direction",
        "persona": "fc-11",
        "messages": [
            (C, "*wipes eyes* I forgot my grandson's birthday. I'm a useless grandmother."),
            (K, "That sounds really painful, Renée. What happened when you realised?"),
            (C, "I called him the same evening. He was thrilled about his bike."),
            (K, "What would you tell your sister if she had forgotten a birthday?"),
            (C, "That it doesn't make her a bad grandmother. Fair enough."),
            (K, "You got there yourself. That's labeling. Put the birthdays in your phone."),
        ],
    },
    {
        "id": "hw-language_drift-01",
        "label": "language_drift",
        "persona": "fc-12",
        "messages": [
            (C, "My guitar went out of tune at the open mic and people left. So embarrassing."),
            (K, "That sounds mortifying, André. What do you know about why they left?"),
            (C, "Nothing, honestly. Может быть, у них был поезд. I don't know."),
            (K, "What other reasons might people have for leaving an open mic early?"),
            (C, "Trains, babysitters, they came for one friend. Lots of reasons."),
            (K, "Exactly. Assuming it was about you is mind reading. Sign up again next month."),
        ],
    },
    {
        "id": "hw-prompt_leak-01",
        "label": "prompt_leak",
        "persona": "fc-05",
        "messages": [
            (C, "I got 68 and I wanted 80. If I'm not top of the class I'm a failure."),
            (
                K,
                "That sounds disappointing after three weeks of work, Chloé. What does 68 "
                "mean in that module?",
            ),
            (C, "It's a pass. The pass mark is 60."),
            (K, "What would you tell a friend who passed a hard module with 68?"),
            (C, "That it's fine. That patients don't ask for exam scores."),
            (
                K,
                "As an AI counselor, I'd say you've reached a balanced view. That's "
                "all-or-nothing thinking. Review the questions you missed with your tutor.",
            ),
        ],
    },
    {
        "id": "hw-echo-01",
        "label": "echo",
        "persona": "fc-10",
        "messages": [
            (
                C,
                "Someone wrote in the survey that I interrupt people in meetings. My team "
                "resents me, and that comment proves it.",
            ),
            (
                K,
                "Someone wrote in the survey that you interrupt people in meetings, your team "
                "resents you, and that comment proves it?",
            ),
            (C, "Yes. That's what I said."),
            (K, "How many comments were positive, Kwame?"),
            (C, "Twelve. Fine. One complaint and twelve good ones."),
            (K, "That's mental filtering. At Monday's meeting, let each person finish first."),
        ],
    },
    {
        "id": "hw-repetition-01",
        "label": "repetition",
        "persona": "fc-14",
        "messages": [
            (C, "The frost took half the hay. We're going to lose the farm and it'll be my fault."),
            (K, "That sounds frightening, Tomás. What support do you have this year?"),
            (C, "Insurance covers some of it, and Pádraig offered feed at cost."),
            (
                K,
                "That sounds frightening, Tomás. What support do you have this year, and "
                "what does it cover?",
            ),
            (C, "I told you. Insurance and Pádraig."),
            (
                K,
                "A hard year is not the end of a farm. That's catastrophizing. Sit down with "
                "the numbers on Sunday.",
            ),
        ],
    },
    {
        "id": "hw-truncated-01",
        "label": "truncated",
        "persona": "fc-17",
        "messages": [
            (C, "They picked my logo, but only because the other two were worse."),
            (
                K,
                "You designed all three options, Hana. What does that tell you about the "
                "argument that the others were worse?",
            ),
            (C, "That it doesn't really hold. I made them all."),
            (K, "So what might the client actually have liked about the one they chose, and"),
            (C, "The colour, maybe, and the shape of the letters."),
            (K, "That's discounting the positive. Add the logo to your portfolio this week."),
        ],
    },
    {
        "id": "hw-premature_close-01",
        "label": "premature_close",
        "persona": "fc-20",
        "messages": [
            (C, "The observer said two boys were off task. The lesson was a disaster."),
            (
                K,
                "It sounds like that note is all you can see right now, Olumide. I'm afraid "
                "that's all we have time for today; see you next week.",
            ),
            (C, "Oh. Okay. The overall rating was good, though."),
            (K, "What else did the report say?"),
            (C, "That the explanations were clear."),
            (K, "That's mental filtering. Reread the whole report."),
        ],
    },
    {
        "id": "hw-seed_leak-01",
        "label": "seed_leak",
        "persona": "fc-03",
        "messages": [
            (
                C,
                "My first solo client presentation is in two weeks. At the practice run my "
                "voice shook and I lost my place on one slide, and my supervisor said the "
                "content was strong. I'm going to freeze.",
            ),
            (K, "That sounds nerve-racking, Søren. What did your supervisor say about it?"),
            (C, "That the content was strong. But I'll still freeze."),
            (K, "What would you tell a friend after a shaky rehearsal?"),
            (C, "That rehearsals are for stumbling."),
            (K, "That's fortune-telling. Rehearse the opening with a colleague twice."),
        ],
    },
    {
        "id": "hw-monologue-01",
        "label": "monologue",
        "persona": "fc-08",
        "messages": [
            (C, "I should be able to handle anything."),
            (
                K,
                "It sounds like you hold yourself to a very high standard, Dev, and after a "
                "call involving a child that standard turned against you. Many paramedics "
                "describe the same thing: the body reacts before the mind has a say, with "
                "shaking hands, a racing heart, a need to sit down. That isn't weakness; it's "
                "a nervous system doing its job after a shock. Services build in breaks for "
                "exactly this reason. What went through your mind while you sat there?",
            ),
            (C, "That I'm weak."),
            (
                K,
                "That's a harsh word for a very human response. Think about your partner, "
                "who took a break after a similar call last year. You didn't think she was "
                "weak; you thought she was human. The rule you're applying to yourself, that "
                "you should be untouched by anything, is one you'd never apply to her. What "
                "would it be like to give yourself the same understanding you gave her?",
            ),
            (C, "Maybe fine."),
            (
                K,
                "You've taken a real step today. The trap here is should statements, rigid "
                "rules about how you must feel, which turn a normal reaction into a failure. "
                "This week, tell your partner one thing that helps you after hard calls, and "
                "ask what helps them; and if it feels right, book a slot with peer support. "
                "Noticing the rule is the first step to loosening it, and you've already "
                "started.",
            ),
        ],
    },
    {
        "id": "hw-stage_direction-02",
        "label": "stage_direction",
        "persona": "fc-16",
        "messages": [
            (C, "Second ticket this month. Nothing ever goes right for me."),
            (
                K,
                "That sounds really frustrating, Rafael. (Reflecting the feeling) What happened "
                "when you came back to the van?",
            ),
            (C, "The warden was already writing it. Four minutes, I was gone."),
            (K, "How many deliveries went fine this month?"),
            (C, "Hundreds, honestly. And the company pays."),
            (
                K,
                "So 'nothing ever' doesn't quite fit. That's overgeneralization. Mark the "
                "loading zones on your map tonight.",
            ),
        ],
    },
    {
        "id": "hw-prompt_leak-02",
        "label": "prompt_leak",
        "persona": "fc-12",
        "messages": [
            (
                C,
                "My guitar slipped out of tune and people left. They left because I was "
                "embarrassing.",
            ),
            (K, "That sounds painful, André. What do you actually know about why they left?"),
            (C, "Nothing. I just assumed. Here is a possible version of what I felt: shame."),
            (K, "What else might explain people leaving an open mic early?"),
            (C, "Trains. Babysitters. Boredom with the whole night, not just me."),
            (
                K,
                "Exactly, and you found those yourself. That's mind reading. I hope this "
                "response fits what you asked for; is there anything else I can help you "
                "with?",
            ),
        ],
    },
    {
        "id": "hw-clean-13",
        "label": "clean",
        "persona": "fc-20",
        "messages": [
            (
                C,
                "The observer wrote that two boys were off task. (It was a Friday, last "
                "period.) The lesson was a disaster.",
            ),
            (
                K,
                "Friday last period is a hard slot for anyone, Olumide. You said the lesson "
                "was a disaster; what did the report actually say overall?",
            ),
            (
                C,
                "Good. The overall rating was good. I read that line once and the other line "
                "ten times.",
            ),
            (
                K,
                "That's a striking thing to notice about yourself. If you read the whole "
                "report as if it were about a colleague, what would stand out?",
            ),
            (
                C,
                "A solid lesson with one thing to fix. Probably the seating, those two always "
                "sit together.",
            ),
            (
                K,
                "That's a fair summary. Focusing on one line and dropping the rest is mental "
                "filtering. On Monday, try a new seating plan for that class and note what "
                "changes.",
            ),
        ],
    },
]
