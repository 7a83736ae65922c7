"""Work waiting per stage, in audio seconds, read from the job store; and a cache for the 0.1 s Ray loop.

Counting (per stage: asr, diarization, extraction):
- a queued job counts its whole duration as queued work of every stage it will run;
- a running job counts (1 - progress[stage]) x duration as in-flight work of every stage it will run
  (the worker writes progress per stage, 0..1, into the job row);
- a job skips a stage when its options say so: no diarization for `diarization: false` or stereo calls (one
  speaker per channel: no diarization model runs), no extraction for `extract_lead: false`;
- a job whose duration is not known yet (a URL not fetched) counts `unknown_duration_s`.

Replicas report nothing at zero, and a request count says nothing about a 40-minute call vs a 20-second one:
the job store knows both, durably, before any replica exists.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from services.autoscaler.policy import STAGES, Stage

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from services.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StageBacklog:
    queued_audio_s: float = 0.0
    in_flight_audio_s: float = 0.0

    @property
    def total_audio_s(self) -> float:
        return self.queued_audio_s + self.in_flight_audio_s


@dataclass(frozen=True)
class Backlog:
    stages: Mapping[Stage, StageBacklog] = field(default_factory=dict)
    queued_jobs: int = 0
    running_jobs: int = 0

    def stage(self, stage: Stage) -> StageBacklog:
        return self.stages.get(stage, StageBacklog())


def stages_of(options: Mapping[str, Any] | None) -> tuple[Stage, ...]:
    """The scaled stages a job with these options runs (the job's options JSON, as the worker reads it)."""
    options = options or {}
    run: list[Stage] = ["asr"]
    if options.get("diarization", True) and not options.get("stereo_speakers", False):
        run.append("diarization")
    if options.get("extract_lead", True):
        run.append("extraction")
    return tuple(run)


def job_backlog(status: str, duration_s: float, progress: Mapping[str, Any] | None,
                options: Mapping[str, Any] | None) -> dict[Stage, StageBacklog]:
    """One job's contribution per stage (pure: the counting rules above)."""
    out: dict[Stage, StageBacklog] = {}
    for stage in stages_of(options):
        if status == "queued":
            out[stage] = StageBacklog(queued_audio_s=duration_s)
        else:
            raw = (progress or {}).get(stage, 0.0)
            done = min(1.0, max(0.0, float(raw))) if isinstance(raw, int | float) else 0.0
            out[stage] = StageBacklog(in_flight_audio_s=(1.0 - done) * duration_s)
    return out


def read_backlog(session: Session, *, unknown_duration_s: float = 300.0) -> Backlog:
    """Sum queued and in-flight audio seconds per stage over every queued or running job (all tenants)."""
    from sqlalchemy import select

    from services.store.models import Job

    rows = session.execute(
        select(Job.status, Job.audio_duration_s, Job.progress, Job.options).where(Job.status.in_(("queued", "running")))
    ).all()
    queued = {s: 0.0 for s in STAGES}
    in_flight = {s: 0.0 for s in STAGES}
    counts = {"queued": 0, "running": 0}
    for status, duration, progress, options in rows:
        counts[status] += 1
        seconds = float(duration) if duration is not None else unknown_duration_s
        for stage, part in job_backlog(status, seconds, progress, options).items():
            queued[stage] += part.queued_audio_s
            in_flight[stage] += part.in_flight_audio_s
    return Backlog(stages={s: StageBacklog(queued[s], in_flight[s]) for s in STAGES},
                   queued_jobs=counts["queued"], running_jobs=counts["running"])


def database_reader(settings: Settings, *, unknown_duration_s: float) -> Callable[[], Backlog]:
    """A reader over the settings' database: its own engine, made once and kept by the closure; no migrations
    (the gateway owns the schema)."""
    from sqlalchemy import event
    from sqlalchemy.orm import sessionmaker

    from services.store import db

    engine = db.make_engine(settings)
    if engine.dialect.name == "sqlite":
        # One SELECT needs no BEGIN IMMEDIATE: that takes SQLite's write lock, which workers claiming jobs
        # need. Without it the statement reads one consistent WAL snapshot on its own. (This engine is ours.)
        event.remove(engine, "begin", db._sqlite_begin)
    sessions = sessionmaker(engine)

    def read() -> Backlog:
        with sessions() as session, session.begin():
            return read_backlog(session, unknown_duration_s=unknown_duration_s)

    return read


@dataclass(frozen=True)
class Reading:
    backlog: Backlog
    seq: int
    """Increments with every successful read: a consumer advances its own state once per new reading."""
    read_at: float
    """Clock time of the read (the cache's clock)."""


class CachedBacklog:
    """The last backlog read, refreshed at most every `refresh_s`.

    `get()` never waits for the database when `background` is on: a due refresh runs in a daemon thread and
    `get()` returns the previous reading meanwhile (the Serve controller calls the policy every 0.1 s on its
    event loop). A failed read keeps the previous reading and is retried `refresh_s` later; `get()` returns
    None until the first read succeeds. `clock` is injectable for tests.
    """

    def __init__(self, reader: Callable[[], Backlog], *, refresh_s: float, background: bool = True,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if refresh_s <= 0:
            raise ValueError(f"refresh_s must be > 0, got {refresh_s}")
        self._reader, self._refresh_s, self._background, self._clock = reader, refresh_s, background, clock
        self._lock = threading.Lock()
        self._reading: Reading | None = None
        self._last_attempt: float | None = None
        self._refreshing = False
        self.last_error: str | None = None

    @property
    def refresh_s(self) -> float:
        return self._refresh_s

    def age_s(self, reading: Reading) -> float:
        """Seconds since `reading` was read, on the cache's clock."""
        return self._clock() - reading.read_at

    def get(self) -> Reading | None:
        now = self._clock()
        with self._lock:
            due = not self._refreshing and (self._last_attempt is None or now - self._last_attempt >= self._refresh_s)
            if due:
                self._refreshing, self._last_attempt = True, now
            reading = self._reading
        if due:
            if self._background:
                threading.Thread(target=self._refresh, name="parley-backlog-refresh", daemon=True).start()
            else:
                self._refresh()
                with self._lock:
                    reading = self._reading
        return reading

    def _refresh(self) -> None:
        try:
            backlog = self._reader()
        except Exception as exc:  # noqa: BLE001 -- a database hiccup must not take the Serve controller down
            log.warning("backlog read failed (keeping the previous reading): %s", exc)
            with self._lock:
                self.last_error, self._refreshing = f"{type(exc).__name__}: {exc}", False
            return
        with self._lock:
            seq = self._reading.seq + 1 if self._reading else 1
            self._reading = Reading(backlog=backlog, seq=seq, read_at=self._clock())
            self.last_error, self._refreshing = None, False
