"""Render charts/parley offline with helm-python-sdk (the Helm 4 Go SDK; no helm binary, no cluster), once per
values file, into parsed Kubernetes objects. The CI-only packages come from requirements-ci.txt."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "parley"
CI_VALUES = sorted(p.name.removesuffix("-values.yaml") for p in (CHART / "ci").glob("*-values.yaml"))
RELEASE, NAMESPACE = "parley", "parley"
# The Kubernetes versions the chart claims (Chart.yaml kubeVersion >= 1.29) and CI validates against.
KUBE_VERSIONS = ("1.29.0", "1.37.0")


@dataclass(frozen=True)
class Rendered:
    values: dict[str, Any]
    objects: tuple[dict[str, Any], ...]

    def kind(self, kind: str) -> list[dict[str, Any]]:
        return [o for o in self.objects if o["kind"] == kind]

    def one(self, kind: str) -> dict[str, Any]:
        (obj,) = self.kind(kind)
        return obj


def ci_values(name: str) -> dict[str, Any]:
    return yaml.safe_load((CHART / "ci" / f"{name}-values.yaml").read_text()) or {}


def render(values: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    import helm_python as helm

    with helm.Chart.load(str(CHART)) as chart:
        manifests = chart.render(copy.deepcopy(values), name=RELEASE, namespace=NAMESPACE)
    objects = []
    for path, text in sorted(manifests.items()):
        if not path.endswith((".yaml", ".yml")):
            continue  # NOTES.txt and the like
        objects += [doc for doc in yaml.safe_load_all(text) if doc]
    return tuple(objects)


@lru_cache(maxsize=None)
def rendered(name: str) -> Rendered:
    values = ci_values(name)
    return Rendered(values=values, objects=render(values))


def pod_specs(obj: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(where, pod template) of every workload, RayService head and worker groups included."""
    kind = obj["kind"]
    if kind in ("Deployment", "StatefulSet"):
        return [(obj["metadata"]["name"], obj["spec"]["template"])]
    if kind == "RayService":
        cluster = obj["spec"]["rayClusterConfig"]
        found = [("ray-head", cluster["headGroupSpec"]["template"])]
        found += [(f"ray-{g['groupName']}", g["template"]) for g in cluster.get("workerGroupSpecs") or []]
        return found
    return []


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Sprig's mergeOverwrite as the chart applies it: maps merge key by key, anything else replaces."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out
