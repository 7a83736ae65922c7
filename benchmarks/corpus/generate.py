"""Generate one synthetic telephone sales call with its ground truth.

    python -m benchmarks.corpus.generate --out DIR --seed N --scenario NAME --minutes M [--stereo] [--snr DB]

Writes NAME.flac (8 kHz mono telephone mix), optionally NAME.stereo.flac (rep left, prospect right), and
NAME.transcript.json, NAME.rttm, NAME.stm, NAME.truth.json. Same arguments, same bytes.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from benchmarks.corpus import channel
from benchmarks.corpus.audio_io import write_audio
from benchmarks.corpus.layout import TimedTurn, mix, place
from benchmarks.corpus.model import CallScript
from benchmarks.corpus.scenarios import SCENARIOS
from benchmarks.corpus.script import build_script
from benchmarks.corpus.truth import rttm_lines, stm_lines, transcript_dict, truth_dict, write_json, write_lines
from benchmarks.corpus.voices import RATE, Voice, pick_voices, synthesize_all, voice_by_name


@dataclass(frozen=True)
class CallSpec:
    out_dir: Path
    scenario: str = "discovery"
    seed: int = 0
    minutes: float = 3.0
    stereo: bool = False
    snr_db: float | None = None
    codec: channel.Codec = "ulaw"
    name: str | None = None  # file base name; default "<scenario>_s<seed>"
    overrides: Mapping[str, Any] = field(default_factory=dict)  # pin facts, see facts.CallFacts
    voices: tuple[str, str] | None = None  # (rep, prospect), e.g. ("slt", "rms"); default: drawn from the seed
    wideband: bool = False  # also write the clean 16 kHz mix (NAME.16k.flac), before the telephone channel
    protect_facts: bool = True  # keep backchannels and barge-ins off the turns that state CRM facts
    workers: int = 2

    @property
    def base(self) -> str:
        return self.name or f"{self.scenario}_s{self.seed}"


@dataclass(frozen=True)
class GeneratedCall:
    uri: str
    audio: Path
    stereo: Path | None
    wideband: Path | None
    transcript: Path
    rttm: Path
    stm: Path
    truth: Path
    script: CallScript
    turns: tuple[TimedTurn, ...]
    duration: float
    elapsed_s: float


def _voices(spec: CallSpec, script: CallScript, rng: random.Random) -> dict[str, Voice]:
    rep, prospect = pick_voices(rng, script.genders["rep"], script.genders["prospect"])  # always drawn, so pinning voices leaves the timings' random stream alone
    if spec.voices is not None:
        rep = voice_by_name(spec.voices[0], stretch=rep.stretch, gain_db=rep.gain_db)
        prospect = voice_by_name(spec.voices[1], stretch=prospect.stretch, gain_db=prospect.gain_db)
    return {"rep": rep, "prospect": prospect}


def generate_call(spec: CallSpec) -> GeneratedCall:
    started = time.perf_counter()
    out = Path(spec.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    script = build_script(spec.scenario, spec.seed, spec.minutes, spec.overrides, protect_facts=spec.protect_facts)
    # Rendering has its own random streams: changing a voice or the channel never changes the words.
    rng = random.Random(f"render/{spec.scenario}/{spec.seed}")
    noise_rng = np.random.default_rng([spec.seed, zlib.crc32(spec.scenario.encode())])
    voices = _voices(spec, script, rng)

    audio = synthesize_all([(t.spoken, voices[t.speaker]) for t in script.turns], workers=spec.workers)
    placed = place(script.turns, [len(a) for a in audio], RATE, rng)
    tracks = mix(placed, audio, RATE)
    duration = len(tracks["rep"]) / RATE

    uri = spec.base
    paths = {kind: out / f"{uri}{suffix}" for kind, suffix in (
        ("audio", ".flac"), ("stereo", ".stereo.flac"), ("wideband", ".16k.flac"), ("transcript", ".transcript.json"),
        ("rttm", ".rttm"), ("stm", ".stm"), ("truth", ".truth.json"))}
    chan = channel.ChannelSpec(snr_db=spec.snr_db, codec=spec.codec)
    (mono,) = channel.encode([channel.line(tracks["rep"] + tracks["prospect"], RATE, chan, noise_rng)], chan.codec)
    write_audio(paths["audio"], mono, channel.TELEPHONE_RATE)
    if spec.stereo:
        legs = channel.encode([channel.line(tracks[r], RATE, chan, noise_rng) for r in ("rep", "prospect")],
                              chan.codec)
        write_audio(paths["stereo"], np.stack(legs, axis=1), channel.TELEPHONE_RATE)
    if spec.wideband:
        clean = tracks["rep"] + tracks["prospect"]
        write_audio(paths["wideband"], clean * (channel.PEAK / max(float(np.abs(clean).max()), 1e-9)), RATE)

    files = {"audio": paths["audio"].name, "transcript": paths["transcript"].name, "rttm": paths["rttm"].name,
             "stm": paths["stm"].name}
    if spec.stereo:
        files["stereo"] = paths["stereo"].name
    if spec.wideband:
        files["wideband"] = paths["wideband"].name
    channels = {"rep": 0, "prospect": 1} if spec.stereo else None
    write_json(paths["transcript"], transcript_dict(uri, paths["audio"].name, placed, duration, voices, channels))
    write_lines(paths["rttm"], rttm_lines(uri, placed))
    write_lines(paths["stm"], stm_lines(uri, placed, voices))
    channel_info = {"sample_rate": channel.TELEPHONE_RATE, "band_hz": list(chan.band_hz), "codec": chan.codec,
                    "snr_db": chan.snr_db, "stereo_channels": channels}
    write_json(paths["truth"], truth_dict(script, uri, files, duration, voices, channel_info))

    return GeneratedCall(
        uri=uri, audio=paths["audio"], stereo=paths["stereo"] if spec.stereo else None,
        wideband=paths["wideband"] if spec.wideband else None, transcript=paths["transcript"],
        rttm=paths["rttm"], stm=paths["stm"], truth=paths["truth"], script=script, turns=tuple(placed),
        duration=duration, elapsed_s=time.perf_counter() - started,
    )


def parse_args(argv: Sequence[str] | None = None) -> CallSpec:
    p = argparse.ArgumentParser(prog="python -m benchmarks.corpus.generate", description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True, type=Path, help="output directory")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--scenario", default="discovery", choices=sorted(SCENARIOS))
    p.add_argument("--minutes", type=float, default=3.0, help="approximate length (default 3)")
    p.add_argument("--stereo", action="store_true", help="also write NAME.stereo.flac (rep left, prospect right)")
    p.add_argument("--snr", type=float, default=None, metavar="DB", help="add line noise at this SNR")
    p.add_argument("--codec", default="ulaw", choices=("ulaw", "alaw", "gsm", "none"))
    p.add_argument("--name", default=None, help="file base name (default SCENARIO_sSEED)")
    p.add_argument("--voices", default=None, metavar="REP,PROSPECT", help="e.g. slt,rms or espeak-ng:en-us,slt")
    p.add_argument("--wideband", action="store_true", help="also write the clean 16 kHz mix")
    p.add_argument("--overlap-anywhere", action="store_true",
                   help="let backchannels and barge-ins overlap the turns that state CRM facts too")
    a = p.parse_args(argv)
    voices = tuple(a.voices.split(",")) if a.voices else None
    if voices is not None and len(voices) != 2:
        p.error("--voices needs exactly two names: REP,PROSPECT")
    return CallSpec(out_dir=a.out, scenario=a.scenario, seed=a.seed, minutes=a.minutes, stereo=a.stereo,
                    snr_db=a.snr, codec=a.codec, name=a.name, voices=voices, wideband=a.wideband,
                    protect_facts=not a.overlap_anywhere)  # type: ignore


def main(argv: Sequence[str] | None = None) -> int:
    call = generate_call(parse_args(argv))
    print(f"{call.audio}  {call.duration:.1f} s audio, {len(call.turns)} turns, "
          f"BANT {call.script.bant.label}, generated in {call.elapsed_s:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
