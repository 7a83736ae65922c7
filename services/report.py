"""The human-readable summary `parley run` prints: transcript excerpt, entities, lead, timings with RTF."""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.table import Table

from services.pipeline.types import CallResult

_EXCERPT_UTTERANCES = 12


def print_summary(result: CallResult, console: Console) -> None:
    audio = result.audio
    console.rule("[bold]call")
    console.print(
        f"{audio.duration_s:.1f} s, {audio.sample_rate} Hz, {audio.channels} ch ({audio.codec}) | language "
        f"{result.language} | {len(result.words)} words, {len(result.utterances)} utterances"
    )
    for spk in result.speakers:
        console.print(f"  {spk.id}: {spk.role:<8} {spk.talk_time_s:6.1f} s talk, {spk.words} words")

    console.rule("[bold]transcript (redacted)")
    for utt in result.utterances[:_EXCERPT_UTTERANCES]:
        mood = f" ({utt.sentiment.label})" if utt.sentiment and utt.sentiment.label != "neutral" else ""
        console.print(f"[dim]{utt.start:7.1f}s[/] [bold]{utt.speaker}[/] {utt.role}{mood}: {utt.redacted_text or utt.text}")
    if len(result.utterances) > _EXCERPT_UTTERANCES:
        console.print(f"[dim]... {len(result.utterances) - _EXCERPT_UTTERANCES} more utterances (use --out)[/]")

    counts = Counter(e.type for e in result.entities)
    console.rule("[bold]entities")
    console.print(", ".join(f"{kind} x{n}" for kind, n in counts.most_common()) or "none")

    lead = result.lead
    console.rule("[bold]lead")
    if lead is None:
        console.print("not extracted (--no-lead)")
    else:
        colour = {"hot": "red", "warm": "yellow", "cold": "blue"}[lead.score]
        review = f"  [bold red]NEEDS REVIEW[/]: {'; '.join(lead.review_reasons)}" if lead.needs_review else ""
        console.print(f"score [bold {colour}]{lead.score.upper()}[/] confidence {lead.confidence:.2f}{review}")
        c = lead.contact
        console.print(f"contact: {c.name} | {c.title} | {c.company} | {c.email} | {c.phone}")
        for key in ("budget", "authority", "need", "timeline"):
            item = getattr(lead.bant, key)
            quote = f' "{item.evidence[0].quote}" [{item.evidence[0].utterance_id}]' if item.evidence else ""
            console.print(f"  {key:<9} {'yes' if item.present else 'no '}{quote}")
        if lead.competitors:
            console.print(f"competitors: {', '.join(lead.competitors)}")
        if lead.pain_points:
            console.print(f"pain points: {'; '.join(lead.pain_points)}")
        if lead.next_step:
            console.print(f"next step: {lead.next_step}")
        if lead.summary:
            console.print(f"summary: {lead.summary}")

    console.rule("[bold]timings")
    table = Table(show_header=True)
    table.add_column("stage")
    table.add_column("seconds", justify="right")
    table.add_column("RTF", justify="right")
    for stage, seconds in result.timings.items():
        table.add_row(stage, f"{seconds:.2f}", f"{seconds / max(audio.duration_s, 1e-9):.3f}")
    console.print(table)
