from __future__ import annotations

from services.pipeline.align import assign_speakers, build_utterances, join_words
from services.pipeline.types import Turn, Word


def w(start: float, end: float, text: str = "word", speaker: str | None = None) -> Word:
    return Word(start=start, end=end, text=text, confidence=0.9, speaker=speaker)


TURNS = [Turn(start=0.0, end=3.0, speaker="A"), Turn(start=3.2, end=6.0, speaker="B")]


def test_word_goes_to_the_turn_it_overlaps():
    out = assign_speakers([w(0.5, 0.9), w(4.0, 4.4)], TURNS)
    assert [x.speaker for x in out] == ["A", "B"]


def test_boundary_word_goes_to_the_larger_overlap():
    # 2.9..3.5 overlaps A by 0.1 s and B by 0.3 s
    out = assign_speakers([w(2.9, 3.5)], TURNS)
    assert out[0].speaker == "B"


def test_word_in_a_gap_goes_to_the_nearest_turn():
    out = assign_speakers([w(3.05, 3.15)], [Turn(start=0, end=3.0, speaker="A"), Turn(start=3.6, end=5, speaker="B")])
    assert out[0].speaker == "A"


def test_word_far_from_any_turn_keeps_previous_speaker():
    out = assign_speakers([w(4.0, 4.4), w(20.0, 20.3)], TURNS)
    assert [x.speaker for x in out] == ["B", "B"]


def test_overlap_tie_goes_to_the_interrupter():
    turns = [Turn(start=0.0, end=5.0, speaker="A"), Turn(start=2.0, end=4.0, speaker="B")]
    out = assign_speakers([w(1.0, 1.5), w(2.5, 3.0), w(4.5, 4.8)], turns)
    assert [x.speaker for x in out] == ["A", "B", "A"]


def test_no_turns_means_one_speaker():
    out = assign_speakers([w(0, 1), w(1, 2)], [])
    assert {x.speaker for x in out} == {"SPEAKER_00"}


def test_inputs_are_not_mutated():
    original = [w(0.5, 0.9)]
    assign_speakers(original, TURNS)
    assert original[0].speaker is None


def test_utterances_are_runs_of_one_speaker():
    ws = [w(0, 0.4, "Hello", "A"), w(0.5, 0.9, "there.", "A"), w(1.2, 1.5, "Hi!", "B"), w(1.6, 2.0, "Yes.", "A")]
    utts = build_utterances(ws)
    assert [(u.id, u.speaker, u.text, u.word_range) for u in utts] == [
        ("u0", "A", "Hello there.", (0, 2)),
        ("u1", "B", "Hi!", (2, 3)),
        ("u2", "A", "Yes.", (3, 4)),
    ]
    assert utts[0].start == 0 and utts[0].end == 0.9


def test_long_pause_splits_an_utterance():
    ws = [w(0, 0.4, "One", "A"), w(5.0, 5.4, "Two", "A")]
    assert len(build_utterances(ws, max_pause_s=2.0)) == 2


def test_join_words_spans_index_the_text():
    text, spans = join_words([w(0, 1, "Hi,"), w(1, 2, "Sarah")])
    assert text == "Hi, Sarah"
    assert [text[s:e] for s, e in spans] == ["Hi,", "Sarah"]
