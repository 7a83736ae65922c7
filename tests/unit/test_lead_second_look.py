"""The checks added after reading dev-split answers (seed 2): second look, status words, support calls, phone
numbers, authority contradictions; and the benchmark's answer cache. Sentences are written for these tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks.leads.answers import AnswerCache, CachedChat, prefill, request_key
from services.pipeline import bant_rules
from services.pipeline.extract import finalize, read_call, reading_to_dict
from services.pipeline.types import Utterance
from services.settings import LeadSettings, Settings

RULES = frozenset(bant_rules.RULES)


@pytest.fixture
def settings() -> Settings:
    return Settings(lead=LeadSettings(review_threshold=0.6))


def utt(i: int, speaker: str, text: str) -> Utterance:
    return Utterance(id=f"u{i}", start=float(i), end=i + 0.9, speaker=speaker, text=text)


# ------------------------------------------------------------------------------------------ rules


def test_a_read_out_phone_number_is_not_a_budget() -> None:
    assert bant_rules.validate("budget", "stated", "Sure, it's 312 555 8841.", RULES)[0] == "absent"
    assert bant_rules.budget_amount("Call me on 312 555 8841.") is None
    assert bant_rules.validate("budget", "stated", "We can put 80 grand into this.", RULES) == ("stated", None)


def test_hedged_negated_delegated_need_a_line_about_the_criterion() -> None:
    off_topic = "The export button greys out after lunch."
    assert bant_rules.validate("authority", "delegated", off_topic, RULES)[0] == "absent"
    assert bant_rules.validate("timeline", "hedged", off_topic, RULES)[0] == "absent"
    assert bant_rules.validate("authority", "delegated", "Purchases like this go through our CFO.", RULES) == (
        "delegated", None)
    assert bant_rules.validate("timeline", "negated", "No plans to change anything this year.", RULES) == (
        "negated", None)
    assert bant_rules.validate("authority", "delegated", off_topic, RULES - {"status_words"}) == ("delegated", None)


def test_need_with_a_deadline_or_a_size_as_its_object_names_no_problem() -> None:
    assert bant_rules.validate("need", "stated", "We need it running by October.", RULES)[0] != "stated"
    assert bant_rules.validate("need", "stated", "We'd need about 40 licences.", RULES)[0] != "stated"
    assert bant_rules.validate("need", "stated", "We need to stop losing deals to slow follow-ups.", RULES) == (
        "stated", None)


def test_fault_reports_on_support_calls_are_not_needs() -> None:
    fault = "Since Monday the upload keeps failing with an error."
    assert bant_rules.validate("need", "stated", fault, RULES, support_call=True)[0] == "absent"
    assert bant_rules.validate("need", "stated", fault, RULES, support_call=False) == ("stated", None)
    pain = "Separately, our biggest headache is that new hires take months to ramp."
    assert bant_rules.validate("need", "stated", pain, RULES, support_call=True) == ("stated", None)
    for slow in ("The dashboard has been really slow since yesterday.", "The app freezes when I open a report."):
        assert bant_rules.validate("need", "stated", slow, RULES, support_call=True)[0] == "absent"
    assert bant_rules.is_support_call(["Acme help desk, Priya speaking."])
    assert not bant_rules.is_support_call(["Hi, this is Priya from Acme."])


def test_second_look_only_where_the_words_contradict_the_kind() -> None:
    look = bant_rules.second_look
    assert look("authority", "cannot", "The final sign-off is mine.", support_call=False)
    assert not look("authority", "cannot", "I can't sign anything over five grand.", support_call=False)
    assert not look("authority", "self", "The final sign-off is mine.", support_call=False)
    assert not look("authority", "title", "I'm head of sales operations.", support_call=False)
    assert look("need", "support", "Our reps waste hours typing notes by hand.", support_call=False)
    assert not look("need", "support", "Our reps waste hours typing notes by hand.", support_call=True)
    assert not look("need", "no_need", "Honestly our setup works fine.", support_call=False)
    assert not look("timeline", "none", "No plans to change anything this year.", support_call=False)


# ------------------------------------------------------------------------------ through read_call


class ScriptedChat:
    """Kinds per (criterion, line text); the second look answers `check`. Records the questions asked."""

    def __init__(self, kinds: dict[tuple[str, str], str], check: str) -> None:
        self.kinds, self.check, self.asked = kinds, check, []

    def complete_json(self, messages: list[dict[str, str]], schema: dict[str, Any], *, max_tokens: int,
                      temperature: float, seed: int) -> str:
        prompt = messages[-1]["content"]
        question = prompt[prompt.rindex("Question ") + 9 :].split(":")[0]
        self.asked.append(question)
        if "answer" in schema["properties"]:
            return json.dumps({"answer": self.check})
        if "kind" in schema["properties"]:
            name = question.lower()
            kind = next((k for (n, text), k in self.kinds.items() if n == name and text in prompt), "not_said")
            return json.dumps({"kind": kind})
        if "competitors" in schema["properties"]:
            return json.dumps({"name": None, "company": None, "competitors": [], "next_step": None})
        return json.dumps({"rep": "REP"})


CALL = [
    utt(0, "A", "Hi, this is Sam from Acme, thanks for taking my call."),
    utt(1, "B", "Sure."),
    utt(2, "A", "Who signs off on a purchase like this?"),
    utt(3, "B", "The final sign-off is mine."),
    utt(4, "A", "What made you look at call tools?"),
    utt(5, "B", "Our reps waste hours typing notes by hand."),
]


@pytest.mark.parametrize("check, expected", [("yes", "stated"), ("no", "negated")])
def test_second_look_answer_decides(settings: Settings, check: str, expected: str) -> None:
    chat = ScriptedChat({("authority", "sign-off is mine"): "cannot", ("need", "typing notes"): "problem"}, check)
    reading = read_call(CALL, chat, settings)
    assert "AUTHORITY CHECK" in chat.asked and "NEED CHECK" not in chat.asked  # need was not contradicted
    lead = finalize(reading, CALL, settings).lead
    assert lead.bant.authority.status == expected
    assert lead.bant.need.status == "stated"


def test_refusal_beats_a_stated_line_without_ownership(settings: Settings) -> None:
    call = [*CALL[:2], utt(2, "B", "I can't approve purchases myself."), utt(3, "A", "When would you start?"),
            utt(4, "B", "We'll be signing by the start of next quarter.")]
    chat = ScriptedChat({("authority", "can't approve"): "cannot", ("authority", "signing by"): "self"}, "no")
    lead = finalize(read_call(call, chat, settings), call, settings).lead
    assert lead.bant.authority.status == "negated"


# ----------------------------------------------------------------------------------- answer cache


def test_answer_cache_replays_a_stored_reading_without_the_model(settings: Settings, tmp_path: Path) -> None:
    chat = ScriptedChat({("authority", "sign-off is mine"): "self", ("need", "typing notes"): "problem"}, "no")
    first = read_call(CALL, chat, settings)
    cache = AnswerCache(tmp_path / "answers.jsonl")
    counts = prefill(cache, reading_to_dict(first), CALL, settings)
    assert counts["unmatched"] == 0 and counts["added"] == len(chat.asked)

    def no_model() -> Any:
        raise AssertionError("every question should come from the cache")

    cached = CachedChat(AnswerCache(tmp_path / "answers.jsonl"), no_model)  # reloaded from the file
    again = read_call(CALL, cached, settings)
    assert cached.asked == 0 and cached.hits == len(chat.asked)
    assert reading_to_dict(again)["criteria"] == reading_to_dict(first)["criteria"]


def test_cached_chat_asks_the_model_once_per_new_request(tmp_path: Path) -> None:
    calls: list[int] = []

    class Model:
        def complete_json(self, messages: Any, schema: Any, **kw: Any) -> str:
            calls.append(1)
            return '{"kind": "amount"}'

    chat = CachedChat(AnswerCache(tmp_path / "a.jsonl"), Model)
    args = ([{"role": "user", "content": "x"}], {"type": "object"})
    for _ in range(3):
        assert chat.complete_json(*args, max_tokens=16, temperature=0.0, seed=7) == '{"kind": "amount"}'
    chat.complete_json(*args, max_tokens=16, temperature=0.0, seed=8)  # another seed is another request
    assert len(calls) == 2 and chat.hits == 2
    assert request_key(*args, max_tokens=16, temperature=0.0, seed=7) != request_key(
        *args, max_tokens=32, temperature=0.0, seed=7)


def test_an_answer_cache_belongs_to_the_model_that_answered(tmp_path: Path) -> None:
    from benchmarks.leads.answers import DEFAULT_MODEL, AnswerCacheModelError, model_identity

    path = tmp_path / "a.jsonl"
    AnswerCache(path, "/models/qwen2.5-7b-instruct-q4.gguf").put("k1", '{"kind": "date"}')
    assert json.loads(path.read_text().splitlines()[0]) == {"model": "/models/qwen2.5-7b-instruct-q4.gguf"}
    assert AnswerCache(path, "/models/qwen2.5-7b-instruct-q4.gguf").get("k1") == '{"kind": "date"}'
    with pytest.raises(AnswerCacheModelError, match="another output folder"):
        AnswerCache(path, DEFAULT_MODEL)  # a larger model must not get the small one's answers back, or vice versa
    legacy = tmp_path / "legacy.jsonl"  # written before the header existed: the default model's
    legacy.write_text(json.dumps({"key": "k2", "text": '{"kind": "none"}'}) + "\n")
    assert AnswerCache(legacy, DEFAULT_MODEL).get("k2") == '{"kind": "none"}'
    with pytest.raises(AnswerCacheModelError):
        AnswerCache(legacy, "/models/other.gguf")
    assert model_identity(Settings()) == DEFAULT_MODEL
    served = Settings(llm={"backend": "openai", "served_model": "big", "base_url": "http://h:8001/v1"})
    assert model_identity(served) == "openai:big@http://h:8001/v1"


# ---------------------------------------------------------------------------------- roles, names


def test_roles_on_an_inbound_support_call_and_an_outbound_call_where_the_prospect_speaks_first() -> None:
    from services.pipeline.roles import guess_roles, rep_identity

    inbound = [utt(0, "A", "Thank you for calling Brightline, you're through to Omar."),
               utt(1, "B", "Hi Omar, this is Jo Park from Kestrel Dental, I'm calling from the front desk."),
               utt(2, "B", "Our invoices stopped exporting.")]
    guess = guess_roles(inbound)
    assert guess.rep == "A" and guess.confident
    outbound = [utt(0, "B", "Hello?"), utt(1, "A", "Hi, Lena Ruiz here, from Brightline. Is this Jo Park?"),
                utt(2, "B", "Yes, speaking. I'm with Kestrel Dental."), utt(3, "A", "Do you have a minute?")]
    guess = guess_roles(outbound)
    assert guess.rep == "A" and guess.confident
    assert rep_identity(outbound, "A") == ({"Lena Ruiz"}, {"Brightline"})


def test_generic_acronyms_are_not_competitors() -> None:
    from services.pipeline.competitors import said_as_name

    prospect = [utt(0, "B", "Since the update nothing reaches the CRM or the ERP, and Pipedrive is slow too.")]
    assert not said_as_name("CRM", prospect) and not said_as_name("ERP", prospect)
    assert said_as_name("Pipedrive", prospect)


def test_budget_second_look_when_money_is_judged_a_count() -> None:
    look = bant_rules.second_look
    assert look("budget", "count", "The figure we have is ninety K.", support_call=False)
    assert not look("budget", "count", "We have 90 agents.", support_call=False)
    assert not look("budget", "past", "We paid 30 grand for the old tool last year.", support_call=False)
    assert not look("budget", "amount", "The figure we have is ninety K.", support_call=False)


def test_generic_acronyms_never_reach_the_competitor_list() -> None:
    from services.pipeline.competitors import merge_competitors

    assert merge_competitors(["CRM", "Gong"], ["ERP", "Chorus"], []) == ("Gong", "Chorus")
