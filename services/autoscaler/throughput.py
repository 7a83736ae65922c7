"""Compute seconds per audio second, per stage and hardware, each figure with where it comes from.

A figure is `compute_s_per_audio_s` of ONE replica: the real-time factor (RTF) of that stage on that hardware,
1 / throughput. Measured figures come from reports committed under benchmarks/results; where the repository
has none (no GPU run yet), from published figures, marked `published:` with the page they come from.

Published GPU figures were measured on one GPU and are carried to another by memory bandwidth, the resource
batch-1 decoding is bound by; only ever slower (a GPU with less bandwidth than the reference takes
proportionally longer), never faster: a bigger GPU does not speed up a small batch-1 model, so an H100 is
planned at the reference GPU's speed. A measured GPU figure (the GPU check in benchmarks/) should replace these.

Prices: one table, `HARDWARE`, on-demand list prices with their source and date (the CPU VM and the H100 are
the ones benchmarks/cost.py already cites for the committed cost report, reused here, not copied).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from benchmarks.cost import CPU_2VCPU, GPU_H100, Hardware
from services.autoscaler.policy import STAGES, Stage

HardwareKind = Literal["cpu", "h100", "l4", "a10g"]
HARDWARE_KINDS: tuple[HardwareKind, ...] = ("cpu", "h100", "l4", "a10g")


@dataclass(frozen=True)
class Figure:
    stage: Stage
    hardware: HardwareKind
    compute_s_per_audio_s: float
    """One replica's compute seconds per audio second (RTF) on a whole GPU / the whole CPU VM."""
    source: str
    """"measured: <file>" or "published: <title> <url>", plus how the number was carried over."""


# ---------------------------------------------------------------------------------------------- prices

# The two GPUs benchmarks/cost.py does not have: AWS on-demand list prices, us-east-1, Linux, one GPU each.
GPU_A10G = Hardware(
    name="1x NVIDIA A10G 24 GB (AWS g5.xlarge on-demand, us-east-1)",
    usd_per_hour=1.006,
    source_url="https://www.factualminds.com/blog/amazon-ec2-on-demand-pricing-instance-families-2026/",
    source_date="2026-06-17",
    note="list price, same page as the CPU VM's price in benchmarks/cost.py",
)
GPU_L4 = Hardware(
    name="1x NVIDIA L4 24 GB (AWS g6.xlarge on-demand, us-east-1)",
    usd_per_hour=0.8048,
    source_url="https://aws.amazon.com/ec2/instance-types/g6/",
    source_date="2026 (AWS list price as published; not re-read from a stored copy)",
    note="list price; no reservation or spot discount",
)

HARDWARE: dict[HardwareKind, Hardware] = {"cpu": CPU_2VCPU, "h100": GPU_H100, "l4": GPU_L4, "a10g": GPU_A10G}
"""What one unit of each hardware kind costs per hour. On `cpu` one replica is one 2-vCPU VM (the measured
figures are one pipeline stream on such a box); on a GPU a replica takes its `gpu_fraction` of one GPU."""

# Memory bandwidth, GB/s (NVIDIA product specifications): what the published figures are carried over by.
_BANDWIDTH_SOURCE = "NVIDIA product specifications (memory bandwidth)"
BANDWIDTH_GB_S: dict[str, float] = {
    "rtx3070ti": 608.0, "v100-sxm2": 900.0, "h100-sxm": 3350.0, "h100": 2000.0, "l4": 300.0, "a10g": 600.0,
}
"""As a target, `h100` is the PCIe card's 2.0 TB/s, the lower of the two; a reference measured on an "H100 80GB"
of unstated form is taken as the SXM module (3.35 TB/s), the faster: both choices err towards more replicas."""

# ------------------------------------------------------------------------------------- measured on CPU

_STANDARD_REPORT = "benchmarks/results/2026-11-21-cpu2-x86_64-standard.md"
_LEAD_TIMING = "benchmarks/results/2026-11-29-cpu2-lead-timing.md"

MEASURED_CPU: dict[Stage, Figure] = {
    "asr": Figure("asr", "cpu", 0.093, f"measured: {_STANDARD_REPORT} (Speed: RTF per stage, parley, mono calls; "
                  "whisper-base int8, 1 thread)"),
    "diarization": Figure("diarization", "cpu", 0.158, f"measured: {_STANDARD_REPORT} (Speed: RTF per stage, "
                          "parley, mono calls; stereo calls need ~0)"),
    "extraction": Figure("extraction", "cpu", 0.508, f"measured: {_STANDARD_REPORT} (Speed: RTF per stage, parley, "
                         f"extraction; llama.cpp Qwen2.5-Coder-1.5B Q4_K_M, 2 threads); today's narrow-question "
                         f"extractor took 1.01x that extractor's time ({_LEAD_TIMING})"),
}
"""The 2-core x86_64 box of the committed standard benchmark; mono calls (the slower layout) for planning."""

# ------------------------------------------------------------------------------------- published, GPU


@dataclass(frozen=True)
class Published:
    compute_s_per_audio_s: float
    reference_gpu: str
    """Key of BANDWIDTH_GB_S: the GPU the figure was measured on."""
    source: str


_FASTER_WHISPER = ("published: faster-whisper README, 'Large-v2 model on GPU': 13 min of audio in 1m03s "
                   "(fp16, beam 5, unbatched), CUDA 12.4 on an RTX 3070 Ti 8GB "
                   "(https://github.com/SYSTRAN/faster-whisper#benchmark, README at commit 65882ee, 2025-10-31)")
_PYANNOTE = ("published: pyannote/speaker-diarization-3.1 model card, 'real-time factor is around 2.5% using one "
             "Nvidia Tesla V100 SXM2 GPU (neural inference) and one Intel Cascade Lake 6248 CPU (clustering)' "
             "(https://huggingface.co/pyannote/speaker-diarization-3.1); Parley's diarization swaps the embedding "
             "model for CAM++, so this is the pipeline's order of magnitude, not its exact figure")

# Extraction on GPU: tokens per audio second from Parley's own prompts, over a published vLLM rate.
VLLM_TOKENS_PER_S_H100 = 12_500.0
_VLLM = ("published: vLLM, Llama 3.1 8B BF16 on 1x H100 80GB, ~12,500 output tokens/s (third-party summary, "
         "https://www.morphllm.com/vllm-benchmarks, 2026-04-05); Parley's extraction model is smaller (1.5B) and "
         "its tokens are mostly prompt tokens, cheaper than output tokens: both make this conservative")
DEMO_CALL_AUDIO_S = 177.0  # benchmarks/results/2026-11-29-cpu2-lead-timing.md: the demo call
DEMO_CALL_CHARS = 2_900.0  # same report: "~2,900 characters"
LINE_QUESTIONS = 10  # same report: 4 criteria, "2-3 candidate lines each"
TOKENS_PER_LINE_QUESTION = 46.0  # services/pipeline/lead_questions.py: ~40 prompt tokens + ~6-token answer
FACTS_ANSWER_TOKENS = 60.0  # assumption: one short JSON object (names, company, competitors, next step)
CHARS_PER_TOKEN = 4.0  # assumption: the usual English BPE rule of thumb


def extraction_tokens_per_audio_s() -> float:
    """Tokens the extraction processes per audio second, on the demo call: the transcript read once by the facts
    question, one short question per candidate line, the answers. The shared system prompt is left out: vLLM's
    prefix cache serves it (llama.cpp's does the same on CPU)."""
    tokens = DEMO_CALL_CHARS / CHARS_PER_TOKEN + LINE_QUESTIONS * TOKENS_PER_LINE_QUESTION + FACTS_ANSWER_TOKENS
    return tokens / DEMO_CALL_AUDIO_S


def published_gpu() -> dict[Stage, Published]:
    tokens = extraction_tokens_per_audio_s()
    return {
        "asr": Published(63.0 / 780.0, "rtx3070ti", _FASTER_WHISPER),
        "diarization": Published(0.025, "v100-sxm2", _PYANNOTE),
        "extraction": Published(
            tokens / VLLM_TOKENS_PER_S_H100, "h100-sxm",
            f"{_VLLM}; x {tokens:.1f} tokens per audio second (transcript at {CHARS_PER_TOKEN:.0f} characters per "
            f"token + {LINE_QUESTIONS} line questions of ~{TOKENS_PER_LINE_QUESTION:.0f} tokens + the facts answer, "
            f"on the {DEMO_CALL_AUDIO_S:.0f} s demo call of {_LEAD_TIMING})",
        ),
    }


# --------------------------------------------------------------------------------------------- lookup


def figure(stage: Stage, hardware: HardwareKind) -> Figure:
    """The compute rate of one replica of `stage` on a whole unit of `hardware`, with its source."""
    if hardware == "cpu":
        return MEASURED_CPU[stage]
    pub = published_gpu()[stage]
    slowdown = max(1.0, BANDWIDTH_GB_S[pub.reference_gpu] / BANDWIDTH_GB_S[hardware])
    carried = ("" if slowdown == 1.0 else f"; x{slowdown:.2f} slower on the {hardware} "
               f"({BANDWIDTH_GB_S[hardware]:.0f} vs {BANDWIDTH_GB_S[pub.reference_gpu]:.0f} GB/s, {_BANDWIDTH_SOURCE})")
    return Figure(stage, hardware, pub.compute_s_per_audio_s * slowdown, pub.source + carried)


def replica_compute_s_per_audio_s(stage: Stage, hardware: HardwareKind, *, gpu_fraction: float = 1.0,
                                  override: float | None = None) -> float:
    """Compute seconds per audio second of ONE replica as deployed: an explicit override wins; on a GPU a
    replica holding a fraction of the GPU is assumed to get that fraction of its throughput (conservative:
    small batch-1 models rarely fill a GPU, so sharing costs them less than this)."""
    if override is not None:
        return override
    rate = figure(stage, hardware).compute_s_per_audio_s
    return rate if hardware == "cpu" else rate / gpu_fraction


def all_figures(hardware: HardwareKind) -> tuple[Figure, ...]:
    return tuple(figure(stage, hardware) for stage in STAGES)
