"""Ground-truth files written next to the audio: reference transcript JSON, RTTM, STM, truth.json.

RTTM and STM are the inputs of the standard scorers (pyannote.metrics / dscore for DER, sclite / meeteval for
WER and cpWER), so they follow those formats exactly; the JSON files carry what those formats cannot.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Sequence

from benchmarks.corpus.layout import TimedTurn
from benchmarks.corpus.model import CallScript
from benchmarks.corpus.voices import Voice


def transcript_dict(uri: str, audio: str, placed: Sequence[TimedTurn], duration: float,
                    voices: dict[str, Voice], channels: dict[str, int] | None) -> dict[str, Any]:
    turns = sorted(placed, key=lambda t: (t.start_sample, t.turn.id))
    return {
        "uri": uri,
        "audio": audio,
        "duration": round(duration, 3),
        "speakers": {
            role: {"voice": v.label, "gender": v.gender, **({"channel": channels[role]} if channels else {})}
            for role, v in voices.items()
        },
        "turns": [
            {"id": t.turn.id, "speaker": t.speaker, "start": round(t.start, 3), "end": round(t.end, 3),
             "text": t.turn.text, "kind": t.turn.kind, "barge_in": t.turn.barge_in}
            for t in turns
        ],
    }


def rttm_lines(uri: str, placed: Sequence[TimedTurn]) -> list[str]:
    return [f"SPEAKER {uri} 1 {t.start:.3f} {t.end - t.start:.3f} <NA> <NA> {t.speaker} <NA> <NA>"
            for t in sorted(placed, key=lambda t: t.start_sample)]


def stm_text(text: str) -> str:
    """Lower case, punctuation dropped (apostrophes and inner hyphens kept): what sclite-style scorers compare."""
    words = re.sub(r"[^a-z0-9' \-]", " ", text.lower()).split()
    return " ".join(w.strip("-") for w in words if w.strip("-"))


def stm_lines(uri: str, placed: Sequence[TimedTurn], voices: dict[str, Voice]) -> list[str]:
    header = [';; LABEL "o" "Overall" "All segments"', f';; synthetic call {uri}: speakers rep, prospect']
    return header + [
        f"{uri} 1 {t.speaker} {t.start:.3f} {t.end:.3f} <o,f0,{voices[t.speaker].gender}> {stm_text(t.turn.text)}"
        for t in sorted(placed, key=lambda t: t.start_sample)
    ]


def truth_dict(script: CallScript, uri: str, files: dict[str, str], duration: float,
               voices: dict[str, Voice], channel: dict[str, Any]) -> dict[str, Any]:
    return {
        "uri": uri,
        **script.to_dict(),
        "duration": round(duration, 3),
        "files": files,
        "voices": {role: v.label for role, v in voices.items()},
        "channel": channel,
    }


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_lines(path: Path, lines: Sequence[str]) -> None:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
