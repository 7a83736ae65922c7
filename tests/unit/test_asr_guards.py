from __future__ import annotations

from types import SimpleNamespace

from services.pipeline.asr import collapse_repetitions, is_hallucinated
from services.pipeline.types import Word
from services.settings import AsrSettings


def words(text: str) -> list[Word]:
    return [Word(start=i * 0.5, end=i * 0.5 + 0.4, text=t, confidence=0.9) for i, t in enumerate(text.split())]


def texts(ws) -> str:
    return " ".join(w.text for w in ws)


def test_phrase_loop_is_cut_to_max_repeats():
    looped = words("we need it " + "thank you. " * 12 + "bye")
    out = collapse_repetitions(looped, max_repeats=3)
    assert texts(out) == "we need it thank you. thank you. thank you. bye"


def test_natural_repetition_is_kept():
    natural = words("no, no, no that is fine")
    assert texts(collapse_repetitions(natural, max_repeats=4)) == "no, no, no that is fine"


def test_single_word_loop_ignores_case_and_punctuation():
    out = collapse_repetitions(words("Okay okay. OKAY, okay okay okay okay right"), max_repeats=2)
    assert texts(out) == "Okay okay. right"


def test_repetition_keeps_word_timing():
    looped = words("go go go go go go")
    out = collapse_repetitions(looped, max_repeats=2)
    assert [w.start for w in out] == [0.0, 0.5]


def segment(**kw):
    base = dict(no_speech_prob=0.1, avg_logprob=-0.3, compression_ratio=1.5, text=" hello there")
    base.update(kw)
    return SimpleNamespace(**base)


def test_guard_drops_text_over_silence():
    settings = AsrSettings()
    assert is_hallucinated(segment(no_speech_prob=0.9, avg_logprob=-1.5, text=" Thank you for watching."), settings)


def test_guard_keeps_confident_speech_even_when_quiet():
    settings = AsrSettings()
    assert not is_hallucinated(segment(no_speech_prob=0.9, avg_logprob=-0.2), settings)


def test_guard_drops_compressible_loops_and_empty_text():
    settings = AsrSettings()
    assert is_hallucinated(segment(compression_ratio=3.1), settings)
    assert is_hallucinated(segment(text="   "), settings)


def test_number_pieces_are_merged_into_one_word():
    from services.pipeline.asr import _words_of

    piece = lambda word, start, end, p=0.9: SimpleNamespace(word=word, start=start, end=end, probability=p)  # noqa: E731
    seg = SimpleNamespace(words=[piece(" about", 0, 0.3), piece(" $50", 0.3, 0.6), piece(",000", 0.6, 0.9, 0.5),
                                 piece(" a", 1.0, 1.1), piece(" year.", 1.1, 1.4)])
    out = _words_of(seg, time_offset=10.0)
    assert [w.text for w in out] == ["about", "$50,000", "a", "year."]
    assert (out[1].start, out[1].end, out[1].confidence) == (10.3, 10.9, 0.5)
