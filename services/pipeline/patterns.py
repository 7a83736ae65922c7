"""Pattern recognisers for what spaCy's small model misses: phone numbers, e-mail addresses (written or
spelled out the way people say them on calls), money shorthand, quarter dates, card and social-security
numbers. Pure functions over text; each hit is (type, char_start, char_end).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.pipeline.spoken import digit_stream

_DIGIT_TOKEN = r"(?:\d+|zero|oh|one|two|three|four|five|six|seven|eight|nine|double|triple)"

PHONE_WRITTEN = re.compile(r"(?<![\w$])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?!\w)")
# "five five five, zero one four two" -> at least 7 digit words in a row (commas/dashes between allowed).
PHONE_SPOKEN = re.compile(rf"(?<!\w)(?:{_DIGIT_TOKEN}[\s,.-]+){{6,}}{_DIGIT_TOKEN}(?!\w)", re.IGNORECASE)
EMAIL_WRITTEN = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+(?!\w)")
# "john dot smith at acme dot com" / "jsmith at northwind dot io"
EMAIL_SPOKEN = re.compile(
    r"(?<!\w)[a-z0-9]+(?:\s+(?:dot|underscore|dash)\s+[a-z0-9]+)*\s+at\s+[a-z0-9-]+(?:\s+dot\s+[a-z]{2,})+(?!\w)",
    re.IGNORECASE,
)
MONEY_SHORT = re.compile(r"(?<!\w)\$\s?\d[\d,.]*\s?(?:[kKmMbB]|thousand|million|billion)?(?!\w)")
QUARTER = re.compile(r"(?<!\w)(?:Q[1-4]|(?:first|second|third|fourth) quarter)(?:\s+(?:of\s+)?\d{4})?(?!\w)", re.I)
CREDIT_CARD = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)")
SSN = re.compile(r"(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)")


@dataclass(frozen=True)
class PatternHit:
    type: str
    start: int
    end: int


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return total % 10 == 0


def find_patterns(text: str) -> list[PatternHit]:
    hits: list[PatternHit] = []
    for m in PHONE_WRITTEN.finditer(text):
        hits.append(PatternHit("PHONE", m.start(), m.end()))
    for m in PHONE_SPOKEN.finditer(text):
        if 7 <= len(digit_stream(m.group())) <= 15:
            hits.append(PatternHit("PHONE", m.start(), m.end()))
    for m in EMAIL_WRITTEN.finditer(text):
        hits.append(PatternHit("EMAIL", m.start(), m.end()))
    for m in EMAIL_SPOKEN.finditer(text):
        hits.append(PatternHit("EMAIL", m.start(), m.end()))
    for m in MONEY_SHORT.finditer(text):
        hits.append(PatternHit("MONEY", m.start(), m.end()))
    for m in QUARTER.finditer(text):
        hits.append(PatternHit("DATE", m.start(), m.end()))
    for m in SSN.finditer(text):
        hits.append(PatternHit("SSN", m.start(), m.end()))
    for m in CREDIT_CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19 and _luhn_ok(digits):
            hits.append(PatternHit("CREDIT_CARD", m.start(), m.end()))
    return _drop_contained(hits)


def _drop_contained(hits: list[PatternHit]) -> list[PatternHit]:
    """Keep the longest hit where hits overlap (a phone number is not also a card number)."""
    ordered = sorted(hits, key=lambda h: (h.start, -(h.end - h.start)))
    kept: list[PatternHit] = []
    for hit in ordered:
        if kept and hit.start < kept[-1].end:
            continue
        kept.append(hit)
    return kept
