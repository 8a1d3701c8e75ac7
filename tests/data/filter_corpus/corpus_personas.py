"""Hand-written material for the filter corpus: personas and the lines each side says.

Each persona carries its own client lines (two variants per round) and the pieces a counselor
reflects back (what happened, the story told about it, an alternative, the trap, a step).
Original text written for healme-synth; adults only; no crisis content. Several entries hold
hard negatives on purpose: non-ASCII names and words, parentheses in ordinary use, "pause" and
"end" in ordinary words, a thought longer than the seed-leak span stated verbatim, "as an AI
engineer", "said goodbye", emoji.
"""

from __future__ import annotations

from typing import Any

PERSONAS: list[dict[str, Any]] = [
    {
        "id": "fc-01",
        "name": "Zoë",
        "age": 31,
        "gender": "female",
        "occupation": "pastry chef",
        "situation": "Zoë's new lemon tart recipe was left off the weekend menu after the head "
        "chef tasted it. He said the base was too soft and asked her to try again next week.",
        "thought": "I'm a fraud who got this job by luck.",
        "thinking_traps": ["labeling"],
        "emotions": [{"name": "ashamed", "intensity": 70}, {"name": "anxious", "intensity": 55}],
        "attitude": "neutral",
        "c1": [
            "I keep thinking I'm a fraud who got this job by luck. My tart didn't make the weekend "
            "menu, and the chef said the base was too soft. Everyone in that kitchen is better "
            "than me.",
            "Honestly? I feel like a fraud. I made a new lemon tart, the chef tried one slice and "
            "said the base needed work, and it got pulled. I went home and couldn't sleep.",
        ],
        "c2": [
            "A friend... I'd probably tell her that one soft base doesn't erase years of "
            "training. But it feels different when it's me. I don't know.",
            "Maybe he asked me to try again because he thinks it's worth fixing? He doesn't "
            "usually bother with ideas he hates, now that I think about it.",
        ],
        "c3": [
            "I guess the recipe needs work, not me. I can test a firmer base on Tuesday before the "
            "tasting and see what he says.",
            "Okay. It stings, but a note on a tart isn't a note on who I am. I'll try the base "
            "with less butter (and blind-bake it a bit longer).",
        ],
        "fact": "your new tart was held back from the weekend menu and the chef asked you to "
        "rework the base",
        "story": "that this proves you're a fraud who only got the job by luck",
        "feeling": "stung",
        "quote": "a fraud",
        "alt": "the idea that the chef sees the recipe as worth fixing",
        "trap": "labeling, where one piece of feedback becomes a label for your whole self",
        "step": "bake one test batch with a firmer base before Tuesday and ask the chef for one "
        "specific note",
    },
    {
        "id": "fc-02",
        "name": "José",
        "age": 44,
        "gender": "male",
        "occupation": "electrician",
        "situation": "At his daughter's parent-teacher evening José arrived twenty minutes late "
        "because a job ran over. The teacher had already moved on to the next family, and two "
        "other parents glanced at him when he walked in.",
        "thought": "Everyone there thinks I'm a father who doesn't care.",
        "thinking_traps": ["mind_reading"],
        "emotions": [{"name": "embarrassed", "intensity": 65}, {"name": "guilty", "intensity": 60}],
        "attitude": "negative",
        "c1": [
            "Everyone there thinks I'm a father who doesn't care. I walked into my daughter's "
            "parent-teacher evening twenty minutes late, and the other parents stared at me.",
            "I got to the school late because a job ran over, and by the time I arrived the "
            "teacher was with another family. Two parents looked at me. I know what they were "
            "thinking.",
        ],
        "c2": [
            "Look, I know what you're doing. But people do judge. Maybe some of them were just "
            "looking at the door because it opened. I can't know that, fine.",
            "If it was my brother, I'd say half those parents have been late to something. I "
            "still think they noticed, though.",
        ],
        "c3": [
            "Fine, I don't actually know what they thought. I can email the teacher and ask for "
            "ten minutes on the phone instead.",
            "Maybe the glance meant nothing. I'm not fully convinced, but I'll call the teacher "
            "this week and get what I missed.",
        ],
        "fact": "you arrived twenty minutes late because a job ran over, and two parents looked "
        "over when you came in",
        "story": "that every parent in the room decided you don't care about your daughter",
        "feeling": "judged",
        "quote": "a father who doesn't care",
        "alt": "the possibility that a glance at an opening door is just a glance",
        "trap": "mind reading, where we treat a guess about other people's thoughts as a fact",
        "step": "email the teacher tomorrow and ask for a short phone call about what you missed",
    },
    {
        "id": "fc-03",
        "name": "Søren",
        "age": 27,
        "gender": "male",
        "occupation": "junior architect",
        "situation": "Søren's first solo client presentation is in two weeks. At the practice run "
        "his voice shook and he lost his place on one slide, and his supervisor said the content "
        "was strong.",
        "thought": "I'm going to freeze in front of the client and the firm will lose the account.",
        "thinking_traps": ["fortune_telling", "catastrophizing"],
        "emotions": [{"name": "anxious", "intensity": 80}],
        "attitude": "positive",
        "c1": [
            "I'm going to freeze in front of the client and the firm will lose the account. At the "
            "practice run my voice shook and I lost my place on a slide. It's in two weeks.",
            "I have my first presentation on my own in two weeks, and the rehearsal went badly. "
            "My voice was shaking. I just know I'm going to freeze when it counts.",
        ],
        "c2": [
            "If a friend said that, I'd remind him it was a rehearsal, and rehearsals are where "
            "you're supposed to stumble. Also my supervisor said the content was strong.",
            "Maybe the shaking was just nerves from doing it the first time. I could practise "
            "more, and the client cares about the design more than my voice.",
        ],
        "c3": [
            "I think I can accept that a shaky rehearsal doesn't predict the real thing. I'll do "
            "two more run-throughs with a colleague.",
            "Yes, that helps. I'll practise the opening out loud every morning this week, so the "
            "first minute feels automatic. 🙂",
        ],
        "fact": "your voice shook and you lost your place on one slide in a practice run, and "
        "your supervisor said the content was strong",
        "story": "that you'll freeze on the day and lose the firm the account",
        "feeling": "anxious",
        "quote": "I'm going to freeze",
        "alt": "the view that a rehearsal is where stumbles are supposed to happen",
        "trap": "fortune-telling, where the mind predicts the worst and treats it as certain",
        "step": "rehearse the first two minutes out loud with one colleague twice this week",
    },
    {
        "id": "fc-04",
        "name": "Małgorzata",
        "age": 58,
        "gender": "female",
        "occupation": "school librarian",
        "situation": "Małgorzata's annual blood test showed slightly raised cholesterol. Her "
        "doctor suggested changing her diet and retesting in three months.",
        "thought": "This is the start of a heart attack and I'll end up like my father.",
        "thinking_traps": ["catastrophizing"],
        "emotions": [{"name": "scared", "intensity": 75}],
        "attitude": "neutral",
        "c1": [
            "My cholesterol came back a bit high and now I can't stop thinking this is the start "
            "of a heart attack. My father had one at sixty. I'll end up like him.",
            "The doctor said 'slightly raised' and told me to change my diet, but all I hear is "
            "my father's story. I lie awake at night thinking about it.",
        ],
        "c2": [
            "I suppose the doctor wasn't worried, or she would have done more than suggest a "
            "diet. But doctors miss things, don't they?",
            "If my friend Ewa told me this, I'd say: you caught it early, that's the point of a "
            "check-up. It's harder to say that to myself.",
        ],
        "c3": [
            "Maybe catching it early is actually good news. I can plan meals for the week and go "
            "back for the test in three months.",
            "I think I can hold both: it's worth taking seriously, and it's not an emergency. "
            "I'll start with swapping butter for olive oil.",
        ],
        "fact": "your blood test showed slightly raised cholesterol and your doctor suggested a "
        "diet change and a retest in three months",
        "story": "that this is the beginning of a heart attack, like your father's",
        "feeling": "frightened",
        "quote": "the start of a heart attack",
        "alt": "the view that catching it early is exactly what a check-up is for",
        "trap": "catastrophizing, where a manageable problem gets pictured as the worst outcome",
        "step": "write a simple meal plan for next week and book the retest date now",
    },
    {
        "id": "fc-05",
        "name": "Chloé",
        "age": 22,
        "gender": "female",
        "occupation": "nursing student",
        "situation": "Chloé scored 68 percent on a pharmacology exam, where the pass mark was 60 "
        "and she had hoped for 80. She had studied every evening for three weeks.",
        "thought": "If I'm not top of the class, I'm a failure as a nurse.",
        "thinking_traps": ["all_or_nothing"],
        "emotions": [{"name": "disappointed", "intensity": 70}],
        "attitude": "positive",
        "c1": [
            "I got 68 on my pharmacology exam. I passed, but I wanted 80, and I keep thinking "
            "that if I'm not top of the class I'm a failure as a nurse.",
            "I studied every single evening for three weeks and got a 68. The pass mark is 60. "
            "It feels like all that work was for nothing.",
        ],
        "c2": [
            "I'd tell a friend that 68 is a pass and pharmacology is one of the hardest modules. "
            "And that patients don't ask for your exam score.",
            "Maybe 68 means I understand most of it and have a few gaps to fill. That's "
            "different from being a failure, I guess.",
        ],
        "c3": [
            "Okay, I can see that it's a pass with room to grow, not a verdict. I'll go over the "
            "questions I missed with my tutor.",
            "I think 'good enough to pass and still learning' is fair. I'll make flashcards for "
            "the drug classes I got wrong.",
        ],
        "fact": "you passed the exam with 68 after hoping for 80, following three weeks of "
        "evening study",
        "story": "that anything short of the top makes you a failure as a nurse",
        "feeling": "disappointed",
        "quote": "a failure",
        "alt": "the view that a pass with gaps is a normal step in learning",
        "trap": "all-or-nothing thinking, where anything less than perfect counts as failure",
        "step": "spend half an hour with your tutor on the three questions you missed",
    },
    {
        "id": "fc-06",
        "name": "Björn",
        "age": 36,
        "gender": "male",
        "occupation": "software tester",
        "situation": "Björn asked a colleague to join him for lunch on Friday and she said she was "
        "busy. Earlier that month another colleague cancelled coffee plans with him.",
        "thought": "People always find a way to avoid me.",
        "thinking_traps": ["overgeneralization"],
        "emotions": [{"name": "lonely", "intensity": 70}, {"name": "hurt", "intensity": 55}],
        "attitude": "negative",
        "c1": [
            "People always find a way to avoid me. I asked someone to lunch on Friday and she "
            "was 'busy'. Two weeks ago someone else cancelled coffee. It's a pattern.",
            "It happened again. I invited a colleague to lunch, she said she was busy. Before "
            "that, coffee got cancelled. Why do I even bother?",
        ],
        "c2": [
            "I don't see the point of this exercise. Okay, maybe she was actually busy, it was "
            "release week. That doesn't explain everything.",
            "Two people out of, what, forty in the office? Fine, that's not 'always'. It still "
            "feels like always.",
        ],
        "c3": [
            "I guess two no's isn't the whole office. I could ask Martin, he's invited me before.",
            "It's not a pattern yet, maybe. I'll ask again next week and see. No promises it "
            "goes well.",
        ],
        "fact": "one colleague said she was busy on Friday, and earlier this month another "
        "cancelled coffee",
        "story": "that people always find a way to avoid you",
        "feeling": "lonely",
        "quote": "always",
        "alt": "the possibility that two refusals in a busy month are just two refusals",
        "trap": "overgeneralization, where two events turn into an 'always'",
        "step": "invite one colleague who has asked you before to a short coffee next week",
    },
    {
        "id": "fc-07",
        "name": "Lan",
        "age": 40,
        "gender": "female",
        "occupation": "pharmacist",
        "situation": "Lan's manager praised her in the team meeting for catching a dangerous drug "
        "interaction on a prescription. Afterwards a colleague thanked her privately.",
        "thought": "Anyone would have caught it; it doesn't count.",
        "thinking_traps": ["discounting_the_positive"],
        "emotions": [{"name": "uncomfortable", "intensity": 50}, {"name": "flat", "intensity": 40}],
        "attitude": "neutral",
        "c1": [
            "My manager praised me in front of everyone for catching a drug interaction. I just "
            "felt awkward. Anyone would have caught it, so it doesn't count.",
            "I caught an interaction on a prescription and my manager made a big thing of it in "
            "the meeting. Honestly, it was nothing. It's my job.",
        ],
        "c2": [
            "I suppose not everyone catches them, or the manager wouldn't mention it. My "
            "colleague Nguyễn missed one last year, and he's very good.",
            "If a colleague did it, I'd say well done, that's a patient who didn't get hurt. I "
            "don't know why I can't say that to myself.",
        ],
        "c3": [
            "Maybe it does count a little. I can try to just say thank you next time instead of "
            "brushing it off.",
            "I can accept that doing my job well still counts. I'll write it down tonight, with "
            "the other things that went well this week.",
        ],
        "fact": "you caught a dangerous interaction and your manager and a colleague both "
        "thanked you",
        "story": "that anyone would have caught it, so it doesn't count",
        "feeling": "uncomfortable",
        "quote": "it doesn't count",
        "alt": "the view that a patient is safer because of what you noticed",
        "trap": "discounting the positive, where good things get explained away",
        "step": "when someone thanks you this week, say only 'thank you' and notice what happens",
    },
    {
        "id": "fc-08",
        "name": "Dev",
        "age": 33,
        "gender": "male",
        "occupation": "paramedic",
        "situation": "Dev felt shaky after a difficult call involving a child and took a "
        "fifteen-minute break before his next task. His partner covered the paperwork.",
        "thought": "I should be able to handle anything without it getting to me.",
        "thinking_traps": ["should_statements"],
        "emotions": [{"name": "frustrated", "intensity": 65}, {"name": "ashamed", "intensity": 50}],
        "attitude": "neutral",
        "c1": [
            "I should be able to handle anything without it getting to me. After a call last "
            "week I had to sit in the ambulance for fifteen minutes. My partner did my paperwork.",
            "We had a hard call with a kid last week and afterwards my hands were shaking. I took "
            "a break. Eight years in this job, I should be past that.",
        ],
        "c2": [
            "My partner took a break after a call like that last year. I didn't think less of "
            "her. I just thought she was human.",
            "Maybe needing fifteen minutes is what lets me do the next call properly. I don't "
            "love that idea, but it makes sense.",
        ],
        "c3": [
            "I can see that 'should handle anything' isn't realistic. I'll talk to my partner "
            "about how we both handle the hard calls.",
            "Okay. Taking a break is part of doing the job well, not a failure. I'll use the "
            "peer support session next month.",
        ],
        "fact": "after a hard call involving a child you took fifteen minutes to steady "
        "yourself, and your partner covered the paperwork",
        "story": "that a real professional shouldn't be affected at all",
        "feeling": "frustrated with yourself",
        "quote": "I should be able to handle anything",
        "alt": "the view that a short break is part of doing the job well",
        "trap": "should statements, rigid rules about how you must feel",
        "step": "tell your partner one thing that helps you after hard calls, and ask what helps "
        "them",
    },
    {
        "id": "fc-09",
        "name": "Aoife",
        "age": 29,
        "gender": "female",
        "occupation": "primary school teacher",
        "situation": "Aoife's class did poorly on a district reading test. Several children in "
        "the class had missed weeks of school during a flu outbreak in the autumn.",
        "thought": "The whole class failed because I'm a bad teacher.",
        "thinking_traps": ["personalization"],
        "emotions": [{"name": "guilty", "intensity": 75}],
        "attitude": "positive",
        "c1": [
            "The reading results came back and my class did badly. I keep thinking the whole "
            "class failed because I'm a bad teacher.",
            "My class scored below the district average on reading. I spent the weekend "
            "replaying every lesson. It has to be me.",
        ],
        "c2": [
            "Well, six of them missed weeks with flu. I'd tell another teacher that's a huge "
            "factor. And the test was in January, right after.",
            "Maybe the scores say more about the autumn we had than about my teaching. Two "
            "children moved up a whole level since September.",
        ],
        "c3": [
            "I think I can see it's many things, not only me. I'll plan small reading groups for "
            "the kids who were off sick.",
            "That feels fairer. I'll ask my head of year to look at the results with me on "
            "Friday (she offered anyway).",
        ],
        "fact": "your class scored low on the reading test after several children missed weeks "
        "of school with flu",
        "story": "that the results are entirely your fault",
        "feeling": "guilty",
        "quote": "a bad teacher",
        "alt": "the view that many things shaped these scores, including the flu outbreak",
        "trap": "personalization, where we take the whole blame for something with many causes",
        "step": "set up one small reading group for the children who missed school",
    },
    {
        "id": "fc-10",
        "name": "Kwame",
        "age": 48,
        "gender": "male",
        "occupation": "bus depot manager",
        "situation": "Kwame received twelve positive comments and one complaint in his annual "
        "staff survey. The complaint said he sometimes interrupts people in meetings.",
        "thought": "My team resents me, and that comment proves it.",
        "thinking_traps": ["mental_filtering"],
        "emotions": [{"name": "hurt", "intensity": 60}, {"name": "irritable", "intensity": 45}],
        "attitude": "negative",
        "c1": [
            "My team resents me, and that comment proves it. Someone wrote that I interrupt "
            "people. That's all I can think about.",
            "I got my staff survey back. One person says I interrupt people in meetings. So "
            "that's what they really think of me.",
        ],
        "c2": [
            "There were other comments, yes. Twelve, fine. People write nice things because "
            "they have to. Although, they're anonymous.",
            "If one of my supervisors got that survey, I'd say twelve good comments outweigh "
            "one. I'd tell him to work on the interrupting (looking back, it happens when meetings "
            "run late).",
        ],
        "c3": [
            "Maybe it's one piece of useful feedback, not proof of anything. I'll try to let "
            "people finish at Monday's meeting.",
            "I'm not thrilled, but I can see I skipped the twelve. I'll read them again, and "
            "ask one supervisor if I cut people off.",
        ],
        "fact": "your survey had twelve positive comments and one complaint about interrupting",
        "story": "that the one complaint shows what your whole team really thinks",
        "feeling": "hurt",
        "quote": "my team resents me",
        "alt": "the view that one complaint is feedback on a habit, next to twelve positives",
        "trap": "mental filtering, where one negative detail blocks out everything else",
        "step": "at Monday's meeting, let each person finish before you speak and note how it goes",
    },
    {
        "id": "fc-11",
        "name": "Renée",
        "age": 63,
        "gender": "female",
        "occupation": "retired nurse",
        "situation": "Renée forgot her grandson's birthday and only remembered two days later "
        "when her daughter mentioned the party photos. She called him that evening.",
        "thought": "I'm a useless grandmother.",
        "thinking_traps": ["labeling"],
        "emotions": [{"name": "guilty", "intensity": 70}, {"name": "sad", "intensity": 55}],
        "attitude": "positive",
        "c1": [
            "I forgot my grandson's birthday. I only remembered when my daughter mentioned the "
            "photos. I'm a useless grandmother.",
            "It was Théo's seventh birthday and I missed it completely. Two days late! I called "
            "him, but I feel like a useless grandmother.",
        ],
        "c2": [
            "My sister forgot her granddaughter's birthday once and I told her it didn't make "
            "her a bad person. I suppose the same applies to me.",
            "Well, I called the same evening and he talked my ear off about his new bike. He "
            "didn't seem upset at all, and he shouted goodbye about five times.",
        ],
        "c3": [
            "You're right, one missed date isn't who I am. I'll put all the birthdays in my phone "
            "with a reminder a week before.",
            "I think 'a grandmother who forgot one date' is the fair version. I'll take Théo for "
            "ice cream on Saturday.",
        ],
        "fact": "you forgot your grandson's birthday, remembered two days later, and called him "
        "that evening",
        "story": "that this makes you useless as a grandmother",
        "feeling": "guilty",
        "quote": "useless",
        "alt": "the view that you're a loving grandmother who forgot one date",
        "trap": "labeling, where one slip becomes a judgment about who you are",
        "step": "put every family birthday in your phone with a reminder a week before",
    },
    {
        "id": "fc-12",
        "name": "André",
        "age": 25,
        "gender": "male",
        "occupation": "barista and music student",
        "situation": "At an open mic night André's guitar slipped out of tune in the middle of "
        "his song. Afterwards a couple of people in the front row left before the next act.",
        "thought": "They left because I was embarrassing.",
        "thinking_traps": ["mind_reading"],
        "emotions": [{"name": "embarrassed", "intensity": 80}],
        "attitude": "neutral",
        "c1": [
            "My guitar went out of tune halfway through my song at the open mic. Then two people "
            "at the front left. They left because I was embarrassing.",
            "I played an open mic on Thursday, the guitar slipped out of tune, and afterwards "
            "people walked out. It was humiliating.",
        ],
        "c2": [
            "I guess people leave open mics all the time. Trains, babysitters, whatever. It still "
            "felt like it was about me.",
            "If my bandmate told me this, I'd say the crowd at open mics is always moving. "
            "Maybe they'd stayed for a friend who'd already played.",
        ],
        "c3": [
            "I don't really know why they left. I'll check my tuning between verses next time, "
            "and sign up again for next month.",
            "Okay, it's possible it had nothing to do with me. I'm going back on the 14th (with "
            "a new set of strings).",
        ],
        "fact": "your guitar slipped out of tune mid-song, and two people left before the next act",
        "story": "that they left because you were embarrassing",
        "feeling": "embarrassed",
        "quote": "embarrassing",
        "alt": "the possibility that people leave open mics for all sorts of reasons",
        "trap": "mind reading, where we decide we know why others did something",
        "step": "sign up for next month's open mic and tune between songs",
    },
    {
        "id": "fc-13",
        "name": "Siobhán",
        "age": 38,
        "gender": "female",
        "occupation": "project coordinator",
        "situation": "Siobhán applied for a team lead role and her interview is next Thursday. "
        "A colleague with more years at the company has also applied.",
        "thought": "There's no point, they'll pick him and I'll look stupid for trying.",
        "thinking_traps": ["fortune_telling"],
        "emotions": [{"name": "hopeless", "intensity": 60}, {"name": "anxious", "intensity": 55}],
        "attitude": "negative",
        "c1": [
            "I have an interview for team lead next Thursday but there's no point. They'll pick "
            "him, he's been there longer, and I'll look stupid for trying.",
            "Why did I even apply? Someone with more years than me applied too. It's decided "
            "already, I just haven't been told.",
        ],
        "c2": [
            "I don't know. Maybe they want someone who actually coordinates projects, which is "
            "what I do all day. That doesn't mean they'll choose me.",
            "I suppose if a friend said that, I'd say you can't know the result before the "
            "interview. But I'm not my friend, am I.",
        ],
        "c3": [
            "Fine. I don't know the outcome. I'll prepare three examples of projects I led, "
            "even if it's a long shot.",
            "I can't say I believe it yet, but applying isn't stupid. I'll ask my manager what "
            "the panel is looking for.",
        ],
        "fact": "you have an interview next Thursday and a colleague with more years has also "
        "applied",
        "story": "that the outcome is already decided against you",
        "feeling": "discouraged",
        "quote": "there's no point",
        "alt": "the view that the result isn't known until the panel decides",
        "trap": "fortune-telling, where we treat a predicted outcome as certain",
        "step": "write down three examples of projects you led and practise them out loud once",
    },
    {
        "id": "fc-14",
        "name": "Tomás",
        "age": 51,
        "gender": "male",
        "occupation": "dairy farmer",
        "situation": "A late frost damaged part of Tomás's hay crop this spring. His insurance "
        "covers some of the loss and a neighbour offered to sell him feed at cost.",
        "thought": "We're going to lose the farm and it will be my fault.",
        "thinking_traps": ["catastrophizing", "personalization"],
        "emotions": [{"name": "afraid", "intensity": 80}],
        "attitude": "neutral",
        "c1": [
            "The frost took a good part of the hay. I keep thinking we're going to lose the farm "
            "and it'll be my fault. My grandfather built that place.",
            "We lost a chunk of the hay crop to a late frost. I haven't slept properly since. "
            "I see us selling the herd by winter.",
        ],
        "c2": [
            "The insurance will cover some of it, and Pádraig offered feed at cost. I suppose "
            "that's not nothing. I can't control the weather either.",
            "If it happened to Pádraig, I'd tell him farms survive bad years, that's farming. "
            "My father had two of them.",
        ],
        "c3": [
            "Maybe it's a bad year, not the end of the farm. I'll sit down with the numbers and "
            "the insurance letter on Sunday.",
            "I can accept that frost isn't my fault. I'll call Pádraig about the feed this week "
            "and work out what we actually need.",
        ],
        "fact": "a late frost damaged part of your hay, insurance covers some of it, and a "
        "neighbour offered feed at cost",
        "story": "that you're going to lose the farm and it will be your fault",
        "feeling": "frightened",
        "quote": "my fault",
        "alt": "the view that this is a hard year with real support, not the end of the farm",
        "trap": "catastrophizing, where a setback is pictured as total ruin",
        "step": "sit down on Sunday with the insurance letter and list what feed you actually need",
    },
    {
        "id": "fc-15",
        "name": "Ingrid",
        "age": 45,
        "gender": "female",
        "occupation": "accountant",
        "situation": "Ingrid started an exercise plan of five runs a week and missed three runs "
        "this week because of a deadline at work. She ran twice.",
        "thought": "I've blown it, so I might as well give up.",
        "thinking_traps": ["all_or_nothing"],
        "emotions": [{"name": "discouraged", "intensity": 65}],
        "attitude": "neutral",
        "c1": [
            "I planned five runs a week and managed two because of a deadline. I've blown it, so "
            "I might as well give up.",
            "I was doing so well with the running plan, and then a deadline hit and I missed "
            "three runs. The whole plan is ruined.",
        ],
        "c2": [
            "Two runs is more than I did last month, that's *really* true. But the plan said five, "
            "and I wrote it on the fridge.",
            "If a friend said that, I'd say a busy week isn't the end of a habit. I'd tell her "
            "to just pick it up again on Monday.",
        ],
        "c3": [
            "Okay, two runs is still running. I'll aim for three next week and see how it goes.",
            "I think I can treat it as a busy week rather than a failure. I'll put Monday's run "
            "in my calendar like a meeting.",
        ],
        "fact": "a work deadline meant you ran twice this week instead of five times",
        "story": "that missing three runs means the whole plan is ruined",
        "feeling": "discouraged",
        "quote": "I've blown it",
        "alt": "the view that two runs in a deadline week still count",
        "trap": "all-or-nothing thinking, where a partial success counts as total failure",
        "step": "put three runs in your calendar for next week, like meetings",
    },
    {
        "id": "fc-16",
        "name": "Rafael",
        "age": 30,
        "gender": "male",
        "occupation": "delivery driver",
        "situation": "Rafael got a parking ticket while making a delivery in the city centre, "
        "his second ticket this month. His supervisor said the company would pay it.",
        "thought": "Nothing ever goes right for me.",
        "thinking_traps": ["overgeneralization"],
        "emotions": [{"name": "frustrated", "intensity": 70}],
        "attitude": "positive",
        "c1": [
            "Another parking ticket, the second this month. Nothing ever goes right for me. I "
            "was only gone four minutes!",
            "I got a ticket again while dropping off a parcel. Twice in one month. It's always "
            "me, every time.",
        ],
        "c2": [
            "The company is paying it, my supervisor said so. And I've done hundreds of "
            "deliveries this month without a problem.",
            "If my cousin told me this, I'd say the city centre is a nightmare for every driver. "
            "Everyone gets tickets there.",
        ],
        "c3": [
            "Yes, 'nothing ever' isn't true. I'll use the loading bay on Market Street even if "
            "it's a longer walk.",
            "Fair enough, it's two tickets, not my whole life. I'll check the loading zones on "
            "the map before my shift. 👍",
        ],
        "fact": "you got a second parking ticket this month and your supervisor said the company "
        "would pay it",
        "story": "that nothing ever goes right for you",
        "feeling": "frustrated",
        "quote": "nothing ever goes right",
        "alt": "the view that two tickets in hundreds of deliveries is a small part of the picture",
        "trap": "overgeneralization, where a couple of events become 'never' and 'always'",
        "step": "mark the loading zones on your route map before tomorrow's shift",
    },
    {
        "id": "fc-17",
        "name": "Hana",
        "age": 34,
        "gender": "female",
        "occupation": "graphic designer",
        "situation": "Hana's logo design was chosen by a client out of three options. The client "
        "said it was exactly what they wanted and asked for one small colour change.",
        "thought": "They only picked it because the other two were worse.",
        "thinking_traps": ["discounting_the_positive"],
        "emotions": [{"name": "uneasy", "intensity": 50}],
        "attitude": "negative",
        "c1": [
            "The client picked my logo. They said it was exactly what they wanted. They only "
            "picked it because the other two were worse.",
            "My design won, but honestly that's not saying much. The other options were weak. "
            "And they still wanted a colour change.",
        ],
        "c2": [
            "I designed the other two as well, so I suppose that argument doesn't work. Still, "
            "clients say nice things to be polite.",
            "A colour change is normal, fine. Every client asks for something. I don't see why "
            "we're making a big deal of it.",
        ],
        "c3": [
            "I can maybe accept that they liked it. I'll send the revised colour by Wednesday "
            "and add it to my portfolio.",
            "Alright. It was a good logo. I'm not going to celebrate, but I'll put it in the "
            "portfolio.",
        ],
        "fact": "the client chose your logo, said it was exactly what they wanted, and asked "
        "for one colour change",
        "story": "that it only won because the alternatives were worse",
        "feeling": "uneasy",
        "quote": "they only picked it",
        "alt": "the view that the client genuinely liked your work",
        "trap": "discounting the positive, where a success gets explained away",
        "step": "add the logo to your portfolio this week with one sentence on what worked",
    },
    {
        "id": "fc-18",
        "name": "Yusuf",
        "age": 26,
        "gender": "male",
        "occupation": "machine learning engineer",
        "situation": "Yusuf's code caused a test failure that delayed a release by a day. His "
        "lead fixed the configuration with him and said these things happen.",
        "thought": "I should never make mistakes like that at this level.",
        "thinking_traps": ["should_statements"],
        "emotions": [{"name": "ashamed", "intensity": 65}],
        "attitude": "positive",
        "c1": [
            "I work as an AI engineer, so I'm supposed to be precise. My change broke a test and "
            "the release slipped a day. I should never make mistakes like that at this level.",
            "A config change of mine broke the build and delayed the release. My lead said "
            "these things happen, but I should be past this by now.",
        ],
        "c2": [
            "My lead has broken builds too, I've seen it. I didn't think he was bad at his job.",
            "If a teammate did it, I'd say that's what tests are for. They caught it before "
            "users did.",
        ],
        "c3": [
            "I think 'I'd like to make fewer mistakes' is more realistic than 'never'. I'll add "
            "a check for that config to our pipeline.",
            "Okay. The test did its job. I'll write a short note for the team on what went "
            "wrong so nobody else hits it.",
        ],
        "fact": "a change of yours broke a test and delayed a release by a day, and your lead "
        "fixed it with you",
        "story": "that someone at your level should never make that kind of mistake",
        "feeling": "ashamed",
        "quote": "never",
        "alt": "the view that tests exist precisely to catch mistakes like this one",
        "trap": "should statements, where a rigid rule leaves no room for being human",
        "step": "add an automatic check for that configuration so it gets caught earlier",
    },
    {
        "id": "fc-19",
        "name": "Beatriz",
        "age": 55,
        "gender": "female",
        "occupation": "shop owner",
        "situation": "Beatriz's sister cancelled their monthly dinner for the second time, saying "
        "work was overwhelming. Her sister started a new job six weeks ago.",
        "thought": "She's pulling away because I did something wrong.",
        "thinking_traps": ["personalization"],
        "emotions": [{"name": "hurt", "intensity": 65}, {"name": "worried", "intensity": 55}],
        "attitude": "neutral",
        "c1": [
            "My sister cancelled our dinner again. Second time. She says work is crazy, but I "
            "think she's pulling away because I did something wrong.",
            "We've had dinner once a month for ten years, and she's cancelled twice in a row. "
            "I keep going over our last conversation, when we said goodbye at the station.",
        ],
        "c2": [
            "She did start a new job six weeks ago. When I opened the shop I cancelled "
            "everything for months. Maybe it's that.",
            "I don't know. She sounded tired on the phone, not angry. But I can't shake the "
            "feeling.",
        ],
        "c3": [
            "Maybe it's about her job and not about me. I'll send her a message saying I miss "
            "her and suggest a short coffee instead.",
            "I can believe it's the job, at least partly. I'll ask her directly on Sunday if "
            "everything's okay between us.",
        ],
        "fact": "your sister cancelled dinner twice, six weeks into a new job, saying work is "
        "overwhelming",
        "story": "that she's pulling away because of something you did",
        "feeling": "hurt",
        "quote": "I did something wrong",
        "alt": "the possibility that her new job is taking everything she has",
        "trap": "personalization, where we assume someone's behaviour is about us",
        "step": "send your sister a warm message suggesting a short coffee instead of dinner",
    },
    {
        "id": "fc-20",
        "name": "Olumide",
        "age": 42,
        "gender": "male",
        "occupation": "secondary school maths teacher",
        "situation": "Olumide's lesson observation was rated good overall. The observer noted "
        "that two students at the back were off task for a few minutes.",
        "thought": "The lesson was a disaster, I couldn't even keep control.",
        "thinking_traps": ["mental_filtering"],
        "emotions": [{"name": "deflated", "intensity": 60}],
        "attitude": "neutral",
        "c1": [
            "I had a lesson observation and all I can think about is the two boys at the back "
            "who were off task. The lesson was a disaster.",
            "The observer wrote that two students weren't working for a few minutes. I couldn't "
            "even keep control of a Year 9 class.",
        ],
        "c2": [
            "The overall rating was 'good'. I skipped past that part, I suppose. Two students, "
            "a few minutes, out of fifty minutes.",
            "If a colleague showed me that report, I'd say it's a solid lesson with one thing to "
            "tweak. Seating, probably.",
        ],
        "c3": [
            "Okay, it was a good lesson with a small issue. I'll move those two boys nearer the "
            "front on Monday.",
            "I can see I filtered out the good bits. I'll reread the whole report, not just the "
            "last line, and pick one thing to try.",
        ],
        "fact": "the observation was rated good overall, with a note that two students were off "
        "task for a few minutes",
        "story": "that the whole lesson was a disaster",
        "feeling": "deflated",
        "quote": "a disaster",
        "alt": "the view that it was a good lesson with one thing to adjust",
        "trap": "mental filtering, where one detail blocks out the rest of the picture",
        "step": "reread the whole report and change one thing, like the seating plan",
    },
    {
        "id": "fc-21",
        "name": "Élodie",
        "age": 27,
        "gender": "female",
        "occupation": "freelance translator",
        "situation": "Élodie's client pointed out a mistranslated date in a contract she had "
        "translated. She corrected it within the hour and the client thanked her for the quick "
        "fix.",
        "thought": "If I make one more mistake in a translation, every client I have will drop me "
        "and I'll never work again.",
        "thinking_traps": ["catastrophizing", "fortune_telling"],
        "emotions": [{"name": "anxious", "intensity": 75}],
        "attitude": "positive",
        "c1": [
            "I keep thinking: if I make one more mistake in a translation, every client I have "
            "will drop me and I'll never work again. A client found a wrong date in a contract.",
            "A client caught a mistranslated date in a contract of mine. I fixed it in an hour. "
            "But if I make one more mistake in a translation, every client I have will drop me "
            "and I'll never work again.",
        ],
        "c2": [
            "He did thank me for fixing it so fast. And I've worked with him for three years. "
            "He's not going anywhere over one date.",
            "I'd tell another translator that everyone makes slips, that's why there's "
            "proofreading. It's a cliché, but it's true.",
        ],
        "c3": [
            "I can accept that one slip, fixed quickly, isn't the end of my career. I'll add a "
            "date and number check to my proofreading list.",
            "That feels more realistic. I'll keep a short checklist for contracts, dates and "
            "numbers first.",
        ],
        "fact": "a client spotted a wrong date, you fixed it within the hour, and he thanked you",
        "story": "that one more mistake will cost you every client you have",
        "feeling": "anxious",
        "quote": "I'll never work again",
        "alt": "the view that a slip fixed within the hour shows you're reliable",
        "trap": "catastrophizing, where one mistake is pictured as the end of a career",
        "step": "add a dates-and-numbers check to your proofreading list for contracts",
    },
    {
        "id": "fc-22",
        "name": "Wei",
        "age": 37,
        "gender": "male",
        "occupation": "restaurant manager",
        "situation": "During a busy Saturday service at Wei's restaurant the kitchen ran out of "
        "the fish special at eight, and a table of six complained to Wei about the wait.",
        "thought": "I'm the kind of manager who lets everyone down when it matters most, and "
        "they all know it.",
        "thinking_traps": ["labeling", "mind_reading"],
        "emotions": [{"name": "ashamed", "intensity": 60}, {"name": "tense", "intensity": 60}],
        "attitude": "negative",
        "c1": [
            "Saturday was a mess. We ran out of the special and a big table complained. I'm the "
            "kind of manager who lets everyone down when it matters most, and they all know it.",
            "We sold out of the fish by eight and a table of six gave me an earful. My staff saw "
            "the whole thing. What must they think of me.",
        ],
        "c2": [
            "My head chef said we'd had a record night. Selling out isn't exactly failing. I "
            "still hate that table's faces.",
            "I'm not sure what you want me to say. Okay, if another manager told me this, I'd "
            "say order more fish next time. That's it.",
        ],
        "c3": [
            "Maybe it was a busy night, not proof of anything. I'll raise the fish order for "
            "Saturdays with the supplier.",
            "Fine, I'm not the worst manager alive. I'll talk to the chef about a backup special "
            "for when we sell out.",
        ],
        "fact": "the kitchen sold out of the special on a record Saturday, and one table of six "
        "complained about the wait",
        "story": "that you let everyone down and your staff know it",
        "feeling": "tense",
        "quote": "lets everyone down",
        "alt": "the view that selling out on a record night is a planning problem you can fix",
        "trap": "labeling mixed with mind reading, a verdict on yourself plus guesses about what "
        "others think",
        "step": "agree a backup special with the chef and raise the Saturday fish order",
    },
]
