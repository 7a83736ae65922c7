"""Lead extraction: narrow LLM questions -> validated, rule-scored Lead.

Two steps, so the slow one can be reused (re-scoring, benchmarks, ablations):
  read_call()  the LLM part. Roles are decided once (stereo channels, else heuristics, else one roles question
               when they are unsure); one question over the transcript for the facts (prospect name, company,
               competitors, next step); then, per BANT criterion, one question per candidate prospect line
               (answers to the rep's question on it, lines with its words; at most 3): which kind of answer is
               this line ({"kind": "amount" | "past" | "count" | ...}, lead_questions.KINDS).
  finalize()   deterministic. The first line the model judged "stated" that passes the checks
               (bant_rules.validate: they can only lower a status) is the evidence; amounts and dates are parsed
               from it; contact names must have been said, e-mail and phone come from the recognisers;
               competitors must be named organisations or tracked; known names (CallContext) snap near misses.
               The tier follows bant_rules.tier.
`extract_lead()` does both.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from models.llm import ChatModel
from services.errors import ExtractionError, ParleyError
from services.pipeline import bant_rules, grounding, spoken
from services.pipeline.competitors import (
    framed_mentions,
    is_named_organisation,
    merge_competitors,
    passing_mentions,
    said_as_name,
    said_in_frame,
    tracked_mentions,
    used_organisations,
)
from services.pipeline.lead_context import CallContext
from services.pipeline.lead_prompt import (
    CHARS_PER_TOKEN,
    SUMMARY_MAX_CHARS,
    PromptLine,
    TranscriptView,
    build_view,
    speaker_labels,
)
from services.pipeline.lead_questions import (
    CHECK_KINDS,
    KINDS,
    NO_LINE,
    STATUSES,
    Question,
    check_question,
    excerpt,
    facts_question,
    line_messages,
    line_question,
    messages_for,
    roles_question,
)
from services.pipeline.names import (
    opening_lines,
    prospect_company_said,
    prospect_names_said,
    prospect_title_said,
)
from services.pipeline.patterns import blank_patterns, find_patterns
from services.pipeline.roles import guess_roles, preset_roles, rep_identity
from services.pipeline.types import (
    Bant,
    BantItem,
    Contact,
    CriterionStatus,
    Entity,
    Evidence,
    Lead,
    LeadScore,
    Role,
    Utterance,
)
from services.settings import Settings

__all__ = ["LeadExtraction", "ModelReading", "extract_lead", "finalize", "read_call"]

log = logging.getLogger(__name__)

# Tokens reserved for the system prompt, the question and the chat template around the transcript.
PROMPT_OVERHEAD_TOKENS = 1100
CONFIDENCE_START = 0.9
# The facts question reads at most this much transcript (~1,700 tokens): about 30 s of prompt on 2 cores.
FACTS_MAX_CHARS = 6000
PENALTY_FABRICATION = 0.1
PENALTY_ROLES = 0.1
PENALTY_TRUNCATED = 0.05
PENALTY_UNUSABLE = 0.15
WARM_INDICATORS: frozenset[CriterionStatus] = frozenset({"hedged", "delegated"})


# ------------------------------------------------------------------------------------------ answers


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class CriterionAnswer(_Lenient):
    line: str | None = None
    kind: str = "not_said"
    """The model's label for the cited line (lead_questions.KINDS); `status` is what it means."""
    status: CriterionStatus = "absent"
    second: str | None = None
    """The model's yes / no to the second look (asked only when `kind` contradicts the line's words)."""

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: Any) -> Any:
        text = str(value or "").strip().lower()
        return text if text in STATUSES else "absent"

    def judged(self, criterion: str) -> CriterionAnswer:
        """This answer with the status its kind stands for (or, after a "yes" to the second look, the status of
        the kind that question asks about)."""
        kind = CHECK_KINDS[criterion] if self.second == "yes" and criterion in CHECK_KINDS else self.kind
        return self.model_copy(update={"status": KINDS[criterion].get(kind, "absent")})

    @field_validator("line", mode="before")
    @classmethod
    def _line(cls, value: Any) -> Any:
        text = str(value or "").strip().strip("[]").lower()
        if not text or text == NO_LINE:
            return None
        return "u" + text if text[:1].isdigit() else text  # the model dropped the prefix


class FactsAnswer(_Lenient):
    name: str | None = None
    company: str | None = None
    competitors: list[str] = Field(default_factory=list)
    next_step: str | None = None


class RolesAnswer(_Lenient):
    rep: str


class CheckAnswer(_Lenient):
    answer: str

    @field_validator("answer", mode="before")
    @classmethod
    def _answer(cls, value: Any) -> Any:
        text = str(value or "").strip().lower()
        if text not in ("yes", "no"):
            raise ValueError(f"not yes / no: {value!r}")
        return text


@dataclass(frozen=True)
class ModelReading:
    """Everything the model said about one call, before any validation."""

    roles: dict[str, Role]
    rep: str | None
    roles_source: str
    """preset (stereo channels), heuristics, model (heuristics unsure, the roles question decided), single."""
    view: TranscriptView
    criteria: dict[str, tuple[CriterionAnswer, ...]]
    """Per criterion, the model's kind for each candidate line it was shown (in the order asked)."""
    facts: FactsAnswer
    seconds: dict[str, float] = field(default_factory=dict)
    """Wall seconds per question (budget, authority, need, timeline, facts, roles)."""
    problems: tuple[str, ...] = ()
    """Questions whose answer was unusable twice (taken as absent), role disagreements."""


@dataclass(frozen=True)
class LeadExtraction:
    lead: Lead
    """The final lead: validated, scored by rule, snapped to known names."""
    model_lead: Lead
    """The model's answers at face value (no validation, no rules): what the model alone is worth."""
    reading: ModelReading
    roles: dict[str, Role]


def reading_to_dict(reading: ModelReading) -> dict[str, Any]:
    """The model's answers as JSON (the view is rebuilt from the transcript): cache them to re-finalize later."""
    return {
        "roles": dict(reading.roles), "rep": reading.rep, "roles_source": reading.roles_source,
        "criteria": {k: [a.model_dump() for a in v] for k, v in reading.criteria.items()},
        "facts": reading.facts.model_dump(), "seconds": dict(reading.seconds), "problems": list(reading.problems),
    }


def reading_from_dict(data: dict[str, Any], utterances: Sequence[Utterance], settings: Settings) -> ModelReading:
    """A cached reading back, with the same transcript view the model saw."""
    utts = [u for u in utterances if u.text.strip()]
    roles: dict[str, Role] = dict(data["roles"])
    speakers = list(dict.fromkeys(u.speaker for u in utts))
    view = build_view(utts, speaker_labels(speakers, roles, confident=True), roles, max_chars=_max_chars(settings))
    return ModelReading(
        roles=roles, rep=data.get("rep"), roles_source=data.get("roles_source", "heuristics"), view=view,
        criteria={k: tuple(CriterionAnswer.model_validate(a) for a in v) for k, v in data["criteria"].items()},
        facts=FactsAnswer.model_validate(data["facts"]), seconds=dict(data.get("seconds", {})),
        problems=tuple(data.get("problems", ())),
    )


# --------------------------------------------------------------------------------------------- ask


@dataclass(frozen=True)
class ChatRequest:
    """Exactly what one question sends to the model (benchmarks cache answers by it)."""

    messages: list[dict[str, str]]
    schema: dict[str, Any]
    max_tokens: int
    temperature: float
    seed: int


def chat_request(transcript: str, question: Question, settings: Settings, *, line: bool = False,
                 attempt: int = 1) -> ChatRequest:
    """The request for one try of a question. `line`: `transcript` is a one-line excerpt, not the whole call."""
    llm = settings.llm
    messages = line_messages(transcript, question) if line else messages_for(transcript, question)
    if attempt == 2:
        messages[-1]["content"] += "\nReply with one complete JSON object only."
    return ChatRequest(messages, question.schema, max_tokens=min(question.max_tokens * attempt, llm.max_tokens),
                       temperature=llm.temperature,
                       seed=llm.seed + attempt - 1)  # a different seed so a sampled answer is not the same failure


def _ask(chat: ChatModel, transcript: str, question: Question, settings: Settings, model: type[_Lenient], *,
         line: bool = False) -> tuple[_Lenient | None, str | None]:
    """One narrow question, one retry on an unusable answer. Returns (answer, problem).
    `line`: `transcript` is a one-line excerpt, not the whole call."""
    problems: list[str] = []
    for attempt in (1, 2):
        request = chat_request(transcript, question, settings, line=line, attempt=attempt)
        try:
            text = chat.complete_json(request.messages, request.schema, max_tokens=request.max_tokens,
                                      temperature=request.temperature, seed=request.seed)
        except ParleyError:
            raise
        except Exception as exc:  # a model runtime failure (context overflow, native error) is an extraction failure
            raise ExtractionError(f"LLM call failed: {type(exc).__name__}: {exc}") from exc
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise ValueError(f"JSON is a {type(data).__name__}, not an object")
            return model.model_validate(data), None
        except (ValueError, ValidationError) as exc:
            problems.append(f"attempt {attempt}: {str(exc)[:120]}")
            log.warning("lead question %s: unusable answer (%s)", question.name, exc)
    return None, f"{question.name}: no usable answer ({'; '.join(problems)})"


def is_support_call(utts: Sequence[Utterance], roles: dict[str, Role]) -> bool:
    """The rep answers as support (bant_rules.is_support_call on the rep's first lines)."""
    return bant_rules.is_support_call([u.text for u in utts if roles.get(u.speaker) == "rep"])


def _resolve_roles(utts: Sequence[Utterance]) -> tuple[dict[str, Role], str | None, str]:
    preset = preset_roles(utts)
    if preset is not None:
        return preset, next((s for s, r in preset.items() if r == "rep"), None), "preset"
    guess = guess_roles(utts)
    if guess.rep is None:
        return guess.roles, None, "single"
    return guess.roles, guess.rep, "heuristics" if guess.confident else "unsure"


def _max_chars(settings: Settings) -> int:
    return int((settings.llm.n_ctx - 2 * 220 - PROMPT_OVERHEAD_TOKENS) * CHARS_PER_TOKEN)


def read_call(utterances: Sequence[Utterance], chat: ChatModel, settings: Settings) -> ModelReading:
    """Ask the model the narrow questions. Raises ExtractionError only when the model cannot be called."""
    utts = [u for u in utterances if u.text.strip()]
    seconds: dict[str, float] = {}
    problems: list[str] = []
    roles, rep, source = _resolve_roles(utts)
    speakers = list(dict.fromkeys(u.speaker for u in utts))

    if source == "unsure":
        labels = speaker_labels(speakers, roles, confident=False)
        neutral = build_view(utts, labels, roles, max_chars=_max_chars(settings))
        started = time.perf_counter()
        answer, problem = _ask(chat, neutral.render(), roles_question(list(labels.values())), settings, RolesAnswer)
        seconds["roles"] = round(time.perf_counter() - started, 3)
        by_label = {label: speaker for speaker, label in labels.items()}
        chosen = by_label.get(answer.rep) if isinstance(answer, RolesAnswer) else None
        if chosen is None:
            problems.append(problem or "roles: no answer")
            source = "heuristics"
        else:
            if chosen != rep:
                problems.append(f"roles: the model named {labels[chosen]} the rep, heuristics {labels[rep or '']}")
            rep, source = chosen, "model"
            roles = {s: ("rep" if s == rep else "prospect") for s in speakers}

    labels = speaker_labels(speakers, roles, confident=True)
    view = build_view(utts, labels, roles, max_chars=_max_chars(settings))

    # Facts first: the only question that reads the transcript. Long calls are condensed for it (opening and
    # close kept: introductions, next step), since reading the prompt is most of its cost on CPU; competitors
    # said in the middle are still found by the tracked-name and NER detectors.
    facts_view = view if len(view.render()) <= FACTS_MAX_CHARS else build_view(
        utts, labels, roles, max_chars=FACTS_MAX_CHARS)
    started = time.perf_counter()
    answer, problem = _ask(chat, facts_view.render(), facts_question(), settings, FactsAnswer)
    seconds["facts"] = round(time.perf_counter() - started, 3)
    facts = answer if isinstance(answer, FactsAnswer) else FactsAnswer()
    if problem:
        problems.append(problem)

    criteria: dict[str, tuple[CriterionAnswer, ...]] = {}
    support_call = is_support_call(utts, roles)
    for name in bant_rules.CRITERIA:
        started = time.perf_counter()
        judged: list[CriterionAnswer] = []
        for line, before in candidate_lines(view, roles, name, support_call=support_call):
            answer, problem = judge_line(chat, name, line.id, line.text, before, settings, support_call=support_call)
            if answer is not None:
                judged.append(answer)
            if problem:
                problems.append(f"{name} {line.id}: {problem}")
        criteria[name] = tuple(judged)
        seconds[name] = round(time.perf_counter() - started, 3)
    log.info("lead questions: %s", ", ".join(f"{k} {v:.1f}s" for k, v in seconds.items()))
    return ModelReading(roles, rep, source, view, criteria, facts, seconds, tuple(problems))


def judge_line(chat: ChatModel, name: str, line_id: str, line_text: str, before: str | None, settings: Settings, *,
               support_call: bool = False) -> tuple[CriterionAnswer | None, str | None]:
    """The model's judgement of one prospect line on one criterion: the kind question, and the yes / no second look
    when the kind contradicts the line's words. Returns (the judged answer or None, a problem or None)."""
    shown = excerpt(before, line_id, line_text)
    answer, problem = _ask(chat, shown, line_question(name), settings, CriterionAnswer, line=True)
    if not isinstance(answer, CriterionAnswer):
        return None, problem
    answer = answer.model_copy(update={"line": line_id})
    if bant_rules.second_look(name, answer.kind, line_text, support_call=support_call):
        check, _ = _ask(chat, shown, check_question(name), settings, CheckAnswer, line=True)
        if isinstance(check, CheckAnswer):
            answer = answer.model_copy(update={"second": check.answer})
    return answer.judged(name), problem


MAX_CANDIDATES = 3


def candidate_lines(view: TranscriptView, roles: dict[str, Role], name: str, *,
                    support_call: bool = False) -> list[tuple[PromptLine, str | None]]:
    """The prospect lines the model is asked about for `name`, with the rep line before each: answers to the
    rep's question on the criterion first, then lines with the criterion's words (most words first)."""
    lines = [ln for ln in view.lines if ln.id != "..."]
    is_rep = [roles.get(ln.utterance.speaker) == "rep" for ln in lines]
    before: dict[str, str | None] = {}
    answers: list[PromptLine] = []
    for i, line in enumerate(lines):
        if is_rep[i]:
            continue
        reps = [j for j in range(i - 1, -1, -1) if is_rep[j]]
        before[line.id] = lines[reps[0]].text if reps else None
        # an answer is one of the two lines right after the rep's question
        if reps and i - reps[0] <= 2 and bant_rules.QUESTION_CUES[name].search(lines[reps[0]].text):
            answers.append(line)
    prospect = [(i, ln) for i, ln in enumerate(lines) if not is_rep[i]]
    # On a support call the faults carry the most problem words; a sales need said in passing would never be
    # asked about, so for need they go after the other lines with problem words.
    demote = name == "need" and support_call
    scored = sorted(((not (demote and bant_rules.FAULT.search(ln.text)), bant_rules.cue_count(name, ln.text), -i,
                      ln.id) for i, ln in prospect), reverse=True)
    by_id = {ln.id: ln for ln in lines}
    cued = [by_id[lid] for _, count, _, lid in scored if count > 0]
    chosen: list[PromptLine] = []
    for line in [*answers, *cued]:
        if all(line.id != c.id for c in chosen):
            chosen.append(line)
    return [(ln, before.get(ln.id)) for ln in chosen[:MAX_CANDIDATES]]
# ---------------------------------------------------------------------------------------- finalize


class _Review:
    """Why a lead needs a human. `hard` reasons force review; `notes` explain, and travel with them."""

    def __init__(self) -> None:
        self.hard: list[str] = []
        self.notes: list[str] = []
        self.penalty = 0.0

    def flag(self, reason: str, penalty: float = 0.0) -> None:
        self.hard.append(reason)
        self.penalty += penalty

    def note(self, reason: str, penalty: float = 0.0) -> None:
        self.notes.append(reason)
        self.penalty += penalty


def _clean(value: str | None) -> str | None:
    """Model text without wrapping quotes or braces ("{40000}" was seen from the 1.5B model)."""
    if value is None:
        return None
    text = " ".join(value.split()).strip(" \"'{}[]")
    return text if text and text.lower() not in ("null", "none", "n/a", "unknown", "not said", "not mentioned") else None


_STATUS_WORDS: dict[str, dict[str, str]] = {
    "budget": {"hedged": "budget unclear", "negated": "no budget", "delegated": "budget held by someone else"},
    "authority": {"stated": "decision maker", "hedged": "shares the decision", "negated": "cannot decide",
                  "delegated": "someone else decides"},
    "need": {"hedged": "need unclear", "negated": "no need"},
    "timeline": {"hedged": "timeline vague", "negated": "no timeline", "delegated": "timeline set by someone else"},
}


def _summary(score: LeadScore, statuses: dict[str, CriterionStatus], contact: Contact, amount: str | None,
             timeline: str | None, competitors: Sequence[str], next_step: str | None) -> str:
    """One line from the validated fields. Generated text was the slowest part on CPU (a 60-token summary took
    longer than all four BANT questions) and the least checkable; this one says only what the lead holds."""
    who = contact.name or "the prospect"
    if contact.company:
        who += f" ({contact.company})"
    facts: list[str] = []
    if statuses["budget"] == "stated":
        facts.append(f"budget {amount}" if amount else "budget stated")
    if statuses["need"] == "stated":
        facts.append("a stated need")
    if statuses["timeline"] == "stated":
        facts.append(f"timeline {timeline}" if timeline else "a timeline")
    facts += [_STATUS_WORDS[n][s] for n, s in statuses.items() if s in _STATUS_WORDS[n]]
    if competitors:
        facts.append("mentions " + ", ".join(competitors[:3]))
    text = f"{score.capitalize()} lead: {who}" + (": " + "; ".join(facts) if facts else "") + "."
    if next_step:
        text += f" Next step: {next_step.rstrip('.')}."
    return text[:SUMMARY_MAX_CHARS]


def _line(view: TranscriptView, cited: str | None) -> PromptLine | None:
    if cited is None:
        return None
    line = view.by_id.get(cited)
    if line is not None:
        return line
    utt = view.utterance_ids.get(cited)  # a whole utterance cited although it was shown as sentences
    return PromptLine(cited, utt, utt.text.strip()) if utt is not None else None


# Which of several judged lines speaks for the criterion when none states it: the most informative status.
_STATUS_RANK: dict[CriterionStatus, int] = {"stated": 4, "delegated": 3, "negated": 2, "hedged": 1, "absent": 0}


def _evidence(line: PromptLine, name: str) -> Evidence:
    utt = line.utterance
    quote = grounding.best_sentence(line.text, name)
    return Evidence(utterance_id=utt.id, quote=quote, start=utt.start, end=utt.end)


def _model_pick(answers: Sequence[CriterionAnswer]) -> CriterionAnswer | None:
    """The model's own verdict over its judged lines: the highest status, first line on ties."""
    ranked = sorted(enumerate(answers), key=lambda t: (-_STATUS_RANK[t[1].status], t[0]))
    return ranked[0][1] if ranked else None


def _judge(reading: ModelReading, name: str, rules: frozenset[str], review: _Review, *,
           support_call: bool = False) -> tuple[CriterionStatus, PromptLine | None]:
    """The criterion's status from the model's judged lines: the first "stated" that the checks confirm wins;
    otherwise the most informative status among them (a lowered "stated" counts at its lowered value).
    Authority: a line that plainly refuses or hands over the decision beats a "stated" line without
    first-person ownership (bant_rules, authority_words)."""
    outcomes: list[tuple[CriterionStatus, PromptLine | None]] = []
    for answer in reading.criteria.get(name, ()):
        line = _line(reading.view, answer.line)
        if line is None or reading.roles.get(line.utterance.speaker) == "rep":
            continue
        status, why = bant_rules.validate(name, answer.status, line.text, rules, support_call=support_call)
        if why:
            review.note(f"{why} ({line.id})")
        outcomes.append((status, line))
    stated = next((o for o in outcomes if o[0] == "stated"), None)
    if stated is not None and name == "authority" and "authority_words" in rules \
            and not bant_rules.owns_decision(stated[1].text):
        refusal = next((o for o in outcomes if o[0] in ("negated", "delegated")
                        and bant_rules.refuses_decision(o[1].text)), None)
        if refusal is not None:
            review.note(f"authority: {refusal[1].id} refuses the decision, {stated[1].id} does not claim it")
            return refusal
    if stated is not None:
        return stated
    if not outcomes:
        return "absent", None
    status, line = max(outcomes, key=lambda t: _STATUS_RANK[t[0]])
    return status, line if status != "absent" else None


def _said_email(prospect_utts: Sequence[Utterance]) -> str | None:
    """The first e-mail address the prospect gave, written or read out (the PII recogniser's own parser)."""
    for utt in prospect_utts:
        for hit in find_patterns(utt.text):
            if hit.type == "EMAIL":
                span = utt.text[hit.start : hit.end]
                spoken_form = spoken.spoken_emails(span)
                return (spoken_form[0] if spoken_form else span).lower()
    return None


def _said_phone(prospect_utts: Sequence[Utterance]) -> str | None:
    """The first phone number the prospect gave, as digits (10 digits formatted 415-555-0192)."""
    for utt in prospect_utts:
        for hit in find_patterns(utt.text):
            if hit.type == "PHONE":
                return grounding.written_phone(spoken.digit_stream(utt.text[hit.start : hit.end]))
    return None


def _without_emails(utts: Sequence[Utterance]) -> list[Utterance]:
    """The utterances with every written or spoken e-mail address cut out of their text."""
    out: list[Utterance] = []
    for utt in utts:
        text = blank_patterns(utt.text, "EMAIL")
        out.append(utt if text == utt.text else utt.model_copy(update={"text": text}))
    return out


_THIRD_PARTY = re.compile(
    r"\b(?:my|our|the) (?:\w+ )?(?:manager|boss|director|vp|cfo|ceo|cto|coo|head|lead|colleague|assistant|partner|"
    r"owner|founder|admin|analyst|engineer|rep|team)\s*,?\s*$|\b(?:talk|speak|check|ask|loop in|run it by|cc|copy|"
    r"email|call|with|to|for|from) $",
    re.IGNORECASE,
)


def _third_party(name: str, prospect_utts: Sequence[Utterance]) -> bool:
    """Every time the prospect says `name`, it follows a role or a verb that points at someone else ("my director
    Sean Duarte", "ask Priya")."""
    first = name.split()[0]
    seen = False
    for utt in prospect_utts:
        for match in re.finditer(rf"\b{re.escape(first)}\b", utt.text):
            seen = True
            if not _THIRD_PARTY.search(utt.text[: match.start()]):
                return False
    return seen


def _vendor_not_employer(company: str, utts: Sequence[Utterance], prospect_utts: Sequence[Utterance],
                         roles: dict[str, Role]) -> bool:
    """The prospect names `company` as a tool ("we run on Gong") and never as who they are with."""
    said = prospect_company_said(utts, roles)
    if said and grounding.same_name(company, said):
        return False
    return any(grounding.same_name(company, vendor) for vendor in framed_mentions(prospect_utts))


def _ground_contact(
    facts: FactsAnswer,
    utts: Sequence[Utterance],
    prospect_utts: Sequence[Utterance],
    roles: dict[str, Role],
    rep_names: set[str],
    rep_companies: set[str],
    context: CallContext,
    review: _Review,
) -> Contact:
    fields: dict[str, str | None] = {}
    own = {c for c in [*rep_companies, context.own_company or ""] if c}
    # A company must be said as a name, not read off an e-mail domain ("f dot sorensen at brightwave dot co"):
    # domains are abbreviations, mail hosts or a parent's name as often as the company itself.
    # ... and said where people say who they are: the opening lines (names.opening_lines).
    said_utts = _without_emails(opening_lines(utts, roles))
    checks = {
        "name": lambda v: grounding.phrase_grounded(v, utts),
        "company": lambda v: grounding.company_grounded(v, said_utts),
    }
    for key, check in checks.items():
        value = _clean(getattr(facts, key))
        if value is None:
            fields[key] = None
            continue
        if not check(value):
            review.flag(f"contact {key} not found in transcript, dropped: {value!r}", PENALTY_FABRICATION)
            fields[key] = None
            continue
        if key == "name" and any(grounding.same_name(value, n) for n in rep_names):
            review.note(f"contact name {value!r} is the rep's own name, dropped")
            fields[key] = None
            continue
        if key == "name" and any(grounding.same_name(value, c) for c in [_clean(facts.company), *own] if c):
            review.note(f"contact name {value!r} is a company, dropped")
            fields[key] = None
            continue
        if key == "company" and any(grounding.same_name(value, c) for c in own):
            review.note(f"contact company {value!r} is the rep's company, dropped")
            fields[key] = None
            continue
        if key == "company" and _vendor_not_employer(value, utts, prospect_utts, roles):
            review.note(f"contact company {value!r} is a tool the prospect uses or weighs, dropped")
            fields[key] = None
            continue
        fields[key] = value
    # The prospect's name as either side said it ("this is Dana Reyes", "Hi, is this Dana Reyes?").
    said = [n for n in prospect_names_said(utts, roles) if not any(grounding.same_name(n, r) for r in rep_names)]
    if fields.get("name") and not any(grounding.same_name(fields["name"], n) for n in said) \
            and _third_party(fields["name"], prospect_utts):
        # "my manager Priya", "talk to Sean in finance": someone the prospect speaks of, not the prospect.
        review.note(f"contact name {fields['name']!r} is someone the prospect talks about, dropped")
        fields["name"] = None
    if fields.get("name") is None or " " not in (fields.get("name") or ""):
        current = fields.get("name")
        better = next((n for n in said if current is None or grounding.same_name(current, n)), None)
        if better is not None and better != current:
            review.note(f"contact name taken from the introductions: {better!r}")
            fields["name"] = better
    if fields.get("company") is None:
        company = prospect_company_said(utts, roles)
        if company and not any(grounding.same_name(company, c) for c in own):
            review.note(f"contact company taken from the introductions: {company!r}")
            fields["company"] = company
    return Contact(name=fields.get("name"), company=fields.get("company"), title=prospect_title_said(prospect_utts),
                   email=_said_email(prospect_utts), phone=_said_phone(prospect_utts))


def _competitors(
    facts: FactsAnswer,
    utts: Sequence[Utterance],
    prospect_utts: Sequence[Utterance],
    contact: Contact,
    rep_identity: tuple[set[str], set[str]],
    context: CallContext,
    entities: Sequence[Entity],
    review: _Review,
) -> tuple[str, ...]:
    rep_names, rep_companies = rep_identity
    parties = [*rep_companies, context.own_company or "", *context.products, contact.company or ""]
    named: list[str] = []
    for comp in dict.fromkeys(filter(None, (_clean(c) for c in facts.competitors))):
        if any(grounding.same_name(comp, p) for p in parties if p):
            review.note(f"competitor {comp!r} is a party to the call, dropped")
        elif not grounding.company_grounded(comp, prospect_utts):
            review.note(f"competitor not said by the prospect, dropped: {comp!r}")
        elif not (is_named_organisation(comp, entities, context.competitors) or said_as_name(comp, prospect_utts)
                  or said_in_frame(comp, prospect_utts)):
            # Said is not enough ("desk phones", "80 people now" were offered): it must be a named organisation
            # or product the NER found, one the team tracks, or said as a name (capitalised inside a sentence:
            # spaCy's small model misses most software brands).
            review.note(f"competitor {comp!r} is not a named organisation, dropped")
        elif any(grounding.same_name(comp, person) for person in (contact.name, *rep_names) if person):
            # Needed since any proper-name entity counts as a name: the NER tags brands PERSON too.
            review.note(f"competitor {comp!r} is a person on the call, dropped")
        else:
            named.append(comp)
    people = [n for n in (contact.name, *rep_names, *context.contacts) if n]
    framed = [n for n in framed_mentions(prospect_utts, entities)
              if not any(grounding.same_name(n, p) or n.lower() in p.lower().split() for p in people)]
    detected = (tracked_mentions(context.competitors, prospect_utts) + used_organisations(entities, prospect_utts)
                + passing_mentions(entities, prospect_utts) + framed)
    return merge_competitors(named, detected, [p for p in parties if p])


def _score(statuses: dict[str, CriterionStatus], booked: bool) -> LeadScore:
    confirmed = [n for n, s in statuses.items() if s == "stated"]
    # Strong intent (the guide's other road to warm): a confirmed need plus a warm indicator or a booked step.
    strong = statuses.get("need") == "stated" and (any(s in WARM_INDICATORS for s in statuses.values()) or booked)
    return bant_rules.tier(len(confirmed), strong_intent=strong)


def _model_lead(reading: ModelReading) -> Lead:
    """The model's answers taken at face value: every cited line kept, every status believed."""
    items: dict[str, BantItem] = {}
    statuses: dict[str, CriterionStatus] = {}
    amount = timeline = None
    for name in bant_rules.CRITERIA:
        answer = _model_pick(reading.criteria.get(name, ()))
        status: CriterionStatus = answer.status if answer else "absent"
        line = _line(reading.view, answer.line) if answer else None
        evidence = (_evidence(line, name),) if line is not None and status != "absent" else ()
        statuses[name] = status
        items[name] = BantItem(present=status == "stated", evidence=evidence, status=status)
        if line is not None and status == "stated" and name == "budget":
            amount = bant_rules.budget_amount(line.text)
        if line is not None and status == "stated" and name == "timeline":
            timeline = bant_rules.timeline_phrase(line.text)
    facts = reading.facts
    contact = Contact(name=_clean(facts.name), company=_clean(facts.company))
    return Lead(
        score=_score(statuses, bant_rules.committed_next_step(facts.next_step)), confidence=CONFIDENCE_START,
        bant=Bant(**items), contact=contact,
        competitors=tuple(dict.fromkeys(filter(None, (_clean(c) for c in facts.competitors)))),
        budget_amount=amount, timeline_text=timeline, next_step=_clean(facts.next_step),
        prospect_speaker=_prospect_speaker(reading.roles, ()),
    )


def _prospect_speaker(roles: dict[str, Role], utts: Sequence[Utterance]) -> str | None:
    prospects = [s for s, r in roles.items() if r == "prospect"]
    if not prospects:
        return None
    talk = {s: sum(u.end - u.start for u in utts if u.speaker == s) for s in prospects}
    return max(prospects, key=lambda s: (talk.get(s, 0.0), -prospects.index(s)))


def finalize(
    reading: ModelReading,
    utterances: Sequence[Utterance],
    settings: Settings,
    *,
    context: CallContext = CallContext(),
    entities: Sequence[Entity] = (),
    rules: Sequence[str] = bant_rules.RULES,
) -> LeadExtraction:
    """Validate the model's reading into the final lead. Deterministic and fast; `rules` is for ablations."""
    from services.pipeline.known_names import snap_lead

    active = frozenset(rules)
    utts = [u for u in utterances if u.text.strip()]
    roles = reading.roles
    review = _Review()
    for problem in reading.problems:
        if problem.startswith("roles:"):
            review.flag(f"speaker roles uncertain: {problem[7:]}", PENALTY_ROLES)
        else:
            review.flag(problem, PENALTY_UNUSABLE)
    if reading.view.omitted:
        review.flag(f"transcript too long for the context window: {reading.view.omitted} utterances not read",
                    PENALTY_TRUNCATED)
    prospect_utts = [u for u in utts if roles.get(u.speaker) != "rep"]

    # --- BANT: the model's status, validated against the line it cited
    lines: dict[str, PromptLine | None] = {}
    statuses: dict[str, CriterionStatus] = {}
    support_call = is_support_call(utts, roles)
    for name in bant_rules.CRITERIA:
        statuses[name], lines[name] = _judge(reading, name, active, review, support_call=support_call)

    items: dict[str, BantItem] = {}
    for name in bant_rules.CRITERIA:
        line = lines[name]
        evidence = (_evidence(line, name),) if line is not None and statuses[name] != "absent" else ()
        items[name] = BantItem(present=statuses[name] == "stated", evidence=evidence, status=statuses[name])

    # --- amounts and dates come from the cited words, not from the model
    budget_line, timeline_line = lines["budget"], lines["timeline"]
    amount = bant_rules.budget_amount(budget_line.text) if budget_line and statuses["budget"] == "stated" else None
    timeline_text = (bant_rules.timeline_phrase(timeline_line.text)
                     if timeline_line and statuses["timeline"] == "stated" else None)

    rep_names, rep_companies = rep_identity(utts, reading.rep)
    contact = _ground_contact(reading.facts, utts, prospect_utts, roles, rep_names, rep_companies, context, review)
    competitors = _competitors(reading.facts, utts, prospect_utts, contact, (rep_names, rep_companies), context,
                               entities, review)
    next_step = _clean(reading.facts.next_step)
    score = _score(statuses, bant_rules.committed_next_step(next_step))

    confidence = round(min(1.0, max(0.0, CONFIDENCE_START - review.penalty)), 3)
    threshold = settings.lead.review_threshold
    if confidence < threshold:
        review.flag(f"confidence {confidence:.2f} below review threshold {threshold:.2f}")
    needs_review = bool(review.hard)
    if review.notes:
        log.info("lead extraction notes: %s", "; ".join(review.notes))
    lead = Lead(
        score=score,
        confidence=confidence,
        bant=Bant(**items),
        contact=contact,
        competitors=competitors,
        budget_amount=amount,
        timeline_text=timeline_text,
        next_step=next_step,
        # The need's own words are the pain point: grounded, and no extra tokens to generate.
        pain_points=tuple(e.quote for e in items["need"].evidence) if items["need"].present else (),
        summary=_summary(score, statuses, contact, amount, timeline_text, competitors, next_step),
        needs_review=needs_review,
        review_reasons=tuple(review.hard + review.notes) if needs_review else (),
        prospect_speaker=_prospect_speaker(roles, utts),
    )
    lead = snap_lead(lead, context)
    return LeadExtraction(lead=lead, model_lead=_model_lead(reading), reading=reading, roles=dict(roles))


def empty_lead(reason: str) -> Lead:
    return Lead(
        score="cold", confidence=0.0,
        bant=Bant(**{n: BantItem(present=False, status="absent") for n in bant_rules.CRITERIA}),
        contact=Contact(), needs_review=True, review_reasons=(reason,),
    )


def extract_lead_detailed(
    utterances: Sequence[Utterance],
    chat: ChatModel,
    settings: Settings,
    *,
    context: CallContext = CallContext(),
    entities: Sequence[Entity] = (),
) -> LeadExtraction | None:
    """read_call + finalize; None for an empty transcript."""
    if not any(u.text.strip() for u in utterances):
        return None
    reading = read_call(utterances, chat, settings)
    return finalize(reading, utterances, settings, context=context, entities=entities)


def extract_lead(
    utterances: Sequence[Utterance],
    chat: ChatModel,
    settings: Settings,
    *,
    context: CallContext = CallContext(),
    entities: Sequence[Entity] = (),
) -> Lead:
    """Score the call's lead. Raises ExtractionError when the model cannot be called."""
    done = extract_lead_detailed(utterances, chat, settings, context=context, entities=entities)
    return done.lead if done is not None else empty_lead("empty transcript: nothing was said")


def apply_roles(utterances: Sequence[Utterance], roles: dict[str, Role]) -> tuple[Utterance, ...]:
    """Utterances carrying the roles the lead was scored with (one decision for the whole result)."""
    return tuple(
        u if roles.get(u.speaker, u.role) == u.role else u.model_copy(update={"role": roles[u.speaker]})
        for u in utterances
    )

