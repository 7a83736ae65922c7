"""Score the lead rules on the third writer's labelled sentences (battery_sentences.py), per half.

    python -m benchmarks.leads battery            # both halves, per list, with the misses of each

The model is assumed to have answered "stated" for every sentence (the rules' worst case): a sentence from a
*_stated list must stay stated, one from a *_not_stated list must be lowered. "tune" holds the even-numbered
sentences (rules were written from them), "hold" the odd-numbered ones (only ever scored).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from benchmarks.leads.battery_sentences import SENTENCES
from services.pipeline import bant_rules

HALVES = ("tune", "hold")


@dataclass
class HalfScore:
    half: str
    sizes: dict[str, int] = field(default_factory=dict)  # list name -> sentences of this half
    wrong: dict[str, list[str]] = field(default_factory=dict)  # list name -> misses

    @property
    def total(self) -> int:
        return sum(self.sizes.values())

    @property
    def n_wrong(self) -> int:
        return sum(len(v) for v in self.wrong.values())


def score(half: str) -> HalfScore:
    """Every sentence of `half` through bant_rules.validate as if the model had said "stated"."""
    rules = frozenset(bant_rules.RULES)
    result = HalfScore(half)
    for key, sentences in SENTENCES.items():
        criterion, kind = key.split("_", 1)
        mine = sentences[0 if half == "tune" else 1 :: 2]
        result.sizes[key], result.wrong[key] = len(mine), []
        for sentence in mine:
            status, _ = bant_rules.validate(criterion, "stated", sentence, rules)
            if (status == "stated") != (kind == "stated"):
                result.wrong[key].append(sentence)
    return result


def render(scores: list[HalfScore]) -> str:
    lines = ["| list | " + " | ".join(f"{s.half}: wrong" for s in scores) + " |",
             "| --- |" + " --- |" * len(scores)]
    for key in SENTENCES:
        cells = [f"{len(s.wrong[key])} of {s.sizes[key]}" for s in scores]
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    lines.append("| all | " + " | ".join(f"{s.n_wrong} of {s.total}" for s in scores) + " |")
    for s in scores:
        for key, misses in s.wrong.items():
            lines += [f"- {s.half} {key}: {m}" for m in misses]
    return "\n".join(lines)
