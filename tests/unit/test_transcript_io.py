"""Transcript files for `parley lead`: plain `SPEAKER: text` lines and `parley run` result JSON."""

from __future__ import annotations

import pytest

from services.errors import InputError
from services.pipeline.align import join_words
from services.pipeline.transcript_io import (
    MAX_TRANSCRIPT_BYTES,
    TranscriptError,
    load_transcript,
    parse_transcript_text,
    role_of_label,
)
from services.pipeline.types import AudioInfo, CallResult, Entity

TEXT = """\
Rep: Thanks for taking the call,   Dana.
Dana Reyes: Sure. We have about $40,000 set aside.
Dana Reyes: I sign off on tools like this.

SPEAKER_00: Meeting at 10:30 works?
A:fine
"""


def test_parse_lines_into_utterances_and_words():
    utterances, words = parse_transcript_text(TEXT)
    assert [u.id for u in utterances] == ["u1", "u2", "u3", "u4", "u5"]
    assert [u.speaker for u in utterances] == ["Rep", "Dana Reyes", "Dana Reyes", "SPEAKER_00", "A"]
    assert [u.role for u in utterances] == ["rep", "unknown", "unknown", "unknown", "unknown"]
    assert utterances[0].text == "Thanks for taking the call, Dana."  # whitespace folded
    assert utterances[3].text == "Meeting at 10:30 works?"
    for u in utterances:
        first, last = u.word_range
        text, _ = join_words(words[first:last])
        assert text == u.text
        assert all(w.speaker == u.speaker for w in words[first:last])
        assert u.start == words[first].start and u.end == words[last - 1].end
    assert utterances[-1].word_range[1] == len(words)
    starts = [w.start for w in words]
    assert starts == sorted(starts) and all(w.end > w.start for w in words)
    assert utterances[1].start - utterances[0].end == pytest.approx(0.5)


def test_roles_from_literal_labels():
    utterances, _ = parse_transcript_text("AGENT: hi\ncustomer: hello\nSales: a\nClient: b\nProspect: c\nrep: d")
    assert [u.role for u in utterances] == ["rep", "prospect", "rep", "prospect", "prospect", "rep"]
    assert role_of_label("Sales Rep") == "unknown" and role_of_label(" Rep ") == "rep"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("Rep: hi\nno label on this line\n", 2),
        ("Rep: hi\nRep:\n", 2),
        ("we meet at 10:30 tomorrow", 1),
        (": no label", 1),
        ("This is a very long sentence with a colon: at the end", 1),
    ],
)
def test_bad_lines_name_the_line(text, line):
    with pytest.raises(TranscriptError) as err:
        parse_transcript_text(text)
    assert err.value.code == "transcript_line_invalid" and err.value.line == line
    assert f"line {line}" in err.value.message and isinstance(err.value, InputError)
    assert err.value.one_line().startswith("error[transcript_line_invalid]: line")
    assert err.value.exit_code == 2 and err.value.http_status == 422


def test_empty_text_is_refused():
    with pytest.raises(TranscriptError) as err:
        parse_transcript_text("\n  \n")
    assert err.value.code == "transcript_empty"


def test_nlp_analyse_works_on_parsed_text():
    from services.pipeline.nlp import NlpModels, analyse

    class _Doc:
        ents = ()

    class _Vader:
        def polarity_scores(self, text):
            return {"compound": 0.0}

    utterances, words = parse_transcript_text(TEXT)
    enriched, entities = analyse(utterances, words, NlpModels(spacy=lambda text: _Doc(), vader=_Vader()), ["MONEY"])
    assert len(enriched) == len(utterances)
    money = [e for e in entities if e.type == "MONEY"]
    assert money and money[0].utterance_id == "u2" and "[MONEY]" in enriched[1].redacted_text


# ------------------------------------------------------------------------------------------ files


def test_load_text_file(tmp_path):
    path = tmp_path / "call.txt"
    path.write_text("\ufeffRep: hello\nCustomer: hi there\n", encoding="utf-8")
    loaded = load_transcript(path)
    assert loaded.source == "text" and loaded.entities == ()
    assert [u.text for u in loaded.utterances] == ["hello", "hi there"] and len(loaded.words) == 3


def test_load_result_json(tmp_path):
    utterances, words = parse_transcript_text("Rep: hello Dana\nCustomer: hi")
    entity = Entity(type="PERSON", text="Dana", utterance_id="u1", start=0.3, end=0.6, char_start=6, char_end=10)
    result = CallResult(audio=AudioInfo(duration_s=2.0, sample_rate=16000, channels=1), language="en",
                        speakers=(), words=words, utterances=utterances, entities=(entity,), lead=None)
    path = tmp_path / "result.json"
    path.write_text(result.model_dump_json(indent=2))
    loaded = load_transcript(path)
    assert loaded.source == "result" and loaded.utterances == utterances and loaded.words == words
    assert loaded.entities == (entity,)


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "transcript_empty"),
        (b"  \n\n", "transcript_empty"),
        (b"Rep: caf\xe9\n", "transcript_not_utf8"),
        (b"{not json", "transcript_invalid_json"),
        (b'{"utterances": []}', "transcript_invalid_result"),
        (b"just words, no label", "transcript_line_invalid"),
    ],
)
def test_bad_files(tmp_path, content, code):
    path = tmp_path / "t.txt"
    path.write_bytes(content)
    with pytest.raises(TranscriptError) as err:
        load_transcript(path)
    assert err.value.code == code and err.value.exit_code == 2


def test_result_without_utterances_is_empty(tmp_path):
    result = CallResult(audio=AudioInfo(duration_s=1.0, sample_rate=16000, channels=1), language="en",
                        speakers=(), words=(), utterances=(), entities=(), lead=None)
    path = tmp_path / "r.json"
    path.write_text(result.model_dump_json())
    with pytest.raises(TranscriptError) as err:
        load_transcript(path)
    assert err.value.code == "transcript_empty"


def test_missing_directory_and_too_large(tmp_path):
    with pytest.raises(TranscriptError) as err:
        load_transcript(tmp_path / "nope.txt")
    assert err.value.code == "transcript_not_found"
    with pytest.raises(TranscriptError) as err:
        load_transcript(tmp_path)
    assert err.value.code == "transcript_unreadable"
    big = tmp_path / "big.txt"
    big.write_text("Rep: " + "x" * 100 + "\n")
    with pytest.raises(TranscriptError) as err:
        load_transcript(big, max_bytes=50)
    assert err.value.code == "transcript_too_large"
    assert MAX_TRANSCRIPT_BYTES == 5 * 1024 * 1024
