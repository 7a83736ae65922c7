"""Build the self-contained tarball that benchmarks/gpu/diarization_throughput.py needs on a GPU machine with
PyTorch (CUDA) and no registry access.

    python -m benchmarks.gpu.pack [--out out/gpu/parley-diarization-gpu.tar.gz] [--wheel-cache out/gpu/wheels]

It holds:
  - the Parley modules the script imports (and nothing else of the repository): `load_diarizer` and its imports;
  - the weights, copied from the pip packages the model manifest names and checked against its sha256:
    segmentation-3.0 (5.9 MB) and CAM++ (28 MB);
  - the four fixture calls decoded by Parley's decoder to 16 kHz mono 16-bit WAV (read with the stdlib there);
  - wheels of every Python distribution the run imports that the GPU image lacks (the import audit of a CPU
    run, against the package list of the device image), at the versions installed here, for CPython 3.12
    x86_64 (the image's Python). pip downloads them once into --wheel-cache (needs the registry: run it here).
  - benchmarks/gpu/data/PACK_INFO.json: commit, date, sha256 of every carried file.

Nothing goes into git: the default output is under out/ (ignored).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import wave
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NAME = "parley-diarization-gpu"
LIMIT_MIB = 60  # the device tool carries 64 MiB per call, the rest of the working tree included

# load_diarizer and what it imports (the script imports nothing else of Parley in a pack).
SOURCES = (
    "benchmarks/__init__.py",
    "benchmarks/gpu/__init__.py",
    "benchmarks/gpu/diarization_throughput.py",
    "benchmarks/gpu/README.md",
    "models/__init__.py",
    "models/campplus.py",
    "models/manifest.py",
    "models/offline.py",
    "models/registry.py",
    "models/speaker_embedding.py",
    "services/__init__.py",
    "services/autoscaler/__init__.py",
    "services/autoscaler/policy.py",
    "services/autoscaler/settings.py",
    "services/errors.py",
    "services/pipeline/__init__.py",
    "services/pipeline/channel_activity.py",
    "services/pipeline/diarize.py",
    "services/pipeline/types.py",
    "services/settings.py",
)

# Distributions a `--device cpu` run imported (sys.modules -> owning distribution, 2026-12, pyannote.audio 4.0.7)
# that the GPU image's package list (/work/.library/device/KINDS.md) does not have. torchcodec is left out on
# purpose: pyannote imports it inside try/except and we hand it waveforms in memory. protobuf and
# typing-extensions ARE in the image but carried anyway: opentelemetry-proto's generated code and pydantic need
# recent versions, and the image's are unknown. Versions are the ones installed here (tested together).
WHEELS = (
    "annotated-types", "asteroid-filterbanks", "colorlog", "httpx2", "julius",
    "opentelemetry-api", "opentelemetry-exporter-http-transport", "opentelemetry-exporter-otlp-common",
    "opentelemetry-exporter-otlp-proto-common", "opentelemetry-exporter-otlp-proto-http", "opentelemetry-proto",
    "opentelemetry-sdk", "opentelemetry-semantic-conventions", "optuna", "primePy", "protobuf",
    "pyannote.audio", "pyannote.core", "pyannote.database", "pyannote.metrics", "pyannote.pipeline",
    "pydantic", "pydantic-core", "pydantic-settings", "python-dotenv", "torch-audiomentations",
    "torch-pitch-shift", "typing-extensions", "typing-inspection",
)
PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64",
             "manylinux1_x86_64")
MODELS = {"pyannote-segmentation-3.0": "weights/segmentation-3.0", "campplus-sv-zh-en": "weights"}


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def requirements() -> list[str]:
    return [f"{name}=={metadata.version(name)}" for name in WHEELS]


def download_wheels(cache: Path) -> list[Path]:
    """One pip download per missing wheel (cached): CPython 3.12, x86_64 manylinux, binary only, no deps."""
    cache.mkdir(parents=True, exist_ok=True)
    wanted = requirements()
    missing = [r for r in wanted if not _cached(cache, r)]
    if missing:
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
               "--python-version", "3.12", "--implementation", "cp", "-d", str(cache),
               *[arg for p in PLATFORMS for arg in ("--platform", p)], *missing]
        subprocess.run(cmd, check=True)  # a local pip config may print warnings about its find-links
    found = [_cached(cache, r) for r in wanted]
    if not all(found):
        raise SystemExit(f"wheels missing after download: {[r for r, f in zip(wanted, found) if not f]}")
    return [f for f in found if f is not None]


def _cached(cache: Path, requirement: str) -> Path | None:
    name, version = requirement.split("==")
    norm = name.replace("-", "_").replace(".", "_").lower()
    for wheel in cache.glob("*.whl"):
        dist, ver = wheel.name.split("-")[:2]
        if dist.replace(".", "_").lower() == norm and ver == version:
            return wheel
    return None


def write_audio(folder: Path) -> list[str]:
    """The fixture calls, decoded as Parley decodes them (16 kHz mono float32), stored as 16-bit WAV."""
    import numpy as np

    from services.pipeline.decode import decode_audio
    from services.settings import LimitsSettings

    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for flac in sorted((ROOT / "tests" / "fixtures" / "calls").glob("*.flac")):
        mono = decode_audio(flac, LimitsSettings()).mono
        pcm = (np.clip(mono, -1.0, 32767 / 32768) * 32768).astype("<i2")
        with wave.open(str(folder / f"{flac.stem}.wav"), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(16_000)
            out.writeframes(pcm.tobytes())
        names.append(flac.stem)
    return names


def copy_weights(data: Path) -> dict[str, str]:
    """Each model's weights from its pip package, verified against the manifest's sha256."""
    from models.registry import get_spec, resolve_model
    from services.settings import Settings

    settings = Settings()
    copied = {}
    for name, target in MODELS.items():
        spec = get_spec(name)
        source = resolve_model(name, settings.models.data_dir)
        weights = source / spec.check_file if source.is_dir() and spec.check_file else source
        if sha256(weights) != spec.sha256:
            raise SystemExit(f"{name}: {weights} does not match the manifest's sha256")
        dest = data / target
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(weights, dest / weights.name)
        copied[name] = f"{target}/{weights.name}"
    return copied


def git(*args: str) -> str | None:
    try:
        return subprocess.run(["git", "-C", str(ROOT), *args], check=True, capture_output=True,
                              text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def build(out: Path, wheel_cache: Path) -> Path:
    with tempfile.TemporaryDirectory(prefix="parley-pack-") as tmp:
        stage = Path(tmp) / NAME
        for rel in SOURCES:
            (stage / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ROOT / rel, stage / rel)
        data = stage / "benchmarks" / "gpu" / "data"
        calls = write_audio(data / "audio")
        weights = copy_weights(data)
        (stage / "wheels").mkdir()
        for wheel in download_wheels(wheel_cache):
            shutil.copyfile(wheel, stage / "wheels" / wheel.name)
        files = sorted(p for p in stage.rglob("*") if p.is_file())
        info = {
            "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "commit": git("rev-parse", "HEAD"),
            "dirty": bool(git("status", "--porcelain", "--", *SOURCES)),  # sources differ from the commit
            "calls": calls, "weights": weights, "wheels": requirements(),
            "sha256": {str(p.relative_to(stage)): sha256(p) for p in files},
        }
        (data / "PACK_INFO.json").write_text(json.dumps(info, indent=1) + "\n")
        out.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(out, "w:gz") as tar:
            tar.add(stage, arcname=NAME)
    size_mib = out.stat().st_size / 2**20
    print(f"{out}: {size_mib:.1f} MiB ({len(files)} files, {len(info['wheels'])} wheels)")
    if size_mib > LIMIT_MIB:
        raise SystemExit(f"{out} is {size_mib:.1f} MiB, over the {LIMIT_MIB} MiB budget")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.gpu.pack", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "gpu" / f"{NAME}.tar.gz")
    parser.add_argument("--wheel-cache", type=Path, default=ROOT / "out" / "gpu" / "wheels")
    args = parser.parse_args(argv)
    build(args.out, args.wheel_cache)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
