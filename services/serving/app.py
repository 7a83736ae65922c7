"""`build_app(args) -> Application`: the Serve application. Four deployments:

    PipelineDeployment --(handles)--> AsrDeployment          (cross-call batching in audio seconds)
                                  --> DiarizationDeployment
                                  --> ExtractionDeployment   (llama.cpp on cpu; a vLLM client on gpu)

`args` is what `serve run services.serving.app:build_app settings=...` or a Serve config file's `args:` gives:
{"settings": {<Settings fields>}}. Anything not given comes from each replica's PARLEY_* environment. Replica
resources, counts and batching come from `settings.serving`; the gpu profile sets fractional GPUs.
"""

from __future__ import annotations

from typing import Any

from services.settings import Settings

# Settings sections the replicas need. Secrets (database, auth, webhooks) never travel into the app.
REPLICA_SECTIONS = {"profile", "models", "asr", "diarization", "nlp", "llm", "lead", "limits", "serving"}
DEPLOYMENTS = ("AsrDeployment", "DiarizationDeployment", "ExtractionDeployment", "PipelineDeployment")


def replica_config(settings: Settings) -> dict[str, Any]:
    """The settings a replica rebuilds itself from (plain JSON: it crosses process and node boundaries)."""
    return settings.model_dump(mode="json", include=REPLICA_SECTIONS)


def _scaling(settings: Settings, stage: str, replicas: int) -> dict[str, Any]:
    """Fixed replicas, or the backlog autoscaler's config when serving.autoscaling is on."""
    if settings.serving.autoscaling:
        from services.autoscaler.ray_policy import autoscaling_config

        return {"autoscaling_config": autoscaling_config(stage, settings)}
    return {"num_replicas": replicas}


def build_app(args: dict[str, Any]) -> Any:
    """The Serve application builder (`serve run` / `serve deploy` call it with the config's `args`; Ray 2.60
    requires exactly one parameter)."""
    return build_app_from_settings(Settings.model_validate((args or {}).get("settings", {})))


def build_app_from_settings(settings: Settings) -> Any:
    from ray import serve

    from services.serving.deployments import (
        AsrDeployment,
        DiarizationDeployment,
        ExtractionDeployment,
        PipelineDeployment,
    )

    config = replica_config(settings)
    s = settings.serving
    cpus = s.num_cpus_per_replica

    def resources(num_gpus: float) -> dict[str, float]:
        # num_gpus only when asked: a zero still makes Ray treat the replica as a GPU one in some paths.
        return {"num_cpus": cpus, **({"num_gpus": num_gpus} if num_gpus > 0 else {})}

    asr = serve.deployment(AsrDeployment).options(
        name="AsrDeployment", ray_actor_options=resources(s.asr_num_gpus),
        # Every chunk of every call is one request; Ray compares this bound with the batch size (in audio
        # seconds here), so it is at least that many, or Ray warns that batches can never fill.
        max_ongoing_requests=max(64, s.asr_batch_audio_s),
        user_config={"batching": s.asr_batching, "batch_audio_s": s.asr_batch_audio_s,
                     "batch_wait_s": s.asr_batch_wait_s},
        **_scaling(settings, "asr", s.asr_replicas),
    ).bind(config)
    diarization = serve.deployment(DiarizationDeployment).options(
        name="DiarizationDeployment", ray_actor_options=resources(s.diarization_num_gpus),
        max_ongoing_requests=1, **_scaling(settings, "diarization", s.diarization_replicas),
    ).bind(config)
    extraction = serve.deployment(ExtractionDeployment).options(
        name="ExtractionDeployment", ray_actor_options=resources(s.extraction_num_gpus),
        max_ongoing_requests=1, **_scaling(settings, "extraction", s.extraction_replicas),
    ).bind(config)
    return serve.deployment(PipelineDeployment).options(
        name="PipelineDeployment", ray_actor_options={"num_cpus": 0},  # waits on the others; holds no model
        max_ongoing_requests=s.pipeline_max_ongoing, num_replicas=s.pipeline_replicas,
    ).bind(config, asr, diarization, extraction)
