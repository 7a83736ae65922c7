"""Real models, loaded once per test session (loading them per test would multiply CI time)."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.settings import Settings


@pytest.fixture(scope="session")
def real_settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def model_manager(real_settings):
    from services.pipeline.run import ModelManager

    manager = ModelManager(real_settings)
    yield manager
    manager.unload()


@pytest.fixture(scope="session")
def pyannote_sample() -> Path:
    """The real two-speaker recording (with RTTM and STM) shipped inside the pyannote.audio wheel."""
    from models.registry import package_dir

    folder = package_dir("pyannote") / "audio" / "sample"
    assert (folder / "sample.wav").exists(), "pyannote.audio sample missing: run scripts/setup.sh"
    return folder
