"""Keep only what the transcript supports.

Everything the LLM returns is a claim: quotes are cut from the transcript (never taken from the model), and
names, companies and competitor names must occur in what was said (fuzzy per word, to survive ASR spelling).
E-mails, phones and amounts are not asked of the model: the recognisers and parsers read them from the lines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from difflib import SequenceMatcher

from services.pipeline import spoken
from services.pipeline.lead_prompt import split_sentences
from services.pipeline.types import Utterance

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


def written_phone(phone: str) -> str:
    """The model's phone as digits ("four one five ..." and "(415) 555-0192" alike), formatted when 10 long."""
    digits = spoken.digit_stream(phone)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) == 10:
        return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
    return phone if not re.search(r"[a-z]", phone.lower()) else digits
