"""Managed speech-API list prices per audio hour, with add-ons and published accuracy figures, each with its source.

Dated on purpose: list prices move. `RETRIEVED` is when these pages were read (stored copies); `source_date` is
the page's own date where it gives one. Third-party summaries are marked as such. "Our feature set" is what a
Parley call produces besides the words: speaker diarization, PII redaction, sentiment, entities (the LLM lead
scoring on top has no API equivalent in these price lists: with an API it is an extra LLM bill).

Apples to oranges, stated in every report: the vendors' WER/DER come from their own (or third-party) benchmarks on
their data sets; ours come from synthetic TTS telephone calls and a few real recordings. Their price includes
operations, redundancy and their margin; our cost per audio hour is hardware only (no staff, no storage).
"""

from __future__ import annotations

from dataclasses import dataclass, field

RETRIEVED = "2026-11-21"
PER_MIN_TO_PER_H = 60.0
FEATURE_SET: tuple[str, ...] = ("diarization", "pii_redaction", "sentiment", "entities")

Addon = float | str | None
"""$/audio hour on top of the base rate; "included"; or None: not found in the sources (unknown)."""


@dataclass(frozen=True)
class Published:
    metric: str  # "WER" | "DER"
    value: float  # fraction
    dataset: str
    source_url: str
    note: str = ""


@dataclass(frozen=True)
class ApiOffer:
    provider: str
    product: str
    mode: str
    base_usd_per_hour: float
    addons: dict[str, Addon]
    source_url: str
    source_date: str
    source_kind: str  # "vendor" | "third-party summary" | "reseller"
    published: tuple[Published, ...] = ()
    note: str = ""

    def feature_set_usd_per_hour(self) -> tuple[float, tuple[str, ...]]:
        """Base + every add-on of FEATURE_SET with a price; also returns the features whose price is unknown."""
        total, unknown = self.base_usd_per_hour, []
        for feature in FEATURE_SET:
            price = self.addons.get(feature)
            if isinstance(price, float | int):
                total += float(price)
            elif price != "included":
                unknown.append(feature)
        return round(total, 4), tuple(unknown)


_GLADIA_LEADS = "https://www.gladia.io/blog/convert-call-transcripts-to-qualified-leads-with-scoring"
_GLADIA_CRM = "https://www.gladia.io/blog/crm-data-enrichment-ai"
_GLADIA_INTEGRATION = "https://www.gladia.io/blog/gladia-async-transcription-integration-guide"
_AAI_SKILL = "https://agent-skills.md/skills/jeremylongshore/claude-code-plugins-plus-skills/assemblyai-cost-tuning"
_DG_SKILL = "https://skillui.com/en/skill/show/jeremylongshore/claude-code-plugins-plus-skills/deepgram-cost-tuning"
_DG_NUMBERS = "https://www.evalgent.com/blog/deepgram-stt-voice-agent-testing-guide"
_PRECISION2 = Published(
    "DER", 0.085, "VoxConverse v0.3 (pyannote's self-reported figure for pyannoteAI Precision-2, which powers "
    "Gladia's async diarization per " + _GLADIA_INTEGRATION + ")",
    "https://foxnosetech.github.io/diarize/benchmarks", note="indirect: the diarization engine, not Gladia's API",
)


def offers() -> tuple[ApiOffer, ...]:
    gladia_addons: dict[str, Addon] = {"diarization": "included", "sentiment": "included", "entities": "included",
                                       "pii_redaction": None}
    return (
        ApiOffer(
            "Gladia", "Solaria (Starter)", "async", 0.61, gladia_addons, _GLADIA_LEADS, "2026", "vendor",
            published=(_PRECISION2,),
            note="10 free hours a month; diarization, sentiment, NER included (" + _GLADIA_CRM + "); vendor claims "
            "29 % lower WER and 3x lower DER than alternatives on its own async benchmark (no absolute figure)",
        ),
        ApiOffer(
            "Gladia", "Solaria (Growth)", "async", 0.20, gladia_addons, _GLADIA_LEADS, "2026", "vendor",
            published=(_PRECISION2,), note="'as low as' $0.20/h: volume commitment",
        ),
        ApiOffer(
            "AssemblyAI", "Universal (Best)", "async", 0.37,
            {"diarization": 0.02, "sentiment": 0.02, "entities": 0.08, "pii_redaction": 0.02},
            _AAI_SKILL, "2026 (skill v20260423)", "third-party summary",
            published=(Published("WER", 0.06, "AssemblyAI's mixed benchmark (Conformer-2, an older model)",
                                 "https://www.assemblyai.com/blog/lower-latency-new-pricing/",
                                 note="no absolute WER for Universal found; Universal-1 claims >=10 % relative gain"),),
            note="billed per second; add-ons priced per hour (https://assemblyai.com/docs/billing-and-pricing)",
        ),
        ApiOffer(
            "AssemblyAI", "Nano", "async", 0.12,
            {"diarization": 0.02, "sentiment": 0.02, "entities": 0.08, "pii_redaction": 0.02},
            _AAI_SKILL, "2026 (skill v20260423)", "third-party summary",
        ),
        ApiOffer(
            "Deepgram", "Nova-3 (pre-recorded)", "batch", round(0.0043 * PER_MIN_TO_PER_H, 4),
            {"diarization": round(0.0044 * PER_MIN_TO_PER_H, 4), "sentiment": "included", "entities": None,
             "pii_redaction": None},
            _DG_SKILL, "2026", "third-party summary",
            published=(
                Published("WER", 0.0526, "Deepgram internal benchmark", _DG_NUMBERS),
                Published("WER", 0.128, "Artificial Analysis, Common Voice v16.1 (third party)", _DG_NUMBERS),
                Published("WER", 0.281, "Earnings-22 (Modulate's test)",
                          "https://nextgreen-git-master.preview.hackernoon.com/lite/how-deepgram-and-modulate-benchmark-against-real-world-audio"),
            ),
            note="$0.0043/min; diarization +$0.0044/min; summarise/topics/sentiment included with STT",
        ),
        ApiOffer(
            "Deepgram", "Nova-3 via AIgateway / Workers AI", "batch", round(0.0052 * PER_MIN_TO_PER_H, 4),
            {"diarization": None, "sentiment": None, "entities": None, "pii_redaction": None},
            "https://aigateway.sh/q/deepgram-nova-3-pricing", "2026", "reseller",
            note="$0.0052/min pass-through + 5 % top-up fee; same rate on Cloudflare Workers AI",
        ),
    )


@dataclass(frozen=True)
class PriceRow:
    provider: str
    product: str
    base_usd_per_hour: float
    feature_set_usd_per_hour: float
    unknown_features: tuple[str, ...]
    source_url: str
    source_date: str
    source_kind: str
    published: tuple[dict[str, str | float], ...] = field(default_factory=tuple)
    note: str = ""


def price_rows() -> list[PriceRow]:
    rows = []
    for o in offers():
        total, unknown = o.feature_set_usd_per_hour()
        rows.append(
            PriceRow(
                provider=o.provider, product=o.product, base_usd_per_hour=o.base_usd_per_hour,
                feature_set_usd_per_hour=total, unknown_features=unknown, source_url=o.source_url,
                source_date=o.source_date, source_kind=o.source_kind,
                published=tuple({"metric": p.metric, "value": p.value, "dataset": p.dataset, "source_url": p.source_url,
                                 "note": p.note} for p in o.published),
                note=o.note,
            )
        )
    return rows
