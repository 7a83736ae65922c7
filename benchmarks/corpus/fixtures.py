"""The committed test fixtures (tests/fixtures/calls/), regenerated bit for bit by

    python -m benchmarks.corpus.fixtures [--out tests/fixtures/calls]

The facts that tests check (people, companies, competitors, budget, timeline) are pinned here rather than left to
the seed, and each was chosen because whisper tiny.en spells it correctly from flite's voices. The prospect (who
states the facts) is flite awb: on 300-3400 Hz audio, faster-whisper's Silero VAD at its default threshold (0.5)
misses ~20 % of flite rms speech (and with it, words), but none of awb's or slt's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from benchmarks.corpus.generate import CallSpec, generate_call

DEFAULT_OUT = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "calls"


def fixture_specs(out: Path) -> list[CallSpec]:
    hot = CallSpec(
        out_dir=out, name="hot_northwind", scenario="discovery", seed=103, minutes=0.8, voices=("slt", "awb"),
        overrides={
            "rep_name": "Laura Hughes", "rep_company": "Brightline",
            "first": "Michael", "last": "Brown", "title": "VP of Operations", "company": "Northwind Logistics",
            "domain": "northwind.com", "competitor": "Salesforce", "budget_amount": 50_000,
            "money_style": "dollars", "budget_period": "this quarter",
            "explicit_timeline": ("We need it live before our April launch.", "live before our April launch",
                                  "before April launch"),
            "pain": ("our reps spend three hours a week typing call notes by hand",
                     "reps spend 3 hours a week on manual call notes"),
            "phone": ("312", "555", "0147"),
        },
    )
    warm = CallSpec(
        out_dir=out, name="warm_redwood", scenario="pricing", seed=202, minutes=0.8, voices=("slt", "awb"),
        overrides={
            "rep_name": "Emily Carter", "rep_company": "Brightline",
            "first": "James", "last": "Taylor", "title": "sales team lead", "company": "Redwood Software",
            "domain": "redwood.com", "competitor": "Oracle", "budget_amount": 30_000, "money_style": "k",
            "budget_period": "this year",
            "vague_timeline": ("Sometime later this year, there's no fixed date.", "sometime later this year"),
            "director_first": "Helen",
        },
    )
    cold = CallSpec(
        out_dir=out, name="cold_summit", scenario="research", seed=304, minutes=0.8, voices=("slt", "awb"),
        overrides={
            "rep_name": "Megan Wright", "rep_company": "Brightline",
            "first": "Robert", "last": "King", "title": "business analyst", "company": "Summit Partners",
            "domain": "summitpartners.com", "competitor": "Microsoft Dynamics", "director_first": "Susan",
        },
    )
    demo = CallSpec(
        out_dir=out, name="demo_call", scenario="discovery", seed=7, minutes=3.2, voices=("slt", "awb"),
        snr_db=35.0,
        overrides={
            "rep_name": "Sarah Miller", "rep_company": "Brightline",
            "first": "David", "last": "King", "title": "Head of Sales", "company": "Evergreen Supply",
            "domain": "evergreen.com", "competitor": "Microsoft Dynamics", "budget_amount": 75_000, "money_style": "dollars",
            "budget_period": "this quarter",
            "explicit_timeline": ("We need this running by the end of March.", "by the end of March",
                                  "end of March"),
        },
    )
    return [hot, warm, cold, demo]


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.corpus.fixtures", description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = p.parse_args(argv)
    for spec in fixture_specs(args.out):
        call = generate_call(spec)
        print(f"{call.audio.name}: {call.duration:.1f} s, {call.audio.stat().st_size / 1000:.0f} kB, "
              f"BANT {call.script.bant.label}, {call.elapsed_s:.1f} s to generate")
    return 0


if __name__ == "__main__":
    sys.exit(main())
