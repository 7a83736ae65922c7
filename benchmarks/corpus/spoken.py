"""Spoken forms of numbers, money, e-mail addresses and phone numbers.

Calls are scripted in the spoken form ("fifty K", "j dot smith at acme dot com") because that is what the audio
contains and what ASR must turn back into a value; the normalised value goes into the ground truth.
"""

from __future__ import annotations

import random
from typing import Literal

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
         "seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_DIGITS = _ONES[:10]

MoneyStyle = Literal["dollars", "k", "grand", "about"]
MONEY_STYLES: tuple[MoneyStyle, ...] = ("dollars", "k", "grand", "about")


def number_to_words(n: int) -> str:
    """Cardinal in American English, 0 <= n < 10**9 ("one hundred twenty thousand")."""
    if not 0 <= n < 10**9:
        raise ValueError(f"out of range: {n}")
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{_ONES[hundreds]} hundred" + (f" {number_to_words(rest)}" if rest else "")
    for size, word in ((10**6, "million"), (1000, "thousand")):
        if n >= size:
            head, rest = divmod(n, size)
            return f"{number_to_words(head)} {word}" + (f" {number_to_words(rest)}" if rest else "")
    raise AssertionError("unreachable")


def spoken_money(amount: int, style: MoneyStyle) -> str:
    """One of the ways people say a budget: "fifty thousand dollars", "fifty K", "fifty grand"."""
    if amount >= 10**6 and amount % 100_000 == 0:
        # "one point two million": nobody says "one million two hundred thousand dollars" for a budget.
        millions, tenths = divmod(amount // 100_000, 10)
        head = number_to_words(millions) + (f" point {_ONES[tenths]}" if tenths else "")
        return {"dollars": f"{head} million dollars", "k": f"{head} million", "grand": f"{head} million",
                "about": f"about {head} million"}[style]
    if amount % 1000 != 0:
        return f"{number_to_words(amount)} dollars"
    thousands = number_to_words(amount // 1000)
    return {
        "dollars": f"{thousands} thousand dollars",
        "k": f"{thousands} K",
        "grand": f"{thousands} grand",
        "about": f"about {thousands} thousand",
    }[style]


def spoken_email(address: str) -> str:
    """ "s.miller@northwind.com" -> "s dot miller at northwind dot com" (how people dictate addresses)."""
    local, _, domain = address.partition("@")
    say = lambda part: " dot ".join(part.split("."))  # noqa: E731 - tiny local helper
    return f"{say(local)} at {say(domain)}"


def spoken_digits(digits: str, rng: random.Random | None = None) -> str:
    """Digits one by one; "0" is sometimes "oh", as in real dictation."""
    words = []
    for d in digits:
        if d == "0" and rng is not None and rng.random() < 0.5:
            words.append("oh")
        else:
            words.append(_DIGITS[int(d)])
    return " ".join(words)


def spoken_phone(area: str, exchange: str, line: str, rng: random.Random | None = None) -> str:
    """North American number in three groups: "three one two, five five five, zero one four seven"."""
    return ", ".join(spoken_digits(g, rng) for g in (area, exchange, line))
