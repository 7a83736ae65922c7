"""Gladia-compatible and OpenAI-compatible APIs."""

from __future__ import annotations

import threading

from services.worker.fake import fake_runner
from services.worker.loop import Worker
from tests.unit.server.conftest import KEYS, auth, make_wav
from tests.unit.server.receiver import Receiver


def test_gladia_prerecorded_roundtrip(client, db, settings):
    with Receiver(files={"call.wav": make_wav(1.2)}) as rx:
        body = {"audio_url": f"{rx.url}/audio/call.wav", "diarization": True, "detect_language": True,
                "enable_code_switching": True, "sentiment_analysis": True, "named_entity_recognition": True,
                "custom_vocabulary": ["Parley", {"value": "BANT"}], "callback_url": f"{rx.url}/hook",
                "diarization_config": {"number_of_speakers": 2}, "some_future_option": 1}
        r = client.post("/v2/pre-recorded", json=body, headers={"x-gladia-key": KEYS["acme"]})
        assert r.status_code == 201, r.text
        jid, result_url = r.json()["id"], r.json()["result_url"]
        assert result_url.endswith(f"/v2/pre-recorded/{jid}")
        assert client.get(f"/v2/pre-recorded/{jid}", headers={"x-gladia-key": KEYS["acme"]}).json()["status"] == "queued"
        Worker(db=db, settings=settings, runner=fake_runner(settings)).run_once()
    got = client.get(f"/v2/pre-recorded/{jid}", headers={"x-gladia-key": KEYS["acme"]}).json()
    assert got["status"] == "done" and got["request_params"]["sentiment_analysis"] is True
    tr = got["result"]["transcription"]
    assert tr["full_transcript"] == "hello world" and tr["utterances"][0]["speaker"] == 0
    assert tr["utterances"][0]["words"][0]["word"] == "hello"
    assert "sentiment_analysis" in got["result"] and "named_entity_recognition" in got["result"]
    opts = client.get(f"/v1/calls/{jid}", headers=auth()).json()["options"]
    assert opts["vocabulary"] == ["Parley", "BANT"] and opts["num_speakers"] == 2 and opts["diarization"] is True
    assert client.get(f"/v2/pre-recorded/{jid}", headers={"x-gladia-key": KEYS["globex"]}).status_code == 404


def test_openai_transcriptions_sync(client, db, settings):
    stop = threading.Event()
    w = threading.Thread(target=Worker(db=db, settings=settings, runner=fake_runner(settings)).run, args=(stop,))
    w.start()
    try:
        files = {"file": ("a.wav", make_wav(1.0), "audio/wav")}
        r = client.post("/v1/audio/transcriptions", headers=auth(), files=files, data={"model": "whisper-1"})
        assert r.status_code == 200 and r.json() == {"text": "hello world"}
        r = client.post("/v1/audio/transcriptions", headers=auth(), files=files,
                        data={"model": "whisper-1", "response_format": "verbose_json", "language": "en"})
        assert r.json()["language"] == "en" and r.json()["segments"][0]["text"] == "hello world"
        r = client.post("/v1/audio/transcriptions", headers=auth(), files=files, data={"response_format": "srt"})
        assert r.text.startswith("1\n00:00:00,000 --> 00:00:00,900\nhello world")
        r = client.post("/v1/audio/transcriptions", headers=auth(),
                        files={"file": ("a.wav", b"junk" * 100, "audio/wav")})
        assert (r.status_code, r.json()["error"]["code"]) == (415, "audio_undecodable")
    finally:
        stop.set()
        w.join(5)
