"""Render generated lead cases as telephone audio, through the corpus generator's own TTS and channel code.

    python -m benchmarks.leads audio --split test --n 12 --out DIR

Writes <id>.flac (8 kHz mono, G.711 u-law, 300-3400 Hz: what benchmarks/corpus writes) and <id>.case.json (the
case with its truth), so the lead figure can be measured end to end (ASR + diarization + extraction). Nothing is
reimplemented here: voices (flite), turn placement, mixing and the channel come from benchmarks/corpus. The text
is spoken as written ("$50k" is read by flite as it reads it), and placement may add slight barge-ins but never
backchannels (every line is a full turn).
"""

from __future__ import annotations

import json
import random
import zlib
from pathlib import Path

import numpy as np

from benchmarks.corpus import channel
from benchmarks.corpus.audio_io import write_audio
from benchmarks.corpus.layout import mix, place
from benchmarks.corpus.model import Turn
from benchmarks.corpus.voices import RATE, pick_voices, synthesize_all
from benchmarks.leads.case import LeadCase
from benchmarks.leads.generate import generate


def render_case(case: LeadCase, out_dir: Path, *, workers: int = 2) -> Path:
    """One case -> <out_dir>/<id>.flac + <id>.case.json. Deterministic in the case id."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"leads-audio/{case.id}")
    rep_gender, prospect_gender = rng.choice((("male", "male"), ("female", "male"), ("male", "female")))
    rep, prospect = pick_voices(rng, rep_gender, prospect_gender)
    voices = {"rep": rep, "prospect": prospect}
    turns = [Turn(id=f"t{i}", speaker=line.role, text=line.text) for i, line in enumerate(case.lines)]
    audio = synthesize_all([(t.spoken, voices[t.speaker]) for t in turns], workers=workers)
    placed = place(turns, [len(a) for a in audio], RATE, rng)
    tracks = mix(placed, audio, RATE)
    spec = channel.ChannelSpec(codec="ulaw")
    noise_rng = np.random.default_rng(zlib.crc32(case.id.encode()))
    (mono,) = channel.encode([channel.line(tracks["rep"] + tracks["prospect"], RATE, spec, noise_rng)], spec.codec)
    path = out_dir / f"{case.id}.flac"
    write_audio(path, mono, channel.TELEPHONE_RATE)
    record = case.to_dict()
    record["audio"] = {"file": path.name, "sample_rate": channel.TELEPHONE_RATE, "codec": "ulaw",
                       "voices": {k: v.label for k, v in voices.items()},
                       "turns": [{"line": i, "start": round(p.start, 3), "end": round(p.end, 3)}
                                 for i, p in enumerate(placed)]}
    (out_dir / f"{case.id}.case.json").write_text(json.dumps(record, indent=1))
    return path


def render_cases(split: str, n: int, seed: int, out_dir: Path, *, workers: int = 2) -> list[Path]:
    return [render_case(case, Path(out_dir), workers=workers) for case in generate(split, n, seed)]
