"""Scenario templates: the opening and closing of each kind of call, and the truth they imply.

A template writes the lines that carry facts (who, budget, authority, timeline, contact) and declares which BANT
criteria those lines establish; `script.py` pads the middle with neutral small talk to reach the requested length
and adds backchannels and a barge-in. The BANT label is never written by hand: it follows from the criteria.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass
from typing import Callable

from benchmarks.corpus import lexicon
from benchmarks.corpus.facts import CallFacts, FactPools
from benchmarks.corpus.model import Budget, Contact, CrmTruth, Role, Timeline
from benchmarks.corpus.spoken import spoken_email, spoken_money, spoken_phone


@dataclass(frozen=True)
class Line:
    speaker: Role
    text: str
    tags: tuple[str, ...] = ()
    tts: str | None = None


@dataclass(frozen=True)
class Draft:
    opening: tuple[Line, ...]
    closing: tuple[Line, ...]
    small_talk: tuple[tuple[str, str], ...]  # (rep asks, prospect answers), used to reach the target length
    pitches: tuple[str, ...]  # long rep monologues: where backchannels and barge-ins happen naturally
    crm: CrmTruth
    bant: dict[str, bool]
    # On-topic exchanges that come first when there is time for more than the opening and closing; they may
    # repeat evidence but never carry the only evidence for a criterion, so short calls keep their truth.
    follow_ups: tuple[tuple[Line, Line], ...] = ()


def R(text: str, *tags: str) -> Line:
    return Line("rep", text, tags)


def P(text: str, *tags: str) -> Line:
    return Line("prospect", text, tags)


def _first(name: str) -> str:
    return name.split()[0]


def _introduce(f: CallFacts) -> str:
    """ "My name is X, and I'm the T at C." Flite swallows a bare "I'm" before a name, so the name comes first."""
    article = "the" if f.title in lexicon.DECISION_MAKER_TITLES else "an" if f.title[0] in "aeiou" else "a"
    return f"My name is {f.first} {f.last}, and I'm {article} {f.title} at {f.company}."


def _contact_line(f: CallFacts, rng: random.Random, how: str) -> tuple[Line, Contact]:
    """The prospect dictates an e-mail, a phone number, or both: the line, and the contact it discloses."""
    email_said = spoken_email(f.email)
    phone_said = spoken_phone(*f.phone, rng=rng)
    # Read digit by digit: run together, "five five five" comes out of flite as one blurred word.
    phone_tts = phone_said.replace(", ", ". ").replace(" ", ", ").replace(".,", ".")
    if how == "email":
        text = tts = f"Sure, my email is {email_said}."
    elif how == "phone":
        text, tts = f"You can call me at {phone_said}.", f"You can call me at {phone_tts}."
    else:
        text = f"My email is {email_said}, or call me at {phone_said}."
        tts = f"My email is {email_said}, or call me at {phone_tts}."
    line = Line("prospect", text, ("contact",), tts if tts != text else None)
    with_email, with_phone = how in ("email", "both"), how in ("phone", "both")
    contact = Contact(
        name=f"{f.first} {f.last}", title=f.title, company=f.company,
        email=f.email if with_email else None, email_spoken=email_said if with_email else None,
        phone=f.phone_normalised if with_phone else None, phone_spoken=phone_said if with_phone else None,
    )
    return line, contact


def discovery(f: CallFacts, rng: random.Random) -> Draft:
    """Hot lead: every BANT criterion is stated by a decision-maker."""
    money = spoken_money(f.budget_amount, f.money_style)
    contact_line, contact = _contact_line(f, rng, rng.choice(("email", "phone", "both")))
    opening = (
        R(f"Hi, this is {_first(f.rep_name)} from {f.rep_company}. Thanks for taking the time today."),
        P(f"Sure, happy to. {_introduce(f)}", "contact"),
        R(f"Great to meet you, {f.first}. What made you reach out to us?"),
        P(f"Right now we use {f.competitor} for this, and honestly, {f.pain[0]}.", "need", "competitor"),
    )
    follow_ups = ((R("That's a common problem. How is it affecting the team?"),
                   P("It slows everyone down, and we miss deals because of it.", "need")),)
    closing = (
        R("Who else is involved in the decision?"),
        P(rng.choice(("I own this budget, so the final decision is mine.",
                      "It's my decision. I sign off on tools for the whole team.")), "authority"),
        R("Good to know. Do you have a budget in mind?"),
        P(f"Yes. We've set aside {money} {f.budget_period} for this.", "budget"),
        R("And when would you need it running?"),
        P(f.explicit_timeline[0], "timeline"),
        R("Okay, that's doable. What's the best way to reach you?"),
        contact_line,
        R(f.next_step[0]),
        P(f.next_step[1], "next_step"),
        R(f"Thanks, {f.first}. Talk soon."),
        P("Thanks, bye."),
    )
    crm = CrmTruth(
        contact=dataclasses.replace(contact, decision_maker=True),
        rep_name=f.rep_name, rep_company=f.rep_company,
        budget=Budget(spoken=money, amount=f.budget_amount, period=f.budget_period, approved=True),
        timeline=Timeline(spoken=f.explicit_timeline[1], normalised=f.explicit_timeline[2], explicit=True),
        competitors=(f.competitor,), pain_points=(f.pain[1],), next_step=f.next_step[2],
    )
    return Draft(opening, closing, lexicon.SALES_SMALL_TALK, lexicon.REP_PITCHES, crm,
                 {"budget": True, "authority": True, "need": True, "timeline": True}, follow_ups)


def pricing(f: CallFacts, rng: random.Random) -> Draft:
    """Warm lead: budget and need, but an influencer with a vague timeline."""
    money = spoken_money(f.budget_amount, f.money_style)
    contact_line, contact = _contact_line(f, rng, "email")
    opening = (
        R(f"Hi, it's {_first(f.rep_name)} from {f.rep_company}, returning your call about pricing."),
        P(f"Thanks for calling back. {_introduce(f)}", "contact"),
        R("What are you using today?"),
        P(f"We're on {f.competitor} right now, but {f.pain[0]}.", "need", "competitor"),
    )
    closing = (
        R("Do you have a budget for this?"),
        P(f"We set aside {money} {f.budget_period} for new tools.", "budget"),
        R("Are you the one who signs off on it?"),
        P(f"No, I'd have to run it past my director, {f.director_first}."),
        R("When are you hoping to make a change?"),
        P(f.vague_timeline[0]),
        R("Understood. Can I get your email?"),
        contact_line,
        R(f.next_step[0]),
        P(f.next_step[1], "next_step"),
        R(f"Thanks, {f.first}. Have a good day."),
        P("You too, bye."),
    )
    crm = CrmTruth(
        contact=dataclasses.replace(contact, decision_maker=False),
        rep_name=f.rep_name, rep_company=f.rep_company,
        budget=Budget(spoken=money, amount=f.budget_amount, period=f.budget_period, approved=True),
        timeline=Timeline(spoken=f.vague_timeline[1], normalised=None, explicit=False),
        competitors=(f.competitor,), pain_points=(f.pain[1],), next_step=f.next_step[2],
    )
    return Draft(opening, closing, lexicon.SALES_SMALL_TALK, lexicon.REP_PITCHES, crm,
                 {"budget": True, "authority": False, "need": True, "timeline": False})


def research(f: CallFacts, rng: random.Random) -> Draft:
    """Cold lead: research phase, no budget, no timeline, no authority; sometimes a real need."""
    real_need = rng.random() < 0.5
    pain = f.pain if real_need else rng.choice(lexicon.MILD_PAINS)
    contact_line, contact = _contact_line(f, rng, "email")
    opening = (
        R(f"Hi, this is {_first(f.rep_name)} with {f.rep_company}. You downloaded our guide, so I wanted to "
          "follow up."),
        P(f"Oh, yes. {_introduce(f)} We're just researching options for next year.", "contact"),
        R("Is there a specific problem you're trying to solve?"),
        P(f"Well, {pain[0]}." if real_need else f"Nothing urgent. I guess {pain[0]}.",
          *(("need",) if real_need else ())),
        R("Which tools are you looking at?"),
        P(f"We looked at {f.competitor}, and a couple of others.", "competitor"),
    )
    closing = (
        R("Is there any budget set aside for this?"),
        P("No, there's no budget yet. This is just research."),
        R("And is there a timeline?"),
        P("Not really. Maybe next year, if at all."),
        R("Who would make the final decision?"),
        P(f"That would be my manager, {f.director_first}. I'm just collecting information."),
        R("Can I get your email, so I can send you some material?"),
        contact_line,
        R(f.next_step[0]),
        P(f.next_step[1], "next_step"),
        R("Thanks for your time."),
        P("Thank you, bye."),
    )
    crm = CrmTruth(
        contact=dataclasses.replace(contact, decision_maker=False),
        rep_name=f.rep_name, rep_company=f.rep_company, budget=None,
        timeline=Timeline(spoken="maybe next year", normalised=None, explicit=False),
        # A mild wish is still recorded as a pain point, but it is not a BANT "need" (no named, costly problem).
        competitors=(f.competitor,), pain_points=(pain[1],), next_step=f.next_step[2],
    )
    return Draft(opening, closing, lexicon.SALES_SMALL_TALK, (), crm,
                 {"budget": False, "authority": False, "need": real_need, "timeline": False})


def objection(f: CallFacts, rng: random.Random) -> Draft:
    """Price objection against an incumbent competitor; hot or warm depending on who is on the call."""
    decision_maker = f.title in lexicon.DECISION_MAKER_TITLES
    contact_line, contact = _contact_line(f, rng, "phone")
    opening = (
        R(f"Hi {f.first}, it's {_first(f.rep_name)} from {f.rep_company}, following up on the demo last week."),
        P(f"Hi. Yes. {_introduce(f)} To be honest, I'm not sure we need to switch.", "contact"),
        R("What's holding you back?"),
        P(f"We already use {f.competitor}, and it's cheaper than what you quoted.", "competitor"),
        R("I hear that a lot. What made you look at us in the first place?"),
        P(f"Well, {f.pain[0]}.", "need"),
    )
    authority_line = (P("That's my call. I decide what we buy for the team.", "authority") if decision_maker
                      else P(f"I'd have to convince my director, {f.director_first}."))
    closing = (
        R("If we can show the value, who makes the call?"),
        authority_line,
        R("Is there budget for a change?"),
        P(f"Not really. We don't have extra budget unless we drop {f.competitor}."),
        R(f"When does your contract with {f.competitor} renew?"),
        P("It renews in June, so we'd have to decide before then.", "timeline"),
        R("Then let's make sure you have what you need before June. Could I get your direct number?"),
        contact_line,
        R(f.next_step[0]),
        P(f.next_step[1], "next_step"),
        R(f"Thanks, {f.first}."),
        P("Thanks, bye."),
    )
    crm = CrmTruth(
        contact=dataclasses.replace(contact, decision_maker=decision_maker),
        rep_name=f.rep_name, rep_company=f.rep_company, budget=None,
        timeline=Timeline(spoken="renews in June", normalised="before June renewal", explicit=True),
        competitors=(f.competitor,), pain_points=(f.pain[1],), next_step=f.next_step[2],
    )
    return Draft(opening, closing, lexicon.SALES_SMALL_TALK, lexicon.REP_PITCHES, crm,
                 {"budget": False, "authority": decision_maker, "need": True, "timeline": True})


def support(f: CallFacts, rng: random.Random) -> Draft:
    """Support escalation from an existing customer who threatens to churn to a competitor."""
    issue = rng.choice(lexicon.SUPPORT_ISSUES)
    contact_line, contact = _contact_line(f, rng, "phone")
    opening = (
        R(f"Thanks for calling {f.rep_company} support, this is {_first(f.rep_name)}. How can I help?"),
        P(f"Hi. {_introduce(f)} {issue[0].capitalize()}, and my team is losing leads because of it.",
          "contact", "need"),
        R("I'm sorry to hear that. Let me look into it."),
    )
    closing = (
        R("I found the problem. A sync job failed after the update. I'm escalating it to our engineers now."),
        P(f"How long will that take? If this isn't fixed by Friday, we'll move to {f.competitor}.",
          "timeline", "competitor"),
        R("I understand. There's also a premium support plan with a four hour response time."),
        P("I can't approve anything like that. It would have to go through finance."),
        R("Understood. What's the best number to reach you with updates?"),
        contact_line,
        R("I'll call you tomorrow morning with an update."),
        P("Okay, thank you.", "next_step"),
    )
    crm = CrmTruth(
        contact=dataclasses.replace(contact, decision_maker=False),
        rep_name=f.rep_name, rep_company=f.rep_company, budget=None,
        timeline=Timeline(spoken="fixed by Friday", normalised="Friday", explicit=True),
        competitors=(f.competitor,), pain_points=(issue[1],),
        next_step="call back tomorrow morning with an update",
    )
    return Draft(opening, closing, lexicon.SUPPORT_SMALL_TALK, (), crm,
                 {"budget": False, "authority": False, "need": True, "timeline": True})


@dataclass(frozen=True)
class Scenario:
    template: Callable[[CallFacts, random.Random], Draft]
    pools: FactPools


SCENARIOS: dict[str, Scenario] = {
    "discovery": Scenario(discovery, FactPools(lexicon.DECISION_MAKER_TITLES, lexicon.BUDGET_AMOUNTS_HOT,
                                               lexicon.HOT_NEXT_STEPS)),
    "pricing": Scenario(pricing, FactPools(lexicon.INFLUENCER_TITLES, lexicon.BUDGET_AMOUNTS_WARM,
                                           lexicon.WARM_NEXT_STEPS)),
    "research": Scenario(research, FactPools(lexicon.RESEARCH_TITLES, lexicon.BUDGET_AMOUNTS_WARM,
                                             lexicon.COLD_NEXT_STEPS)),
    # the title decides: a decision-maker makes this a hot lead, an influencer a warm one
    "objection": Scenario(objection, FactPools(lexicon.DECISION_MAKER_TITLES + lexicon.INFLUENCER_TITLES,
                                               lexicon.BUDGET_AMOUNTS_WARM, lexicon.WARM_NEXT_STEPS)),
    "support": Scenario(support, FactPools(("support manager", "customer success manager"),
                                           lexicon.BUDGET_AMOUNTS_WARM, lexicon.WARM_NEXT_STEPS)),
}
