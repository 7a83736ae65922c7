"""Entities (spaCy NER + pattern recognisers), PII redaction and per-utterance sentiment.

Sentiment uses VADER, a lexicon: no transformer sentiment weights ship in pip packages (FACTS.md), it needs
no GPU, runs in microseconds per utterance, handles negation ("not happy") and intensifiers, and is
deterministic, so the same call always gets the same labels. LLM labels cost ~0.7 s per line on CPU.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.pipeline.align import join_words
from services.pipeline.patterns import find_patterns
from services.pipeline.types import Entity, Sentiment, Utterance, Word

# spaCy labels we keep, mapped to Parley's entity types. CARDINAL/ORDINAL/QUANTITY are noise on calls.
SPACY_LABELS = {
    "PERSON": "PERSON",
    "ORG": "ORG",
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "MONEY": "MONEY",
    "DATE": "DATE",
    "TIME": "TIME",
    "PRODUCT": "PRODUCT",
    "PERCENT": "PERCENT",
}
# VADER's own recommended cut-offs for the compound score.
_POSITIVE, _NEGATIVE = 0.05, -0.05


@dataclass(frozen=True)
class NlpModels:
    spacy: Any
    vader: Any


def load_nlp(spacy_dir: Path) -> NlpModels:
    import spacy
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    # lemmatizer is not needed for NER and is the slowest component of the small pipeline.
    return NlpModels(spacy=spacy.load(spacy_dir, exclude=["lemmatizer"]), vader=SentimentIntensityAnalyzer())


def sentiment_of(text: str, vader: Any) -> Sentiment:
    compound = float(vader.polarity_scores(text)["compound"])
    label = "positive" if compound >= _POSITIVE else "negative" if compound <= _NEGATIVE else "neutral"
    return Sentiment(label=label, score=round(compound, 4))


def _spans_to_times(
    char_start: int, char_end: int, spans: Sequence[tuple[int, int]], words: Sequence[Word]
) -> tuple[float, float]:
    covered = [i for i, (s, e) in enumerate(spans) if s < char_end and e > char_start]
    if not covered:
        return words[0].start, words[-1].end
    return words[covered[0]].start, words[covered[-1]].end


def find_entities(utterance: Utterance, words: Sequence[Word], spacy_nlp: Any) -> list[Entity]:
    """Entities of one utterance; `words` are the utterance's own words (for the times)."""
    text, spans = join_words(words)
    assert text == utterance.text, "utterance text must be the join of its words"
    raw: list[tuple[str, int, int, str]] = [(h.type, h.start, h.end, "pattern") for h in find_patterns(text)]
    taken = [(s, e) for _, s, e, _ in raw]
    for ent in spacy_nlp(text).ents:
        kind = SPACY_LABELS.get(ent.label_)
        # Pattern hits win where they overlap: spaCy calls "five five five ..." a CARDINAL or a DATE.
        if kind and not any(ent.start_char < e and ent.end_char > s for s, e in taken):
            raw.append((kind, ent.start_char, ent.end_char, "spacy"))
    entities = []
    for kind, s, e, source in sorted(raw, key=lambda r: r[1]):
        start, end = _spans_to_times(s, e, spans, words)
        entities.append(
            Entity(
                type=kind,
                text=text[s:e],
                utterance_id=utterance.id,
                start=start,
                end=end,
                char_start=s,
                char_end=e,
                source=source,  # type: ignore[arg-type]
            )
        )
    return entities


def redact(text: str, entities: Sequence[Entity], pii_types: Sequence[str]) -> str:
    """Replace each entity of a PII type by [TYPE], right to left so earlier offsets stay valid."""
    wanted = set(pii_types)
    spans = sorted(((e.char_start, e.char_end, e.type) for e in entities if e.type in wanted), reverse=True)
    out = text
    last_start = len(text) + 1
    for start, end, kind in spans:
        if end > last_start:  # overlapping spans: the earlier replacement already covers this one
            continue
        out = out[:start] + f"[{kind}]" + out[end:]
        last_start = start
    return out


def analyse(
    utterances: Sequence[Utterance], words: Sequence[Word], models: NlpModels, pii_types: Sequence[str]
) -> tuple[tuple[Utterance, ...], tuple[Entity, ...]]:
    """Entities, redacted text and sentiment for every utterance. Returns new utterances (inputs untouched)."""
    enriched: list[Utterance] = []
    all_entities: list[Entity] = []
    for utt in utterances:
        first, last = utt.word_range
        entities = find_entities(utt, words[first:last], models.spacy)
        all_entities.extend(entities)
        enriched.append(
            utt.model_copy(
                update={
                    "redacted_text": redact(utt.text, entities, pii_types),
                    "sentiment": sentiment_of(utt.text, models.vader),
                }
            )
        )
    return tuple(enriched), tuple(all_entities)
