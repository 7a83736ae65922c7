"""BANT tier rules in code, so the score does not depend on a small model's arithmetic.

HOT: 3+ criteria confirmed. WARM: 2, or strong intent (a named need and an agreed next step). COLD: fewer than 2.
A criterion counts only when the model says it is present AND at least one cited prospect line survived
grounding. On top, the wording rules of the qualification guide are checked on the cited words:
- Budget is a confirmed amount ("we have budget" without a number is not);
- Authority is final yes/no power, said in words ("it's my call", "I sign off"); "check with my manager"
  anywhere in the prospect's words disqualifies;
- Timeline is an explicit window: "soon", "probably Q3" are not.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from services.pipeline import spoken
from services.pipeline.types import BantItem, LeadScore

CRITERIA = ("budget", "authority", "need", "timeline")
TIER_ORDER: dict[LeadScore, int] = {"cold": 0, "warm": 1, "hot": 2}

_AUTHORITY_VETO = re.compile(
    r"\b(?:check with|run (?:it|this) by|ask|talk to|loop in|get approval from|get sign-?off from|clear it with)"
    r" (?:my|our|the) (?:manager|boss|director|vp|cfo|ceo|cto|head|team lead|supervisor|leadership|board|"
    r"procurement|finance)|\bnot (?:my|really my) (?:call|decision)|\b(?:i'm|i am) not the (?:decision|one who)|"
    r"\b(?:need|needs) (?:approval|sign-?off)\b|\bmy (?:boss|manager) (?:decides|makes the call|signs)",
    re.IGNORECASE,
)
# Authority has to be claimed in words: a cited line without any of these is the model guessing.
_AUTHORITY_CLAIM = re.compile(
    r"\b(?:decid\w*|decision|sign\w*|approv\w*|my call|final (?:say|call|word)|in charge|owner|own the|"
    r"up to me|budget holder|i choose|i pick|i run|head of|ceo|cfo|cto|coo|founder|president|director)\b",
    re.IGNORECASE,
)
_TIMELINE_WINDOW = re.compile(
    r"\bq[1-4]\b|\b(?:first|second|third|fourth|next|this) quarter\b|\bend of (?:the )?(?:month|quarter|year)\b|"
    # Month names whole ("mar[a-z]*" would match "Mark", "dec[a-z]*" "decision").
    r"\b(?:january|february|march|april|june|july|august|september|october|november|december|"
    r"jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\b|\bmay (?:\d|first|1st|15)|"
    r"\b(?:in|within|next) (?:\w+ )?(?:days?|weeks?|months?)\b|\b(?:next|this) (?:week|month|year)\b|"
    r"\b20\d\d\b|\bdeadline\b|\bby (?:the )?(?:\w+ )?(?:launch|renewal|end|start|fiscal)|\bbefore (?:our|the) \w+",
    re.IGNORECASE,
)
_TIMELINE_HEDGE = re.compile(
    r"\b(?:soon|probably|maybe|might|perhaps|at some point|eventually|someday|no rush|down the road|"
    r"not sure when|sometime|hopefully|possibly)\b",
    re.IGNORECASE,
)


# A next step that shows intent is a meeting on the calendar, not "send me some material".
_COMMITTED_STEP = re.compile(r"\b(?:demo|meeting|trial|pilot|proposal|quote|contract|onboarding|workshop)\b", re.I)


def committed_next_step(next_step: str | None) -> bool:
    return bool(next_step and _COMMITTED_STEP.search(next_step))


def authority_vetoed(prospect_texts: Sequence[str]) -> bool:
    return any(_AUTHORITY_VETO.search(t) for t in prospect_texts)


def timeline_explicit(text: str) -> bool:
    return bool(_TIMELINE_WINDOW.search(text)) and not _TIMELINE_HEDGE.search(text)


def check_criterion(name: str, item: BantItem, prospect_texts: Sequence[str]) -> tuple[bool, str | None]:
    """Is the criterion confirmed by its evidence? Returns (confirmed, why-not if the model said present)."""
    if not item.present:
        return False, None
    if not item.evidence:
        return False, f"{name}: marked present without surviving evidence"
    quotes = [e.quote for e in item.evidence]
    if name == "budget" and not any(spoken.mentions_amount(q) for q in quotes):
        return False, "budget: no amount stated in the evidence"
    if name == "authority" and authority_vetoed(prospect_texts):
        return False, "authority: the prospect needs someone else's approval"
    if name == "authority" and not any(_AUTHORITY_CLAIM.search(q) for q in quotes):
        return False, "authority: the evidence does not say who decides"
    if name == "timeline" and not any(timeline_explicit(q) for q in quotes):
        return False, "timeline: no explicit window in the evidence"
    return True, None


# What a rep asks when qualifying each criterion; the prospect's answer right after is the best evidence.
_QUESTION_CUES = {
    "budget": re.compile(r"\b(?:budget|spend|cost|price|pricing|invest)", re.IGNORECASE),
    "authority": re.compile(r"\b(?:decision|decide|sign|approv|who else|involved)", re.IGNORECASE),
    "timeline": re.compile(r"\b(?:when|timeline|by when|go live|running|deadline|start)", re.IGNORECASE),
}


def qualifying_line(name: str, prospect_texts: Sequence[str], asked_before: Sequence[str]) -> int | None:
    """Index of the prospect line that best meets the criterion's wording rule on its own, or None.

    Used when the model judged a criterion present but cited the wrong line or none (a 1.5B model's ids drift,
    or come back empty): the model's judgment still gates the criterion, the transcript supplies the words.
    `asked_before[i]` is what the other side said just before line i: an answer to the rep's budget question
    beats a passing "this year" elsewhere."""
    if name == "need":  # no wording rule to check a need against: never rescued
        return None
    qualifying = []
    for i, text in enumerate(prospect_texts):
        if name == "budget" and spoken.mentions_amount(text):
            qualifying.append(i)
        elif name == "authority" and _AUTHORITY_CLAIM.search(text) and not authority_vetoed(prospect_texts):
            qualifying.append(i)
        elif name == "timeline" and timeline_explicit(text):
            qualifying.append(i)
    if not qualifying:
        return None
    answered = [i for i in qualifying if _QUESTION_CUES[name].search(asked_before[i])]
    return (answered or qualifying)[0]


def tier(confirmed: int, *, strong_intent: bool) -> LeadScore:
    if confirmed >= 3:
        return "hot"
    if confirmed == 2 or (confirmed == 1 and strong_intent):
        return "warm"
    return "cold"
