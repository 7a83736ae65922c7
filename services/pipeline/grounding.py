"""Keep only what the transcript supports.

Everything the LLM returns is a claim: cited ids must exist and belong to the prospect, quotes are cut from the
transcript (never taken from the model), and names, companies, e-mails, phones, amounts and competitor names
must occur in what was said (after undoing spoken forms). What fails is dropped and reported as a reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from services.pipeline import spoken
from services.pipeline.lead_prompt import TranscriptView, split_sentences
from services.pipeline.types import Evidence, Role, Utterance

# Words that say a line is about a criterion: pick the sentence to quote when the model cites a whole long
# utterance, and prune padded evidence lists (prune_unrelated).
_CRITERION_CUES: dict[str, re.Pattern[str]] = {
    "budget": re.compile(r"budget|\$|dollar|thousand|grand|\bk\b|million|spend|cost|price|afford|allocat|fund", re.I),
    "authority": re.compile(r"decid|decision|sign|approv|my call|\bi own\b|manager|boss|ceo|cfo|vp|head of|final",
                            re.I),
    "need": re.compile(r"problem|issue|pain|struggl|manual|by hand|hours|slow|broken|waste|los[ts]|need|can't|"
                       r"cannot|miss|late|error|mistake|fee|frustrat|hard|difficult|takes|too ", re.I),
    "timeline": re.compile(r"q[1-4]|quarter|month|week|day|year|january|february|march|april|may|june|july|"
                           r"august|september|october|november|december|by |before|deadline|launch|live", re.I),
}
# Company suffixes that may or may not be said ("Acme" vs "Acme Corp").
_COMPANY_NOISE = {"inc", "corp", "corporation", "co", "llc", "ltd", "limited", "gmbh", "plc", "the", "company", "group"}
FUZZY_WORD = 0.8  # "smith" vs ASR "smyth" is 0.8


@dataclass(frozen=True)
class Resolved:
    evidence: tuple[Evidence, ...]
    dropped: tuple[str, ...]
    """Cited ids that were rejected, with why ("u99: no such line", "u3: rep line")."""


def best_sentence(text: str, criterion: str) -> str:
    sentences = split_sentences(text)
    if len(sentences) < 2:
        return text
    cue = _CRITERION_CUES.get(criterion)
    if cue is None:
        return text
    scored = [(len(cue.findall(s)), -i, s) for i, s in enumerate(sentences)]
    best = max(scored)
    return best[2] if best[0] > 0 else text


def resolve_evidence(
    ids: Iterable[str], criterion: str, view: TranscriptView, roles: dict[str, Role], *, limit: int = 3
) -> Resolved:
    """Cited ids -> Evidence with quotes copied from the transcript. Unknown ids and rep lines are dropped."""
    evidence: list[Evidence] = []
    dropped: list[str] = []
    seen: set[tuple[str, str]] = set()
    for raw in ids:
        cid = str(raw).strip().strip("[]").lower()
        if cid[:1].isdigit():
            cid = "u" + cid  # the model dropped the prefix
        line = view.by_id.get(cid)
        if line is not None:
            utt, quote = line.utterance, line.text
        elif cid in view.utterance_ids:  # whole utterance cited although it was shown as sentences
            utt = view.utterance_ids[cid]
            quote = best_sentence(utt.text.strip(), criterion)
        else:
            dropped.append(f"{raw}: no such line")
            continue
        if roles.get(utt.speaker) == "rep":
            dropped.append(f"{raw}: a rep line")
            continue
        key = (utt.id, quote)
        if key in seen:
            continue
        seen.add(key)
        evidence.append(Evidence(utterance_id=utt.id, quote=quote, start=utt.start, end=utt.end))
    return Resolved(tuple(prune_unrelated(evidence, criterion)[:limit]), tuple(dropped))


def prune_unrelated(evidence: list[Evidence], criterion: str) -> list[Evidence]:
    """Drop cited lines with no word about the criterion when other cited lines have some.

    The 1.5B model pads evidence lists with neighbouring lines ("Probably Q3" as evidence of need). Lines are
    only pruned relative to better ones: a lone citation is kept, the cue lists are not exhaustive.
    """
    cue = _CRITERION_CUES.get(criterion)
    if cue is None or len(evidence) < 2:
        return evidence
    related = [e for e in evidence if cue.search(e.quote)]
    return related or evidence


# ------------------------------------------------------------------------------------- text grounding


def quote_in_transcript(quote: str, utterances: Sequence[Utterance]) -> bool:
    """Verbatim after folding case and whitespace (and ignoring punctuation at the edges)."""
    needle = spoken.fold(quote).strip(" \"'.,!?;:")
    if not needle:
        return False
    return any(needle in spoken.fold(u.text) for u in utterances)


def _word_close(word: str, vocabulary: set[str]) -> bool:
    if word in vocabulary:
        return True
    if len(word) < 4:
        return False
    return any(
        abs(len(word) - len(v)) <= 3 and SequenceMatcher(None, word, v).ratio() >= FUZZY_WORD for v in vocabulary
    )


def phrase_grounded(phrase: str, utterances: Sequence[Utterance], *, ignore: set[str] | None = None,
                    coverage: float = 1.0) -> bool:
    """Do (almost) all words of `phrase` occur in the transcript? Fuzzy per word, to survive ASR spelling."""
    if quote_in_transcript(phrase, utterances):
        return True
    ignore = ignore or set()
    wanted = [w for w in spoken.words(phrase) if w not in ignore]
    if not wanted:
        return False
    vocabulary = {w for u in utterances for w in spoken.words(u.text)}
    # A compact form catches names ASR splits or joins ("Sales Force" vs "Salesforce").
    joined = " ".join(spoken.compact_written(u.text) for u in utterances)
    hits = sum(1 for w in wanted if _word_close(w, vocabulary))
    if hits / len(wanted) >= coverage:
        return True
    return "".join(wanted) in re.sub(r"[^a-z0-9 ]", "", joined)


def company_grounded(company: str, utterances: Sequence[Utterance]) -> bool:
    return phrase_grounded(company, utterances, ignore=_COMPANY_NOISE)


def same_name(a: str, b: str) -> bool:
    wa = [w for w in spoken.words(a) if w not in _COMPANY_NOISE]
    wb = [w for w in spoken.words(b) if w not in _COMPANY_NOISE]
    if not wa or not wb:
        return False
    return SequenceMatcher(None, " ".join(wa), " ".join(wb)).ratio() >= FUZZY_WORD or set(wa) <= set(wb) or set(
        wb
    ) <= set(wa)


def email_grounded(email: str, utterances: Sequence[Utterance]) -> bool:
    """"j.smith@acme.com" is grounded by "j dot smith at acme dot com", "J. Smith at acme.com", or the address."""
    target = spoken.compact_written(email)
    if "@" not in target:
        return False
    texts = [u.text for u in utterances]
    # Addresses are sometimes spread over two turns ("it's j dot smith" / "at acme dot com").
    windows = texts + [a + " " + b for a, b in zip(texts, texts[1:])]
    return any(target in spoken.compact_spoken(t) for t in windows)


def closest_said_email(email: str, utterances: Sequence[Utterance]) -> str | None:
    """The read-out address the model most likely meant (it often mangles "mark at fenwick supply dot com")."""
    said = [e for u in utterances for e in spoken.spoken_emails(u.text)]
    target = spoken.compact_written(email)
    scored = sorted(((SequenceMatcher(None, target, s).ratio(), s) for s in dict.fromkeys(said)), reverse=True)
    return scored[0][1] if scored and scored[0][0] >= 0.5 else None


def written_phone(phone: str) -> str:
    """The model's phone as digits ("four one five ..." and "(415) 555-0192" alike), formatted when 10 long."""
    digits = spoken.digit_stream(phone)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) == 10:
        return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
    return phone if not re.search(r"[a-z]", phone.lower()) else digits


def written_email(email: str) -> str:
    """The model's e-mail with spoken forms undone ("dana dot reyes at acme dot com")."""
    if "@" in email:
        return email.replace(" ", "")
    found = spoken.spoken_emails(email)
    return found[0] if found else email


def phone_grounded(phone: str, utterances: Sequence[Utterance]) -> bool:
    digits = spoken.digit_stream(phone)
    if len(digits) < 7:
        return False
    candidates = {digits}
    if len(digits) == 11 and digits.startswith("1"):
        candidates.add(digits[1:])  # the model added the US country code
    texts = [u.text for u in utterances]
    windows = texts + [a + " " + b for a, b in zip(texts, texts[1:])]
    streams = [spoken.digit_stream(t) for t in windows]
    return any(c in s for c in candidates for s in streams)


def amount_grounded(amount: str, utterances: Sequence[Utterance]) -> bool:
    """An amount is grounded when its largest number was said (in any form) or the text occurs verbatim."""
    if quote_in_transcript(amount, utterances):
        return True
    values = [v for v in spoken.spoken_numbers(amount) if v > 0]
    if not values:
        return False
    target = max(values)
    said = {v for u in utterances for v in spoken.spoken_numbers(u.text)}
    return any(abs(v - target) <= 1e-6 * max(1.0, target) for v in said)


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def closest_said_phone(phone: str, utterances: Sequence[Utterance]) -> str | None:
    """The digits actually said that the model most likely meant, when it misread them.

    Small models garble read-out numbers ("oh one nine two" -> "1922"); the digits are in the transcript, so a
    near miss (at most 2 digit edits in a 10-digit number, 1 in a shorter one) is repaired from what was said.
    """
    digits = spoken.digit_stream(phone)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) < 7:
        return None
    allowed = 2 if len(digits) >= 10 else 1
    texts = [u.text for u in utterances]
    best: tuple[int, str] | None = None
    for text in texts + [a + " " + b for a, b in zip(texts, texts[1:])]:
        stream = spoken.digit_stream(text)
        size = len(digits)  # a phone number keeps its length; the misread digits are inside it
        for start in range(0, len(stream) - size + 1):
            candidate = stream[start : start + size]
            distance = _edit_distance(digits, candidate)
            if distance <= allowed and (best is None or distance < best[0]):
                best = (distance, candidate)
    if best is None:
        return None
    said = best[1]
    return f"{said[:3]}-{said[3:6]}-{said[6:]}" if len(said) == 10 else said
