"""Command line: generate | run | report | ablate | audio | audio-eval | battery (see benchmarks/leads/__init__.py)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.leads")
    sub = p.add_subparsers(dest="command", required=True)
    for name in ("generate", "run", "report", "ablate", "audio", "audio-eval"):
        s = sub.add_parser(name)
        s.add_argument("--split", choices=("dev", "test"), default="test" if name != "generate" else "dev")
        s.add_argument("--n", type=int, default=12 if name == "audio" else 200)
        s.add_argument("--seed", type=int, default=1)
        s.add_argument("--out", required=True)
        if name in ("run", "report", "ablate"):
            s.add_argument("--limit", type=int, default=None)
            s.add_argument("--report-dir", default="benchmarks/results")
        if name == "audio-eval":
            s.add_argument("--no-hotwords", action="store_true",
                           help="skip the second pass with the known names as ASR hotwords (halves the time)")
            s.add_argument("--refinalize", action="store_true",
                           help="re-score cached calls from their stored transcripts and model answers with the "
                                "current rules (no ASR, no LLM)")
        if name in ("run", "report"):
            s.add_argument("--oracle", action="store_true", help="answer from the truth instead of the LLM")
        if name == "run":
            s.add_argument("--no-resume", action="store_true")
            s.add_argument("--refinalize", action="store_true",
                           help="re-run only the deterministic part on cached model answers (no LLM)")
            s.add_argument("--reread", action="store_true",
                           help="re-run the reading with the current code; questions asked before are answered "
                                "from the cache (out/answers/<split>.jsonl), only new ones go to the LLM")
    b = sub.add_parser("battery", help="score the rules on the third writer's labelled sentences (tune / hold)")
    b.add_argument("--model", action="store_true",
                   help="ask the real LLM about each sentence first (430 line questions, ~15 min on 2 cores)")
    b.add_argument("--answers", default=None,
                   help="with --model: a JSONL cache of the model's answers (re-runs ask only new questions)")
    args = p.parse_args(argv)
    if args.command == "battery":
        from benchmarks.leads.battery import HALVES, render, score, score_with_model

        if not args.model:
            print(render([score(h) for h in HALVES]))
            return 0
        from benchmarks.leads.answers import AnswerCache, CachedChat, model_identity
        from services.pipeline.run import ModelManager
        from services.settings import get_settings

        settings = get_settings()
        chat = (CachedChat(AnswerCache(Path(args.answers), model_identity(settings)),
                           lambda: ModelManager(settings).chat) if args.answers else ModelManager(settings).chat)
        print(render(score_with_model(chat, settings)))
        return 0
    out = Path(args.out)
    if args.command == "generate":
        from benchmarks.leads.generate import generate
        from benchmarks.leads.run import write_cases

        cases = generate(args.split, args.n, args.seed)
        write_cases(cases, out)
        print(f"wrote {len(cases)} cases to {out / 'cases.jsonl'} and {out / 'transcripts'}/")
    elif args.command == "run":
        from benchmarks.leads.run import run_leads

        report = run_leads(args.split, args.n, args.seed, out, limit=args.limit, resume=not args.no_resume,
                           report_dir=Path(args.report_dir), oracle=args.oracle, refinalize=args.refinalize,
                           reread=args.reread)
        print(f"wrote {report}")
    elif args.command == "report":
        from benchmarks.leads.generate import generate
        from benchmarks.leads.report import machine_tag, write_outputs
        from benchmarks.leads.run import raw_path

        cases = generate(args.split, args.n, args.seed)[: args.limit]
        kind = f"oracle-{args.split}" if args.oracle else args.split
        predictions = {c.id: json.loads(raw_path(out, kind, c.id).read_text()) for c in cases
                       if raw_path(out, kind, c.id).exists()}
        meta = {"split": args.split, "n": args.n, "seed": args.seed, "limit": args.limit,
                "date": date.today().isoformat(), "machine": machine_tag(), "oracle": args.oracle}
        print(f"wrote {write_outputs(cases, predictions, meta, report_dir=Path(args.report_dir))}")
    elif args.command == "audio-eval":
        from benchmarks.leads.audio_eval import evaluate_audio, render

        summary = evaluate_audio(out, hotwords=not args.no_hotwords, refinalize=args.refinalize)
        text = render(summary)
        (out / "e2e-summary.json").write_text(json.dumps(summary, indent=1, default=str))
        (out / "e2e-report.md").write_text(text)
        print(text)
    elif args.command == "ablate":
        from benchmarks.leads.ablation import ablate, append_to_report
        from benchmarks.leads.generate import generate
        from benchmarks.leads.report import machine_tag

        cases = generate(args.split, args.n, args.seed)[: args.limit]
        results = ablate(cases, out, args.split)
        report = Path(args.report_dir) / f"{date.today().isoformat()}-{machine_tag()}-leads-{args.split}.md"
        if report.exists():
            append_to_report(report, results)
            print(f"appended the rule ablation to {report}")
        else:
            from benchmarks.leads.ablation import render

            print(render(results))
    else:
        from benchmarks.leads.audio import render_cases

        paths = render_cases(args.split, args.n, args.seed, out)
        print(f"wrote {len(paths)} calls to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
