"""Score the lead rules on the third writer's labelled sentences (battery_sentences.py), per half.

    python -m benchmarks.leads battery            # rules only, both halves, per list, with the misses of each
    python -m benchmarks.leads battery --model --answers DIR/battery.jsonl   # the real model, then the rules

Rules only: the model is assumed to have answered "stated" for every sentence (the rules' worst case): a sentence
from a *_stated list must stay stated, one from a *_not_stated list must be lowered. With `--model` each sentence
is shown to the real LLM as a prospect line after a rep's question on the criterion, asked exactly as a call's
candidate line is (extract.judge_line: the kind question and, where the kind contradicts the words, the second
look), and scored twice: the model's status at face value, and after the rules (bant_rules.validate).
"tune" holds the even-numbered sentences (rules were written from them), "hold" the odd-numbered ones (only
ever scored).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from benchmarks.leads.battery_sentences import SENTENCES
from services.pipeline import bant_rules
from services.pipeline.types import CriterionStatus

HALVES = ("tune", "hold")
# The rep line shown before each sentence with --model: the sentences were written as answers to such questions.
REP_QUESTIONS = {
    "timeline": "When would you want to have this in place?",
    "budget": "Do you have a budget in mind for this?",
    "authority": "Who makes the decision on a purchase like this?",
    "need": "What's prompting you to look at this?",
}


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


def score(half: str, judge: Callable[[str, str], CriterionStatus] | None = None, *,
          label: str | None = None, rules: bool = True) -> HalfScore:
    """Every sentence of `half`: judged by `judge(criterion, sentence)` (None: "stated", the rules' worst case),
    then, with `rules`, through bant_rules.validate. A sentence is right when it ends stated exactly when its list
    is a *_stated one."""
    active = frozenset(bant_rules.RULES)
    result = HalfScore(label or half)
    for key, sentences in SENTENCES.items():
        criterion, kind = key.split("_", 1)
        mine = sentences[0 if half == "tune" else 1 :: 2]
        result.sizes[key], result.wrong[key] = len(mine), []
        for sentence in mine:
            status: CriterionStatus = judge(criterion, sentence) if judge else "stated"
            if rules:
                status, _ = bant_rules.validate(criterion, status, sentence, active)
            if (status == "stated") != (kind == "stated"):
                result.wrong[key].append(sentence)
    return result


def model_judge(chat: Any, settings: Any) -> Callable[[str, str], CriterionStatus]:
    """judge(criterion, sentence) -> the model's status for the sentence as a prospect line (no answer: absent)."""
    from services.pipeline.extract import judge_line

    def judge(criterion: str, sentence: str) -> CriterionStatus:
        answer, _ = judge_line(chat, criterion, "u2", sentence, REP_QUESTIONS[criterion], settings)
        return answer.status if answer is not None else "absent"

    return judge


def score_with_model(chat: Any, settings: Any) -> list[HalfScore]:
    """Per half: the model at face value, then the model and the rules (the same answers: each is asked once)."""
    judge = model_judge(chat, settings)
    seen: dict[tuple[str, str], CriterionStatus] = {}

    def once(criterion: str, sentence: str) -> CriterionStatus:
        if (criterion, sentence) not in seen:
            seen[criterion, sentence] = judge(criterion, sentence)
        return seen[criterion, sentence]

    return [score(half, once, label=f"{half} {what}", rules=with_rules)
            for half in HALVES for what, with_rules in (("model alone", False), ("model + rules", True))]


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
