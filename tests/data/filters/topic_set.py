"""Hand-written material for off_topic's labelled set (corpus.py builds the set from it):
seeds with whole dialogues on and off their topic, client turns that drift to another story,
and counselor turns that address nothing the client said. Original text; adults only."""

from __future__ import annotations

from typing import Any

# Whole dialogues: (label, persona fields, six turns client-first).
WHOLE: list[tuple[str, dict[str, Any], list[str]]] = [
    (
        "off_topic",
        {
            "thought": "A relationship either works or it doesn't.",
            "situation": "Mara and her "
            "partner of three years argued about moving in together and have not spoken since.",
        },
        [
            "My son is travelling through Portugal right now, and he keeps sending photos of "
            "beaches and old churches. I wish I had done that at his age.",
            "That sounds like a lot of pride. What are you noticing when you see the photos?",
            "Mostly I think about the interview he has when he gets back. It's for a bank, and "
            "he doesn't even like suits. What are you going through at the moment?",
            "It sounds like you care about his future. What would you tell him?",
            "I'd say take the job only if it's what he wants. He can always travel more later.",
            "That's a generous way to see it. Maybe write him a note this week.",
        ],
    ),
    (
        "off_topic",
        {
            "thought": "I'll never be good enough to get promoted.",
            "situation": "Dev was passed "
            "over for a team lead role; the manager said he needs more experience presenting.",
        },
        [
            "I've been trying to bake sourdough. My starter died twice and the third one smells "
            "like nail polish.",
            "That sounds frustrating. What do you tell yourself when a loaf fails?",
            "That flour is expensive! I switched brands and now the crust is too pale, so I "
            "bake it longer and the inside goes dry.",
            "So there's trial and error involved. What else could explain the pale crust?",
            "Maybe my oven runs cold. My neighbour has a thermometer I could borrow on Sunday.",
            "That's a concrete plan. Borrowing the thermometer sounds like a good step.",
        ],
    ),
    (
        "off_topic",
        {
            "thought": "Everyone at the reunion will see what a failure I am.",
            "situation": "Ines "
            "was invited to her ten-year school reunion; she left her PhD program last spring.",
        },
        [
            "The weather has been so strange lately. It snowed in April and then it was hot "
            "enough for shorts the week after.",
            "Weather swings can be unsettling. How has your sleep been with all of it?",
            "Terrible, the heat keeps me up, and the neighbours' dog barks at every car. I "
            "bought earplugs but they fall out.",
            "Night noise wears anyone down. What would help you rest better?",
            "Maybe a fan for the white noise. My cousin swears by hers.",
            "A fan sounds like an easy thing to try tonight.",
        ],
    ),
    (
        "off_topic",
        {
            "thought": "I ruined my daughter's birthday.",
            "situation": "Lucia forgot to order "
            "the cake she promised, and the party started with store-bought cupcakes.",
        },
        [
            "I ruined my daughter's birthday, I really did.",
            "I'm sorry, how are you feeling about the football season so far?",
            "Uh, I don't follow football much. My husband does, I guess, he watches every game "
            "on Sunday with his brother.",
            "Many people find sport relaxing. Which teams do they support?",
            "I honestly don't know, something with blue shirts. They shout at the screen.",
            "Shouting at the screen is a classic. Maybe join them next time for the snacks.",
        ],
    ),
    (
        "off_topic",
        {
            "thought": "My coworkers think I'm incompetent.",
            "situation": "After Kwame asked a "
            "question in the stand-up, two colleagues exchanged a look.",
        },
        [
            "I keep telling myself my coworkers think I'm incompetent after that meeting.",
            "Let's talk about your diet. What do you usually eat for breakfast?",
            "Just coffee, mostly. Sometimes toast if I have time, which I don't.",
            "Skipping breakfast is common. Have you thought about meal prepping on weekends?",
            "I could boil some eggs on Sunday, I suppose, and take them to the office.",
            "Boiled eggs are a simple start. Try it this weekend.",
        ],
    ),
    (
        "off_topic",
        {
            "thought": "If I say no to my sister, she'll hate me.",
            "situation": "Amara's sister "
            "asked her to host the family holiday dinner again this year.",
        },
        [
            "My car is making a grinding noise when I brake, and the garage can't see me until "
            "the end of the month. I'm driving very carefully.",
            "That sounds stressful. What goes through your mind when you hear the noise?",
            "That the brakes will fail on the motorway. My mechanic friend says it's probably "
            "just the pads wearing thin, but still.",
            "So there's another explanation from someone who knows cars. What else could it be?",
            "Could be a stone stuck in there, he said. I can ask him to take a look on Friday.",
            "Asking him on Friday sounds like a good plan.",
        ],
    ),
    (
        "clean",
        {
            "thought": "A relationship either works or it doesn't.",
            "situation": "Mara and her "
            "partner of three years argued about moving in together and have not spoken since.",
        },
        [
            "We had this big fight about getting a flat together and now it's silence. I keep "
            "thinking a relationship either works or it doesn't, and ours clearly doesn't.",
            "That sounds painful. What actually happened in the argument, and what did you "
            "conclude afterwards?",
            "He said he wasn't ready to move in, I said then what are we doing, and I left. "
            "Three years and it ends over a lease.",
            "What would you say to a friend whose partner asked for more time on a big step?",
            "That wanting more time isn't the same as not wanting me. Maybe we both panicked.",
            "That's a fairer reading. Could you send him a message asking to talk this week?",
        ],
    ),
    (
        "clean",
        {
            "thought": "I'll never be good enough to get promoted.",
            "situation": "Dev was passed "
            "over for a team lead role; the manager said he needs more experience presenting.",
        },
        [
            "They gave the lead position to someone else. My boss said I should present more "
            "before I step up. Honestly, I'll never be good enough for a promotion.",
            "That's a hard thing to hear. What did your manager say, word for word, and what "
            "did you add to it?",
            "She said more practice presenting. I heard 'you're not leadership material'.",
            "If a colleague got that feedback, how would you read it?",
            "As a to-do list, I guess. Presenting is a skill, and she told me which one.",
            "Exactly. Maybe volunteer to present at the next team review.",
        ],
    ),
    (
        "clean",
        {
            "thought": "Everyone at the reunion will see what a failure I am.",
            "situation": "Ines "
            "was invited to her ten-year school reunion; she left her PhD program last spring.",
        },
        [
            "The invitation came for the ten-year reunion and my stomach dropped. I quit my "
            "doctorate in the spring. They'll all see a failure.",
            "That sounds like a lot of dread. What do you picture happening when you walk in?",
            "People asking what I do, and me saying nothing, I dropped out. Their faces.",
            "What else might they be thinking about, ten years on, at a reunion?",
            "Their own jobs, their kids. Half of them changed careers too, probably.",
            "That's likely. You could prepare one honest sentence about the program, in case.",
        ],
    ),
]

# Client turns about something else entirely (a drift in round 2 or 3).
DRIFT_CLIENT = [
    "Anyway, my nephew is getting married in Lisbon next spring and I still have to book the "
    "flights. The prices keep jumping every time I look.",
    "Did I tell you I've started climbing at the indoor wall? My forearms are so sore I can "
    "barely hold a mug in the morning.",
    "The landlord finally fixed the boiler, after three weeks of cold showers. I bought him a "
    "bottle of wine out of sheer relief.",
    "My cat has started sleeping on the keyboard. Yesterday she sent half an email to my aunt "
    "before I noticed.",
    "We watched that documentary about octopuses last night. Apparently they can taste with "
    "their arms, which I can't stop thinking about.",
    "I've been repainting the hallway green. My partner says it looks like a swimming pool, "
    "but I like it.",
    "The garden is a mess after the storm; the fence blew over and the tomatoes are flattened. "
    "We'll need a new fence panel.",
    "My brother just got back from hiking in the Alps, and all he talks about is the cheese "
    "and the cable cars.",
    "The football club by us won the league, so the whole street was honking until midnight.",
    "I'm learning to knit from online videos. My first scarf is lopsided but very warm.",
]
# Counselor turns that answer none of it: a counselor who never addresses the seed.
DRIFT_COUNSELOR = [
    "Let's talk about your weekend plans. Anything fun coming up with friends?",
    "What kind of music have you been listening to lately?",
    "Have you tried any new recipes recently? Cooking can be a nice outlet.",
    "Tell me about your favourite holiday destination.",
    "How is your exercise routine going these days?",
    "What are you reading at the moment? Books can be great company.",
    "Do you have any pets at home? Animals can be good company.",
    "What's your favourite season of the year, and why?",
]
