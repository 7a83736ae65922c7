"""The prospect's name as either side says it, from the words alone (no model).

The contact is the prospect, whoever says the name: the prospect introduces themselves ("this is Dana Reyes",
"Dana Reyes speaking") or the rep greets them ("Hi, is this Dana Reyes?", "am I speaking with Dana?"). A 1.5B
model asked for "the prospect's name" sometimes returns the rep's; these patterns are the fallback, and the
rep's own introduction ("I'm Tom Baker with ...") is excluded by the caller.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from services.pipeline.types import Role, Utterance

_NAME = r"(?P<name>[A-Z][a-z'\-]+(?: [A-Z][a-z'\-]+)?)"
# Capitalised words that are not names where the patterns look ("this is Great", "Hi Team").
_NOT_NAMES = {
    "great", "thanks", "thank", "sure", "yes", "yeah", "hi", "hello", "hey", "okay", "ok", "so", "well", "the", "it",
    "this", "that", "there", "team", "everyone", "all", "again", "good", "morning", "afternoon", "just", "calling",
    "from", "with", "and", "here", "speaking", "sir", "madam", "folks", "guys", "you", "a", "an", "we", "i",
}
_SELF = (
    re.compile(
        rf"(?:\b[Tt]his is|\b[Mm]y name is|\b[Ii]t's|\b[Ii]'m|\b[Ii] am)\s+{_NAME}(?=\s*(?:[,.!?;]|$| from| with| at|"
        rf" and| over| here| speaking| calling))"
    ),
    re.compile(rf"(?:^|[.!?]\s+){_NAME}\s+(?:here|speaking)\b"),
)
_GREETING = (re.compile(
    rf"\b(?:[Ii]s this|[Aa]m I (?:speaking|talking) (?:with|to)|[Ss]peak (?:with|to)|[Hh]i|[Hh]ello|[Hh]ey|"
    rf"[Tt]hanks|[Tt]hank you|[Gg]ood (?:morning|afternoon)|[Nn]ice to (?:meet|talk to) you|[Ll]ovely to meet you),?\s+"
    rf"{_NAME}(?=\s*(?:[,.!?;]|$))"
),)


def _clean(name: str) -> str | None:
    words = [w for w in name.split() if w.lower().strip("'") not in _NOT_NAMES]
    if not words or len(words) != len(name.split()):
        return None
    return " ".join(words)


def prospect_names_said(utterances: Sequence[Utterance], roles: dict[str, Role]) -> list[str]:
    """Candidate prospect names, best first: full names before first names, self-introductions before greetings."""
    found: list[tuple[int, int, str]] = []
    for order, utt in enumerate(utterances):
        role = roles.get(utt.speaker, "unknown")
        patterns = _SELF if role != "rep" else _GREETING
        for match in (m for p in patterns for m in p.finditer(utt.text)):
            name = _clean(match.group("name"))
            if name is None:
                continue
            rank = (0 if " " in name else 2) + (0 if role != "rep" else 1)
            found.append((rank, order, name))
    out: list[str] = []
    for _, _, name in sorted(found):
        if not any(name == o or (" " in o and name in o.split()) for o in out):
            out.append(name)
    return out


_COMPANY = r"(?P<company>[A-Z][\w&'\-]*(?: (?:[A-Z][\w&'\-]*|of|and|&))*)"
_SELF_COMPANY = re.compile(
    rf"\b(?:[Ii]'m|[Ii] am|[Ww]e're|[Ww]e are|[Ii] work|[Tt]his is \w+(?: \w+)?|\w+ here|[Cc]alling)\s+"
    rf"(?:(?:the|a|an)\s+[\w\s]{{0,40}}?\s+)?(?:with|from|at|over at|for)\s+{_COMPANY}"
)
_TITLE = re.compile(
    r"\b(?:[Ii]'m|[Ii] am)\s+(?:the|a|an)\s+(?P<title>(?:[\w\-]+\s+){0,4}?(?:manager|director|head of \w+|vp|"
    r"lead|officer|owner|founder|partner|president|coordinator|analyst|engineer|administrator|supervisor|"
    r"specialist|controller|buyer|executive|cto|cfo|ceo|coo)(?: of [\w ]{1,30}?)?)(?=\s+(?:at|for|with|of|here)\b|"
    r"[,.!?]|$)",
)


# Introductions come early: later "we're with X" / "I work with X" talk about a vendor or a partner.
INTRO_LINES = 4


def opening_lines(utterances: Sequence[Utterance], roles: dict[str, Role]) -> list[Utterance]:
    """The rep's first INTRO_LINES utterances and the other side's: where callers say who they are and whom they
    are with."""
    counts = {True: 0, False: 0}
    out = []
    for utt in utterances:
        is_rep = roles.get(utt.speaker) == "rep"
        counts[is_rep] += 1
        if counts[is_rep] <= INTRO_LINES:
            out.append(utt)
    return out


def prospect_company_said(utterances: Sequence[Utterance], roles: dict[str, Role]) -> str | None:
    """The company the prospect says they are with ("I'm with Riverstone Homes", "Hannah here from Pinecrest"),
    in the prospect's opening lines."""
    for utt in [u for u in opening_lines(utterances, roles) if roles.get(u.speaker) != "rep"]:
        match = _SELF_COMPANY.search(utt.text)
        if match:
            return re.split(r"[.,;!?](?:\s|$)", match.group("company"))[0].strip()
    return None


def prospect_title_said(prospect_utts: Sequence[Utterance]) -> str | None:
    """The job title the prospect gives themselves ("I'm the operations director at ...")."""
    for utt in prospect_utts:
        match = _TITLE.search(utt.text)
        if match:
            return match.group("title").strip()
    return None
