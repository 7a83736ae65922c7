from __future__ import annotations

from types import SimpleNamespace

import pytest

from services.pipeline.align import join_words
from services.pipeline.nlp import find_entities, redact, sentiment_of
from services.pipeline.patterns import find_patterns
from services.pipeline.spoken import digit_stream, spoken_emails
from services.pipeline.types import Utterance, Word


def types_in(text: str) -> list[tuple[str, str]]:
    return [(h.type, text[h.start : h.end]) for h in find_patterns(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call me at 555-014-2233 tomorrow", ("PHONE", "555-014-2233")),
        ("my number is (415) 555-0199.", ("PHONE", "(415) 555-0199")),
        ("it's five five five, zero one four, two two three three", ("PHONE", "five five five, zero one four, two two three three")),
        ("mail jane.doe@acme.io please", ("EMAIL", "jane.doe@acme.io")),
        ("it's jane dot doe at acme dot io", ("EMAIL", "jane dot doe at acme dot io")),
        ("we have $50K set aside", ("MONEY", "$50K")),
        ("live by Q2 2027", ("DATE", "Q2 2027")),
        ("card 4111 1111 1111 1111 ok", ("CREDIT_CARD", "4111 1111 1111 1111")),
        ("ssn 123-45-6789", ("SSN", "123-45-6789")),
    ],
)
def test_recognisers(text, expected):
    assert expected in types_in(text)


def test_no_false_positives_on_plain_speech():
    assert types_in("we met at the office and talked about one or two things") == []


def test_non_luhn_digits_are_not_a_card():
    assert all(t != "CREDIT_CARD" for t, _ in types_in("order 1234 5678 9012 3456"))


def test_spoken_forms_normalise():
    assert digit_stream("five five five oh one double four") == "5550144"
    assert spoken_emails("it's j dot smith at acme dot com") == ["j.smith@acme.com"]


class FakeSpacy:
    """Returns fixed entities for a text: enough to test mapping, overlap and timing logic without weights."""

    def __init__(self, ents):
        self._ents = ents

    def __call__(self, text):
        ents = []
        for label, surface in self._ents:
            start = text.find(surface)
            if start >= 0:
                ents.append(SimpleNamespace(label_=label, start_char=start, end_char=start + len(surface)))
        return SimpleNamespace(ents=ents)


def utterance_of(text: str):
    words = [Word(start=i, end=i + 0.5, text=t, confidence=0.9) for i, t in enumerate(text.split())]
    joined, _ = join_words(words)
    return Utterance(id="u3", start=0, end=len(words), speaker="A", text=joined, word_range=(0, len(words))), words


def test_entities_get_times_from_their_words():
    utt, words = utterance_of("I am Sarah Chen from Acme, call 555-014-2233")
    spacy = FakeSpacy([("PERSON", "Sarah Chen"), ("ORG", "Acme"), ("CARDINAL", "555"), ("DATE", "555-014-2233")])
    ents = find_entities(utt, words, spacy)
    got = {(e.type, e.text, e.start, e.end, e.source) for e in ents}
    assert ("PERSON", "Sarah Chen", 2, 3.5, "spacy") in got
    assert ("ORG", "Acme", 5, 5.5, "spacy") in got
    # the pattern recogniser wins over spaCy's DATE guess for the phone number; CARDINAL is not kept
    assert ("PHONE", "555-014-2233", 7, 7.5, "pattern") in got
    assert not any(e.type in ("DATE", "CARDINAL") for e in ents)
    assert all(e.utterance_id == "u3" for e in ents)


def test_redaction_replaces_only_configured_types():
    utt, words = utterance_of("I am Sarah Chen from Acme, call 555-014-2233")
    ents = find_entities(utt, words, FakeSpacy([("PERSON", "Sarah Chen"), ("ORG", "Acme")]))
    assert redact(utt.text, ents, ["PERSON", "PHONE"]) == "I am [PERSON] from Acme, call [PHONE]"
    assert redact(utt.text, ents, []) == utt.text


def test_sentiment_handles_negation():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    vader = SentimentIntensityAnalyzer()
    assert sentiment_of("I am happy with it", vader).label == "positive"
    assert sentiment_of("I am not happy with it", vader).label == "negative"
    assert sentiment_of("The meeting is on Tuesday", vader).label == "neutral"
