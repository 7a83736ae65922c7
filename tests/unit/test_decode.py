from __future__ import annotations

import numpy as np
import pytest

from services.errors import AudioEmpty, AudioNotFound, AudioTooLarge, AudioTooLong, AudioUndecodable
from services.pipeline.decode import decode_audio
from services.settings import LimitsSettings
from tests.conftest import tone


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("a.wav", ()),
        ("a.flac", ()),
        ("a.mp3", ()),
        ("a.m4a", ("-c:a", "aac")),
        ("a.ogg", ("-c:a", "libopus")),
        ("ulaw.wav", ("-ar", "8000", "-c:a", "pcm_mulaw")),
    ],
)
def test_common_formats_decode_to_16k_float_mono(make_audio, name, args):
    path = make_audio(name, tone(2.0), 16000, *args)
    audio = decode_audio(path, LimitsSettings())
    assert audio.sample_rate == 16000
    assert audio.mono.dtype == np.float32
    assert abs(audio.duration_s - 2.0) < 0.1
    assert audio.info.channels == 1
    assert np.max(np.abs(audio.mono)) > 0.1


def test_telephone_ulaw_reports_source_rate(make_audio):
    path = make_audio("phone.wav", tone(1.5, 8000, 300), 8000, "-c:a", "pcm_mulaw")
    audio = decode_audio(path, LimitsSettings())
    assert audio.info.sample_rate == 8000 and audio.info.codec == "pcm_mulaw"


def test_stereo_channels_are_kept(make_audio):
    left, right = tone(1.0, freq=300), np.zeros(16000, dtype=np.float32)
    path = make_audio("st.flac", np.stack([left, right]))
    audio = decode_audio(path, LimitsSettings())
    assert len(audio.channels) == 2 and audio.info.channels == 2
    assert np.max(np.abs(audio.channels[0])) > 0.1 and np.max(np.abs(audio.channels[1])) < 1e-3
    assert np.allclose(audio.mono, (audio.channels[0] + audio.channels[1]) / 2, atol=1e-6)


def test_missing_file(tmp_path):
    with pytest.raises(AudioNotFound):
        decode_audio(tmp_path / "nope.wav", LimitsSettings())


def test_zero_byte_file_is_empty(tmp_path):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with pytest.raises(AudioEmpty):
        decode_audio(path, LimitsSettings())


def test_garbage_is_undecodable(tmp_path):
    path = tmp_path / "bad.mp3"
    path.write_bytes(b"this is not audio at all" * 100)
    with pytest.raises(AudioUndecodable) as info:
        decode_audio(path, LimitsSettings())
    assert info.value.code == "audio_undecodable" and info.value.exit_code == 2


def test_digital_silence_is_empty(make_audio):
    path = make_audio("silence.wav", np.zeros(32000, dtype=np.float32))
    with pytest.raises(AudioEmpty, match="silence"):
        decode_audio(path, LimitsSettings())


def test_too_short_is_empty(make_audio):
    path = make_audio("blip.wav", tone(0.2))
    with pytest.raises(AudioEmpty):
        decode_audio(path, LimitsSettings(min_duration_s=0.5))


def test_too_long_is_refused(make_audio):
    path = make_audio("long.flac", tone(3.0))
    with pytest.raises(AudioTooLong) as info:
        decode_audio(path, LimitsSettings(max_duration_s=2.0))
    assert info.value.http_status == 413


def test_too_large_is_refused_before_decoding(make_audio):
    path = make_audio("big.wav", tone(3.0))
    with pytest.raises(AudioTooLarge):
        decode_audio(path, LimitsSettings(max_file_mb=0.01))
