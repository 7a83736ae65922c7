"""Paraphrase families: groups of templates that share wording, each assigned to dev or test.

A family is the unit of the dev/test split: a test case is built only from test families (and test names,
see names.py), so rules or prompts tuned on dev wording cannot have seen the test wording. Within each group
(criterion x status, or look-alike kind) families alternate dev, test, dev, ... in the order written here; that
order is the recorded assignment (changing it changes the split, so do not reorder casually). A second writer's
families (families_dev2.py) are appended to dev only.

Placeholders: {money} spoken amount, {when} timeline phrase as said, {problem} a prospect problem, {competitor},
{month}, {n} a head or seat count, {title} a job title, {fault} a support fault, {product} the vendor's product.
"""

from __future__ import annotations

from dataclasses import dataclass

SPLITS: tuple[str, ...] = ("dev", "test")


@dataclass(frozen=True)
class Family:
    key: str  # "<group>.<name>", e.g. "budget.stated.set_aside"
    split: str
    templates: tuple[str, ...]
    speaker: str = "prospect"  # who says it: "prospect" or "rep"

    @property
    def group(self) -> str:
        return self.key.rsplit(".", 1)[0]


def _group(group: str, *families: tuple[str, tuple[str, ...]], speaker: str = "prospect") -> list[Family]:
    """Families of one group, alternately dev and test in the order given (the recorded assignment)."""
    return [Family(f"{group}.{name}", SPLITS[i % 2], templates, speaker) for i, (name, templates) in
            enumerate(families)]


FAMILIES: list[Family] = [
    # ------------------------------------------------------------------------------------------ budget
    *_group(
        "budget.stated",
        ("set_aside", ("We've set aside {money} for this.", "There's {money} earmarked for it.",
                       "We put {money} aside for exactly this kind of tool.")),
        ("approved", ("We got {money} approved for this project.", "Finance already signed off on {money} for it.",
                      "The budget's approved, {money}.")),
        ("working_with", ("We're working with {money} for this.", "What we have to spend on this is {money}.",
                          "I've got {money} to work with on this one.")),
        ("allocated", ("There's {money} allocated in this year's plan for a tool like yours.",
                       "{money} is allocated to this in our plan.",
                       "Our plan has {money} allocated for call tooling.")),
        ("can_spend", ("We can spend up to {money} on it.", "Our ceiling is {money}, and that's already approved.",
                       "We can go up to {money} for this, that's confirmed.")),
        ("line_item", ("It's a line item already, {money}.", "We budgeted {money} for this back in January.",
                       "There's a {money} line in the budget for this rollout.")),
        ("number_is", ("The number is {money}.", "Budget-wise we're at {money} for this, and it's there.",
                       "Honestly it's {money}, that's what's been put aside.")),
        ("have_ready", ("We have {money} ready to go for this.", "The money's there, {money}, ready to spend.")),
    ),
    *_group(
        "budget.hedged",
        ("no_number", ("We have some budget but no number yet.", "There's budget, I just don't have a figure yet.",
                       "Some money exists for it, but nobody's put a number on it.")),
        ("depends", ("It depends on what it costs, honestly.", "Budget depends on the pricing you come back with.",
                     "Kind of depends on what the quote looks like.")),
        ("maybe_next_quarter", ("Maybe we'd find money next quarter, hard to say.",
                                "We might be able to free something up later in the year.",
                                "There could be budget if things go well this quarter.")),
        ("range_vague", ("Somewhere in the tens of thousands, maybe, I really can't say.",
                         "Not a huge amount, but probably something.",
                         "Probably a modest amount, nothing's set.")),
        ("working_on_it", ("We're still working out the budget.", "The budget's still being figured out.",
                           "I'm putting together a budget request, no idea what comes back.")),
        ("could_stretch", ("We could probably stretch to something if it's worth it.",
                           "If the value's there we'd likely find the money.",
                           "I think we could find some money for the right tool.")),
    ),
    *_group(
        "budget.negated",
        ("no_budget", ("There's no budget for this year.", "We don't have any budget for this right now.",
                       "Honestly, there's zero budget for new tools.")),
        ("frozen", ("Spending's frozen until further notice.", "We're in a budget freeze at the moment.",
                    "Everything non-essential is frozen this year.")),
        ("cant_afford", ("We just can't afford anything new at the moment.",
                         "Money is really tight, we can't spend on this.")),
        ("cut", ("Our budget got cut, so there's nothing for this.", "They slashed our tooling budget to nothing.",
                 "After the cuts we have no money for projects like this.")),
        ("not_planned", ("Nothing was planned for this in the budget.", "This isn't in anybody's budget.",
                         "We didn't budget for anything like this.")),
        ("free_only", ("If it isn't free we can't do it.", "We can only look at free options right now.")),
    ),
    *_group(
        "budget.delegated",
        ("finance", ("Finance sets the budget, not me.", "Our finance team decides what we can spend.",
                     "That's a question for finance, they own the money.")),
        ("cfo", ("The CFO controls the budget for this.", "Our CFO would have to decide on any spend.",
                 "Spending like that goes through our CFO.")),
        ("boss_holds", ("My boss holds the purse strings.", "The budget sits with my manager.",
                        "My manager is the one with the budget.")),
        ("procurement", ("Procurement handles the budget side.", "Any budget goes through procurement, they decide.")),
        ("board", ("The board sets spending for anything like this.", "Budgets come down from the owners.",
                   "The owners decide how much we spend.")),
        ("head_office", ("Head office allocates our budget.", "Corporate decides what we get to spend.",
                         "Our parent company sets the budgets for us.")),
    ),
    # --------------------------------------------------------------------------------------- authority
    *_group(
        "authority.stated",
        ("signs_off", ("I'm the one who signs off on this.", "I sign off on tools like this myself.",
                       "Sign-off is mine.")),
        ("my_call", ("It's my call in the end.", "At the end of the day it's my decision.",
                     "Whether we buy is up to me.")),
        ("final_say", ("I have final say on what my team uses.", "I get the final word on this purchase.",
                       "I've got the last word on vendors for my department.")),
        ("no_one_else", ("Nobody else needs to approve it, I can just go ahead.",
                         "I don't need anyone's approval for this.",
                         "If I like it, we buy it, no one above me needs to weigh in.")),
        ("own_decision", ("I own the decision on this.", "This decision sits with me.",
                          "I'm the decision maker here.")),
        ("sign_contract", ("I'll be signing the contract myself.", "I'm the one who'd sign the order form.",
                           "The contract would come to me to sign.")),
        ("i_choose", ("I choose the tools for the sales floor.", "Picking the vendor is my job.",
                      "I decide which vendor we go with.")),
        ("my_budget_my_call", ("It's my budget and my decision.", "I control both the budget and the decision.")),
    ),
    *_group(
        "authority.hedged",
        ("part_of", ("I'm part of the decision, probably.", "I'd have a say, but I'm not sure I'm the final word.",
                     "I'm one of the people deciding, I think.")),
        ("influence", ("I have some influence on it.", "My opinion carries weight, but it's not only me.",
                       "I can push for it, whether that's enough I don't know.")),
        ("not_sure_who", ("Honestly, I'm not sure who signs off on something like this.",
                          "I'd have to check who actually approves this.",
                          "Not totally sure how the approval would work.")),
        ("maybe_me", ("It might end up being my call, it might not.", "Could be me, could be my manager, we'll see.")),
        ("recommend", ("I'd recommend it and probably they'd go with it.",
                       "Usually they go with what I recommend, usually.",
                       "If I make the case it'll likely go through.")),
        ("shared", ("It's kind of a shared thing, we'd decide together.",
                    "We'd decide as a group, I think, it's a bit unclear.")),
    ),
    *_group(
        "authority.negated",
        ("not_signer", ("I'm not the one who signs off.", "Sign-off isn't me.", "I don't sign off on purchases.")),
        ("not_my_decision", ("It's not my decision to make.", "That's not my call, unfortunately.",
                             "I don't get to decide that.")),
        ("no_authority", ("I don't have any authority to buy things.", "I can't approve purchases at all.")),
        ("just_looking", ("I'm just gathering information, I don't decide anything.",
                          "I'm only doing research, the decision isn't mine.",
                          "I'm just collecting options, I have no say in buying.")),
        ("no_power", ("I have zero purchasing power here.", "Buying decisions are above my pay grade.",
                      "I'm not in a position to make buying decisions.")),
        ("cant_commit", ("I can't commit the company to anything.", "I'm not able to commit to a purchase.")),
    ),
    *_group(
        "authority.delegated",
        ("director", ("My director decides.", "That's my director's call.", "My director makes the final decision.")),
        ("vp", ("Our VP of sales makes that decision.", "It goes up to our VP, she decides.",
                "The VP has the final say on this.")),
        ("owner", ("The owner decides on anything like this.", "Our founder signs off on all software.",
                   "That goes to the owner, it's her decision.")),
        ("committee", ("A buying committee makes the call.", "We have a committee that approves vendors.")),
        ("it_team", ("IT decides which tools we can use.", "Our IT department approves all software.",
                     "Anything like this, IT makes the decision.")),
        ("ceo", ("Our CEO would make that decision.", "It's up to the CEO.", "The CEO signs off on it, not me.")),
    ),
    # -------------------------------------------------------------------------------------------- need
    *_group(
        "need.stated",
        ("headache", ("Our biggest headache is that {problem}.", "The main pain for us is that {problem}.",
                      "What really hurts right now is that {problem}.")),
        ("problem_is", ("The problem is {problem}.", "Our problem is that {problem}.",
                        "Here's the issue: {problem}.")),
        ("why_calling", ("The reason we're looking is that {problem}.", "We reached out because {problem}.",
                         "That's why I took the call, {problem}.")),
        ("struggle", ("We're struggling because {problem}.", "We really struggle with it, {problem}.",
                      "It's been a struggle, honestly, {problem}.")),
        ("need_fix", ("We need to fix the fact that {problem}.", "We have to solve this: {problem}.",
                      "Something has to change, {problem}.")),
        ("costing_us", ("It's costing us deals, {problem}.", "We're losing money because {problem}.",
                        "It's hurting our numbers that {problem}.")),
        ("frustrated", ("My team is frustrated because {problem}.", "Everyone's fed up, {problem}.")),
    ),
    *_group(
        "need.hedged",
        ("maybe", ("Maybe we need it, not sure.", "We might need something like this, I'm not sure yet.",
                   "Possibly we'd use it, hard to say.")),
        ("nice_to_have", ("It'd be nice to have, I guess.", "It's more of a nice-to-have for us.",
                          "It's a nice-to-have, not a must.")),
        ("exploring", ("We're just exploring whether there's a problem to solve.",
                       "Not sure we have a real problem here, just looking.",
                       "We're still figuring out if we even need this.")),
        ("could_help", ("It could help a bit, maybe.", "It might help somewhat, I don't know.",
                        "Perhaps it would help, perhaps not.")),
        ("some_issues", ("We have some issues, nothing major, maybe.",
                         "There are small things, not sure they matter.")),
        ("someday", ("At some point we'll probably want something like this.",
                     "Down the road maybe, it's not pressing.",
                     "It might become a need eventually.")),
    ),
    *_group(
        "need.negated",
        ("fine_with", ("We're fine with what we have.", "Honestly, what we have works fine.",
                       "Our current setup does the job.")),
        ("no_problem", ("We don't really have that problem.", "That's not an issue for us.",
                        "We don't struggle with that at all.")),
        ("happy", ("The team's happy with the current process.", "Everyone's pretty happy as things are.")),
        ("not_looking", ("We're not looking to change anything.", "We aren't in the market for anything new.",
                         "We're not trying to replace anything.")),
        ("no_use", ("I don't see us using something like this.", "We wouldn't have a use for it.",
                    "There's no real use case for us.")),
        ("solved", ("We solved that already, internally.", "That's already handled in-house.",
                    "We built our own fix for that a while back.")),
    ),
    # ---------------------------------------------------------------------------------------- timeline
    *_group(
        "timeline.stated",
        ("need_live", ("We need this live {when}.", "We have to be up and running {when}.",
                       "It has to be in place {when}.")),
        ("aiming", ("We're aiming to roll it out {when}.", "The plan is to go live {when}.",
                    "Our target is to launch {when}.")),
        ("decide_by", ("We want to buy {when}.", "We'll be signing {when}.", "We're making the purchase {when}.")),
        ("deadline", ("The deadline is {when}.", "Hard deadline, {when}.", "We've committed to having it {when}.")),
        ("start_using", ("We'd like the team using it {when}.", "The reps should be on it {when}.",
                         "We want everyone trained on it {when}.")),
        ("project_plan", ("Our project plan has this going live {when}.",
                          "The rollout is scheduled for {when_bare}.", "It's on the roadmap for {when_bare}.")),
        ("has_to_be", ("It really has to happen {when}.", "We need it done {when}, no later.")),
    ),
    *_group(
        "timeline.hedged",
        ("probably", ("Probably around Q3, but nothing's fixed.", "Probably sometime this year, nothing's set.",
                      "Maybe in the fall, but that's not fixed.")),
        ("no_rush", ("There's no rush, whenever really.", "No fixed date, we'll see how it goes.",
                     "Whenever it makes sense, I guess.")),
        ("depends_on", ("It depends on when the other project wraps up.",
                        "Timing depends on a few other things.", "When depends on hiring, honestly.")),
        ("soonish", ("Soonish, hopefully.", "Sooner rather than later, but no date.",
                     "At some point soon, I'd hope.")),
        ("maybe_next_year", ("Maybe next year, maybe later.", "Could be next year, hard to say.",
                             "Not sure, possibly early next year.")),
        ("tbd", ("Timing is still to be decided.", "We haven't nailed down timing.",
                 "Nobody's agreed on a date yet.")),
    ),
    *_group(
        "timeline.negated",
        ("no_timeline", ("There's no timeline at all.", "We don't have a timeline for this.",
                         "No timeline, honestly.")),
        ("not_this_year", ("Nothing's happening this year.", "This won't happen any time this year.")),
        ("on_hold", ("The whole thing is on hold.", "It's been put on hold indefinitely.",
                     "We've parked it for now, no date.")),
        ("no_plans", ("We have no plans to buy anything.", "There are no plans to roll anything out.",
                      "We're not planning any rollout.")),
        ("not_priority", ("It's not a priority, so no date at all.", "It's not on the roadmap.",
                          "It isn't scheduled, and it won't be soon.")),
        ("years_away", ("That's years away, if ever.", "We're nowhere near doing this.")),
    ),
    *_group(
        "timeline.delegated",
        ("it_picks", ("IT picks the date.", "IT decides when things go live.", "IT sets the rollout schedule.")),
        ("pmo", ("Our project office sets the timing.", "The PMO decides when it happens.")),
        ("boss_decides", ("My boss decides when we'd start.", "Timing's up to my manager.",
                          "My manager sets the schedule for this.")),
        ("ops_team", ("Operations decides when we roll things out.", "The ops team owns the schedule.",
                      "Ops will tell us when.")),
        ("leadership", ("Leadership sets the dates.", "The exec team decides the timing.",
                        "Timing is decided above me.")),
        ("procurement_cycle", ("Procurement decides when we can start.", "Procurement owns the timing on this.")),
    ),
    # ----------------------------------------------------------------------------------- look-alikes
    *_group(
        "lookalike.renewal",
        ("renews", ("Our contract with {competitor} renews in {month}.",
                    "The {competitor} contract renews in {month}.")),
        ("up_for_renewal", ("We're with {competitor} and it's up for renewal in {month}.",
                            "{competitor} comes up for renewal in {month}.")),
        ("expires", ("Our {competitor} subscription expires in {month}.",
                     "The {competitor} licence runs out in {month}.")),
        ("term_ends", ("Our term with {competitor} ends in {month}.",
                       "We're locked in with {competitor} until {month}.")),
    ),
    *_group(
        "lookalike.past_purchase",
        ("paid_old", ("We paid {money} for the old system two years ago.",
                      "The last system cost us {money}, back in the day.")),
        ("spent_before", ("We spent {money} on a dialer a few years back.",
                          "A while ago we spent {money} on a CRM rollout.")),
        ("last_time", ("Last time we bought software it was about {money}.",
                       "Our last vendor cost {money} in year one.")),
        ("wasted", ("We burned {money} on a tool nobody used, years ago.", "We once wasted {money} on a platform.")),
    ),
    *_group(
        "lookalike.headcount",
        ("employees", ("We have {n} employees.", "We're about {n} people overall.")),
        ("staff", ("There are {n} staff across the company.", "Total headcount is {n}.")),
        ("grew", ("We've grown to {n} people.", "We're up to {n} people now.")),
        ("size", ("Company-wide we're roughly {n} people.", "Size-wise, {n} employees.")),
    ),
    *_group(
        "lookalike.seats",
        ("seats", ("We'd need about {n} seats.", "Probably {n} seats to start.")),
        ("reps", ("We have {n} reps on the phones.", "There are {n} people making calls.")),
        ("licenses", ("We'd be looking at {n} licenses.", "Something like {n} users.")),
        ("team_of", ("My team is {n} people.", "The sales team is {n} strong.")),
    ),
    *_group(
        "lookalike.title",
        ("im_the", ("I'm the {title}.", "I'm the {title} here.")),
        ("role_is", ("My role is {title}.", "My title is {title}.")),
        ("work_as", ("I work as the {title}.", "I've been the {title} for three years.")),
        ("run", ("I'm {title}, been here a while.", "I joined as {title} last year.")),
    ),
    *_group(
        "lookalike.rep_budget",
        ("typical", ("Most teams your size spend about {money} a year.",
                     "Typically customers like you budget around {money}.")),
        ("pricing", ("Pricing usually lands around {money} for a team like yours.",
                     "For reference, a rollout like this is usually {money}.")),
        ("average", ("Our average customer invests roughly {money}.", "On average people put {money} into it.")),
        ("ballpark", ("Ballpark, you'd be looking at {money}.", "Just so you know, it tends to be {money}.")),
        speaker="rep",
    ),
    *_group(
        "lookalike.rep_timeline",
        ("could_live", ("We could have you live {when}.", "We can get you up and running {when}.")),
        ("onboard", ("If we started now, onboarding would wrap up {when}.",
                     "If we started now you'd be done {when}.")),
        ("typical_rollout", ("Most customers roll out {when}.", "A typical rollout would finish {when}.")),
        ("could_aim", ("We could aim for {when_bare}, if that helps.", "I could see you live {when}.")),
        speaker="rep",
    ),
    *_group(
        "support.fault",
        ("not_syncing", ("Since Tuesday our calls aren't syncing to the CRM.", "The sync to our CRM stopped working.",
                         "Nothing has synced since the update.")),
        ("export_fails", ("The export keeps failing with an error.", "Every time we export a report it crashes.",
                          "Reports just come out empty now.")),
        ("login", ("Half my team can't log in this morning.", "We keep getting logged out every few minutes.")),
        ("recordings", ("Some recordings have no audio.", "The recordings cut off after a minute.",
                        "Call recordings are missing from yesterday.")),
        ("slow", ("The dashboard takes forever to load.", "Everything's really slow since last week.")),
        ("wrong_data", ("The transcripts show the wrong speaker names.", "Call notes end up on the wrong contact.",
                        "The dates on our calls are all off by a day.")),
    ),
    # --------------------------------------------------------------- competitor mentions (in passing)
    *_group(
        "competitor.trialled",
        ("trialled", ("We trialled {competitor} last year.", "We did a trial of {competitor} a while back.")),
        ("tried", ("We tried {competitor} for a few months.", "We gave {competitor} a go, didn't stick.")),
        ("piloted", ("We piloted {competitor} with one team.", "One team ran a pilot with {competitor}.")),
        ("tested", ("We tested {competitor} in the spring.", "We had {competitor} on a test run.")),
    ),
    *_group(
        "competitor.evaluating",
        ("also_looking", ("We're also looking at {competitor}.", "We're talking to {competitor} as well.")),
        ("shortlist", ("{competitor} is on our shortlist too.", "We've got {competitor} on the list as well.")),
        ("demo_with", ("We have a demo with {competitor} next week.", "We saw a demo from {competitor} already.")),
        ("quote_from", ("We got a quote from {competitor}.", "{competitor} sent us pricing last week.")),
    ),
    *_group(
        "competitor.compared",
        ("compared_to", ("How do you compare to {competitor}?", "What makes you different from {competitor}?")),
        ("vs", ("Is it cheaper than {competitor}?", "Is it better than {competitor} for this?")),
        ("heard", ("A friend said {competitor} does something similar.", "Doesn't {competitor} do this too?")),
        ("like", ("Is it like {competitor}?", "Would it work alongside {competitor}?")),
    ),
    *_group(
        "competitor.current",
        ("use_now", ("We use {competitor} right now.", "Right now we're on {competitor}.")),
        ("been_on", ("We've been on {competitor} for years.", "We've had {competitor} for a couple of years.")),
        ("run_on", ("Our team runs on {competitor}.", "Everything we do is in {competitor} at the moment.")),
        ("currently", ("Currently it's {competitor}.", "At the moment {competitor} handles it.")),
    ),
]


def _second_writer() -> list[Family]:
    """families_dev2.SECOND_WRITER as dev families, each said by its group's speaker."""
    from benchmarks.leads.families_dev2 import SECOND_WRITER

    speaker = {f.group: f.speaker for f in FAMILIES}
    return [Family(f"{group}.{name}", "dev", templates, speaker[group])
            for group, named in SECOND_WRITER.items() for name, templates in named]


# Appended after the alternating list: they only add dev choices, so test cases stay the same.
FAMILIES += _second_writer()
BY_KEY: dict[str, Family] = {f.key: f for f in FAMILIES}
assert len(BY_KEY) == len(FAMILIES), "two families share a key"


def families(group: str, split: str) -> list[Family]:
    """The families of `group` (e.g. "budget.stated") assigned to `split`."""
    return [f for f in FAMILIES if f.group == group and f.split == split]


def counts() -> dict[str, dict[str, int]]:
    """group -> {"dev": n, "test": n}: how many families each split gets."""
    out: dict[str, dict[str, int]] = {}
    for f in FAMILIES:
        out.setdefault(f.group, {"dev": 0, "test": 0})[f.split] += 1
    return out
