"""Vocabulary the scenarios draw from: people, companies, competitors, pains, timelines, small talk.

Names are common English words or well-known brands on purpose: a small Whisper model must be able to spell them,
so that tests can compare extracted entities with the ground truth exactly.
"""

from __future__ import annotations

# Split by gender so that a name matches the voice that says it.
FEMALE_FIRST_NAMES: tuple[str, ...] = (
    "Sarah", "Maria", "Emily", "Laura", "Anna", "Linda", "Karen", "Susan", "Rachel", "Helen",
)
MALE_FIRST_NAMES: tuple[str, ...] = (
    "John", "David", "Michael", "James", "Robert", "Peter", "Daniel", "Mark", "Thomas", "Paul",
)
FIRST_NAMES: tuple[str, ...] = FEMALE_FIRST_NAMES + MALE_FIRST_NAMES
LAST_NAMES: tuple[str, ...] = (
    "Miller", "Smith", "Johnson", "Brown", "Wilson", "Taylor", "Walker", "King", "Carter", "Baker",
    "Turner", "Parker", "Cooper", "Morgan", "Bennett", "Hughes", "Foster", "Wright", "Green", "Hall",
)

# (company as said, e-mail domain)
COMPANIES: tuple[tuple[str, str], ...] = (
    ("Northwind Logistics", "northwind.com"),
    ("Acme", "acme.com"),
    ("Summit Health", "summithealth.com"),
    ("Blue River Foods", "blueriver.com"),
    ("Granite Bank", "granitebank.com"),
    ("Evergreen Supply", "evergreen.com"),
    ("Lakeside Hotels", "lakeside.com"),
    ("Redwood Software", "redwood.com"),
    ("Pioneer Insurance", "pioneer.com"),
    ("Harbor Freight Lines", "harborlines.com"),
    ("Silver Lake Dental", "silverlake.com"),
    ("Maple Street Realty", "maplestreet.com"),
)

# The rep's side of the call.
REP_COMPANIES: tuple[str, ...] = ("Brightline", "Clearpath", "Signal Bay", "Bluebird Systems")

# Zendesk, Gong and Freshdesk were dropped: whisper tiny.en hears flite saying them as "send desk", "gone" and
# "fresh death". Salesforce comes back as "Salesforce" or "sales force": compare without spaces.
COMPETITORS: tuple[str, ...] = ("Salesforce", "HubSpot", "Outreach", "Oracle", "Microsoft Dynamics", "Intercom")

DECISION_MAKER_TITLES: tuple[str, ...] = (
    "VP of Operations", "Head of Sales", "Chief Revenue Officer", "VP of Customer Success", "Director of Sales",
)
INFLUENCER_TITLES: tuple[str, ...] = (
    "operations manager", "sales team lead", "support manager", "revenue operations analyst", "sales coordinator",
)
RESEARCH_TITLES: tuple[str, ...] = ("business analyst", "operations analyst", "marketing associate", "intern")

# (as the prospect says it after "honestly," ; short label for the CRM)
PAIN_POINTS: tuple[tuple[str, str], ...] = (
    ("our reps spend three hours a week typing call notes by hand", "reps spend 3 hours a week on manual call notes"),
    ("we keep losing track of follow ups after calls", "follow-ups get lost after calls"),
    ("the notes in our CRM are incomplete, so forecasts are a guess", "incomplete CRM notes make forecasts unreliable"),
    ("our managers have no time to review calls and coach the team", "managers cannot review calls or coach"),
    ("new reps take four months to ramp up", "new reps take four months to ramp"),
    ("we have no idea why we lose deals", "no visibility into why deals are lost"),
)
MILD_PAINS: tuple[tuple[str, str], ...] = (
    ("it would be nice if call notes were a bit more consistent", "call notes could be more consistent"),
    ("our reporting is a little slow at the end of the month", "month-end reporting is slow"),
)
SUPPORT_ISSUES: tuple[tuple[str, str], ...] = (
    ("our calls stopped syncing to the CRM last week", "calls stopped syncing to the CRM"),
    ("half of our recordings have no transcript since the update", "recordings missing transcripts since update"),
    ("the dashboard has been down for three days", "dashboard down for three days"),
)

# (sentence the prospect says, phrase that carries the timeline, normalised)
EXPLICIT_TIMELINES: tuple[tuple[str, str, str], ...] = (
    ("We need it live before our April launch.", "live before our April launch", "before April launch"),
    ("We need this running by the end of March.", "by the end of March", "end of March"),
    ("We want to roll it out within thirty days.", "within thirty days", "30 days"),
    ("It has to be in place by the end of the second quarter.", "by the end of the second quarter", "end of Q2"),
    ("We need it before the new sales year starts in July.", "before the new sales year starts in July",
     "before July"),
)
VAGUE_TIMELINES: tuple[tuple[str, str], ...] = (
    ("Sometime later this year, there's no fixed date.", "sometime later this year"),
    ("Probably Q three, but that could slip.", "probably Q three"),
    ("Soon, hopefully, but nothing is decided.", "soon"),
)
BUDGET_AMOUNTS_HOT: tuple[int, ...] = (50_000, 40_000, 75_000, 120_000, 60_000)
BUDGET_AMOUNTS_WARM: tuple[int, ...] = (20_000, 25_000, 30_000, 35_000)

BACKCHANNELS: tuple[tuple[str, str | None], ...] = (
    # (reference text, text fed to TTS when it must differ)
    ("mm-hm", "hmm"),  # flite spells "mhm" and "mm hmm" letter by letter
    ("right", None),
    ("okay", None),
    ("yeah", None),
    ("got it", None),
    ("sure", None),
)

# Neutral question/answer pairs that lengthen a sales call without changing any BANT fact.
SALES_SMALL_TALK: tuple[tuple[str, str], ...] = (
    ("How many people are on the team?", "About {team} reps across two offices."),
    ("Which phone system do you use?", "Mostly desk phones, and some people call from their laptops."),
    ("Do you record your calls today?", "We record everything, but nobody really listens to the recordings."),
    ("How do you handle call notes right now?", "Reps type a few notes after each call, when they remember."),
    ("Do you need it to work in other languages?", "Mostly English. We have a few calls in Spanish."),
    ("Where does your data need to stay?", "On our own servers. Our legal team is strict about that."),
    ("How do your managers coach reps today?", "They sit in on a few calls a month, and that's about it."),
    ("What does a typical week look like for a rep?", "Around forty calls, plus a lot of email."),
    ("How do you measure success today?", "Mostly pipeline created and win rate."),
    ("Would you want it to update the CRM automatically?", "Yes, that would save everyone a lot of typing."),
    ("Is there a security review we should prepare for?", "Yes, our IT team will send a security questionnaire."),
    ("How long are your calls, usually?", "Twenty to thirty minutes. Sometimes a full hour."),
    ("Would your team need training?", "A short session should be enough. They pick things up quickly."),
    ("Who would look at the dashboards?", "The team leads every day, and I'd check them once a week."),
    ("Do you work with any partners or resellers?", "A couple of resellers in Europe, but most deals are direct."),
    ("How do you hand leads over from marketing?", "Through the CRM, but half the fields are usually empty."),
    ("Are your calls mostly inbound or outbound?", "About half and half. Outbound is growing this year."),
    ("What happens after a demo today?", "The rep sends a recap email, and then it depends on the rep."),
)
REP_PITCHES: tuple[str, ...] = (
    "So the way it works is, every call is recorded and transcribed on your own servers, and the key details "
    "like budget, timeline and next steps go into your CRM automatically.",
    "What most teams like is that nobody has to type notes anymore. The system writes a summary after each call "
    "and flags the deals that need attention.",
    "Managers get a short list of calls worth listening to every week, instead of picking calls at random.",
)
SUPPORT_SMALL_TALK: tuple[tuple[str, str], ...] = (
    ("Can you tell me when it started?", "Last Monday, right after the update."),
    ("Are all of your users affected?", "All of them, about {team} people."),
    ("Have you tried signing out and back in?", "Yes, we tried that twice this morning."),
    ("Which browser are you using?", "Chrome on Windows, mostly."),
    ("Do you see an error message?", "It just says sync failed, please try again later."),
    ("Let me check the logs on our side, one moment.", "Sure, take your time."),
    ("Could you send me a screenshot of the error?", "I'll email one right after this call."),
    ("I can see a failed job on our side.", "So it's not something we did?"),
    ("Did anything change in your settings last week?", "Not that I know of. Nobody touched the settings."),
    ("Is it happening on mobile as well?", "I haven't checked mobile, to be honest."),
)

# (rep proposes, prospect agrees, CRM next step)
HOT_NEXT_STEPS: tuple[tuple[str, str, str], ...] = (
    ("Let's set up a demo with your team on Thursday at two.", "Thursday at two works. Send me the invite.",
     "demo with the team on Thursday at 2 pm"),
    ("I'll send a proposal by Friday and we can review it together on Monday.",
     "Great, Monday morning is good for me.", "send proposal by Friday, review on Monday"),
)
WARM_NEXT_STEPS: tuple[tuple[str, str, str], ...] = (
    ("I'll send you our pricing sheet, and maybe we can set up a call with your director next week.",
     "Sounds good, I'll check with my director.", "send pricing sheet, schedule call with director next week"),
    ("How about I send a short case study and we talk again in two weeks?", "Yes, that works.",
     "send case study, follow up in two weeks"),
)
COLD_NEXT_STEPS: tuple[tuple[str, str, str], ...] = (
    ("I'll send you some reading material, and I'll check in next quarter.", "That's fine, thank you.",
     "send reading material, check in next quarter"),
    ("I can add you to our newsletter and send a comparison guide.", "Sure, that would help.",
     "send comparison guide, add to newsletter"),
)
