"""Lead extraction with the real GGUF through llama.cpp on CPU: the narrow questions on two hand-written calls.

The calls here were written for this test (not taken from the lead benchmark's generator), one qualified and
one full of look-alikes (a renewal date, a past purchase, a headcount, a prospect who must ask her director).
"""

from __future__ import annotations

import logging

import pytest

from services.errors import ModelError
from services.pipeline.extract import extract_lead_detailed
from services.pipeline.types import Utterance
from services.settings import LlmSettings, Settings
from tests.fixtures.sales_call import sales_call

pytestmark = [pytest.mark.slow, pytest.mark.integration]

log = logging.getLogger(__name__)

LOOKALIKES = [
    ("A", "Hi, this is Marcus Webb from Tallyline. Is this Priya Natarajan?"),
    ("B", "Yes, speaking. I run the finance team at Coldwater Foods."),
    ("A", "Thanks for making time. How are you handling invoice approvals today?"),
    ("B", "We have about 2,000 employees and we paid around eighty thousand dollars for our current system "
          "three years ago."),
    ("A", "Is there anything about it that isn't working?"),
    ("B", "Not really, it does the job. I was mostly curious what else is out there."),
    ("A", "Understood. If you did change, who would make that call?"),
    ("B", "That would be up to my director, I can't sign anything like that myself."),
    ("A", "And is there a date you'd be working towards?"),
    ("B", "Our contract with Basware renews in October, but nobody has talked about switching."),
    ("A", "Okay, I'll send you a short overview by email."),
    ("B", "Sure, that's fine."),
]


def _call(lines: list[tuple[str, str]]) -> list[Utterance]:
    out, t = [], 0.0
    for i, (speaker, text) in enumerate(lines, start=1):
        out.append(Utterance(id=f"u{i}", start=t, end=t + 3.0, speaker=speaker, text=text))
        t += 3.5
    return out


@pytest.fixture(scope="module")
def chat():
    pytest.importorskip("llama_cpp")
    from models.llm import LlamaCppChat
    from models.registry import resolve_model

    # n_ctx 4096 is plenty for these calls and keeps the KV cache small. One thread: on a shared 2-core box
    # two threads wait on each other when a core is taken.
    settings = Settings(llm=LlmSettings(n_ctx=4096, n_threads=1))
    try:
        path = resolve_model(settings.models.llm, settings.models.data_dir)
    except ModelError as exc:
        pytest.skip(f"extraction model not available: {exc.message}")
    model = LlamaCppChat.load(path, settings.llm)
    yield model, settings
    model.close()


@pytest.mark.timeout(600)
def test_real_model_qualified_call(chat) -> None:  # noqa: ANN001
    model, settings = chat
    call = sales_call()
    done = extract_lead_detailed(call, model, settings)
    assert done is not None
    lead = done.lead
    log.warning("qualified call: seconds %s; lead=%s", done.reading.seconds, lead.model_dump_json())
    assert lead.bant.budget.present and lead.budget_amount == "$40,000"
    assert lead.bant.need.present
    assert lead.score in ("hot", "warm")
    assert lead.contact.name == "Dana Reyes"
    assert lead.contact.company is not None and "northwind" in lead.contact.company.lower()
    assert {c.lower() for c in lead.competitors} & {"gong", "chorus"}
    assert lead.prospect_speaker == "SPEAKER_01"
    by_id = {u.id: u for u in call}
    for _, item in lead.bant:
        for ev in item.evidence:
            assert ev.quote in by_id[ev.utterance_id].text and by_id[ev.utterance_id].speaker == "SPEAKER_01"
    # the transcript is read once: later questions only pay for their own suffix
    usage = model.last_usage
    assert usage is not None and usage.prompt_seconds is not None
    log.warning("last question: %d prompt tokens read in %.1f s", usage.prompt_tokens, usage.prompt_seconds)


@pytest.mark.timeout(600)
def test_real_model_is_not_fooled_by_lookalikes(chat) -> None:  # noqa: ANN001
    model, settings = chat
    done = extract_lead_detailed(_call(LOOKALIKES), model, settings)
    assert done is not None
    lead = done.lead
    log.warning("look-alike call: model %s; final %s", {k: [a.kind for a in v] for k, v in done.reading.criteria.items()},
                lead.model_dump_json())
    assert not lead.bant.budget.present  # a past purchase and a headcount are not a budget
    assert not lead.bant.authority.present  # "up to my director, I can't sign"
    assert not lead.bant.timeline.present  # a renewal nobody plans to act on
    assert lead.budget_amount is None
    assert lead.score == "cold"
    assert lead.contact.name == "Priya Natarajan"
