"""Cheap container probe (PyAV header read, no decoding, no torch) used before a job is queued."""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

from services.errors import AudioEmpty, AudioUndecodable


def header_duration_s(container: Any, stream: Any) -> float | None:
    """Duration the container header claims for an audio stream (the stream's own first, then the
    container's), or None when it claims nothing (raw streams, some mp3s)."""
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return None


def probe_duration(path: Path) -> float:
    """Duration in seconds from the container header. Raises AudioUndecodable / AudioEmpty."""
    if path.stat().st_size == 0:
        raise AudioEmpty("the file is empty")
    try:
        with wave.open(str(path), "rb") as w:
            rate = w.getframerate()
            if rate <= 0:
                raise AudioUndecodable("WAV header has no sample rate")
            return w.getnframes() / rate
    except (wave.Error, EOFError):
        pass
    try:
        import av  # PyAV: FFmpeg bindings; imports no torch
    except ImportError as exc:  # pragma: no cover - av is a base dependency
        raise AudioUndecodable("only WAV can be probed without PyAV") from exc
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            streams = [s for s in container.streams if s.type == "audio"]
            if not streams:
                raise AudioUndecodable("the file has no audio stream")
            # 0.0: unknown from the header; the pipeline measures it when decoding
            return header_duration_s(container, streams[0]) or 0.0
    except AudioUndecodable:
        raise
    except Exception as exc:  # noqa: BLE001 - av raises many error types for garbage input
        raise AudioUndecodable(f"not a decodable audio file ({type(exc).__name__})") from exc
