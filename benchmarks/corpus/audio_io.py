"""Reading TTS output and writing final audio files, through the stdlib `wave` module and the sox binary.

sox (apt) rather than soundfile keeps the generator free of Python audio dependencies and gives FLAC, u-law WAV
and GSM from one tool. `-R` makes sox repeatable (fixed seeds, no time stamps), and samples are quantised here, so
sox never has to dither: the same script always gives byte-identical files.
"""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np

SOX = "sox"


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """16-bit PCM WAV -> (float32 mono in [-1, 1], sample rate). TTS engines write exactly this."""
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: expected 16-bit PCM, got {8 * w.getsampwidth()}-bit")
        frames = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0
        channels = w.getnchannels()
        rate = w.getframerate()
    if channels > 1:
        frames = frames.reshape(-1, channels).mean(axis=1)
    return frames, rate


def to_int16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x * 32767.0), -32768, 32767).astype("<i2")


def write_audio(path: Path, x: np.ndarray, rate: int, *, encoding: str = "flac") -> None:
    """Write float samples, shape (n,) or (n, channels). encoding: "flac" (16-bit), "pcm" (16-bit WAV),
    "ulaw" / "alaw" (8-bit G.711 WAV)."""
    channels = 1 if x.ndim == 1 else x.shape[1]
    out_opts = {"flac": ["-b", "16"], "pcm": ["-e", "signed", "-b", "16"], "ulaw": ["-e", "u-law", "-b", "8"],
                "alaw": ["-e", "a-law", "-b", "8"]}[encoding]
    cmd = [SOX, "-R", "-D", "-t", "raw", "-r", str(rate), "-e", "signed", "-b", "16", "-c", str(channels), "-",
           *out_opts, str(path)]
    subprocess.run(cmd, input=to_int16(x).tobytes(), check=True, capture_output=True)


def gsm_roundtrip(x: np.ndarray, rate: int) -> np.ndarray:
    """Pass one 8 kHz channel through the GSM 06.10 full-rate codec (sox's libgsm), as a mobile leg would."""
    if rate != 8000 or x.ndim != 1:
        raise ValueError("GSM is defined for 8 kHz mono")
    encode = [SOX, "-R", "-D", "-t", "raw", "-r", "8000", "-e", "signed", "-b", "16", "-c", "1", "-", "-t", "gsm",
              "-"]
    gsm = subprocess.run(encode, input=to_int16(x).tobytes(), check=True, capture_output=True).stdout
    decode = [SOX, "-R", "-D", "-t", "gsm", "-r", "8000", "-c", "1", "-", "-t", "raw", "-e", "signed", "-b", "16",
              "-"]
    pcm = subprocess.run(decode, input=gsm, check=True, capture_output=True).stdout
    y = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
    out = np.zeros_like(x)
    out[: min(len(x), len(y))] = y[: len(x)]  # GSM pads to whole 160-sample frames
    return out


def resample_wav(src: Path, dst: Path, rate: int) -> None:
    subprocess.run([SOX, "-R", "-D", str(src), "-b", "16", "-r", str(rate), str(dst)], check=True,
                   capture_output=True)
