"""services/serving/serve_config.yaml (the `serve deploy` file) against Ray 2.60's schema and Parley's own code:
it validates as a ServeDeploySchema with no key silently dropped, its args are valid Settings, its deployment
names exist, and building the app from its args gives exactly the options its per-deployment overrides state.
No Ray processes: the app is built the way the controller's build task builds it, minus the cluster."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

pytest.importorskip("ray.serve")

from ray.serve.config import AutoscalingConfig
from ray.serve.schema import ServeDeploySchema

import services.serving.app as serving_app
from services.autoscaler.ray_policy import (
    POLICY_PATH,
    BacklogPolicy,
    autoscaling_config,
)
from services.settings import Settings

CONFIG = Path(__file__).resolve().parents[3] / "services" / "serving" / "serve_config.yaml"


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return yaml.safe_load(CONFIG.read_text())


@pytest.fixture
def app_config(raw: dict[str, Any]) -> dict[str, Any]:
    (app,) = raw["applications"]
    return app


@pytest.fixture
def build_env(monkeypatch: pytest.MonkeyPatch, app_config: dict[str, Any]) -> None:
    """The environment the app's build task and replicas see: the file's runtime_env, no stray PARLEY_*."""
    import os

    for key in [k for k in os.environ if k.startswith("PARLEY_")]:
        monkeypatch.delenv(key)
    for key, value in app_config["runtime_env"]["env_vars"].items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def settings(build_env: None, app_config: dict[str, Any]) -> Settings:
    return Settings.model_validate(app_config["args"]["settings"])


def unknown_keys(data: Any, model: type[BaseModel], prefix: str = "") -> list[str]:
    """Keys of `data` that `model` has no field for (Settings and Ray's schemas ignore them silently)."""
    found = []
    for key, value in data.items():
        field = model.model_fields.get(key)
        if field is None:
            found.append(prefix + key)
        elif isinstance(value, dict) and isinstance(field.annotation, type) and issubclass(field.annotation,
                                                                                           BaseModel):
            found += unknown_keys(value, field.annotation, f"{prefix}{key}.")
    return found


# ------------------------------------------------------------------------------------------------- schema


def test_the_file_is_a_valid_ray_2_60_deploy_config(raw: dict[str, Any]) -> None:
    schema = ServeDeploySchema.model_validate(raw)
    (app,) = schema.applications
    assert schema.proxy_location.value == "Disabled"  # the gateway is the only ingress
    assert app.name == "parley" and app.route_prefix is None
    assert app.import_path == "services.serving.app:build_app"


def test_no_key_is_silently_dropped_by_the_schema(raw: dict[str, Any]) -> None:
    from ray.serve.schema import DeploymentSchema, ServeApplicationSchema

    assert unknown_keys(raw, ServeDeploySchema) == []
    for app in raw["applications"]:
        assert unknown_keys(app, ServeApplicationSchema) == []
        for deployment in app["deployments"]:
            assert unknown_keys(deployment, DeploymentSchema) == []


def test_runtime_env_keeps_the_air_gap(app_config: dict[str, Any]) -> None:
    env = app_config["runtime_env"]["env_vars"]
    assert all(isinstance(v, str) for v in env.values())  # Ray rejects non-string env vars at deploy time
    assert env["HF_HUB_OFFLINE"] == "1" and env["PYANNOTE_METRICS_ENABLED"] == "0"
    assert env["RAY_USAGE_STATS_ENABLED"] == "0" and env["PARLEY_PROFILE"] == "gpu"
    # No code travels through runtime_env (remote URIs only, and the controller would not see it anyway).
    assert not {"working_dir", "py_modules", "pip"} & set(app_config["runtime_env"])


# ----------------------------------------------------------------------------------------------- Parley


def test_import_path_resolves_to_build_app(app_config: dict[str, Any]) -> None:
    module, attr = app_config["import_path"].split(":")
    assert module == serving_app.__name__
    assert getattr(serving_app, attr) is serving_app.build_app


def test_args_are_gpu_settings_with_no_unknown_key(app_config: dict[str, Any], settings: Settings) -> None:
    assert unknown_keys(app_config["args"]["settings"], Settings) == []
    assert set(app_config["args"]) == {"settings"}
    assert settings.profile == "gpu"
    assert (settings.asr.device, settings.asr.compute_type) == ("cuda", "float16")
    assert settings.diarization.device == "cuda"
    assert settings.llm.backend == "openai" and settings.llm.base_url.endswith("/v1")
    assert 0 < settings.serving.asr_num_gpus < 1 and 0 < settings.serving.diarization_num_gpus < 1
    # The fractions the planner assumes are the ones the replicas reserve.
    assert settings.serving.asr_num_gpus == settings.autoscaler.asr_gpu_fraction
    assert settings.serving.diarization_num_gpus == settings.autoscaler.diarization_gpu_fraction
    assert settings.serving.app_name == app_config["name"]


def test_every_overridden_deployment_exists(app_config: dict[str, Any]) -> None:
    names = [d["name"] for d in app_config["deployments"]]
    assert len(names) == len(set(names))
    assert set(names) <= set(serving_app.DEPLOYMENTS)


def test_asr_autoscaling_is_the_backlog_policy(app_config: dict[str, Any], settings: Settings) -> None:
    (asr,) = [d for d in app_config["deployments"] if d["name"] == "AsrDeployment"]
    written = asr["autoscaling_config"]
    AutoscalingConfig(**copy.deepcopy(written))  # Ray accepts it (and imports the policy)
    assert written["policy"]["policy_function"] == POLICY_PATH
    BacklogPolicy(**written["policy"]["policy_kwargs"], backlog=object())  # our policy accepts its kwargs
    # The file states what the code derives from its args (a drift here means: update the file).
    assert _close(written, autoscaling_config("asr", settings)), autoscaling_config("asr", settings)


def _close(a: Any, b: Any) -> bool:
    """Equal, floats to 1e-6 relative (the file writes the derived rate with 8 digits)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, float) or isinstance(b, float):
        return a == pytest.approx(b, rel=1e-6)
    return a == b


# ------------------------------------------------------------------------------------- the app it builds


@pytest.fixture
def built(build_env: None, app_config: dict[str, Any]) -> dict[str, Any]:
    """build_app(args) -> Ray's own build step (what the controller's build task does before deploying)."""
    from ray.serve._private.build_app import build_app as ray_build_app

    app = serving_app.build_app(app_config["args"])
    deployments = ray_build_app(app, name=app_config["name"]).deployments
    return {d.name: d for d in deployments}


def test_build_app_gives_every_option_the_overrides_state(built: dict[str, Any],
                                                          app_config: dict[str, Any]) -> None:
    assert set(built) == set(serving_app.DEPLOYMENTS)
    for override in app_config["deployments"]:
        deployment = built[override["name"]]
        if "ray_actor_options" in override:  # replaces the code's options whole: nothing may get lost
            assert deployment.ray_actor_options == override["ray_actor_options"], override["name"]
        if "user_config" in override:
            assert deployment.user_config == override["user_config"], override["name"]
        if "autoscaling_config" in override:
            code = deployment._deployment_config.autoscaling_config.model_dump()
            for key, value in override["autoscaling_config"].items():
                if key == "policy":
                    assert code["policy"]["policy_function"] == value["policy_function"]
                    assert _close(code["policy"]["policy_kwargs"], value["policy_kwargs"])
                else:
                    assert code[key] == value, key


def test_replicas_get_the_files_settings(built: dict[str, Any], settings: Settings) -> None:
    for name in ("AsrDeployment", "DiarizationDeployment", "ExtractionDeployment", "PipelineDeployment"):
        config = built[name]._replica_config.init_args[0]
        assert config == serving_app.replica_config(settings)
        assert Settings.model_validate(config).diarization.device == "cuda"
    assert "database" not in built["AsrDeployment"]._replica_config.init_args[0]  # no secrets travel


def test_ray_accepts_build_app_as_an_application_builder(build_env: None, app_config: dict[str, Any]) -> None:
    from ray.serve._private.api import call_user_app_builder_with_args_if_necessary
    from ray.serve._private.utils import import_attr

    app = call_user_app_builder_with_args_if_necessary(import_attr(app_config["import_path"]), app_config["args"])
    assert type(app).__name__ == "Application"
