"""Text-level generator of sales and support call transcripts with lead truth (no TTS).

    generate("test", 200, seed=1) -> list[LeadCase]

Each case draws a target tier first (so tiers come out balanced), then criterion statuses that the reference
rule (truth_rules.reference_tier) maps to that tier, then writes the call: opening with names, small talk,
rep questions and prospect answers from the split's paraphrase families, look-alike lines that must not
count, competitor mentions, contact details spoken as people dictate them, and a next step. A case only
uses its split's families and names (families.py, names.py). Everything comes from one random.Random seeded by
(split, seed, index), so a case does not change when n changes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from benchmarks.corpus.spoken import number_to_words, spoken_digits
from benchmarks.leads import families as fam
from benchmarks.leads import names as pools
from benchmarks.leads.case import CRITERIA, CaseLine, LeadCase, LeadTruth
from benchmarks.leads.truth_rules import reference_tier
from services.pipeline.lead_context import CallContext

SUPPORT_SHARE = 0.2
CORRUPT_SHARE = 0.3
MIN_LINES, MAX_LINES = 10, 24
# Sales target tiers: support calls are (almost) all cold, so sales leans hot/warm for a balanced total.
SALES_TIER_WEIGHTS = {"hot": 0.42, "warm": 0.40, "cold": 0.18}
STATUS_WEIGHTS = {"stated": 0.36, "hedged": 0.15, "negated": 0.15, "delegated": 0.12, "absent": 0.22}

# (as said after a verb, as said after "for", key phrase in the truth)
WHENS: tuple[tuple[str, str, str], ...] = (
    ("by the end of March", "the end of March", "end of March"),
    ("in Q3", "Q3", "Q3"),
    ("within six weeks", "six weeks from now", "six weeks"),
    ("by September", "September", "September"),
    ("in the first week of June", "the first week of June", "first week of June"),
    ("before the end of Q2", "the end of Q2", "end of Q2"),
    ("by October first", "October first", "October first"),
    ("within the next two months", "the next two months", "next two months"),
    ("by mid-April", "mid-April", "mid-April"),
    ("in January", "January", "January"),
    ("within ninety days", "ninety days from now", "ninety days"),
    ("by the start of next quarter", "the start of next quarter", "start of next quarter"),
)
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
AMOUNTS = (15_000, 20_000, 25_000, 30_000, 40_000, 45_000, 50_000, 60_000, 75_000, 80_000, 90_000, 100_000,
           120_000, 150_000, 180_000, 200_000, 250_000)
HEADCOUNTS = ("2,000", "about two thousand", "150", "three hundred", "about 80", "1,200", "forty", "around 500")
SEATS = ("40", "about forty", "twenty-five", "12", "sixty", "a hundred", "thirty", "15")
PREFIXES = ("", "", "", "Yeah. ", "Sure. ", "Good question. ", "Hmm. ", "Well, okay. ", "Right. ", "So. ")

QUESTIONS = {
    "budget": ("Do you have a budget in mind for this?", "What are you working with budget-wise?",
               "Have you set aside any money for this?", "How are you thinking about budget?"),
    "authority": ("Who else is involved in the decision?", "Are you the one making the call on this?",
                  "How does approval work on your side?", "Who signs off on something like this?"),
    "need": ("What's prompting the search?", "What are you trying to solve?", "What's not working today?",
             "Tell me a bit about how you handle calls today."),
    "timeline": ("When are you hoping to have something in place?", "What's your timeframe?",
                 "Is there a date you're working towards?", "When would you want to get started?"),
}
SMALL_TALK = (
    ("How's your week going?", "Busy, but good, thanks."),
    ("Can you hear me okay?", "Yep, loud and clear."),
    ("Thanks for making the time today.", "No problem, happy to chat."),
    ("Did you have a good weekend?", "It was fine, a bit rainy."),
    ("Sorry I'm a minute late.", "No worries at all."),
    ("Is this still a good time?", "Yeah, I've got about twenty minutes."),
)
# Extra pairs used to pad a call to its drawn length (never carry a fact).
SALES_FILLER = (
    ("Do you mind if I take notes?", "Go ahead."),
    ("How did you hear about us, by the way?", "A colleague mentioned you."),
    ("Let me pull up your details, one second.", "Sure, take your time."),
    ("I'll keep this short, I promise.", "Appreciated."),
)
SUPPORT_TALK = (
    ("Can I get the account name?", "It's under the company name."),
    ("Thanks for holding.", "No problem."),
    ("Sorry for the trouble.", "It happens."),
    ("Is this affecting everyone on your team?", "Most of them, yes."),
    ("Let me note that down.", "Okay."),
    ("How long has this been going on?", "A couple of days."),
)
COMPARE_REPLIES = ("Good question, I'll show you the differences in a demo.", "We go much deeper on the CRM side.",
                   "I'll send you a comparison after the call.")
NEUTRAL = ("Good to know.", "Okay, noted.", "Okay.", "Got it.", "Mm-hm.")
REP_ACKS = ("Got it.", "That makes sense.", "Okay, thanks.", "Understood.", "Thanks, that helps.")
PITCHES = ("We record the call, transcribe it and fill in the CRM for you.",
           "Our tool writes the call notes and logs them automatically.",
           "Reps get a summary and next steps right after every call.")
MEETING_ASKS = ("Shall we set up a demo for next week?", "Would a trial with your team make sense as a next step?",
                "Can I book a follow-up with a proper demo?")
MEETING_YES = ("Yes, let's book it.", "Sure, send me an invite.", "Sounds good, let's do the demo.")
MEETING_NO = ("Let me think about it and get back to you.", "I'll reach out if we want to go further.",
              "Not right now, send me some material.")
# (agent, customer's reply)
TROUBLESHOOT = (("Let me check the logs on our side.", "Alright, that's fine."),
                ("Can you try signing out and back in?", "Okay, I'll try that."),
                ("I'm escalating this to our engineers.", "Thanks, please keep me posted."),
                ("Which browser are you using?", "Chrome, the latest one."),
                ("I can see the errors here, give me a second.", "Sure."))


@dataclass
class _Call:
    """The call as it is being written: lines, truth evidence, families used."""

    rng: random.Random
    split: str
    lines: list[tuple[str, str]] = field(default_factory=list)  # (role, text)
    evidence: dict[str, list[int]] = field(default_factory=dict)
    families: dict[str, str] = field(default_factory=dict)
    used_money: set[int] = field(default_factory=set)

    def say(self, role: str, text: str) -> int:
        self.lines.append((role, text))
        return len(self.lines) - 1

    def template(self, group: str, slot: str) -> tuple[fam.Family, str]:
        """A template from a family of `group` this call has not used yet (no line said twice)."""
        choices = fam.families(group, self.split)
        fresh = [f for f in choices if f.key not in self.families.values()]
        family = self.rng.choice(fresh or choices)
        self.families[slot] = family.key
        return family, self.rng.choice(family.templates)


def _money(rng: random.Random, amount: int, *, yearly: bool = True) -> str:
    """One of the ways people say an amount: "fifty thousand dollars", "$50k", "50 grand", "about 120,000 a year"."""
    k = amount // 1000
    style = rng.randrange(6) if yearly else rng.choice((0, 1, 2, 4, 5))
    if style == 0:
        return f"{number_to_words(k)} thousand dollars"
    if style == 1:
        return f"${k}k"
    if style == 2:
        return f"{k} grand"
    if style == 3:
        return f"about {amount:,} a year"
    if style == 4:
        return f"{number_to_words(k)} K"
    return f"${amount:,}"


def _phone(rng: random.Random) -> tuple[str, str]:
    """(spoken form, digits): "four one five, five five five, zero one nine two" / "four fifteen, ..." / digits."""
    area = f"{rng.choice((2, 3, 4, 6, 7, 8))}{rng.randrange(10)}{rng.randrange(1, 10)}"
    line = f"{rng.randrange(10)}{rng.randrange(10)}{rng.randrange(10)}{rng.randrange(1, 10)}"
    digits = f"{area}555{line}"
    style = rng.randrange(3)
    if style == 0:
        spoken = ", ".join(spoken_digits(g, rng) for g in (area, "555", line))
    elif style == 1:
        tail = int(area[1:])
        head = f"{spoken_digits(area[0])} {number_to_words(tail)}" if tail >= 10 else spoken_digits(area)
        pairs = [line[:2], line[2:]]
        said = " ".join(number_to_words(int(p)) if p[0] != "0" else spoken_digits(p, rng) for p in pairs)
        spoken = f"{head}, five five five, {said}"
    else:
        spoken = rng.choice((f"{area} 555 {line}", f"{area}-555-{line}"))
    return spoken, digits


def _email(rng: random.Random, first: str, last: str, company: str) -> tuple[str, str]:
    """(spoken form, written address)."""
    domain = pools.display(company).split()[0].lower()
    tld = rng.choice(("com", "com", "io", "co"))
    local_kind = rng.randrange(3)
    f, l = first.lower(), last.lower()
    if local_kind == 0:
        address, said_local = f"{f}.{l}", f"{f} dot {l}"
    elif local_kind == 1:
        address, said_local = f"{f[0]}.{l}", f"{f[0]} dot {l}"
    else:
        address, said_local = f, f
    spoken = f"{said_local} at {domain} dot {tld}"
    if rng.random() < 0.3:  # spelled out, as people do for unusual names
        spelled = " ".join(l.upper()) if local_kind != 2 else " ".join(f.upper())
        spoken += f", that's {spelled}"
    return spoken, f"{address}@{domain}.{tld}"


def _statuses(rng: random.Random, target: str, meeting: bool) -> dict[str, str]:
    """Criterion statuses that the reference rule maps to `target` (rejection sampling; cheap)."""
    for _ in range(500):
        status = {}
        for c in CRITERIA:
            weights = dict(STATUS_WEIGHTS)
            if c == "need":
                weights.pop("delegated")  # nobody else "holds" the prospect's problem
            status[c] = rng.choices(list(weights), list(weights.values()))[0]
        if reference_tier(status, meeting) == target:
            return status
    raise RuntimeError(f"no statuses found for tier {target}")


def _corrupt(rng: random.Random, name: str) -> str | None:
    """An ASR-like mishearing of a name: a compound split in two, or one vowel changed."""
    if "|" in name:
        head, tail = name.split("|", 1)
        heard = f"{head} {tail}"
        return heard.lower() if rng.random() < 0.5 and " " not in tail else heard
    word = pools.display(name).split()[0]
    vowels = [i for i, ch in enumerate(word) if ch in "aeiou" and 0 < i]
    if len(word) < 5 or not vowels:
        return None
    i = rng.choice(vowels)
    swap = rng.choice([v for v in "aeiou" if v != word[i]])
    return word[:i] + swap + word[i + 1:]


def _labels(rng: random.Random, rep_first: str, prospect_first: str) -> tuple[str, str]:
    style = rng.randrange(3)
    if style == 0:
        pair = ["SPEAKER_00", "SPEAKER_01"]
        rng.shuffle(pair)
        return pair[0], pair[1]
    if style == 1:
        pair = ["A", "B"]
        rng.shuffle(pair)
        return pair[0], pair[1]
    if rep_first == prospect_first:
        return "SPEAKER_00", "SPEAKER_01"
    return rep_first.upper(), prospect_first.upper()


def _prefix(rng: random.Random) -> str:
    return rng.choice(PREFIXES)


def _fill(text: str, rng: random.Random, call: _Call, **values: str) -> str:
    when, when_bare, _ = rng.choice(WHENS)
    slots = {"when": when, "when_bare": when_bare, "month": rng.choice(MONTHS),
             "title": rng.choice(pools.half(pools.TITLES, call.split)),
             "problem": rng.choice(pools.half(pools.PROBLEMS, call.split))}
    if "{money}" in text and "money" not in values:
        amount = rng.choice([a for a in AMOUNTS if a not in call.used_money])
        call.used_money.add(amount)
        slots["money"] = _money(rng, amount, yearly=False)  # look-alikes: past or typical amounts
    slots.update(values)
    return text.format(**slots)


def _case(split: str, seed: int, index: int) -> LeadCase:
    rng = random.Random(f"leads/{split}/{seed}/{index}")
    call = _Call(rng, split)
    kind = "support" if rng.random() < SUPPORT_SHARE else "sales"
    first, rep_first = rng.sample(pools.half(pools.FIRST_NAMES, split), 2)
    last, rep_last = rng.sample(pools.half(pools.LAST_NAMES, split), 2)
    company = rng.choice(pools.half(pools.COMPANIES, split))
    own = rng.choice(pools.half(pools.OWN_COMPANIES, split))
    comp_pool = list(pools.half(pools.COMPETITORS, split))
    rng.shuffle(comp_pool)
    full, comp_name, own_name = f"{first} {last}", pools.display(company), pools.display(own)

    meeting = kind == "sales" and rng.random() < 0.45
    if kind == "sales":
        target = rng.choices(list(SALES_TIER_WEIGHTS), list(SALES_TIER_WEIGHTS.values()))[0]
        status = _statuses(rng, target, meeting)
    else:
        status = {c: "absent" for c in CRITERIA}
        if rng.random() < 0.25:
            status["need"] = "stated"  # the customer asks to buy more: a sales need inside a support call

    # --- opening: names of both sides. how: 0 the prospect says their full name, 1 the rep greets them by full
    # name, 2 the prospect gives a first name and the rep says the full name at goodbye, 3 no name at all.
    name_said = rng.random() < 0.92
    company_said = rng.random() < 0.9
    how = rng.randrange(3) if name_said else 3
    rep_intro = rng.choice((f"I'm {rep_first} {rep_last} with {own_name}.", f"this is {rep_first} from {own_name}.",
                            f"{rep_first} {rep_last} here, from {own_name}."))
    rep_intro = rng.choice(("Hi, ", "Hello, ", "Hi there, ")) + rep_intro
    if kind == "support":
        rep_intro = f"Thanks for calling {own_name} support, this is {rep_first}."
    co = f" from {comp_name}" if company_said else ""
    prospect_intro = {
        0: f"Hi, this is {full}{co}.",
        1: "Yes, speaking." + (f" I'm with {comp_name}." if company_said else ""),
        2: f"Hi {rep_first}, {first} here{co}.",
        3: "Hi, yes." + (f" I'm calling from {comp_name}." if company_said else ""),
    }[how]
    if how == 1:
        if rng.random() < 0.15:
            call.say("prospect", "Hello?")
        call.say("rep", f"{rep_intro} Is this {full}?")
        call.say("prospect", prospect_intro)
    elif kind == "sales" and rng.random() < 0.15:  # the prospect picks up and speaks first
        call.say("prospect", prospect_intro.replace(f"Hi {rep_first}, ", "Hi, ").replace("Hi, yes.", "Hello?"))
        call.say("rep", rep_intro)
    else:
        call.say("rep", rep_intro)
        call.say("prospect", prospect_intro)
    opening = len(call.lines)

    talk = list(SMALL_TALK + SALES_FILLER if kind == "sales" else SUPPORT_TALK)
    rng.shuffle(talk)
    if kind == "sales":
        for _ in range(rng.randrange(0, 2)):
            ask, reply = talk.pop()
            call.say("rep", ask)
            call.say("prospect", reply)

    mentioned: dict[int, str] = {}  # id(segment) -> competitor named in it (kept only if the segment is kept)
    slot_of: dict[int, str] = {}  # id(segment) -> its slot in call.families (forgotten if the segment is dropped)

    def competitor(seg: list) -> str:
        name = comp_pool.pop()
        mentioned[id(seg)] = name
        return pools.display(name)

    # --- body segments, each a list of (role, text, evidence criterion or None), shuffled after the need
    segments: list[list[tuple[str, str, str | None]]] = []
    if kind == "support":
        fixes = rng.sample(TROUBLESHOOT, 3)
        for i in range(rng.randint(2, 3)):
            _, text = call.template("support.fault", f"support.fault.{i}")
            seg = [("prospect", _fill(text, rng, call), None), ("rep", fixes[i][0], None)]
            if rng.random() < 0.5:
                seg.append(("prospect", fixes[i][1], None))
            slot_of[id(seg)] = f"support.fault.{i}"
            segments.append(seg)
        if status["need"] == "stated":
            _, text = call.template("need.stated", "need")
            segments.append([("prospect", "While I have you, something on the sales side. "
                              + _fill(text, rng, call), "need"),
                             ("rep", "I'll have someone from sales reach out about that.", None)])
    else:
        segments.append([("rep", rng.choice(PITCHES), None)])
    budget_amount: float | None = None
    timeline_key: str | None = None
    for c in CRITERIA:
        if status[c] == "absent" or kind == "support":  # a support call's only criterion line is written above
            continue
        _, text = call.template(f"{c}.{status[c]}", c)
        values: dict[str, str] = {}
        if c == "budget" and status[c] == "stated":
            amount = rng.choice([a for a in AMOUNTS if a not in call.used_money])
            call.used_money.add(amount)
            budget_amount = float(amount)
            values["money"] = _money(rng, amount)
        if c == "timeline" and status[c] == "stated":
            when, bare, timeline_key = rng.choice(WHENS)
            values.update(when=when, when_bare=bare)
        seg: list[tuple[str, str, str | None]] = []
        asked = rng.random() < 0.85
        if asked:
            seg.append(("rep", rng.choice(QUESTIONS[c]), None))
        answer = (_prefix(rng) if asked else "") + _fill(text, rng, call, **values)
        seg.append(("prospect", answer, c if status[c] == "stated" else None))
        if rng.random() < 0.3:
            seg.append(("rep", rng.choice(REP_ACKS), None))
        segments.append(seg)
    if kind == "sales":
        kinds = ["renewal", "past_purchase", "headcount", "seats", "title", "rep_budget", "rep_timeline"]
        for i, look in enumerate(rng.sample(kinds, rng.randint(1, 3))):
            family, text = call.template(f"lookalike.{look}", f"lookalike.{i}")
            values = {"n": rng.choice(SEATS if look == "seats" else HEADCOUNTS)}
            seg = []
            if look == "renewal":
                values["competitor"] = competitor(seg)
            line = _fill(text, rng, call, **values)
            if family.speaker == "rep":
                seg += [("rep", line, None), ("prospect", rng.choice(NEUTRAL), None)]
            else:
                seg.append(("prospect", line, None))
            slot_of[id(seg)] = f"lookalike.{i}"
            segments.append(seg)
        groups = ["competitor.trialled", "competitor.evaluating", "competitor.compared", "competitor.current"]
        for i, group in enumerate(rng.sample(groups, rng.choice((0, 1, 1, 2)))):
            _, text = call.template(group, f"competitor.{i}")
            seg = []
            reply = rng.choice(COMPARE_REPLIES if group == "competitor.compared" else REP_ACKS)
            seg += [("prospect", text.format(competitor=competitor(seg)), None), ("rep", reply, None)]
            slot_of[id(seg)] = f"competitor.{i}"
            segments.append(seg)
    elif rng.random() < 0.5:
        family, text = call.template(f"lookalike.{rng.choice(('seats', 'headcount', 'title'))}", "lookalike.0")
        seg = [("prospect", _fill(text, rng, call, n=rng.choice(SEATS)), None)]
        slot_of[id(seg)] = "lookalike.0"
        segments.append(seg)
    # --- contact details and next step (written after the body)
    tail: list[tuple[str, str]] = []
    email = phone = None
    if name_said and rng.random() < 0.55:  # an address holds the name: only when the name is said anyway
        spoken, email = _email(rng, first, last, company)
        tail.append(("rep", rng.choice(("What's the best email for the recap?", "Where should I send the follow-up?",
                                        "Can I grab your email?"))))
        tail.append(("prospect", rng.choice(("It's {}.", "Sure, {}.", "{}.")).format(spoken)))
    if rng.random() < 0.45:
        spoken, phone = _phone(rng)
        tail.append(("rep", "And a good phone number?"))
        tail.append(("prospect", rng.choice(("You can reach me on {}.", "It's {}.", "Sure, {}.")).format(spoken)))
    if kind == "sales" and (meeting or rng.random() < 0.6):
        tail.append(("rep", rng.choice(MEETING_ASKS)))
        tail.append(("prospect", rng.choice(MEETING_YES) if meeting else rng.choice(MEETING_NO)))
    tail.append(("rep", f"Thanks for your time, {full}." if how == 2 else rng.choice(("Thanks for your time today.",
                                                                                       "Great talking to you."))))

    # --- keep within MAX_LINES: drop look-alike / competitor segments (never a criterion's answer), then acks
    def total() -> int:
        return len(call.lines) + sum(len(x) for x in segments) + len(tail)

    optional = [x for x in segments if all(crit is None for _, _, crit in x) and x is not segments[0]]
    while total() > MAX_LINES and len(optional) > 1:
        dropped = optional.pop(rng.randrange(len(optional)))
        segments[:] = [x for x in segments if x is not dropped]
        call.families.pop(slot_of.get(id(dropped), ""), None)
    for x in segments:
        if total() > MAX_LINES and len(x) > 1 and x[-1][0] == "rep" and x[-1][1] in REP_ACKS:
            x.pop()
    head = segments[:1]  # sales: the pitch; support: the first fault (the reason for the call)
    rest = segments[len(head):]
    rng.shuffle(rest)
    said_competitors = [mentioned[id(x)] for x in head + rest if id(x) in mentioned]
    for seg in head + rest:
        for role, text, criterion in seg:
            i = call.say(role, text)
            if criterion:
                call.evidence.setdefault(criterion, []).append(i)
    for role, text in tail:
        call.say(role, text)


    # --- pad with small talk up to a drawn length (never inside the body, so evidence indices hold)
    target = rng.randint(MIN_LINES, MAX_LINES)
    insert_at = opening if kind == "sales" else opening + len(head[0])  # support: after the fault is told
    while len(call.lines) + 2 <= target and talk:
        ask, reply = talk.pop()
        call.lines[insert_at:insert_at] = [("rep", ask), ("prospect", reply)]
        call.evidence = {c: [i + 2 if i >= insert_at else i for i in v] for c, v in call.evidence.items()}
    if len(call.lines) < target:
        call.say("prospect", rng.choice(("Bye now.", "Thanks, bye.", "Talk soon.")))

    # --- ASR-like corruption of names in the text (truth keeps the correct names)
    corruptions: dict[str, str] = {}
    if rng.random() < CORRUPT_SHARE:
        targets = [last, company] + said_competitors
        for name in rng.sample(targets, min(len(targets), rng.randint(1, 2))):
            heard = _corrupt(rng, name)
            if heard:
                correct = pools.display(name) if "|" in name else pools.display(name).split()[0]
                corruptions[correct] = heard
    texts = []
    for role, text in call.lines:
        for correct, heard in corruptions.items():
            text = text.replace(correct, heard)
        texts.append((role, text))

    rep_label, prospect_label = _labels(rng, rep_first, first)
    lines = tuple(CaseLine(rep_label if role == "rep" else prospect_label, role, text)  # type: ignore[arg-type]
                  for role, text in texts)
    tracked = [pools.display(c) for c in said_competitors]
    others = [pools.display(c) for c in comp_pool]
    tracked += others[: max(0, rng.randint(4, 6) - len(tracked))]
    rng.shuffle(tracked)
    product_suffixes = rng.sample(pools.half(pools.PRODUCT_SUFFIXES, split), rng.randint(1, 2))
    context = CallContext(own_company=own_name, products=tuple(f"{own_name} {s}" for s in product_suffixes),
                          competitors=tuple(tracked), accounts=(comp_name,), contacts=(full,))
    truth = LeadTruth(
        status=status,
        evidence_lines={c: tuple(call.evidence.get(c, ())) for c in CRITERIA},
        tier=reference_tier(status, meeting),
        contact_name=full if name_said else None,
        company=comp_name if company_said else None,
        email=email,
        phone=phone,
        budget_amount=budget_amount,
        timeline=timeline_key,
        competitors=tuple(pools.display(c) for c in said_competitors),
        meeting_booked=meeting,
    )
    return LeadCase(id=f"{split}-s{seed}-{index:04d}", split=split, kind=kind, lines=lines, truth=truth,
                    context=context, families=dict(call.families), corruptions=corruptions)


def generate(split: str, n: int, seed: int) -> list[LeadCase]:
    """`n` cases of `split` ("dev" or "test"), deterministic in (split, n, seed); case i is the same for any n > i."""
    if split not in fam.SPLITS:
        raise ValueError(f"split must be dev or test, not {split!r}")
    return [_case(split, seed, i) for i in range(n)]
