"""Places rendered turns on a timeline (gaps, barge-ins, backchannels) and mixes them into per-speaker tracks.

Times are decided in samples and only then converted to seconds, so the RTTM/STM written from them match the
audio exactly (to one sample at the mixing rate).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from benchmarks.corpus.model import Role, Turn

GAP_S = (0.2, 0.8)  # silence between turns, as in natural conversation
BARGE_IN_OVERLAP_S = (0.15, 0.45)  # "slight" overlap: the listener starts before the speaker has finished
BACKCHANNEL_AT = (0.35, 0.65)  # where inside the other speaker's turn a backchannel lands (fraction)
MIN_BACKCHANNEL_HOST_S = 1.8  # shorter turns get their backchannel afterwards instead of inside them
SELF_GAP_S = 0.1  # one voice never overlaps itself
LEAD_IN_S = (0.3, 0.6)
TAIL_S = 0.5


@dataclass(frozen=True)
class TimedTurn:
    turn: Turn
    start_sample: int
    end_sample: int
    rate: int

    @property
    def start(self) -> float:
        return self.start_sample / self.rate

    @property
    def end(self) -> float:
        return self.end_sample / self.rate

    @property
    def speaker(self) -> Role:
        return self.turn.speaker


def place(turns: Sequence[Turn], lengths: Sequence[int], rate: int, rng: random.Random) -> list[TimedTurn]:
    """Start sample of every turn. `lengths` are the rendered lengths in samples, in turn order."""
    s = lambda seconds: int(round(seconds * rate))  # noqa: E731
    placed: list[TimedTurn] = []
    last_end: dict[str, int] = {}  # per speaker
    host: TimedTurn | None = None  # the latest full turn: what a barge-in cuts into, what a backchannel sits in
    cursor = s(rng.uniform(*LEAD_IN_S))  # end of the conversation so far
    for turn, length in zip(turns, lengths, strict=True):
        if turn.kind == "backchannel" and host is not None and host.speaker != turn.speaker \
                and host.end_sample - host.start_sample >= s(MIN_BACKCHANNEL_HOST_S):
            span = host.end_sample - host.start_sample
            start = host.start_sample + int(span * rng.uniform(*BACKCHANNEL_AT))
            start = min(start, host.end_sample - length - s(0.2))
        elif turn.barge_in and host is not None and host.speaker != turn.speaker:
            span = host.end_sample - host.start_sample
            start = max(host.end_sample - s(rng.uniform(*BARGE_IN_OVERLAP_S)), host.start_sample + span // 2)
        else:
            start = cursor + s(rng.uniform(*GAP_S))
        start = max(start, last_end.get(turn.speaker, 0) + s(SELF_GAP_S))
        timed = TimedTurn(turn, start, start + length, rate)
        placed.append(timed)
        last_end[turn.speaker] = timed.end_sample
        cursor = max(cursor, timed.end_sample)
        if turn.kind == "turn":
            host = timed
    return placed


def mix(placed: Sequence[TimedTurn], audio: Sequence[np.ndarray], rate: int) -> dict[Role, np.ndarray]:
    """One track per speaker (what a dual-channel call recorder stores), padded to a common length."""
    total = max(t.end_sample for t in placed) + int(TAIL_S * rate)
    tracks: dict[Role, np.ndarray] = {"rep": np.zeros(total, np.float32), "prospect": np.zeros(total, np.float32)}
    for timed, samples in zip(placed, audio, strict=True):
        tracks[timed.speaker][timed.start_sample: timed.end_sample] += samples
    return tracks
