"""TEST-ONLY runner: no models, a synthetic CallResult after `settings.worker.fake_stage_s` per stage.

Selected with PARLEY_WORKER__RUNNER=fake for end-to-end tests of the service (the real models are exercised
by the integration tests). Never use it in production: it does not transcribe anything.

By default the result is "hello world" without a lead. A call submitted with a CRM account in
`options.context.accounts` (and lead extraction on) instead gets a short scripted sales call about that account
and a lead with BANT evidence citing it, for the review-queue tests: the contact is context.contacts[0], and the
lead's confidence grows with the audio's length (0.19 per second, at most 0.95) so a test picks a
low-confidence call (1 s: 0.19, reviewed) or a high-confidence one (5 s: 0.95, synced unreviewed).
"""

from __future__ import annotations

import time
from pathlib import Path

from services.audioprobe import probe_duration
from services.pipeline.options import STAGES, CallOptions, ProgressCallback
from services.pipeline.types import CallResult
from services.settings import Settings
from services.worker.runner import Runner


def fake_runner(settings: Settings) -> Runner:
    stage_s = settings.worker.fake_stage_s

    def run(path: Path, options: CallOptions, progress: ProgressCallback) -> CallResult:
        duration = probe_duration(path)
        timings: dict[str, float] = {}
        for stage in STAGES:
            progress(stage, 0.0, "start")
            t0 = time.perf_counter()
            time.sleep(stage_s)
            timings[stage] = time.perf_counter() - t0
            progress(stage, 1.0, "done")
        if options.extract_lead and options.context.accounts:
            return CallResult.model_validate(sales_call(duration, options, timings))
        # model_validate from plain JSON: the fake follows the wire contract, not the constructors
        return CallResult.model_validate({
            "audio": {"duration_s": duration, "sample_rate": 16000, "channels": 1, "codec": "pcm_s16le",
                      "container": "wav"},
            "language": options.language or "en",
            "speakers": [{"id": "SPEAKER_00", "talk_time_s": 0.9, "words": 2}],
            "words": [{"start": 0.0, "end": 0.4, "text": "hello", "confidence": 0.9, "speaker": "SPEAKER_00"},
                      {"start": 0.5, "end": 0.9, "text": "world", "confidence": 0.9, "speaker": "SPEAKER_00"}],
            "utterances": [{"id": "u0", "start": 0.0, "end": 0.9, "speaker": "SPEAKER_00", "text": "hello world",
                            "redacted_text": "hello world", "word_range": [0, 2]}],
            "entities": [], "lead": None, "timings": timings, "models": {"fake": "test-only"},
        })

    return run


SCRIPT = (  # (speaker, role, text, sentiment label, score)
    ("SPEAKER_00", "rep", "Thanks for taking the call, what made you look at us?", "positive", 0.44),
    ("SPEAKER_01", "prospect", "Our reps lose an hour a day typing call notes into the CRM.", "negative", -0.4),
    ("SPEAKER_01", "prospect", "We set aside about fifty thousand dollars for this.", "neutral", 0.0),
    ("SPEAKER_01", "prospect", "I sign off on sales tools myself, so a demo on Friday works.", "positive", 0.38),
)


def sales_call(duration: float, options: CallOptions, timings: dict[str, float]) -> dict:
    """TEST-ONLY: a four-line sales call spread over the audio and its lead (wire JSON), see the module doc."""
    company = options.context.accounts[0]
    name = options.context.contacts[0] if options.context.contacts else "Dana Whitfield"
    slot = max(duration, 0.4) / len(SCRIPT)
    utterances, words = [], []
    for i, (speaker, role, text, label, score) in enumerate(SCRIPT):
        start, end = round(i * slot, 3), round((i + 1) * slot * 0.95, 3)
        tokens = text.split()
        first = len(words)
        step = (end - start) / len(tokens)
        words += [{"start": round(start + k * step, 3), "end": round(start + (k + 1) * step, 3), "text": w,
                   "confidence": 0.9, "speaker": speaker} for k, w in enumerate(tokens)]
        utterances.append({"id": f"u{i}", "start": start, "end": end, "speaker": speaker, "role": role, "text": text,
                           "redacted_text": text, "sentiment": {"label": label, "score": score},
                           "word_range": [first, len(words)]})

    def cite(i: int, quote: str) -> dict:
        return {"present": True, "status": "stated",
                "evidence": [{"utterance_id": f"u{i}", "quote": quote, "start": utterances[i]["start"],
                              "end": utterances[i]["end"]}]}

    confidence = round(min(0.95, 0.19 * duration), 2)
    domain = "".join(ch for ch in company.lower() if ch.isalnum()) + ".example"
    lead = {
        "score": "warm", "confidence": confidence,
        "bant": {"budget": cite(2, "about fifty thousand dollars"), "authority": cite(3, "I sign off on sales tools"),
                 "need": cite(1, "lose an hour a day typing call notes"),
                 "timeline": {"present": False, "status": "absent", "evidence": []}},
        "contact": {"name": name, "title": "VP Sales", "company": company,
                    "email": f"{name.split()[0].lower()}@{domain}", "phone": None},
        "pain_points": ["manual CRM notes"], "competitors": [], "budget_amount": "$50,000", "timeline_text": None,
        "next_step": "demo on Friday", "summary": f"{company} wants call notes in the CRM without typing.",
        "needs_review": confidence < 0.6, "review_reasons": ["low confidence"] if confidence < 0.6 else [],
        "prospect_speaker": "SPEAKER_01",
    }
    return {
        "audio": {"duration_s": duration, "sample_rate": 16000, "channels": 1, "codec": "pcm_s16le",
                  "container": "wav"},
        "language": options.language or "en",
        "speakers": [{"id": "SPEAKER_00", "role": "rep", "talk_time_s": slot, "words": 10},
                     {"id": "SPEAKER_01", "role": "prospect", "talk_time_s": 3 * slot, "words": 30}],
        "words": words, "utterances": utterances, "entities": [], "lead": lead, "timings": timings,
        "models": {"fake": "test-only"},
    }
