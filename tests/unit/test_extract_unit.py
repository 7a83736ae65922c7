"""Lead extraction with a fake ChatModel: narrow questions, citation validation, rules, roles, contact, review.
No model, fast."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from models.llm import ChatModel, LlamaCppChat, OpenAIHttpChat, load_chat_model
from services.errors import ExtractionError, ModelMissing
from services.pipeline import bant_rules, spoken
from services.pipeline.extract import apply_roles, extract_lead, extract_lead_detailed, finalize, read_call
from services.pipeline.lead_context import CallContext
from services.pipeline.lead_questions import KINDS
from services.pipeline.names import prospect_names_said
from services.pipeline.roles import assign_roles
from services.pipeline.types import Utterance
from services.settings import LeadSettings, LlmSettings, Settings
from tests.fixtures.sales_call import sales_call

# sales_call(): u1 rep intro (Sarah Chen, Brightline Analytics), u2 prospect (Dana Reyes, Northwind Logistics),
# u4 need, u6 competitors (Gong, Chorus), u8 budget, u10 authority, u12 timeline, u14 email + phone.
def kind_for(criterion: str, status: str) -> str:
    """The first kind of `criterion` that means `status`."""
    return next(k for k, v in KINDS[criterion].items() if v == status)


def ans(criterion: str, line: str, status: str) -> dict[str, str]:
    """The model's judgement of one line: asked about `line`, it answers the kind that means `status`
    (every other line it is asked about: not said)."""
    return {line: kind_for(criterion, status)}


CORRECT = {
    "budget": ans("budget", "u8", "stated"),
    "authority": ans("authority", "u10", "stated"),
    "need": ans("need", "u4", "stated"),
    "timeline": ans("timeline", "u12", "stated"),
    "facts": {
        "name": "Dana Reyes", "title": "operations director", "company": "Northwind Logistics",
        "email": "dana.reyes@northwindlogistics.com", "phone": "(415) 555-0192", "competitors": ["Gong", "Chorus"],
        "next_step": "proposal and demo on Thursday",
    },
}


class FakeChat:
    """Answers each narrow question from a table and records every request. Criterion entries map a line id to
    the kind the fake gives when asked about that line (other lines: not_said); facts/roles entries are replies."""

    def __init__(self, replies: dict[str, Any] | None = None, **overrides: Any) -> None:
        self.replies = {**CORRECT, **(replies or {}), **overrides}
        self.calls: list[dict[str, Any]] = []

    @staticmethod
    def question_of(messages: list[dict[str, str]]) -> str:
        last = messages[-1]["content"]
        return last[last.rindex("Question ") + 9 :].split(":")[0].lower()

    def complete_json(self, messages, schema, *, max_tokens, temperature, seed) -> str:  # noqa: ANN001
        name = self.question_of(messages)
        line = re.search(r"\[(u[\d.]+)\] PROSPECT:", messages[-1]["content"]) if name in bant_rules.CRITERIA else None
        self.calls.append({"question": name, "messages": messages, "schema": schema, "max_tokens": max_tokens,
                           "seed": seed, "line": line.group(1) if line else None})
        reply = self.replies.get(name)
        if name in bant_rules.CRITERIA:
            table = reply if isinstance(reply, dict) else {}
            if isinstance(reply, list):  # successive raw replies for this criterion
                asked = sum(c["question"] == name for c in self.calls)
                item = reply[min(asked, len(reply)) - 1]
                return item if isinstance(item, str) else json.dumps(item)
            return json.dumps({"kind": table.get(line.group(1) if line else "", "not_said")})
        if isinstance(reply, list):  # successive replies
            reply = reply[min(sum(c["question"] == name for c in self.calls), len(reply)) - 1]
        if callable(reply):
            reply = reply(schema)
        return reply if isinstance(reply, str) else json.dumps(reply)


def utt(i: int, speaker: str, text: str) -> Utterance:
    return Utterance(id=f"x{i}", start=float(i), end=i + 0.9, speaker=speaker, text=text)


@pytest.fixture
def settings() -> Settings:
    return Settings(lead=LeadSettings(review_threshold=0.6))


def test_fake_is_a_chat_model() -> None:
    assert isinstance(FakeChat(), ChatModel)


# ------------------------------------------------------------------------------------------ roles


def test_rep_found_by_introduction_even_when_prospect_speaks_first() -> None:
    utts = [
        utt(0, "B", "Hello?"),
        utt(1, "A", "Hi, this is Tom with Acme Software, thanks for taking my call."),
        utt(2, "B", "Sure, we're using Zendesk and it's slow."),
        utt(3, "A", "How many agents do you have?"),
        utt(4, "B", "About forty."),
    ]
    assert assign_roles(utts) == {"A": "rep", "B": "prospect"}


def test_rep_found_by_questions_without_introduction() -> None:
    utts = [
        utt(0, "B", "Thanks for having me."),
        utt(1, "A", "What are you using today?"),
        utt(2, "B", "Spreadsheets, mostly. Our team hates it."),
        utt(3, "A", "How big is the team? And when do you want to switch?"),
        utt(4, "B", "Twelve people, by the summer."),
    ]
    assert assign_roles(utts) == {"A": "rep", "B": "prospect"}


def test_rep_found_by_qualifying_questions_when_the_prospect_opens_with_an_introduction() -> None:
    # Both sides introduce themselves; the prospect speaks first. The rep is the one who asks about the pain,
    # the decision and the next meeting.
    utts = [
        utt(0, "P", "Hello, Omar Siddiqui from Lakeshore Dental here."),
        utt(1, "R", "Hi Omar, I'm Beth with Callnote."),
        utt(2, "R", "What's the biggest problem with your calls right now?"),
        utt(3, "P", "Nobody writes anything down after a call."),
        utt(4, "R", "Who would approve a purchase like this?"),
        utt(5, "P", "That would be me."),
        utt(6, "R", "Could we set up a demo next week?"),
        utt(7, "P", "Fine, send me a time."),
    ]
    assert assign_roles(utts) == {"P": "prospect", "R": "rep"}


def test_single_speaker_is_unknown() -> None:
    assert assign_roles([utt(0, "A", "Just me talking.")]) == {"A": "unknown"}


def test_sales_call_roles() -> None:
    assert assign_roles(sales_call()) == {"SPEAKER_00": "rep", "SPEAKER_01": "prospect"}


# ------------------------------------------------------------------------------------- questions


def test_facts_over_the_transcript_then_one_narrow_question_per_candidate_line(settings: Settings) -> None:
    chat = FakeChat()
    done = extract_lead_detailed(sales_call(), chat, settings)
    assert done is not None
    assert chat.calls[0]["question"] == "facts" and "[u1] REP:" in chat.calls[0]["messages"][-1]["content"]
    line_calls = chat.calls[1:]
    assert {c["question"] for c in line_calls} == set(bant_rules.CRITERIA)
    for call in line_calls:
        prompt = call["messages"][-1]["content"]
        assert prompt.count("PROSPECT:") == 1 and "Transcript:" not in prompt  # one line, not the call
        assert set(call["schema"]["properties"]) == {"kind"}
        assert call["line"] in {"u2", "u4", "u6", "u8", "u10", "u12", "u14"}  # prospect lines only
    # the prospect's answer to the rep's budget question is asked about first
    assert next(c["line"] for c in line_calls if c["question"] == "budget") == "u8"
    assert sum(c["question"] == "budget" for c in line_calls) <= 3
    assert {c["messages"][0]["content"] for c in chat.calls} == {chat.calls[0]["messages"][0]["content"]}
    assert set(done.reading.seconds) == {"budget", "authority", "need", "timeline", "facts"}


def test_correct_answers_give_a_hot_lead_with_parsed_amount_and_window(settings: Settings) -> None:
    lead = extract_lead(sales_call(), FakeChat(), settings)
    assert lead.score == "hot" and not lead.needs_review
    assert all(getattr(lead.bant, n).status == "stated" for n in bant_rules.CRITERIA)
    by_id = {u.id: u for u in sales_call()}
    for name in bant_rules.CRITERIA:
        ev = getattr(lead.bant, name).evidence[0]
        assert ev.quote in by_id[ev.utterance_id].text
    assert lead.budget_amount == "$40,000"  # from the cited words, not from the model
    assert lead.timeline_text and "March" in lead.timeline_text
    assert lead.contact.name == "Dana Reyes" and lead.contact.phone == "415-555-0192"
    assert set(lead.competitors) == {"Gong", "Chorus"}
    assert lead.prospect_speaker == "SPEAKER_01"


def test_model_not_stated_is_never_turned_into_stated(settings: Settings) -> None:
    chat = FakeChat(budget=ans("budget", "u8", "hedged"), authority=ans("authority", "none", "absent"))
    done = extract_lead_detailed(sales_call(), chat, settings)
    assert done is not None
    assert done.lead.bant.budget.status == "hedged" and not done.lead.bant.budget.present
    assert done.lead.bant.authority.status == "absent" and not done.lead.bant.authority.present
    assert done.lead.budget_amount is None
    assert done.lead.score == "warm"  # need + timeline


def test_stated_budget_without_an_amount_is_lowered(settings: Settings) -> None:
    # the model calls "It's my call. I own the operations budget" an amount, and the real budget line not said
    chat = FakeChat(budget={"u10": "amount", "u8": "not_said"})
    done = extract_lead_detailed(sales_call(), chat, settings)
    assert done is not None
    assert done.model_lead.bant.budget.present  # the model alone believes it
    lead = done.lead
    assert lead.bant.budget.status == "hedged" and not lead.bant.budget.present
    assert lead.budget_amount is None


def test_model_not_said_is_never_turned_into_stated(settings: Settings) -> None:
    chat = FakeChat(timeline={})
    lead = extract_lead(sales_call(), chat, settings)
    assert not lead.bant.timeline.present and lead.bant.timeline.status == "absent"
    assert lead.timeline_text is None


@pytest.mark.parametrize(
    ("criterion", "text", "expected"),
    [
        ("budget", "We paid thirty grand for the old system two years ago.", "absent"),
        ("budget", "We have about 2,000 employees.", "absent"),
        ("budget", "We've got forty thousand set aside for this.", "stated"),
        ("budget", "There's some budget, no number yet.", "hedged"),
        ("timeline", "Our contract with them renews in June.", "absent"),
        ("timeline", "Our contract renews in June, so we want to switch by then.", "stated"),
        ("timeline", "Probably sometime in Q3.", "hedged"),
        ("authority", "I'd have to run it by my director first.", "delegated"),
        ("authority", "I can't approve anything like that.", "negated"),
        ("authority", "I'm not the final decision maker here.", "negated"),
        ("authority", "I don't need anyone's sign-off, I choose the tools.", "stated"),
        ("authority", "The call is mine, I pick the vendors.", "stated"),
        ("authority", "I'm the operations manager.", "absent"),
        ("authority", "Yes. For tooling, HR makes the call.", "delegated"),
        ("authority", "Sure, Marta signs off on purchases like this.", "delegated"),
        ("authority", "Procurement has the final say on vendors.", "delegated"),
        ("authority", "It makes the decision easier for me, I sign the order.", "stated"),
        ("authority", "We'll be signing the paperwork in March.", "absent"),
        ("need", "Honestly, what we have works fine.", "negated"),
        ("need", "We lose hours every week copying notes by hand.", "stated"),
    ],
)
def test_validation_lowers_lookalikes_and_hedges(criterion: str, text: str, expected: str) -> None:
    status, _ = bant_rules.validate(criterion, "stated", text, frozenset(bant_rules.RULES))
    assert status == expected


def test_rules_can_be_switched_off_for_ablation() -> None:
    status, _ = bant_rules.validate("budget", "stated", "We paid thirty grand two years ago.", frozenset())
    assert status == "stated"


def test_first_confirmed_line_wins_over_lines_judged_lower(settings: Settings) -> None:
    chat = FakeChat(budget={"u8": "amount", "u10": "none"})
    lead = extract_lead(sales_call(), chat, settings)
    assert lead.bant.budget.present and lead.bant.budget.evidence[0].utterance_id == "utt-008"


def test_a_budget_line_judged_a_need_is_not_a_need(settings: Settings) -> None:
    chat = FakeChat(need={"u8": "problem"})  # the budget line judged a problem: it names none (need_words)
    lead = extract_lead(sales_call(), chat, settings)
    assert lead.bant.budget.present and not lead.bant.need.present


@pytest.mark.parametrize(
    ("statuses", "next_step", "expected"),
    [
        ({"budget": "stated", "authority": "stated", "need": "stated"}, None, "hot"),
        ({"budget": "stated", "need": "stated"}, None, "warm"),
        ({"need": "stated", "authority": "delegated"}, None, "warm"),
        ({"need": "stated"}, "demo on Thursday", "warm"),  # a committed next step: strong intent
        ({"need": "stated"}, "send some material", "cold"),  # not a committed step
        ({"need": "stated"}, None, "cold"),
        ({"budget": "stated", "timeline": "hedged"}, "demo on Thursday", "cold"),  # no confirmed need
    ],
)
def test_tier_rules(settings: Settings, statuses: dict[str, str], next_step: str | None, expected: str) -> None:
    lines = {"budget": "u8", "authority": "u10", "need": "u4", "timeline": "u12"}
    replies: dict[str, Any] = {
        name: ans(name, lines[name] if name in statuses else "none", statuses.get(name, "absent"))
        for name in bant_rules.CRITERIA
    }
    replies["facts"] = {**CORRECT["facts"], "next_step": next_step}
    assert extract_lead(sales_call(), FakeChat(replies), settings).score == expected


def test_model_alone_lead_believes_every_answer(settings: Settings) -> None:
    chat = FakeChat(budget={"u10": "amount"}, facts={**CORRECT["facts"], "competitors": ["Excel"]})
    done = extract_lead_detailed(sales_call(), chat, settings)
    assert done is not None
    assert done.model_lead.bant.budget.present and done.model_lead.bant.budget.evidence[0].utterance_id == "utt-010"
    assert not done.lead.bant.budget.present
    assert "Excel" in done.model_lead.competitors and "Excel" not in done.lead.competitors


def test_unusable_answer_is_retried_then_taken_as_absent_and_flagged(settings: Settings) -> None:
    chat = FakeChat(budget=["not json"])
    lead = extract_lead(sales_call(), chat, settings)
    budget_calls = [c for c in chat.calls if c["question"] == "budget"]
    assert len(budget_calls) == 2 * len({c["line"] for c in budget_calls})  # each line asked twice
    assert lead.bant.budget.status == "absent" and lead.needs_review
    assert any(r.startswith("budget u") and "no usable answer" in r for r in lead.review_reasons)


def test_invalid_then_valid_answer_is_used(settings: Settings) -> None:
    chat = FakeChat(budget=["{", {"kind": "amount"}])
    lead = extract_lead(sales_call(), chat, settings)
    assert lead.bant.budget.present and lead.budget_amount == "$40,000"


def test_model_runtime_failure_is_an_extraction_error(settings: Settings) -> None:
    class Broken:
        def complete_json(self, *args: Any, **kwargs: Any) -> str:
            raise RuntimeError("llama_decode returned -1")

    with pytest.raises(ExtractionError):
        extract_lead(sales_call(), Broken(), settings)


def test_empty_transcript_skips_the_model(settings: Settings) -> None:
    chat = FakeChat()
    lead = extract_lead([utt(0, "A", "   ")], chat, settings)
    assert chat.calls == [] and lead.score == "cold" and lead.needs_review


def test_long_transcript_is_cut_to_fit_and_flagged() -> None:
    settings = Settings(llm=LlmSettings(n_ctx=2048))
    call = sales_call() + [
        utt(100 + i, "SPEAKER_01" if i % 2 else "SPEAKER_00", f"Filler sentence number {i} about the weather today.")
        for i in range(120)
    ]
    chat = FakeChat()
    lead = extract_lead(call, chat, settings)
    prompt = chat.calls[0]["messages"][-1]["content"]
    assert "utterances omitted" in prompt and "[u1] REP:" in prompt
    assert any("too long for the context window" in r for r in lead.review_reasons)


# ------------------------------------------------------------------------------------- contact


def test_contact_fields_not_said_are_dropped_and_flagged(settings: Settings) -> None:
    chat = FakeChat(facts={**CORRECT["facts"], "company": "Globex", "name": "Jane Doe"})
    lead = extract_lead(sales_call(), chat, settings)
    assert lead.needs_review and any("Globex" in r for r in lead.review_reasons)
    # what the prospect said about themselves replaces the dropped values
    assert lead.contact.company == "Northwind Logistics" and lead.contact.name == "Dana Reyes"


def test_company_read_off_an_email_domain_is_not_a_company_said(settings: Settings) -> None:
    utts = [
        utt(0, "A", "Hi, this is Sarah Chen with Brightline Analytics."),
        utt(1, "B", "Hi Sarah, Dana speaking."),
        utt(2, "A", "What's the best email for you?"),
        utt(3, "B", "d dot reyes at northwind dot io."),
    ]
    chat = FakeChat(facts={**CORRECT["facts"], "name": "Dana", "company": "Northwind"})
    lead = extract_lead(utts, chat, settings)
    assert lead.contact.email == "d.reyes@northwind.io"
    assert lead.contact.company is None


def test_a_tool_the_prospect_uses_is_not_their_company(settings: Settings) -> None:
    utts = [
        utt(0, "A", "Hi, this is Sarah Chen with Brightline Analytics."),
        utt(1, "B", "Hi Sarah, Dana speaking."),
        utt(2, "A", "What do you use today?"),
        utt(3, "B", "We run everything on Zendesk at the moment."),
    ]
    chat = FakeChat(facts={**CORRECT["facts"], "name": "Dana", "company": "Zendesk", "competitors": ["Zendesk"]})
    lead = extract_lead(utts, chat, settings)
    assert lead.contact.company is None and "Zendesk" in lead.competitors


def test_a_company_named_only_late_in_the_call_is_not_whom_the_prospect_is_with(settings: Settings) -> None:
    utts = [
        utt(0, "A", "Hi, this is Sarah Chen with Brightline Analytics."),
        utt(1, "B", "Hi Sarah, Dana speaking."),
        utt(2, "A", "What's going on with your calls?"),
        utt(3, "B", "Nobody logs them, it's a mess."),
        utt(4, "A", "Got it."),
        utt(5, "B", "And the notes are always late."),
        utt(6, "A", "Who handles support for you?"),
        utt(7, "B", "Sure."),
        utt(8, "A", "Okay."),
        utt(9, "B", "For ticketing we're with Helpwise, and that works."),
    ]
    chat = FakeChat(facts={**CORRECT["facts"], "name": "Dana", "company": "Helpwise", "competitors": []})
    assert extract_lead(utts, chat, settings).contact.company is None


def test_someone_the_prospect_talks_about_is_not_the_contact(settings: Settings) -> None:
    utts = [
        utt(0, "A", "Hi, this is Sarah Chen with Brightline Analytics."),
        utt(1, "B", "Hi Sarah, yes, I saw your email."),
        utt(2, "A", "Who else would be involved?"),
        utt(3, "B", "I'd loop in my director Owen Malley before we buy anything."),
    ]
    chat = FakeChat(facts={**CORRECT["facts"], "name": "Owen Malley", "company": None})
    assert extract_lead(utts, chat, settings).contact.name is None


def test_phone_email_and_title_come_from_the_prospects_words(settings: Settings) -> None:
    lead = extract_lead(sales_call(), FakeChat(), settings)
    assert lead.contact.phone == "415-555-0192"
    assert lead.contact.email == "dana.reyes@northwindlogistics.com"
    assert lead.contact.title == "operations director"


def test_rep_name_returned_as_contact_is_replaced_by_the_prospects(settings: Settings) -> None:
    chat = FakeChat(facts={**CORRECT["facts"], "name": "Sarah Chen", "company": "Brightline Analytics"})
    lead = extract_lead(sales_call(), chat, settings)
    assert lead.contact.name == "Dana Reyes" and lead.contact.company == "Northwind Logistics"


def test_prospect_greeted_by_full_name_by_the_rep_is_the_contact(settings: Settings) -> None:
    call = [
        utt(1, "A", "Hi, is this Maria Lopez? This is Tom Baker calling from Parley."),
        utt(2, "B", "Yes, speaking. What is this about?"),
        utt(3, "A", "We help teams log calls. How do you handle that today?"),
        utt(4, "B", "By hand, and it takes hours."),
    ]
    chat = FakeChat(facts={"name": None, "title": None, "company": None, "email": None, "phone": None,
                           "competitors": [], "next_step": None})
    lead = extract_lead(call, chat, settings)
    assert lead.contact.name == "Maria Lopez"


def test_prospect_names_said_by_either_side() -> None:
    call = [
        utt(1, "A", "Hi, this is Tom Baker with Parley. Am I speaking with Dana?"),
        utt(2, "B", "Yes. This is Dana Reyes, from Acme."),
    ]
    assert prospect_names_said(call, {"A": "rep", "B": "prospect"})[0] == "Dana Reyes"


def test_fabricated_competitor_is_dropped_and_tracked_ones_found(settings: Settings) -> None:
    call = sales_call() + [utt(30, "SPEAKER_01", "We also trialled Sales Force last spring.")]
    chat = FakeChat(facts={**CORRECT["facts"], "competitors": ["Oracle", "Gong"]})
    lead = extract_lead(call, chat, settings, context=CallContext(competitors=("Salesforce", "HubSpot")))
    assert "Oracle" not in lead.competitors and "Gong" in lead.competitors
    assert "Salesforce" in lead.competitors and "HubSpot" not in lead.competitors


@pytest.mark.parametrize(
    ("line", "found"),
    [
        ("Our Zoho subscription runs out in May.", ["Zoho"]),
        ("We signed a two-year deal with Dialpad.", ["Dialpad"]),
        ("Honestly we're still paying for Close, nobody uses it.", ["Close"]),
        ("We spoke with Kixie last month, they were pricey.", ["Kixie"]),
        ("We're talking to Priya from procurement about it.", []),
        ("We use Excel for the forecast.", []),
        ("I use it every single day.", []),
    ],
)
def test_vendors_named_in_a_usage_or_renewal_frame(line: str, found: list[str]) -> None:
    from services.pipeline.competitors import framed_mentions

    assert framed_mentions([utt(0, "B", line)]) == found


def test_model_competitor_kept_when_asr_wrote_it_in_lower_case(settings: Settings) -> None:
    call = sales_call() + [utt(30, "SPEAKER_01", "How would you compare to pipe drive, though?")]
    chat = FakeChat(facts={**CORRECT["facts"], "competitors": ["Pipe Drive", "Gong"]})
    assert "Pipe Drive" in extract_lead(call, chat, settings).competitors


def test_a_brand_the_ner_tags_as_a_person_is_a_name_but_the_reps_own_name_is_not(settings: Settings) -> None:
    from services.pipeline.types import Entity

    call = sales_call() + [utt(30, "SPEAKER_01", "Kixie was cheaper, Sarah, but it kept dropping calls.")]
    # spaCy's small model tags most software brands PERSON: what it would say here.
    entities = [Entity(type="PERSON", text="Kixie", utterance_id="x30", start=30.0, end=30.9, char_start=0, char_end=5),
                Entity(type="PERSON", text="Sarah", utterance_id="x30", start=30.0, end=30.9, char_start=18,
                       char_end=23)]
    chat = FakeChat(facts={**CORRECT["facts"], "competitors": ["Kixie", "Sarah"]})
    competitors = extract_lead(call, chat, settings, entities=entities).competitors
    assert "Kixie" in competitors and "Sarah" not in competitors  # Sarah Chen is the rep


def test_own_company_is_never_a_competitor_nor_the_contact_company(settings: Settings) -> None:
    chat = FakeChat(facts={**CORRECT["facts"], "competitors": ["Brightline Analytics", "Gong"]})
    lead = extract_lead(sales_call(), chat, settings, context=CallContext(own_company="Brightline Analytics"))
    assert "Brightline Analytics" not in lead.competitors


# --------------------------------------------------------------------------------------- roles


def test_uncertain_roles_are_asked_once_and_the_lead_uses_them(settings: Settings) -> None:
    call = [utt(1, "A", "Hello there."), utt(2, "B", "Hi."), utt(3, "A", "Nice weather."), utt(4, "B", "Yes.")]
    chat = FakeChat(roles=lambda schema: {"rep": schema["properties"]["rep"]["enum"][1]})
    done = extract_lead_detailed(call, chat, settings)
    assert done is not None
    assert chat.calls[0]["question"] == "roles"
    assert done.roles == {"A": "prospect", "B": "rep"} and done.lead.prospect_speaker == "A"
    assert "[u2] REP:" in chat.calls[1]["messages"][-1]["content"]
    assert {u.role for u in apply_roles(call, done.roles) if u.speaker == "B"} == {"rep"}


def test_preset_roles_are_trusted(settings: Settings) -> None:
    call = [
        Utterance(id="a", start=0, end=1, speaker="CH0", role="rep", text="What do you need?"),
        Utterance(id="b", start=1, end=2, speaker="CH1", role="prospect", text="This is Joe from Initech, hi."),
    ]
    chat = FakeChat()
    done = extract_lead_detailed(call, chat, settings)
    assert done is not None and done.reading.roles_source == "preset"
    assert "[u2] PROSPECT:" in chat.calls[0]["messages"][-1]["content"]


def test_finalize_is_deterministic_and_reusable(settings: Settings) -> None:
    reading = read_call(sales_call(), FakeChat(), settings)
    first = finalize(reading, sales_call(), settings)
    again = finalize(reading, sales_call(), settings)
    assert first.lead == again.lead


# ----------------------------------------------------------------------------------- spoken forms


@pytest.mark.parametrize(
    ("text", "numbers"),
    [("fifty thousand dollars", [50000]), ("$1.5M", [1500000]), ("40,000 a year", [40000]),
     ("a hundred grand", [100000]), ("one hundred and twenty thousand", [120000]), ("oh, great", [])],
)
def test_spoken_numbers(text: str, numbers: list[int]) -> None:
    assert spoken.spoken_numbers(text) == numbers


def test_digit_stream_and_email_compaction() -> None:
    assert spoken.digit_stream("four one five, five five five, oh one nine two") == "4155550192"
    assert spoken.digit_stream("oh, it's double five, twelve thirty four") == "551234"
    assert "j.smith@acme.com" in spoken.compact_spoken("it's J dot Smith at Acme dot com")


# ------------------------------------------------------------------------------------- backends


class _Handler(BaseHTTPRequestHandler):
    seen: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Handler.seen.append({"path": self.path, "body": body})
        reply = json.dumps({
            "choices": [{"message": {"role": "assistant", "content": '{"ok": true}'}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 4},
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args: Any) -> None:
        pass


def test_openai_http_chat_sends_json_schema_response_format() -> None:
    server = HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        settings = Settings(llm=LlmSettings(backend="openai", base_url=f"http://127.0.0.1:{server.server_port}/v1",
                                            served_model="m1", request_timeout_s=5))
        chat = load_chat_model(settings)
        assert isinstance(chat, OpenAIHttpChat)
        schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}}
        text = chat.complete_json([{"role": "user", "content": "hi"}], schema, max_tokens=10, temperature=0.0, seed=3)
    finally:
        server.shutdown()
    assert text == '{"ok": true}'
    request = _Handler.seen[-1]
    assert request["path"] == "/v1/chat/completions"
    assert request["body"]["model"] == "m1" and request["body"]["seed"] == 3
    assert request["body"]["response_format"]["type"] == "json_schema"
    assert request["body"]["response_format"]["json_schema"]["schema"] == schema
    assert chat.last_usage is not None and chat.last_usage.prompt_tokens == 12


def test_openai_http_chat_unreachable_is_a_clear_error() -> None:
    with HTTPServer(("127.0.0.1", 0), _Handler) as probe:
        port = probe.server_port  # closed again: nothing listens there
    chat = OpenAIHttpChat(f"http://127.0.0.1:{port}/v1", "m", timeout_s=2)
    with pytest.raises(ExtractionError) as info:
        chat.complete_json([], {}, max_tokens=1, temperature=0, seed=0)
    assert info.value.code == "llm_unavailable"


def test_llama_cpp_backend_needs_a_path(tmp_path) -> None:  # noqa: ANN001
    with pytest.raises(ModelMissing):
        load_chat_model(Settings())
    with pytest.raises(ModelMissing):
        LlamaCppChat.load(tmp_path / "missing.gguf", LlmSettings())




def test_summary_is_built_from_the_validated_fields(settings: Settings) -> None:
    lead = extract_lead(sales_call(), FakeChat(), settings)
    assert lead.summary.startswith("Hot lead: Dana Reyes (Northwind Logistics)")
    assert "budget $40,000" in lead.summary and "Next step: proposal and demo on Thursday." in lead.summary
