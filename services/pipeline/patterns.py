"""Pattern recognisers for what spaCy's small model misses: phone numbers, e-mail addresses (written or
spelled out the way people say them on calls), money shorthand, quarter dates, card, social-security and
IBAN numbers. Pure functions over text; each hit is (type, char_start, char_end).

Spoken phone numbers and e-mail addresses are found with the same parsers the lead extractor grounds its
answers with (services.pipeline.spoken), so whatever the lead parser reads as a number or an address is
also redacted; a second, regex-only reading would drift from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.pipeline.spoken import DigitRun, digit_runs, fold, spoken_email_spans

PHONE_WRITTEN = re.compile(r"(?<![\w$])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?!\w)")
EMAIL_WRITTEN = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+(?!\w)")
MONEY_SHORT = re.compile(r"(?<!\w)\$\s?\d[\d,.]*\s?(?:[kKmMbB]|thousand|million|billion)?(?!\w)")
QUARTER = re.compile(r"(?<!\w)(?:Q[1-4]|(?:first|second|third|fourth) quarter)(?:\s+(?:of\s+)?\d{4})?(?!\w)", re.I)
CREDIT_CARD = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)")
SSN = re.compile(r"(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)")
# Country code, check digits, then the BBAN either unspaced or in groups of four (the printed form). The
# candidate may run into a following word ("... 7034 then"); find_ibans cuts it to the country's length.
IBAN_CANDIDATE = re.compile(
    r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}"
    r"(?:[A-Za-z0-9]{10,30}|(?: [A-Za-z0-9]{4}){2,7}(?: [A-Za-z0-9]{1,4})?)"
    r"(?![A-Za-z0-9])"
)
# ISO 13616 lengths of the countries Parley's users call most; an unknown country is not guessed at.
IBAN_LENGTHS = {
    "AT": 20, "BE": 16, "CH": 21, "DE": 22, "DK": 18, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "IE": 22, "IT": 27,
    "LU": 20, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "SE": 24,
}

# A phone number has 7 (local) to 15 (E.164 maximum) digits.
PHONE_MIN_DIGITS, PHONE_MAX_DIGITS = 7, 15
# Words after a run of numbers that make it an amount or a count, not a phone number.
_AMOUNT_AFTER = {"dollars", "dollar", "bucks", "euros", "euro", "pounds", "k", "grand", "thousand", "million",
                 "billion", "percent", "people", "employees", "users", "seats", "licenses", "licences"}
_UNIT_WORDS = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "oh", "o"}
_YEAR = re.compile(r"(?:19|20)\d\d")

# Where hits of different types cover the same text, the more specific recogniser wins (a valid IBAN or a
# Luhn-checked card is not "also a phone number").
_PRIORITY = {"IBAN": 0, "CREDIT_CARD": 1, "SSN": 2, "EMAIL": 3, "PHONE": 4, "MONEY": 5, "DATE": 6}


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


def iban_ok(iban: str) -> bool:
    """ISO 13616: known country, its length, and the mod-97 check (country and check digits moved to the end,
    letters as 10..35, the number mod 97 is 1). `iban` is compact (no spaces), any case."""
    iban = iban.upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]+", iban) or IBAN_LENGTHS.get(iban[:2]) != len(iban):
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def find_ibans(text: str) -> list[tuple[int, int]]:
    """Char spans of checksum-valid IBANs in `text`, written unspaced or in groups of four."""
    spans: list[tuple[int, int]] = []
    for m in IBAN_CANDIDATE.finditer(text):
        length = IBAN_LENGTHS.get(m.group()[:2].upper())
        if length is None:
            continue
        # Walk the candidate to its `length`-th alphanumeric character: the IBAN ends there.
        seen, end = 0, m.start()
        for end in range(m.start(), m.end()):
            if text[end] != " ":
                seen += 1
                if seen == length:
                    break
        end += 1
        if seen != length or (end < len(text) and text[end].isalnum()):
            continue
        if iban_ok(text[m.start() : end].replace(" ", "")):
            spans.append((m.start(), end))
    return spans


def _phone_like(run: DigitRun, text: str) -> bool:
    """Is a run of digits (as the lead parser reads them) a phone number rather than an amount, a count, a
    list of years or a list of times?"""
    if not PHONE_MIN_DIGITS <= len(run.digits) <= PHONE_MAX_DIGITS:
        return False
    before = text[: run.start].rstrip()
    if before.endswith(("$", "€", "£")):
        return False
    after = fold(text[run.end :]).split(maxsplit=1)
    if after and after[0].strip(".,;:!?") in _AMOUNT_AFTER or text[run.end : run.end + 1] == "%":
        return False
    written = [w for w in run.words if w.isdigit()]
    if sum(1 for w in written if len(w) == 4 and _YEAR.fullmatch(w)) >= 2:
        return False  # "2019, 2020, 2021"
    if written and len(written) == len(run.words):
        if len(written) == 1:
            # one bare group: only a whole ten-digit number (or with the US country code) reads as a phone
            return len(run.digits) == 10 or (len(run.digits) == 11 and run.digits.startswith("1"))
        if any(len(w) > 4 for w in written):
            return False  # order or account numbers, not phone groups
        if "," in text[run.start : run.end]:
            # "10, 12, 14, 16" is a list; "415, 555, 0192" ends in a four-digit line number
            return len(run.digits) in (7, 10, 11) and len(written[-1]) == 4
        return True
    # Spoken: a phone number is mostly single digits; runs of teens and tens are times or years
    # ("ten thirty, eleven fifteen, twelve forty five"; "twenty twenty six, twenty twenty seven").
    singles = sum(1 for w in run.words if w in _UNIT_WORDS) + sum(len(w) for w in written)
    if singles < 3 or sum(1 for w in run.words if w == "hundred") > 1:
        return False
    return True


def find_patterns(text: str) -> list[PatternHit]:
    hits: list[PatternHit] = []
    for m in PHONE_WRITTEN.finditer(text):
        hits.append(PatternHit("PHONE", m.start(), m.end()))
    for run in digit_runs(text):
        if _phone_like(run, text):
            # "+44 20 7946 0958": the plus belongs to the number
            start = run.start - 1 if run.start > 0 and text[run.start - 1] == "+" else run.start
            hits.append(PatternHit("PHONE", start, run.end))
    for m in EMAIL_WRITTEN.finditer(text):
        hits.append(PatternHit("EMAIL", m.start(), m.end()))
    for start, end, _address in spoken_email_spans(text):
        hits.append(PatternHit("EMAIL", start, end))
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
    for start, end in find_ibans(text):
        hits.append(PatternHit("IBAN", start, end))
    return _drop_contained(hits)


def _drop_contained(hits: list[PatternHit]) -> list[PatternHit]:
    """Keep the earliest, then longest, then most specific hit where hits overlap (a phone number is not also
    a card number)."""
    ordered = sorted(hits, key=lambda h: (h.start, -(h.end - h.start), _PRIORITY.get(h.type, len(_PRIORITY))))
    kept: list[PatternHit] = []
    for hit in ordered:
        if kept and hit.start < kept[-1].end:
            continue
        kept.append(hit)
    return kept


def blank_patterns(text: str, kind: str) -> str:
    """`text` with every hit of one type (say "PHONE" or "EMAIL") replaced by a space: what is left for word
    rules that must not read digits or addresses as something else."""
    for hit in sorted((h for h in find_patterns(text) if h.type == kind), key=lambda h: -h.start):
        text = text[: hit.start] + " " + text[hit.end :]
    return text
