"""The one settings tree. Environment variables use the prefix PARLEY_ and `__` between sections, e.g.
PARLEY_ASR__BEAM_SIZE=1 or PARLEY_LIMITS__MAX_DURATION_S=7200. Every field is documented in README.md
("Settings"). Build it with get_settings() (cached) or Settings(...) in tests; never read os.environ elsewhere.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.autoscaler.settings import AutoscalerSettings
from services.crm.settings import CrmSettings

Profile = Literal["cpu", "gpu"]


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "parley"


class ModelsSettings(BaseModel):
    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="where weights joined from pip packages are written (models/joined/...)",
    )
    asr: str = Field("whisper-base", description="ASR model name from the manifest, or a path to a CT2 folder")
    segmentation: str = Field("pyannote-segmentation-3.0", description="speaker segmentation model (manifest name)")
    speaker_embedding: str = Field("campplus-sv-zh-en", description="speaker embedding model (manifest name)")
    ner: str = Field("spacy-en-sm", description="spaCy model name from the manifest")
    llm: str = Field("qwen2.5-coder-1.5b-q4km", description="extraction LLM name from the manifest or a path")


class AsrSettings(BaseModel):
    device: Literal["cpu", "cuda", "auto"] = Field("cpu", description="CTranslate2 device; the gpu profile sets cuda")
    compute_type: str = Field("int8", description="CTranslate2 compute type: int8, int8_float16, float16, ...")
    cpu_threads: int = Field(1, ge=1, description="1 is fastest when other stages share a 2-core box")
    beam_size: int = Field(5, ge=1, description="beam search width; 1 = greedy (faster, ~1-2 pt worse WER)")
    vad_filter: bool = Field(True, description="Silero VAD before decoding; off multiplies WER on calls with gaps")
    vad_min_silence_ms: int = Field(500, description="silence that splits VAD speech chunks (ms)")
    vad_threshold: float = Field(0.5, description="Silero VAD speech probability threshold (wideband audio)")
    vad_threshold_telephone: float = Field(
        0.35, description="VAD threshold for sources at 8 kHz or less: band-limited speech scores lower"
    )
    no_speech_threshold: float = Field(0.6, description="segment dropped when no-speech prob is above this ...")
    log_prob_threshold: float = Field(-1.0, description="... and its average log-prob is below this")
    compression_ratio_threshold: float = Field(2.4, description="segments more compressible are loops: dropped")
    condition_on_previous_text: bool = Field(
        True,
        description="feed the previous window's text as context: WER 11.9 -> 7.9 % on the demo call; loops it can "
        "start are cut by the guards",
    )
    max_repeats: int = Field(4, description="an n-gram repeated more than this many times in a row is cut")
    language: str | None = Field(None, description="force a language code; None detects it")


class DiarizationSettings(BaseModel):
    device: Literal["cpu", "cuda"] = Field("cpu", description="torch device for segmentation and embeddings")
    threshold: float = Field(
        0.75,
        description="clustering threshold: distance between centroids of unit-normalised embeddings; 0.70-0.80 "
        "was right at every step on 4 of 5 tuning recordings (benchmarks/results/diarization-tuning-2026-11-21.md)",
    )
    clustering_method: str = Field("centroid", description="pyannote agglomerative linkage method")
    min_cluster_size: int = Field(12, ge=1, le=20, description="smaller clusters merge into the nearest large one")
    embedding_exclude_overlap: bool = Field(True, description="embed without overlapped frames when enough remain")
    min_duration_off: float = Field(0.0, description="fill non-speech gaps shorter than this (s)")
    segmentation_step: float = Field(0.1, description="sliding-window step as a fraction of the 10 s window")
    embedding_batch_size: int = Field(16, description="speaker-embedding batch size")
    segmentation_batch_size: int = Field(16, description="segmentation batch size")
    min_speakers: int | None = Field(None, description="lower bound on speakers found (None: free)")
    max_speakers: int | None = Field(None, description="upper bound on speakers found (None: free)")
    torch_threads: int = Field(1, description="torch intra-op threads; 1 beat 2 under load on 2 cores")


class NlpSettings(BaseModel):
    pii_types: tuple[str, ...] = Field(
        ("PERSON", "PHONE", "EMAIL", "CREDIT_CARD", "SSN", "IBAN"),
        description="entity types replaced by [TYPE] in redacted_text",
    )
    sentiment: Literal["vader"] = Field("vader", description="sentiment method: VADER lexicon (see README)")


class LlmSettings(BaseModel):
    backend: Literal["llama_cpp", "openai"] = Field(
        "llama_cpp", description="llama_cpp: in-process GGUF (CPU); openai: an OpenAI-compatible server (vLLM)"
    )
    base_url: str = Field("http://127.0.0.1:8001/v1", description="OpenAI-compatible server (backend=openai)")
    served_model: str = Field("parley-extractor", description="model name sent to the server (backend=openai)")
    n_threads: int = Field(2, ge=1, description="llama.cpp generation threads")
    n_ctx: int = Field(8192, ge=1024, description="context window (tokens); longer calls are condensed")
    max_tokens: int = Field(
        256, ge=32, description="most tokens one extraction answer may use (a line answer needs ~8, the facts ~60)"
    )
    temperature: float = Field(0.0, description="0 = deterministic extraction")
    seed: int = Field(7, description="sampling seed")
    request_timeout_s: float = Field(600.0, description="HTTP timeout for backend=openai")


class LeadSettings(BaseModel):
    review_threshold: float = Field(0.6, description="confidence below this marks needs_review")
    tracked_competitors: tuple[str, ...] = Field(
        (), description='competitor names always tracked, e.g. ["Salesforce","HubSpot"] (also ASR vocabulary)'
    )


class LimitsSettings(BaseModel):
    max_duration_s: float = Field(4 * 3600, description="longest accepted recording")
    max_file_mb: float = Field(500, description="largest accepted file")
    min_duration_s: float = Field(0.5, description="shorter audio is rejected as empty")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PARLEY_", env_nested_delimiter="__", extra="ignore")

    profile: Profile = Field("cpu", description="cpu (default) or gpu: device and LLM backend presets")
    models: ModelsSettings = Field(default_factory=ModelsSettings)
    asr: AsrSettings = Field(default_factory=AsrSettings)
    diarization: DiarizationSettings = Field(default_factory=DiarizationSettings)
    nlp: NlpSettings = Field(default_factory=NlpSettings)
    llm: LlmSettings = Field(default_factory=LlmSettings)
    lead: LeadSettings = Field(default_factory=LeadSettings)
    limits: LimitsSettings = Field(default_factory=LimitsSettings)
    database: DatabaseSettings = Field(default_factory=lambda: DatabaseSettings())
    server: ServerSettings = Field(default_factory=lambda: ServerSettings())
    api: ApiSettings = Field(default_factory=lambda: ApiSettings())
    auth: AuthSettings = Field(default_factory=lambda: AuthSettings())
    worker: WorkerSettings = Field(default_factory=lambda: WorkerSettings())
    webhooks: WebhooksSettings = Field(default_factory=lambda: WebhooksSettings())
    network: NetworkSettings = Field(default_factory=lambda: NetworkSettings())
    retention: RetentionSettings = Field(default_factory=lambda: RetentionSettings())
    serving: ServingSettings = Field(default_factory=lambda: ServingSettings())
    autoscaler: AutoscalerSettings = Field(default_factory=lambda: AutoscalerSettings())
    crm: CrmSettings = Field(default_factory=lambda: CrmSettings())
    review: ReviewSettings = Field(default_factory=lambda: ReviewSettings())
    crm_sync: CrmSyncSettings = Field(default_factory=lambda: CrmSyncSettings())


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


# ------------------------------------------------------------------------------------------ server
# Sections below configure the durable HTTP service (gateway, worker, outbox, retention). See README ("Server").

from pydantic import SecretStr  # noqa: E402  (kept with the server sections)


class DatabaseSettings(BaseModel):
    url: SecretStr | None = Field(
        None,
        description="SQLAlchemy URL, e.g. postgresql+psycopg://user:pw@host/db; None = embedded SQLite file "
        "<server.data_dir>/parley.db",
    )
    pool_size: int = Field(5, ge=1, description="connections per process (PostgreSQL)")
    auto_migrate: bool = Field(True, description="run Alembic migrations to head at startup")
    echo: bool = Field(False, description="log every SQL statement (debugging)")


class ServerSettings(BaseModel):
    data_dir: Path = Field(
        default_factory=lambda: _default_data_dir() / "server",
        description="uploaded audio (audio/<tenant>/<job>) and the embedded SQLite database",
    )


class ApiSettings(BaseModel):
    host: str = Field("127.0.0.1", description="bind address; a non-loopback address requires auth.enabled")
    port: int = Field(8080, ge=0, le=65535, description="listen port")
    public_url: str | None = Field(None, description="base URL used in status_url; None = from the request")
    allowed_content_types: tuple[str, ...] = Field(
        (
            "audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave", "audio/mpeg", "audio/mp3", "audio/mp4",
            "audio/x-m4a", "audio/m4a", "audio/aac", "audio/flac", "audio/x-flac", "audio/ogg", "audio/opus",
            "audio/webm", "audio/basic", "video/mp4", "video/webm", "application/octet-stream",
        ),
        description="content types accepted for uploads (415 otherwise)",
    )
    rate_limit_per_s: float = Field(20.0, gt=0, description="sustained submissions per second per tenant")
    rate_limit_burst: int = Field(50, ge=1, description="token-bucket size per tenant")
    max_queued_jobs: int = Field(10_000, ge=1, description="queued jobs above this answer 429 queue_full")
    sync_timeout_s: float = Field(600.0, gt=0, description="how long /v1/audio/transcriptions waits")
    max_page_size: int = Field(100, ge=1, description="largest page of GET /v1/calls")
    docs: bool = Field(True, description="serve /docs and /openapi.json")


class AuthSettings(BaseModel):
    enabled: bool = Field(False, description="require an API key; off = every request is tenant 'default'")
    api_keys: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="tenant -> API key, created at startup (stored hashed). Keys can also be created in the DB",
    )


class WorkerSettings(BaseModel):
    embedded: bool = Field(True, description="serve() starts worker process(es) next to the gateway")
    processes: int = Field(1, ge=0, description="embedded worker processes")
    lease_s: float = Field(60.0, gt=0, description="a job whose lease is not renewed for this long is retried")
    heartbeat_s: float = Field(10.0, gt=0, description="lease renewal interval (must be < lease_s)")
    poll_interval_s: float = Field(0.5, gt=0, description="idle wait between claim attempts")
    max_attempts: int = Field(3, ge=1, description="runs per job (crashes and transient errors count)")
    retry_backoff_s: float = Field(5.0, ge=0, description="delay before a failed attempt is retried")
    progress_interval_s: float = Field(0.5, ge=0, description="minimum time between progress writes")
    runner: Literal["pipeline", "fake"] = Field(
        "pipeline",
        description="'pipeline' runs the real models; 'fake' is TEST-ONLY (no models, synthetic result)",
    )
    fake_stage_s: float = Field(0.02, ge=0, description="TEST-ONLY: seconds per stage of the fake runner")


class WebhooksSettings(BaseModel):
    secret: SecretStr | None = Field(
        None, description="HMAC-SHA256 signing secret; required with profile=gpu or auth.enabled"
    )
    max_attempts: int = Field(8, ge=1, description="deliveries before dead letter")
    backoff_base_s: float = Field(1.0, ge=0, description="first retry delay; doubles per attempt, with jitter")
    backoff_max_s: float = Field(600.0, ge=0, description="longest retry delay")
    timeout_s: float = Field(10.0, gt=0, description="per-delivery HTTP timeout (a timeout is retried)")
    poll_interval_s: float = Field(0.5, gt=0, description="idle wait of the outbox dispatcher")
    batch_size: int = Field(20, ge=1, description="deliveries claimed per dispatcher round")


class NetworkSettings(BaseModel):
    """Outbound requests (audio_url fetch, webhooks): SSRF guards."""

    allowed_schemes: tuple[str, ...] = Field(("https", "http"), description="URL schemes allowed for audio_url and callback_url")
    allow_private: bool = Field(False, description="allow private, loopback, link-local targets")
    allowed_hosts: tuple[str, ...] = Field(
        (), description="hosts or CIDRs allowed even when private (e.g. 127.0.0.1 for tests)"
    )
    max_redirects: int = Field(3, ge=0, description="redirects followed by audio_url fetches (each hop re-checked)")
    connect_timeout_s: float = Field(5.0, gt=0, description="TCP/TLS connect timeout of outbound requests")
    fetch_timeout_s: float = Field(60.0, gt=0, description="read timeout of audio_url downloads")


class ServingSettings(BaseModel):
    """Ray Serve (services/serving/): `parley serve --ray` hands jobs to Serve deployments instead of running
    models in the worker processes. See README ("Distributed serving on Ray")."""

    backend: Literal["inprocess", "ray"] = Field(
        "inprocess", description="where workers run the pipeline: in their own process, or through Ray Serve"
    )
    ray_address: str | None = Field(
        None, description="Ray cluster to join (e.g. 10.0.0.5:6379 or 'auto'); None = start a local runtime"
    )
    deploy: bool = Field(True, description="deploy the app at startup; false = it was deployed by `serve deploy`")
    app_name: str = Field("parley", description="Serve application name")
    namespace: str = Field("parley", description="Ray namespace shared by the gateway, workers and the app")
    local_num_cpus: int | None = Field(None, ge=1, description="CPUs of a local runtime (None: all)")
    local_num_gpus: int | None = Field(
        None, ge=0, description="GPUs of a local runtime (None: detected); logical GPUs let fractional replicas schedule"
    )
    asr_batching: bool = Field(True, description="cross-call batching of ASR chunks (off: one chunk per batch)")
    asr_batch_audio_s: int = Field(
        240, ge=30, description="largest ASR batch in audio seconds (chunks are <= 30 s: 240 = up to 8 chunks)"
    )
    asr_batch_wait_s: float = Field(0.05, ge=0, description="how long a batch waits for more chunks to arrive")
    asr_replicas: int = Field(1, ge=1, description="ASR replicas (fixed count when autoscaling is off)")
    diarization_replicas: int = Field(1, ge=1, description="diarization replicas")
    extraction_replicas: int = Field(1, ge=1, description="extraction (LLM) replicas")
    pipeline_replicas: int = Field(1, ge=1, description="pipeline (decode, alignment, NLP, composition) replicas")
    pipeline_max_ongoing: int = Field(8, ge=1, description="calls one pipeline replica composes at once")
    asr_num_gpus: float = Field(0.0, ge=0, description="GPUs per ASR replica (gpu profile: 0.5)")
    diarization_num_gpus: float = Field(0.0, ge=0, description="GPUs per diarization replica (gpu profile: 0.25)")
    extraction_num_gpus: float = Field(0.0, ge=0, description="GPUs per extraction replica (0 when vLLM serves it)")
    num_cpus_per_replica: float = Field(1.0, ge=0, description="CPUs reserved by each model replica")
    autoscaling: bool = Field(False, description="scale model replicas on queued audio (services/autoscaler)")
    request_timeout_s: float = Field(3600.0, gt=0, description="longest one call may take through Serve")
    ready_timeout_s: float = Field(600.0, gt=0, description="how long startup waits for the app to be RUNNING")


class RetentionSettings(BaseModel):
    default_ttl_days: float | None = Field(
        None, description="hard-delete audio, transcripts and results this long after a job ends; None keeps"
    )
    sweep_interval_s: float = Field(300.0, gt=0, description="how often the retention sweeper runs")


class ReviewSettings(BaseModel):
    """Lead routing and the review queue (README "Review queue and lead routing"). Routing values are the
    defaults of every tenant; PUT /v1/leads/routing overrides them per tenant."""

    threshold: float = Field(
        0.7, ge=0.0, le=1.0, description="a lead with confidence at or above this (and valid evidence) syncs unreviewed"
    )
    hot_leads: Literal["review", "threshold", "never"] = Field(
        "review",
        description="hot leads: review = always reviewed (first in the queue); threshold = routed like the others; "
        "never = skip the confidence threshold (evidence and needs_review still checked)",
    )
    needs_review_always: bool = Field(True, description="a lead the extractor flagged needs_review always waits for a person")
    events_url: str | None = Field(
        None, description="default receiver of the Lead* domain events of every tenant (besides each call's callback_url)"
    )
    session_secret: SecretStr | None = Field(
        None,
        description="signs /review session cookies; None = random per process (sessions end on restart; set it when "
        "several gateway replicas serve /review)",
    )
    session_ttl_s: float = Field(8 * 3600, gt=0, description="lifetime of a /review login session")
    page_size: int = Field(50, ge=1, le=500, description="leads per page of the /review queue")


class CrmSyncSettings(BaseModel):
    """The CRM sync dispatcher (services/crm/sync.py), run next to the webhook dispatcher by `parley serve`."""

    enabled: bool = Field(True, description="run the dispatcher in the gateway process (off: approved leads wait)")
    poll_interval_s: float = Field(1.0, gt=0, description="idle wait between claim rounds")
    batch_size: int = Field(20, ge=1, description="sync rows claimed per round (synced concurrently)")
    lease_s: float = Field(120.0, gt=0, description="a claimed row is invisible to other dispatchers this long")
    max_attempts: int = Field(
        60, ge=1, description="retry outcomes (5xx, timeouts) before a row fails; 429s and parked waits do not count"
    )
    backoff_base_s: float = Field(
        2.0, ge=0, description="first retry delay of an outcome without one (an adapter that raised; the CRM adapters "
        "give their own: crm.retry_base_s .. crm.retry_max_s, Retry-After, rate-limit interval); doubles, with jitter"
    )
    backoff_max_s: float = Field(
        600.0, ge=0, description="longest such delay: with 60 tries a row outlasts an outage of at least 4 h (6.5 h on average)"
    )


Settings.model_rebuild()
