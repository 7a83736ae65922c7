"""Shared fixtures: settings built per test (no global state), tiny generated audio files."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from services.settings import Settings

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings()


def tone(seconds: float, rate: int = 16000, freq: float = 440.0, amplitude: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.fixture
def make_audio(tmp_path: Path):
    """make_audio(name, samples, rate, *ffmpeg_args) -> path; encodes through ffmpeg when the suffix is not wav."""

    def _make(name: str, samples: np.ndarray, rate: int = 16000, *ffmpeg_args: str) -> Path:
        wav = tmp_path / (Path(name).stem + ".src.wav")
        sf.write(wav, samples.T if samples.ndim == 2 else samples, rate)
        out = tmp_path / name
        if out.suffix == ".wav" and not ffmpeg_args:
            wav.rename(out)
            return out
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(wav), *ffmpeg_args, str(out)], check=True)
        return out

    return _make
