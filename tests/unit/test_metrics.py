"""The metrics themselves must be right before any number they produce means anything."""

from __future__ import annotations

import pytest

from benchmarks.metrics import cpwer, der, normalise, read_rttm, wer
from services.pipeline.types import Turn


def test_normaliser_equates_spoken_and_written_numbers():
    assert normalise("I have forty dollars!") == normalise("i have $40")
    assert wer("I have forty dollars", "i have 40 dollars") == 0.0


@pytest.mark.parametrize(
    ("ref", "hyp", "expected"),
    [("a b c d", "a b c d", 0.0), ("a b c d", "a x c d", 0.25), ("a b c d", "a b c", 0.25), ("a b", "", 1.0)],
)
def test_known_wer_cases(ref, hyp, expected):
    assert wer(ref, hyp) == pytest.approx(expected)


def test_cpwer_is_permutation_invariant_and_punishes_wrong_speakers():
    ref = {"A": "hello there friend", "B": "good morning to you"}
    assert cpwer(ref, {"x": "good morning to you", "y": "hello there friend"}) == 0.0
    # everything attributed to one speaker: best match is B->x (3 insertions) and A unmatched (3 deletions)
    assert cpwer(ref, {"x": "hello there friend good morning to you"}) == pytest.approx(6 / 7)


def test_der_of_reference_against_itself_is_zero(tmp_path):
    turns = [Turn(start=0, end=5, speaker="A"), Turn(start=5.5, end=9, speaker="B"), Turn(start=8, end=12, speaker="A")]
    assert der(turns, turns) == 0.0
    relabelled = [t.model_copy(update={"speaker": {"A": "S1", "B": "S2"}[t.speaker]}) for t in turns]
    assert der(turns, relabelled) == 0.0


def test_der_counts_confusion():
    ref = [Turn(start=0, end=5, speaker="A"), Turn(start=5, end=10, speaker="B")]
    assert der(ref, [Turn(start=0, end=10, speaker="Z")], collar=0.0) == pytest.approx(0.5)


def test_rttm_reader(tmp_path):
    path = tmp_path / "x.rttm"
    path.write_text("SPEAKER call 1 1.50 2.00 <NA> <NA> spk1 <NA> <NA>\n")
    assert read_rttm(path) == [Turn(start=1.5, end=3.5, speaker="spk1")]
