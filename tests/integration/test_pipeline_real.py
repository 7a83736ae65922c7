"""The whole pipeline through the real models on the real two-speaker recording shipped with pyannote.audio."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from benchmarks.metrics import cpwer, der, read_rttm, read_stm, wer
from services.pipeline.options import CallOptions
from services.pipeline.run import run_call_detailed
from services.pipeline.types import CallResult

pytestmark = [pytest.mark.slow, pytest.mark.integration]

COLLAR_S = 0.25
# Measured on this sample (2026-11-21): whisper-base int8 WER 17-18.5 %, DER 1.3-5 % (collar 0.25 s).
MAX_WER = 0.25
MAX_DER = 0.10


@pytest.fixture(scope="module")
def sample_run(model_manager, real_settings, pyannote_sample):
    stages = []
    output = run_call_detailed(
        pyannote_sample / "sample.wav",
        CallOptions(extract_lead=False),
        models=model_manager,
        settings=real_settings,
        progress=lambda stage, fraction, message: stages.append((stage, fraction)),
    )
    return output, stages


def test_diarization_error_rate_on_real_call(sample_run, pyannote_sample):
    output, _ = sample_run
    reference = read_rttm(pyannote_sample / "sample.rttm")
    value = der(reference, output.diarization.turns, collar=COLLAR_S)
    print(f"DER (collar {COLLAR_S} s) = {value:.3f}")
    assert value <= MAX_DER
    assert len(output.result.speakers) == 2


def test_word_error_rate_on_real_call(sample_run, pyannote_sample):
    output, _ = sample_run
    reference = " ".join(text for *_, text in read_stm(pyannote_sample / "sample.stm"))
    value = wer(reference, " ".join(w.text for w in output.result.words))
    print(f"WER = {value:.3f}")
    assert value <= MAX_WER


def test_speaker_attributed_transcript(sample_run, pyannote_sample):
    output, _ = sample_run
    result = output.result
    by_ref: dict[str, str] = {}
    for speaker, _, _, text in read_stm(pyannote_sample / "sample.stm"):
        by_ref[speaker] = f"{by_ref.get(speaker, '')} {text}"
    by_hyp: dict[str, str] = {}
    for word in result.words:
        by_hyp[word.speaker] = f"{by_hyp.get(word.speaker, '')} {word.text}"
    value = cpwer(by_ref, by_hyp)
    print(f"cpWER = {value:.3f}")
    assert value <= MAX_WER + 0.1
    assert all(w.speaker in {s.id for s in result.speakers} for w in result.words)
    assert all(0.0 <= w.confidence <= 1.0 and w.end >= w.start for w in result.words)
    assert {s.role for s in result.speakers} == {"rep", "prospect"}


def test_result_contract_round_trips_and_reports_progress(sample_run):
    output, stages = sample_run
    result = output.result
    assert CallResult.model_validate_json(result.model_dump_json()) == result
    assert result.schema_version == "1.1" and result.language == "en"
    assert result.lead is None
    for stage in ("decode", "asr", "diarization", "alignment", "nlp"):
        assert (stage, 0.0) in stages and (stage, 1.0) in stages
        assert result.timings[stage] >= 0
    assert set(result.models) >= {"whisper-base", "pyannote-segmentation-3.0", "campplus-sv-zh-en", "spacy-en-sm"}
    u = result.utterances[0]
    assert u.text == " ".join(w.text for w in result.words[u.word_range[0] : u.word_range[1]])
    assert all(x.redacted_text is not None and x.sentiment is not None for x in result.utterances)


def test_stereo_call_one_speaker_per_channel(model_manager, real_settings, pyannote_sample, tmp_path):
    """Build a real stereo call from the sample: each reference speaker on its own channel."""
    samples, rate = sf.read(pyannote_sample / "sample.wav", dtype="float32")
    reference = read_rttm(pyannote_sample / "sample.rttm")
    speakers = sorted({t.speaker for t in reference})
    stereo = np.zeros((len(samples), 2), dtype=np.float32)
    for turn in reference:
        lo, hi = int(turn.start * rate), int(turn.end * rate)
        stereo[lo:hi, speakers.index(turn.speaker)] = samples[lo:hi]
    path = tmp_path / "stereo.flac"
    sf.write(path, stereo, rate)

    output = run_call_detailed(
        path, CallOptions(stereo_speakers=True, extract_lead=False), models=model_manager, settings=real_settings
    )
    result = output.result
    assert result.audio.channels == 2
    assert [s.channel for s in result.speakers] == [0, 1]
    assert der(reference, output.diarization.turns, collar=COLLAR_S) <= MAX_DER
    by_ref: dict[str, str] = {}
    for speaker, _, _, text in read_stm(pyannote_sample / "sample.stm"):
        by_ref[speaker] = f"{by_ref.get(speaker, '')} {text}"
    by_hyp: dict[str, str] = {}
    for word in result.words:
        by_hyp[word.speaker] = f"{by_hyp.get(word.speaker, '')} {word.text}"
    assert cpwer(by_ref, by_hyp) <= MAX_WER + 0.1
