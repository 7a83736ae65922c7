"""Gladia-compatible pre-recorded API: POST /v2/pre-recorded, GET /v2/pre-recorded/{id}.

Request fields as Gladia's v2 API (audio_url, diarization, diarization_config, detect_language, language,
enable_code_switching, sentiment_analysis, named_entity_recognition, custom_vocabulary, callback_url /
callback_config); unknown Gladia options are accepted and ignored. Parley extension: `context` (the
CallContextIn of /v1: known names, used as ASR hotwords; Gladia jobs extract no lead).
Auth: `x-gladia-key: <Parley API key>`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from services.gateway import serving
from services.gateway.deps import DbDep, SettingsDep, SubmitTenantDep, TenantDep
from services.gateway.errors import ERROR_CODES
from services.gateway.protocol import LANG_PATTERN, CallContextIn, CreateCallFromUrl

router = APIRouter(prefix="/v2/pre-recorded", tags=["compat: gladia"])


class VocabularyEntry(BaseModel):
    model_config = ConfigDict(extra="ignore")
    value: str = Field(max_length=100)


class DiarizationConfig(BaseModel):
    model_config = ConfigDict(extra="ignore")
    number_of_speakers: int | None = Field(None, ge=1, le=32)
    min_speakers: int | None = Field(None, ge=1, le=32)
    max_speakers: int | None = Field(None, ge=1, le=32)


class VocabularyConfig(BaseModel):
    model_config = ConfigDict(extra="ignore")
    vocabulary: list[str | VocabularyEntry] = Field(default_factory=list, max_length=200)


class CallbackConfig(BaseModel):
    model_config = ConfigDict(extra="ignore")
    url: str = Field(max_length=2048)


class GladiaRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    audio_url: str = Field(max_length=2048)
    diarization: bool = False
    diarization_config: DiarizationConfig | None = None
    detect_language: bool = True
    enable_code_switching: bool = False
    language: str | None = Field(None, pattern=LANG_PATTERN)
    sentiment_analysis: bool = False
    named_entity_recognition: bool = False
    custom_vocabulary: bool | list[str | VocabularyEntry] | None = None
    custom_vocabulary_config: VocabularyConfig | None = None
    callback_url: str | None = Field(None, max_length=2048)
    callback: bool | None = None
    callback_config: CallbackConfig | None = None
    custom_metadata: dict[str, Any] | None = None
    context: CallContextIn | None = Field(None, description="Parley extension: names known before the call "
                                          "(own company, products, competitors, accounts, contacts): ASR hotwords")

    def vocabulary(self) -> list[str]:
        items: list[str | VocabularyEntry] = []
        if isinstance(self.custom_vocabulary, list):
            items += self.custom_vocabulary
        if self.custom_vocabulary is not False and self.custom_vocabulary_config:
            items += self.custom_vocabulary_config.vocabulary
        return [i if isinstance(i, str) else i.value for i in items]


class GladiaCreated(BaseModel):
    id: str
    result_url: str


class GladiaJob(BaseModel):
    id: str
    request_id: str
    kind: Literal["pre-recorded"] = "pre-recorded"
    status: Literal["queued", "processing", "done", "error"]
    created_at: datetime
    completed_at: datetime | None = None
    custom_metadata: dict[str, Any] | None = None
    error_code: int | None = None
    file: dict[str, Any] | None = None
    request_params: dict[str, Any]
    result: dict[str, Any] | None = None


_STATUS = {"queued": "queued", "running": "processing", "succeeded": "done", "failed": "error"}


def _speaker_index(label: str | None) -> int:
    digits = "".join(ch for ch in (label or "") if ch.isdigit())
    return int(digits) if digits else 0


def _gladia_result(result: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    words = result.get("words", [])
    utterances = []
    for u in result.get("utterances", []):
        a, b = (u.get("word_range") or [0, 0])[:2]
        ws = [{"word": w["text"], "start": w["start"], "end": w["end"], "confidence": w["confidence"]}
              for w in words[a:b]]
        conf = sum(w["confidence"] for w in ws) / len(ws) if ws else 0.0
        utterances.append({"start": u["start"], "end": u["end"], "confidence": round(conf, 4), "channel": 0,
                           "speaker": _speaker_index(u.get("speaker")), "text": u["text"],
                           "language": result.get("language"), "words": ws})
    out: dict[str, Any] = {
        "metadata": {"audio_duration": result.get("audio", {}).get("duration_s"),
                     "number_of_distinct_channels": result.get("audio", {}).get("channels", 1),
                     "transcription_time": sum(result.get("timings", {}).values())},
        "transcription": {"full_transcript": " ".join(u["text"] for u in result.get("utterances", [])),
                          "languages": [result.get("language")], "utterances": utterances},
    }
    if params.get("sentiment_analysis"):
        out["sentiment_analysis"] = {"success": True, "results": [
            {"text": u["text"], "start": u["start"], "end": u["end"], "speaker": _speaker_index(u.get("speaker")),
             "sentiment": (u.get("sentiment") or {}).get("label", "neutral"), "emotion": None}
            for u in result.get("utterances", [])]}
    if params.get("named_entity_recognition"):
        out["named_entity_recognition"] = {"success": True, "results": [
            {"entity_type": e["type"], "text": e["text"], "start": e["start"], "end": e["end"]}
            for e in result.get("entities", [])]}
    return out


def _result_url(request: Request, settings, job_id: str) -> str:  # noqa: ANN001
    base = settings.api.public_url.rstrip("/") if settings.api.public_url else str(request.base_url).rstrip("/")
    return f"{base}/v2/pre-recorded/{job_id}"


@router.post("", status_code=201, response_model=GladiaCreated)
async def create(body: GladiaRequest, request: Request, tenant: SubmitTenantDep, db: DbDep,
                 settings: SettingsDep) -> GladiaCreated:
    dc = body.diarization_config
    callback = body.callback_url or (body.callback_config.url if body.callback_config and body.callback is not False
                                     else None)
    req = CreateCallFromUrl(
        audio_url=body.audio_url, diarization=body.diarization,
        num_speakers=dc.number_of_speakers if dc else None,
        language=None if body.detect_language and not body.language else body.language,
        vocabulary=body.vocabulary(), extract_lead=False, callback_url=callback,
        metadata=body.custom_metadata or {}, context=body.context or CallContextIn(),
    )
    params = body.model_dump(mode="json", exclude_none=True)
    job = await run_in_threadpool(serving.accept_url, db=db, settings=settings, tenant_id=tenant, request=req,
                                  api="gladia", extra_options={"gladia": params})
    return GladiaCreated(id=job.id, result_url=_result_url(request, settings, job.id))


@router.get("/{job_id}", response_model=GladiaJob)
def get(job_id: str, tenant: TenantDep, db: DbDep) -> GladiaJob:
    job, result = serving.load(db, tenant_id=tenant, job_id=job_id)
    params = (job.options or {}).get("gladia") or {"audio_url": job.audio_url}
    return GladiaJob(
        id=job.id, request_id=job.id, status=_STATUS[job.status], created_at=job.created_at,
        completed_at=job.finished_at, custom_metadata=job.meta or None,
        error_code=ERROR_CODES.get(job.error_code or "", 500) if job.status == "failed" else None,
        file={"id": job.id, "filename": job.filename, "source": job.audio_url,
              "audio_duration": job.audio_duration_s, "number_of_channels": None},
        request_params=params, result=_gladia_result(result, params) if result else None,
    )
