"""Who is the sales rep and who is the prospect, from what they say (no model).

Diarization gives anonymous labels (SPEAKER_00, SPEAKER_01). BANT must be scored on the prospect's words only,
so the rep has to be found first. Cues, strongest first: the rep introduces themselves with their company
("this is Sarah with Acme", "calling from Acme"), asks most of the questions, and usually speaks first; the
prospect talks about "our budget", "my manager", "we're using X".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from services.pipeline.bant_rules import QUESTION_CUES
from services.pipeline.types import Role, Utterance

_INTRO = re.compile(
    r"\b(?:calling from|calling on behalf of|this is \w+(?: \w+)? (?:with|from|at|over at)\b|"
    r"my name is \w+(?: \w+)?,? (?:and )?i(?:'m| am) (?:with|from|at)\b|\w+(?: \w+)? here,? (?:from|with)\b|"
    r"i(?:'m| am) \w+(?: \w+)? (?:with|from) \w+|"
    r"thanks? (?:you )?for taking (?:my|the|this) call|reaching out (?:to you )?(?:about|because|from)|"
    r"the reason (?:i'm|i am) calling)",
    re.IGNORECASE,
)
# Checking who answered ("Is this Dana Reyes?", "am I speaking with Dana?") is what the caller does on an outbound
# call; greeting callers on behalf of the company ("Thanks for calling Acme support") is what the rep does on an
# inbound one.
_CALLER_CHECK = re.compile(
    r"\b(?:(?i:is this) [A-Z][a-z]+|(?i:am i speaking (?:with|to))|(?i:is) [A-Z][a-z]+ (?i:there|available)|"
    r"(?i:how can i help|what can i do for you))\b",
)
# The company side answers an inbound call: the surest cue there is, so it weighs more than an introduction
# (a customer calling in says "I'm calling from ..." too).
_ANSWERS_CALL = re.compile(r"\b(?:thanks?|thank you) for calling\b", re.IGNORECASE)
_QUESTION_START = re.compile(
    r"^(?:so |and |okay,? |great,? )?(?:what|how|when|who|where|why|which|do you|does|did you|are you|is there|"
    r"is it|can you|could you|would you|have you|will you|may i)\b",
    re.IGNORECASE,
)
_PROSPECT_CUES = re.compile(
    r"\b(?:our budget|we(?:'re| are) (?:currently )?using|we use|my (?:manager|boss|team)|our team|we need|"
    r"we have (?:about|around|roughly)?|i(?:'d| would) need to check|send me|we(?:'ve| have) been)\b",
    re.IGNORECASE,
)
# What the seller says: the product serves "you", "our customers" use it, "how did you hear about us".
_REP_CUES = re.compile(
    r"\b(?:about us|for you|our (?:customers|clients|platform|product|tool|software|pricing|plans?|average customer|"
    r"typical customer)|we (?:help|offer|provide|integrate|record|can set you up)|(?:set up|book|schedule) a demo|"
    r"send (?:you|over) (?:a|the|some) (?:proposal|quote|overview|deck)|most (?:teams|customers|clients)|"
    r"thanks for (?:taking|making) (?:the |my )?(?:time|call))\b",
    re.IGNORECASE,
)
# The seller qualifies and books: questions about budget, decision, pain or dates (bant_rules.QUESTION_CUES), and
# asking for the prospect's details or the next meeting ("Can I grab your email?", "Can I book a follow-up?").
_REP_ASKS = re.compile(
    r"\b(?:(?:grab|get|have|take|confirm) (?:your|a) (?:e-?mail|email address|number|phone|details|contact)|"
    r"(?:good|best) (?:phone )?number|(?:book|set up|schedule|send (?:you|over)) (?:a |an |the )?(?:follow-?up|"
    r"demo|call|meeting|invite|time|trial))\b",
    re.IGNORECASE,
)

# Intro patterns that name the rep and the rep's company: used to keep them out of the prospect's contact.
_INTRO_NAME = re.compile(
    r"\b(?:[Tt]his is|[Mm]y name is|I'm|I am)\s+(?P<name>[A-Z][a-z'\-]+(?: [A-Z][a-z'\-]+)?)"
    r"(?:,? (?:and )?(?:i'm |i am )?(?:with|from|at|over at|calling from)\s+"
    r"(?P<company>[A-Z][\w&.\-]*(?: [A-Z][\w&.\-]*){0,3}))?"
    # "Claire Iversen here, from Parley"
    r"|\b(?P<name2>[A-Z][a-z'\-]+(?: [A-Z][a-z'\-]+)?) here,? (?:from|with|at)\s+"
    r"(?P<company2>[A-Z][\w&.\-]*(?: [A-Z][\w&.\-]*){0,3})"
)
_INTRO_COMPANY = re.compile(r"\bcalling (?:from|on behalf of)\s+(?P<company>[A-Z][\w&.\-]*(?: [A-Z][\w&.\-]*){0,3})")

# A rep score lead below this is a guess: the extraction prompt then asks the LLM who the rep is.
CONFIDENT_MARGIN = 1.5


@dataclass(frozen=True)
class RoleGuess:
    roles: dict[str, Role]
    rep: str | None
    margin: float
    """Rep score of the chosen rep minus the runner-up's; inf when there is only one candidate."""

    @property
    def confident(self) -> bool:
        return self.margin >= CONFIDENT_MARGIN


def _is_question(text: str) -> bool:
    stripped = text.strip()
    return stripped.endswith("?") or bool(_QUESTION_START.match(stripped))


def _count_questions(text: str) -> int:
    return sum(1 for part in re.split(r"(?<=[?.!])\s+", text) if part and _is_question(part))


def score_speakers(utterances: Sequence[Utterance]) -> dict[str, float]:
    """How much each speaker sounds like the rep (higher = more rep-like)."""
    by_speaker: dict[str, list[Utterance]] = {}
    for utt in utterances:
        by_speaker.setdefault(utt.speaker, []).append(utt)
    total_questions = sum(_count_questions(u.text) for u in utterances)
    scores: dict[str, float] = {}
    for speaker, utts in by_speaker.items():
        # Self-introductions happen early; later "I'm calling from..." is rare enough not to matter.
        intro = sum(1 for u in utts[:4] if _INTRO.search(u.text))
        questions = sum(_count_questions(u.text) for u in utts)
        question_share = questions / total_questions if total_questions else 0.0
        cues = sum(len(_PROSPECT_CUES.findall(u.text)) for u in utts)
        rep_cues = sum(len(_REP_CUES.findall(u.text)) for u in utts)
        caller = sum(1 for u in utts[:3] if _CALLER_CHECK.search(u.text))
        answers = sum(1 for u in utts[:2] if _ANSWERS_CALL.search(u.text))
        qualifying = sum(1 for u in utts if _is_question(u.text) and (
            _REP_ASKS.search(u.text) or any(cue.search(u.text) for cue in QUESTION_CUES.values())))
        scores[speaker] = (3.0 * min(intro, 1) + 2.0 * question_share - 0.5 * min(cues, 4)
                           + 0.75 * min(rep_cues, 4) + 1.5 * min(caller, 1) + 4.0 * min(answers, 1)
                           + 0.5 * min(qualifying, 4))
    if utterances:
        scores[utterances[0].speaker] += 0.75
    return scores


def guess_roles(utterances: Sequence[Utterance]) -> RoleGuess:
    scores = score_speakers(utterances)
    if len(scores) < 2:
        # One voice (diarization off or failed): nothing can be told apart, so nothing is excluded.
        return RoleGuess({s: "unknown" for s in scores}, None, 0.0)
    ranked = sorted(scores, key=lambda s: (-scores[s], s))
    rep = ranked[0]
    roles: dict[str, Role] = {s: ("rep" if s == rep else "prospect") for s in scores}
    return RoleGuess(roles, rep, scores[rep] - scores[ranked[1]])


def assign_roles(utterances: Sequence[Utterance]) -> dict[str, Role]:
    """speaker label -> "rep" | "prospect" ("unknown" for a single-speaker transcript).

    The most rep-like speaker is the rep; every other speaker is treated as the prospect side (on multi-party
    calls the buyer often brings colleagues).
    """
    return guess_roles(utterances).roles


def preset_roles(utterances: Sequence[Utterance]) -> dict[str, Role] | None:
    """Roles already on the utterances (stereo calls: channel = role), if every speaker has exactly one."""
    found: dict[str, set[str]] = {}
    for utt in utterances:
        found.setdefault(utt.speaker, set()).add(utt.role)
    if not found or any(roles == {"unknown"} or len(roles) != 1 for roles in found.values()):
        return None
    result = {speaker: next(iter(roles)) for speaker, roles in found.items()}
    return result if "prospect" in result.values() else None  # type: ignore[return-value]


def _clean_company(raw: str) -> str:
    # The pattern allows dots inside names ("Acme.io"); a dot followed by a space ends the sentence.
    return re.split(r"[.,;!?](?:\s|$)", raw)[0].strip()


def rep_identity(utterances: Sequence[Utterance], rep_speaker: str | None) -> tuple[set[str], set[str]]:
    """Names and companies the rep introduced themselves with (they must not become the prospect's contact)."""
    names: set[str] = set()
    companies: set[str] = set()
    if rep_speaker is None:
        return names, companies
    for utt in [u for u in utterances if u.speaker == rep_speaker][:4]:
        for match in _INTRO_NAME.finditer(utt.text):
            names.add(match.group("name") or match.group("name2"))
            company = match.group("company") or match.group("company2")
            if company:
                companies.add(_clean_company(company))
        for match in _INTRO_COMPANY.finditer(utt.text):
            companies.add(_clean_company(match.group("company")))
    return names, companies
