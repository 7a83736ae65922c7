"""Per-channel speech activity from frame energy, for stereo calls where each channel carries one party.

No model: telephone/contact-centre recorders put each party on its own channel, so the question per channel is
only "is someone talking here", and energy answers it well. Two things make naive energy thresholds fail on
real calls, and both are handled:
- the noise floor differs per channel and per call -> the threshold is relative to each channel's own floor;
- crosstalk: the far party leaks into the near channel (echo, headset bleed), typically 20-30 dB down -> a frame
  only counts when it is not far quieter than the loudest channel in that frame.
Both parties talking at once stays as overlapping turns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ActivityOptions:
    frame_s: float = 0.03
    """Analysis window."""
    hop_s: float = 0.01
    """Analysis step (turn boundaries are quantised to it)."""
    floor_percentile: float = 10.0
    """Percentile of frame energies taken as the channel's noise floor."""
    above_floor_db: float = 15.0
    """A frame is speech when it is this much louder than the channel's noise floor ..."""
    min_level_dbfs: float = -55.0
    """... and louder than this absolute level (a silent, dithered channel has a floor near -90 dBFS)."""
    crosstalk_db: float = 15.0
    """... and at most this much quieter than the loudest channel in that frame (leak from the other party)."""
    min_silence_s: float = 0.3
    """Pauses shorter than this inside one party's speech do not split the turn."""
    min_speech_s: float = 0.2
    """Bursts shorter than this (clicks, breaths) are dropped."""


def frame_levels_db(signal: np.ndarray, sample_rate: int, options: ActivityOptions) -> np.ndarray:
    """RMS level of each analysis frame in dBFS; frame i is centred at i * hop_s."""
    hop = max(1, int(round(options.hop_s * sample_rate)))
    win = max(hop, int(round(options.frame_s * sample_rate)))
    n_frames = int(np.ceil(len(signal) / hop)) if len(signal) else 0
    if n_frames == 0:
        return np.zeros(0)
    padded = np.pad(signal.astype(np.float64), (win // 2, win))
    # Running sum of squares: O(n) and no (frames x window) matrix for hour-long calls.
    csum = np.concatenate(([0.0], np.cumsum(padded**2)))
    starts = np.arange(n_frames) * hop
    energy = (csum[starts + win] - csum[starts]) / win
    return 10.0 * np.log10(energy + 1e-12)


def _runs(active: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index pairs of the True runs."""
    edges = np.diff(np.concatenate(([0], active.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


def _smooth(runs: list[tuple[int, int]], max_gap: int, min_len: int) -> list[tuple[int, int]]:
    """Bridge gaps shorter than max_gap frames, then drop runs shorter than min_len frames."""
    merged: list[tuple[int, int]] = []
    for start, end in runs:
        if merged and start - merged[-1][1] < max_gap:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return [(s, e) for s, e in merged if e - s >= min_len]


def active_regions(
    channels: tuple[np.ndarray, ...] | list[np.ndarray], sample_rate: int, options: ActivityOptions
) -> list[list[tuple[float, float]]]:
    """For each channel, its speech regions as (start_s, end_s), sorted, non-overlapping within a channel."""
    levels = [frame_levels_db(np.asarray(c), sample_rate, options) for c in channels]
    n = max((len(lv) for lv in levels), default=0)
    if n == 0:
        return [[] for _ in channels]
    stacked = np.full((len(levels), n), -120.0)
    for i, lv in enumerate(levels):
        stacked[i, : len(lv)] = lv
    loudest = stacked.max(axis=0)
    duration = max(len(c) for c in channels) / sample_rate
    hop = options.hop_s
    result = []
    for lv in stacked:
        floor = np.percentile(lv, options.floor_percentile)
        active = (
            (lv > floor + options.above_floor_db)
            & (lv > options.min_level_dbfs)
            & (lv >= loudest - options.crosstalk_db)
        )
        runs = _smooth(_runs(active), int(round(options.min_silence_s / hop)), int(round(options.min_speech_s / hop)))
        result.append([(s * hop, min(e * hop, duration)) for s, e in runs])
    return result
