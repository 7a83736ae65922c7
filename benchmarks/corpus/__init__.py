"""Synthetic two-speaker telephone sales calls with ground truth (transcript, RTTM, STM, CRM fields, BANT).

    from benchmarks.corpus import CallSpec, generate_call
    call = generate_call(CallSpec(out_dir=Path("out"), scenario="discovery", seed=1, minutes=3))
"""

from typing import Any

from benchmarks.corpus.model import BantTruth, CallScript, CrmTruth, Turn, bant_label
from benchmarks.corpus.scenarios import SCENARIOS
from benchmarks.corpus.script import build_script

__all__ = ["BantTruth", "CallScript", "CallSpec", "CrmTruth", "GeneratedCall", "SCENARIOS", "Turn", "bant_label",
           "build_script", "generate_call"]


def __getattr__(name: str) -> Any:
    # Lazy, so that `python -m benchmarks.corpus.generate` does not import its own module twice.
    if name in ("CallSpec", "GeneratedCall", "generate_call"):
        from benchmarks.corpus import generate

        return getattr(generate, name)
    raise AttributeError(name)
