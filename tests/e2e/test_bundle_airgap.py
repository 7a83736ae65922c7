"""The air-gap bundle, end to end: `parley bundle` writes the wheelhouse, chart, SBOM and install files; then,
inside a user + network namespace with no route (`unshare -rn`), install.sh creates a fresh virtual environment
with `pip install --no-index --find-links`, joins and checks the weights, and the installed `parley run`
processes a real call. pip's configuration is switched off for the install (this machine's pip.conf points at
local package folders, which would otherwise satisfy what the bundle lacks).

PARLEY_BUNDLE_DIR=<folder> reuses a bundle built earlier in the same CI run (it is built there when missing)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.integration]

REPO = Path(__file__).resolve().parents[2]
CALL = REPO / "tests" / "fixtures" / "calls" / "warm_redwood.flac"  # the shortest fixture call (54 s, 2 speakers)
# The interpreter under this venv (not a pyenv shim, which would depend on HOME and PATH set for the test).
_BASE = Path(sys.base_prefix) / "bin" / "python3.11"
PYTHON311 = str(_BASE) if _BASE.exists() else shutil.which("python3.11")


def _no_route_namespace() -> bool:
    return shutil.which("unshare") is not None and subprocess.run(
        ["unshare", "-rn", "true"], capture_output=True).returncode == 0


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Iterator[Path]:
    from services.bundle import BundleOptions, build_bundle

    reuse = os.environ.get("PARLEY_BUNDLE_DIR")
    out = Path(reuse) if reuse else tmp_path_factory.mktemp("bundle") / "parley-bundle"
    if not (out / "bundle.json").exists():
        started = time.monotonic()
        result = build_bundle(BundleOptions(out=out))
        print(f"\nbundle: {len(result.wheels)} wheels, {result.size_bytes / 1e9:.2f} GB, "
              f"built in {time.monotonic() - started:.0f} s")
    yield out
    if not reuse:  # 2 GB: pytest keeps the tmp folders of the last runs
        shutil.rmtree(out, ignore_errors=True)


def test_bundle_contents_and_sbom(bundle: Path) -> None:
    from models.manifest import MANIFEST, all_packages

    meta = json.loads((bundle / "bundle.json").read_text())
    wheels = {p.name: p for p in (bundle / "wheels").glob("*.whl")}
    assert len(wheels) == meta["wheels"] > 100
    assert any(n.startswith("torch-2.13.0") for n in wheels) and not any(n.startswith("nvidia_") for n in wheels)
    assert any(n.startswith("llama_cpp_python-0.3.36") for n in wheels)
    assert (bundle / "models.txt").read_text().split() == all_packages()
    assert (bundle / "INSTALL.md").read_text().count("install.sh") >= 2
    chart = bundle / meta["chart"]
    assert chart.is_file() and chart.suffix == ".tgz"

    sbom = json.loads((bundle / "sbom.cdx.json").read_text())
    assert sbom["bomFormat"] == "CycloneDX" and sbom["specVersion"] == "1.6"
    libraries = [c for c in sbom["components"] if c["type"] == "library"]
    by_file = {next(p["value"] for p in c["properties"] if p["name"] == "parley:wheel"): c for c in libraries}
    assert set(by_file) == set(wheels)
    for name, component in by_file.items():
        (digest,) = component["hashes"]
        assert digest == {"alg": "SHA-256", "content": hashlib.sha256(wheels[name].read_bytes()).hexdigest()}
        assert component["version"] and component["purl"].startswith("pkg:pypi/")
        assert component.get("licenses"), f"{name}: no license"
    models = {c["name"]: c for c in sbom["components"] if c["type"] == "machine-learning-model"}
    assert set(models) == {m.name for m in MANIFEST}
    for spec in MANIFEST:
        assert models[spec.name]["hashes"][0]["content"] == spec.sha256
        assert models[spec.name]["licenses"]
    known = sum(1 for c in libraries if "NOASSERTION" not in json.dumps(c["licenses"]))
    assert known / len(libraries) > 0.9, "most wheels declare their license"


@pytest.mark.skipif(PYTHON311 is None, reason="needs python3.11 for the fresh environment")
def test_install_and_run_a_call_with_no_network(bundle: Path, tmp_path: Path) -> None:
    if not _no_route_namespace():
        pytest.skip("user + network namespaces are not available here (unshare -rn)")
    home = tmp_path / "home"
    home.mkdir()
    venv, out = tmp_path / "venv", tmp_path / "call.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PARLEY_", "PYTHON"))}
    env.update(HOME=str(home), PIP_CONFIG_FILE=os.devnull, PIP_NO_CACHE_DIR="1", PYTHON=PYTHON311,
               PARLEY_MODELS__DATA_DIR=str(tmp_path / "models"), PATH="/usr/bin:/bin")
    script = f"""set -euo pipefail
# The namespace has no route out: prove it before relying on it.
if {PYTHON311} -c "import socket; socket.create_connection(('1.1.1.1', 443), timeout=3)" 2>/dev/null; then
  echo "network reachable inside the namespace" >&2; exit 99
fi
start=$(date +%s)
bash {bundle}/install.sh {venv}
echo "install_s=$(( $(date +%s) - start ))"
cd {tmp_path}
{venv}/bin/python -c "import services, sys; assert services.__file__.startswith('{venv}'), services.__file__"
start=$(date +%s)
{venv}/bin/parley run {CALL} --out {out}
echo "run_s=$(( $(date +%s) - start ))"
"""
    try:
        proc = subprocess.run(["unshare", "-rn", "bash", "-c", script], env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=1800)
    finally:  # the venv and the joined weights take ~5 GB
        shutil.rmtree(venv, ignore_errors=True)
        shutil.rmtree(tmp_path / "models", ignore_errors=True)
    print("\n".join(line for line in proc.stdout.splitlines() if line.startswith(("install_s=", "run_s="))))
    assert proc.returncode == 0, proc.stderr[-4000:]
    result = json.loads(out.read_text())
    assert len(result["words"]) > 50 and len(result["speakers"]) >= 2
    assert result["lead"]["score"] in ("hot", "warm", "cold")
