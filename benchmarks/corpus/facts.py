"""The facts behind one call (who, which company, how much, by when), drawn from a seed.

Facts are drawn before any line is written so that a caller can pin some of them (the committed fixtures pin the
company, budget and competitor that tests check) and let the seed pick the rest.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass
from typing import Any, Literal, Mapping

from benchmarks.corpus import lexicon
from benchmarks.corpus.spoken import MONEY_STYLES, MoneyStyle


Gender = Literal["female", "male"]
# Only one female flite voice exists (slt), so at most one side of a call is female; see voices.py.
GENDER_PAIRS: tuple[tuple[Gender, Gender], ...] = (("female", "male"), ("male", "female"), ("male", "male"))


@dataclass(frozen=True)
class CallFacts:
    rep_gender: Gender
    prospect_gender: Gender
    rep_name: str
    rep_company: str
    first: str
    last: str
    title: str
    company: str
    domain: str
    phone: tuple[str, str, str]  # area, exchange, line
    budget_amount: int
    money_style: MoneyStyle
    budget_period: str
    explicit_timeline: tuple[str, str, str]  # sentence, phrase, normalised
    vague_timeline: tuple[str, str]  # sentence, phrase
    competitor: str
    pain: tuple[str, str]  # spoken, CRM label
    next_step: tuple[str, str, str]  # rep proposes, prospect agrees, CRM label
    team_size: int
    director_first: str

    @property
    def email(self) -> str:
        return f"{self.first[0]}.{self.last}@{self.domain}".lower()

    @property
    def phone_normalised(self) -> str:
        area, exchange, line = self.phone
        return f"+1-{area}-{exchange}-{line}"


@dataclass(frozen=True)
class FactPools:
    """What a scenario may draw from where it differs between scenarios."""

    titles: tuple[str, ...]
    budgets: tuple[int, ...]
    next_steps: tuple[tuple[str, str, str], ...]


def draw_facts(rng: random.Random, pools: FactPools) -> CallFacts:
    rep_gender, prospect_gender = rng.choice(GENDER_PAIRS)
    names = lambda g: lexicon.FEMALE_FIRST_NAMES if g == "female" else lexicon.MALE_FIRST_NAMES  # noqa: E731
    first = rng.choice(names(prospect_gender))
    rep_first = rng.choice([n for n in names(rep_gender) if n != first])
    director_first = rng.choice([n for n in lexicon.FIRST_NAMES if n not in (first, rep_first)])
    company, domain = rng.choice(lexicon.COMPANIES)
    return CallFacts(
        rep_gender=rep_gender,
        prospect_gender=prospect_gender,
        rep_name=f"{rep_first} {rng.choice(lexicon.LAST_NAMES)}",
        rep_company=rng.choice(lexicon.REP_COMPANIES),
        first=first,
        last=rng.choice(lexicon.LAST_NAMES),
        title=rng.choice(pools.titles),
        company=company,
        domain=domain,
        # 555-01XX numbers are reserved for fiction, so no real person gets called from a test corpus.
        phone=(rng.choice(("312", "415", "617", "206", "512")), "555", f"01{rng.randint(0, 99):02d}"),
        budget_amount=rng.choice(pools.budgets),
        money_style=rng.choice(MONEY_STYLES),
        budget_period=rng.choice(("this quarter", "this year")),
        explicit_timeline=rng.choice(lexicon.EXPLICIT_TIMELINES),
        vague_timeline=rng.choice(lexicon.VAGUE_TIMELINES),
        competitor=rng.choice(lexicon.COMPETITORS),
        pain=rng.choice(lexicon.PAIN_POINTS),
        next_step=rng.choice(pools.next_steps),
        team_size=rng.choice((12, 15, 20, 25, 30, 40, 60)),
        director_first=director_first,
    )


def apply_overrides(facts: CallFacts, overrides: Mapping[str, Any]) -> CallFacts:
    """Pin fields by name. A new company without a domain gets one derived from its first word."""
    unknown = set(overrides) - {f.name for f in dataclasses.fields(CallFacts)}
    if unknown:
        raise ValueError(f"unknown fact fields: {sorted(unknown)}")
    values = dict(overrides)
    for key in ("phone", "explicit_timeline", "vague_timeline", "pain", "next_step"):
        if key in values:
            values[key] = tuple(values[key])  # JSON gives lists; the dataclass is frozen and hashable
    if "company" in values and "domain" not in values:
        values["domain"] = values["company"].split()[0].lower() + ".com"
    # A pinned name brings its gender along, so that the voice matches the name.
    for name_key, gender_key in (("first", "prospect_gender"), ("rep_name", "rep_gender")):
        if name_key in values and gender_key not in values:
            given = values[name_key].split()[0]
            if given in lexicon.FEMALE_FIRST_NAMES or given in lexicon.MALE_FIRST_NAMES:
                values[gender_key] = "female" if given in lexicon.FEMALE_FIRST_NAMES else "male"
    pinned = dataclasses.replace(facts, **values)
    if (pinned.rep_gender, pinned.prospect_gender) not in GENDER_PAIRS:
        raise ValueError("two female speakers are not supported (one female TTS voice); pin rep_name/rep_gender")
    return pinned
