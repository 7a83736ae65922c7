"""Word -> speaker assignment and utterance building.

A word gets the speaker whose turns overlap it most. Words that fall in a gap between turns (diarization
trims edges; ASR word times drift by a few hundred ms) go to the nearest turn within `max_gap_s`, else they
keep the previous word's speaker. When two speakers overlap a word equally (a barge-in), the speaker whose
turn started later wins: the interrupter is the one producing the new words.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from services.pipeline.types import Turn, Utterance, Word

UNKNOWN_SPEAKER = "SPEAKER_00"


def assign_speakers(words: Sequence[Word], turns: Sequence[Turn], *, max_gap_s: float = 1.0) -> tuple[Word, ...]:
    if not turns:
        return tuple(w.model_copy(update={"speaker": UNKNOWN_SPEAKER}) for w in words)
    ordered = sorted(turns, key=lambda t: (t.start, t.end))
    starts = [t.start for t in ordered]
    longest = max(t.end - t.start for t in ordered)
    out: list[Word] = []
    previous: str | None = None
    for word in words:
        speaker = _best_overlap(word, ordered, starts, longest) or _nearest(word, ordered, max_gap_s) or previous
        speaker = speaker or ordered[0].speaker
        out.append(word.model_copy(update={"speaker": speaker}))
        previous = speaker
    return tuple(out)


def _best_overlap(word: Word, turns: Sequence[Turn], starts: list[float], longest: float) -> str | None:
    # Only turns starting after (word.start - longest) can overlap the word: bisect instead of a full scan.
    lo = bisect.bisect_left(starts, word.start - longest)
    hi = bisect.bisect_right(starts, word.end)
    best: tuple[float, float] | None = None
    best_speaker = None
    totals: dict[str, float] = {}
    latest_start: dict[str, float] = {}
    for turn in turns[lo:hi]:
        overlap = min(word.end, turn.end) - max(word.start, turn.start)
        if overlap > 0 or (word.end == word.start and turn.start <= word.start <= turn.end):
            totals[turn.speaker] = totals.get(turn.speaker, 0.0) + max(overlap, 0.0)
            latest_start[turn.speaker] = max(latest_start.get(turn.speaker, turn.start), turn.start)
    for speaker, total in totals.items():
        key = (round(total, 3), latest_start[speaker])
        if best is None or key > best:
            best, best_speaker = key, speaker
    return best_speaker


def _nearest(word: Word, turns: Sequence[Turn], max_gap_s: float) -> str | None:
    mid = (word.start + word.end) / 2
    best_gap, best_speaker = max_gap_s, None
    for turn in turns:
        gap = turn.start - mid if mid < turn.start else mid - turn.end if mid > turn.end else 0.0
        if gap <= best_gap:
            best_gap, best_speaker = gap, turn.speaker
    return best_speaker


def join_words(words: Sequence[Word]) -> tuple[str, list[tuple[int, int]]]:
    """Text of the words separated by single spaces, and each word's [start, end) character span in it."""
    spans: list[tuple[int, int]] = []
    pieces: list[str] = []
    cursor = 0
    for word in words:
        if pieces:
            cursor += 1
        spans.append((cursor, cursor + len(word.text)))
        pieces.append(word.text)
        cursor += len(word.text)
    return " ".join(pieces), spans


def build_utterances(words: Sequence[Word], *, max_pause_s: float = 2.0) -> tuple[Utterance, ...]:
    """Runs of one speaker become utterances; a pause longer than `max_pause_s` also starts a new one."""
    utterances: list[Utterance] = []
    run_start = 0
    for i in range(1, len(words) + 1):
        boundary = (
            i == len(words)
            or words[i].speaker != words[i - 1].speaker
            or words[i].start - words[i - 1].end > max_pause_s
        )
        if not boundary:
            continue
        run = words[run_start:i]
        text, _ = join_words(run)
        utterances.append(
            Utterance(
                id=f"u{len(utterances)}",
                start=run[0].start,
                end=max(w.end for w in run),
                speaker=run[0].speaker or UNKNOWN_SPEAKER,
                text=text,
                word_range=(run_start, i),
            )
        )
        run_start = i
    return tuple(utterances)
