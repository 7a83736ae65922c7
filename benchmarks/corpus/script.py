"""Turns a scenario template into a complete `CallScript` of about the requested length.

Everything random here comes from one `random.Random` seeded with (scenario, seed), so a script is a pure
function of its inputs; the audio renderer adds timing but never changes the words.
"""

from __future__ import annotations

import random
from typing import Any, Mapping

from benchmarks.corpus import lexicon
from benchmarks.corpus.facts import apply_overrides, draw_facts
from benchmarks.corpus.model import BANT_CRITERIA, BantTruth, CallScript, Turn
from benchmarks.corpus.scenarios import SCENARIOS, Draft, Line
from benchmarks.corpus.spoken import number_to_words

# Speaking rate of the flite voices (measured ~3.0 words/s of speech; 2.8 absorbs backchannels and stretch) plus
# an average gap: only used to decide how much small talk reaches the target length, so +-15 % is fine.
WORDS_PER_SECOND = 2.8
MEAN_GAP_S = 0.5
# Turns at least this long get a backchannel from the listener with BACKCHANNEL_P.
BACKCHANNEL_MIN_WORDS = 14
BACKCHANNEL_P = 0.35
# One barge-in per this much audio (at least one per call).
SECONDS_PER_BARGE_IN = 90.0
# Facts that tests compare exactly. With protect_facts, overlap (backchannels, barge-ins) is kept off the turns
# that state them: tiny.en drops words under overlap, and a fixture should test extraction, not that.
PROTECTED_TAGS = frozenset({"budget", "authority", "need", "timeline", "contact", "competitor"})
_REACTIONS = ("That sounds useful.", "Okay, that makes sense.", "Interesting. Go on.", "I see.")


def estimate_seconds(lines: list[Line]) -> float:
    return sum(_words(line) / WORDS_PER_SECOND + MEAN_GAP_S for line in lines)


def _small_talk(draft: Draft, rng: random.Random, team_size: int) -> list[list[Line]]:
    """An endless-enough supply of neutral exchanges, reshuffled when used up (only very long calls repeat)."""
    exchanges: list[list[Line]] = [list(pair) for pair in draft.follow_ups]
    for _ in range(4):
        team = number_to_words(team_size)
        pool = [[Line("rep", q), Line("prospect", a.format(team=team))] for q, a in draft.small_talk]
        pool += [[Line("rep", pitch), Line("prospect", rng.choice(_REACTIONS))] for pitch in draft.pitches]
        rng.shuffle(pool)
        exchanges += pool
    return exchanges


def _fill(draft: Draft, rng: random.Random, target_s: float, team_size: int) -> list[Line]:
    lines = list(draft.opening)
    closing = list(draft.closing)
    for exchange in _small_talk(draft, rng, team_size):
        if estimate_seconds(lines + closing) >= target_s:
            break
        lines += exchange
    return lines + closing


def _words(line: Line) -> int:
    return len(line.text.split())


def _backchannel_after(lines: list[Line], rng: random.Random, protect: bool) -> set[int]:
    open_ = [i for i, line in enumerate(lines) if not (protect and PROTECTED_TAGS & set(line.tags))]
    picked = {i for i in open_ if _words(lines[i]) >= BACKCHANNEL_MIN_WORDS and rng.random() < BACKCHANNEL_P}
    if not picked and open_:  # every call has at least one, so the benchmark always exercises overlap handling
        picked = {max(open_, key=lambda i: _words(lines[i]))}
    return picked


def _barge_ins(lines: list[Line], after_backchannel: set[int], rng: random.Random, target_s: float,
               protect: bool) -> set[int]:
    """Indexes of lines that start before the previous, long, other-speaker line ends."""
    candidates = [i for i in range(1, len(lines))
                  if lines[i].speaker != lines[i - 1].speaker and _words(lines[i - 1]) >= 10
                  # a backchannel inside the previous turn would collide with the listener's own barge-in
                  and (i - 1) not in after_backchannel
                  and not (protect and PROTECTED_TAGS & set(lines[i].tags + lines[i - 1].tags))]
    if not candidates:
        return set()
    count = max(1, round(target_s / SECONDS_PER_BARGE_IN))
    return set(rng.sample(candidates, min(count, len(candidates))))


def _turns(lines: list[Line], rng: random.Random, target_s: float, protect: bool) -> tuple[Turn, ...]:
    after_bc = _backchannel_after(lines, rng, protect)
    barge = _barge_ins(lines, after_bc, rng, target_s, protect)
    turns: list[Turn] = []
    for i, line in enumerate(lines):
        turns.append(Turn(id=f"t{len(turns):03d}", speaker=line.speaker, text=line.text, barge_in=i in barge,
                          tags=line.tags, tts_text=line.tts))
        if i in after_bc:
            listener = "prospect" if line.speaker == "rep" else "rep"
            text, tts = rng.choice(lexicon.BACKCHANNELS)
            turns.append(Turn(id=f"t{len(turns):03d}", speaker=listener, text=text, kind="backchannel",
                              tts_text=tts))
    return tuple(turns)


def _bant(draft: Draft, turns: tuple[Turn, ...]) -> BantTruth:
    evidence = {c: tuple(t.id for t in turns if t.speaker == "prospect" and c in t.tags)
                for c in BANT_CRITERIA if draft.bant[c]}
    missing = [c for c, ids in evidence.items() if not ids]
    if missing:  # a template that claims a criterion must also say it
        raise AssertionError(f"criteria without an evidence line: {missing}")
    return BantTruth(**{c: draft.bant[c] for c in BANT_CRITERIA}, evidence=evidence)


def build_script(scenario: str, seed: int, minutes: float, overrides: Mapping[str, Any] | None = None, *,
                 protect_facts: bool = True) -> CallScript:
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; choose from {sorted(SCENARIOS)}")
    spec = SCENARIOS[scenario]
    # A string seed is hashed deterministically (sha512), unlike hash(), which PYTHONHASHSEED randomises.
    rng = random.Random(f"{scenario}/{seed}")
    facts = apply_overrides(draw_facts(rng, spec.pools), overrides or {})
    draft = spec.template(facts, rng)
    target_s = minutes * 60.0
    turns = _turns(_fill(draft, rng, target_s, facts.team_size), rng, target_s, protect_facts)
    return CallScript(scenario=scenario, seed=seed, turns=turns, crm=draft.crm, bant=_bant(draft, turns),
                      genders={"rep": facts.rep_gender, "prospect": facts.prospect_gender})
