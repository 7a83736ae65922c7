"""Spoken forms -> written forms, for checking that what the LLM returns was actually said.

ASR writes what people say: "j dot smith at acme dot com", "five five five, twelve thirty four",
"fifty thousand dollars". The LLM writes "j.smith@acme.com", "555-1234", "$50,000". These helpers bring both
sides to one comparable form. Pure functions, no dependencies.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
}
_TEENS = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90,
}
_SCALES = {"thousand": 1_000, "grand": 1_000, "k": 1_000, "million": 1_000_000, "m": 1_000_000, "mil": 1_000_000,
           "billion": 1_000_000_000, "bn": 1_000_000_000}
# Words spoken inside e-mail addresses.
_EMAIL_SYMBOLS = {"dot": ".", "period": ".", "point": ".", "at": "@", "underscore": "_", "dash": "-", "hyphen": "-"}

_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[a-z]+|[@._\-+$]")


def fold(text: str) -> str:
    """Lower case, accents removed, whitespace collapsed: the form every comparison uses."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.lower().split())


def words(text: str) -> list[str]:
    """Alphanumeric tokens of `text` after folding (punctuation dropped)."""
    return re.findall(r"[a-z0-9]+", fold(text))


# "forty-three" is one number: the hyphen between a tens word and a unit word is not a token.
_NUMBER_HYPHEN = re.compile(
    r"(?<=twenty|thirty|fourty|eighty|ninety)-(?=(?:one|two|three|four|five|six|seven|eight|nine)\b)|"
    r"(?<=forty|fifty|sixty)-(?=(?:one|two|three|four|five|six|seven|eight|nine)\b)|"
    r"(?<=seventy)-(?=(?:one|two|three|four|five|six|seven|eight|nine)\b)"
)


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(_NUMBER_HYPHEN.sub(" ", fold(text)))


def _located_tokens(text: str, *, join_apostrophes: bool = False) -> list[tuple[str, int, int]]:
    """`_tokens(text)` with each token's char span in `text` (end exclusive), for callers that must mark the
    words they parsed (PII redaction). Folding is done per character so every folded char maps back to the
    original one it came from; accents and case never change which tokens are found.

    join_apostrophes drops an apostrophe between two word characters ("it's" -> "its"), matching the pairs
    left to right without overlap as spoken_emails always has, so spans stay on the original text.
    """
    dropped = {m.start() + 1 for m in re.finditer(r"(\w)'(\w)", text)} if join_apostrophes else set()
    chars: list[str] = []
    origin: list[int] = []
    for index, ch in enumerate(text):
        if index in dropped:
            continue
        decomposed = unicodedata.normalize("NFKD", ch)
        for part in "".join(c for c in decomposed if not unicodedata.combining(c)).lower():
            chars.append(part)
            origin.append(index)
    folded = _NUMBER_HYPHEN.sub(" ", "".join(chars))  # same length: spans stay aligned
    return [(m.group(), origin[m.start()], origin[m.end() - 1] + 1) for m in _TOKEN.finditer(folded)]


def spoken_numbers(text: str) -> list[int | float]:
    """Every number in `text`, spoken or written: "fifty thousand" -> 50000, "$1.5M" -> 1500000, "50k" -> 50000.

    A run of number words is split where speech starts a new number: "five five five" -> [5, 5, 5],
    "twelve thirty four" -> [12, 34] (that is how phone numbers are read out).
    """
    out: list[int | float] = []
    tokens = _tokens(text)
    total: float = 0
    current: float = 0
    last: str | None = None  # kind of the previous number word: unit, teen, tens, hundred, scale
    active = False

    def flush() -> None:
        nonlocal total, current, active, last
        if active:
            value = total + current
            out.append(int(value) if float(value).is_integer() else value)
        total, current, active, last = 0, 0, False, None

    for i, tok in enumerate(tokens):
        if not active and tok in ("hundred", "thousand", "million", "grand") and i > 0 and tokens[i - 1] == "a":
            current, last, active = 1, "unit", True  # "a hundred grand"
        if tok in _UNITS or tok in ("oh", "o") and active and last in ("unit", "teen", "tens"):
            value = _UNITS.get(tok, 0)
            if last in ("unit", "teen"):
                flush()
            current += value
            last, active = "unit", True
        elif tok in _TEENS:
            if last in ("unit", "teen", "tens"):
                flush()
            current += _TEENS[tok]
            last, active = "teen", True
        elif tok in _TENS:
            if last in ("unit", "teen", "tens"):
                flush()
            current += _TENS[tok]
            last, active = "tens", True
        elif tok == "hundred" and active:
            current = (current or 1) * 100
            last = "hundred"
        elif tok in _SCALES and active and (tok not in ("k", "m") or last is not None):
            total += (current or 1) * _SCALES[tok]
            current = 0
            last = "scale"
        elif tok == "and" and active and last in ("hundred", "scale"):
            continue  # "one hundred and twenty"
        elif tok[0].isdigit():
            flush()
            number = float(tok.replace(",", "")) if tok.count(".") <= 1 else 0.0
            nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
            if nxt in _SCALES:
                number *= _SCALES[nxt]
            out.append(int(number) if number.is_integer() else number)
        else:
            flush()
    flush()
    return out


def digit_stream(text: str) -> str:
    """All digits said in `text`, in order: "five five five, twelve thirty four" -> "5551234".

    "double five" -> "55"; "oh" counts as 0 only next to other digits (so "oh, great" adds nothing).
    """
    tokens = _tokens(text)
    digits: list[str] = []
    repeat = 1
    for i, tok in enumerate(tokens):
        prev_num = i > 0 and (tokens[i - 1] in _UNITS or tokens[i - 1][0].isdigit())
        next_num = i + 1 < len(tokens) and (tokens[i + 1] in _UNITS or tokens[i + 1][0].isdigit())
        if tok in ("double", "triple"):
            repeat = 2 if tok == "double" else 3
            continue
        if tok in _UNITS or (tok in ("oh", "o") and (prev_num or next_num)):
            digits.append(str(_UNITS.get(tok, 0)) * repeat)
        elif tok in _TEENS or tok in _TENS:
            value = _TEENS.get(tok) or _TENS[tok]
            nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
            if tok in _TENS and nxt in _UNITS and nxt != "zero":
                value += _UNITS[nxt]
                tokens[i + 1] = "_"  # consumed
            digits.append(str(value) * repeat)
        elif tok == "hundred" and digits:
            digits.append("00")
        elif tok[0].isdigit():
            digits.append(re.sub(r"\D", "", tok) * repeat)
        repeat = 1
    return "".join(digits)


class DigitRun(NamedTuple):
    """Digits said or written in a row: char span in the text, the digits, and the words that said them."""

    start: int
    end: int
    digits: str
    words: tuple[str, ...]


# What may stand between two parts of one read-out number: "four one five, five five five", "(415) 555-0192".
_DIGIT_GAP = re.compile(r"[\s,.()\-]*")


def digit_runs(text: str) -> list[DigitRun]:
    """Runs of digit words in `text` with their char spans; `digits` is what `digit_stream` reads from the run.

    A token belongs to a run when digit_stream would read digits from it: unit, teen and tens words ("four",
    "fifteen", "thirty"), "oh" next to other digits, "double"/"triple" before a digit word, "hundred" after a
    unit ("eight hundred"), and written digit groups. Written groups glued to letters ("Q2", "B2B", "DE89") or
    holding a separator ("2,000", "1.5") are not read-out digits and end a run, as does any other word
    ("and", "thousand", "dollars") and any punctuation but commas, dots, dashes and brackets.
    Used by the PHONE recogniser so that redaction reads numbers with the lead parser's vocabulary.
    """
    located = _located_tokens(text)
    tokens = [tok for tok, _, _ in located]

    def plain_digits(i: int) -> bool:
        tok, start, end = located[i]
        glued = (start > 0 and text[start - 1].isalnum()) or (end < len(text) and text[end].isalnum())
        return tok.isdigit() and not glued

    def unit_or_digits(i: int) -> bool:  # digit_stream's test for "oh" being a zero
        return 0 <= i < len(tokens) and (tokens[i] in _UNITS or tokens[i][0].isdigit())

    def number_word(i: int) -> bool:
        return 0 <= i < len(tokens) and (tokens[i] in _UNITS or tokens[i] in _TEENS or tokens[i] in _TENS)

    def in_run(i: int) -> bool:
        tok = tokens[i]
        if tok in _UNITS or tok in _TEENS or tok in _TENS:
            return True
        if tok in ("oh", "o"):
            return unit_or_digits(i - 1) or unit_or_digits(i + 1)
        if tok in ("double", "triple"):
            return number_word(i + 1) or tokens[i + 1 : i + 2] in (["oh"], ["o"]) or (
                i + 1 < len(tokens) and plain_digits(i + 1)
            )
        if tok == "hundred":
            return i > 0 and tokens[i - 1] in _UNITS
        return plain_digits(i)

    runs: list[DigitRun] = []
    members: list[int] = []

    def close() -> None:
        if members:
            start, end = located[members[0]][1], located[members[-1]][2]
            chunk = text[start:end]
            runs.append(DigitRun(start, end, digit_stream(chunk), tuple(tokens[m] for m in members)))
        members.clear()

    for i, tok in enumerate(tokens):
        if tok in ("-", ".") and members:
            continue  # a separator inside the run; the gap check below decides
        if not in_run(i):
            close()
            continue
        if members and not _DIGIT_GAP.fullmatch(text[located[members[-1]][2] : located[i][1]]):
            close()
        members.append(i)
    close()
    return runs


def compact_spoken(text: str) -> str:
    """Collapse speech into e-mail-like text: "j dot smith at acme dot com" -> "j.smith@acme.com".

    Number words become digits ("john two" -> "john2"); everything else is concatenated without spaces, so a
    written address is a substring of the result whether it was spoken, spelled or written out by ASR.
    """
    parts: list[str] = []
    for tok in _tokens(text):
        if tok in _EMAIL_SYMBOLS:
            parts.append(_EMAIL_SYMBOLS[tok])
        elif tok in _UNITS:
            parts.append(str(_UNITS[tok]))
        else:
            parts.append(tok)
    return "".join(parts)


# Only words that follow a spoken "dot" or an unspaced "." count, so ordinary words ("us", "info") are safe here;
# two-letter words of ordinary speech ("it", "in", "me", "at") are left out on purpose.
_TLDS = {"com", "org", "net", "io", "co", "ai", "biz", "info", "us", "uk", "de", "fr", "ca", "au", "edu", "gov", "app",
         "dev", "tech", "eu", "nl", "ch", "es", "se", "ie", "nz"}
# Words that precede "at" in ordinary speech ("we are at the office dot com" is not an address).
_NOT_LOCAL = {"are", "is", "was", "were", "be", "been", "me", "us", "them", "it", "we", "you", "they", "look", "here",
              "there", "not", "right", "all", "least", "most", "best", "home", "work", "office", "me", "him", "her"}
_JOINERS = {"dot", "period", "point", "underscore", "dash", "hyphen"}


def spoken_email_spans(text: str) -> list[tuple[int, int, str]]:
    """E-mail addresses read out in `text`, each as (char start, char end, written address).

    The span runs from the first word of the local part through the top-level domain, so redacting it removes
    the whole address and nothing after it. This is the one spoken-address parser: `spoken_emails` (lead
    grounding) and the EMAIL recogniser (PII redaction) both use it, so whatever the lead parser reads as an
    address is also redacted.

    The domain must end in "dot <tld>" (so "look at the numbers" is not an address); the local part is the word
    before "at", extended backwards over "dot"/"underscore"/"dash" joins and spelled single letters.
    """
    located = _located_tokens(text, join_apostrophes=True)  # "it's j dot ..." must not spell an "s"
    tokens = [tok for tok, _, _ in located]

    def sentence_stop(j: int) -> bool:
        # A written "." followed by a space ends a sentence ("Dana at Acme. US sales ..."); ASR writes the dots
        # of an address without spaces ("acme.com"), and a spoken one as the word "dot".
        end = located[j][2]
        return tokens[j] == "." and (end >= len(text) or text[end].isspace())

    found: list[tuple[int, int, str]] = []
    for i, tok in enumerate(tokens):
        if tok not in ("at", "@") or i == 0:
            continue
        # domain: words up to "dot <tld>" (at most 4 words before it)
        domain: list[str] = []
        j = i + 1
        while j < len(tokens) and len(domain) < 9:
            word = tokens[j]
            if sentence_stop(j):
                domain = []
                break
            if word in ("dot", ".") and j + 1 < len(tokens) and tokens[j + 1] in _TLDS:
                domain += [".", tokens[j + 1]]
                j += 2
                if not (
                    j + 1 < len(tokens)
                    and tokens[j] in ("dot", ".")
                    and not sentence_stop(j)
                    and tokens[j + 1] in _TLDS
                ):
                    break
                continue
            if not word.isalnum() and word not in ("dot", ".", "dash", "hyphen", "-"):
                domain = []
                break
            domain.append(_EMAIL_SYMBOLS.get(word, word))
            j += 1
        if "." not in domain or domain[-1] not in _TLDS:
            continue
        last = j - 1  # every path out of the loop leaves j just past the last domain token
        # local part
        local: list[str] = [tokens[i - 1]]
        k = i - 2
        while k >= 0:
            if tokens[k + 1] == local[0] and tokens[k] in _JOINERS | {".", "_", "-"} and k >= 1:
                local[:0] = [tokens[k - 1], _EMAIL_SYMBOLS.get(tokens[k], tokens[k])]
                k -= 2
            elif len(tokens[k]) == 1 and tokens[k].isalpha() and len(local[0]) == 1:
                local.insert(0, tokens[k])  # spelled out: "m a r k at ..."
                k -= 1
            else:
                break
        if not local[0].isalnum() or (len(local) == 1 and local[0] in _NOT_LOCAL):
            continue
        found.append((located[k + 1][1], located[last][2], "".join(local) + "@" + "".join(domain)))
    return found


def spoken_emails(text: str) -> list[str]:
    """E-mail addresses read out in `text`: "mark at fenwick supply dot com" -> "mark@fenwicksupply.com"."""
    return [address for _, _, address in spoken_email_spans(text)]


def compact_written(text: str) -> str:
    """The written counterpart of compact_spoken: lower case, no spaces."""
    return re.sub(r"\s+", "", fold(text))


def mentions_amount(text: str) -> bool:
    """Does `text` state an amount of money? ("$50k", "fifty thousand", "40,000 a year"; not "we have budget")."""
    folded = fold(text)
    if re.search(r"[$€£]\s*\d", folded):
        return True
    if re.search(r"\b\d+(?:[.,]\d+)?\s*(?:k|m|grand|dollars?|euros?|pounds?|usd)\b", folded):
        return True
    if re.search(r"\b(?:dollars?|bucks|euros?|pounds?|grand)\b", folded) and spoken_numbers(folded):
        return True
    return any(n >= 1000 for n in spoken_numbers(folded))
