"""Deterministic competitor tracking, next to what the LLM names.

A 1.5B model misses competitors it was told about (measured: 2 of 3 synthetic calls), and Whisper splits
brand names ("Salesforce" -> "sales force"). Sales teams already keep a list of the tools they displace; this
finds those names, and organisations the prospect says they use, in the prospect's own words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from services.pipeline.types import Entity, Utterance

# Words around an organisation name that say the prospect uses or weighs it.
_USAGE_CUE = re.compile(
    r"\b(?:use|uses|using|used|we're on|we are on|currently on|switch\w* (?:from|off)|migrat\w* from|"
    r"evaluat\w*|looking at|compar\w*|tried|trialing|piloting|moving off|replac\w*|stuck with|running)\b",
    re.IGNORECASE,
)


def squash(text: str) -> str:
    """Case, spaces and punctuation removed: "Sales Force" == "Salesforce" == "salesforce."."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def tracked_mentions(tracked: Iterable[str], prospect: Sequence[Utterance]) -> list[str]:
    """Names from the tracked list (as the operator spelled them) that the prospect said."""
    said = squash(" ".join(u.text for u in prospect))
    return [name for name in dict.fromkeys(tracked) if squash(name) and squash(name) in said]


def _cued_organisations(entities: Sequence[Entity], prospect: Sequence[Utterance], cue: re.Pattern[str]) -> list[str]:
    """ORG/PRODUCT entities in prospect utterances with `cue` within a few words of them."""
    texts = {u.id: u.text for u in prospect}
    found = []
    for entity in entities:
        text = texts.get(entity.utterance_id)
        if text is None or entity.type not in ("ORG", "PRODUCT"):
            continue
        window = text[max(0, entity.char_start - 40) : entity.char_end + 25]
        if cue.search(window):
            found.append(entity.text.strip(" .,"))
    return list(dict.fromkeys(found))


def used_organisations(entities: Sequence[Entity], prospect: Sequence[Utterance]) -> list[str]:
    """ORG/PRODUCT entities in prospect utterances that also carry a usage cue ("we use X today")."""
    return _cued_organisations(entities, prospect, _USAGE_CUE)


# Competitors named in passing: a past trial, a parallel evaluation, a comparison.
_PASSING_CUE = re.compile(
    r"\b(?:trial\w*|tested|demo(?:ed|'d)? (?:of|from)|a demo|quote from|proposal from|talked to|spoke (?:to|with)|"
    r"also (?:looking at|considering|talking to)|considering|shortlist\w*|versus|vs|instead of|compared? (?:to|with)|"
    r"like|than|other vendors?|alternatives?|options?|went with|left|dropped|cancel\w*|moved (?:off|away from))\b",
    re.IGNORECASE,
)


def passing_mentions(entities: Sequence[Entity], prospect: Sequence[Utterance]) -> list[str]:
    """ORG/PRODUCT entities the prospect names in passing as an alternative (tried, compared, also considering)."""
    return _cued_organisations(entities, prospect, _PASSING_CUE)


# A vendor's name as the prospect says it in a sentence about their tools: capitalised words after a cue that says
# they use, renew, weigh or compare it ("we run on Pipedrive", "our Salesloft contract renews in May", "how are you
# different from Chorus?"). spaCy's small model tags few software brands, so the frame decides, not the NER.
_NAME = r"(?P<name>[A-Z][\w.&'-]*[\w&](?: [A-Z][\w.&'-]*[\w&]){0,2})"
_CUE_BEFORE_NAME = (
    r"\b(?i:use|uses|using|used|runs? (?:\w+ )?on|running (?:\w+ )?on|we're on|we are on|currently on|(?:switch|mov|migrat)\w* "
    r"(?:from|off|away from|to)|replac\w*|trial(?:l)?ed|trial(?:l)?ing|a trial (?:of|with)|piloted|piloting|"
    r"a pilot (?:of|with)|tried|tested|evaluat\w*|looking at|talking to|talked to|speaking (?:to|with)|"
    r"spoke (?:to|with)|considering|(?:a )?demo (?:with|from|of)|quote from|proposal from|compar\w* (?:to|with)|"
    r"different from|better than|cheaper than|versus|vs\.?|instead of|(?:contract|subscription|licen[cs]e|deal) "
    r"(?:with|for)|signed with|went with|paying for|pay for|dropped|cancel\w*|left|is in|are in|lives? in|"
    r"works? in|everything (?:we do )?is in)\s+"
)
_NAME_FRAMES = (
    re.compile(_CUE_BEFORE_NAME + _NAME),
    re.compile(r"\b(?i:our|the|their|my)\s+" + _NAME + r"\s+(?i:licen[cs]es?|subscriptions?|contract|renewal|account|"
               r"seats|plan|instance|setup|rollout|trial|pilot|demo)\b"),
    re.compile(_NAME + r"\s+(?i:does|did|offers|has) (?i:something|this|that|the same)\b"),
    re.compile(r"\b(?i:doesn't|does not|didn't) " + _NAME + r"\s+(?i:do|offer|have)\b"),
)
# "talking to Sarah from finance", "spoke with Raj on our team": a person, not a vendor.
_PERSON_AFTER = re.compile(r"\s+(?:from|in|on|at|over in) (?:(?:our|the|my|their) )?(?:finance|legal|it|hr|"
                           r"procurement|sales|marketing|ops|operations|accounting|team|office|side|department|"
                           r"board)\b", re.IGNORECASE)
# Capitalised words a frame can catch that are never a vendor.
_NOT_VENDORS = frozenset({
    "i", "we", "you", "they", "he", "she", "it", "our", "the", "a", "an", "this", "that", "my", "your", "their",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march",
    "april", "may", "june", "july", "august", "september", "october", "november", "december", "q1", "q2", "q3",
    "q4", "excel", "spreadsheets", "spreadsheet", "email", "gmail", "outlook", "paper", "google sheets",
})


def framed_mentions(prospect: Sequence[Utterance], entities: Sequence[Entity] = ()) -> list[str]:
    """Vendor names the prospect says inside a usage, renewal, evaluation or comparison frame. A person is told
    apart by what follows ("talking to Sarah from finance"); the caller also drops the call's own people."""
    # Only dates are trusted here: spaCy's small model tags most software brands PERSON or LOCATION.
    not_names = {squash(e.text) for e in entities if e.type in ("DATE", "TIME")}
    found: list[str] = []
    for utt in prospect:
        for pattern in _NAME_FRAMES:
            for match in pattern.finditer(utt.text):
                name = match.group("name").strip(" .,'")
                if _PERSON_AFTER.match(utt.text, match.end()):
                    continue
                key = squash(name)
                if (not key or name.lower() in _NOT_VENDORS or key in GENERIC_ACRONYMS or key in not_names
                        or _NUMBER_WORD.search(name)):
                    continue
                found.append(name)
    return list(dict.fromkeys(found))


def said_in_frame(name: str, prospect: Sequence[Utterance]) -> bool:
    """The prospect said `name` (any case, spaces optional) right after a usage or comparison cue: how a name the
    model offered is kept when ASR wrote it in lower case ("how do you compare to pipe drive?")."""
    words = [re.escape(w) for w in name.split()]
    if not words:
        return False
    pattern = re.compile(_CUE_BEFORE_NAME + r"(?i:" + r"\s*".join(words) + r")(?![\w])")
    return any(pattern.search(u.text) for u in prospect)


# spaCy's small model tags a software brand PERSON, LOCATION or GPE as often as ORG: any proper-name entity
# counts as "a name" (the caller drops the call's own people and parties).
_NAME_TYPES = ("ORG", "PRODUCT", "PERSON", "GPE", "LOC", "LOCATION", "FAC", "NORP", "WORK_OF_ART")


def is_named_organisation(name: str, entities: Sequence[Entity], tracked: Sequence[str]) -> bool:
    key = squash(name)
    if not key:
        return False
    names = [squash(e.text) for e in entities if e.type in _NAME_TYPES] + [squash(t) for t in tracked]
    return any(n and (key == n or (len(n) > 3 and (n in key or key in n))) for n in names)


def merge_competitors(
    from_model: Sequence[str], detected: Sequence[str], exclude: Sequence[str]
) -> tuple[str, ...]:
    """Union without duplicates (compared squashed), dropping the call's own parties."""
    excluded = {squash(x) for x in exclude if x}
    out: dict[str, str] = {}
    for name in [*from_model, *detected]:
        key = squash(name)
        if key in GENERIC_ACRONYMS or (name.split() or [""])[0].lower() in PLATFORMS:
            continue
        if key and key not in excluded and not any(key in e or e in key for e in excluded if len(e) > 3):
            out.setdefault(key, name)
    # A frame can catch only the capitalised half of a split brand ("Air" of "Air call"): keep the whole name.
    return tuple(name for key, name in out.items() if not any(key != other and key in other for other in out))


_NUMBER_WORD = re.compile(
    r"\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|sixty|"
    r"seventy|eighty|ninety|hundred|thousand)\b",
    re.IGNORECASE,
)


# Capitalised because they are acronyms of a kind of software, not because they name a vendor ("our calls
# aren't syncing to the CRM" offered "CRM" as a competitor).
GENERIC_ACRONYMS = frozenset({"crm", "erp", "api", "apis", "saas", "ai", "it", "hr", "ui", "ux", "sso", "voip", "pbx",
                              "sms", "pdf", "csv", "sql", "ats", "cms", "hris", "ccaas", "ucaas", "qa", "kpi"})


# Where the caller runs the product, never what it competes with ("the Chrome extension throws an error" offered
# "Chrome extension" as a competitor). Judged on the name's first word.
PLATFORMS = frozenset({"chrome", "firefox", "safari", "edge", "windows", "macos", "mac", "ios", "android", "iphone",
                       "ipad", "linux", "ubuntu", "chromebook"})


def said_as_name(name: str, prospect: Sequence[Utterance]) -> bool:
    """Did the prospect say `name` as a proper name: capitalised, not just because a sentence starts with it?

    Counts and amounts are never names ("Twenty-five users" was offered as a competitor), nor are generic
    acronyms (CRM, ERP, API)."""
    if _NUMBER_WORD.search(name) or not name.strip() or name.strip().lower() in GENERIC_ACRONYMS:
        return False
    pattern = re.compile(r"(?<![\w])" + r"\s*".join(re.escape(w) for w in name.split()) + r"(?![\w])", re.IGNORECASE)
    for utt in prospect:
        for match in pattern.finditer(utt.text):
            said = match.group()
            if not said[:1].isupper():
                continue
            before = utt.text[: match.start()].rstrip()
            if before and before[-1] not in ".!?":
                return True  # capitalised inside a sentence
            if sum(1 for w in said.split() if w[:1].isupper()) >= 2 or any(c.isupper() for c in said[1:]):
                return True  # "Microsoft Dynamics", "HubSpot" at the start of a sentence
    return False
