from __future__ import annotations

from types import SimpleNamespace

import pytest

from services.pipeline.align import join_words
from services.pipeline.nlp import find_entities, redact, sentiment_of
from services.pipeline.patterns import find_patterns, iban_ok
from services.pipeline.spoken import digit_runs, digit_stream, spoken_email_spans, spoken_emails
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


# --- spoken e-mail addresses: one parser for the lead and for redaction ---------------------------------------

SPOKEN_EMAIL_SENTENCES = [
    ("sure, it's r dot king at summit partners dot com", "r dot king at summit partners dot com"),
    ("it's dana dot reyes at acme dot com", "dana dot reyes at acme dot com"),
    ("that's m a r k at fenwick supply dot com, thanks", "m a r k at fenwick supply dot com"),
    ("j underscore smith at acme dot io works", "j underscore smith at acme dot io"),
    ("dana, dot, reyes at acme dot com", "dana, dot, reyes at acme dot com"),
    ("write to s dot miller at northwind dot co dot uk today", "s dot miller at northwind dot co dot uk"),
    ("John-Smith at ACME dash corp dot net.", "John-Smith at ACME dash corp dot net"),
    ("mail jane.doe@acme.io please", "jane.doe@acme.io"),
]
NOT_EMAIL_SENTENCES = [
    "look at the numbers",
    "we are at the office",
    "we are at the office dot com",
    "Dana at Acme. US sales are up",  # a sentence full stop is not a dot in an address
]


@pytest.mark.parametrize(("text", "surface"), SPOKEN_EMAIL_SENTENCES)
def test_spoken_email_is_redacted_whole(text, surface):
    assert ("EMAIL", surface) in types_in(text)


@pytest.mark.parametrize("text", NOT_EMAIL_SENTENCES)
def test_not_an_address(text):
    assert spoken_emails(text) == []
    assert all(t != "EMAIL" for t, _ in types_in(text))


def test_spoken_emails_is_built_on_the_span_parser():
    for text, _ in SPOKEN_EMAIL_SENTENCES:
        assert spoken_emails(text) == [address for _, _, address in spoken_email_spans(text)]
    assert spoken_email_spans("it's j dot smith at acme dot com.") == [(5, 32, "j.smith@acme.com")]
    assert spoken_emails("m a r k at fenwick supply dot com") == ["mark@fenwicksupply.com"]
    assert spoken_emails("j underscore smith at acme dot io") == ["j_smith@acme.io"]
    assert spoken_emails("dana, dot, reyes at acme dot com") == ["dana.reyes@acme.com"]


def test_every_address_the_lead_parser_reads_is_redacted():
    """One parser serves both: each address spoken_emails finds lies inside an EMAIL redaction span."""
    sentences = [t for t, _ in SPOKEN_EMAIL_SENTENCES] + NOT_EMAIL_SENTENCES + [
        "mail r dot king at summit partners dot com or call four one five five five five zero one nine two",
        "it's t dot b at x dot io and also k at y dot org",
        "d a n a at acme dot com",
    ]
    for text in sentences:
        emails = [h for h in find_patterns(text) if h.type == "EMAIL"]
        spans = spoken_email_spans(text)
        assert len(spans) == len(spoken_emails(text))
        for start, end, address in spans:
            assert any(h.start <= start and end <= h.end for h in emails), (text, address)
        utt, words = utterance_of(text)
        redacted = redact(utt.text, find_entities(utt, words, FakeSpacy([])), ["EMAIL"])
        assert spoken_emails(redacted) == [], redacted
        assert redacted.count("[EMAIL]") == len(spans)


# --- phone numbers: the lead parser's digit vocabulary ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "surface"),
    [
        ("call four one five, five five five, zero one nine two", "four one five, five five five, zero one nine two"),
        ("it's four fifteen, five five five, oh one nine two thanks", "four fifteen, five five five, oh one nine two"),
        ("reach me at 415 555 0192 after lunch", "415 555 0192"),
        ("reach me at (415) 555-0192.", "(415) 555-0192"),
        ("five double five, oh one nine two", "five double five, oh one nine two"),
        ("five five five, twelve thirty four", "five five five, twelve thirty four"),
        (
            "one eight hundred, five five five, one two three four",
            "one eight hundred, five five five, one two three four",
        ),
        ("the London office is +44 20 7946 0958", "+44 20 7946 0958"),
        ("call 4155550192", "4155550192"),
        ("call 555-0192", "555-0192"),
    ],
)
def test_phone_forms_the_lead_parser_reads(text, surface):
    assert ("PHONE", surface) in types_in(text)
    start = text.index(surface)
    assert digit_stream(surface) in digit_stream(text[start:])  # the same digits grounding would read


@pytest.mark.parametrize(
    "text",
    [
        "we need fifty thousand dollars",
        "two hundred and fifty thousand dollars a year",
        "we go live in 2027",
        "we have 2,000 employees",
        "we did 2019, 2020, 2021",
        "twenty twenty six, twenty twenty seven",
        "meet at ten thirty, eleven fifteen, twelve forty five",
        "at 10:30, 11:45 or 12:15",
        "sizes 10, 12, 14, 16",
        "we hit 120, 130, 145 last quarter",
        "growth of 15 20 30 percent",
        "budget is $415 555",
        "order 12345678",
        "oh, it's double five, twelve thirty four",  # six digits: too short for a phone
    ],
)
def test_no_phone_in_amounts_years_counts_times(text):
    assert all(t != "PHONE" for t, _ in types_in(text))


def test_digit_runs_read_like_digit_stream():
    text = "call four fifteen, five five five, oh one nine two, or Q2 2027"
    runs = digit_runs(text)
    assert runs[0].digits == "4155550192" == digit_stream(text[runs[0].start : runs[0].end])
    assert text[runs[0].start : runs[0].end] == "four fifteen, five five five, oh one nine two"
    assert all("2" != r.digits for r in runs)  # "Q2" is a label, not a read-out digit
    assert digit_runs("oh, great") == []


def test_ssn_and_card_win_over_phone():
    assert types_in("ssn 123-45-6789") == [("SSN", "123-45-6789")]
    assert types_in("card 4111 1111 1111 1111 ok") == [("CREDIT_CARD", "4111 1111 1111 1111")]


# --- IBAN ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "iban",
    [
        "DE89 3704 0044 0532 0130 00",
        "DE89370400440532013000",
        "GB82WEST12345698765432",
        "GB82 WEST 1234 5698 7654 32",
        "FR14 2004 1010 0505 0001 3M02 606",
        "NL91 ABNA 0417 1643 00",
        "BE68 5390 0754 7034",
        "CH93 0076 2011 6238 5295 7",
        "ES91 2100 0418 4502 0005 1332",
        "IT60 X054 2811 1010 0000 0123 456",
        "NO93 8601 1117 947",
        "AT61 1904 3002 3457 3201",
    ],
)
def test_iban_detected(iban):
    assert types_in(f"please wire it to {iban} by Friday") == [("IBAN", iban)]
    assert types_in(f"IBAN: {iban}.") == [("IBAN", iban)]


def test_iban_span_stops_at_the_country_length():
    assert types_in("BE68 5390 0754 7034 then call me") == [("IBAN", "BE68 5390 0754 7034")]


@pytest.mark.parametrize(
    "text",
    [
        "DE89 3704 0044 0532 0130 01",  # check digits do not match
        "GB82WEST12345698765433",
        "DE89 3704 0044 0532 0130",  # too short for Germany
        "XX89 3704 0044 0532 0130 00",  # not a country in the table
        "we shipped AB12 units",
    ],
)
def test_invalid_iban_is_not_an_iban(text):
    assert all(t != "IBAN" for t, _ in types_in(text))


def test_iban_checksum():
    assert iban_ok("DE89370400440532013000")
    assert iban_ok("gb82west12345698765432")
    assert not iban_ok("DE88370400440532013000")
    assert not iban_ok("DE8937040044053201300")  # wrong length


def test_iban_is_redacted_by_default():
    from services.settings import NlpSettings

    assert "IBAN" in NlpSettings().pii_types
    utt, words = utterance_of("wire it to DE89 3704 0044 0532 0130 00 please")
    ents = find_entities(utt, words, FakeSpacy([]))
    assert redact(utt.text, ents, NlpSettings().pii_types) == "wire it to [IBAN] please"


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
