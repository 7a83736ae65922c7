"""Telephone channel: 300-3400 Hz band, 8 kHz, line noise at a set SNR, G.711 (u-law / A-law) or GSM.

Done in numpy rather than with sox effects so that the noise is seeded (bit-exact reruns) and the SNR is measured
against the speech actually present, not against the whole file with its pauses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from benchmarks.corpus.audio_io import gsm_roundtrip

Codec = Literal["ulaw", "alaw", "gsm", "none"]
TELEPHONE_RATE = 8000
BAND_HZ = (300.0, 3400.0)
_EDGE_HZ = 100.0  # raised-cosine transition width: no ringing from a brick-wall filter
PEAK = 0.7  # headroom before the codec: G.711 clips at full scale


@dataclass(frozen=True)
class ChannelSpec:
    snr_db: float | None = None  # None: no added noise
    codec: Codec = "ulaw"
    band_hz: tuple[float, float] = BAND_HZ


def band_mask(n: int, rate: int, lo: float, hi: float) -> np.ndarray:
    freqs = np.fft.rfftfreq(n, 1.0 / rate)
    mask = np.zeros_like(freqs)
    mask[(freqs >= lo) & (freqs <= hi)] = 1.0
    rise = (freqs > lo - _EDGE_HZ) & (freqs < lo)
    mask[rise] = 0.5 - 0.5 * np.cos(np.pi * (freqs[rise] - (lo - _EDGE_HZ)) / _EDGE_HZ)
    fall = (freqs > hi) & (freqs < hi + _EDGE_HZ)
    mask[fall] = 0.5 + 0.5 * np.cos(np.pi * (freqs[fall] - hi) / _EDGE_HZ)
    return mask


def band_limit(x: np.ndarray, rate: int, band: tuple[float, float]) -> np.ndarray:
    """Zero-phase FFT band-pass: no delay, so turn timings stay exact."""
    spectrum = np.fft.rfft(x.astype(np.float64))
    return np.fft.irfft(spectrum * band_mask(len(x), rate, *band), n=len(x)).astype(np.float32)


def to_telephone_rate(x: np.ndarray, rate: int, band: tuple[float, float]) -> np.ndarray:
    """Band-limit, then keep every (rate/8000)-th sample: nothing is left above 3.5 kHz to alias."""
    if rate % TELEPHONE_RATE or band[1] + _EDGE_HZ > TELEPHONE_RATE / 2:
        raise ValueError(f"need an integer multiple of 8 kHz and a band below 4 kHz, got {rate}, {band}")
    return band_limit(x, rate, band)[:: rate // TELEPHONE_RATE]


def speech_power(x: np.ndarray, rate: int) -> float:
    """Mean power of the 20 ms frames within 35 dB of the loudest: speech only, not the pauses."""
    frame = int(0.02 * rate)
    usable = len(x) // frame * frame
    if usable == 0:
        return 0.0
    powers = np.mean(x[:usable].astype(np.float64).reshape(-1, frame) ** 2, axis=1)
    active = powers[powers > powers.max() * 10 ** (-35 / 10)]
    return float(active.mean())


def add_noise(x: np.ndarray, rate: int, snr_db: float, rng: np.random.Generator,
              band: tuple[float, float]) -> np.ndarray:
    """Line noise shaped by the same band, at `snr_db` below the speech."""
    noise = band_limit(rng.standard_normal(len(x)).astype(np.float32), rate, band)
    target = speech_power(x, rate) / 10 ** (snr_db / 10)
    scale = np.sqrt(target / max(float(np.mean(noise.astype(np.float64) ** 2)), 1e-20))
    return (x + noise * scale).astype(np.float32)


def mulaw_roundtrip(x: np.ndarray) -> np.ndarray:
    """G.711 u-law: the segmented 8-bit code of ITU-T G.711 (14-bit magnitude, bias 33), encoded and decoded."""
    pcm = np.clip(np.round(x * 8191.0), -8192, 8191).astype(np.int32)  # G.711 u-law works on 14-bit samples
    sign = pcm < 0
    mag = np.minimum(np.abs(pcm), 8158) + 33
    exponent = np.floor(np.log2(mag)).astype(np.int32) - 5  # segment 0..7
    mantissa = (mag >> (exponent + 1)) & 0x0F
    decoded = (((mantissa << 1) + 33) << exponent) - 33
    return (np.where(sign, -decoded, decoded) / 8192.0).astype(np.float32)


def alaw_roundtrip(x: np.ndarray) -> np.ndarray:
    """G.711 A-law (13-bit magnitude), encoded and decoded."""
    pcm = np.clip(np.round(x * 4095.0), -4096, 4095).astype(np.int32)
    sign = pcm < 0
    mag = np.abs(pcm)
    exponent = np.where(mag < 32, 0, np.floor(np.log2(np.maximum(mag, 1))).astype(np.int32) - 4)
    mantissa = np.where(exponent == 0, mag >> 1, (mag >> np.maximum(exponent, 1)) & 0x0F)
    decoded = np.where(exponent == 0, (mantissa << 1) + 1, ((mantissa << 1) + 33) << np.maximum(exponent - 1, 0))
    return (np.where(sign, -decoded, decoded) / 4096.0).astype(np.float32)


def apply_codec(x: np.ndarray, codec: Codec) -> np.ndarray:
    if codec == "ulaw":
        return mulaw_roundtrip(x)
    if codec == "alaw":
        return alaw_roundtrip(x)
    if codec == "gsm":
        return gsm_roundtrip(x, TELEPHONE_RATE)
    return x


def line(x: np.ndarray, rate: int, spec: ChannelSpec, rng: np.random.Generator) -> np.ndarray:
    """One leg through the analogue part of the channel: band, 8 kHz, noise."""
    y = to_telephone_rate(x, rate, spec.band_hz)
    if spec.snr_db is not None:
        y = add_noise(y, TELEPHONE_RATE, spec.snr_db, rng, spec.band_hz)
    return y


def encode(legs: list[np.ndarray], codec: Codec) -> list[np.ndarray]:
    """Common gain to PEAK (keeps the legs' relative levels), then the codec on each leg."""
    peak = max((float(np.max(np.abs(leg))) for leg in legs if leg.size), default=0.0)
    gain = PEAK / peak if peak > 0 else 1.0
    return [apply_codec((leg * gain).astype(np.float32), codec) for leg in legs]
