"""The chart lints, renders and validates offline for every CI values file: helm lint (Helm 4 SDK), every
built-in object against the Kubernetes 1.29 and 1.37 schemas in strict mode (unknown fields fail), the
RayService against the KubeRay 1.7.0 CRD schema, and the values schema refuses what it should."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

helm = pytest.importorskip("helm_python", reason="CI-only: pip install -r requirements-ci.txt")
kubernetes_validate = pytest.importorskip("kubernetes_validate", reason="CI-only: requirements-ci.txt")

from tests.chart.render import CHART, CI_VALUES, KUBE_VERSIONS, ci_values, pod_specs, render, rendered  # noqa: E402

CRD_SCHEMA = Path(__file__).parent / "schemas" / "rayservice-v1.json"
CUSTOM_KINDS = {"RayService", "ServiceMonitor"}  # no built-in schema; checked below


def test_there_are_the_ci_values_files_the_issue_asks_for() -> None:
    assert {"cpu", "gpu", "external-db", "bundled-db"} <= set(CI_VALUES)


@pytest.mark.parametrize("name", CI_VALUES)
def test_helm_lint_has_no_errors(name: str) -> None:
    result = helm.lint(str(CHART), ci_values(name), strict=True)
    assert result["errors"] == [], result


@pytest.mark.parametrize("missing", ["secrets.apiKeys.name", "secrets.webhookSecret.name",
                                     "database.external.existingSecret"])
def test_install_without_a_required_secret_reference_fails(missing: str) -> None:
    """Defaults alone are not installable: the API keys, webhook secret and database DSN must be referenced
    (`helm lint` only warns about `required`; `helm install` renders, which fails)."""
    values = ci_values("cpu")
    section, *middle, leaf = missing.split(".")
    node = values[section]
    for key in middle:
        node = node[key]
    node[leaf] = ""
    with pytest.raises(helm.HelmRenderError, match=missing.replace(".", r"\.")):
        render(values)


@pytest.mark.parametrize("name", CI_VALUES)
@pytest.mark.parametrize("version", KUBE_VERSIONS)
def test_every_builtin_object_is_valid_kubernetes_in_strict_mode(name: str, version: str) -> None:
    objects = rendered(name).objects
    checked = 0
    for obj in objects:
        if obj["kind"] in CUSTOM_KINDS:
            continue
        kubernetes_validate.validate(obj, version, strict=True)
        checked += 1
    # The pod templates KubeRay turns into pods: validated as Pods, so a typo there fails here and not at
    # reconcile time.
    for where, template in pod_specs(rendered(name).one("RayService")):
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": where, **template.get("metadata", {})},
               "spec": template["spec"]}
        kubernetes_validate.validate(pod, version, strict=True)
        checked += 1
    assert checked >= 10


def test_strict_validation_catches_a_typo() -> None:
    """The validator is not vacuous: an unknown field in a rendered Deployment is an error."""
    deployment = dict(rendered("cpu").kind("Deployment")[0])
    deployment["spec"] = {**deployment["spec"], "replicaz": 3}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBE_VERSIONS[0], strict=True)


@pytest.mark.parametrize("name", CI_VALUES)
def test_rayservice_matches_the_kuberay_1_7_crd_schema(name: str) -> None:
    import jsonschema

    schema = json.loads(CRD_SCHEMA.read_text())
    validator = jsonschema.Draft7Validator(schema)
    service = rendered(name).one("RayService")
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(service)]
    assert errors == []
    broken = {**service, "spec": {**service["spec"], "rayClusterConfig": {"rayVersion": "2.60.0"}}}
    assert list(validator.iter_errors(broken)), "headGroupSpec is required by the CRD"


def test_service_monitor_points_at_the_gateway_metrics_port() -> None:
    r = rendered("gpu")
    monitor = r.one("ServiceMonitor")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["path"] == "/metrics"
    service = next(s for s in r.kind("Service") if s["metadata"]["name"].endswith("-gateway"))
    assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()


@pytest.mark.parametrize("bad", [
    {"image": {"tag": "latest"}},
    {"models": {"source": "hub"}},
    {"profile": "tpu"},
    {"gatway": {"replicas": 2}},  # a misspelt top-level key is an error, not silently ignored
])
def test_values_schema_refuses(bad: dict) -> None:
    values = {**ci_values("cpu"), **bad}
    with pytest.raises(helm.HelmValuesError):
        render(values)
