"""Spoken forms -> written forms, for checking that what the LLM returns was actually said.

ASR writes what people say: "j dot smith at acme dot com", "five five five, twelve thirty four",
"fifty thousand dollars". The LLM writes "j.smith@acme.com", "555-1234", "$50,000". These helpers bring both
sides to one comparable form. Pure functions, no dependencies.
"""

from __future__ import annotations

import re
import unicodedata

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


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(fold(text))


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


_TLDS = {"com", "org", "net", "io", "co", "ai", "biz", "info", "us", "uk", "de", "fr", "ca", "au", "edu", "gov", "app"}
# Words that precede "at" in ordinary speech ("we are at the office dot com" is not an address).
_NOT_LOCAL = {"are", "is", "was", "were", "be", "been", "me", "us", "them", "it", "we", "you", "they", "look", "here",
              "there", "not", "right", "all", "least", "most", "best", "home", "work", "office", "me", "him", "her"}
_JOINERS = {"dot", "period", "point", "underscore", "dash", "hyphen"}


def spoken_emails(text: str) -> list[str]:
    """E-mail addresses read out in `text`: "mark at fenwick supply dot com" -> "mark@fenwicksupply.com".

    The domain must end in "dot <tld>" (so "look at the numbers" is not an address); the local part is the word
    before "at", extended backwards over "dot"/"underscore"/"dash" joins and spelled single letters.
    """
    tokens = _tokens(re.sub(r"(\w)'(\w)", r"\1\2", text))  # "it's j dot ..." must not spell an "s"
    found: list[str] = []
    for i, tok in enumerate(tokens):
        if tok not in ("at", "@") or i == 0:
            continue
        # domain: words up to "dot <tld>" (at most 4 words before it)
        domain: list[str] = []
        j = i + 1
        while j < len(tokens) and len(domain) < 9:
            word = tokens[j]
            if word in ("dot", ".") and j + 1 < len(tokens) and tokens[j + 1] in _TLDS:
                domain += [".", tokens[j + 1]]
                j += 2
                if not (j + 1 < len(tokens) and tokens[j] in ("dot", ".") and tokens[j + 1] in _TLDS):
                    break
                continue
            if not word.isalnum() and word not in ("dot", ".", "dash", "hyphen", "-"):
                domain = []
                break
            domain.append(_EMAIL_SYMBOLS.get(word, word))
            j += 1
        if "." not in domain or domain[-1] not in _TLDS:
            continue
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
        found.append("".join(local) + "@" + "".join(domain))
    return found


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
