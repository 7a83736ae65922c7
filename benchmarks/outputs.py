"""What a benchmarked system produced for one call, in a form both systems can fill and JSON can carry.

A worker subprocess (benchmarks/worker.py) runs one system over the suite's calls and writes a `SystemRun`; the
harness reads it back and scores it. Plain dataclasses, no numpy, no pydantic: the file is the contract between
two processes.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class HypWord:
    start: float
    end: float
    text: str
    speaker: str | None = None


@dataclass(frozen=True)
class HypTurn:
    start: float
    end: float
    speaker: str


@dataclass(frozen=True)
class HypEntity:
    type: str
    text: str


@dataclass(frozen=True)
class HypUtterance:
    id: str
    speaker: str
    text: str


@dataclass(frozen=True)
class CallOutput:
    """One system's answer for one call. `lead` is Lead.model_dump() (Parley with extraction) or None."""

    uri: str
    duration_s: float
    words: tuple[HypWord, ...] = ()
    turns: tuple[HypTurn, ...] = ()
    entities: tuple[HypEntity, ...] = ()
    utterances: tuple[HypUtterance, ...] = ()
    lead: dict[str, Any] | None = None
    stage_seconds: dict[str, float] = field(default_factory=dict)
    error: str | None = None

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    def text_by_speaker(self) -> dict[str, str]:
        out: dict[str, list[str]] = {}
        for w in self.words:
            out.setdefault(w.speaker or "UNKNOWN", []).append(w.text)
        return {spk: " ".join(ws) for spk, ws in out.items()}


@dataclass(frozen=True)
class SystemRun:
    """One system over all calls of a suite, in one process."""

    system: str
    description: str
    load_s: float
    peak_rss_mb: float
    rss_after_load_mb: float
    calls: tuple[CallOutput, ...]
    models: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    load_average: tuple[float, ...] = ()  # 1-minute load average when each repeat started and ended
    repeats: int = 1


def merge_repeats(runs: list[SystemRun]) -> SystemRun:
    """Repeated runs of one system over the same calls -> one run: outputs of the first repeat, each stage's
    time the minimum over the repeats that ran it (load from other processes only ever adds time), peak RSS the
    maximum, load time the minimum."""
    first = runs[0]
    if len(runs) == 1:
        return first
    calls = []
    for i, call in enumerate(first.calls):
        repeats = [r.calls[i] for r in runs if i < len(r.calls) and r.calls[i].uri == call.uri and not r.calls[i].error]
        if call.error or not repeats:
            calls.append(call)
            continue
        stages = {k for r in repeats for k in r.stage_seconds if k != "total"}
        seconds = {k: min(r.stage_seconds[k] for r in repeats if k in r.stage_seconds) for k in stages}
        overhead = min(r.stage_seconds.get("total", 0.0) - sum(v for k, v in r.stage_seconds.items() if k != "total")
                       for r in repeats)
        seconds["total"] = round(sum(seconds.values()) + max(overhead, 0.0), 3)
        calls.append(replace(call, stage_seconds=seconds))
    return replace(
        first,
        calls=tuple(calls),
        load_s=min(r.load_s for r in runs),
        peak_rss_mb=max(r.peak_rss_mb for r in runs),
        rss_after_load_mb=max(r.rss_after_load_mb for r in runs),
        load_average=tuple(x for r in runs for x in r.load_average),
        repeats=len(runs),
    )


def _call_from_dict(data: dict[str, Any]) -> CallOutput:
    return CallOutput(
        uri=data["uri"],
        duration_s=float(data["duration_s"]),
        words=tuple(HypWord(**w) for w in data.get("words", ())),
        turns=tuple(HypTurn(**t) for t in data.get("turns", ())),
        entities=tuple(HypEntity(**e) for e in data.get("entities", ())),
        utterances=tuple(HypUtterance(**u) for u in data.get("utterances", ())),
        lead=data.get("lead"),
        stage_seconds=dict(data.get("stage_seconds", {})),
        error=data.get("error"),
    )


def run_from_dict(data: dict[str, Any]) -> SystemRun:
    return SystemRun(
        system=data["system"],
        description=data.get("description", ""),
        load_s=float(data.get("load_s", 0.0)),
        peak_rss_mb=float(data.get("peak_rss_mb", 0.0)),
        rss_after_load_mb=float(data.get("rss_after_load_mb", 0.0)),
        calls=tuple(_call_from_dict(c) for c in data.get("calls", ())),
        models=dict(data.get("models", {})),
        settings=dict(data.get("settings", {})),
        error=data.get("error"),
        load_average=tuple(data.get("load_average", ())),
        repeats=int(data.get("repeats", 1)),
    )


def write_run(run: SystemRun, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(run), indent=1), encoding="utf-8")


def read_run(path: Path) -> SystemRun:
    return run_from_dict(json.loads(path.read_text(encoding="utf-8")))
