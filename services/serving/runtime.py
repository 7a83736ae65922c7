"""Ray runtime for the gateway and workers: join (or start) the cluster, deploy the app, report its status.

`parley serve --ray` calls `start(settings)` once in the gateway process: it starts a local Ray runtime (or
joins `serving.ray_address`), deploys the app unless `serving.deploy` is false, waits until it is RUNNING, and
returns settings whose `serving.ray_address` points worker processes at the same cluster.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from typing import Any

from services.errors import ParleyError
from services.settings import Settings

log = logging.getLogger("parley.serving")


class ServingUnavailable(ParleyError):
    code = "serving_unavailable"
    http_status = 503
    hint = "check the Ray cluster (ray status) and the Serve app (serve status)"


def _quiet_ray_env() -> None:
    # Air gap: no usage stats, no dashboard downloads; logs to files, not to our stdout.
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_DISABLE_DOCKER_CPU_WARNING", "1")
    os.environ.setdefault("RAY_SERVE_LOG_TO_STDERR", "0")


def local_cpus(settings: Settings) -> int:
    """Logical CPUs of a local runtime: the machine's cores, or enough for every replica to schedule. Ray's CPU
    count is a scheduling quota, not a thread limit; on a 2-core box three model replicas must still fit."""
    s = settings.serving
    needed = (s.asr_replicas + s.diarization_replicas + s.extraction_replicas) * s.num_cpus_per_replica
    return max(os.cpu_count() or 1, int(needed + 0.999))


def connect(settings: Settings) -> str:
    """Join the cluster at serving.ray_address, or start a local runtime. Returns the GCS address to share."""
    import ray

    _quiet_ray_env()
    s = settings.serving
    if not ray.is_initialized():
        if s.ray_address:
            ray.init(address=s.ray_address, namespace=s.namespace, log_to_driver=False)
        else:
            ray.init(num_cpus=s.local_num_cpus or local_cpus(settings), num_gpus=s.local_num_gpus,
                     namespace=s.namespace, include_dashboard=False, log_to_driver=False)
    return ray.get_runtime_context().gcs_address


def deploy(settings: Settings) -> None:
    """Deploy (or update in place) the Serve app and wait until every deployment is RUNNING."""
    from ray import serve

    from services.serving.app import build_app_from_settings

    # No Serve HTTP proxy: the FastAPI gateway is the only way in; workers reach the app through handles.
    serve.start(http_options={"location": "NoServer"})
    serve.run(build_app_from_settings(settings), name=settings.serving.app_name, route_prefix=None, blocking=False)
    wait_ready(settings)


def wait_ready(settings: Settings) -> None:
    deadline = time.monotonic() + settings.serving.ready_timeout_s
    while True:
        state = status(settings)
        if state.status == "RUNNING":
            log.info("serve app %s running: %s", settings.serving.app_name, state.replicas())
            return
        if state.status in ("DEPLOY_FAILED", "UNHEALTHY") or time.monotonic() > deadline:
            raise ServingUnavailable(f"serve app {settings.serving.app_name!r} is {state.status}: {state.message}")
        time.sleep(1.0)


@dataclass(frozen=True)
class DeploymentState:
    status: str
    replicas: dict[str, int]
    message: str = ""


@dataclass(frozen=True)
class AppState:
    status: str
    deployments: dict[str, DeploymentState] = field(default_factory=dict)
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "message": self.message,
                "deployments": {name: {"status": d.status, "replicas": d.replicas}
                                for name, d in self.deployments.items()}}

    def replicas(self) -> dict[str, int]:
        return {name: d.replicas.get("RUNNING", 0) for name, d in self.deployments.items()}


def status(settings: Settings) -> AppState:
    """The app's status and, per deployment, its status and replica counts by state (RUNNING, STARTING...)."""
    from ray import serve

    app = serve.status().applications.get(settings.serving.app_name)
    if app is None:
        return AppState(status="NOT_DEPLOYED", message="no such Serve application")
    deployments = {
        name: DeploymentState(status=str(getattr(d.status, "value", d.status)),
                              replicas={str(getattr(k, "value", k)): int(v) for k, v in d.replica_states.items()},
                              message=d.message or "")
        for name, d in app.deployments.items()
    }
    return AppState(status=str(getattr(app.status, "value", app.status)), deployments=deployments,
                    message=app.message or "")


def app_handle(settings: Settings) -> Any:
    from ray import serve

    return serve.get_app_handle(settings.serving.app_name)
