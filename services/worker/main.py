"""Worker process entry: `python -m services.worker` (settings from PARLEY_* env), or run_worker_process(settings)
as a multiprocessing target (serve() starts embedded workers this way)."""

from __future__ import annotations

import logging
import signal
import threading

from services.settings import Settings
from services.store.db import open_database
from services.worker.loop import Worker
from services.worker.runner import Runner, make_runner


def run_worker_process(settings: Settings, *, runner: Runner | None = None, stop: threading.Event | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    db = open_database(settings)
    try:
        Worker(db=db, settings=settings, runner=runner or make_runner(settings)).run(stop)
    finally:
        db.dispose()


def main() -> None:
    from services.settings import get_settings

    run_worker_process(get_settings())
