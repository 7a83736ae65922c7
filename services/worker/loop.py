"""The durable job runner: claim (lease) -> fetch audio if a URL -> run -> write result, with a heartbeat
thread renewing the lease. A worker that dies stops renewing; another claims the job after the lease expires.
A worker that lost its lease (e.g. paused past the lease) aborts at its next progress call and cannot write a
result (the store checks the lease owner), so each job gets exactly one result.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from services.errors import InputError, ParleyError
from services.netguard import fetch_to_file
from services.pipeline.options import STAGES
from services.settings import Settings
from services.store import jobs
from services.store.db import Database
from services.store.models import Job
from services.worker.runner import Runner, call_options

log = logging.getLogger("parley.worker")


class LeaseLost(Exception):
    """The job was reclaimed by another worker or deleted: stop, write nothing."""


def audio_dir(settings: Settings, tenant_id: str) -> Path:
    return Path(settings.server.data_dir) / "audio" / tenant_id


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Worker:
    def __init__(self, *, db: Database, settings: Settings, runner: Runner, worker_id: str | None = None) -> None:
        self.db, self.settings, self.runner = db, settings, runner
        self.worker_id = worker_id or new_worker_id()
        self.cfg = settings.worker

    def run(self, stop: threading.Event) -> None:
        log.info("worker %s started", self.worker_id)
        while not stop.is_set():
            try:
                worked = self.run_once()
            except Exception:  # noqa: BLE001 - a database hiccup must not kill the worker
                log.exception("worker loop error")
                worked = False
            if not worked:
                stop.wait(self.cfg.poll_interval_s)
        log.info("worker %s stopped", self.worker_id)

    def run_once(self) -> bool:
        """Claim and process at most one job. Returns False when there was nothing to do."""
        with self.db.session() as s:
            claim = jobs.claim_job(s, worker_id=self.worker_id, lease_s=self.cfg.lease_s)
        if claim is None:
            return False
        lost = threading.Event()
        done = threading.Event()
        hb = threading.Thread(target=self._heartbeat, args=(claim.job_id, lost, done), daemon=True)
        hb.start()
        try:
            self._process(claim.job_id, claim.attempt, lost)
        finally:
            done.set()
            hb.join()
        return True

    def _heartbeat(self, job_id: str, lost: threading.Event, done: threading.Event) -> None:
        while not done.wait(self.cfg.heartbeat_s):
            try:
                with self.db.session() as s:
                    ok = jobs.heartbeat(s, job_id=job_id, worker_id=self.worker_id, lease_s=self.cfg.lease_s)
            except Exception:  # noqa: BLE001 - transient DB error: try again next beat
                log.warning("heartbeat failed for %s", job_id, exc_info=True)
                continue
            if not ok:
                lost.set()
                return

    def _process(self, job_id: str, attempt: int, lost: threading.Event) -> None:
        with self.db.session() as s:
            job = s.get(Job, job_id)
            if job is None:
                return
            snap = {"tenant_id": job.tenant_id, "audio_path": job.audio_path, "audio_url": job.audio_url,
                    "options": dict(job.options or {})}
        progress: dict[str, Any] = {st: 0.0 for st in STAGES}
        last_write = [0.0]

        def on_progress(stage: str, fraction: float, message: str) -> None:
            if lost.is_set():
                raise LeaseLost(job_id)
            progress[stage] = round(max(0.0, min(1.0, float(fraction))), 3)
            progress["stage"], progress["message"] = stage, message[:200]
            now = time.monotonic()
            if now - last_write[0] >= self.cfg.progress_interval_s or fraction >= 1.0:
                last_write[0] = now
                with self.db.session() as s:
                    if not jobs.set_progress(s, job_id=job_id, worker_id=self.worker_id, progress=dict(progress)):
                        lost.set()
                        raise LeaseLost(job_id)

        try:
            path = self._audio(job_id, snap)
            result = self.runner(path, call_options(snap["options"]), on_progress)
            if lost.is_set():
                raise LeaseLost(job_id)
            with self.db.session() as s:
                ok = jobs.complete_job(s, job_id=job_id, worker_id=self.worker_id, attempt=attempt,
                                       result=result.model_dump(mode="json"), timings=dict(result.timings),
                                       review=self.settings.review)
            if not ok:
                log.warning("job %s: lease lost before the result was written; result discarded", job_id)
        except LeaseLost:
            log.warning("job %s: lease lost, abandoning", job_id)
        except InputError as exc:
            self._fail(job_id, exc.code, exc.message, retryable=False)
        except ParleyError as exc:
            self._fail(job_id, exc.code, exc.message, retryable=True)
        except Exception as exc:  # noqa: BLE001
            log.exception("job %s failed", job_id)
            self._fail(job_id, "internal_error", f"{type(exc).__name__}: {exc}", retryable=True)

    def _audio(self, job_id: str, snap: dict[str, Any]) -> Path:
        if snap["audio_path"]:
            return Path(snap["audio_path"])
        from services.audioprobe import probe_duration

        dest = audio_dir(self.settings, snap["tenant_id"]) / f"{job_id}.audio"
        max_bytes = int(self.settings.limits.max_file_mb * 1024 * 1024)
        try:
            n, _ctype = fetch_to_file(snap["audio_url"], dest, network=self.settings.network, max_bytes=max_bytes)
            duration = probe_duration(dest)
        except BaseException:
            dest.unlink(missing_ok=True)
            raise
        with self.db.session() as s:
            if not jobs.set_audio(s, job_id=job_id, worker_id=self.worker_id, audio_path=str(dest),
                                  audio_bytes=n, audio_duration_s=duration):
                dest.unlink(missing_ok=True)
                raise LeaseLost(job_id)
        return dest

    def _fail(self, job_id: str, code: str, message: str, *, retryable: bool) -> None:
        try:
            with self.db.session() as s:
                state = jobs.fail_job(s, job_id=job_id, worker_id=self.worker_id, code=code, message=message,
                                      retryable=retryable, backoff_s=self.cfg.retry_backoff_s)
            log.info("job %s: %s -> %s", job_id, code, state)
        except Exception:  # noqa: BLE001 - the lease will expire and the job will be retried
            log.exception("could not record failure of %s", job_id)
