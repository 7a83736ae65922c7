"""Per-call options: a small documented dataclass instead of a 30-argument run function."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from services.pipeline.lead_context import CallContext


@dataclass(frozen=True)
class CallOptions:
    language: str | None = None
    """Force a language code ("en"); None detects it per call."""
    vocabulary: tuple[str, ...] = ()
    """Custom vocabulary: product names, competitor names, jargon. Fed to Whisper as hotwords."""
    stereo_speakers: bool = False
    """Each channel of a stereo recording is one speaker (channel 0 = SPEAKER_00); diarization is skipped."""
    diarization: bool = True
    """Run speaker diarization. Off: every word is attributed to SPEAKER_00."""
    num_speakers: int | None = None
    """Known number of speakers, if any (helps clustering)."""
    competitors: tuple[str, ...] = ()
    """Competitor names to track (added to settings.lead.tracked_competitors); also used as ASR vocabulary.
    Kept for callers that predate `context`: folded into context.competitors by lead_context()."""
    context: CallContext = field(default_factory=CallContext)
    """Names known before the call (own company, products, competitors, CRM accounts and contacts): ASR
    hotwords, and near-miss spellings in the lead snap to them (services/pipeline/known_names.py)."""
    extract_lead: bool = True
    """Run the LLM lead extraction (the slowest stage on CPU)."""
    pii_types: tuple[str, ...] | None = None
    """Entity types to redact; None uses settings.nlp.pii_types."""

    def lead_context(self, tracked_competitors: Sequence[str] = ()) -> CallContext:
        """The call's context with `competitors` and the settings' tracked competitors folded in."""
        return self.context.merged(competitors=(*self.competitors, *tracked_competitors))

    def hotwords(self, tracked_competitors: Sequence[str] = ()) -> tuple[str, ...]:
        """ASR vocabulary: the custom vocabulary, then every known name of the context, each once."""
        names = (*self.vocabulary, *self.lead_context(tracked_competitors).vocabulary())
        return tuple(dict.fromkeys(n.strip() for n in names if n and n.strip()))


# progress(stage, fraction 0..1, message) -- called by run_call() as stages start and finish.
ProgressCallback = Callable[[str, float, str], None]

STAGES = ("decode", "asr", "diarization", "alignment", "nlp", "extraction")
