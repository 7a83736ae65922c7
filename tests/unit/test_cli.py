from __future__ import annotations

import numpy as np

from services.cli import apply_profile, main
from services.settings import Settings
from tests.conftest import tone


def test_bad_audio_exits_2_with_one_line_and_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF garbage")
    out = tmp_path / "result.json"
    code = main(["run", str(bad), "--out", str(out), "--no-lead", "--no-diarization"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1].startswith("error[audio_undecodable]:")
    assert not out.exists()


def test_silence_is_refused(make_audio, tmp_path, capsys):
    path = make_audio("s.wav", np.zeros(48000, dtype=np.float32))
    assert main(["run", str(path), "--no-lead", "--no-diarization"]) == 2
    assert "error[audio_empty]" in capsys.readouterr().err


def test_too_long_is_refused(make_audio, monkeypatch, capsys):
    monkeypatch.setenv("PARLEY_LIMITS__MAX_DURATION_S", "1")
    path = make_audio("t.flac", tone(2.0))
    assert main(["run", str(path), "--no-lead", "--no-diarization"]) == 2
    assert "error[audio_too_long]" in capsys.readouterr().err


def test_unknown_model_exits_3(make_audio, capsys):
    path = make_audio("t.wav", tone(1.0))
    assert main(["run", str(path), "--asr-model", "whisper-gigantic"]) == 3
    assert "error[unknown_model]" in capsys.readouterr().err


def test_missing_model_package_exits_3(make_audio, tmp_path, capsys):
    path = make_audio("t.wav", tone(1.0))
    assert main(["run", str(path), "--asr-model", str(tmp_path / "no-such-folder")]) == 3
    assert "error[model_missing]" in capsys.readouterr().err


def test_gpu_profile_moves_models_to_cuda():
    gpu = apply_profile(Settings(), "gpu")
    assert gpu.asr.device == "cuda" and gpu.asr.compute_type == "float16"
    assert gpu.llm.backend == "openai" and gpu.profile == "gpu"
    assert apply_profile(Settings(), "cpu").asr.device == "cpu"


def test_settings_tree_reads_nested_env(monkeypatch):
    monkeypatch.setenv("PARLEY_ASR__BEAM_SIZE", "2")
    monkeypatch.setenv("PARLEY_LEAD__REVIEW_THRESHOLD", "0.8")
    s = Settings()
    assert s.asr.beam_size == 2 and s.lead.review_threshold == 0.8
