"""Backlog per stage from a real SQLite job store, and the cache the 0.1 s Ray loop reads."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import update

from services.autoscaler.backlog import (
    Backlog,
    CachedBacklog,
    StageBacklog,
    database_reader,
    job_backlog,
    read_backlog,
    stages_of,
)
from services.settings import Settings
from services.store import jobs
from services.store.db import Database, open_database
from services.store.models import Job
from services.store.tenants import ensure_tenant


@pytest.fixture
def store_settings(tmp_path) -> Settings:
    return Settings(server={"data_dir": str(tmp_path)}, database={"url": None})


@pytest.fixture
def db(store_settings: Settings) -> Iterator[Database]:
    database = open_database(store_settings)
    yield database
    database.dispose()


def _job(db: Database, job_id: str, duration: float | None, **options) -> None:
    with db.session() as s:
        ensure_tenant(s, tenant_id="acme")
        jobs.create_job(s, job_id=job_id, tenant_id="acme", source="upload", options=options, max_attempts=3,
                        actor="test", audio_duration_s=duration)


def _run(db: Database, progress: dict) -> str:
    """Claim the oldest queued job and record its per-stage progress, as a worker does."""
    with db.session() as s:
        claim = jobs.claim_job(s, worker_id="w1", lease_s=60)
    with db.session() as s:
        assert jobs.set_progress(s, job_id=claim.job_id, worker_id="w1", progress=progress)
    return claim.job_id


def test_stages_follow_the_job_options():
    assert stages_of({}) == ("asr", "diarization", "extraction")
    assert stages_of({"diarization": False}) == ("asr", "extraction")
    assert stages_of({"stereo_speakers": True, "extract_lead": False}) == ("asr",)


def test_running_job_counts_what_is_left_of_each_stage():
    part = job_backlog("running", 100.0, {"asr": 1.0, "diarization": 0.25, "stage": "diarization"}, {})
    assert part == {"asr": StageBacklog(in_flight_audio_s=0.0), "diarization": StageBacklog(in_flight_audio_s=75.0),
                    "extraction": StageBacklog(in_flight_audio_s=100.0)}
    assert job_backlog("queued", 60.0, None, {"extract_lead": False}) == {
        "asr": StageBacklog(queued_audio_s=60.0), "diarization": StageBacklog(queued_audio_s=60.0)}


def test_read_backlog_from_the_job_store(db: Database):
    _job(db, "j1", 120.0)  # claimed below: running, ASR done, diarization half way
    _job(db, "j2", 300.0, stereo_speakers=True)  # queued: no diarization
    _job(db, "j3", None)  # queued, duration unknown (URL not fetched yet)
    _job(db, "j4", 50.0, extract_lead=False)  # finished below: counts nowhere
    assert _run(db, {"asr": 1.0, "diarization": 0.5, "stage": "diarization", "message": "..."}) == "j1"
    with db.session() as s:
        s.execute(update(Job).where(Job.id == "j4").values(status="succeeded"))

    with db.session() as s:
        backlog = read_backlog(s, unknown_duration_s=200.0)
    assert (backlog.queued_jobs, backlog.running_jobs) == (2, 1)
    assert backlog.stage("asr") == StageBacklog(queued_audio_s=300.0 + 200.0, in_flight_audio_s=0.0)
    assert backlog.stage("diarization") == StageBacklog(queued_audio_s=200.0, in_flight_audio_s=60.0)
    assert backlog.stage("extraction") == StageBacklog(queued_audio_s=500.0, in_flight_audio_s=120.0)


def test_database_reader_reads_without_the_write_lock(db: Database, store_settings: Settings):
    """The reader's SELECT must not queue behind (or block) a worker holding SQLite's write lock."""
    _job(db, "j1", 42.0)
    read = database_reader(store_settings, unknown_duration_s=0.0)
    with db.session() as s:  # BEGIN IMMEDIATE: this session holds the write lock while we read
        jobs.create_job(s, job_id="j2", tenant_id="acme", source="upload", options={}, max_attempts=3, actor="t",
                        audio_duration_s=8.0)
        backlog = read()
    assert backlog.stage("asr").queued_audio_s == 42.0  # j2 is not committed yet
    assert read().stage("asr").queued_audio_s == 50.0


class _Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def _backlog(seconds: float) -> Backlog:
    return Backlog(stages={"asr": StageBacklog(queued_audio_s=seconds)})


def test_cache_reads_at_most_every_refresh_s():
    clock, calls = _Clock(), []

    def reader() -> Backlog:
        calls.append(clock.t)
        return _backlog(len(calls))

    cache = CachedBacklog(reader, refresh_s=5.0, background=False, clock=clock)
    first = cache.get()
    for step in range(49):  # the Ray loop: every 0.1 s for 4.9 s
        clock.t = 0.1 * (step + 1)
        assert cache.get() is first
    clock.t = 5.0
    second = cache.get()
    assert calls == [0.0, 5.0]
    assert (first.seq, second.seq) == (1, 2)
    assert second.backlog.stage("asr").queued_audio_s == 2
    assert cache.age_s(second) == 0.0


def test_cache_keeps_the_last_reading_when_the_store_fails():
    clock, fail = _Clock(), [False]

    def reader() -> Backlog:
        if fail[0]:
            raise ConnectionError("database is down")
        return _backlog(7)

    cache = CachedBacklog(reader, refresh_s=1.0, background=False, clock=clock)
    good = cache.get()
    fail[0], clock.t = True, 1.0
    assert cache.get() is good
    assert "database is down" in cache.last_error
    fail[0], clock.t = False, 2.0
    assert cache.get().seq == 2 and cache.last_error is None


def test_cache_nothing_before_the_first_successful_read():
    def reader() -> Backlog:
        raise ConnectionError("no route")

    assert CachedBacklog(reader, refresh_s=1.0, background=False, clock=_Clock()).get() is None


def test_background_refresh_never_blocks_get():
    release, started = threading.Event(), threading.Event()

    def slow_reader() -> Backlog:
        started.set()
        release.wait(5)
        return _backlog(1)

    clock = _Clock()
    cache = CachedBacklog(slow_reader, refresh_s=1.0, clock=clock)
    assert cache.get() is None  # the read runs in a thread; get() returns at once
    assert started.wait(5)
    assert cache.get() is None  # still reading: no second read is started either
    release.set()
    for _ in range(500):
        if (reading := cache.get()) is not None:
            break
        threading.Event().wait(0.01)
    assert reading is not None and reading.seq == 1
