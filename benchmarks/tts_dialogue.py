"""Two-speaker synthetic calls with exact reference RTTM, from Debian's flite voices (no network, deterministic).

Each turn is synthesised alone, its leading/trailing silence trimmed (so the reference marks speech, not the
synthesiser's padding), then turns are laid out with short gaps and a few overlapping back-channels. A
"telephone" variant adds noise and squeezes the mix through an 8 kHz u-law, 300-3400 Hz channel (sox), then
returns it at 16 kHz like the decoder would.

    python -m benchmarks.tts_dialogue out/diarization-corpus
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

SR = 16_000

SCRIPT: tuple[str, ...] = (
    "Hi, this is Dana from Northwind Analytics. Thanks for taking the time to talk today.",
    "Sure, happy to. We have been looking at options for our reporting for a few months now.",
    "Great. Can you tell me a bit about how your team handles reporting at the moment?",
    "Right now it is mostly spreadsheets. Every Monday two analysts spend the whole morning merging exports.",
    "That sounds painful. How many people rely on those reports each week?",
    "About forty managers across three regions, and they always want the numbers earlier.",
    "Understood. And who else would be involved in choosing a new tool?",
    "I would make the recommendation, but our finance director signs off on anything above ten thousand.",
    "Makes sense. Do you have a budget range in mind for this year?",
    "We set aside roughly fifty thousand dollars, and we would like something running before the third quarter.",
    "That is very doable. Have you looked at any other vendors so far?",
    "We had a demo with Contoso last week. It was fine, but the pricing was confusing.",
    "Fair enough. What would a successful first month look like for you?",
    "Honestly, if Monday mornings went back to being normal mornings, everyone would be happy.",
    "Let me set up a technical session with our solutions engineer on Thursday. Does ten o'clock work?",
    "Thursday at ten works. Please send the invite to me and I will forward it to finance.",
)

BACKCHANNELS: tuple[str, ...] = ("Yeah.", "Right.", "Okay.", "Mm hmm.")


@dataclass(frozen=True)
class CallSpec:
    name: str
    voices: tuple[str, str]
    telephone: bool
    seed: int
    backchannels: int = 0
    snr_db: float = 25.0


SPECS: tuple[CallSpec, ...] = (
    CallSpec("tts-slt-rms-16k", ("slt", "rms"), telephone=False, seed=1),
    CallSpec("tts-awb-rms-8k", ("awb", "rms"), telephone=True, seed=2, backchannels=3),
    CallSpec("tts-awb-rms-16k", ("awb", "rms"), telephone=False, seed=4, backchannels=1),
    CallSpec("tts-kal16-slt-8k", ("kal16", "slt"), telephone=True, seed=3, backchannels=2),
)


def synthesize(text: str, voice: str, workdir: Path) -> np.ndarray:
    """flite -> float32 mono at 16 kHz, leading/trailing silence removed."""
    raw = workdir / "raw.wav"
    out = workdir / "16k.wav"
    subprocess.run(["flite", "-voice", voice, "-t", text, "-o", str(raw)], check=True)
    subprocess.run(["sox", str(raw), "-r", str(SR), "-c", "1", "-b", "16", str(out)], check=True)
    audio, _ = sf.read(out, dtype="float32")
    return trim(audio)


def trim(audio: np.ndarray, threshold_db: float = -40.0, hop: int = 160) -> np.ndarray:
    frames = audio[: len(audio) // hop * hop].reshape(-1, hop)
    level = 10 * np.log10((frames**2).mean(axis=1) + 1e-12)
    loud = np.flatnonzero(level > level.max() + threshold_db)
    if len(loud) == 0:
        return audio
    return audio[loud[0] * hop : (loud[-1] + 1) * hop]


def telephone(audio: np.ndarray, workdir: Path, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """Noise at `snr_db` (speech power), then 300-3400 Hz, 8 kHz u-law, back to 16 kHz."""
    speech_power = np.mean(audio[np.abs(audio) > 1e-3] ** 2)
    noisy = audio + rng.normal(0, np.sqrt(speech_power / 10 ** (snr_db / 10)), len(audio)).astype(np.float32)
    src, tel, back = workdir / "mix.wav", workdir / "tel.wav", workdir / "back.wav"
    sf.write(src, np.clip(noisy, -1, 1), SR, subtype="PCM_16")
    subprocess.run(["sox", str(src), "-r", "8000", "-e", "u-law", str(tel), "sinc", "300-3400"], check=True)
    subprocess.run(["sox", str(tel), "-r", str(SR), "-e", "signed-integer", "-b", "16", str(back)], check=True)
    out, _ = sf.read(back, dtype="float32")
    return out


def build_call(spec: CallSpec, out_dir: Path) -> tuple[Path, Path]:
    """Write <name>.wav (16 kHz mono) and <name>.rttm; return both paths."""
    rng = np.random.default_rng(spec.seed)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        pieces: list[tuple[float, np.ndarray, str]] = []  # (start_s, samples, speaker)
        cursor = 0.5
        for i, text in enumerate(SCRIPT):
            speaker = f"spk{i % 2}"
            audio = synthesize(text, spec.voices[i % 2], work)
            pieces.append((cursor, audio, speaker))
            cursor += len(audio) / SR + float(rng.uniform(0.15, 0.8))
        # Back-channels from the listener, overlapping the end of a long turn.
        long_turns = sorted(range(len(pieces)), key=lambda k: -len(pieces[k][1]))[: spec.backchannels]
        for k in long_turns:
            start, audio, speaker = pieces[k]
            other = 1 - int(speaker[-1])
            bc = synthesize(BACKCHANNELS[k % len(BACKCHANNELS)], spec.voices[other], work)
            at = start + len(audio) / SR * 0.6
            pieces.append((at, bc, f"spk{other}"))
        total = max(s + len(a) / SR for s, a, _ in pieces) + 0.5
        mix = np.zeros(int(total * SR), dtype=np.float32)
        for start, audio, _ in pieces:
            i = int(round(start * SR))
            mix[i : i + len(audio)] += audio
        mix = mix / max(1.0, float(np.abs(mix).max()) / 0.9)
        if spec.telephone:
            mix = telephone(mix, work, spec.snr_db, rng)
    out_dir.mkdir(parents=True, exist_ok=True)
    wav, rttm = out_dir / f"{spec.name}.wav", out_dir / f"{spec.name}.rttm"
    sf.write(wav, mix, SR, subtype="PCM_16")
    lines = sorted(
        f"SPEAKER {spec.name} 1 {s:.3f} {len(a) / SR:.3f} <NA> <NA> {spk} <NA> <NA>\n" for s, a, spk in pieces
    )
    rttm.write_text("".join(sorted(lines, key=lambda line: float(line.split()[3]))))
    return wav, rttm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    args = parser.parse_args()
    for spec in SPECS:
        wav, _ = build_call(spec, args.out_dir)
        print(f"{wav}  {sf.info(wav).duration:.1f} s")


if __name__ == "__main__":
    main()
