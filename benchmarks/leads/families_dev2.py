"""Paraphrase families from a second writer, all assigned to dev (round 4 of the lead work).

The first writer's families (families.py) alternate dev and test, so dev and test wordings come from one pen: after
three rounds dev was saturated (98-100 % tier) while test stayed at 89.5 %. These families were written by a
helper who was shown only the dev families of families.py and asked for new wordings (idioms, fillers, British and
American variants, longer turns), with the same placeholders and the same meaning per group. They go to dev only,
so the test split is unchanged (same cases, same seed) and what is tuned on them is measured on test unseen.
"""

SECOND_WRITER: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "budget.stated": [
        ("ring_fenced", (
            "So {money} is ring-fenced for this, the cash is there.",
            "Honestly, we've ring-fenced {money} for a call tool like yours.",
            "There's {money} ring-fenced for this and nobody can touch it for anything else.",
        )),
        ("in_the_pot", (
            "We've got {money} in the pot for this.",
            "Um, there's {money} in the pot for exactly this kind of thing, and it's real money.",
            "The money's there: {money}, ready to spend on this purchase.",
        )),
        ("allocated_funds", (
            "We've allocated {money} to this, full stop.",
            "I've got {money} to play with on this, and it's money we actually have.",
            "I mean, {money} has been allocated and it's just sitting there waiting for the right tool.",
        )),
    ],
    "budget.hedged": [
        ("no_idea_how_much", (
            "Um, there's probably something in the pot, but I genuinely don't know how much.",
            "I mean, there may be money for it, there may not, I haven't seen the numbers.",
            "Honestly, I couldn't give you a figure, it might be a decent amount or it might be peanuts.",
        )),
        ("hinges_on_forecast", (
            "Whether there's money really hinges on how the forecast looks.",
            "If our numbers hold up we might be able to stretch to something, but don't quote me.",
            "To be fair, it depends how the spending review shakes out.",
        )),
        ("up_in_the_air", (
            "Money's a bit TBC, to be honest.",
            "We're kind of in the dark on spend right now, it could go either way.",
            "There might be a pot for it, but it's all a bit up in the air.",
        )),
    ],
    "budget.negated": [
        ("cupboard_bare", (
            "The cupboard's bare, honestly.",
            "There's literally no money for this, I'm sorry.",
            "We haven't got a penny to put towards something like this.",
        )),
        ("spending_freeze", (
            "We're under a spending freeze, so nothing new gets paid for.",
            "Um, there's a freeze on all non-essential spend, and this definitely counts as non-essential.",
            "Every line item's been cut, there's just nothing left over for tools.",
        )),
        ("no_cash", (
            "We're skint, to be blunt.",
            "I mean, we're a tiny outfit and there's just no cash for this kind of thing.",
            "The money simply isn't there for anything like this.",
        )),
    ],
    "budget.delegated": [
        ("procurement_wallet", (
            "Procurement holds the wallet on anything like this.",
            "Honestly, how much we can spend is down to procurement, not me.",
            "The spending limits come from procurement, I don't even see the figures.",
        )),
        ("head_office_funds", (
            "Head office controls the budget, we just get told what we've got.",
            "Our budgets get handed down from head office.",
            "Money for anything like this comes from the parent company, they hold it.",
        )),
        ("budget_line_owner", (
            "That budget line belongs to our VP of revenue.",
            "The money would come out of the CRO's budget, not mine.",
            "Spend on sales tools comes out of my VP's budget, and she holds it.",
        )),
    ],
    "authority.stated": [
        ("holding_pen", (
            "I'm the one holding the pen on this.",
            "Um, if it gets bought, it's my signature on the contract.",
            "I'll be the one putting pen to paper.",
        )),
        ("up_to_me", (
            "It's my call, nobody else's.",
            "To be fair, it's basically up to me whether we go ahead.",
            "I don't need anyone's blessing on this one, I make the call.",
        )),
        ("buck_stops", (
            "The buck stops with me on software for the team.",
            "Nobody above me needs to approve it, I can sign it myself.",
            "I'm the approver on this.",
        )),
    ],
    "authority.hedged": [
        ("grey_area", (
            "It's a bit of a grey area whether I can sign this myself.",
            "Um, I might be able to approve it, I'd honestly have to check my limits.",
            "I think it's my call, but I wouldn't swear to it.",
        )),
        ("unclear_role", (
            "I'd be in the room, but whether I'm the one who decides, I'm not sure.",
            "I mean, I've got some influence, I just don't know if that's the same as deciding.",
            "Could be me, could be a group thing, it's never been clear.",
        )),
        ("depends_on_size", (
            "If it's small enough I can probably approve it, otherwise I'm not sure.",
            "Depends how big the deal ends up, I may or may not be able to sign it.",
        )),
    ],
    "authority.negated": [
        ("not_my_call", (
            "It's not my call, unfortunately.",
            "Honestly, that's not my decision to make.",
            "I can't say yes to this, it's not up to me.",
        )),
        ("no_signing_rights", (
            "I'm not the one holding the pen.",
            "I can't put my name on a contract like this.",
            "Um, I don't have signing rights, full stop.",
        )),
        ("just_a_user", (
            "I can't approve anything, I just use the tools.",
            "I'm just a user here, I don't get to green-light purchases.",
            "To be fair, I can pass it along, but I can't say yes to it myself.",
        )),
    ],
    "authority.delegated": [
        ("vp_sales", (
            "Our VP of sales makes that call.",
            "That one's down to our VP of sales, um, she has the final word.",
            "Ultimately it's the VP of sales who green-lights it.",
        )),
        ("partners", (
            "The partners decide on anything like this.",
            "It'd go to the partners, they vote on it.",
            "That's a partners' decision, to be fair, not mine.",
        )),
        ("line_manager", (
            "My line manager would be the one to approve it.",
            "It'd need my line manager's sign-off, it's his decision.",
            "I'd have to take it to my line manager, she decides.",
        )),
    ],
    "need.stated": [
        ("keeps_up_at_night", (
            "Honestly, what keeps me up at night is that {problem}.",
            "The thing that's really killing us is that {problem}.",
            "If I'm being straight with you, the problem is that {problem}.",
        )),
        ("hurting_us", (
            "We're dropping deals because {problem}.",
            "It's hurting us, um, pretty badly, because {problem}.",
            "Our managers are tearing their hair out because {problem}.",
        )),
        ("got_to_sort", (
            "We've got to sort out the fact that {problem}.",
            "I mean, it can't carry on like this, because {problem}.",
            "I'm here because {problem}, simple as that.",
        )),
    ],
    "need.hedged": [
        ("on_the_fence", (
            "I'm on the fence about whether we actually need this.",
            "Um, it might help, it might not, I genuinely can't tell.",
            "I mean, it could be useful, but I'm not convinced we've got a gap.",
        )),
        ("handy_maybe", (
            "It feels like a nice-to-have more than a must-have, maybe.",
            "Could be handy, I suppose, I'm just not sure it solves anything for us.",
            "Possibly there's a fit, possibly not.",
        )),
        ("poking_around", (
            "We're kind of poking around to see if it's even relevant to us.",
            "To be fair, I'm not sure we've got a problem this would fix.",
            "Someone mentioned it, so I'm just seeing whether it's for us.",
        )),
    ],
    "need.negated": [
        ("aint_broke", (
            "If it ain't broke, don't fix it, and honestly it isn't broke.",
            "We don't really have a problem this would solve.",
            "Nothing's broken on our side, to be fair.",
        )),
        ("already_covered", (
            "We're pretty sorted on that front.",
            "I mean, we've already got that covered.",
            "That's handled, we don't need anything extra.",
        )),
        ("no_fit", (
            "Um, I can't see where it would fit for us at all.",
            "We genuinely don't need it.",
            "There's no appetite for something like this, the team just doesn't need it.",
        )),
    ],
    "timeline.stated": [
        ("pull_trigger", (
            "We're planning to pull the trigger {when}.",
            "Um, the plan is to have a contract signed {when}.",
            "We'll be committing to a vendor {when}, that's locked in.",
        )),
        ("switch_on", (
            "We want this switched on {when}.",
            "The goal is to flip the switch {when}, no slipping.",
            "I need my reps up and calling on it {when}.",
        )),
        ("hard_deadline", (
            "We've got a hard deadline, it has to be rolled out {when}.",
            "Realistically it's got to be bedded in {when}, and that date doesn't move.",
            "We're kicking off {when}, and we're not budging on that.",
        )),
    ],
    "timeline.hedged": [
        ("dont_hold_me", (
            "Sometime in the autumn, maybe, but don't hold me to it.",
            "Um, at some point, I just can't give you a date.",
            "We're thinking soonish, but it's pretty loose.",
        )),
        ("dust_settles", (
            "Once the dust settles after the reorg, probably.",
            "When things calm down a bit, I'd guess.",
            "It'll happen if and when the new hires are in, I think.",
        )),
        ("who_knows", (
            "Could be a few months, could be longer, there's no fixed date.",
            "I'd say in the next little while, but honestly, who knows.",
            "Possibly before the summer, possibly after, it's up in the air.",
        )),
    ],
    "timeline.negated": [
        ("back_burner", (
            "We've put it on the back burner.",
            "It's on the back burner, no date attached.",
            "Honestly, it's gone on the back burner and it's staying there.",
        )),
        ("shelved", (
            "The project's been shelved.",
            "Um, it's been shelved, there's no go-live date whatsoever.",
            "We've binned the whole idea for now.",
        )),
        ("nothing_on_calendar", (
            "There's nothing on the calendar for this.",
            "Nobody's put a date on it, and nobody's going to.",
            "It's not happening any time we can see.",
        )),
    ],
    "timeline.delegated": [
        ("procurement_schedule", (
            "Procurement sets the schedule for when new contracts start.",
            "When it starts is really down to procurement's timetable.",
            "The start date gets fixed by our procurement people, not us.",
        )),
        ("head_office_timing", (
            "Head office decides when new tools get rolled out.",
            "The timing gets handed down from head office.",
            "Rollout dates come from head office, we just follow them.",
        )),
        ("someone_else_dates", (
            "When we'd go live is my VP's call, not mine.",
            "Our ops team owns the rollout calendar, so they'd pick the date.",
            "Um, the start date is for my line manager to set.",
        )),
    ],
    "lookalike.renewal": [
        ("comes_up", (
            "Our {competitor} deal comes up for renewal in {month}.",
            "The {competitor} subscription is up again in {month}, same as every year.",
            "Um, our billing with {competitor} renews each {month}.",
        )),
        ("lapses", (
            "The term on our {competitor} contract ends in {month}.",
            "Our {competitor} licence lapses at the end of {month}.",
            "The {competitor} annual plan rolls over in {month}.",
        )),
        ("tied_in", (
            "Just so you know, we're tied into {competitor} until {month}.",
            "We're locked into {competitor} through {month}.",
        )),
    ],
    "lookalike.past_purchase": [
        ("old_systems", (
            "We dropped {money} on a CRM migration a couple of years back.",
            "The phone system we put in cost us {money}, and that was ages ago.",
            "Um, we spent {money} on a dialler a few years ago and barely used it.",
        )),
        ("consultants_events", (
            "We paid consultants {money} for a sales training programme a while ago.",
            "That sales kickoff event set us back {money}.",
            "We blew {money} on an agency once, never again.",
        )),
        ("previous_vendor", (
            "Our last tool ended up costing {money} all in, before we scrapped it.",
            "Back when we bought our old dialler it came to {money}.",
        )),
    ],
    "lookalike.headcount": [
        ("headcount", (
            "Headcount's around {n} at the minute.",
            "Um, there's {n} of us on the payroll.",
            "We're a company of roughly {n}.",
        )),
        ("outfit_size", (
            "We're a {n}-person outfit.",
            "All in, we're about {n} staff across three offices.",
        )),
        ("whole_business", (
            "We've got {n} people across the whole business.",
            "The whole organisation is {n} people, give or take.",
        )),
    ],
    "lookalike.seats": [
        ("reps_on_it", (
            "We'd be putting {n} reps on it.",
            "You'd need to cover {n} users, roughly.",
            "Um, it'd be {n} people logging in.",
        )),
        ("licence_count", (
            "We'd want {n} licences, give or take.",
            "Licence-wise, call it {n}.",
        )),
        ("user_accounts", (
            "We'd need {n} logins for the sales team.",
            "It'd be {n} user accounts to start.",
            "Realistically {n} people would need access.",
        )),
    ],
    "lookalike.title": [
        ("my_role", (
            "My role is {title}.",
            "By title I'm the {title}.",
            "Officially I'm the {title}, for what it's worth.",
        )),
        ("joined_as", (
            "I joined as {title} last spring.",
            "I came on board as the {title} about a year ago.",
            "Um, I've just started as {title}.",
        )),
        ("job_title", (
            "My job title is {title}.",
            "So my title is {title}, just for context.",
        )),
    ],
    "lookalike.rep_budget": [
        ("list_price", (
            "Pricing for a team like yours usually lands around {money}.",
            "List price is {money} per year for that tier.",
            "Um, you'd be looking at about {money} annually on our standard plan.",
        )),
        ("peers_spend", (
            "Companies in your space tend to spend {money} or so.",
            "Honestly, most of our mid-market clients end up around {money}.",
            "Your peers usually put about {money} behind this.",
        )),
        ("per_seat_price", (
            "It works out at {money} per seat per month.",
            "Each licence is {money} a month.",
        )),
    ],
    "lookalike.rep_timeline": [
        ("set_up", (
            "We could have your reps onboarded {when}.",
            "Our team can get you set up {when}, easy.",
            "Typically, implementation on our side wraps up {when}.",
        )),
        ("turnaround", (
            "With our usual turnaround you'd be live {when}.",
            "Most clients are fully up and running {when}.",
            "If you went ahead, we'd have the integration done {when}.",
        )),
        ("deploy", (
            "We'd have it deployed {when}, no problem.",
            "From our side we can deliver {when}.",
        )),
    ],
    "support.fault": [
        ("exports_failing", (
            "The CSV export just spins and never finishes.",
            "Um, every time I export a report I get an error 500.",
            "Exports have been failing since yesterday's update.",
        )),
        ("audio_missing", (
            "Half the recordings have no audio, it's just silence.",
            "The call playback cuts out after about thirty seconds.",
            "We're getting recordings with the rep's side of the call missing.",
        )),
        ("app_crashing", (
            "The desktop app crashes as soon as someone joins a call.",
            "Honestly, it keeps freezing and then closing itself mid-call.",
            "The Chrome extension throws an error and dies every time I open a contact.",
        )),
    ],
    "competitor.trialled": [
        ("gave_a_go", (
            "We gave {competitor} a go a while ago.",
            "Um, we had a free trial of {competitor} last spring.",
            "We tested {competitor} for about a month.",
        )),
        ("kicked_tyres", (
            "We kicked the tyres on {competitor} a while back.",
            "A couple of our reps tried out {competitor} for a few weeks.",
        )),
        ("didnt_stick", (
            "We tried {competitor} and it didn't stick.",
            "We had a go with {competitor}, it wasn't for us.",
            "Our trial with {competitor} kind of fizzled out.",
        )),
    ],
    "competitor.evaluating": [
        ("in_the_running", (
            "We've got {competitor} on the shortlist as well.",
            "To be fair, {competitor}'s in the running too.",
            "You're up against {competitor}, just so you know.",
        )),
        ("side_by_side", (
            "We're running {competitor} side by side with you.",
            "Um, we're evaluating {competitor} in parallel.",
            "We're going through the same process with {competitor}.",
        )),
        ("in_talks", (
            "We've got a proposal coming from {competitor} too.",
            "I'm also in conversations with {competitor}.",
        )),
    ],
    "competitor.compared": [
        ("why_you", (
            "Why would I pick you over {competitor}?",
            "What do you do that {competitor} doesn't?",
            "So what's the catch compared with {competitor}?",
        )),
        ("stack_up", (
            "How do you stack up against {competitor}?",
            "Honestly, is your product better than {competitor}?",
            "Where do you beat {competitor}?",
        )),
        ("isnt_that", (
            "Isn't this basically what {competitor} does?",
            "Um, how's this any different from {competitor}, really?",
            "I read that {competitor} has the same feature, is that right?",
        )),
    ],
    "competitor.current": [
        ("with_now", (
            "We're with {competitor} at the minute.",
            "Um, the team uses {competitor} day to day.",
            "At the moment all our calls go through {competitor}.",
        )),
        ("live_in", (
            "We've been on {competitor} for a couple of years now.",
            "Our reps live in {competitor}.",
            "Currently it's {competitor} for everything.",
        )),
        ("current_tool", (
            "Our current tool is {competitor}.",
            "Today we do all of this in {competitor}.",
        )),
    ],
}
