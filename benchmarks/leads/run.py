"""Run lead extraction over generated cases, cache every prediction, then score and write the report.

    run_leads("test", n=200, seed=1, out_dir=Path("benchmarks/results/leads"))

Per case: transcript text -> utterances (transcript_io) -> entities (spaCy + patterns) -> read_call (the LLM,
slow) -> finalize twice (without and with the call's known names, fast). Three conditions are kept: the model's
answers at face value ("model"), the final lead ("final") and the final lead with context ("final_context").
Each case's predictions go to out_dir/raw/<split>/<id>.json as soon as they exist, so a killed run resumes.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks.leads.case import LeadCase
from benchmarks.leads.generate import generate
from benchmarks.leads.report import CONDITIONS, machine_tag, write_outputs

__all__ = ["CONDITIONS", "DEFAULT_N", "DEFAULT_SEED", "PipelineBackend", "read_cases", "run_leads", "write_cases"]
DEFAULT_REPORT_DIR = Path("benchmarks/results")
DEFAULT_N = 200  # test cases in `parley bench --suite leads` (use --limit for a shorter run)
DEFAULT_SEED = 1


@dataclass
class PipelineBackend:
    """The pipeline functions one case needs. Anything left None is loaded on first use (the real models);
    tests pass fakes instead."""

    settings: Any = None
    read_call: Callable[..., Any] | None = None
    finalize: Callable[..., Any] | None = None
    parse: Callable[[str], Any] | None = None
    analyse: Callable[..., Any] | None = None
    chat: Any = None
    nlp: Any = None
    answers: Any = None
    """benchmarks.leads.answers.AnswerCache: the model's answers by exact request (None: always ask)."""

    def _load(self) -> None:
        if self.settings is None:
            from services.settings import get_settings

            self.settings = get_settings()
        if self.read_call is None or self.finalize is None:
            from services.pipeline.extract import finalize, read_call

            self.read_call = self.read_call or read_call
            self.finalize = self.finalize or finalize
        if self.parse is None:
            from services.pipeline.transcript_io import parse_transcript_text

            self.parse = parse_transcript_text
        if self.analyse is None:
            from services.pipeline.nlp import analyse

            self.analyse = analyse
        if self.chat is None or self.nlp is None:
            from services.pipeline.run import ModelManager

            models = ModelManager(self.settings)
            self.nlp = self.nlp if self.nlp is not None else models.nlp
            if self.chat is None:
                self.chat = models.chat if self.answers is None else self._cached(lambda: models.chat)

    def _cached(self, load_chat: Callable[[], Any]) -> Any:
        from benchmarks.leads.answers import CachedChat

        return CachedChat(self.answers, load_chat)

    def predict(self, case: LeadCase) -> dict[str, Any]:
        """The cached record of one case: each condition's lead (JSON) and the LLM seconds per question."""

        self._load()
        assert self.parse and self.analyse and self.read_call and self.finalize
        started = time.perf_counter()
        utterances, entities = self._utterances(case)
        reading = self.read_call(utterances, self.chat, self.settings)
        return self._finish(case, utterances, entities, reading, started)

    def refinalize(self, case: LeadCase, record: dict[str, Any]) -> dict[str, Any]:
        """Re-run only the deterministic part on a cached reading (rules changed, the model's answers did not)."""
        from services.pipeline.extract import reading_from_dict

        self._load_light()
        assert self.parse and self.analyse
        started = time.perf_counter()
        utterances, entities = self._utterances(case)
        reading = reading_from_dict(record["reading"], utterances, self.settings)
        out = self._finish(case, utterances, entities, reading, started)
        out["wall_s"] = record.get("wall_s", out["wall_s"])
        if record.get("reread"):  # the model's answers are the re-read's: keep its count of new questions
            out["reread"] = record["reread"]
        return out

    def reread(self, case: LeadCase, record: dict[str, Any]) -> dict[str, Any]:
        """Run the whole reading again with the current code, answering every question asked before from the
        cache (the stored reading is keyed into it first) and asking the model only the new ones. The record
        keeps the first run's seconds per question; `reread` says how many questions were new and their time."""
        from benchmarks.leads.answers import CachedChat, prefill

        self._load()
        assert self.parse and self.analyse and self.read_call and self.answers is not None
        started = time.perf_counter()
        utterances, entities = self._utterances(case)
        counts = prefill(self.answers, record["reading"], utterances, self.settings)
        chat = self.chat if isinstance(self.chat, CachedChat) else None
        before = (chat.asked, chat.asked_seconds) if chat else (0, 0.0)
        reading = self.read_call(utterances, self.chat, self.settings)
        out = self._finish(case, utterances, entities, reading, started)
        new = (chat.asked - before[0], chat.asked_seconds - before[1]) if chat else (0, 0.0)
        out["seconds"] = record.get("seconds", out["seconds"])
        out["wall_s"] = round(record.get("wall_s", 0.0) + new[1], 3)
        out["reread"] = {"new_questions": new[0], "new_seconds": round(new[1], 3), "unmatched": counts["unmatched"]}
        return out

    def _utterances(self, case: LeadCase) -> tuple[Any, Any]:
        """The case's transcript as utterances and entities, as the pipeline's NLP stage gives them."""
        assert self.parse and self.analyse
        utterances, words = self.parse(case.transcript())
        return self.analyse(utterances, words, self.nlp, pii_types=())

    def _load_light(self) -> None:
        """Everything but the LLM (re-finalizing needs spaCy, not the chat model)."""
        if self.settings is None:
            from services.settings import get_settings

            self.settings = get_settings()
        if self.finalize is None:
            from services.pipeline.extract import finalize

            self.finalize = finalize
        if self.parse is None:
            from services.pipeline.transcript_io import parse_transcript_text

            self.parse = parse_transcript_text
        if self.analyse is None:
            from services.pipeline.nlp import analyse

            self.analyse = analyse
        if self.nlp is None:
            from services.pipeline.run import ModelManager

            self.nlp = ModelManager(self.settings).nlp

    def _finish(self, case: LeadCase, utterances: Any, entities: Any, reading: Any, started: float) -> dict[str, Any]:
        from services.pipeline.extract import reading_to_dict
        from services.pipeline.lead_context import CallContext

        assert self.finalize
        final = self.finalize(reading, utterances, self.settings, context=CallContext(), entities=entities)
        final_ctx = self.finalize(reading, utterances, self.settings, context=case.context, entities=entities)
        return {
            "id": case.id,
            "model": final.model_lead.model_dump(mode="json"),
            "final": final.lead.model_dump(mode="json"),
            "final_context": final_ctx.lead.model_dump(mode="json"),
            "seconds": dict(getattr(reading, "seconds", {}) or {}),
            "wall_s": round(time.perf_counter() - started, 3),
            "reading": reading_to_dict(reading) if hasattr(reading, "criteria") else None,
        }


def raw_path(out_dir: Path, split: str, case_id: str) -> Path:
    return Path(out_dir) / "raw" / split / f"{case_id}.json"


def write_cases(cases: list[LeadCase], out: Path) -> None:
    """Cases as JSONL plus transcripts/<id>.txt ("SPEAKER: text" lines, the `parley lead` input)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "transcripts").mkdir(exist_ok=True)
    with (out / "cases.jsonl").open("w") as fh:
        for case in cases:
            fh.write(json.dumps(case.to_dict()) + "\n")
            (out / "transcripts" / f"{case.id}.txt").write_text(case.transcript())


def read_cases(path: Path) -> list[LeadCase]:
    return [LeadCase.from_dict(json.loads(line)) for line in Path(path).read_text().splitlines() if line.strip()]


def run_leads(
    split: str,
    n: int,
    seed: int,
    out_dir: Path,
    limit: int | None = None,
    resume: bool = True,
    *,
    backend: PipelineBackend | None = None,
    report_dir: Path = DEFAULT_REPORT_DIR,
    oracle: bool = False,
    refinalize: bool = False,
    reread: bool = False,
) -> Path:
    """Generate `n` cases of `split`, predict the first `limit` (all by default), write summary + report.

    Returns the Markdown report's path. Progress goes to stderr, one line per case. `oracle`: answer from the
    truth instead of the LLM (benchmarks/leads/oracle.py), cached and reported apart ("leads-oracle-<split>").
    """
    out_dir = Path(out_dir)
    cases = generate(split, n, seed)
    if limit is not None:
        cases = cases[:limit]
    write_cases(cases, out_dir / "cases" / split)
    if oracle:
        from benchmarks.leads.oracle import OracleBackend

        backend = backend or OracleBackend()
    if backend is None:
        from benchmarks.leads.answers import AnswerCache, model_identity
        from services.settings import get_settings

        settings = get_settings()
        backend = PipelineBackend(settings=settings, answers=AnswerCache(out_dir / "answers" / f"{split}.jsonl",
                                                                         model_identity(settings)))
    kind = f"oracle-{split}" if oracle else split
    predictions: dict[str, dict[str, Any]] = {}
    correct = 0
    for k, case in enumerate(cases, start=1):
        path = raw_path(out_dir, kind, case.id)
        if resume and path.exists():
            record = json.loads(path.read_text())
            note = "cached"
            if reread and record.get("reading") and hasattr(backend, "reread"):
                record = backend.reread(case, record)
                path.write_text(json.dumps(record, indent=1))
                note = f"re-read, {record['reread']['new_questions']} new questions"
            elif refinalize and record.get("reading") and hasattr(backend, "refinalize"):
                record = backend.refinalize(case, record)
                path.write_text(json.dumps(record, indent=1))
                note = "re-finalized"
        else:
            record = backend.predict(case)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(record, indent=1))
            tmp.replace(path)  # atomic: a killed run never leaves half a record behind
            note = f"{record.get('wall_s', 0.0):.1f}s"
        predictions[case.id] = record
        predicted = record["final_context"]["score"]
        correct += predicted == case.truth.tier
        print(f"[leads {kind} {k}/{len(cases)}] {case.id} {note} truth={case.truth.tier} final={predicted} "
              f"running tier accuracy {correct / k:.2f}", file=sys.stderr, flush=True)
    meta = {"split": split, "n": n, "seed": seed, "limit": limit, "date": date.today().isoformat(),
            "machine": machine_tag(), "oracle": oracle}
    return write_outputs(cases, predictions, meta, report_dir=Path(report_dir))
