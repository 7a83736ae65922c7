"""An oracle in place of the LLM: answers every lead question from the case's truth.

Running the real read_call + finalize with it (no LLM, no spaCy, seconds for hundreds of cases) measures what the
deterministic layer alone loses or gains when the model is perfect: the ceiling of "final" vs "model alone",
and what context snapping does to misheard names (the oracle gives names as heard, i.e. as written in the
transcript, the way a model reading the transcript would). It knows the question protocol of
services/pipeline/lead_questions.py (the schema's shape and "Question NAME:"); if that changes, it says so.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from benchmarks.leads.case import CRITERIA, LeadCase, utterance_id
from benchmarks.leads.run import PipelineBackend


def heard(case: LeadCase, name: str | None) -> str | None:
    """A name as written in the case's (possibly corrupted) transcript."""
    if name is None:
        return None
    for correct, misheard in case.corruptions.items():
        name = name.replace(correct, misheard)
    return name


class OracleChat:
    """Duck-types models.llm.ChatModel.complete_json for one case at a time (set `.case`)."""

    def __init__(self) -> None:
        self.case: LeadCase | None = None

    def complete_json(self, messages: list[dict[str, str]], schema: dict[str, Any], *, max_tokens: int,
                      temperature: float, seed: int) -> str:
        case = self.case
        if case is None:
            raise RuntimeError("OracleChat.case is not set")
        prompt = messages[-1]["content"]
        props = schema.get("properties", {})
        t = case.truth
        if "rep" in props:  # the roles question: the label the prompt shows on the first rep line
            i = next(i for i, line in enumerate(case.lines) if line.role == "rep")
            match = re.search(rf"\[{re.escape(utterance_id(i))}\] ([^:\n]+):", prompt)
            if not match:
                raise RuntimeError("oracle: cannot find the rep's label in the prompt (protocol changed?)")
            return json.dumps({"rep": match.group(1).strip()})
        if set(props) in ({"kind"}, {"answer"}):  # a line question or its second look: one line, one criterion
            question = re.search(r"Question (\w+)(?: CHECK)?:", prompt)
            name = question.group(1).lower() if question else ""
            line = re.search(r"\[(u[\d.]+)\] PROSPECT:", prompt)
            if name not in CRITERIA or line is None:
                raise RuntimeError(f"oracle: unknown line question {name!r} (protocol changed?)")
            from services.pipeline.lead_questions import KINDS

            evidence = {utterance_id(i) for i in t.evidence_lines[name]}
            status = t.status[name] if line.group(1).split(".")[0] in evidence else "absent"
            if "answer" in props:  # the second look asks whether the line states the criterion
                return json.dumps({"answer": "yes" if status == "stated" else "no"})
            kind = next((k for k, v in KINDS[name].items() if v == status), "not_said")
            return json.dumps({"kind": kind})
        if "competitors" in props:
            return json.dumps({
                "name": heard(case, t.contact_name), "title": None, "company": heard(case, t.company),
                "email": t.email, "phone": t.phone, "competitors": [heard(case, c) for c in t.competitors],
                "next_step": "demo booked" if t.meeting_booked else None,
            })
        raise RuntimeError(f"oracle: unknown question schema {sorted(props)} (protocol changed?)")


@dataclass
class OracleBackend(PipelineBackend):
    """The real pipeline functions with OracleChat as the model and no NER (entities are not needed by it)."""

    def __post_init__(self) -> None:
        if self.settings is None:
            from services.settings import Settings

            self.settings = Settings()
        self.chat = OracleChat()
        self.nlp = object()
        self.analyse = lambda utterances, words, nlp, pii_types=(): (utterances, ())

    def predict(self, case: LeadCase) -> dict[str, Any]:
        self.chat.case = case
        return super().predict(case)
