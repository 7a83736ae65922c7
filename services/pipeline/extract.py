"""Lead extraction: utterances -> one LLM call (JSON schema) -> grounded, rule-scored Lead.

Steps:
  1. roles: heuristics decide rep vs prospect; when they are unsure the LLM names the rep (same call);
  2. prompt: numbered lines ([u12] PROSPECT: ...); the schema asks for ids, never for quotes;
  3. grounding: quotes cut from the transcript by id; rep lines, unknown ids, and contact details, amounts and
     competitor names that were never said are dropped, with a reason;
  4. scoring: the BANT tier rules run in code over the grounded criteria; the model's own score only lowers
     confidence when it disagrees. Low confidence or any dropped fabrication -> needs_review.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from models.llm import ChatModel
from services.errors import ExtractionError, ParleyError
from services.pipeline import bant_rules, grounding, spoken
from services.pipeline.lead_answer import AnswerContact, AnswerItem, LlmAnswer, parse_answer
from services.pipeline.lead_prompt import (
    CHARS_PER_TOKEN,
    SUMMARY_MAX_CHARS,
    build_messages,
    build_view,
    lead_schema,
    speaker_labels,
    split_sentences,
)
from services.pipeline.roles import assign_roles, guess_roles, preset_roles, rep_identity
from services.pipeline.competitors import (
    is_named_organisation,
    merge_competitors,
    tracked_mentions,
    used_organisations,
)
from services.pipeline.types import Bant, BantItem, Contact, Entity, Evidence, Lead, LeadScore, Role, Utterance
from services.settings import Settings

__all__ = ["assign_roles", "extract_lead"]

log = logging.getLogger(__name__)

# Tokens reserved for the system prompt and chat template around the transcript.
PROMPT_OVERHEAD_TOKENS = 600
# Confidence penalties (the model's self-reported confidence is the starting point).
PENALTY_PER_TIER = 0.2
PENALTY_FABRICATION = 0.1
PENALTY_ROLES = 0.1
PENALTY_TRUNCATED = 0.05
RETRY_TOKEN_FACTOR = 1.5


def _ask(chat: ChatModel, messages: list[dict[str, str]], schema: dict[str, Any], settings: Settings) -> LlmAnswer:
    """One call, and one retry if the answer is unusable (e.g. cut off by max_tokens)."""
    llm = settings.llm
    attempts = [
        (messages, llm.max_tokens, llm.temperature, llm.seed),
        (
            messages[:-1]
            + [{"role": "user", "content": messages[-1]["content"] + "\nReply with one complete JSON object only."}],
            int(llm.max_tokens * RETRY_TOKEN_FACTOR),
            llm.temperature,
            llm.seed + 1,  # a different seed so a sampled answer is not the same failure again
        ),
    ]
    problems: list[str] = []
    for attempt, (msgs, max_tokens, temperature, seed) in enumerate(attempts, start=1):
        try:
            text = chat.complete_json(msgs, schema, max_tokens=max_tokens, temperature=temperature, seed=seed)
        except ParleyError:
            raise
        except Exception as exc:  # a model runtime failure (context overflow, native error) is an extraction failure
            raise ExtractionError(f"LLM call failed: {type(exc).__name__}: {exc}") from exc
        usage = getattr(chat, "last_usage", None)
        if usage is not None:
            log.info(
                "lead extraction call %d: %d prompt tokens (%s s), %d generated in %.1f s total (%.1f tok/s, "
                "finish=%s)", attempt, usage.prompt_tokens,
                "?" if usage.prompt_seconds is None else f"{usage.prompt_seconds:.1f}",
                usage.completion_tokens, usage.seconds, usage.tokens_per_second, usage.finish_reason,
            )
        try:
            return parse_answer(text)
        except ValueError as exc:
            problems.append(f"attempt {attempt}: {exc}")
            log.warning("lead extraction: unusable LLM answer (%s)", exc)
    raise ExtractionError(
        "the LLM did not return valid lead JSON after a retry: " + "; ".join(problems),
        hint="raise PARLEY_LLM__MAX_TOKENS if the answer was cut off, or check the model file",
    )


# ------------------------------------------------------------------------------------------ roles


def _resolve_roles(utterances: Sequence[Utterance]) -> tuple[dict[str, Role], str | None, bool]:
    """(roles, rep speaker, confident). Roles already set upstream (stereo channels) are trusted."""
    preset = preset_roles(utterances)
    if preset is not None:
        rep = next((s for s, r in preset.items() if r == "rep"), None)
        return preset, rep, True
    guess = guess_roles(utterances)
    if guess.rep is None:  # one speaker: nothing to ask
        return guess.roles, None, True
    return guess.roles, guess.rep, guess.confident


# ------------------------------------------------------------------------------------------ lead


class _Review:
    """Collects why a lead needs a human. `hard` reasons force review; `notes` explain, and are shown with them."""

    def __init__(self) -> None:
        self.hard: list[str] = []
        self.notes: list[str] = []
        self.penalty = 0.0

    def flag(self, reason: str, penalty: float = 0.0) -> None:
        self.hard.append(reason)
        self.penalty += penalty

    def note(self, reason: str) -> None:
        self.notes.append(reason)


def _clean(value: str | None) -> str | None:
    """Model text without wrapping quotes or braces ("{40000}" was seen from the 1.5B model)."""
    if value is None:
        return None
    text = " ".join(value.split()).strip(" \"'{}[]")
    return text if text and text.lower() not in ("null", "none", "n/a", "unknown") else None


def _summary(text: str) -> str:
    """The summary without a sentence cut off by the schema's length limit."""
    text = " ".join(text.split())
    if len(text) < SUMMARY_MAX_CHARS - 1 or text.endswith((".", "!", "?")):
        return text
    sentences = split_sentences(text)
    return " ".join(sentences[:-1]) if len(sentences) > 1 else text.rstrip(",;: ") + "..."


def _rescue_evidence(
    name: str, utts: Sequence[Utterance], roles: dict[str, Role], *, taken: set[str]
) -> Evidence | None:
    previous = {u.id: (utts[i - 1].text if i else "") for i, u in enumerate(utts)}
    candidates = [u for u in utts if roles.get(u.speaker) != "rep" and u.id not in taken]
    index = bant_rules.qualifying_line(name, [u.text for u in candidates], [previous[u.id] for u in candidates])
    if index is None:
        return None
    utt = candidates[index]
    quote = grounding.best_sentence(utt.text, name)
    return Evidence(utterance_id=utt.id, quote=quote, start=utt.start, end=utt.end)


def _empty_lead(reason: str) -> Lead:
    empty = BantItem(present=False)
    return Lead(
        score="cold", confidence=0.0, bant=Bant(budget=empty, authority=empty, need=empty, timeline=empty),
        contact=Contact(), needs_review=True, review_reasons=(reason,),
    )


def _quotes_as_evidence(
    item: AnswerItem, name: str, prospect_utts: Sequence[Utterance], review: _Review
) -> list[Evidence]:
    """Quotes the model wrote itself: kept only when verbatim in a prospect line, else dropped and flagged."""
    out: list[Evidence] = []
    for quote in [q for q in [item.quote, *item.quotes] if q and q.strip()]:
        needle = " ".join(quote.split()).strip(" \"'")
        hit = next((u for u in prospect_utts if grounding.quote_in_transcript(needle, [u])), None)
        if hit is None:
            review.flag(f"{name}: quote not in transcript, dropped: {needle[:80]!r}", PENALTY_FABRICATION)
            continue
        # Store the transcript's own spelling of the quote, not the model's (case, spacing may differ).
        core = needle.strip(".,!?")
        start = hit.text.lower().find(core.lower())
        exact = hit.text[start : start + len(core)] if start >= 0 else hit.text.strip()
        out.append(Evidence(utterance_id=hit.id, quote=exact, start=hit.start, end=hit.end))
    return out


def _ground_contact(
    raw: AnswerContact,
    utterances: Sequence[Utterance],
    prospect_utts: Sequence[Utterance],
    rep_names: set[str],
    rep_companies: set[str],
    review: _Review,
) -> Contact:
    fields: dict[str, str | None] = {}
    checks = {
        "name": lambda v: grounding.phrase_grounded(v, utterances),
        "company": lambda v: grounding.company_grounded(v, utterances),
        "email": lambda v: grounding.email_grounded(v, utterances),
        "phone": lambda v: grounding.phone_grounded(v, utterances),
    }
    for field, check in checks.items():
        value = _clean(getattr(raw, field))
        if value is None:
            fields[field] = None
            continue
        # The model sometimes copies the spoken form ("four one five ..."); store the written one.
        if field == "phone":
            value = grounding.written_phone(value)
        elif field == "email":
            value = grounding.written_email(value)
        if field in ("phone", "email") and not check(value):
            # Read-out numbers and addresses are garbled by small models; repair from what the prospect said.
            repair = grounding.closest_said_phone if field == "phone" else grounding.closest_said_email
            said = repair(value, prospect_utts)
            if said is not None:
                review.note(f"contact {field} {value!r} misread by the model, taken from the transcript: {said!r}")
                fields[field] = said
                continue
        if not check(value):
            review.flag(f"contact {field} not found in transcript, dropped: {value!r}", PENALTY_FABRICATION)
            fields[field] = None
            continue
        if field == "name" and any(grounding.same_name(value, n) for n in rep_names):
            review.flag(f"contact name {value!r} is the rep's own name, dropped", PENALTY_FABRICATION)
            fields[field] = None
            continue
        if field == "company" and any(grounding.same_name(value, c) for c in rep_companies):
            review.flag(f"contact company {value!r} is the rep's company, dropped", PENALTY_FABRICATION)
            fields[field] = None
            continue
        fields[field] = value
    title = _clean(raw.title)
    # Titles are paraphrased often ("I run ops" -> "Head of Operations"): keep when half the words were said.
    if title and not grounding.phrase_grounded(title, utterances, coverage=0.5):
        review.note(f"contact title not said, dropped: {title!r}")
        title = None
    return Contact(title=title, **fields)


def extract_lead(
    utterances: Sequence[Utterance],
    chat: ChatModel,
    settings: Settings,
    *,
    tracked_competitors: Sequence[str] = (),
    entities: Sequence[Entity] = (),
) -> Lead:
    """Score the call's lead. Raises ExtractionError when the model gives no usable JSON twice."""
    utts = [u for u in utterances if u.text.strip()]
    if not utts:
        return _empty_lead("empty transcript: nothing was said")

    roles, rep, confident = _resolve_roles(utts)
    speakers = list(dict.fromkeys(u.speaker for u in utts))
    labels = speaker_labels(speakers, roles, confident=confident)
    max_chars = int((settings.llm.n_ctx - settings.llm.max_tokens * RETRY_TOKEN_FACTOR - PROMPT_OVERHEAD_TOKENS)
                    * CHARS_PER_TOKEN)
    view = build_view(utts, labels, roles, max_chars=max_chars)
    # With known roles only prospect lines are citable (the schema enum makes a rep line impossible to cite).
    citable = [
        ln.id for ln in view.lines
        if ln.id != "..." and (not confident or roles.get(ln.utterance.speaker) != "rep")
    ]
    schema = lead_schema(citable, None if confident else [labels[s] for s in speakers])
    messages = build_messages(view, ask_rep=not confident)
    answer = _ask(chat, messages, schema, settings)

    review = _Review()
    if view.omitted:
        review.flag(f"transcript too long for the context window: {view.omitted} utterances not read",
                    PENALTY_TRUNCATED)
    if not confident:
        by_label = {label: speaker for speaker, label in labels.items()}
        chosen = by_label.get((answer.rep_speaker or "").strip())
        if chosen is not None and chosen != rep:
            review.flag(f"speaker roles uncertain: the model named {chosen} the rep, heuristics {rep}", PENALTY_ROLES)
            rep = chosen
            roles = {s: ("rep" if s == rep else "prospect") for s in speakers}
        elif chosen is None:
            review.note(f"speaker roles guessed by heuristics: {rep} is the rep")

    prospect_utts = [u for u in utts if roles.get(u.speaker) != "rep"]
    prospect_texts = [u.text for u in prospect_utts]

    # --- BANT: cited ids -> transcript quotes -> rule checks
    items: dict[str, BantItem] = {}
    confirmed: list[str] = []
    # Said, but short of the guide's bar ("some budget, no number yet", "probably Q3", "I'll check with my VP"):
    # the guide's warm indicators.
    partial: list[str] = []
    rescued_ids: set[str] = set()  # a line re-taken for one criterion is not re-used for the next
    for name in bant_rules.CRITERIA:
        raw_item: AnswerItem = getattr(answer, name)
        resolved = grounding.resolve_evidence(raw_item.evidence_ids, name, view, roles)
        for why in resolved.dropped:
            review.note(f"{name}: cited {why}")
        evidence = list(resolved.evidence) + _quotes_as_evidence(raw_item, name, prospect_utts, review)
        claimed = BantItem(present=raw_item.present, evidence=tuple(evidence[:3]))
        ok, why_not = bant_rules.check_criterion(name, claimed, prospect_texts)
        # A criterion the model judged present is re-checked against the transcript when it cited a real prospect
        # line that fails the wording rule, or cited nothing at all (the 1.5B model sometimes returns empty id
        # lists); citations that were all fabricated or the rep's stay unconfirmed.
        cited_nothing = not (raw_item.evidence_ids or raw_item.quote or raw_item.quotes)
        if not ok and claimed.present and (claimed.evidence or cited_nothing):
            rescued = _rescue_evidence(name, utts, roles, taken=rescued_ids)
            if rescued is not None:
                rescued_ids.add(rescued.utterance_id)
                claimed = BantItem(present=True, evidence=(rescued,))
                ok, _ = bant_rules.check_criterion(name, claimed, prospect_texts)
                review.note(f"{why_not}; evidence re-taken from {rescued.utterance_id}")
                why_not = None
        if why_not:
            review.note(why_not)
        if ok:
            confirmed.append(name)
        elif claimed.present and claimed.evidence:
            partial.append(name)
        items[name] = BantItem(present=ok, evidence=claimed.evidence)

    # --- free-text fields that claim to be what was said
    budget_amount = _clean(answer.budget_amount)
    if budget_amount and not spoken.mentions_amount(budget_amount) and not spoken.spoken_numbers(budget_amount):
        review.note(f"budget amount names no amount, dropped: {budget_amount!r}")
        budget_amount = None
    if budget_amount and not grounding.amount_grounded(budget_amount, prospect_utts):
        review.flag(f"budget amount not said by the prospect, dropped: {budget_amount!r}", PENALTY_FABRICATION)
        budget_amount = None
    timeline_text = _clean(answer.timeline_text)
    if timeline_text and not grounding.phrase_grounded(timeline_text, prospect_utts, coverage=0.75):
        review.flag(f"timeline text not said by the prospect, dropped: {timeline_text!r}", PENALTY_FABRICATION)
        timeline_text = None

    rep_names, rep_companies = rep_identity(utts, rep)
    contact = _ground_contact(answer.contact, utts, prospect_utts, rep_names, rep_companies, review)

    competitors: list[str] = []
    for comp in dict.fromkeys(filter(None, (_clean(c) for c in answer.competitors))):
        if any(grounding.same_name(comp, c) for c in [*rep_companies, contact.company or ""] if c):
            review.note(f"competitor {comp!r} is a party to the call, dropped")
        elif not grounding.company_grounded(comp, utts):
            review.flag(f"competitor not mentioned in transcript, dropped: {comp!r}", PENALTY_FABRICATION)
        else:
            competitors.append(comp)
    if entities:
        # Said is not enough ("desk phones", "calls in Spanish" were offered as competitors): a competitor the
        # model names must be an organisation or product the NER found, or one the team tracks.
        named = [c for c in competitors if is_named_organisation(c, entities, tracked_competitors)]
        for dropped in set(competitors) - set(named):
            review.note(f"competitor {dropped!r} is not a named organisation, dropped")
        competitors = named
    detected = tracked_mentions(tracked_competitors, prospect_utts) + used_organisations(entities, prospect_utts)
    competitors = list(merge_competitors(competitors, detected, [*rep_companies, contact.company or ""]))

    next_step = _clean(answer.next_step)

    # --- score: rules decide, the model's opinion moves confidence
    # Strong intent (the guide's other road to warm): a confirmed need plus a warm indicator or a meeting booked.
    strong_intent = "need" in confirmed and (bool(partial) or bant_rules.committed_next_step(next_step))
    score: LeadScore = bant_rules.tier(len(confirmed), strong_intent=strong_intent)
    confidence = answer.confidence
    if answer.score is not None and answer.score != score:
        distance = abs(bant_rules.TIER_ORDER[answer.score] - bant_rules.TIER_ORDER[score])
        review.flag(
            f"score: model said {answer.score}, BANT rules say {score} "
            f"(confirmed: {', '.join(confirmed) or 'none'})",
            PENALTY_PER_TIER * distance,
        )
    confidence = round(min(1.0, max(0.0, confidence - review.penalty)), 3)
    threshold = settings.lead.review_threshold
    if confidence < threshold:
        review.flag(f"confidence {confidence:.2f} below review threshold {threshold:.2f}")

    needs_review = bool(review.hard)
    if review.notes:
        # Notes travel with the lead only when it goes to review; otherwise they are kept in the log for audits.
        log.info("lead extraction notes: %s", "; ".join(review.notes))
    prospects = [s for s in speakers if roles.get(s) == "prospect"]
    talk = {s: sum(u.end - u.start for u in utts if u.speaker == s) for s in prospects}
    return Lead(
        score=score,
        confidence=confidence,
        bant=Bant(**items),
        contact=contact,
        pain_points=tuple(dict.fromkeys(filter(None, (_clean(p) for p in answer.pain_points)))),
        competitors=tuple(competitors),
        budget_amount=budget_amount,
        timeline_text=timeline_text,
        next_step=next_step,
        summary=_summary(answer.summary),
        needs_review=needs_review,
        review_reasons=tuple(review.hard + review.notes) if needs_review else (),
        prospect_speaker=max(talk, key=talk.__getitem__) if talk else None,
    )
