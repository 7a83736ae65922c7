"""Policies on the rendered output of every CI values file: pinned images, GPUs only on the GPU group, the
offline / no-telemetry variables on every Parley container, the egress-deny NetworkPolicy covering every pod,
PodDisruptionBudgets that select their Deployment, the head holding no replica, secrets by reference only."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("helm_python", reason="CI-only: pip install -r requirements-ci.txt")

from models.offline import OFFLINE_ENV  # noqa: E402
from tests.chart.render import CI_VALUES, pod_specs, rendered  # noqa: E402

# models/offline.py is what every model loader sets in-process; the chart must set the same on every container,
# plus Ray's usage stats, which are a per-node setting (services/serving/serve_config.yaml header).
REQUIRED_ENV = {**OFFLINE_ENV, "RAY_USAGE_STATS_ENABLED": "0"}
SENSITIVE = ("PARLEY_DATABASE__URL", "PARLEY_AUTH__API_KEYS", "PARLEY_WEBHOOKS__SECRET", "POSTGRES_PASSWORD",
             "PARLEY_DB_PASSWORD")


def containers(r: Any, *, init: bool = True) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for obj in r.objects:
        for where, template in pod_specs(obj):
            spec = template["spec"]
            found += [(f"{where}/{c['name']}", c) for c in spec["containers"]]
            if init:
                found += [(f"{where}/init:{c['name']}", c) for c in spec.get("initContainers", [])]
    return found


def parley_image(r: Any) -> str:
    return rendered_image_repo(r.values)


def rendered_image_repo(values: dict[str, Any]) -> str:
    return values.get("image", {}).get("repository", "registry.parley.internal/parley")


def labels_match(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


@pytest.mark.parametrize("name", CI_VALUES)
def test_every_image_is_pinned(name: str) -> None:
    r = rendered(name)
    images = [(where, c["image"]) for where, c in containers(r)]
    images.append(("autoscaler", r.one("RayService")["spec"]["rayClusterConfig"]["autoscalerOptions"].get(
        "image", "(head image)")))
    for where, image in images:
        if image == "(head image)":
            continue
        repo, _, tag = image.rpartition(":")
        assert repo and "/" not in tag, f"{where}: {image} has no tag"
        assert tag != "latest", f"{where}: {image}"


@pytest.mark.parametrize("name", CI_VALUES)
def test_gpu_limits_only_on_the_gpu_worker_group(name: str) -> None:
    r = rendered(name)
    for where, c in containers(r):
        resources = c.get("resources", {})
        has_gpu = any("nvidia.com/gpu" in resources.get(k, {}) for k in ("limits", "requests"))
        assert has_gpu == where.startswith("ray-gpu/ray-worker"), where
    groups = {g["groupName"]: g for g in r.one("RayService")["spec"]["rayClusterConfig"]["workerGroupSpecs"]}
    gpu = r.values.get("ray", {}).get("gpuWorkers", {}).get("enabled", True)
    assert ("gpu" in groups) == gpu
    if gpu:
        assert groups["gpu"]["minReplicas"] == 0, "scale to zero: the GPU group may have no pod"


@pytest.mark.parametrize("name", CI_VALUES)
def test_head_takes_no_replica_and_autoscaling_is_in_tree(name: str) -> None:
    cluster = rendered(name).one("RayService")["spec"]["rayClusterConfig"]
    assert cluster["headGroupSpec"]["rayStartParams"]["num-cpus"] == "0"
    assert cluster["enableInTreeAutoscaling"] is True
    assert cluster["rayVersion"] == "2.60.0"


@pytest.mark.parametrize("name", CI_VALUES)
def test_offline_and_telemetry_variables_on_every_parley_container(name: str) -> None:
    r = rendered(name)
    repo = parley_image(r)
    checked = 0
    for where, c in containers(r, init=False):
        if not c["image"].startswith(repo + ":"):
            continue  # PostgreSQL
        env = {e["name"]: e.get("value") for e in c.get("env", [])}
        missing = {k: v for k, v in REQUIRED_ENV.items() if env.get(k) != v}
        assert not missing, f"{where} lacks {missing}"
        checked += 1
    assert checked >= 4  # gateway, worker, ray head, at least one worker group
    autoscaler = {e["name"]: e.get("value") for e in
                  r.one("RayService")["spec"]["rayClusterConfig"]["autoscalerOptions"]["env"]}
    assert autoscaler["RAY_USAGE_STATS_ENABLED"] == "0"


@pytest.mark.parametrize("name", CI_VALUES)
def test_egress_deny_network_policy_covers_every_pod(name: str) -> None:
    r = rendered(name)
    policies = r.kind("NetworkPolicy")
    deny = next(p for p in policies if p["metadata"]["name"].endswith("-egress"))
    assert deny["spec"]["policyTypes"] == ["Egress"]
    selector = deny["spec"]["podSelector"]["matchLabels"]
    for obj in r.objects:
        for where, template in pod_specs(obj):
            assert labels_match(selector, template["metadata"]["labels"]), f"{where} escapes the egress policy"
    # Only listed destinations: every rule names its peers; none is an open `to: []` / 0.0.0.0/0.
    allowed = set()
    for rule in deny["spec"]["egress"]:
        assert rule.get("to"), rule
        for peer in rule["to"]:
            cidr = peer.get("ipBlock", {}).get("cidr")
            assert cidr not in ("0.0.0.0/0", "::/0")
            if cidr:
                allowed.add(cidr)
    np = r.values.get("networkPolicy", {})
    listed = {t["cidr"] for t in np.get("webhookTargets", []) + np.get("crmHosts", [])}
    db = r.values.get("database", {})
    if db.get("mode", "external") == "external":
        listed |= set(db.get("external", {}).get("cidrs", []))
    assert allowed == listed
    llm_peers = np.get("llmServerPeers", [])
    llm_rules = [rule for rule in deny["spec"]["egress"] if rule["to"] == llm_peers]
    assert bool(llm_rules) == bool(llm_peers)
    for rule in llm_rules:
        assert rule["ports"] == [{"protocol": "TCP", "port": np.get("llmServerPort", 8001)}]


@pytest.mark.parametrize("name", CI_VALUES)
def test_pdb_selectors_match_their_deployment(name: str) -> None:
    r = rendered(name)
    pdbs = r.kind("PodDisruptionBudget")
    assert len(pdbs) == 2
    for pdb in pdbs:
        selector = pdb["spec"]["selector"]["matchLabels"]
        matched = [d["metadata"]["name"] for d in r.kind("Deployment")
                   if labels_match(selector, d["spec"]["template"]["metadata"]["labels"])]
        assert matched == [pdb["metadata"]["name"]], (pdb["metadata"]["name"], matched)
    for d in r.kind("Deployment"):
        assert labels_match(d["spec"]["selector"]["matchLabels"], d["spec"]["template"]["metadata"]["labels"])


@pytest.mark.parametrize("name", CI_VALUES)
def test_gateway_has_health_probes_and_scrape_annotations(name: str) -> None:
    r = rendered(name)
    gateway = next(d for d in r.kind("Deployment") if d["metadata"]["name"].endswith("-gateway"))
    (c,) = gateway["spec"]["template"]["spec"]["containers"]
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert c["resources"]["requests"] and c["resources"]["limits"]
    annotations = gateway["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true" and annotations["prometheus.io/path"] == "/metrics"
    assert annotations["prometheus.io/port"] == str(c["ports"][0]["containerPort"])


@pytest.mark.parametrize("name", CI_VALUES)
def test_secrets_by_reference_only(name: str) -> None:
    r = rendered(name)
    assert not r.kind("Secret"), "the chart never writes a Secret (values would hold it in plain text)"
    for where, c in containers(r):
        for e in c.get("env", []):
            if e["name"] not in SENSITIVE:
                continue
            if "valueFrom" in e:
                assert "secretKeyRef" in e["valueFrom"], (where, e)
            else:  # only the bundled DSN, whose password the kubelet expands from a secretKeyRef variable
                assert e["name"] == "PARLEY_DATABASE__URL" and "$(PARLEY_DB_PASSWORD)" in e["value"], (where, e)
                names = [x["name"] for x in c["env"]]
                assert names.index("PARLEY_DB_PASSWORD") < names.index("PARLEY_DATABASE__URL")


@pytest.mark.parametrize("name", CI_VALUES)
def test_database_mode(name: str) -> None:
    r = rendered(name)
    bundled = r.values.get("database", {}).get("mode") == "bundled"
    assert bool(r.kind("StatefulSet")) == bundled
    head = r.one("RayService")["spec"]["rayClusterConfig"]["headGroupSpec"]["template"]["spec"]["containers"][0]
    assert "PARLEY_DATABASE__URL" in {e["name"] for e in head["env"]}, "the backlog policy reads the job store"


def test_models_come_from_a_volume_or_an_init_image_never_a_download() -> None:
    pvc = rendered("external-db")
    worker = next(d for d in pvc.kind("Deployment") if d["metadata"]["name"].endswith("-worker"))
    volumes = {v["name"]: v for v in worker["spec"]["template"]["spec"]["volumes"]}
    assert volumes["models"]["persistentVolumeClaim"] == {"claimName": "parley-weights-rox", "readOnly": True}
    image = rendered("gpu")
    for obj in image.objects:
        for where, template in pod_specs(obj):
            if any(v["name"] == "models" for v in template["spec"].get("volumes", [])):
                (init,) = template["spec"]["initContainers"]
                assert init["name"] == "models" and "cp -a" in init["command"][-1], where
