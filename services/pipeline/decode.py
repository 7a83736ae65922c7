"""Decode any common container/codec to 16 kHz float32, keeping the channels of stereo calls.

PyAV (FFmpeg) handles wav, flac, mp3, m4a/aac, ogg/opus and telephone u-law/a-law. Limits are enforced
before the expensive work: file size from the file system, duration from the container header when it has
one, and again while decoding (headers lie, and raw streams have none).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from services.audioprobe import header_duration_s
from services.errors import AudioEmpty, AudioNotFound, AudioTooLarge, AudioTooLong, AudioUndecodable
from services.pipeline.types import SAMPLE_RATE, AudioInfo, DecodedAudio
from services.settings import LimitsSettings

# Peak below this (about -80 dBFS) is digital silence: nothing to transcribe.
_SILENCE_PEAK = 1e-4


def check_file_limits(path: Path, limits: LimitsSettings) -> int:
    if not path.is_file():
        raise AudioNotFound(f"audio file {path} does not exist")
    size = path.stat().st_size
    if size == 0:
        raise AudioEmpty(f"audio file {path} is empty (0 bytes)")
    if size > limits.max_file_mb * 1024 * 1024:
        raise AudioTooLarge(f"audio file is {size / 1e6:.1f} MB; the limit is {limits.max_file_mb:g} MB")
    return size


def decode_audio(path: Path, limits: LimitsSettings) -> DecodedAudio:
    import av  # heavy: FFmpeg bindings

    check_file_limits(path, limits)
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise AudioUndecodable(f"cannot open {path.name} as audio: {exc}") from exc
    with container:
        if not container.streams.audio:
            raise AudioUndecodable(f"{path.name} contains no audio stream")
        stream = container.streams.audio[0]
        source_rate = int(stream.codec_context.sample_rate or stream.rate or 0)
        source_channels = int(stream.codec_context.channels or 1)
        header_s = header_duration_s(container, stream)
        if header_s is not None and header_s > limits.max_duration_s:
            raise AudioTooLong(f"audio is {header_s:.0f} s long; the limit is {limits.max_duration_s:g} s")
        kept = min(source_channels, 2)
        resampler = av.AudioResampler(format="fltp", layout="stereo" if kept == 2 else "mono", rate=SAMPLE_RATE)
        max_samples = int(limits.max_duration_s * SAMPLE_RATE)
        chunks: list[np.ndarray] = []
        total = 0
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    array = out.to_ndarray()
                    chunks.append(array)
                    total += array.shape[1]
                if total > max_samples:
                    raise AudioTooLong(f"audio is longer than the limit of {limits.max_duration_s:g} s")
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray())
        except av.error.FFmpegError as exc:
            raise AudioUndecodable(f"cannot decode {path.name}: {exc}") from exc
        codec = stream.codec_context.name
        container_name = container.format.name

    if not chunks:
        raise AudioEmpty(f"{path.name} decoded to no samples")
    samples = np.concatenate(chunks, axis=1).astype(np.float32, copy=False)
    return build_decoded(samples, source_rate, source_channels, limits, codec=codec, container=container_name)


def build_decoded(
    samples: np.ndarray,
    source_rate: int,
    source_channels: int,
    limits: LimitsSettings,
    *,
    codec: str | None = None,
    container: str | None = None,
) -> DecodedAudio:
    """(channels, n) float32 at 16 kHz -> DecodedAudio, with the empty/too-short/silence checks."""
    duration = samples.shape[1] / SAMPLE_RATE
    if duration < limits.min_duration_s:
        raise AudioEmpty(f"audio is {duration:.2f} s long; at least {limits.min_duration_s:g} s is needed")
    if duration > limits.max_duration_s:
        raise AudioTooLong(f"audio is {duration:.0f} s long; the limit is {limits.max_duration_s:g} s")
    if float(np.max(np.abs(samples))) < _SILENCE_PEAK:
        raise AudioEmpty("audio is digital silence")
    channels = tuple(np.ascontiguousarray(ch) for ch in samples)
    mono = channels[0] if len(channels) == 1 else np.ascontiguousarray(samples.mean(axis=0))
    info = AudioInfo(
        duration_s=round(duration, 3),
        sample_rate=source_rate or SAMPLE_RATE,
        channels=source_channels,
        codec=codec,
        container=container,
    )
    return DecodedAudio(mono=mono, channels=channels, info=info)
