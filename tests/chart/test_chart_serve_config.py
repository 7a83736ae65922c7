"""serveConfigV2 is the app config `parley serve --ray` deploys, so the two cannot drift: the chart embeds
services/serving/serve_config.yaml (files/serve_config.yaml, byte-equal), the rendered config equals it with the
values' documented overrides merged in, and it validates as Ray 2.60's ServeDeploySchema with Settings and the
backlog policy accepting its arguments."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

pytest.importorskip("helm_python", reason="CI-only: pip install -r requirements-ci.txt")
pytest.importorskip("ray.serve")

from tests.chart.render import CHART, CI_VALUES, ROOT, deep_merge, render, rendered  # noqa: E402

APP_CONFIG = ROOT / "services" / "serving" / "serve_config.yaml"


def serve_config(rayservice: dict[str, Any]) -> dict[str, Any]:
    return yaml.safe_load(rayservice["spec"]["serveConfigV2"])


def expected(values: dict[str, Any]) -> dict[str, Any]:
    """The app config with ray.serve.settingsOverrides / deploymentOverrides applied as values.yaml documents."""
    config = yaml.safe_load(APP_CONFIG.read_text())
    serve = values.get("ray", {}).get("serve", {})
    (app,) = config["applications"]
    app["args"]["settings"] = deep_merge(app["args"]["settings"], serve.get("settingsOverrides", {}))
    overrides = serve.get("deploymentOverrides", {})
    app["deployments"] = [deep_merge(d, overrides.get(d["name"], {})) for d in app["deployments"]]
    return config


def test_the_chart_embeds_the_app_config_byte_for_byte() -> None:
    """Edit services/serving/serve_config.yaml, then copy it to charts/parley/files/ (this test says so)."""
    embedded = CHART / "files" / "serve_config.yaml"
    assert embedded.read_bytes() == APP_CONFIG.read_bytes(), (
        f"cp {APP_CONFIG.relative_to(ROOT)} {embedded.relative_to(ROOT)}")


def test_default_values_deploy_the_app_config_unchanged() -> None:
    values = {"secrets": {"apiKeys": {"name": "k"}, "webhookSecret": {"name": "w"}},
              "database": {"external": {"existingSecret": "db"}}}
    service = next(o for o in render(values) if o["kind"] == "RayService")
    assert serve_config(service) == yaml.safe_load(APP_CONFIG.read_text())


@pytest.mark.parametrize("name", CI_VALUES)
def test_rendered_serve_config_is_the_app_config_plus_documented_overrides(name: str) -> None:
    r = rendered(name)
    assert serve_config(r.one("RayService")) == expected(r.values)


@pytest.mark.parametrize("name", CI_VALUES)
def test_rendered_serve_config_is_valid_for_ray_and_parley(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from ray.serve.schema import ServeDeploySchema

    from services.autoscaler.policy import ScalingConfig
    from services.settings import Settings

    config = serve_config(rendered(name).one("RayService"))
    schema = ServeDeploySchema.model_validate(config)
    (app,) = schema.applications
    assert app.import_path == "services.serving.app:build_app"
    for key in [k for k in os.environ if k.startswith("PARLEY_")]:
        monkeypatch.delenv(key)
    raw_settings = config["applications"][0]["args"]["settings"]
    settings = Settings.model_validate(raw_settings)
    # Settings ignores unknown keys: a misspelt override must not vanish silently.
    assert settings.model_dump(include=set(raw_settings)).keys() == raw_settings.keys()
    for section, fields in raw_settings.items():
        if isinstance(fields, dict):
            model = type(getattr(settings, section))
            assert set(fields) <= set(model.model_fields), f"unknown {section} field in {sorted(fields)}"
    deployments = {d.name: d for d in app.deployments}
    assert set(deployments) <= {"AsrDeployment", "DiarizationDeployment", "ExtractionDeployment",
                                "PipelineDeployment"}
    for raw in config["applications"][0]["deployments"]:
        policy = (raw.get("autoscaling_config") or {}).get("policy")
        if policy:
            ScalingConfig(**policy["policy_kwargs"]["config"])  # the backlog policy's own checks


def test_cpu_values_put_no_replica_on_a_gpu() -> None:
    config = serve_config(rendered("cpu").one("RayService"))
    app = config["applications"][0]
    assert app["args"]["settings"]["asr"]["device"] == "cpu"
    for d in app["deployments"]:
        assert d.get("ray_actor_options", {}).get("num_gpus", 0) == 0, d["name"]


def test_gpu_values_let_the_model_replicas_scale_to_zero() -> None:
    app = serve_config(rendered("gpu").one("RayService"))["applications"][0]
    assert app["args"]["settings"]["autoscaler"]["scale_to_zero"] is True
    asr = next(d for d in app["deployments"] if d["name"] == "AsrDeployment")
    assert asr["autoscaling_config"]["min_replicas"] == 0
    assert asr["autoscaling_config"]["policy"]["policy_kwargs"]["config"]["scale_to_zero"] is True
