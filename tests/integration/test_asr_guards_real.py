"""Whisper invents text over noise and hold music ("Thank you for watching.", digit loops). The guards (VAD,
per-segment no-speech/log-prob/compression checks, loop collapsing) must keep such text out, on the real model."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from services.pipeline.asr import transcribe

pytestmark = [pytest.mark.slow, pytest.mark.integration]

RATE = 16000


def pink_noise(seconds: float, level: float, seed: int = 3) -> np.ndarray:
    white = np.random.default_rng(seed).standard_normal(int(seconds * RATE))
    spectrum = np.fft.rfft(white)
    spectrum /= np.sqrt(np.maximum(np.arange(len(spectrum)), 1))  # 1/f power
    pink = np.fft.irfft(spectrum, n=len(white))
    return (level * pink / np.max(np.abs(pink))).astype(np.float32)


def hold_music(seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    chord = sum(np.sin(2 * np.pi * f * t) for f in (261.6, 329.6, 392.0))
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 0.5 * t)  # swelling notes, as on a hold line
    return (0.06 * chord * envelope).astype(np.float32)


def test_no_words_from_line_noise(model_manager, real_settings):
    transcript = transcribe(model_manager.asr, pink_noise(20, 0.02), real_settings.asr, telephone=True)
    assert [w.text for w in transcript.words] == []  # unguarded, whisper-base writes "4-0-0-0-0-..." here


def test_no_words_from_hold_music_after_the_call(model_manager, real_settings, pyannote_sample):
    speech, rate = sf.read(pyannote_sample / "sample.wav", dtype="float32")
    assert rate == RATE
    audio = np.concatenate([speech, hold_music(20.0)])
    transcript = transcribe(model_manager.asr, audio, real_settings.asr)
    during_music = [w.text for w in transcript.words if w.start > len(speech) / RATE + 0.5]
    assert during_music == []  # unguarded: "Music I'm sorry I'm sorry ..." for 20 s
    assert len(transcript.words) > 50  # the call itself is still transcribed


def test_custom_vocabulary_fixes_a_brand_name(model_manager, real_settings):
    """Without vocabulary whisper-base writes "sales force" on this call; with it, "Salesforce"."""
    from pathlib import Path

    from services.pipeline.decode import decode_audio

    call = Path(__file__).resolve().parents[1] / "fixtures" / "calls" / "hot_northwind.flac"
    audio = decode_audio(call, real_settings.limits)
    tuned = transcribe(model_manager.asr, audio.mono, real_settings.asr, telephone=True, vocabulary=["Salesforce"])
    # (the plain transcript's spelling is not asserted: an ASR error is not a contract across CPUs)
    assert "Salesforce" in " ".join(w.text for w in tuned.words)
