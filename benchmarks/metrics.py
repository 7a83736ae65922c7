"""Accuracy metrics shared by the benchmark harness and the integration tests.

- WER after Whisper's standard English normaliser ("forty" vs "40", "$50K", casing, punctuation).
- cpWER: concatenated minimum-permutation WER -- each reference speaker's words are matched to one hypothesis
  speaker's words by the assignment that minimises total errors (Hungarian), so it measures transcription and
  speaker attribution together.
- DER with pyannote.metrics; the collar is an argument and is always reported with the number.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from services.pipeline.types import Turn


@lru_cache(maxsize=1)
def _normaliser():
    from whisper_normalizer.english import EnglishTextNormalizer

    return EnglishTextNormalizer()


def normalise(text: str) -> str:
    return " ".join(_normaliser()(text).split())


@dataclass(frozen=True)
class ErrorCounts:
    errors: int
    reference_words: int

    @property
    def rate(self) -> float:
        return self.errors / self.reference_words if self.reference_words else 0.0


def word_errors(reference: str, hypothesis: str) -> ErrorCounts:
    import jiwer

    ref, hyp = normalise(reference).split(), normalise(hypothesis).split()
    if not ref or not hyp:  # jiwer refuses empty strings; all words are then insertions or deletions
        return ErrorCounts(len(hyp) or len(ref), len(ref))
    out = jiwer.process_words(" ".join(ref), " ".join(hyp))
    return ErrorCounts(out.substitutions + out.deletions + out.insertions, len(ref))


def wer(reference: str, hypothesis: str) -> float:
    return word_errors(reference, hypothesis).rate


def cpwer(reference: Mapping[str, str], hypothesis: Mapping[str, str]) -> float:
    """reference/hypothesis: speaker -> that speaker's whole text, in order."""
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    refs, hyps = list(reference), list(hypothesis)
    size = max(len(refs), len(hyps))
    refs += [f"__missing_ref_{i}" for i in range(size - len(refs))]
    hyps += [f"__missing_hyp_{i}" for i in range(size - len(hyps))]
    cost = np.zeros((size, size))
    for i, r in enumerate(refs):
        for j, h in enumerate(hyps):
            cost[i, j] = word_errors(reference.get(r, ""), hypothesis.get(h, "")).errors
    rows, cols = linear_sum_assignment(cost)
    total_ref = sum(len(normalise(t).split()) for t in reference.values())
    return float(cost[rows, cols].sum()) / max(total_ref, 1)


def annotation(turns: Iterable[Turn], uri: str = "call"):
    from pyannote.core import Annotation, Segment

    ann = Annotation(uri=uri)
    for i, t in enumerate(turns):
        ann[Segment(t.start, t.end), i] = t.speaker
    return ann


def der(reference: Sequence[Turn], hypothesis: Sequence[Turn], *, collar: float = 0.25) -> float:
    """Diarization error rate; `collar` seconds around each reference boundary are not scored."""
    from pyannote.metrics.diarization import DiarizationErrorRate

    from pyannote.core import Segment, Timeline

    metric = DiarizationErrorRate(collar=collar, skip_overlap=False)
    ref = annotation(reference)
    # Score the union of both extents explicitly (pyannote warns when it has to guess the UEM).
    extent = ref.get_timeline().union(annotation(hypothesis).get_timeline()).extent()
    uem = Timeline([Segment(min(0.0, extent.start), extent.end)])
    return float(metric(ref, annotation(hypothesis), uem=uem))


def read_rttm(path: Path) -> list[Turn]:
    turns = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 8 and parts[0] == "SPEAKER":
            start, duration = float(parts[3]), float(parts[4])
            turns.append(Turn(start=start, end=start + duration, speaker=parts[7]))
    return turns


def read_stm(path: Path) -> list[tuple[str, float, float, str]]:
    """STM lines -> (speaker, start, end, text)."""
    rows = []
    for line in path.read_text().splitlines():
        if not line.strip() or line.startswith(";;"):
            continue
        parts = line.split(maxsplit=5)
        if len(parts) >= 5:
            rows.append((parts[2], float(parts[3]), float(parts[4]), parts[5] if len(parts) > 5 else ""))
    return rows
